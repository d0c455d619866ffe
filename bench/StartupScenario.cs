using System.Diagnostics;
using System.Net.Sockets;

namespace SubsidyEngine.Bench;

/// <summary>
/// Start-up of the embedded default: from running the built service (<c>dotnet SubsidyEngine.Api.dll</c>, no
/// connection string) to <c>/health/ready</c> answering 200, first on an empty DataDirectory (initdb, database,
/// migrations, Hangfire schema) and then again on the existing cluster. Each run is stopped with SIGTERM, and the
/// embedded PostgreSQL must be gone afterwards (its postmaster process, its pid file and its port).
/// </summary>
public static class StartupScenario
{
    public static async Task<IReadOnlyList<string>> RunAsync(bool quick)
    {
        _ = quick; // two starts either way: the figure is one start, not a rate
        var root = Path.Combine(Path.GetTempPath(), "subsidy-bench", "startup-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        File.SetUnixFileMode(Path.GetDirectoryName(root)!, (UnixFileMode)0b111_111_111 | UnixFileMode.StickyBit);
        File.SetUnixFileMode(root, (UnixFileMode)0b111_101_101);
        try
        {
            // Baseline in the same run: a first start without the demo (Subsidy:Demo=false) on its own DataDirectory.
            var baseline = await StartAndStopAsync(root, Path.Combine(root, "data-nodemo"), "first start without the demo (baseline)", demo: false);
            var dataDirectory = Path.Combine(root, "data");
            var first = await StartAndStopAsync(root, dataDirectory, "first start (initdb, demo loaded)");
            if (!File.Exists(Path.Combine(dataDirectory, "demo", "loaded")))
            {
                throw new InvalidOperationException("the first start of the embedded default did not load the demo");
            }

            var second = await StartAndStopAsync(root, dataDirectory, "second start (existing cluster)");
            var target = first.Ready.TotalSeconds <= 10 && second.Ready.TotalSeconds <= 10 ? "met" : "NOT met";
            Console.WriteLine($"first start with the demo / without: {first.Ready.TotalSeconds / baseline.Ready.TotalSeconds:F2}x ({first.Ready.TotalSeconds:F2} s / {baseline.Ready.TotalSeconds:F2} s)");
            Console.WriteLine($"target <= 10 s: {target}");
            return
            [
                $"RESULT startup seconds={first.Ready.TotalSeconds:F2} second_start_s={second.Ready.TotalSeconds:F2} no_demo_first_start_s={baseline.Ready.TotalSeconds:F2} " +
                $"demo_ratio={first.Ready.TotalSeconds / baseline.Ready.TotalSeconds:F2} " +
                $"live_s={first.Live.TotalSeconds:F2} stop_s={first.Stop.TotalSeconds:F2} second_stop_s={second.Stop.TotalSeconds:F2} " +
                $"service_peak_rss_mb={Math.Max(first.PeakMb, second.PeakMb):F0}",
            ];
        }
        finally
        {
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private sealed record StartResult(TimeSpan Live, TimeSpan Ready, TimeSpan Stop, double PeakMb);

    private static async Task<StartResult> StartAndStopAsync(string root, string dataDirectory, string label, bool demo = true)
    {
        var embeddedPort = ServiceProcess.FreePort();
        var port = ServiceProcess.FreePort();
        var sw = Stopwatch.StartNew();
        await using var service = ServiceProcess.Start(root, port, new Dictionary<string, string?>
        {
            ["ConnectionStrings__Subsidy"] = null,
            ["Subsidy__DataDirectory"] = dataDirectory,
            ["Subsidy__Embedded__Port"] = embeddedPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Subsidy__Demo"] = demo ? "true" : "false",
        }, Path.Combine(root, $"service-{port}.log"));

        // Kestrel listens only after the start-up work (cluster, migrations), so live and ready come close together.
        var live = await service.WaitForAsync("/health/live", sw, TimeSpan.FromSeconds(120));
        var ready = await service.WaitForAsync("/health/ready", sw, TimeSpan.FromSeconds(120));
        Console.WriteLine($"{label}: /health/live after {live.TotalSeconds:F2} s, /health/ready after {ready.TotalSeconds:F2} s (embedded port {embeddedPort}, http port {port})");

        // Where the seconds went: the service's log lines, timed from the start command.
        foreach (var line in service.Tail(200).Split('\n').Where(l => l.Contains("info:", StringComparison.Ordinal) && !l.Contains("Hangfire", StringComparison.Ordinal) && !l.Contains("Applied migration", StringComparison.Ordinal)).Take(12))
        {
            Console.WriteLine($"  {(line.Length > 160 ? line[..160] : line)}");
        }

        var pidFile = Path.Combine(dataDirectory, "pg", "postmaster.pid");
        if (!File.Exists(pidFile))
        {
            throw new InvalidOperationException($"no {pidFile}: the embedded cluster is not where it should be");
        }

        var postmaster = int.Parse((await File.ReadAllLinesAsync(pidFile))[0].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        if (!Directory.Exists($"/proc/{postmaster}"))
        {
            throw new InvalidOperationException($"the postmaster {postmaster} of {pidFile} is not running");
        }

        var peak = service.PeakRssMb() ?? double.NaN;
        var stop = await service.StopAsync(TimeSpan.FromSeconds(60));
        if (service.ExitCode != 0)
        {
            throw new InvalidOperationException($"the service exited with code {service.ExitCode} after SIGTERM; log: {service.LogPath}\n{service.Tail()}");
        }

        // The embedded PostgreSQL must have stopped with the service: process gone, pid file removed, port closed.
        var gone = Stopwatch.StartNew();
        while (Directory.Exists($"/proc/{postmaster}") && gone.Elapsed < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(20);
        }

        if (Directory.Exists($"/proc/{postmaster}"))
        {
            throw new InvalidOperationException($"the embedded PostgreSQL (postmaster {postmaster}) still runs after the service stopped");
        }

        if (File.Exists(pidFile))
        {
            throw new InvalidOperationException($"{pidFile} still exists after the service stopped");
        }

        using (var probe = new TcpClient())
        {
            try
            {
                await probe.ConnectAsync("127.0.0.1", embeddedPort);
                throw new InvalidOperationException($"port {embeddedPort} still accepts connections after the service stopped");
            }
            catch (SocketException)
            {
                // closed, as it should be
            }
        }

        Console.WriteLine($"{label}: stopped {stop.TotalSeconds:F2} s after SIGTERM (exit code 0); postmaster {postmaster} gone, pid file removed, port {embeddedPort} closed; service peak RSS {peak:F0} MB");
        return new StartResult(live, ready, stop, peak);
    }
}
