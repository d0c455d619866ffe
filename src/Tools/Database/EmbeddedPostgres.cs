using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using SubsidyEngine.Engine.Database;

namespace SubsidyEngine.Tools.Database;

/// <summary>Raised when the embedded cluster cannot be provisioned; the message is meant for the operator as is.</summary>
public sealed class EmbeddedPostgresException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Settings for one private cluster.</summary>
public sealed record EmbeddedPostgresSettings
{
    /// <summary>The cluster folder (PGDATA). Created by <c>initdb</c> when it holds no cluster yet.</summary>
    public required string ClusterDirectory { get; init; }

    public required int Port { get; init; }

    public string Database { get; init; } = "subsidy";

    /// <summary>Explicit folder of the server binaries; searched for when null.</summary>
    public string? BinDirectory { get; init; }

    /// <summary>
    /// Extra <c>-c name=value</c> server settings. Tests turn fsync off here; the service's embedded default never does.
    /// </summary>
    public IReadOnlyDictionary<string, string> ServerSettings { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Whether a server found already running on the folder (left by a crashed process) is stopped on dispose.
    /// The service adopts and owns it; a CLI verb running beside a live service must leave it alone.
    /// </summary>
    public bool StopAdoptedServer { get; init; } = true;
}

/// <summary>
/// A private PostgreSQL cluster owned by this process: found binaries, <c>initdb</c> on first use, started on
/// 127.0.0.1 only, stopped cleanly on <see cref="DisposeAsync"/>. PostgreSQL refuses to run as root, so a root
/// process runs the server as the <c>postgres</c> OS user (created when missing).
/// </summary>
public sealed class EmbeddedPostgres : IEmbeddedDatabase
{
    private const string ServerUser = "postgres";
    private readonly ILogger _logger;
    private readonly bool _asRoot;
    private bool _startedByUs;

    private EmbeddedPostgres(EmbeddedPostgresSettings settings, string binDirectory, ILogger logger)
    {
        Settings = settings;
        BinDirectory = binDirectory;
        _logger = logger;
        _asRoot = Environment.IsPrivilegedProcess;
    }

    public EmbeddedPostgresSettings Settings { get; }

    public string BinDirectory { get; }

    /// <summary>Connection string to the application database (trust authentication on loopback).</summary>
    public string ConnectionString => BuildConnectionString(Settings.Database);

    /// <summary>Connection string to another database of the same cluster.</summary>
    public string BuildConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Settings.Port,
        Username = ServerUser,
        Database = database,
        Pooling = true,
        MaxPoolSize = 100,
        Timeout = 15,
    }.ConnectionString;

    /// <summary>Provisions (first time) or reuses (later) the cluster, starts it and creates the database.</summary>
    public static async Task<EmbeddedPostgres> StartAsync(EmbeddedPostgresSettings settings, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        logger ??= NullLogger.Instance;
        var bin = FindBinaries(settings.BinDirectory);
        var pg = new EmbeddedPostgres(settings, bin, logger);
        await pg.StartCoreAsync(cancellationToken);
        return pg;
    }

    /// <summary>
    /// Finds the PostgreSQL server binaries: the explicit folder, then <c>pg_config --bindir</c>, then the newest
    /// <c>/usr/lib/postgresql/*/bin</c>. Throws one clear sentence when none holds <c>initdb</c> and <c>pg_ctl</c>.
    /// </summary>
    public static string FindBinaries(string? explicitBinDirectory)
    {
        static bool HasServer(string dir) => File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl"));

        if (!string.IsNullOrWhiteSpace(explicitBinDirectory))
        {
            if (HasServer(explicitBinDirectory))
            {
                return explicitBinDirectory;
            }

            throw NoBinaries($"the configured folder '{explicitBinDirectory}' holds no initdb and pg_ctl");
        }

        var fromPgConfig = TryRun("pg_config", "--bindir");
        if (fromPgConfig is not null && HasServer(fromPgConfig.Trim()))
        {
            return fromPgConfig.Trim();
        }

        const string debianRoot = "/usr/lib/postgresql";
        if (Directory.Exists(debianRoot))
        {
            var candidates = Directory.GetDirectories(debianRoot)
                .Select(d => (dir: Path.Combine(d, "bin"), version: decimal.TryParse(Path.GetFileName(d), System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : 0m))
                .Where(c => HasServer(c.dir))
                .OrderByDescending(c => c.version)
                .ToList();
            if (candidates.Count > 0)
            {
                return candidates[0].dir;
            }
        }

        throw NoBinaries("none were found on this machine");
    }

    private static EmbeddedPostgresException NoBinaries(string detail) => new(
        $"PostgreSQL server binaries are needed for the embedded database but {detail}: install PostgreSQL " +
        "(e.g. `apt-get install postgresql`) or set a connection string in ConnectionStrings:Subsidy " +
        "(environment variable ConnectionStrings__Subsidy).");

    private async Task StartCoreAsync(CancellationToken cancellationToken)
    {
        var dir = Path.GetFullPath(Settings.ClusterDirectory);
        Directory.CreateDirectory(dir);
        if (_asRoot)
        {
            EnsureServerUser();
        }

        if (!File.Exists(Path.Combine(dir, "PG_VERSION")))
        {
            if (Directory.EnumerateFileSystemEntries(dir).Any())
            {
                throw new EmbeddedPostgresException($"The folder '{dir}' is not empty and holds no PostgreSQL cluster; empty it or point Subsidy:DataDirectory elsewhere.");
            }

            var sw = Stopwatch.StartNew();
            PrepareOwnership(dir);
            RunServerTool("initdb", ["-D", dir, "-U", ServerUser, "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-instructions"]);
            _logger.LogInformation("Initialised a new PostgreSQL cluster in {Directory} ({Elapsed} ms)", dir, sw.ElapsedMilliseconds);
        }
        else
        {
            PrepareOwnership(dir);
        }

        if (IsRunning(dir))
        {
            // A previous service process died without stopping it (kill -9): adopt the running server.
            _logger.LogWarning("The embedded PostgreSQL cluster in {Directory} is already running; reusing it", dir);
            _startedByUs = Settings.StopAdoptedServer;
        }
        else
        {
            EnsurePortFree(Settings.Port);
            var options = new List<string> { $"-p {Settings.Port}", "-c listen_addresses=127.0.0.1", "-c unix_socket_directories=''" };
            options.AddRange(Settings.ServerSettings.Select(kv => $"-c {kv.Key}={kv.Value}"));
            var logFile = Path.Combine(dir, "..", Path.GetFileName(dir) + ".log");
            logFile = Path.GetFullPath(logFile);
            if (!File.Exists(logFile))
            {
                await File.WriteAllTextAsync(logFile, string.Empty, cancellationToken);
            }

            PrepareOwnership(logFile);
            var sw = Stopwatch.StartNew();
            try
            {
                RunServerTool("pg_ctl", ["-D", dir, "-l", logFile, "-w", "-t", "60", "-o", string.Join(' ', options), "start"]);
            }
            catch (EmbeddedPostgresException e)
            {
                var tail = TailOf(logFile, 10);
                throw new EmbeddedPostgresException($"{e.Message}\nServer log ({logFile}):\n{tail}", e);
            }

            _startedByUs = true;
            _logger.LogInformation("Started PostgreSQL on 127.0.0.1:{Port} ({Elapsed} ms)", Settings.Port, sw.ElapsedMilliseconds);
        }

        await WaitForConnectionsAsync(cancellationToken);
        await EnsureDatabaseAsync(Settings.Database, cancellationToken);
    }

    /// <summary>Creates a database in this cluster when it does not exist yet (optionally as a copy of a template).</summary>
    public async Task EnsureDatabaseAsync(string database, CancellationToken cancellationToken, string? template = null)
    {
        await using var conn = new NpgsqlConnection(BuildConnectionString("postgres"));
        await conn.OpenAsync(cancellationToken);
        await using (var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", conn))
        {
            exists.Parameters.AddWithValue(database);
            if (await exists.ExecuteScalarAsync(cancellationToken) is not null)
            {
                return;
            }
        }

        var sql = $"CREATE DATABASE {QuoteIdentifier(database)}" + (template is null ? string.Empty : $" TEMPLATE {QuoteIdentifier(template)}");
        await using var create = new NpgsqlCommand(sql, conn);
        try
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateDatabase)
        {
            // Another process created it between our check and our CREATE: fine.
        }
    }

    private static string QuoteIdentifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private async Task WaitForConnectionsAsync(CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await using var conn = new NpgsqlConnection(BuildConnectionString("postgres") + ";Pooling=false");
                await conn.OpenAsync(cancellationToken);
                return;
            }
            catch (Exception e) when (e is NpgsqlException or SocketException or TimeoutException && deadline.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(50, cancellationToken);
            }
        }
    }

    private bool IsRunning(string dir)
    {
        if (!File.Exists(Path.Combine(dir, "postmaster.pid")))
        {
            return false;
        }

        // pg_ctl status exits 0 when a server runs on this data folder, 3 when not.
        var (code, _) = Run(ServerCommand("pg_ctl", ["-D", dir, "status"]));
        return code == 0;
    }

    private static void EnsurePortFree(int port)
    {
        try
        {
            using var probe = new TcpListener(IPAddress.Loopback, port);
            probe.Start();
            probe.Stop();
        }
        catch (SocketException e)
        {
            throw new EmbeddedPostgresException(
                $"Port {port} on 127.0.0.1 is already in use by another program, so the embedded PostgreSQL cannot start; " +
                "stop that program or choose another port with Subsidy:Embedded:Port (environment variable Subsidy__Embedded__Port).", e);
        }
    }

    private void EnsureServerUser()
    {
        if (Run(("id", ["-u", ServerUser])).code == 0)
        {
            return;
        }

        var (code, output) = Run(("useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", ServerUser]));
        if (code != 0)
        {
            throw new EmbeddedPostgresException($"Running as root, the embedded PostgreSQL needs an OS user '{ServerUser}', and creating it failed: {output.Trim()}");
        }

        _logger.LogInformation("Created the system user {User} to run the embedded PostgreSQL", ServerUser);
    }

    private void PrepareOwnership(string path)
    {
        if (!_asRoot)
        {
            return;
        }

        var (code, output) = Run(("chown", ["-R", $"{ServerUser}:", path]));
        if (code != 0)
        {
            throw new EmbeddedPostgresException($"Could not hand '{path}' to the '{ServerUser}' user: {output.Trim()}");
        }

        if (Directory.Exists(path) && !OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        // The server user must be able to walk down to the folder.
        var (walk, _) = Run(("runuser", ["-u", ServerUser, "--", "test", "-r", path]));
        if (walk != 0)
        {
            throw new EmbeddedPostgresException(
                $"The '{ServerUser}' user cannot reach '{path}' (a parent folder is private); choose a Subsidy:DataDirectory under a folder others may enter, e.g. /var/lib/subsidy-engine.");
        }
    }

    private (string file, IReadOnlyList<string> args) ServerCommand(string tool, IReadOnlyList<string> args)
    {
        var exe = Path.Combine(BinDirectory, tool);
        return _asRoot ? ("runuser", ["-u", ServerUser, "--", exe, .. args]) : (exe, args);
    }

    private void RunServerTool(string tool, IReadOnlyList<string> args)
    {
        var (code, output) = Run(ServerCommand(tool, args));
        if (code != 0)
        {
            throw new EmbeddedPostgresException($"{tool} failed (exit {code}): {output.Trim()}");
        }
    }

    private static (int code, string output) Run((string file, IReadOnlyList<string> args) command)
    {
        var psi = new ProcessStartInfo(command.file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        foreach (var a in command.args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi) ?? throw new EmbeddedPostgresException($"Could not start {command.file}.");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    private static string? TryRun(string file, params string[] args)
    {
        try
        {
            var (code, output) = Run((file, args));
            return code == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    private static string TailOf(string file, int lines)
    {
        try
        {
            return string.Join('\n', File.ReadLines(file).TakeLast(lines));
        }
        catch (IOException)
        {
            return "(unreadable)";
        }
    }

    /// <summary>Stops the server (fast shutdown: sessions are ended, committed data is safe).</summary>
    public Task StopAsync()
    {
        if (!_startedByUs)
        {
            return Task.CompletedTask;
        }

        NpgsqlConnection.ClearAllPools();
        var (code, output) = Run(ServerCommand("pg_ctl", ["-D", Path.GetFullPath(Settings.ClusterDirectory), "-m", "fast", "-w", "-t", "60", "stop"]));
        if (code == 0)
        {
            _logger.LogInformation("Stopped the embedded PostgreSQL");
        }
        else if (!output.Contains("no server running", StringComparison.OrdinalIgnoreCase) && !output.Contains("PID file", StringComparison.Ordinal))
        {
            _logger.LogWarning("Stopping the embedded PostgreSQL failed: {Output}", output.Trim());
        }

        _startedByUs = false;
        return Task.CompletedTask;
    }

    /// <summary>Restarts the server immediately (crash-like), for outage tests.</summary>
    public void RestartImmediate(TimeSpan downtime)
    {
        var dir = Path.GetFullPath(Settings.ClusterDirectory);
        RunServerTool("pg_ctl", ["-D", dir, "-m", "immediate", "-w", "stop"]);
        Thread.Sleep(downtime);
        var options = new List<string> { $"-p {Settings.Port}", "-c listen_addresses=127.0.0.1", "-c unix_socket_directories=''" };
        options.AddRange(Settings.ServerSettings.Select(kv => $"-c {kv.Key}={kv.Value}"));
        RunServerTool("pg_ctl", ["-D", dir, "-l", Path.GetFullPath(Path.Combine(dir, "..", Path.GetFileName(dir) + ".log")), "-w", "-o", string.Join(' ', options), "start"]);
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}
