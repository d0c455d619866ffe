using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SubsidyEngine.Engine.Audit;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Testing;

namespace SubsidyEngine.Engine.Tests.Runtime;

/// <summary>Follows docs/audit.md literally: its psql export commands and its Python script, no code of ours.</summary>
public sealed partial class AuditRecipeTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    public async Task InitializeAsync() => await db.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [GeneratedRegex("```(?<lang>bash|python)\\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex CodeBlock();

    private static string RepoFile(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, relative);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException(relative);
    }

    private static (int Code, string Output) Run(string file, string workDir, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = workDir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output);
    }

    /// <summary>The recipe's blocks: the psql export (step 1) and the verification script (step 2).</summary>
    private static async Task<(string Export, string Script)> RecipeAsync()
    {
        var doc = await File.ReadAllTextAsync(RepoFile("docs/audit.md"));
        var blocks = CodeBlock().Matches(doc).Select(m => (m.Groups["lang"].Value, m.Groups["code"].Value)).ToList();
        var export = blocks.First(b => b.Item1 == "bash" && b.Item2.Contains("\\copy", StringComparison.Ordinal)).Item2;
        var script = blocks.First(b => b.Item1 == "python").Item2;
        return (export, script);
    }

    private string DatabaseUrl()
    {
        var url = new Npgsql.NpgsqlConnectionStringBuilder(db.ConnectionString);
        return $"postgresql://{url.Username}@{url.Host}:{url.Port}/{url.Database}";
    }

    /// <summary>Runs the documented export, then the documented script over what it wrote (files named as in the recipe).</summary>
    private (int Code, string Output) ExportAndVerify(string dir, string export, params string[] mailed)
    {
        var exported = Run("/bin/bash", dir, "-c", $"DATABASE_URL='{DatabaseUrl()}'\n{export}");
        Assert.True(exported.Code == 0, exported.Output);
        return Run("/usr/bin/python3", dir, ["verify_journal.py", "journal.jsonl", "heads.jsonl", "checkpoints.jsonl", .. mailed]);
    }

    [Fact]
    public async Task The_documented_recipe_verifies_a_real_journal_and_names_a_tampered_event()
    {
        var h = new RuntimeHarness(db, [TinyDefinitions.Abc, TinyDefinitions.Cycle]);
        var abc = await h.CreateAsync("test/abc", new JsonObject { ["amount"] = 12.50m, ["owner"] = "Sint-Niklaas \"Ω\" \\ é" });
        await h.FireAsync(abc.DossierId, "go", new JsonObject { ["note"] = "café ✓", ["comment"] = "regel 1\nregel 2 \\ \"q\"" });
        var cycle = await h.CreateAsync("test/cycle");
        for (var i = 0; i < 4; i++)
        {
            await h.FireAsync(cycle.DossierId, "next");
        }

        var (export, script) = await RecipeAsync();
        var dir = TestCluster.NewTempFolder("audit");
        await File.WriteAllTextAsync(Path.Combine(dir, "verify_journal.py"), script);

        var ok = ExportAndVerify(dir, export);
        Assert.True(ok.Code == 0, ok.Output);
        Assert.Contains("OK: 7 events in 2 dossiers", ok.Output, StringComparison.Ordinal);

        await h.ExecuteAsSuperuserBypassingTriggersAsync($"UPDATE journal SET arguments = replace(arguments, '12.50', '125.00') WHERE dossier_id = '{abc.DossierId}' AND dossier_seq = 1");
        var bad = ExportAndVerify(dir, export);

        Assert.Equal(1, bad.Code);
        Assert.Contains($"dossier {abc.DossierId} event 1", bad.Output, StringComparison.Ordinal);
        Assert.Contains("hash mismatch", bad.Output, StringComparison.Ordinal);
        TestCluster.TryDelete(dir);
    }

    [Fact]
    public async Task A_transition_committed_while_the_export_runs_does_not_make_an_untampered_journal_fail()
    {
        var h = new RuntimeHarness(db, [TinyDefinitions.Abc, TinyDefinitions.Cycle]);
        var cycle = await h.CreateAsync("test/cycle");
        await h.FireAsync(cycle.DossierId, "next");
        var (export, script) = await RecipeAsync();
        var dir = TestCluster.NewTempFolder("audit-race");
        await File.WriteAllTextAsync(Path.Combine(dir, "verify_journal.py"), script);

        // Right after the journal is written, the export waits until a transition has committed, then goes on.
        var lines = export.Split('\n').ToList();
        var at = lines.FindIndex(l => l.Contains("'journal.jsonl'", StringComparison.Ordinal));
        Assert.True(at >= 0, "the export writes journal.jsonl");
        const string Wait = "touch between; while [ ! -f go ]; do sleep 0.05; done";
        lines.Insert(at + 1, lines[at].TrimStart().StartsWith("\\copy", StringComparison.Ordinal) ? $"\\! sh -c '{Wait}'" : Wait);
        var psi = new ProcessStartInfo("/bin/bash") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($"DATABASE_URL='{DatabaseUrl()}'\n{string.Join('\n', lines)}");
        using (var p = Process.Start(psi)!)
        {
            var output = p.StandardOutput.ReadToEndAsync();
            var errors = p.StandardError.ReadToEndAsync();
            var waited = Stopwatch.StartNew();
            while (!File.Exists(Path.Combine(dir, "between")))
            {
                if (waited.Elapsed > TimeSpan.FromSeconds(60) || p.HasExited)
                {
                    Assert.Fail("the export never reached the point after journal.jsonl: " + await errors);
                }

                await Task.Delay(50);
            }

            await h.FireAsync(cycle.DossierId, "next");
            await File.WriteAllTextAsync(Path.Combine(dir, "go"), string.Empty);
            await p.WaitForExitAsync();
            Assert.True(p.ExitCode == 0, await output + await errors);
        }

        var verified = Run("/usr/bin/python3", dir, "verify_journal.py", "journal.jsonl", "heads.jsonl", "checkpoints.jsonl");
        Assert.True(verified.Code == 0, verified.Output);
        TestCluster.TryDelete(dir);
    }

    [Fact]
    public async Task The_psql_route_catches_a_rewritten_journal_by_its_checkpoints_and_rewritten_checkpoints_by_the_mailed_hash()
    {
        var h = new RuntimeHarness(db, [TinyDefinitions.Abc, TinyDefinitions.Cycle]);
        var cycle = await h.CreateAsync("test/cycle");
        await h.FireAsync(cycle.DossierId, "next");
        await h.FireAsync(cycle.DossierId, "next");
        var other = await h.CreateAsync("test/cycle");
        var (checkpoint, _) = await new CheckpointService(db.DataSource, h.Clock).TakeAsync();
        h.Clock.Advance(TimeSpan.FromDays(1));
        await h.FireAsync(other.DossierId, "next");
        var (export, script) = await RecipeAsync();
        var dir = TestCluster.NewTempFolder("audit-rewrite");
        await File.WriteAllTextAsync(Path.Combine(dir, "verify_journal.py"), script);

        var ok = ExportAndVerify(dir, export, checkpoint.Hash);
        Assert.True(ok.Code == 0, ok.Output);
        Assert.Contains("1 checkpoint", ok.Output, StringComparison.Ordinal);

        // A superuser rewrites the cycle's tail: one event's time, then every hash after it and the head, consistently.
        var events = await new JournalStore(db.DataSource).ForDossierAsync(cycle.DossierId);
        var prev = events[0].PrevHash;
        foreach (var e in events)
        {
            var rewritten = (e with { OccurredAt = e.DossierSeq == 2 ? e.OccurredAt.AddMinutes(-30) : e.OccurredAt, PrevHash = prev }).WithHash();
            await h.ExecuteAsSuperuserBypassingTriggersAsync(
                $"UPDATE journal SET occurred_at = '{JournalEvent.FormatTime(rewritten.OccurredAt)}', prev_hash = '{rewritten.PrevHash}', hash = '{rewritten.Hash}' WHERE seq = {e.Seq}");
            prev = rewritten.Hash;
        }

        await h.ExecuteAsSuperuserBypassingTriggersAsync($"UPDATE dossier SET head_hash = '{prev}' WHERE id = '{cycle.DossierId}'");
        var rewrittenTail = ExportAndVerify(dir, export, checkpoint.Hash);
        Assert.Equal(1, rewrittenTail.Code);
        Assert.DoesNotContain("hash mismatch", rewrittenTail.Output, StringComparison.Ordinal); // the chains themselves are consistent again
        Assert.Contains($"checkpoint {checkpoint.Seq}", rewrittenTail.Output, StringComparison.Ordinal);
        Assert.Contains("head_digest", rewrittenTail.Output, StringComparison.Ordinal);

        // The checkpoint rewritten to match as well: only the hash the auditors received by mail gives it away.
        var heads = new System.Text.StringBuilder();
        await using (var cmd = db.DataSource.CreateCommand("SELECT DISTINCT ON (dossier_id) dossier_id, dossier_seq, hash FROM journal WHERE seq <= $1 ORDER BY dossier_id, dossier_seq DESC"))
        {
            cmd.Parameters.AddWithValue(checkpoint.MaxJournalSeq);
            await using var r = await cmd.ExecuteReaderAsync();
            while (await r.ReadAsync())
            {
                heads.Append(JournalCheckpoint.HeadLine(r.GetGuid(0), r.GetInt32(1), r.GetString(2)));
            }
        }

        var forged = checkpoint with { HeadDigest = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(heads.ToString()))) };
        forged = forged with { Hash = forged.ComputeHash() };
        await h.ExecuteAsSuperuserBypassingTriggersAsync($"UPDATE journal_checkpoint SET head_digest = '{forged.HeadDigest}', hash = '{forged.Hash}' WHERE seq = {checkpoint.Seq}");
        Assert.Equal(0, ExportAndVerify(dir, export).Code); // consistent again without the mailed hash
        var caught = ExportAndVerify(dir, export, checkpoint.Hash);
        Assert.Equal(1, caught.Code);
        Assert.Contains(checkpoint.Hash, caught.Output, StringComparison.Ordinal);
        TestCluster.TryDelete(dir);
    }
}
