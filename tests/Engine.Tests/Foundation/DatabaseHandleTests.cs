using Microsoft.Extensions.Logging.Abstractions;
using SubsidyEngine.Engine.Configuration;
using SubsidyEngine.Engine.Database;
using SubsidyEngine.Testing;
using SubsidyEngine.Tools.Database;

namespace SubsidyEngine.Engine.Tests.Foundation;

/// <summary>
/// <see cref="DatabaseHandle"/> decides between the configured database and the embedded default; starting the
/// private cluster is the host's <see cref="IEmbeddedDatabaseStarter"/> (SubsidyEngine.Tools), never the Engine's.
/// </summary>
public sealed class DatabaseHandleTests
{
    [Fact]
    public async Task Without_a_connection_string_or_a_starter_the_engine_names_the_setting_instead_of_starting_a_server()
    {
        var root = TestCluster.NewTempFolder("no-starter");
        try
        {
            var options = new SubsidyOptions { DataDirectory = root };
            var e = await Assert.ThrowsAsync<InvalidOperationException>(() => DatabaseHandle.OpenAsync(null, options, null, NullLogger.Instance));
            Assert.Contains("ConnectionStrings:Subsidy", e.Message, StringComparison.Ordinal);
            Assert.False(Directory.Exists(Path.Combine(root, "pg")), "no cluster folder may be made without a starter");
        }
        finally
        {
            TestCluster.TryDelete(root);
        }
    }

    [Fact]
    public async Task Without_a_connection_string_the_host_starter_runs_the_embedded_cluster_and_disposing_stops_it()
    {
        var root = TestCluster.NewTempFolder("starter");
        try
        {
            var options = new SubsidyOptions { DataDirectory = root };
            options.Embedded.Port = TestCluster.FreePort();
            options.Embedded.Database = "handle";
            await using (var handle = await DatabaseHandle.OpenAsync(null, options, new EmbeddedPostgresStarter(), NullLogger.Instance))
            {
                Assert.True(handle.IsEmbedded);
                Assert.Contains($"Port={options.Embedded.Port}", handle.ConnectionString, StringComparison.Ordinal);
                await using var cmd = handle.DataSource.CreateCommand("SELECT current_database()");
                Assert.Equal("handle", await cmd.ExecuteScalarAsync());
                Assert.True(File.Exists(Path.Combine(root, "pg", "postmaster.pid")), "the cluster runs under DataDirectory/pg");
            }

            Assert.False(File.Exists(Path.Combine(root, "pg", "postmaster.pid")), "disposing the handle stops the cluster it started");
        }
        finally
        {
            TestCluster.TryDelete(root);
        }
    }

    [Fact]
    public async Task A_configured_connection_string_is_used_as_is_and_the_starter_is_not_asked()
    {
        var starter = new RefusingStarter();
        var given = await TestCluster.CreateDatabaseAsync("handle");
        await using var handle = await DatabaseHandle.OpenAsync(given, new SubsidyOptions(), starter, NullLogger.Instance);
        Assert.False(handle.IsEmbedded);
        Assert.Equal(given, handle.ConnectionString);
        await using var cmd = handle.DataSource.CreateCommand("SELECT 1");
        Assert.Equal(1, await cmd.ExecuteScalarAsync());
        Assert.Equal(0, starter.Calls);
    }

    private sealed class RefusingStarter : IEmbeddedDatabaseStarter
    {
        public int Calls { get; private set; }

        public Task<IEmbeddedDatabase> StartAsync(EmbeddedDatabaseRequest request, Microsoft.Extensions.Logging.ILogger logger, CancellationToken cancellationToken)
        {
            Calls++;
            throw new InvalidOperationException("a configured database must not start a cluster");
        }
    }
}
