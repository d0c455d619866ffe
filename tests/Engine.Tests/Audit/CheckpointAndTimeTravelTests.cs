using System.Text.Json.Nodes;
using Npgsql;
using SubsidyEngine.Engine.Audit;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Testing;

namespace SubsidyEngine.Engine.Tests.Audit;

public sealed class CheckpointAndTimeTravelTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    public async Task InitializeAsync() => await db.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Checkpoints_are_one_per_Brussels_day_chained_append_only_and_mailed_as_a_notice()
    {
        var h = new AuditHarness(db);
        await h.SeedAsync();
        var (first, created) = await h.Checkpoints.TakeAsync();
        Assert.True(created);
        Assert.Equal(1, first.Seq);
        Assert.Equal(JournalEvent.GenesisHash, first.PrevHash);
        Assert.Equal(4, first.DossierCount);
        Assert.Equal(10, first.EventCount);
        Assert.Equal(first.ComputeHash(), first.Hash);

        // Same Brussels day: the same checkpoint, nothing new.
        h.Clock.Advance(TimeSpan.FromHours(10)); // 2026-06-01 20:00 UTC = 22:00 Brussels
        var (again, createdAgain) = await h.Checkpoints.TakeAsync();
        Assert.False(createdAgain);
        Assert.Equal(first, again);

        // 22:30 UTC is 00:30 the next day in Brussels (summer time): a new day, a new checkpoint.
        h.Clock.Advance(TimeSpan.FromMinutes(150));
        var (second, createdSecond) = await h.Checkpoints.TakeAsync();
        Assert.True(createdSecond);
        Assert.Equal(new DateOnly(2026, 6, 2), second.BrusselsDay);
        Assert.Equal(first.Hash, second.PrevHash);
        Assert.Equal(5, second.DossierCount); // the audit dossier now exists

        // Each checkpoint was fired on the audit dossier, whose notice uses the checkpoint-digest template.
        Assert.Equal(2, await h.CountAsync($"SELECT count(*) FROM notice WHERE dossier_id = '{CheckpointService.AuditDossierId}' AND template_id = 'checkpoint-digest'"));
        var audit = await h.Runtime.GetAsync(CheckpointService.AuditDossierId);
        Assert.Equal(second.Hash, audit!.Data["journal"]!["headHash"]!.GetValue<string>());
        Assert.Equal("audit@vlaanderen.example", audit.Data["recipient"]!.GetValue<string>());

        var e = await Assert.ThrowsAsync<PostgresException>(() => h.CountAsync("UPDATE journal_checkpoint SET hash = 'x' RETURNING 1"));
        Assert.Contains("append-only", e.Message, StringComparison.Ordinal);
        e = await Assert.ThrowsAsync<PostgresException>(() => h.CountAsync("DELETE FROM journal_checkpoint RETURNING 1"));
        Assert.Contains("append-only", e.Message, StringComparison.Ordinal);

        var summary = await h.Replayer.ReplayAllAsync(new ReplayAllOptions());
        Assert.True(summary.Ok, string.Join("\n", summary.CheckpointProblems));
    }

    [Fact]
    public async Task The_application_role_may_only_append_to_and_read_the_journal_and_checkpoints()
    {
        var h = new AuditHarness(db);
        Assert.Equal(1, await h.CountAsync("SELECT count(*) FROM pg_roles WHERE rolname = 'subsidy_app'"));
        foreach (var table in new[] { "journal", "journal_checkpoint" })
        {
            Assert.Equal(1, await h.CountAsync($"SELECT CASE WHEN has_table_privilege('subsidy_app', '{table}', 'INSERT') AND has_table_privilege('subsidy_app', '{table}', 'SELECT') THEN 1 ELSE 0 END"));
            foreach (var privilege in new[] { "UPDATE", "DELETE", "TRUNCATE" })
            {
                Assert.Equal(0, await h.CountAsync($"SELECT CASE WHEN has_table_privilege('subsidy_app', '{table}', '{privilege}') THEN 1 ELSE 0 END"));
            }
        }

        Assert.Equal(0, await h.CountAsync("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = 'subsidy_app'"));

        // Even with the triggers off, the role lacks the privilege.
        await using var conn = await db.DataSource.OpenConnectionAsync();
        await using var cmd = new NpgsqlCommand("SET session_replication_role = replica; SET ROLE subsidy_app; DELETE FROM journal;", conn);
        var e = await Assert.ThrowsAsync<PostgresException>(() => cmd.ExecuteNonQueryAsync());
        Assert.Contains("permission denied for table journal", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_runtime_checkpoints_and_replay_work_as_subsidy_app_which_cannot_alter_the_journal()
    {
        await using (var login = db.DataSource.CreateCommand("ALTER ROLE subsidy_app LOGIN"))
        {
            await login.ExecuteNonQueryAsync();
        }

        var cs = new NpgsqlConnectionStringBuilder(db.ConnectionString) { Username = "subsidy_app", Password = null };
        await using var app = NpgsqlDataSource.Create(cs.ConnectionString);
        // (The start-up migrator is not run here: its CREATE TABLE IF NOT EXISTS schema_version needs CREATE on schema
        // public, which subsidy_app deliberately lacks; see docs/audit.md, "Running the service as subsidy_app".)

        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 6, 1, 8, 0, 0, TimeSpan.Zero));
        var h = new AuditHarness(db);
        var runtime = new WorkflowRuntime(app, h.Catalog, new DefinitionStore(app, clock), clock);
        var created = await runtime.CreateAsync(new CreateRequest("test/grant", new JsonObject { ["amount"] = 5m }, AuditHarness.Officer));
        await runtime.FireAsync(new FireRequest(created.DossierId, "approve", new JsonObject { ["amount"] = 5m }, AuditHarness.Officer));
        var (checkpoint, _) = await new CheckpointService(app, clock, runtime).TakeAsync();
        Assert.Equal(2, checkpoint.EventCount);
        var summary = await new Replayer(app, h.Catalog, new JournalStore(app)).ReplayAllAsync(new ReplayAllOptions());
        Assert.True(summary.Ok, summary.OneLine);

        await using var update = app.CreateCommand("UPDATE journal SET actor = 'x'");
        var e = await Assert.ThrowsAsync<PostgresException>(() => update.ExecuteNonQueryAsync());
        Assert.Contains("permission denied for table journal", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_checkpoint_waits_for_transactions_in_progress_so_its_cut_is_final()
    {
        var h = new AuditHarness(db);
        await h.SeedAsync();
        await using var other = await db.DataSource.OpenConnectionAsync();
        await using var tx = await other.BeginTransactionAsync();
        await using (var append = new NpgsqlCommand("LOCK TABLE journal IN ROW EXCLUSIVE MODE", other, tx))
        {
            await append.ExecuteNonQueryAsync(); // what an append in flight holds from before it draws its seq
        }

        var take = h.Checkpoints.TakeAsync();
        await Task.Delay(300);
        Assert.False(take.IsCompleted, take.Exception?.ToString());
        await tx.CommitAsync();
        var (checkpoint, created) = await take.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.True(created);
        Assert.Equal(10, checkpoint.EventCount);
    }

    [Fact]
    public async Task Time_travel_replays_the_journal_up_to_a_moment()
    {
        var h = new AuditHarness(db);
        var t0 = h.Clock.GetUtcNow();
        var ids = await h.SeedAsync();
        var g1 = ids.Grant1;

        var before = await h.TimeTravel.AsOfAsync(g1, t0.AddMinutes(30));
        Assert.Equal("submitted", before.State);
        Assert.Equal(1, before.Version);
        Assert.Equal(12.50m, before.Data["amount"]!.GetValue<decimal>());
        Assert.Empty(before.OpenDeadlines);
        Assert.Empty(before.Notices);

        var approved = await h.TimeTravel.AsOfAsync(g1, t0.AddMinutes(90));
        Assert.Equal("approved", approved.State);
        Assert.Equal("test/grant", approved.WorkflowId);
        Assert.Equal(1, approved.WorkflowVersion);
        Assert.Equal(12.50m, approved.Data["approvedAmount"]!.GetValue<decimal>());
        var deadline = Assert.Single(approved.OpenDeadlines);
        Assert.Equal("report", deadline.Kind);
        // P30D counts Brussels calendar days from the day of the approval and ends at the end of the 30th.
        Assert.Equal(Workflows.Calendar.BrusselsDate.Of(t0.AddMinutes(65)).AddDays(30).EndOfDay, deadline.Due);
        var letter = Assert.Single(approved.Notices);
        Assert.Equal(("letter", "award-decision", h.Runtime.Catalog.Templates.LatestVersion("award-decision")), (letter.Kind, letter.TemplateId, letter.TemplateVersion));
        Assert.Empty(approved.Divergences);

        var now = await h.TimeTravel.AsOfAsync(g1, h.Clock.GetUtcNow());
        Assert.Equal("closed", now.State);
        Assert.Empty(now.OpenDeadlines);
        Assert.Equal(["award-decision", "closure"], now.Notices.Select(n => n.TemplateId).ToArray());
        var stored = await h.Runtime.GetAsync(g1);
        Assert.Equal(CanonicalJson.Serialize(stored!.Data), CanonicalJson.Serialize(now.Data));
        Assert.Equal(stored.HeadHash, now.HeadHash);
        var json = now.ToJson();
        Assert.Equal("closed", json["state"]!.GetValue<string>());

        await Assert.ThrowsAsync<DossierNotFoundException>(() => h.TimeTravel.AsOfAsync(g1, t0.AddMinutes(-1)));
    }

    [Fact]
    public async Task Replay_of_everything_streams_in_uuid_order_and_reports_every_dossier_once()
    {
        var h = new AuditHarness(db);
        var ids = new List<Guid>();
        for (var i = 0; i < 60; i++)
        {
            var r = await h.Runtime.CreateAsync(new CreateRequest("test/cycle", new JsonObject(), AuditHarness.Officer) { DossierId = Guid.NewGuid() });
            ids.Add(r.DossierId);
            for (var k = 0; k < i % 4; k++)
            {
                await h.Runtime.FireAsync(new FireRequest(r.DossierId, "next", null, AuditHarness.Officer));
            }
        }

        // A projection without any journal event is reported too.
        var orphan = Guid.NewGuid();
        await h.ExecuteAsSuperuserBypassingTriggersAsync(
            $"INSERT INTO dossier (id, workflow_id, workflow_version, state, version, data, head_hash, created_at, updated_at) VALUES ('{orphan}', 'test/cycle', 1, 'A', 1, '{{}}', 'x', now(), now())");

        var seen = new System.Collections.Concurrent.ConcurrentBag<Guid>();
        var progress = new List<ReplayProgress>();
        var summary = await h.Replayer.ReplayAllAsync(new ReplayAllOptions { OnReport = r => seen.Add(r.DossierId), Progress = new SyncProgress(progress.Add), Workers = 3 });
        Assert.Equal(61, summary.Dossiers);
        Assert.Equal(60 + ids.Select((_, i) => i % 4).Sum(), summary.Events);
        Assert.Equal(61, seen.Distinct().Count());
        Assert.Equal(orphan, Assert.Single(summary.Failures).DossierId);
        Assert.Equal("replayed 61 dossiers, " + summary.Events + " events, 1 divergences", summary.OneLine);
        Assert.Equal(61, progress[^1].Dossiers);

        var sorted = ids.Append(orphan).Order(Comparer<Guid>.Create(Replayer.CompareUuid)).Select(g => g.ToString("D")).ToList();
        Assert.Equal(sorted.Order(StringComparer.Ordinal).ToList(), sorted);
    }

    private sealed class SyncProgress(Action<ReplayProgress> report) : IProgress<ReplayProgress>
    {
        public void Report(ReplayProgress value)
        {
            lock (this)
            {
                report(value);
            }
        }
    }
}
