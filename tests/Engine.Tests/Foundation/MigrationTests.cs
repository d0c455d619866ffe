using Npgsql;
using SubsidyEngine.Engine.Database;
using SubsidyEngine.Testing;

namespace SubsidyEngine.Engine.Tests.Foundation;

public sealed class MigrationTests
{
    private static async Task<long> CountAsync(NpgsqlDataSource ds, string sql)
    {
        await using var cmd = ds.CreateCommand(sql);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Migrations_on_an_empty_database_create_the_schema_and_record_each_version()
    {
        await using var ds = NpgsqlDataSource.Create(await TestCluster.CreateEmptyDatabaseAsync());

        var applied = await new Migrator(ds).MigrateAsync();

        Assert.Equal(Migrator.Embedded.Count, applied);
        Assert.Equal(Migrator.Embedded.Count, await CountAsync(ds, "SELECT count(*) FROM schema_version"));
        Assert.Equal(1, await CountAsync(ds, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'journal'"));
    }

    [Fact]
    public async Task A_transition_updates_the_dossier_row_without_touching_its_indexes_unless_owner_parent_or_participants_change()
    {
        await using var ds = NpgsqlDataSource.Create(await TestCluster.CreateEmptyDatabaseAsync());
        await new Migrator(ds).MigrateAsync();

        // No index on dossier may cover what every transition writes (0006): PostgreSQL could then never update HOT.
        Assert.Equal(0, await CountAsync(ds, """
            SELECT count(*) FROM pg_index i WHERE i.indrelid = 'dossier'::regclass AND (i.indexprs IS NOT NULL OR i.indpred IS NOT NULL OR EXISTS (
                SELECT FROM pg_attribute a WHERE a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
                AND a.attname IN ('state', 'version', 'data', 'head_hash', 'updated_at', 'workflow_version')))
            """));

        // The statistics of the current transaction count HOT updates exactly (same backend, no flush delay).
        await using var conn = await ds.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        async Task<(long Updates, long Hot)> Run(string sql)
        {
            await using (var cmd = new NpgsqlCommand(sql, conn, tx))
            {
                await cmd.ExecuteNonQueryAsync();
            }

            await using var stats = new NpgsqlCommand("SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relname = 'dossier'", conn, tx);
            await using var r = await stats.ExecuteReaderAsync();
            return await r.ReadAsync() ? (r.GetInt64(0), r.GetInt64(1)) : (0, 0);
        }

        await Run("""
            INSERT INTO workflow_definition VALUES ('t/hot', 1, 'h', 'p', 'c', now());
            INSERT INTO dossier (id, workflow_id, workflow_version, state, version, data, head_hash, created_at, updated_at)
            VALUES ('00000000-0000-0000-0000-000000000001', 't/hot', 1, 'A', 1, '{"owner": "authority:1", "participants": ["authority:2"], "amount": 1}', 'h1', now(), now())
            """);
        var transition = await Run("""
            UPDATE dossier SET state = 'B', version = 2, data = '{"owner": "authority:1", "participants": ["authority:2"], "amount": 2}', head_hash = 'h2', updated_at = now()
            WHERE id = '00000000-0000-0000-0000-000000000001'
            """);
        Assert.Equal((1, 1), transition);
        var newOwner = await Run("""
            UPDATE dossier SET version = 3, data = '{"owner": "authority:3", "participants": ["authority:2"], "amount": 2}', head_hash = 'h3'
            WHERE id = '00000000-0000-0000-0000-000000000001'
            """);
        Assert.Equal((2, 1), newOwner); // the owner index needs the new value: not HOT
    }

    [Fact]
    public async Task Running_migrations_again_is_a_no_op()
    {
        await using var ds = NpgsqlDataSource.Create(await TestCluster.CreateEmptyDatabaseAsync());
        await new Migrator(ds).MigrateAsync();

        var second = await new Migrator(ds).MigrateAsync();

        Assert.Equal(0, second);
        Assert.Equal(Migrator.Embedded.Count, await CountAsync(ds, "SELECT count(*) FROM schema_version"));
    }

    [Fact]
    public async Task Two_concurrent_migrators_apply_every_migration_once()
    {
        var cs = await TestCluster.CreateEmptyDatabaseAsync();
        await using var a = NpgsqlDataSource.Create(cs);
        await using var b = NpgsqlDataSource.Create(cs);
        // A slow extra migration widens the race window: without the lock both would try to apply it.
        var list = Migrator.Embedded.Append(new Migration(Migrator.Embedded[^1].Version + 1, "slow", "SELECT pg_sleep(0.3); CREATE TABLE slow_marker (id int);")).ToList();

        var results = await Task.WhenAll(new Migrator(a).MigrateAsync(list), new Migrator(b).MigrateAsync(list));

        Assert.Equal(list.Count, results.Sum());
        Assert.Contains(0, results);
        Assert.Equal(list.Count, await CountAsync(a, "SELECT count(*) FROM schema_version"));
    }

    [Fact]
    public async Task A_changed_published_migration_is_refused_by_name()
    {
        await using var ds = NpgsqlDataSource.Create(await TestCluster.CreateEmptyDatabaseAsync());
        await new Migrator(ds).MigrateAsync();
        var tampered = Migrator.Embedded.Select((m, i) => i == 0 ? m with { Sql = m.Sql + "\n-- edited" } : m).ToList();

        var e = await Assert.ThrowsAsync<MigrationMismatchException>(() => new Migrator(ds).MigrateAsync(tampered));

        Assert.Contains("0001_", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Shipped_migrations_start_at_0001_and_use_each_number_once()
    {
        Assert.NotEmpty(Migrator.Embedded);
        Assert.Equal(1, Migrator.Embedded[0].Version);
        Assert.Equal(Migrator.Embedded.Select(m => m.Version).Order(), Migrator.Embedded.Select(m => m.Version));
        Assert.Equal(Migrator.Embedded.Count, Migrator.Embedded.Select(m => m.Version).Distinct().Count());
    }

    [Fact]
    public async Task A_new_migration_numbered_below_an_applied_one_is_refused_and_changes_nothing()
    {
        await using var ds = NpgsqlDataSource.Create(await TestCluster.CreateEmptyDatabaseAsync());
        var last = Migrator.Embedded[^1].Version;
        // Another branch's migration was applied first (last + 2); this branch's (last + 1) arrives after it.
        await new Migrator(ds).MigrateAsync(Migrator.Embedded.Append(new Migration(last + 2, "other_branch", "SELECT 1")).ToList());
        var late = Migrator.Embedded.Append(new Migration(last + 1, "late_branch", "CREATE TABLE late_marker (id int);")).Append(new Migration(last + 2, "other_branch", "SELECT 1")).ToList();

        var e = await Assert.ThrowsAsync<MigrationMismatchException>(() => new Migrator(ds).MigrateAsync(late));

        Assert.Contains("late_branch", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, await CountAsync(ds, "SELECT count(*) FROM pg_class WHERE relname = 'late_marker'"));
    }
}
