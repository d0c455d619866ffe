using System.Text.Json.Nodes;
using Npgsql;
using SubsidyEngine.Engine.Audit;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Testing;

namespace SubsidyEngine.Engine.Tests.Audit;

/// <summary>The same tamperings as the bundle tests, done in the database as a superuser with triggers off: replay catches each.</summary>
public sealed class DatabaseTamperTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    public async Task InitializeAsync() => await db.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<(AuditHarness H, Guid Grant1)> SeedAsync()
    {
        var h = new AuditHarness(db);
        var ids = await h.SeedAsync();
        await h.Checkpoints.TakeAsync();
        var clean = await h.Replayer.ReplayAllAsync(new ReplayAllOptions());
        Assert.True(clean.Ok, string.Join("\n", clean.Failures.SelectMany(f => f.Divergences).Select(d => d.ToString()).Concat(clean.CheckpointProblems.Select(p => p.ToString()))));
        return (h, ids.Grant1);
    }

    public static TheoryData<string, string, int, string> Tamperings => new()
    {
        { "amount", "UPDATE journal SET arguments = replace(arguments, '12.50', '125.00') WHERE dossier_id = '{0}' AND dossier_seq = 1", 1, "hash" },
        { "actor", "UPDATE journal SET actor = 'officer-2' WHERE dossier_id = '{0}' AND dossier_seq = 2", 2, "hash" },
        { "time", "UPDATE journal SET occurred_at = occurred_at - interval '1 hour' WHERE dossier_id = '{0}' AND dossier_seq = 3", 3, "hash" },
        { "deleted", "DELETE FROM journal WHERE dossier_id = '{0}' AND dossier_seq = 2", 3, "dossier_seq" },
        { "swapped", "UPDATE journal SET dossier_seq = -2 WHERE dossier_id = '{0}' AND dossier_seq = 2; UPDATE journal SET dossier_seq = 2 WHERE dossier_id = '{0}' AND dossier_seq = 3; UPDATE journal SET dossier_seq = 3 WHERE dossier_id = '{0}' AND dossier_seq = -2", 2, "prev_hash" },
        { "inserted", "INSERT INTO journal (dossier_id, dossier_seq, occurred_at, actor, actor_role, kind, trigger, from_state, to_state, definition_id, definition_version, definition_hash, arguments, effects, prev_hash, hash) SELECT dossier_id, 4, occurred_at, actor, actor_role, 'note.added', '', to_state, to_state, definition_id, definition_version, definition_hash, '{{}}', '{{}}', hash, repeat('a', 64) FROM journal WHERE dossier_id = '{0}' AND dossier_seq = 3", 4, "hash" },
    };

    [Theory]
    [MemberData(nameof(Tamperings))]
    public async Task Replay_names_the_tampered_event(string name, string sql, int dossierSeq, string field)
    {
        var (h, g1) = await SeedAsync();
        await h.ExecuteAsSuperuserBypassingTriggersAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, sql, g1));

        var summary = await h.Replayer.ReplayAllAsync(new ReplayAllOptions());
        Assert.False(summary.Ok, name);
        var report = Assert.Single(summary.Failures);
        Assert.Equal(g1, report.DossierId);
        Assert.True(report.Divergences.Any(d => d.DossierSeq == dossierSeq && d.Field == field), string.Join("\n", report.Divergences));
        Assert.Equal(dossierSeq, report.DivergentEvents[0].DossierSeq); // the first divergence is the tampered event
    }

    [Fact]
    public async Task A_journal_rewritten_with_recomputed_hashes_passes_the_chains_but_not_the_checkpoint()
    {
        var (h, g1) = await SeedAsync();
        var events = await h.Journal.ForDossierAsync(g1);
        var prev = JournalEvent.GenesisHash;
        await using var conn = await db.DataSource.OpenConnectionAsync();
        await using (var off = new NpgsqlCommand("SET session_replication_role = replica", conn))
        {
            await off.ExecuteNonQueryAsync();
        }

        foreach (var e in events)
        {
            var rewritten = (e with { OccurredAt = e.DossierSeq == 1 ? e.OccurredAt.AddMinutes(-30) : e.OccurredAt, PrevHash = prev }).WithHash();
            await using var cmd = new NpgsqlCommand("UPDATE journal SET occurred_at = $2, prev_hash = $3, hash = $4 WHERE seq = $1", conn);
            cmd.Parameters.AddWithValue(e.Seq);
            cmd.Parameters.AddWithValue(rewritten.OccurredAt);
            cmd.Parameters.AddWithValue(rewritten.PrevHash);
            cmd.Parameters.AddWithValue(rewritten.Hash);
            await cmd.ExecuteNonQueryAsync();
            prev = rewritten.Hash;
        }

        await using (var head = new NpgsqlCommand("UPDATE dossier SET head_hash = $2 WHERE id = $1", conn))
        {
            head.Parameters.AddWithValue(g1);
            head.Parameters.AddWithValue(prev);
            await head.ExecuteNonQueryAsync();
        }

        await using (var on = new NpgsqlCommand("SET session_replication_role = origin", conn))
        {
            await on.ExecuteNonQueryAsync();
        }

        var summary = await h.Replayer.ReplayAllAsync(new ReplayAllOptions());
        Assert.Empty(summary.Failures);
        var problem = Assert.Single(summary.CheckpointProblems);
        Assert.Equal(1, problem.CheckpointSeq);
        Assert.StartsWith("head_digest", problem.Field, StringComparison.Ordinal);
        Assert.False(summary.Ok);
        Assert.Contains("1 divergences", summary.OneLine, StringComparison.Ordinal);

        // And the export notices it too.
        var export = await h.Export.ExportAsync(ExportScope.Dossier(g1), TestCluster.NewTempFolder("rewritten"));
        Assert.Contains(export.Problems, p => p.Contains("checkpoint 1", StringComparison.Ordinal));
        TestCluster.TryDelete(export.Path);
    }

    [Fact]
    public async Task A_rewritten_checkpoint_is_caught_by_its_own_hash()
    {
        var (h, _) = await SeedAsync();
        await h.ExecuteAsSuperuserBypassingTriggersAsync("UPDATE journal_checkpoint SET event_count = event_count - 1");
        var summary = await h.Replayer.ReplayAllAsync(new ReplayAllOptions());
        Assert.Contains(summary.CheckpointProblems, p => p.Field == "hash");
        Assert.Contains(summary.CheckpointProblems, p => p.Field == "event_count");
    }
}
