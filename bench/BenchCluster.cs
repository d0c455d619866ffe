using System.Net;
using System.Net.Sockets;
using Npgsql;
using SubsidyEngine.Engine.Database;
using SubsidyEngine.Tools.Database;

namespace SubsidyEngine.Bench;

/// <summary>
/// A private PostgreSQL cluster for one benchmark run, with durability ON (fsync, synchronous commit): the
/// figures must reflect what users' data would cost. Removed at the end of the run.
/// </summary>
public sealed class BenchCluster : IAsyncDisposable
{
    private readonly string _root;
    private readonly bool _keep;

    private BenchCluster(string root, EmbeddedPostgres pg, bool keep)
    {
        _root = root;
        _keep = keep;
        Postgres = pg;
        // The service's own data source settings (DatabaseHandle), with a pool large enough for every client.
        DataSource = DatabaseHandle.CreateDataSource(pg.ConnectionString + ";Maximum Pool Size=200");
    }

    public EmbeddedPostgres Postgres { get; }

    public NpgsqlDataSource DataSource { get; }

    /// <param name="serverSettings">Server settings over the defaults.</param>
    /// <param name="keptRoot">
    /// A folder the cluster lives in and is kept in after the run (stopped, not removed); a later run with the same
    /// folder starts the same cluster again (the <c>scale</c> scenario's <c>SCALE_KEEP</c>). Null: a fresh folder,
    /// removed at the end.
    /// </param>
    public static async Task<BenchCluster> StartAsync(IReadOnlyDictionary<string, string>? serverSettings = null, string? keptRoot = null)
    {
        var root = keptRoot ?? Path.Combine(Path.GetTempPath(), "subsidy-bench", Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        if (keptRoot is null)
        {
            File.SetUnixFileMode(Path.GetDirectoryName(root)!, (UnixFileMode)0b111_111_111 | UnixFileMode.StickyBit);
        }

        File.SetUnixFileMode(root, (UnixFileMode)0b111_101_101);
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        var settings = new Dictionary<string, string> { ["max_connections"] = "250", ["shared_buffers"] = "256MB" };
        foreach (var (k, v) in serverSettings ?? new Dictionary<string, string>())
        {
            settings[k] = v;
        }

        if (Statements)
        {
            settings["shared_preload_libraries"] = "pg_stat_statements";
            settings["pg_stat_statements.track"] = "all";
            settings["pg_stat_statements.track_planning"] = "on";
            settings["track_functions"] = "all";
        }

        var pg = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresSettings
        {
            ClusterDirectory = Path.Combine(root, "pg"),
            Port = port,
            Database = "bench",
            ServerSettings = settings,
        });
        var cluster = new BenchCluster(root, pg, keptRoot is not null);
        await new Migrator(cluster.DataSource).MigrateAsync();
        if (Statements)
        {
            await using var cmd = cluster.DataSource.CreateCommand("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
            await cmd.ExecuteNonQueryAsync();
        }

        return cluster;
    }

    /// <summary>
    /// A running server's steady state for the WAL: it writes into recycled segment files, where a fresh cluster
    /// creates and zero-fills each new 16 MB file while every commit waits (docs/benchmarks.md, http). Makes sure
    /// pg_wal holds at least <paramref name="segments"/> segment files (switching to a new segment after a one-row
    /// write until it does), then runs a checkpoint, which keeps the files before it for reuse (up to max_wal_size);
    /// returns the segment files in pg_wal.
    /// </summary>
    public async Task<long> RecycleWalAsync(int segments)
    {
        async Task<long> CountAsync()
        {
            await using var count = DataSource.CreateCommand("SELECT count(*) FROM pg_ls_waldir() WHERE name ~ '^[0-9A-F]{24}$'");
            return (long)(await count.ExecuteScalarAsync())!;
        }

        await using (var table = DataSource.CreateCommand("CREATE TABLE IF NOT EXISTS bench_wal_switch (at timestamptz NOT NULL)"))
        {
            await table.ExecuteNonQueryAsync();
        }

        for (var have = await CountAsync(); have < segments; have++)
        {
            await using var next = DataSource.CreateCommand("INSERT INTO bench_wal_switch VALUES (now()); SELECT pg_switch_wal();");
            await next.ExecuteNonQueryAsync();
        }

        await using (var checkpoint = DataSource.CreateCommand("CHECKPOINT"))
        {
            checkpoint.CommandTimeout = 300;
            await checkpoint.ExecuteNonQueryAsync();
        }

        return await CountAsync();
    }

    /// <summary>Checkpoints the cluster has started so far (timed and requested).</summary>
    public async Task<long> CheckpointsAsync()
    {
        await using var cmd = DataSource.CreateCommand("SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter");
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    /// <summary>
    /// <c>SUBSIDY_BENCH_STATEMENTS=1</c>: the cluster loads pg_stat_statements, and scenarios print, per measured phase,
    /// the statements PostgreSQL spent its time on (a diagnostic; it costs a little CPU itself).
    /// </summary>
    public static bool Statements => Environment.GetEnvironmentVariable("SUBSIDY_BENCH_STATEMENTS") == "1";

    /// <summary>With <see cref="Statements"/>: forgets the statistics so far.</summary>
    public async Task ResetStatementsAsync()
    {
        if (Statements)
        {
            await using var cmd = DataSource.CreateCommand("SELECT pg_stat_statements_reset(), pg_stat_reset()");
            await cmd.ExecuteNonQueryAsync();
        }
    }

    /// <summary>With <see cref="Statements"/>: the statements since the last reset, by execution time, per operation.</summary>
    public async Task PrintStatementsAsync(string phase, long operations)
    {
        if (!Statements)
        {
            return;
        }

        await using var cmd = DataSource.CreateCommand(
            """
            SELECT calls, total_exec_time, total_plan_time, rows, shared_blks_hit, wal_records, wal_bytes, left(regexp_replace(query, '\s+', ' ', 'g'), 160)
            FROM pg_stat_statements WHERE calls > 0 ORDER BY total_exec_time DESC LIMIT 12
            """);
        await using var r = await cmd.ExecuteReaderAsync();
        Console.WriteLine($"statements during {phase} ({operations} operations), per operation: calls, exec us, plan us, rows, buffer hits, WAL records, WAL bytes");
        while (await r.ReadAsync())
        {
            double Per(double v) => v / Math.Max(1, operations);
            Console.WriteLine($"  {Per(r.GetInt64(0)),6:F2} {Per(r.GetDouble(1) * 1000),8:F1} {Per(r.GetDouble(2) * 1000),6:F1} {Per(r.GetInt64(3)),6:F2} {Per(r.GetInt64(4)),6:F1} " +
                              $"{Per(r.GetInt64(5)),5:F1} {Per((double)r.GetDecimal(6)),7:F0}  {r.GetString(7)}");
        }

        // Functions (track_functions = all): triggers included, e.g. the journal's append guard. Backends report these
        // when idle, at most once a second: wait for the last reports.
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        await r.DisposeAsync();
        await using var functions = DataSource.CreateCommand("SELECT calls, total_time, self_time, funcname FROM pg_stat_user_functions WHERE calls > 0 ORDER BY total_time DESC LIMIT 8");
        await using var f = await functions.ExecuteReaderAsync();
        Console.WriteLine("functions, per operation: calls, total us, self us");
        while (await f.ReadAsync())
        {
            double Per(double v) => v / Math.Max(1, operations);
            Console.WriteLine($"  {Per(f.GetInt64(0)),6:F2} {Per(f.GetDouble(1) * 1000),8:F1} {Per(f.GetDouble(2) * 1000),8:F1}  {f.GetString(3)}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        await Postgres.DisposeAsync();
        if (_keep)
        {
            return;
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
