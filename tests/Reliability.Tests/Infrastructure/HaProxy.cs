using System.Diagnostics;
using System.Globalization;
using System.Text;
using SubsidyEngine.Testing;

namespace SubsidyEngine.Reliability.Tests.Infrastructure;

/// <summary>
/// HAProxy (Debian <c>haproxy</c>) in front of the service processes, on 127.0.0.1, with the configuration of
/// docs/deployment.md (<see cref="Configuration"/>): round robin, a process is taken out after two failed
/// <c>/health/live</c> checks 500 ms apart, a request whose connection was refused is sent to another process
/// (<c>retries</c>, <c>option redispatch</c>; HAProxy's default <c>retry-on connect-failure</c> never resends a
/// request that reached a process), and HAProxy's own errors (502 when a process died during the request, 503 when
/// none is up, 504) answer as the service does when it cannot finish a request: 503 problem details with
/// Retry-After, so a client retries with the same Idempotency-Key.
/// </summary>
public sealed class HaProxy : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private HaProxy(int port, string folder, Process process)
    {
        Port = port;
        Folder = folder;
        _process = process;
    }

    public int Port { get; }

    public string Folder { get; }

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}");

    /// <summary>The body of HAProxy's own error answers (problem details, as the service writes them).</summary>
    public const string ErrorBody = """{"type":"https://tools.ietf.org/html/rfc9110#section-15.6.4","title":"Service unavailable","status":503,"detail":"No service process could finish this request. Try again shortly with the same Idempotency-Key."}""";

    /// <summary>The configuration for a proxy on <paramref name="port"/> over the service processes on <paramref name="backends"/>.</summary>
    public static string Configuration(int port, IEnumerable<int> backends, string errorFile) =>
        $"""
        global
            maxconn 4096

        defaults
            mode http
            timeout connect 1s
            timeout client 60s
            timeout server 60s
            timeout http-keep-alive 10s
            retries 3
            option redispatch
            errorfile 502 {errorFile}
            errorfile 503 {errorFile}
            errorfile 504 {errorFile}

        frontend api
            bind 127.0.0.1:{port}
            default_backend services

        backend services
            balance roundrobin
            option httpchk GET /health/live
            http-check expect status 200
            default-server inter 500ms fall 2 rise 2
        {string.Join('\n', backends.Select((p, i) => $"    server service{i + 1} 127.0.0.1:{p} check"))}
        """;

    public static async Task<HaProxy> StartAsync(IReadOnlyList<int> backends, string folder)
    {
        var port = TestCluster.FreePort();
        Directory.CreateDirectory(folder);
        var errorFile = Path.Combine(folder, "503.http");
        var body = Encoding.UTF8.GetBytes(ErrorBody);
        await File.WriteAllTextAsync(errorFile,
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/problem+json\r\nRetry-After: 1\r\nCache-Control: no-store\r\n" +
            $"Content-Length: {body.Length.ToString(CultureInfo.InvariantCulture)}\r\n\r\n{ErrorBody}");
        var config = Path.Combine(folder, "haproxy.cfg");
        await File.WriteAllTextAsync(config, Configuration(port, backends, errorFile) + "\n");
        var exe = File.Exists("/usr/sbin/haproxy") ? "/usr/sbin/haproxy" : "haproxy";
        var psi = new ProcessStartInfo(exe) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-f", config, "-db" })
        {
            psi.ArgumentList.Add(a);
        }

        var process = new Process { StartInfo = psi };
        var proxy = new HaProxy(port, folder, process);
        process.OutputDataReceived += (_, e) => proxy.Append(e.Data);
        process.ErrorDataReceived += (_, e) => proxy.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var http = new HttpClient { BaseAddress = proxy.BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var watch = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"haproxy exited with code {process.ExitCode}: {proxy.Log}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri("/health/live", UriKind.Relative));
                if (response.IsSuccessStatusCode)
                {
                    return proxy;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }

            if (watch.Elapsed > TimeSpan.FromSeconds(30))
            {
                proxy.Dispose();
                throw new TimeoutException($"haproxy on port {port} did not answer /health/live within 30 s: {proxy.Log}");
            }

            await Task.Delay(100);
        }
    }

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

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_log)
            {
                _log.Append(line).Append('\n');
            }
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5_000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }
}
