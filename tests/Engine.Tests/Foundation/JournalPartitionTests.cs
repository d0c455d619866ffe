using System.Text.Json.Nodes;
using Npgsql;
using SubsidyEngine.Engine.Audit;
using SubsidyEngine.Engine.Database;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Engine.Tests.Runtime;
using SubsidyEngine.Testing;

namespace SubsidyEngine.Engine.Tests.Foundation;

/// <summary>
/// The journal partitioned by year (migration journal_partitions, docs/decisions/2026-12-07-journal-partitions.md):
/// the conversion of a filled journal, the guard that replaces UNIQUE (dossier_id, dossier_seq) across partitions,
/// immutability per partition, and the catch-all partition for years not created yet.
/// </summary>
public sealed class JournalPartitionTests
{
    private static readonly string[] Definitions = [TinyDefinitions.Abc, TinyDefinitions.Cycle];

    private static IReadOnlyList<Migration> UpToPartitions(bool including) =>
        including ? Migrator.Embedded : Migrator.Embedded.TakeWhile(m => m.Name != "journal_partitions").ToList();

    private static async Task<NpgsqlDataSource> DatabaseAsync(bool partitioned)
    {
        var ds = NpgsqlDataSource.Create(await TestCluster.CreateEmptyDatabaseAsync());
        await new Migrator(ds).MigrateAsync(UpToPartitions(partitioned));
        if (!partitioned)
        {
            // The runtime of this build writes the notice snapshot (a later migration, idempotent): add its columns
            // ahead, so this schema differs from the real one only by the journal's partitioning.
            await ExecAsync(ds, Migrator.Embedded.Single(m => m.Name == "notice_snapshot").Sql);
        }

        return ds;
    }

    /// <summary>A database migrated up to and including 0020 (partitioned, its probing guard), without the key table of journal_positions.</summary>
    private static async Task<NpgsqlDataSource> DatabaseBeforePositionsAsync()
    {
        var ds = NpgsqlDataSource.Create(await TestCluster.CreateEmptyDatabaseAsync());
        await new Migrator(ds).MigrateAsync(Migrator.Embedded.TakeWhile(m => m.Name != "journal_positions").ToList());
        return ds;
    }

    private const string PositionsMissing = "SELECT dossier_id, dossier_seq FROM journal EXCEPT SELECT dossier_id, dossier_seq FROM journal_position";

    private static async Task<List<string>> RowsAsync(NpgsqlDataSource ds, string sql)
    {
        await using var cmd = ds.CreateCommand(sql);
        await using var r = await cmd.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await r.ReadAsync())
        {
            rows.Add(string.Join('|', Enumerable.Range(0, r.FieldCount).Select(i => Convert.ToString(r.GetValue(i), System.Globalization.CultureInfo.InvariantCulture))));
        }

        return rows;
    }

    private static async Task ExecAsync(NpgsqlDataSource ds, string sql)
    {
        await using var cmd = ds.CreateCommand(sql);
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>An event of <paramref name="dossier"/> at <paramref name="dossierSeq"/>, dated <paramref name="at"/>, copied from its first event (the guard looks only at the chain position).</summary>
    private static string CopyOfFirstEvent(Guid dossier, int dossierSeq, string at) =>
        $$"""
        INSERT INTO journal (dossier_id, dossier_seq, occurred_at, actor, actor_role, kind, trigger, from_state, to_state, definition_id, definition_version, definition_hash, arguments, effects, prev_hash, hash)
        SELECT dossier_id, {{dossierSeq}}, '{{at}}', actor, actor_role, 'note.added', '', to_state, to_state, definition_id, definition_version, definition_hash, '{}', '{}', hash, repeat('b', 64)
        FROM journal WHERE dossier_id = '{{dossier}}' AND dossier_seq = 1
        """;

    [Fact]
    public async Task Converting_a_filled_journal_keeps_every_event_and_every_chain_and_checkpoint_verifiable()
    {
        await using var ds = await DatabaseAsync(partitioned: false);
        var h = new RuntimeHarness(ds, Definitions, start: new DateTimeOffset(2021, 12, 30, 9, 0, 0, TimeSpan.Zero));
        var dossiers = new List<Guid>();
        for (var i = 0; i < 4; i++)
        {
            dossiers.Add((await h.CreateAsync("test/cycle")).DossierId);
        }

        var abc = (await h.CreateAsync("test/abc", new JsonObject { ["amount"] = 10 })).DossierId;
        var checkpoints = new CheckpointService(ds, h.Clock);
        // Events over three years (Brussels new year is 23:00 UTC), a checkpoint in between.
        for (var day = 0; day < 6; day++)
        {
            foreach (var d in dossiers)
            {
                await h.FireAsync(d, "next");
            }

            if (day == 2)
            {
                await h.FireAsync(abc, "go");
                await checkpoints.TakeAsync();
            }

            h.Clock.Advance(TimeSpan.FromDays(day == 3 ? 365 : 1));
        }

        await checkpoints.TakeAsync();
        const string Events = "SELECT seq, dossier_id, dossier_seq, occurred_at, hash, recorded_at FROM journal ORDER BY seq";
        var before = await RowsAsync(ds, Events);
        var sequence = await RowsAsync(ds, "SELECT last_value FROM journal_seq_seq");
        Assert.True((await h.Replayer.ReplayAllAsync(new ReplayAllOptions())).Ok);

        await new Migrator(ds).MigrateAsync();

        Assert.Equal(["p"], await RowsAsync(ds, "SELECT relkind::text FROM pg_class WHERE relname = 'journal'"));
        Assert.Equal(before, await RowsAsync(ds, Events));
        Assert.Equal(sequence, await RowsAsync(ds, "SELECT last_value FROM journal_seq_seq"));
        Assert.Equal(
            ["journal_2021|13", "journal_2022|9", "journal_2023|8"],
            await RowsAsync(ds, "SELECT tableoid::regclass::text, count(*) FROM journal GROUP BY 1 ORDER BY 1"));
        var replay = await h.Replayer.ReplayAllAsync(new ReplayAllOptions());
        Assert.True(replay.Ok, string.Join('\n', replay.Failures.Select(f => f.First?.ToString()).Concat(replay.CheckpointProblems.Select(p => p.ToString()))));
        Assert.Equal(30, replay.Events);

        // Appends go on, after the old sequence, and a new checkpoint verifies with the two before it.
        var next = await h.FireAsync(dossiers[0], "next");
        Assert.True(next.JournalSeq > before.Count);
        h.Clock.Advance(TimeSpan.FromDays(1)); // one checkpoint per Brussels day
        await checkpoints.TakeAsync();
        Assert.True((await h.Replayer.ReplayAllAsync(new ReplayAllOptions())).Ok);
        Assert.Equal(3, (await CheckpointService.ReadAllAsync(ds)).Count);
    }

    [Fact]
    public async Task A_second_event_at_the_same_place_of_a_chain_is_refused_in_another_year_even_when_both_appends_run_at_once()
    {
        await using var ds = await DatabaseAsync(partitioned: true);
        var h = new RuntimeHarness(ds, Definitions);
        var dossier = (await h.CreateAsync("test/cycle")).DossierId;

        // Two writers append event 2 of the same dossier at once, dated in 2023 and in 2025 (two partitions).
        await using var first = await ds.OpenConnectionAsync();
        await using var tx = await first.BeginTransactionAsync();
        await using (var insert = new NpgsqlCommand(CopyOfFirstEvent(dossier, 2, "2023-06-01T10:00:00Z"), first, tx))
        {
            await insert.ExecuteNonQueryAsync();
        }

        var second = Task.Run(() => ExecAsync(ds, CopyOfFirstEvent(dossier, 2, "2025-06-01T10:00:00Z")));
        await Task.Delay(500);
        Assert.False(second.IsCompleted, "the second append must wait for the first (the dossier's row lock)");
        await tx.CommitAsync();
        var refused = await Assert.ThrowsAsync<PostgresException>(() => second);
        Assert.Equal(PostgresErrorCodes.UniqueViolation, refused.SqlState);
        Assert.Equal("journal_dossier_seq", refused.ConstraintName);

        // Without concurrency, in either order of years; and within one year by the partition's own unique index.
        await ExecAsync(ds, CopyOfFirstEvent(dossier, 3, "2026-02-01T10:00:00Z"));
        foreach (var at in new[] { "2022-02-01T10:00:00Z", "2026-03-01T10:00:00Z" })
        {
            var again = await Assert.ThrowsAsync<PostgresException>(() => ExecAsync(ds, CopyOfFirstEvent(dossier, 3, at)));
            Assert.Equal(PostgresErrorCodes.UniqueViolation, again.SqlState);
        }

        // An event of a dossier that has no row.
        var orphan = await Assert.ThrowsAsync<PostgresException>(() => ExecAsync(ds, CopyOfFirstEvent(dossier, 4, "2024-01-01T10:00:00Z").Replace(
            "SELECT dossier_id,", "SELECT '00000000-0000-0000-0000-00000000dead'::uuid,", StringComparison.Ordinal)));
        Assert.Equal(PostgresErrorCodes.ForeignKeyViolation, orphan.SqlState);
        Assert.Equal(["1", "2", "3"], await RowsAsync(ds, $"SELECT dossier_seq FROM journal WHERE dossier_id = '{dossier}' ORDER BY dossier_seq"));
    }

    [Fact]
    public async Task An_append_after_the_dossier_row_was_written_in_the_same_transaction_still_makes_other_appends_of_the_dossier_wait()
    {
        await using var ds = await DatabaseAsync(partitioned: true);
        var h = new RuntimeHarness(ds, Definitions);
        var dossier = (await h.CreateAsync("test/cycle")).DossierId;

        // As the known path does: the row is updated first, then the event appended (the guard takes no lock of its own).
        await using var first = await ds.OpenConnectionAsync();
        await using var tx = await first.BeginTransactionAsync();
        await using (var write = new NpgsqlCommand($"UPDATE dossier SET version = 2 WHERE id = '{dossier}'; " + CopyOfFirstEvent(dossier, 2, "2024-06-01T10:00:00Z"), first, tx))
        {
            await write.ExecuteNonQueryAsync();
        }

        var second = Task.Run(() => ExecAsync(ds, CopyOfFirstEvent(dossier, 3, "2022-06-01T10:00:00Z")));
        await Task.Delay(500);
        Assert.False(second.IsCompleted, "an append of another position must wait for the transaction that wrote the dossier's row");
        await tx.CommitAsync();
        await second;
        Assert.Equal(["1", "2", "3"], await RowsAsync(ds, $"SELECT dossier_seq FROM journal WHERE dossier_id = '{dossier}' ORDER BY dossier_seq"));
    }

    [Fact]
    public async Task Two_runtimes_firing_one_dossier_from_clocks_in_different_years_append_one_linear_chain()
    {
        await using var ds = await DatabaseAsync(partitioned: true);
        var a = new RuntimeHarness(ds, Definitions, start: new DateTimeOffset(2024, 12, 31, 22, 59, 0, TimeSpan.Zero)); // 23:59 in Brussels: 2024
        var b = new RuntimeHarness(ds, Definitions, start: new DateTimeOffset(2024, 12, 31, 23, 1, 0, TimeSpan.Zero)); // 00:01 in Brussels: 2025
        var dossier = (await a.CreateAsync("test/cycle")).DossierId;
        await b.FireAsync(dossier, "next"); // b now knows the dossier too: both decide on what they remember

        for (var round = 0; round < 20; round++)
        {
            await Task.WhenAll(a.FireAsync(dossier, "next"), b.FireAsync(dossier, "next"));
        }

        Assert.Equal(
            ["journal_2024|21", "journal_2025|21"],
            await RowsAsync(ds, $"SELECT tableoid::regclass::text, count(*) FROM journal WHERE dossier_id = '{dossier}' GROUP BY 1 ORDER BY 1"));
        Assert.Equal(["42|1|42|42"], await RowsAsync(ds, $"SELECT count(*), min(dossier_seq), max(dossier_seq), count(DISTINCT dossier_seq) FROM journal WHERE dossier_id = '{dossier}'"));
        Assert.True((await a.Replayer.ReplayAsync(dossier)).Ok);
    }

    [Fact]
    public async Task Every_partition_refuses_update_delete_and_truncate_and_the_service_role_reaches_only_the_parent()
    {
        await using var ds = await DatabaseAsync(partitioned: true);
        var h = new RuntimeHarness(ds, Definitions);
        var dossier = (await h.CreateAsync("test/cycle")).DossierId;
        await h.FireAsync(dossier, "next");

        foreach (var sql in new[] { "UPDATE journal_2023 SET actor = 'x'", "DELETE FROM journal_2023", "TRUNCATE journal_2023", "TRUNCATE journal_later", "UPDATE journal SET actor = 'x'" })
        {
            var e = await Assert.ThrowsAsync<PostgresException>(() => ExecAsync(ds, sql));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, e.SqlState);
            Assert.Contains("append-only", e.MessageText, StringComparison.Ordinal);
        }

        // Every partition carries the guards, present ones and those the maintenance creates later.
        await ExecAsync(ds, "SELECT journal_ensure_partitions(2040)");
        var partitions = await RowsAsync(ds, "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'journal'::regclass ORDER BY 1");
        Assert.Contains("journal_2040", partitions);
        Assert.Contains("journal_later", partitions);
        Assert.Contains(partitions, p => p.StartsWith("journal_before_", StringComparison.Ordinal));
        Assert.Empty(await RowsAsync(ds, """
            SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'journal'::regclass
            AND NOT (
                EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname = 'journal_append_only')
                AND EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname = 'journal_guard_append')
                AND EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname = 'journal_no_truncate')
                AND EXISTS (SELECT 1 FROM pg_index x WHERE x.indrelid = c.oid AND x.indisunique AND x.indkey::text = '2 3'))
            """));

        // The service's role: reads and appends through the parent; no direct access to a partition.
        await using var conn = await ds.OpenConnectionAsync();
        await using (var role = new NpgsqlCommand("SET ROLE subsidy_app", conn))
        {
            await role.ExecuteNonQueryAsync();
        }

        await using (var read = new NpgsqlCommand("SELECT count(*) FROM journal", conn))
        {
            Assert.Equal(2L, await read.ExecuteScalarAsync());
        }

        foreach (var sql in new[] { "SELECT count(*) FROM journal_2023", CopyOfFirstEvent(dossier, 3, "2023-07-01T00:00:00Z").Replace("INSERT INTO journal ", "INSERT INTO journal_2023 ", StringComparison.Ordinal) })
        {
            await using var cmd = new NpgsqlCommand(sql, conn);
            var e = await Assert.ThrowsAsync<PostgresException>(() => cmd.ExecuteNonQueryAsync());
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, e.SqlState);
        }

        // ... and may call the maintenance, which runs as the journal's owner.
        await using (var ensure = new NpgsqlCommand("SELECT journal_ensure_partitions(2041)", conn))
        {
            Assert.Equal(1, await ensure.ExecuteScalarAsync());
        }
    }

    [Fact]
    public async Task Events_beyond_the_last_yearly_partition_wait_in_journal_later_and_move_unchanged_when_their_year_is_created()
    {
        await using var ds = await DatabaseAsync(partitioned: true);
        var year = DateTime.UtcNow.Year + JournalPartitions.YearsAhead + 5;
        var h = new RuntimeHarness(ds, Definitions, start: new DateTimeOffset(year, 3, 1, 9, 0, 0, TimeSpan.Zero));
        var dossier = (await h.CreateAsync("test/cycle")).DossierId;
        await h.FireAsync(dossier, "next");
        const string Events = "SELECT tableoid::regclass::text, seq, dossier_seq, hash FROM journal ORDER BY seq";
        var before = await RowsAsync(ds, Events);
        Assert.All(before, r => Assert.StartsWith("journal_later|", r, StringComparison.Ordinal));

        Assert.Equal(0, await JournalPartitions.EnsureAsync(ds)); // already three years ahead of now
        await ExecAsync(ds, $"SELECT journal_ensure_partitions({year})");

        Assert.Equal(before.Select(r => r.Replace("journal_later|", $"journal_{year}|", StringComparison.Ordinal)), await RowsAsync(ds, Events));
        await h.FireAsync(dossier, "next");
        Assert.True((await h.Replayer.ReplayAsync(dossier)).Ok);
        var listed = await JournalPartitions.ListAsync(ds);
        Assert.Equal($"journal_{year}", listed.Single(p => p.Name == $"journal_{year}").Name);
        Assert.Equal("journal_later", listed[^1].Name);
    }

    [Fact]
    public async Task The_key_table_migration_backfills_every_position_keeps_a_tampered_fork_for_replay_and_refuses_duplicates_afterwards()
    {
        await using var ds = await DatabaseBeforePositionsAsync();
        var h = new RuntimeHarness(ds, Definitions, start: new DateTimeOffset(2024, 12, 30, 9, 0, 0, TimeSpan.Zero));
        var clean = (await h.CreateAsync("test/cycle")).DossierId;
        var forked = (await h.CreateAsync("test/cycle")).DossierId;
        for (var day = 0; day < 4; day++)
        {
            await h.FireAsync(clean, "next");
            await h.FireAsync(forked, "next");
            h.Clock.Advance(TimeSpan.FromDays(1)); // across the Brussels new year: two partitions
        }

        // A superuser with triggers off forks a chain across partitions before the migration (0020's guard bypassed).
        await h.ExecuteAsSuperuserBypassingTriggersAsync(CopyOfFirstEvent(forked, 2, "2023-06-01T10:00:00Z"));
        Assert.Equal(["2"], await RowsAsync(ds, $"SELECT count(*) FROM journal WHERE dossier_id = '{forked}' AND dossier_seq = 2"));

        await new Migrator(ds).MigrateAsync();

        Assert.Empty(await RowsAsync(ds, PositionsMissing));
        Assert.Equal(["10"], await RowsAsync(ds, "SELECT count(*) FROM journal_position")); // 11 events, the fork's position once
        var replay = await h.Replayer.ReplayAllAsync(new ReplayAllOptions());
        Assert.False(replay.Ok);
        Assert.Equal(forked, Assert.Single(replay.Failures).DossierId); // the auditor still sees the fork

        // Appends go on, each claiming its position; a second event at a position is refused in any year.
        await h.FireAsync(clean, "next");
        Assert.Empty(await RowsAsync(ds, PositionsMissing));
        foreach (var at in new[] { "2022-02-01T10:00:00Z", "2025-03-01T10:00:00Z", "2031-03-01T10:00:00Z" })
        {
            var again = await Assert.ThrowsAsync<PostgresException>(() => ExecAsync(ds, CopyOfFirstEvent(clean, 3, at)));
            Assert.Equal(PostgresErrorCodes.UniqueViolation, again.SqlState);
            Assert.Equal("journal_dossier_seq", again.ConstraintName);
        }

        Assert.Equal(["6"], await RowsAsync(ds, $"SELECT count(*) FROM journal WHERE dossier_id = '{clean}'"));
    }

    [Fact]
    public async Task The_key_table_is_append_only_and_a_fork_written_around_it_is_still_caught_by_replay()
    {
        await using var ds = await DatabaseAsync(partitioned: true);
        var h = new RuntimeHarness(ds, Definitions);
        var dossier = (await h.CreateAsync("test/cycle")).DossierId;
        await h.FireAsync(dossier, "next");
        await h.FireAsync(dossier, "next");
        Assert.Equal([$"{dossier}|1", $"{dossier}|2", $"{dossier}|3"], await RowsAsync(ds, "SELECT dossier_id, dossier_seq FROM journal_position ORDER BY 2"));
        var other = (await h.CreateAsync("test/cycle")).DossierId;

        // The service's role may append (the guard claims the position with its privileges) and read, nothing else.
        await using (var conn = await ds.OpenConnectionAsync())
        {
            await using (var role = new NpgsqlCommand("SET ROLE subsidy_app", conn))
            {
                await role.ExecuteNonQueryAsync();
            }

            await using (var append = new NpgsqlCommand(CopyOfFirstEvent(other, 2, "2024-05-01T10:00:00Z"), conn))
            {
                await append.ExecuteNonQueryAsync();
            }

            await using (var duplicate = new NpgsqlCommand(CopyOfFirstEvent(other, 2, "2022-05-01T10:00:00Z"), conn))
            {
                var e = await Assert.ThrowsAsync<PostgresException>(() => duplicate.ExecuteNonQueryAsync());
                Assert.Equal(PostgresErrorCodes.UniqueViolation, e.SqlState);
            }

            foreach (var sql in new[] { $"DELETE FROM journal_position WHERE dossier_id = '{dossier}' AND dossier_seq = 2", "UPDATE journal_position SET dossier_seq = dossier_seq + 100", "TRUNCATE journal_position" })
            {
                await using var cmd = new NpgsqlCommand(sql, conn);
                var e = await Assert.ThrowsAsync<PostgresException>(() => cmd.ExecuteNonQueryAsync());
                Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, e.SqlState);
            }
        }

        // Its owner is refused by the append-only triggers, as on the journal.
        foreach (var sql in new[] { $"DELETE FROM journal_position WHERE dossier_id = '{dossier}' AND dossier_seq = 2", "UPDATE journal_position SET dossier_seq = dossier_seq + 100", "TRUNCATE journal_position" })
        {
            var e = await Assert.ThrowsAsync<PostgresException>(() => ExecAsync(ds, sql));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, e.SqlState);
            Assert.Contains("append-only", e.MessageText, StringComparison.Ordinal);
        }

        Assert.True((await h.Replayer.ReplayAsync(dossier)).Ok);

        // A superuser with triggers off frees position 2, then appends a second event there through the guard, which
        // accepts it: replay, which reads the journal itself, reports the fork.
        await h.ExecuteAsSuperuserBypassingTriggersAsync($"DELETE FROM journal_position WHERE dossier_id = '{dossier}' AND dossier_seq = 2");
        await ExecAsync(ds, CopyOfFirstEvent(dossier, 2, "2020-06-01T10:00:00Z"));
        Assert.Equal(["2"], await RowsAsync(ds, $"SELECT count(*) FROM journal WHERE dossier_id = '{dossier}' AND dossier_seq = 2"));
        var replay = await h.Replayer.ReplayAllAsync(new ReplayAllOptions());
        Assert.False(replay.Ok);
        var report = Assert.Single(replay.Failures, f => f.DossierId == dossier);
        Assert.Contains(report.Divergences, d => d.DossierSeq == 2);
    }
}
