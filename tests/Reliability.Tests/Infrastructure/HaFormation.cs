using System.Diagnostics;
using System.Globalization;
using System.Text;
using Npgsql;
using SubsidyEngine.Testing;

namespace SubsidyEngine.Reliability.Tests.Infrastructure;

/// <summary>
/// A PostgreSQL primary and a synchronous standby managed by pg_auto_failover (Debian <c>postgresql-15-auto-failover</c>
/// and <c>pg-auto-failover-cli</c>): a monitor node and two data nodes, all on 127.0.0.1 in a folder of their own, each
/// run by its own <c>pg_autoctl run</c> (the keeper) as the <c>postgres</c> OS user. The commands are the ones of
/// docs/deployment.md; <see cref="Commands"/> lists what was run. Disposing kills every process and deletes the folder.
/// </summary>
public sealed class HaFormation : IAsyncDisposable
{
    public const string Database = "subsidy";

    /// <summary>
    /// Monitor settings for the tests: health checks every second and a node unhealthy after 3 s, a lost primary
    /// demoted after 5 s (defaults 5 s, 20 s and 30 s: a failover takes about 50 s with them). The same knobs exist in
    /// production (docs/deployment.md).
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> FastMonitorSettings = new Dictionary<string, string>
    {
        ["pgautofailover.health_check_period"] = "1000",
        ["pgautofailover.health_check_timeout"] = "1000",
        ["pgautofailover.health_check_max_retries"] = "1",
        ["pgautofailover.health_check_retry_delay"] = "500",
        ["pgautofailover.node_considered_unhealthy_timeout"] = "3000",
        ["pgautofailover.primary_demote_timeout"] = "5000",
    };

    private static readonly bool AsRoot = Environment.UserName == "root";
    private readonly Action<string> _log;
    private readonly Dictionary<string, Process> _keepers = [];
    private readonly List<string> _commands = [];

    private HaFormation(string root, string binDirectory, int monitorPort, Node[] nodes, Action<string> log)
    {
        Root = root;
        BinDirectory = binDirectory;
        MonitorPort = monitorPort;
        Nodes = nodes;
        _log = log;
    }

    /// <summary>A data node: its name, port and data directory.</summary>
    public sealed record Node(string Name, int Port, string Data);

    public string Root { get; }

    public string BinDirectory { get; }

    public int MonitorPort { get; }

    public IReadOnlyList<Node> Nodes { get; }

    /// <summary>Every pg_autoctl and psql-level command this formation ran, in order (for docs/deployment.md).</summary>
    public IReadOnlyList<string> Commands => _commands;

    public string MonitorUri => $"postgres://autoctl_node@127.0.0.1:{MonitorPort}/pg_auto_failover?sslmode=disable";

    /// <summary>
    /// The multi-host connection string of the service: every data node, the one that accepts writes chosen by
    /// <paramref name="target"/> (<c>read-write</c> for the service, <c>prefer-standby</c> for stale reads).
    /// <c>Host Recheck Seconds=1</c>: Npgsql remembers a host it found down or of the wrong kind for that long
    /// (default 10 s), so it finds the promoted standby within a second.
    /// </summary>
    public string ConnectionString(string target = "read-write") =>
        $"Host={string.Join(',', Nodes.Select(n => $"127.0.0.1:{n.Port}"))};Database={Database};Username=postgres;" +
        $"Target Session Attributes={target};Host Recheck Seconds=1;Timeout=5;Command Timeout=30";

    /// <summary>A connection string to one node (checks and measurements).</summary>
    public string NodeConnectionString(Node node) => $"Host=127.0.0.1;Port={node.Port};Database={Database};Username=postgres;Pooling=false;Timeout=3";

    private string MonitorConnectionString => $"Host=127.0.0.1;Port={MonitorPort};Database=pg_auto_failover;Username=postgres;Pooling=false;Timeout=3";

    /// <summary>What stops a machine without the Debian packages, in one sentence; null when everything is there.</summary>
    public static string? MissingPackages()
    {
        var missing = new List<string>();
        if (FindOnPath("pg_autoctl") is null)
        {
            missing.Add("postgresql-15-auto-failover pg-auto-failover-cli");
        }

        if (FindOnPath("haproxy") is null && !File.Exists("/usr/sbin/haproxy"))
        {
            missing.Add("haproxy");
        }

        return missing.Count == 0 ? null : $"pg_auto_failover and HAProxy are needed: apt-get install -y --no-install-recommends {string.Join(' ', missing)} (scripts/install-prerequisites.sh does it)";
    }

    /// <summary>Creates and starts the monitor and two data nodes; returns when node 1 is primary and node 2 its synchronous standby.</summary>
    public static async Task<HaFormation> StartAsync(Action<string> log)
    {
        if (MissingPackages() is { } missing)
        {
            throw new InvalidOperationException(missing);
        }

        var root = TestCluster.NewTempFolder("ha");
        var bin = Directory.GetDirectories("/usr/lib/postgresql").OrderByDescending(d => d, StringComparer.Ordinal)
            .Select(d => Path.Combine(d, "bin")).First(d => File.Exists(Path.Combine(d, "pg_ctl")));
        var nodes = new[] { new Node("node1", TestCluster.FreePort(), Path.Combine(root, "node1")), new Node("node2", TestCluster.FreePort(), Path.Combine(root, "node2")) };
        var formation = new HaFormation(root, bin, TestCluster.FreePort(), nodes, log);
        try
        {
            await formation.CreateAsync();
            return formation;
        }
        catch
        {
            await formation.DisposeAsync();
            throw;
        }
    }

    private async Task CreateAsync()
    {
        if (AsRoot)
        {
            Run("chown", "-R", "postgres:", Root);
        }

        var watch = Stopwatch.StartNew();
        var monitor = Path.Combine(Root, "monitor");
        Autoctl("create", "monitor", "--pgdata", monitor, "--pgport", Port(MonitorPort), "--hostname", "127.0.0.1", "--auth", "trust", "--no-ssl");
        Autoctl("config", "set", "--pgdata", monitor, "postgresql.listen_addresses", "127.0.0.1");
        StartKeeper("monitor", monitor);
        await WaitAsync(async () => await QueryMonitorAsync("SELECT 1") is not null, TimeSpan.FromSeconds(60), "the monitor accepts connections");
        foreach (var (k, v) in FastMonitorSettings)
        {
            await ExecuteAsync(MonitorConnectionString, $"ALTER SYSTEM SET {k} = {v}");
        }

        await ExecuteAsync(MonitorConnectionString, "SELECT pg_reload_conf()");
        _log($"monitor ready on 127.0.0.1:{MonitorPort} after {watch.Elapsed.TotalSeconds:F1} s");

        for (var i = 0; i < Nodes.Count; i++)
        {
            var node = Nodes[i];
            Autoctl("create", "postgres", "--pgdata", node.Data, "--pgport", Port(node.Port), "--hostname", "127.0.0.1", "--listen", "127.0.0.1",
                "--name", node.Name, "--dbname", Database, "--monitor", MonitorUri, "--auth", "trust", "--no-ssl");
            if (i == 0)
            {
                // Test-only: no fsync (the OS does not crash here; a standby copies this file with its base backup).
                // Commits still wait for the synchronous standby. full_page_writes stays on: pg_rewind needs it.
                await File.AppendAllTextAsync(Path.Combine(node.Data, "postgresql.conf"), "\n# tests (HaFormation)\nfsync = off\nmax_connections = 300\n");
            }

            StartKeeper(node.Name, node.Data);
            var expected = i == 0 ? "single" : "secondary";
            await WaitForStatesAsync(s => s.GetValueOrDefault(node.Name) == (expected, expected) && (i == 0 || s.GetValueOrDefault(Nodes[0].Name) == ("primary", "primary")),
                TimeSpan.FromSeconds(120), $"{node.Name} {expected}");
            _log($"{node.Name} {expected} on 127.0.0.1:{node.Port} after {watch.Elapsed.TotalSeconds:F1} s");
        }

        _log($"pg_auto_failover formation ready in {watch.Elapsed.TotalSeconds:F1} s: {await DescribeAsync()}");
    }

    /// <summary>The node that is primary now (reported and assigned), or null.</summary>
    public async Task<Node?> PrimaryAsync()
    {
        var states = await StatesAsync();
        return Nodes.FirstOrDefault(n => states.GetValueOrDefault(n.Name) == ("primary", "primary") || states.GetValueOrDefault(n.Name) == ("wait_primary", "wait_primary"));
    }

    /// <summary>Node name → (reported state, goal state) as the monitor sees them; empty when the monitor does not answer.</summary>
    public async Task<Dictionary<string, (string Reported, string Goal)>> StatesAsync()
    {
        var rows = await QueryMonitorAsync("SELECT nodename, reportedstate::text, goalstate::text FROM pgautofailover.node ORDER BY nodeid");
        return rows?.ToDictionary(r => r[0], r => (r[1], r[2])) ?? [];
    }

    public async Task<string> DescribeAsync() => string.Join(", ", (await StatesAsync()).Select(kv => $"{kv.Key} {kv.Value.Reported}/{kv.Value.Goal}"));

    /// <summary>Waits until the monitor's states satisfy <paramref name="done"/>; returns how long it took.</summary>
    public async Task<TimeSpan> WaitForStatesAsync(Func<Dictionary<string, (string Reported, string Goal)>, bool> done, TimeSpan timeout, string what)
    {
        var watch = Stopwatch.StartNew();
        await WaitAsync(async () => done(await StatesAsync()), timeout, what);
        return watch.Elapsed;
    }

    /// <summary>
    /// The machine of <paramref name="node"/> is lost: kill -9 its keeper (<c>pg_autoctl run</c> and its children), then
    /// its postmaster. With the keeper alive, a killed postmaster is usually restarted in place within a second
    /// (docs/deployment.md); without it, the monitor fails over.
    /// </summary>
    public void KillNode(Node node)
    {
        var postmaster = PostmasterPid(node);
        if (_keepers.Remove(node.Name, out var keeper))
        {
            foreach (var pid in Descendants(keeper.Id).Where(p => p != postmaster).Prepend(keeper.Id))
            {
                Signal(pid);
            }

            keeper.WaitForExit(5_000);
            keeper.Dispose();
        }

        if (postmaster is { } pm)
        {
            Signal(pm);
        }

        _log($"{node.Name}: keeper and postmaster (pid {postmaster}) killed with SIGKILL");
    }

    /// <summary>The lost machine is back: its keeper starts again and rejoins the formation (as a standby, after pg_rewind).</summary>
    public void RestartNode(Node node) => StartKeeper(node.Name, node.Data);

    /// <summary>The postmaster's pid from postmaster.pid, or null.</summary>
    public static int? PostmasterPid(Node node)
    {
        try
        {
            var first = File.ReadLines(Path.Combine(node.Data, "postmaster.pid")).FirstOrDefault();
            return int.TryParse(first, NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid) ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>CPU seconds (user + system) of a node's postmaster and all its processes alive now (from /proc).</summary>
    public static double CpuSeconds(Node node)
    {
        if (PostmasterPid(node) is not { } pm)
        {
            return 0;
        }

        var ticks = 0L;
        foreach (var pid in Descendants(pm).Prepend(pm))
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                ticks += long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
            }
        }

        return ticks / 100.0; // USER_HZ
    }

    /// <summary>Rows of a query on one node (null when it does not answer).</summary>
    public async Task<List<string[]>?> QueryNodeAsync(Node node, string sql) => await QueryAsync(NodeConnectionString(node), sql);

    private Task<List<string[]>?> QueryMonitorAsync(string sql) => QueryAsync(MonitorConnectionString, sql);

    private static async Task<List<string[]>?> QueryAsync(string connectionString, string sql)
    {
        try
        {
            await using var conn = new NpgsqlConnection(connectionString);
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand(sql, conn);
            await using var r = await cmd.ExecuteReaderAsync();
            var rows = new List<string[]>();
            while (await r.ReadAsync())
            {
                rows.Add(Enumerable.Range(0, r.FieldCount).Select(i => r.IsDBNull(i) ? string.Empty : Convert.ToString(r.GetValue(i), CultureInfo.InvariantCulture)!).ToArray());
            }

            return rows;
        }
        catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException)
        {
            return null;
        }
    }

    private async Task ExecuteAsync(string connectionString, string sql)
    {
        _commands.Add($"psql -c \"{sql}\"");
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    private static async Task WaitAsync(Func<Task<bool>> done, TimeSpan timeout, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!await done())
        {
            if (watch.Elapsed > timeout)
            {
                throw new TimeoutException($"pg_auto_failover: not {what} after {timeout.TotalSeconds} s");
            }

            await Task.Delay(200);
        }
    }

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    /// <summary>pg_autoctl's own environment: configuration and state under the formation's folder.</summary>
    private string[] Environment_() =>
    [
        $"PATH={BinDirectory}:/usr/local/bin:/usr/bin:/bin", $"HOME={Root}", $"XDG_CONFIG_HOME={Path.Combine(Root, "config")}",
        $"XDG_DATA_HOME={Path.Combine(Root, "share")}", $"XDG_RUNTIME_DIR={Path.Combine(Root, "run")}", $"PG_CONFIG={Path.Combine(BinDirectory, "pg_config")}",
    ];

    private (string File, List<string> Args) AutoctlCommand(params string[] args)
    {
        var list = new List<string>();
        if (AsRoot)
        {
            list.AddRange(["-u", "postgres", "--"]);
        }

        list.Add("env");
        list.AddRange(Environment_());
        list.Add("pg_autoctl");
        list.AddRange(args);
        return (AsRoot ? "runuser" : "env", AsRoot ? list : list.Skip(1).ToList());
    }

    private void Autoctl(params string[] args)
    {
        _commands.Add("pg_autoctl " + string.Join(' ', args));
        var (file, list) = AutoctlCommand(args);
        var (code, output) = Run(file, [.. list]);
        if (code != 0)
        {
            throw new InvalidOperationException($"pg_autoctl {string.Join(' ', args)} failed (exit {code}):\n{output}");
        }
    }

    private void StartKeeper(string name, string pgdata)
    {
        _commands.Add($"pg_autoctl run --pgdata {pgdata}");
        var (file, list) = AutoctlCommand("run", "--pgdata", pgdata);
        var psi = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Root };
        foreach (var a in list)
        {
            psi.ArgumentList.Add(a);
        }

        var process = new Process { StartInfo = psi };
        var logFile = Path.Combine(Root, $"{name}.keeper.log");
        var sink = TextWriter.Synchronized(new StreamWriter(logFile, append: true) { AutoFlush = true });
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { sink.WriteLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { sink.WriteLine(e.Data); } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _keepers[name] = process;
        Live[process.Id] = process;
        InstallExitHook();
    }

    /// <summary>The last lines of a keeper's log (for failure messages).</summary>
    public string KeeperLogTail(string name, int lines = 30)
    {
        try
        {
            using var stream = new FileStream(Path.Combine(Root, $"{name}.keeper.log"), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            return string.Join('\n', reader.ReadToEnd().Split('\n').TakeLast(lines));
        }
        catch (IOException)
        {
            return "(no log)";
        }
    }

    private static IEnumerable<int> Descendants(int pid)
    {
        var children = new Dictionary<int, List<int>>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var p))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var ppid = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
                (children.TryGetValue(ppid, out var list) ? list : children[ppid] = []).Add(p);
            }
            catch (IOException)
            {
            }
        }

        var result = new List<int>();
        var queue = new Queue<int>([pid]);
        while (queue.Count > 0)
        {
            foreach (var c in children.GetValueOrDefault(queue.Dequeue()) ?? [])
            {
                result.Add(c);
                queue.Enqueue(c);
            }
        }

        return result;
    }

    private static void Signal(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            p.Kill();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
        }
    }

    private static (int Code, string Output) Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/" };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var output = new StringBuilder();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(180_000))
        {
            p.Kill(entireProcessTree: true);
        }

        return (p.HasExited ? p.ExitCode : -1, output.Append(stdout.Result).Append(stderr.Result).ToString());
    }

    private static string? FindOnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':').Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists);

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, Process> Live = new();
    private static int _exitHook;

    private static void InstallExitHook()
    {
        if (Interlocked.Exchange(ref _exitHook, 1) == 1)
        {
            return;
        }

        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var p in Live.Values)
            {
                try
                {
                    p.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                }
            }
        };
    }

    public async ValueTask DisposeAsync()
    {
        // Data nodes first (their keepers would otherwise wait for the monitor), then the monitor; then the files.
        foreach (var name in _keepers.Keys.OrderBy(k => k == "monitor" ? 1 : 0).ToList())
        {
            var keeper = _keepers[name];
            try
            {
                keeper.Kill(entireProcessTree: true);
                await keeper.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);
            }
            catch (Exception e) when (e is InvalidOperationException or OperationCanceledException)
            {
            }

            Live.TryRemove(keeper.Id, out _);
            keeper.Dispose();
        }

        // Postmasters of killed keepers (a kill of the tree reaches them too; a node killed by the test is already gone).
        foreach (var node in Nodes)
        {
            if (PostmasterPid(node) is { } pm)
            {
                Signal(pm);
            }
        }

        NpgsqlConnection.ClearAllPools();
        await Task.Delay(500);
        TestCluster.TryDelete(Root);
    }
}
