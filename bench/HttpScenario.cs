using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using SubsidyEngine.Engine.Access;

namespace SubsidyEngine.Bench;

/// <summary>
/// Transitions fired through the REST API by 64 concurrent clients, API key authentication on, against the real
/// service (the Release build of src/Api) started as a separate process on the bench cluster (durability on,
/// Hangfire on). Each client owns one dossier of a cycling bench workflow and fires <c>next</c> with a fresh
/// Idempotency-Key per request, over its own keep-alive connection (<see cref="RawHttpConnection"/>, a light load client).
/// Baselines at the same concurrency in the same run, over the same connections: an authenticated
/// <c>GET /api/me</c> (authentication: the key hash looked up, remembered for 2 s per process) and <c>GET /health/live</c> (the framework alone).
/// The service is first loaded with transitions until its JIT has settled (steady state), and every phase reports the
/// CPU per request of the service, PostgreSQL and this load client, read from /proc: on a 2-core machine those three
/// share the cores, and their sum bounds the throughput and so, with 64 closed-loop clients, the latency.
/// </summary>
public static class HttpScenario
{
    private const int Clients = 64;

    /// <summary>A bench-only workflow, added to a copy of the shipped workflows folder (Subsidy:WorkflowsDirectory).</summary>
    private const string Definition = """
    {
      "id": "bench/cycle", "version": 1, "initial": "A",
      "creation": { "roles": ["officer"], "parameters": [ { "name": "title", "type": "string" } ] },
      "states": [ { "id": "A" }, { "id": "B" }, { "id": "C" } ],
      "triggers": [ { "id": "next", "parameters": [ { "name": "n", "type": "int" } ] } ],
      "transitions": [
        { "from": "A", "trigger": "next", "to": "B", "roles": ["officer"], "assign": { "last": "args.n" } },
        { "from": "B", "trigger": "next", "to": "C", "roles": ["officer"], "assign": { "last": "args.n" } },
        { "from": "C", "trigger": "next", "to": "A", "roles": ["officer"], "assign": { "last": "args.n" } }
      ]
    }
    """;

    public static async Task<IReadOnlyList<string>> RunAsync(bool quick)
    {
        var seconds = quick ? 8 : 30;
        var baselineSeconds = quick ? 4 : 10;
        await using var cluster = await BenchCluster.StartAsync();
        var work = Directory.CreateTempSubdirectory("subsidy-bench-http-");
        try
        {
            // The workflows the service ships with, plus the bench workflow.
            var apiBin = Path.GetDirectoryName(ServiceProcess.ApiDll())!;
            var workflows = Path.Combine(work.FullName, "workflows");
            CopyDirectory(Path.Combine(apiBin, "workflows"), workflows);
            Directory.CreateDirectory(Path.Combine(workflows, "bench"));
            await File.WriteAllTextAsync(Path.Combine(workflows, "bench", "cycle.v1.json"), Definition);

            // An officer with an API key, made with the Engine's user directory on the bench database.
            var users = new UserDirectory(cluster.DataSource, TimeProvider.System);
            var officer = await users.CreateUserAsync("Bench officer", "bench-officer@abb.example.be", "officer", null);
            var key = await users.CreateKeyAsync(officer.Id, "bench http");

            var port = ServiceProcess.FreePort();
            var sinceStart = Stopwatch.StartNew();
            await using var service = ServiceProcess.Start(work.FullName, port, new Dictionary<string, string?>
            {
                // HTTP_CONNECTION_OPTIONS (e.g. ";Maximum Pool Size=16") is appended for experiments with the service's pool.
                ["ConnectionStrings__Subsidy"] = cluster.Postgres.ConnectionString + Environment.GetEnvironmentVariable("HTTP_CONNECTION_OPTIONS"),
                ["Subsidy__DataDirectory"] = Path.Combine(work.FullName, "data"),
                ["Subsidy__WorkflowsDirectory"] = workflows,
            }, Path.Combine(Path.GetTempPath(), $"subsidy-bench-http-service-{port}.log"));
            var ready = await service.WaitForAsync("/health/ready", sinceStart, TimeSpan.FromSeconds(120));
            Console.WriteLine($"service ready after {ready.TotalSeconds:F1} s on port {port} (pid {service.Pid}, log {service.LogPath})");

            using var client = new HttpClient(new SocketsHttpHandler
            {
                MaxConnectionsPerServer = Clients * 2,
                PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
                PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
                UseCookies = false,
                AllowAutoRedirect = false,
            })
            {
                BaseAddress = service.BaseAddress,
                Timeout = TimeSpan.FromSeconds(60),
            };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key.Secret);

            var run = Guid.NewGuid().ToString("N")[..8];

            // One dossier per client, created through the API (timed: creates per second with 64 clients).
            var dossiers = new Guid[Clients];
            var createSw = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, Clients).Select(async w =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "/api/dossiers")
                {
                    Content = Json(new { workflow = "bench/cycle", data = new { title = $"Bench {w}" } }),
                };
                request.Headers.Add("Idempotency-Key", $"create-{run}-{w}");
                using var response = await client.SendAsync(request);
                var body = await Expect(response, HttpStatusCode.Created);
                dossiers[w] = body.GetProperty("dossierId").GetGuid();
            }));
            Console.WriteLine($"created {Clients} dossiers through the API in {createSw.Elapsed.TotalSeconds:F2} s ({Clients / createSw.Elapsed.TotalSeconds:F0}/s)");

            // The load itself goes through one raw keep-alive connection per client (RawHttpConnection): HttpClient
            // cost 60-70 us of CPU per request on cores the service and PostgreSQL share, the raw client about 40.
            var host = $"{service.BaseAddress.Host}:{service.BaseAddress.Port}";
            var authorization = ("Authorization", $"Bearer {key.Secret}");
            var connections = new RawHttpConnection[Clients];
            for (var w = 0; w < Clients; w++)
            {
                connections[w] = await RawHttpConnection.OpenAsync(service.BaseAddress);
            }

            var counters = new long[Clients];
            Func<int, Task> fire = async w =>
            {
                var i = Interlocked.Increment(ref counters[w]);
                var request = RawHttpConnection.Format(
                    "POST", $"/api/dossiers/{dossiers[w]:D}/transitions/next", host, [authorization, ("Idempotency-Key", $"fire-{run}-{w}-{i}")], $"{{\"n\":{i}}}");
                var (status, body) = await connections[w].SendAsync(request);
                if (status != 200)
                {
                    throw new InvalidOperationException($"POST transitions/next: expected 200, got {status}: {Encoding.UTF8.GetString(body.Span)}");
                }

                using var doc = JsonDocument.Parse(body);
                if (doc.RootElement.GetProperty("replayed").GetBoolean())
                {
                    throw new InvalidOperationException("a fresh Idempotency-Key was answered as a replay");
                }
            };
            var meRequest = RawHttpConnection.Format("GET", "/api/me", host, [authorization], null);
            // Without credentials: /health/live then measures the framework alone (with a key, authentication would
            // look the key up for it too).
            var liveRequest = RawHttpConnection.Format("GET", "/health/live", host, [], null);
            Func<int, Task> Get(byte[] request, string path) => async w =>
            {
                var (status, body) = await connections[w].SendAsync(request);
                if (status != 200)
                {
                    throw new InvalidOperationException($"GET {path}: {status} {Encoding.UTF8.GetString(body.Span)}");
                }
            };

            // Warm-up of both sides until the service's JIT has settled, not measured. With tiered compilation and
            // dynamic PGO a fresh service runs its hot paths as tier-0 and instrumented code while the background JIT
            // recompiles them: measured on this machine, the service's CPU per transition fell from about 1,500 to
            // 450 us over the first 40-50 s of load, with the JIT threads busy for all of that time. The figures
            // below are the steady state a running service has; the warm-up line says how long it took.
            var pgData = cluster.Postgres.Settings.ClusterDirectory;
            var warm = Stopwatch.StartNew();
            var maxWarm = TimeSpan.FromSeconds(quick ? 75 : 150);
            var quietRounds = 0;
            var warmRounds = new List<string>();
            while (quietRounds < 2 && warm.Elapsed < maxWarm)
            {
                var cpu = Cpu.Start(service.Pid, pgData);
                var round = await LoadAsync(Clients, TimeSpan.FromSeconds(3), fire);
                var used = cpu.Stop(round.Count);
                warmRounds.Add($"{round.PerSecond:F0}/s svc {used.ServiceUs:F0} us jit {used.JitMs:F0} ms");
                quietRounds = used.JitMs <= 30 ? quietRounds + 1 : 0; // at most 1 % of a core for the JIT, twice in a row
            }

            var warmSeconds = warm.Elapsed.TotalSeconds;
            Console.WriteLine($"warm-up: {warmSeconds:F0} s of transitions until the JIT settled{(quietRounds < 2 ? " (NOT settled: stopped at the limit)" : string.Empty)}; per 3 s round: {string.Join("; ", warmRounds)}");
            // Measured on recycled WAL segments, as a running server writes them: 48 files (768 MB, at least 30 s of
            // this load; a server under it keeps up to max_wal_size, 1 GB, recycled at its checkpoints).
            var walSegments = await cluster.RecycleWalAsync(48);
            Console.WriteLine($"checkpoint after the warm-up: {walSegments} WAL segment files ready for reuse");
            await LoadAsync(Clients, TimeSpan.FromSeconds(1), Get(meRequest, "/api/me"));
            await LoadAsync(Clients, TimeSpan.FromSeconds(1), Get(liveRequest, "/health/live"));

            var cpuLive = Cpu.Start(service.Pid, pgData);
            var live = await LoadAsync(Clients, TimeSpan.FromSeconds(baselineSeconds), Get(liveRequest, "/health/live"));
            Console.WriteLine($"GET /health/live (no credentials), {Clients} clients: {live}; {cpuLive.Stop(live.Count)}");
            var cpuMe = Cpu.Start(service.Pid, pgData);
            var me = await LoadAsync(Clients, TimeSpan.FromSeconds(baselineSeconds), Get(meRequest, "/api/me"));
            Console.WriteLine($"GET /api/me (API key), {Clients} clients: {me}; {cpuMe.Stop(me.Count)}");
            await cluster.ResetStatementsAsync();
            var checkpoints = await cluster.CheckpointsAsync();
            var cpuFires = Cpu.Start(service.Pid, pgData);
            var fires = await LoadAsync(Clients, TimeSpan.FromSeconds(seconds), fire);
            var firesCpu = cpuFires.Stop(fires.Count);
            Console.WriteLine($"POST transitions (API key, Idempotency-Key), {Clients} clients: {fires}; {firesCpu}");
            Console.WriteLine($"  {fires.SlowestTimeline()}; PostgreSQL checkpoints during the phase: {await cluster.CheckpointsAsync() - checkpoints}");
            await cluster.PrintStatementsAsync("the POST transitions", fires.Count);

            // A retry with a used key returns the first result and changes nothing.
            var last = Interlocked.Read(ref counters[0]);
            using (var retry = new HttpRequestMessage(HttpMethod.Post, $"/api/dossiers/{dossiers[0]:D}/transitions/next")
            {
                Content = new StringContent($"{{\"n\":{last}}}", Encoding.UTF8, "application/json"),
            })
            {
                retry.Headers.Add("Idempotency-Key", $"fire-{run}-0-{last}");
                using var response = await client.SendAsync(retry);
                var body = await Expect(response, HttpStatusCode.OK);
                if (!body.GetProperty("replayed").GetBoolean() || response.Headers.GetValues("Idempotent-Replayed").Single() != "true")
                {
                    throw new InvalidOperationException("a retried Idempotency-Key was not answered as a replay");
                }
            }

            // Every successful fire is one journal event (plus one creation event per dossier).
            long fired = counters.Sum();
            await using (var count = cluster.DataSource.CreateCommand("SELECT count(*) FROM journal WHERE definition_id = 'bench/cycle'"))
            {
                var events = (long)(await count.ExecuteScalarAsync())!;
                if (events != fired + Clients)
                {
                    throw new InvalidOperationException($"journal holds {events} bench events, expected {fired + Clients}");
                }
            }

            foreach (var connection in connections)
            {
                connection.Dispose();
            }

            var peak = service.PeakRssMb();
            var stop = await service.StopAsync(TimeSpan.FromSeconds(60));
            Console.WriteLine($"service peak RSS {peak:F0} MB; stopped {stop.TotalSeconds:F1} s after SIGTERM, exit code {service.ExitCode}");
            var target = fires.P99Ms <= 50 ? "met" : "NOT met";
            Console.WriteLine($"target p99 <= 50 ms: {target}");
            return
            [
                $"RESULT http per_s={fires.PerSecond:F0} p50_ms={fires.P50Ms:F1} p95_ms={fires.P95Ms:F1} p99_ms={fires.P99Ms:F1} " +
                $"me_per_s={me.PerSecond:F0} me_p99_ms={me.P99Ms:F1} live_per_s={live.PerSecond:F0} live_p99_ms={live.P99Ms:F1} " +
                $"ratio={fires.PerSecond / me.PerSecond:F2} clients={Clients} service_peak_rss_mb={peak:F0} " +
                $"cpu_us_service={firesCpu.ServiceUs:F0} cpu_us_postgres={firesCpu.PostgresUs:F0} cpu_us_client={firesCpu.ClientUs:F0} warmup_s={warmSeconds:F0}",
            ];
        }
        finally
        {
            try
            {
                work.Delete(recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>CPU per request of the service, PostgreSQL and this load client over one load phase (from /proc).</summary>
    private sealed record CpuUse(double ServiceUs, double PostgresUs, double ClientUs, double JitMs)
    {
        public override string ToString() => $"CPU per request: service {ServiceUs:F0} us, PostgreSQL {PostgresUs:F0} us, load client {ClientUs:F0} us (service JIT {JitMs:F0} ms in the phase)";
    }

    private sealed record Cpu(int Pid, string PgData, TimeSpan Service, IReadOnlyDictionary<int, long> Jit, TimeSpan Postgres, TimeSpan Client)
    {
        public static Cpu Start(int pid, string pgData) =>
            new(pid, pgData, ProcessCpu.Of(pid), ProcessCpu.JitThreads(pid), ProcessCpu.OfCluster(pgData), Process.GetCurrentProcess().TotalProcessorTime);

        public CpuUse Stop(long requests)
        {
            double Us(TimeSpan t) => t.TotalMicroseconds / Math.Max(1, requests);
            return new CpuUse(
                Us(ProcessCpu.Of(Pid) - Service), Us(ProcessCpu.OfCluster(PgData) - Postgres),
                Us(Process.GetCurrentProcess().TotalProcessorTime - Client), ProcessCpu.JitSince(Pid, Jit).TotalMilliseconds);
        }
    }

    /// <summary>Throughput and latency percentiles of one load phase.</summary>
    public sealed record LoadResult(long Count, double PerSecond, double P50Ms, double P95Ms, double P99Ms, double MaxMs)
    {
        /// <summary>The load client's own garbage collections during the phase: count (gen 0, 1, 2) and total pause.</summary>
        public string ClientGc { get; init; } = string.Empty;

        /// <summary>Where in the phase the slowest 1 % of requests ended: their count per 250 ms window, in order.</summary>
        public IReadOnlyList<int> SlowestByWindow { get; init; } = [];

        public override string ToString() => $"{PerSecond:F0}/s ({Count} requests), p50 {P50Ms:F1} ms, p95 {P95Ms:F1} ms, p99 {P99Ms:F1} ms, max {MaxMs:F1} ms";

        /// <summary>
        /// The windows that held most of the slowest 1 %: a tail made of a few stalls shows as a few busy windows, a
        /// tail spread over the phase as many windows with one or two each.
        /// </summary>
        public string SlowestTimeline()
        {
            var total = SlowestByWindow.Sum();
            var busiest = SlowestByWindow.Select((n, i) => (n, i)).Where(x => x.n > 0).OrderByDescending(x => x.n).ToList();
            var top = busiest.Take(8).OrderBy(x => x.i).Select(x => $"{x.i * 0.25:F2}s:{x.n}");
            return $"slowest 1 % ({total} requests) ended in {busiest.Count} of {SlowestByWindow.Count} windows of 250 ms; busiest: {string.Join(" ", top)}; load client GC: {ClientGc}";
        }
    }

    /// <summary>Runs <paramref name="workers"/> closed loops for <paramref name="duration"/>; every request's latency is kept.</summary>
    public static async Task<LoadResult> LoadAsync(int workers, TimeSpan duration, Func<int, Task> op)
    {
        var latencies = new List<(long Latency, long End)>[workers];
        var start = Stopwatch.GetTimestamp();
        var (gc0, gc1, gc2, paused) = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration());
        await Task.WhenAll(Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
        {
            var mine = latencies[w] = new List<(long, long)>(4096);
            while (Stopwatch.GetElapsedTime(start) < duration)
            {
                var t = Stopwatch.GetTimestamp();
                await op(w);
                var end = Stopwatch.GetTimestamp();
                mine.Add((end - t, end));
            }
        })));
        var elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var all = latencies.SelectMany(l => l).Select(l => l.Latency).Order().ToArray();
        long Ticks(double q) => all[Math.Min(all.Length - 1, (int)Math.Ceiling(q * all.Length) - 1)];
        double Ms(double q) => all.Length == 0 ? double.NaN : Ticks(q) * 1000.0 / Stopwatch.Frequency;
        var windows = new int[(int)Math.Ceiling(elapsed * 4) + 1];
        if (all.Length > 0)
        {
            var p99 = Ticks(0.99);
            foreach (var (_, end) in latencies.SelectMany(l => l).Where(l => l.Latency >= p99))
            {
                windows[Math.Min(windows.Length - 1, (int)((end - start) * 4 / Stopwatch.Frequency))]++;
            }
        }

        return new LoadResult(all.Length, all.Length / elapsed, Ms(0.50), Ms(0.95), Ms(0.99), Ms(1.0))
        {
            SlowestByWindow = windows,
            ClientGc = $"{GC.CollectionCount(0) - gc0}/{GC.CollectionCount(1) - gc1}/{GC.CollectionCount(2) - gc2} collections, paused {(GC.GetTotalPauseDuration() - paused).TotalMilliseconds:F0} ms",
        };
    }

    private static async Task<JsonElement> Expect(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != status)
        {
            throw new InvalidOperationException($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: expected {(int)status}, got {(int)response.StatusCode}: {text}");
        }

        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.Clone();
    }

    private static StringContent Json(object value) => new(JsonSerializer.Serialize(value), Encoding.UTF8, "application/json");

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
