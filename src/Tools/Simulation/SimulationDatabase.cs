using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Npgsql;
using SubsidyEngine.Engine.Database;
using SubsidyEngine.Tools.Database;

namespace SubsidyEngine.Tools.Simulation;

/// <summary>
/// The database a simulation runs on: by default a fresh private PostgreSQL cluster in a temporary folder (the
/// service's embedded cluster code and server defaults), removed afterwards, so the user's data is never touched;
/// or a given connection string to an empty database. Migrated on open.
/// </summary>
public sealed class SimulationDatabase : IAsyncDisposable
{
    private readonly EmbeddedPostgres? _cluster;
    private readonly string? _folder;

    private SimulationDatabase(NpgsqlDataSource dataSource, EmbeddedPostgres? cluster, string? folder, string description)
    {
        DataSource = dataSource;
        _cluster = cluster;
        _folder = folder;
        Description = description;
    }

    public NpgsqlDataSource DataSource { get; }

    /// <summary>Where the simulation runs (for standard error, not for the summary).</summary>
    public string Description { get; }

    /// <summary>Starts a new cluster in a temporary folder on a free loopback port.</summary>
    public static async Task<SimulationDatabase> StartTemporaryAsync(string? binDirectory = null, ILogger? logger = null, CancellationToken ct = default)
    {
        var folder = Directory.CreateTempSubdirectory("subsidy-simulation-").FullName;
        if (!OperatingSystem.IsWindows())
        {
            // A root process runs the server as the postgres user, which must be able to enter the folder.
            File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }

        EmbeddedPostgres? cluster = null;
        try
        {
            cluster = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresSettings
            {
                ClusterDirectory = Path.Combine(folder, "pg"),
                Port = FreePort(),
                Database = "simulation",
                BinDirectory = binDirectory,
            }, logger, ct);
            var dataSource = NpgsqlDataSource.Create(cluster.ConnectionString);
            await new Migrator(dataSource).MigrateAsync(ct);
            return new SimulationDatabase(dataSource, cluster, folder, $"temporary cluster in {folder}");
        }
        catch
        {
            if (cluster is not null)
            {
                await cluster.DisposeAsync();
            }

            TryDelete(folder);
            throw;
        }
    }

    /// <summary>Uses an existing database, which must hold no dossiers yet (it is migrated first).</summary>
    public static async Task<SimulationDatabase> UseAsync(string connectionString, CancellationToken ct = default)
    {
        var dataSource = NpgsqlDataSource.Create(connectionString);
        try
        {
            await new Migrator(dataSource).MigrateAsync(ct);
            await using var cmd = dataSource.CreateCommand("SELECT count(*) FROM dossier");
            var existing = Convert.ToInt64(await cmd.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
            if (existing > 0)
            {
                throw new InvalidOperationException($"The simulation needs an empty database; this one holds {existing} dossiers.");
            }

            var b = new NpgsqlConnectionStringBuilder(connectionString);
            return new SimulationDatabase(dataSource, null, null, $"database {b.Database} on {b.Host}:{b.Port}");
        }
        catch
        {
            await dataSource.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }

        TryDelete(_folder);
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static void TryDelete(string? folder)
    {
        try
        {
            if (folder is not null && Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
