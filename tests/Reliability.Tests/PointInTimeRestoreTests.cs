using System.Diagnostics;
using System.Text;
using Npgsql;
using SubsidyEngine.Engine.Audit;
using SubsidyEngine.Engine.Database;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Tools.Database;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Testing;
using SubsidyEngine.Workflows.Expressions;
using SubsidyEngine.Workflows.Loading;
using Xunit.Abstractions;

namespace SubsidyEngine.Reliability.Tests;

/// <summary>
/// Scenario 8: the backup and point-in-time restore of docs/deployment.md, with the same commands: a cluster with WAL
/// archiving (<c>archive_mode</c>, <c>archive_command</c> copying to a folder), a base backup (<c>pg_basebackup</c>)
/// taken while dossiers are being worked on, more transitions, a moment noted, more transitions after it; then the
/// base backup is started with <c>restore_command</c> and <c>recovery_target_time</c> as a separate cluster. The
/// restored journal holds exactly the events committed before the moment, and every chain and checkpoint verifies.
/// </summary>
public sealed class PointInTimeRestoreTests(ITestOutputHelper output)
{
    private const string Definition = """
    {
      "id": "pitr/cycle", "version": 1, "initial": "A",
      "states": [ { "id": "A" }, { "id": "B" } ],
      "triggers": [ { "id": "next", "parameters": [ { "name": "n", "type": "int" } ] } ],
      "transitions": [
        { "from": "A", "trigger": "next", "to": "B", "roles": ["officer"], "assign": { "last": "args.n" } },
        { "from": "B", "trigger": "next", "to": "A", "roles": ["officer"], "assign": { "last": "args.n" } }
      ]
    }
    """;

    private sealed class NoTemplates : ILetterTemplates
    {
        public bool Exists(string templateId) => false;

        public int LatestVersion(string templateId) => throw new InvalidOperationException();
    }

    private static readonly bool AsRoot = Environment.UserName == "root";

    [Fact]
    public async Task The_journal_restored_to_a_moment_holds_exactly_what_was_committed_before_it_and_verifies()
    {
        var root = TestCluster.NewTempFolder("pitr");
        var archive = Path.Combine(root, "wal-archive");
        var backup = Path.Combine(root, "base");
        Directory.CreateDirectory(archive);
        Directory.CreateDirectory(backup);
        GiveToPostgres(archive, backup);
        try
        {
            var problems = new List<LoadProblem>();
            var def = DefinitionLoader.LoadDefinition(Encoding.UTF8.GetBytes(Definition), "pitr/cycle.v1.json", problems) ?? throw new InvalidOperationException(string.Join("; ", problems));
            var catalog = WorkflowCatalog.FromDefinitions([def], new RuleRegistry(), new NoTemplates());
            var officer = new Actor("pitr", "officer");
            var clock = TimeProvider.System;

            DateTimeOffset target;
            long eventsAtTarget, maxSeqAtTarget;
            Guid lateDossier;
            string bin;
            var live = new EmbeddedPostgresSettings
            {
                ClusterDirectory = Path.Combine(root, "live"),
                Port = TestCluster.FreePort(),
                ServerSettings = new Dictionary<string, string> { ["archive_mode"] = "on", ["max_connections"] = "50" },
            };
            await using (var cluster = await EmbeddedPostgres.StartAsync(live))
            await using (var ds = NpgsqlDataSource.Create(cluster.ConnectionString))
            {
                bin = cluster.BinDirectory;
                await new Migrator(ds).MigrateAsync();
                // docs/deployment.md: archive_command copies each finished WAL segment to the archive (never overwriting).
                await ExecAsync(ds, $"ALTER SYSTEM SET archive_command = 'test ! -f {archive}/%f && cp %p {archive}/%f'");
                await ExecAsync(ds, "SELECT pg_reload_conf()");
                var runtime = new WorkflowRuntime(ds, catalog, new DefinitionStore(ds, clock), clock);
                var dossiers = new List<Guid>();
                for (var i = 0; i < 3; i++)
                {
                    dossiers.Add((await runtime.CreateAsync(new CreateRequest("pitr/cycle", new(), officer))).DossierId);
                }

                async Task FireRoundAsync(int from)
                {
                    for (var n = from; n < from + 5; n++)
                    {
                        foreach (var d in dossiers)
                        {
                            await runtime.FireAsync(new FireRequest(d, "next", new() { ["n"] = n }, officer));
                        }
                    }
                }

                await FireRoundAsync(0);

                // The nightly base backup, taken from the running primary.
                var watch = Stopwatch.StartNew();
                Run(bin, "pg_basebackup", "-h", "127.0.0.1", "-p", live.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", "postgres", "-D", backup, "-c", "fast");
                output.WriteLine($"pg_basebackup in {watch.Elapsed.TotalSeconds:F1} s");

                // After the backup: more transitions and a checkpoint of the journal, then the moment to restore to.
                await FireRoundAsync(5);
                var (checkpoint, _) = await new CheckpointService(ds, clock, runtime).TakeAsync();
                output.WriteLine($"checkpoint up to seq {checkpoint.Seq}");
                await FireRoundAsync(10);
                (eventsAtTarget, maxSeqAtTarget) = await ScalarPairAsync(ds, "SELECT count(*), max(seq) FROM journal");
                await Task.Delay(1100);
                target = new DateTimeOffset(DateTime.SpecifyKind((DateTime)(await ScalarAsync(ds, "SELECT clock_timestamp()"))!, DateTimeKind.Utc));
                await Task.Delay(1100);

                // The mistake to undo: work after the moment.
                await FireRoundAsync(15);
                lateDossier = (await runtime.CreateAsync(new CreateRequest("pitr/cycle", new(), officer))).DossierId;
                var (eventsAtEnd, _) = await ScalarPairAsync(ds, "SELECT count(*), max(seq) FROM journal");
                Assert.True(eventsAtEnd > eventsAtTarget);

                // The segment holding the last commits is archived once it is switched.
                var segment = (string)(await ScalarAsync(ds, "SELECT pg_walfile_name(pg_switch_wal())"))!;
                var archived = Stopwatch.StartNew();
                while (!File.Exists(Path.Combine(archive, segment)))
                {
                    Assert.True(archived.Elapsed < TimeSpan.FromSeconds(30), $"segment {segment} not archived: {await ScalarAsync(ds, "SELECT last_failed_wal FROM pg_stat_archiver")}");
                    await Task.Delay(100);
                }

                output.WriteLine($"{eventsAtTarget} events at the moment {target:O}, {eventsAtEnd} at the end; {Directory.GetFiles(archive).Length} archived segments");
            }

            // The restore (docs/deployment.md): the base backup, the archive as restore_command, the moment as target.
            var settingsFile = Path.Combine(backup, "postgresql.auto.conf");
            await File.AppendAllTextAsync(settingsFile,
                $"\nrestore_command = 'cp {archive}/%f %p'\nrecovery_target_time = '{target.UtcDateTime:yyyy-MM-dd HH:mm:ss.ffffff}+00'\nrecovery_target_action = 'promote'\narchive_mode = 'off'\n");
            await File.WriteAllTextAsync(Path.Combine(backup, "recovery.signal"), string.Empty);
            GiveToPostgres(settingsFile, Path.Combine(backup, "recovery.signal"));
            var restoredSettings = new EmbeddedPostgresSettings { ClusterDirectory = backup, Port = TestCluster.FreePort() };
            await using var restored = await EmbeddedPostgres.StartAsync(restoredSettings);
            await using var rds = NpgsqlDataSource.Create(restored.ConnectionString);
            var promoted = Stopwatch.StartNew();
            while ((bool)(await ScalarAsync(rds, "SELECT pg_is_in_recovery()"))!)
            {
                Assert.True(promoted.Elapsed < TimeSpan.FromSeconds(60), "the restored cluster did not finish recovery");
                await Task.Delay(200);
            }

            var (events, maxSeq) = await ScalarPairAsync(rds, "SELECT count(*), max(seq) FROM journal");
            output.WriteLine($"restored: {events} events up to seq {maxSeq} (expected {eventsAtTarget} up to {maxSeqAtTarget})");
            Assert.Equal(eventsAtTarget, events);
            Assert.Equal(maxSeqAtTarget, maxSeq);
            Assert.Equal(0L, (long)(await ScalarAsync(rds, $"SELECT count(*) FROM dossier WHERE id = '{lateDossier}'"))!);

            var summary = await new Replayer(rds, catalog, new JournalStore(rds)).ReplayAllAsync();
            output.WriteLine(summary.OneLine);
            Assert.True(summary.Ok, summary.OneLine);
            Assert.Equal(events, summary.Events);
            Assert.NotEmpty(await CheckpointService.ReadAllAsync(rds));
        }
        finally
        {
            TestCluster.TryDelete(root);
        }
    }

    private void Run(string bin, string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(AsRoot ? "runuser" : Path.Combine(bin, tool)) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = "/" };
        if (AsRoot)
        {
            foreach (var a in new[] { "-u", "postgres", "--", Path.Combine(bin, tool) })
            {
                psi.ArgumentList.Add(a);
            }
        }

        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{tool} failed ({p.ExitCode}): {stdout.Result}{stderr}");
    }

    private static void GiveToPostgres(params string[] paths)
    {
        if (!AsRoot)
        {
            return;
        }

        foreach (var path in paths)
        {
            using var p = Process.Start(new ProcessStartInfo("chown", ["postgres:", path]) { UseShellExecute = false })!;
            p.WaitForExit();
        }
    }

    private static async Task ExecAsync(NpgsqlDataSource ds, string sql)
    {
        await using var cmd = ds.CreateCommand(sql);
        await cmd.ExecuteNonQueryAsync();
    }

    private static async Task<object?> ScalarAsync(NpgsqlDataSource ds, string sql)
    {
        await using var cmd = ds.CreateCommand(sql);
        return await cmd.ExecuteScalarAsync();
    }

    private static async Task<(long, long)> ScalarPairAsync(NpgsqlDataSource ds, string sql)
    {
        await using var cmd = ds.CreateCommand(sql);
        await using var r = await cmd.ExecuteReaderAsync();
        await r.ReadAsync();
        return (r.GetInt64(0), r.GetInt64(1));
    }
}
