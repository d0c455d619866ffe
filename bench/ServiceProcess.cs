using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SubsidyEngine.Bench;

/// <summary>
/// The real service (the Release build of src/Api, run as <c>dotnet SubsidyEngine.Api.dll</c>) as a separate
/// process: started with the given environment, its output kept in a log file, stopped with SIGTERM.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;

    private ServiceProcess(Process process, StreamWriter log, string logPath, int port)
    {
        _process = process;
        _log = log;
        LogPath = logPath;
        Port = port;
    }

    public string LogPath { get; }

    public int Port { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}");

    /// <summary>The Release build of the service; built together with the bench project (see SubsidyEngine.Bench.csproj).</summary>
    public static string ApiDll()
    {
        var root = RepoRoot();
        var dll = Path.Combine(root, "src", "Api", "bin", "Release", "net10.0", "SubsidyEngine.Api.dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"the Release build of the service is missing: run `dotnet build -c Release src/Api` ({dll})");
        }

        return dll;
    }

    /// <summary>The repository root: the first parent of the bench binaries holding SubsidyEngine.sln.</summary>
    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SubsidyEngine.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("no SubsidyEngine.sln above " + AppContext.BaseDirectory);
    }

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    /// <summary>
    /// Starts <c>dotnet SubsidyEngine.Api.dll</c> in <paramref name="workingDirectory"/> with <paramref name="environment"/>
    /// (a null value removes an inherited variable) and Subsidy__Port = <paramref name="port"/>.
    /// </summary>
    public static ServiceProcess Start(string workingDirectory, int port, IReadOnlyDictionary<string, string?> environment, string logPath)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(ApiDll());
        psi.Environment.Remove("ConnectionStrings__Subsidy");
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        psi.Environment["DOTNET_ENVIRONMENT"] = "Production";

        // The project folder as content root, as with `dotnet run --project src/Api`: its appsettings.json (log levels)
        // and wwwroot apply; the working directory stays the caller's scratch folder.
        psi.Environment["ASPNETCORE_CONTENTROOT"] = Path.Combine(RepoRoot(), "src", "Api");
        psi.Environment["Subsidy__Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        psi.Environment["Subsidy__PublicBaseUrl"] = $"http://127.0.0.1:{port}";
        psi.Environment["Subsidy__Letters__AgencyIban"] = "BE71 0961 2345 6769";
        foreach (var (key, value) in environment)
        {
            if (value is null)
            {
                psi.Environment.Remove(key);
            }
            else
            {
                psi.Environment[key] = value;
            }
        }

        var log = new StreamWriter(logPath, append: false, Encoding.UTF8) { AutoFlush = true };
        var process = new Process { StartInfo = psi };
        var clock = Stopwatch.StartNew();
        process.OutputDataReceived += (_, e) => Write(log, clock, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, clock, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new ServiceProcess(process, log, logPath, port);
    }

    /// <summary>Each line prefixed with the seconds since the start command, to see where start-up time goes.</summary>
    private static void Write(StreamWriter log, Stopwatch clock, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            try
            {
                log.WriteLine($"+{clock.Elapsed.TotalSeconds:F3}s {line}");
            }
            catch (ObjectDisposedException)
            {
                // output after the bench stopped listening
            }
        }
    }

    /// <summary>Polls <paramref name="path"/> until it answers 200; returns the time it took from <paramref name="since"/>.</summary>
    public async Task<TimeSpan> WaitForAsync(string path, Stopwatch since, TimeSpan timeout)
    {
        using var client = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero }) { Timeout = TimeSpan.FromSeconds(2) };
        while (since.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"the service exited with code {_process.ExitCode} before {path} answered 200; log: {LogPath}\n{Tail()}");
            }

            try
            {
                using var response = await client.GetAsync(new Uri(BaseAddress, path));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return since.Elapsed;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(20);
        }

        throw new TimeoutException($"{path} did not answer 200 within {timeout.TotalSeconds:F0} s; log: {LogPath}\n{Tail()}");
    }

    /// <summary>Peak resident memory of the service so far (VmHWM), in MB; null once it has exited.</summary>
    public double? PeakRssMb()
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    return double.Parse(line[6..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) / 1024;
                }
            }
        }
        catch (IOException)
        {
        }

        return null;
    }

    /// <summary>Sends SIGTERM and waits for the process to exit; returns the time it took.</summary>
    public async Task<TimeSpan> StopAsync(TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        if (_process.HasExited)
        {
            return TimeSpan.Zero;
        }

        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"the service did not stop within {timeout.TotalSeconds:F0} s of SIGTERM; log: {LogPath}");
        }

        return sw.Elapsed;
    }

    public string Tail(int lines = 30)
    {
        lock (_log)
        {
            _log.Flush();
        }

        try
        {
            using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            var all = reader.ReadToEnd().Split('\n');
            return string.Join('\n', all.TakeLast(lines));
        }
        catch (IOException)
        {
            return "";
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try
            {
                await StopAsync(TimeSpan.FromSeconds(30));
            }
            catch (TimeoutException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
        lock (_log)
        {
            _log.Dispose();
        }
    }
}
