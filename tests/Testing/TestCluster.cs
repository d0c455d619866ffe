using System.Net;
using System.Net.Sockets;
using Npgsql;
using SubsidyEngine.Engine.Database;
using SubsidyEngine.Tools.Database;

namespace SubsidyEngine.Testing;

/// <summary>
/// One private PostgreSQL cluster per test process, provisioned by the same code as the service's embedded
/// default, in a temp folder (never the developer's ./.data), with fsync off for speed. A migrated template
/// database is made once; each test class copies it (<see cref="PostgresDatabase"/>).
/// </summary>
public static class TestCluster
{
    public const string TemplateDatabase = "subsidy_template";
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static EmbeddedPostgres? _cluster;
    private static string? _root;

    /// <summary>Test-only server settings: durability traded for speed.</summary>
    public static IReadOnlyDictionary<string, string> FastSettings { get; } = new Dictionary<string, string>
    {
        ["fsync"] = "off",
        ["synchronous_commit"] = "off",
        ["full_page_writes"] = "off",
        ["max_connections"] = "300",
    };

    public static async Task<EmbeddedPostgres> GetAsync()
    {
        if (_cluster is not null)
        {
            return _cluster;
        }

        await Gate.WaitAsync();
        try
        {
            if (_cluster is not null)
            {
                return _cluster;
            }

            _root = NewTempFolder("cluster");
            var cluster = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresSettings
            {
                ClusterDirectory = Path.Combine(_root, "pg"),
                Port = FreePort(),
                Database = "postgres",
                ServerSettings = FastSettings,
            });
            await cluster.EnsureDatabaseAsync(TemplateDatabase, CancellationToken.None);
            await using (var ds = NpgsqlDataSource.Create(cluster.BuildConnectionString(TemplateDatabase) + ";Pooling=false"))
            {
                await new Migrator(ds).MigrateAsync();
            }

            AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            {
                cluster.StopAsync().GetAwaiter().GetResult();
                TryDelete(_root);
            };
            _cluster = cluster;
            return cluster;
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>A fresh, migrated database copied from the template.</summary>
    public static async Task<string> CreateDatabaseAsync(string prefix = "t")
    {
        var cluster = await GetAsync();
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(40, prefix.Length + 33)];
        // CREATE DATABASE ... TEMPLATE needs the template idle: serialise the copies.
        await Gate.WaitAsync();
        try
        {
            await cluster.EnsureDatabaseAsync(name, CancellationToken.None, TemplateDatabase);
        }
        finally
        {
            Gate.Release();
        }

        return cluster.BuildConnectionString(name);
    }

    /// <summary>An empty database (no migrations), for migration tests.</summary>
    public static async Task<string> CreateEmptyDatabaseAsync()
    {
        var cluster = await GetAsync();
        var name = $"e_{Guid.NewGuid():N}";
        await cluster.EnsureDatabaseAsync(name, CancellationToken.None);
        return cluster.BuildConnectionString(name);
    }

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>A temp folder that the postgres OS user can enter (tests run as root).</summary>
    public static string NewTempFolder(string purpose)
    {
        var dir = Path.Combine(Path.GetTempPath(), "subsidy-tests", $"{purpose}-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
        Directory.CreateDirectory(dir);
        if (!OperatingSystem.IsWindows())
        {
            var open = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
            File.SetUnixFileMode(dir, open);
            File.SetUnixFileMode(Path.GetDirectoryName(dir)!, open | UnixFileMode.OtherWrite | UnixFileMode.GroupWrite | UnixFileMode.StickyBit);
        }

        return dir;
    }

    public static void TryDelete(string? dir)
    {
        try
        {
            if (dir is not null && Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
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

/// <summary>
/// A class fixture: an isolated, migrated database for one test class. <see cref="ResetAsync"/> empties every
/// table (the journal's append-only triggers are bypassed with session_replication_role, as a superuser may).
/// </summary>
public sealed class PostgresDatabase : IAsyncLifetime
{
    private NpgsqlDataSource? _dataSource;

    public string ConnectionString { get; private set; } = string.Empty;

    public NpgsqlDataSource DataSource => _dataSource ?? throw new InvalidOperationException("fixture not initialised");

    public async Task InitializeAsync()
    {
        ConnectionString = await TestCluster.CreateDatabaseAsync();
        _dataSource = NpgsqlDataSource.Create(ConnectionString);
    }

    public async Task ResetAsync()
    {
        await using var conn = await DataSource.OpenConnectionAsync();
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = """
            SET session_replication_role = replica;
            DO $$
            DECLARE t text;
            BEGIN
                SELECT string_agg(format('%I', tablename), ', ') INTO t
                FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_version';
                IF t IS NOT NULL THEN EXECUTE 'TRUNCATE ' || t || ' RESTART IDENTITY CASCADE'; END IF;
            END $$;
            SET session_replication_role = origin;
            """;
        await cmd.ExecuteNonQueryAsync();
    }

    public async Task DisposeAsync()
    {
        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
        }
    }
}
