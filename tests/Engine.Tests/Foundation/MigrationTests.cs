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
        var list = Migrator.Embedded.Append(new Migration(Migrator.Embedded.Count + 1, "slow", "SELECT pg_sleep(0.3); CREATE TABLE slow_marker (id int);")).ToList();

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
    public void Shipped_migrations_are_numbered_without_gaps()
    {
        Assert.NotEmpty(Migrator.Embedded);
        Assert.Equal(Enumerable.Range(1, Migrator.Embedded.Count), Migrator.Embedded.Select(m => m.Version));
    }
}
