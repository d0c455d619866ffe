using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using System.Text;

namespace SubsidyEngine.Reliability.Tests.Infrastructure;

/// <summary>
/// The real service (the built <c>SubsidyEngine.Api.dll</c>) as a separate OS process, configured through
/// environment variables only. <see cref="Kill"/> is <c>kill -9</c> (SIGKILL, no shutdown hooks). Every process
/// started here is also killed when the test process exits, so none outlives the test assembly.
/// </summary>
public sealed class ServiceProcess : IDisposable
{
    private static readonly ConcurrentDictionary<int, Process> Live = new();
    private static int _exitHookInstalled;
    private readonly StringBuilder _log = new();
    private readonly Process _process;

    private ServiceProcess(string name, int port, Process process)
    {
        Name = name;
        Port = port;
        _process = process;
    }

    public string Name { get; }

    public int Port { get; }

    public int Pid => _process.Id;

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}");

    public bool HasExited => _process.HasExited;

    /// <summary>The last lines the service printed (for failure messages).</summary>
    public string LogTail(int lines = 40)
    {
        lock (_log)
        {
            return string.Join('\n', _log.ToString().Split('\n').TakeLast(lines));
        }
    }

    /// <summary>Everything the service printed.</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>The built service next to this repository (same configuration as the tests).</summary>
    public static string ServiceDll => Metadata("ServiceDll");

    public static string RepositoryRoot => Metadata("RepositoryRoot");

    private static string Metadata(string key) =>
        typeof(ServiceProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    /// <summary>Starts <c>dotnet SubsidyEngine.Api.dll</c> with <paramref name="environment"/> and waits until /health/ready answers 200.</summary>
    public static async Task<ServiceProcess> StartAsync(string name, int port, IReadOnlyDictionary<string, string> environment, TimeSpan? readyTimeout = null)
    {
        if (!File.Exists(ServiceDll))
        {
            throw new InvalidOperationException($"The service is not built: {ServiceDll} is missing (dotnet build src/Api).");
        }

        InstallExitHook();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(ServiceDll)!,
        };
        start.ArgumentList.Add(ServiceDll);
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["DOTNET_gcServer"] = "0";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["Subsidy__Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["Logging__LogLevel__Default"] = "Information";
        start.Environment["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning";
        start.Environment["Logging__LogLevel__Hangfire"] = "Warning";
        foreach (var (k, v) in environment)
        {
            start.Environment[k] = v;
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var service = new ServiceProcess(name, port, process);
        process.OutputDataReceived += (_, e) => service.Append(e.Data);
        process.ErrorDataReceived += (_, e) => service.Append(e.Data);
        process.Start();
        Live[process.Id] = process;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await service.WaitReadyAsync(readyTimeout ?? TimeSpan.FromSeconds(90));
            return service;
        }
        catch
        {
            service.Dispose();
            throw;
        }
    }

    /// <summary>Polls /health/ready until 200; returns how long it took.</summary>
    public async Task<TimeSpan> WaitReadyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var watch = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode} before it was ready:\n{LogTail()}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri("/health/ready", UriKind.Relative));
                if (response.IsSuccessStatusCode)
                {
                    return watch.Elapsed;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            if (watch.Elapsed > timeout)
            {
                throw new TimeoutException($"{Name} was not ready within {timeout.TotalSeconds} s:\n{LogTail()}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>kill -9: SIGKILL, then waits until the process is gone.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        Live.TryRemove(_process.Id, out _);
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.Append(line).Append('\n');
        }
    }

    private static void InstallExitHook()
    {
        if (Interlocked.Exchange(ref _exitHookInstalled, 1) == 1)
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
}
