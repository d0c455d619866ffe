using Npgsql;
using SubsidyEngine.Engine.Database;
using SubsidyEngine.Testing;

namespace SubsidyEngine.Engine.Tests.Foundation;

/// <summary>The service's data source settings (<see cref="DatabaseHandle.CreateDataSource"/>) and what they must not break.</summary>
public sealed class DataSourceTests
{
    [Fact]
    public void The_service_data_source_prepares_repeated_statements_and_skips_the_reset_unless_the_connection_string_says_otherwise()
    {
        using var defaults = DatabaseHandle.CreateDataSource("Host=127.0.0.1;Username=u;Database=d");
        var settings = new NpgsqlConnectionStringBuilder(defaults.ConnectionString);
        Assert.Equal(64, settings.MaxAutoPrepare);
        Assert.True(settings.NoResetOnClose);

        using var given = DatabaseHandle.CreateDataSource("Host=127.0.0.1;Username=u;Database=d;Max Auto Prepare=0;No Reset On Close=false");
        var explicitly = new NpgsqlConnectionStringBuilder(given.ConnectionString);
        Assert.Equal(0, explicitly.MaxAutoPrepare);
        Assert.False(explicitly.NoResetOnClose);
    }

    [Fact]
    public async Task A_pooled_connection_closed_inside_a_transaction_is_rolled_back_before_it_is_used_again()
    {
        var database = await TestCluster.CreateEmptyDatabaseAsync();
        // One physical connection, so the second open gets the same backend back from the pool.
        await using var ds = DatabaseHandle.CreateDataSource(database + ";Maximum Pool Size=1");
        await using (var create = ds.CreateCommand("CREATE TABLE scratch (v int NOT NULL)"))
        {
            await create.ExecuteNonQueryAsync();
        }

        int firstBackend;
        await using (var conn = await ds.OpenConnectionAsync())
        {
            firstBackend = conn.ProcessID;
            var tx = await conn.BeginTransactionAsync();
            await using var insert = new NpgsqlCommand("INSERT INTO scratch VALUES (1)", conn, tx);
            await insert.ExecuteNonQueryAsync();

            // Closed without commit or rollback, the transaction object never disposed.
        }

        await using (var again = await ds.OpenConnectionAsync())
        {
            Assert.Equal(firstBackend, again.ProcessID);
            await using var state = new NpgsqlCommand("SELECT count(*) FROM scratch", again);
            Assert.Equal(0L, await state.ExecuteScalarAsync());

            // Not inside the abandoned transaction: a commit of new work is visible to another session.
            await using var insert = new NpgsqlCommand("INSERT INTO scratch VALUES (2)", again);
            await insert.ExecuteNonQueryAsync();
        }

        await using var other = NpgsqlDataSource.Create(database);
        await using var count = other.CreateCommand("SELECT coalesce(sum(v), 0) FROM scratch");
        Assert.Equal(2L, await count.ExecuteScalarAsync());
    }
}
