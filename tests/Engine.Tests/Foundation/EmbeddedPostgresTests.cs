using System.Net;
using System.Net.Sockets;
using Npgsql;
using SubsidyEngine.Tools.Database;
using SubsidyEngine.Testing;

namespace SubsidyEngine.Engine.Tests.Foundation;

public sealed class EmbeddedPostgresTests
{
    [Fact]
    public async Task A_restarted_cluster_keeps_its_data()
    {
        var root = TestCluster.NewTempFolder("restart");
        try
        {
            var settings = new EmbeddedPostgresSettings { ClusterDirectory = Path.Combine(root, "pg"), Port = TestCluster.FreePort(), Database = "keep", ServerSettings = TestCluster.FastSettings };
            await using (var first = await EmbeddedPostgres.StartAsync(settings))
            {
                await using var ds = NpgsqlDataSource.Create(first.ConnectionString);
                await using var cmd = ds.CreateCommand("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('still here')");
                await cmd.ExecuteNonQueryAsync();
            }

            Assert.False(File.Exists(Path.Combine(root, "pg", "postmaster.pid")), "the first cluster should be stopped");

            await using var second = await EmbeddedPostgres.StartAsync(settings with { Port = TestCluster.FreePort() });
            await using var ds2 = NpgsqlDataSource.Create(second.ConnectionString);
            await using var read = ds2.CreateCommand("SELECT v FROM kept");
            Assert.Equal("still here", await read.ExecuteScalarAsync());
        }
        finally
        {
            TestCluster.TryDelete(root);
        }
    }

    [Fact]
    public async Task Missing_server_binaries_fail_with_one_clear_sentence()
    {
        var root = TestCluster.NewTempFolder("nobin");
        try
        {
            var e = await Assert.ThrowsAsync<EmbeddedPostgresException>(() => EmbeddedPostgres.StartAsync(new EmbeddedPostgresSettings
            {
                ClusterDirectory = Path.Combine(root, "pg"),
                Port = TestCluster.FreePort(),
                BinDirectory = Path.Combine(root, "bogus-bin"),
            }));

            Assert.Contains("apt-get install postgresql", e.Message, StringComparison.Ordinal);
            Assert.Contains("ConnectionStrings:Subsidy", e.Message, StringComparison.Ordinal);
            Assert.DoesNotContain('\n', e.Message);
        }
        finally
        {
            TestCluster.TryDelete(root);
        }
    }

    [Fact]
    public async Task A_taken_port_fails_with_a_clear_message_naming_the_port_and_the_setting()
    {
        var root = TestCluster.NewTempFolder("port");
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var port = ((IPEndPoint)squatter.LocalEndpoint).Port;
        try
        {
            var e = await Assert.ThrowsAsync<EmbeddedPostgresException>(() => EmbeddedPostgres.StartAsync(new EmbeddedPostgresSettings
            {
                ClusterDirectory = Path.Combine(root, "pg"),
                Port = port,
            }));

            Assert.Contains($"Port {port}", e.Message, StringComparison.Ordinal);
            Assert.Contains("Subsidy:Embedded:Port", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            TestCluster.TryDelete(root);
        }
    }
}
