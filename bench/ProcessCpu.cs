using System.Globalization;

namespace SubsidyEngine.Bench;

/// <summary>
/// CPU time of other processes on this machine, read from /proc (Linux): the service, its background JIT threads,
/// and a PostgreSQL cluster (the postmaster and its backends). Used to show where a request's CPU goes and to wait
/// until the service's JIT has settled before measuring.
/// </summary>
public static class ProcessCpu
{
    /// <summary>The kernel's clock ticks per second for /proc times (USER_HZ, 100 on Linux x86-64).</summary>
    private const double TicksPerSecond = 100;

    /// <summary>User + system CPU of one process (all its threads), or zero once it has exited.</summary>
    public static TimeSpan Of(int pid) => Ticks($"/proc/{pid}/stat") is { } t ? FromTicks(t) : TimeSpan.Zero;

    /// <summary>
    /// CPU used so far by each of the process's tiered-compilation threads (".NET Tiered Com…"), which recompile hot
    /// methods in the background for the first minute or so of load; by thread id, because these threads come and go.
    /// </summary>
    public static IReadOnlyDictionary<int, long> JitThreads(int pid)
    {
        var ticks = new Dictionary<int, long>();
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                var stat = Read(Path.Combine(task, "stat"));
                if (stat is not null && Comm(stat).StartsWith(".NET Tiered", StringComparison.Ordinal) && Fields(stat) is { } f
                    && int.TryParse(Path.GetFileName(task), out var tid))
                {
                    ticks[tid] = f.UserSystem;
                }
            }
        }
        catch (DirectoryNotFoundException)
        {
        }

        return ticks;
    }

    /// <summary>
    /// JIT CPU since <paramref name="before"/> (<see cref="JitThreads"/>): what the threads alive now used since then. A
    /// thread that ended in between is missed; they end only after seconds without work.
    /// </summary>
    public static TimeSpan JitSince(int pid, IReadOnlyDictionary<int, long> before) =>
        FromTicks(JitThreads(pid).Sum(t => t.Value - before.GetValueOrDefault(t.Key)));

    /// <summary>CPU of a PostgreSQL cluster: the postmaster (first line of postmaster.pid) and every process it started.</summary>
    public static TimeSpan OfCluster(string dataDirectory)
    {
        var pidFile = Path.Combine(dataDirectory, "postmaster.pid");
        if (!File.Exists(pidFile) || !int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), out var postmaster))
        {
            return TimeSpan.Zero;
        }

        long ticks = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            var stat = Read(Path.Combine(dir, "stat"));
            if (stat is not null && Fields(stat) is { } f && (pid == postmaster || f.ParentPid == postmaster))
            {
                ticks += f.UserSystem;
            }
        }

        return FromTicks(ticks);
    }

    private static TimeSpan FromTicks(long ticks) => TimeSpan.FromSeconds(ticks / TicksPerSecond);

    private static long? Ticks(string path) => Read(path) is { } stat ? Fields(stat)?.UserSystem : null;

    private static string? Read(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The command name: between the first '(' and the last ')' (it may hold spaces and parentheses).</summary>
    private static string Comm(string stat) => stat[(stat.IndexOf('(') + 1)..stat.LastIndexOf(')')];

    /// <summary>Fields after the command name: 0 state, 1 ppid, ..., 11 utime, 12 stime (proc(5), counted from 3).</summary>
    private static (int ParentPid, long UserSystem)? Fields(string stat)
    {
        var f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return f.Length > 12
            ? (int.Parse(f[1], CultureInfo.InvariantCulture), long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture))
            : null;
    }
}
