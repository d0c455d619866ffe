using System.Net;
using System.Net.Sockets;
using Npgsql;
using SubsidyEngine.Engine.Database;

namespace SubsidyEngine.Bench;

/// <summary>
/// A private PostgreSQL cluster for one benchmark run, with durability ON (fsync, synchronous commit): the
/// figures must reflect what users' data would cost. Removed at the end of the run.
/// </summary>
public sealed class BenchCluster : IAsyncDisposable
{
    private readonly string _root;

    private BenchCluster(string root, EmbeddedPostgres pg)
    {
        _root = root;
        Postgres = pg;
        // The service's own data source settings (DatabaseHandle), with a pool large enough for every client.
        DataSource = DatabaseHandle.CreateDataSource(pg.ConnectionString + ";Maximum Pool Size=200");
    }

    public EmbeddedPostgres Postgres { get; }

    public NpgsqlDataSource DataSource { get; }

    public static async Task<BenchCluster> StartAsync()
    {
        var root = Path.Combine(Path.GetTempPath(), "subsidy-bench", Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        File.SetUnixFileMode(Path.GetDirectoryName(root)!, (UnixFileMode)0b111_111_111 | UnixFileMode.StickyBit);
        File.SetUnixFileMode(root, (UnixFileMode)0b111_101_101);
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        var pg = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresSettings
        {
            ClusterDirectory = Path.Combine(root, "pg"),
            Port = port,
            Database = "bench",
            ServerSettings = new Dictionary<string, string> { ["max_connections"] = "250", ["shared_buffers"] = "256MB" },
        });
        var cluster = new BenchCluster(root, pg);
        await new Migrator(cluster.DataSource).MigrateAsync();
        return cluster;
    }

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        await Postgres.DisposeAsync();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
