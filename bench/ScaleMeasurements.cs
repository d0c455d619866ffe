using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Npgsql;
using SubsidyEngine.Engine.Access;
using SubsidyEngine.Engine.Configuration;
using SubsidyEngine.Engine.Notices;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Workflows.Expressions;
using SubsidyEngine.Workflows.Loading;

namespace SubsidyEngine.Bench;

/// <summary>
/// The measurements of the <c>scale</c> scenario on the generated database (<see cref="ScaleScenario"/>): pages and a
/// call export through the real service (the Release build of src/Api as a separate process, jobs off so it changes
/// nothing), a reminder sweep over 100,000 due deadlines, fires against an empty database in the same cluster, and
/// table sizes with the time of VACUUM and ANALYZE.
/// </summary>
internal static class ScaleMeasurements
{
    /// <summary>
    /// Page times: sequential GETs over one keep-alive loopback connection (no concurrency), after warm-up requests;
    /// on loopback with an idle client this is the server's time to answer plus well under a millisecond.
    /// </summary>
    public static async Task PagesAsync(BenchCluster cluster, string work, string workflows, bool quick, Dictionary<string, string> results, bool everyUser = false)
    {
        var ds = cluster.DataSource;
        var rounds = quick ? 20 : 50;

        // What the pages show: the call with the most applications, one of its states, a dossier of it with a long
        // journal, and the municipality with the most dossiers.
        string callId, state, dossierId, authority;
        await using (var cmd = ds.CreateCommand(
            """
            WITH biggest AS (
                SELECT parent, count(*) AS n FROM dossier WHERE workflow_id LIKE '%/dossier' AND parent IS NOT NULL
                GROUP BY parent ORDER BY n DESC LIMIT 1)
            SELECT b.parent,
                   (SELECT state FROM dossier WHERE parent = b.parent GROUP BY state ORDER BY count(*) DESC LIMIT 1),
                   (SELECT id::text FROM dossier WHERE parent = b.parent ORDER BY version DESC LIMIT 1),
                   (SELECT owner FROM dossier WHERE owner IS NOT NULL GROUP BY owner ORDER BY count(*) DESC LIMIT 1)
            FROM biggest b
            """))
        {
            cmd.CommandTimeout = 0;
            await using var r = await cmd.ExecuteReaderAsync();
            await r.ReadAsync();
            (callId, state, dossierId, authority) = (r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3));
        }

        long callSize, authoritySize;
        await using (var cmd = ds.CreateCommand("SELECT (SELECT count(*) FROM dossier WHERE parent = $1), (SELECT count(*) FROM dossier WHERE owner = $2)"))
        {
            cmd.Parameters.AddWithValue(callId);
            cmd.Parameters.AddWithValue(authority);
            await using var r = await cmd.ExecuteReaderAsync();
            await r.ReadAsync();
            (callSize, authoritySize) = (r.GetInt64(0), r.GetInt64(1));
        }

        Console.WriteLine($"pages: call {callId} ({callSize:N0} applications, state {state}), dossier {dossierId}, municipality {authority} ({authoritySize:N0} dossiers)");

        var users = new UserDirectory(ds, TimeProvider.System);
        // A run on kept data (SCALE_KEEP) finds the users of the earlier runs: each run has its own.
        var run = DateTime.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);
        var officer = await users.CreateUserAsync("Scale officer", $"scale-officer-{run}@abb.example.be", "officer", null);
        var officerKey = await users.CreateKeyAsync(officer.Id, "bench scale");
        var municipality = await users.CreateUserAsync("Scale municipality", $"scale-gemeente-{run}@gemeente.example.be", "municipality", authority);
        var municipalityKey = await users.CreateKeyAsync(municipality.Id, "bench scale");
        var auditor = await users.CreateUserAsync("Scale auditor", $"scale-auditor-{run}@abb.example.be", "auditor", null);
        var auditorKey = await users.CreateKeyAsync(auditor.Id, "bench scale");

        var port = ServiceProcess.FreePort();
        var since = Stopwatch.StartNew();
        await using var service = ServiceProcess.Start(work, port, new Dictionary<string, string?>
        {
            ["ConnectionStrings__Subsidy"] = cluster.Postgres.ConnectionString,
            ["Subsidy__DataDirectory"] = Path.Combine(work, "service-data"),
            ["Subsidy__WorkflowsDirectory"] = workflows,
            ["Subsidy__RunJobs"] = "false",
        }, Path.Combine(Path.GetTempPath(), $"subsidy-bench-scale-service-{port}.log"));
        var ready = await service.WaitForAsync("/health/ready", since, TimeSpan.FromSeconds(300));
        Console.WriteLine($"service ready after {ready.TotalSeconds:F1} s (log {service.LogPath})");

        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1, UseCookies = false, AllowAutoRedirect = false })
        {
            BaseAddress = service.BaseAddress,
            Timeout = TimeSpan.FromMinutes(5),
        };

        var pages = new (string Key, string Path, string Key2)[]
        {
            ("board_first", "/board", officerKey.Secret),
            ("board_filtered", $"/board?callId={callId}&state={Uri.EscapeDataString(state)}", officerKey.Secret),
            ("dashboard", $"/calls/{callId}/dashboard", officerKey.Secret),
            ("dossier", $"/dossiers/{dossierId}", officerKey.Secret),
            ("portal", "/portal", municipalityKey.Secret),
        };
        if (everyUser)
        {
            // Issue 20: every user kind's pages, and the framework alone as the baseline of the same run.
            string ownDossier, letterDossier, letterId;
            await using (var cmd = ds.CreateCommand(
                """
                SELECT (SELECT id::text FROM dossier WHERE owner = $1 ORDER BY version DESC LIMIT 1),
                       n.dossier_id::text, n.id::text
                FROM notice n JOIN letter l ON l.notice_id = n.id WHERE n.dossier_id = $2::uuid OR n.dossier_id IN (SELECT id FROM dossier WHERE owner = $1)
                ORDER BY (n.dossier_id = $2::uuid) DESC LIMIT 1
                """))
            {
                cmd.CommandTimeout = 0;
                cmd.Parameters.AddWithValue(authority);
                cmd.Parameters.AddWithValue(dossierId);
                await using var r = await cmd.ExecuteReaderAsync();
                await r.ReadAsync();
                (ownDossier, letterDossier, letterId) = (r.GetString(0), r.GetString(1), r.GetString(2));
            }

            pages =
            [
                ("baseline_health_live", "/health/live", officerKey.Secret),
                .. pages,
                ("officer_letters_followup", "/notices", officerKey.Secret),
                ("officer_letter", $"/dossiers/{letterDossier}/letters/{letterId}", officerKey.Secret),
                ("municipality_dossier", $"/dossiers/{ownDossier}", municipalityKey.Secret),
                ("auditor_board", "/board", auditorKey.Secret),
                ("auditor_dossier", $"/dossiers/{dossierId}", auditorKey.Secret),
                ("auditor_dashboard", $"/calls/{callId}/dashboard", auditorKey.Secret),
                ("auditor_as_of", $"/audit/as-of?dossier={dossierId}", auditorKey.Secret),
            ];
        }

        foreach (var (key, path, secret) in pages)
        {
            var times = new List<double>();
            for (var i = 0; i < rounds + 3; i++)
            {
                var watch = Stopwatch.StartNew();
                using var request = new HttpRequestMessage(HttpMethod.Get, path);
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", secret);
                using var response = await http.SendAsync(request);
                var body = await response.Content.ReadAsByteArrayAsync();
                if (!response.IsSuccessStatusCode)
                {
                    throw new InvalidOperationException($"GET {path}: {(int)response.StatusCode} {Encoding.UTF8.GetString(body)[..Math.Min(500, body.Length)]}\n{service.Tail()}");
                }

                if (i >= 3)
                {
                    times.Add(watch.Elapsed.TotalMilliseconds);
                }
            }

            times.Sort();
            var p50 = times[times.Count / 2];
            var p95 = times[Math.Min(times.Count - 1, (int)Math.Ceiling(times.Count * 0.95) - 1)];
            Console.WriteLine($"page {key} {path}: p50 {p50:F1} ms, p95 {p95:F1} ms over {times.Count} requests");
            results[$"{key}_p95_ms"] = p95.ToString("F0", CultureInfo.InvariantCulture);
            if (everyUser)
            {
                results[$"{key}_p50_ms"] = p50.ToString("F1", CultureInfo.InvariantCulture);
            }
        }

        // Why a page is slow: the same pages once more through a second service process whose connections load
        // auto_explain (plans with actual times of every statement over 50 ms, in the PostgreSQL log, copied next to
        // the service log). A separate pass, so the figures above carry no instrumentation overhead.
        await ExplainPassAsync(cluster, work, workflows, pages.Select(p => (p.Path, p.Key2)).ToList());

        // The exports (CSV, every application with its amounts): the biggest call (every copy has its own calls, so a
        // call is the size of a real one), and the biggest selection one export may hold (ExportQueries.MaxRows): the
        // whole programme, or its biggest state, whichever is the largest that fits.
        async Task<(string Query, long Rows)> PickAsync(string sql)
        {
            await using var cmd = ds.CreateCommand(sql);
            cmd.CommandTimeout = 0;
            await using var r = await cmd.ExecuteReaderAsync();
            await r.ReadAsync();
            return (r.GetString(0), r.GetInt64(1));
        }

        var biggestCall = await PickAsync(
            """
            SELECT 'programme=' || programme || '&call=' || call_id, count(*) FROM dossier
            WHERE workflow_id LIKE '%/dossier' AND call_id IS NOT NULL GROUP BY programme, call_id ORDER BY 2 DESC, 1 LIMIT 1
            """);
        var largest = await PickAsync(
            $"""
            (SELECT 'programme=' || programme, count(*) FROM dossier
             WHERE workflow_id LIKE '%/dossier' AND programme IS NOT NULL GROUP BY programme HAVING count(*) <= {Engine.Exports.ExportQueries.MaxRows} ORDER BY 2 DESC LIMIT 1)
            UNION ALL
            (SELECT 'programme=' || programme || '&state=' || state, count(*) FROM dossier
             WHERE workflow_id LIKE '%/dossier' AND programme IS NOT NULL GROUP BY programme, state HAVING count(*) <= {Engine.Exports.ExportQueries.MaxRows} ORDER BY 2 DESC LIMIT 1)
            ORDER BY 2 DESC LIMIT 1
            """);

        foreach (var (key, (query, rows)) in new[] { ("export", biggestCall), ("export_large", largest) })
        {
            var exportTimes = new List<double>();
            long exportBytes = 0;
            for (var i = 0; i < 3; i++)
            {
                var watch = Stopwatch.StartNew();
                using var request = new HttpRequestMessage(HttpMethod.Get, "/api/exports/dossiers.csv?" + query);
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", officerKey.Secret);
                using var response = await http.SendAsync(request);
                var body = await response.Content.ReadAsByteArrayAsync();
                if (!response.IsSuccessStatusCode)
                {
                    throw new InvalidOperationException($"export: {(int)response.StatusCode} {Encoding.UTF8.GetString(body)[..Math.Min(500, body.Length)]}");
                }

                // The CSV holds a header and one line per dossier (no line breaks inside the generated values).
                var lines = Encoding.UTF8.GetString(body).Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length - 1;
                if (lines != rows)
                {
                    throw new InvalidOperationException($"export {query}: {lines} rows, the database holds {rows}");
                }

                exportBytes = body.Length;
                exportTimes.Add(watch.Elapsed.TotalSeconds);
            }

            Console.WriteLine($"{key} {query}: {rows:N0} rows, {exportBytes:N0} bytes, {string.Join(" / ", exportTimes.Select(t => t.ToString("F2", CultureInfo.InvariantCulture)))} s");

            // The database's share of that time: the export's own statement under EXPLAIN ANALYZE (the rest is the
            // service reading, parsing and writing the rows).
            var parts = query.Split('&').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
            var (sql, parameters) = Engine.Exports.ExportQueries.Statement(new AccessScope("bench", Roles.Officer, null), Engine.Exports.ExportKinds.Dossiers,
                new Engine.Exports.ExportFilter { Programme = parts.GetValueOrDefault("programme"), Call = parts.GetValueOrDefault("call"), State = parts.GetValueOrDefault("state") });
            await using (var explain = ds.CreateCommand("EXPLAIN (ANALYZE, BUFFERS) " + sql))
            {
                explain.CommandTimeout = 0;
                explain.Parameters.AddRange(parameters.ToArray());
                await using var r = await explain.ExecuteReaderAsync();
                Console.WriteLine($"{key}: EXPLAIN ANALYZE of the export's statement:");
                while (await r.ReadAsync())
                {
                    Console.WriteLine("  " + r.GetString(0));
                }
            }

            results[$"{key}_s"] = exportTimes.Max().ToString("F2", CultureInfo.InvariantCulture);
            results[$"{key}_rows"] = rows.ToString(CultureInfo.InvariantCulture);
        }
    }

    private static async Task ExplainPassAsync(BenchCluster cluster, string work, string workflows, IReadOnlyList<(string Path, string Secret)> pages)
    {
        var log = Path.GetFullPath(Path.Combine(cluster.Postgres.Settings.ClusterDirectory, "..", Path.GetFileName(cluster.Postgres.Settings.ClusterDirectory) + ".log"));
        var start = File.Exists(log) ? new FileInfo(log).Length : 0;
        var port = ServiceProcess.FreePort();
        var since = Stopwatch.StartNew();
        await using (var service = ServiceProcess.Start(work, port, new Dictionary<string, string?>
        {
            ["ConnectionStrings__Subsidy"] = cluster.Postgres.ConnectionString +
                ";Options=-c session_preload_libraries=auto_explain -c auto_explain.log_min_duration=50 -c auto_explain.log_analyze=on -c auto_explain.log_buffers=on",
            ["Subsidy__DataDirectory"] = Path.Combine(work, "service-data-explain"),
            ["Subsidy__WorkflowsDirectory"] = workflows,
            ["Subsidy__RunJobs"] = "false",
        }, Path.Combine(Path.GetTempPath(), $"subsidy-bench-scale-explain-{port}.log")))
        {
            await service.WaitForAsync("/health/ready", since, TimeSpan.FromSeconds(300));
            using var http = new HttpClient { BaseAddress = service.BaseAddress, Timeout = TimeSpan.FromMinutes(5) };
            foreach (var (path, secret) in pages)
            {
                for (var i = 0; i < 2; i++)
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, path);
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", secret);
                    using var response = await http.SendAsync(request);
                }
            }
        }

        if (File.Exists(log))
        {
            var target = Path.Combine(Path.GetTempPath(), $"subsidy-bench-scale-explain-{DateTime.UtcNow:yyyyMMdd-HHmm}.log");
            await using var source = new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            source.Seek(start, SeekOrigin.Begin);
            await using var copy = File.Create(target);
            await source.CopyToAsync(copy);
            Console.WriteLine($"EXPLAIN ANALYZE of the pages' statements over 50 ms (auto_explain): {target}");
        }
    }

    /// <summary>
    /// The reminder sweep with 100,000 due deadlines (quick: a tenth of the dossiers; at most one per application) among the generated ones:
    /// report deadlines due in 7 days are set on that many generated application dossiers (set-based, as the
    /// <c>sweep</c> scenario does on an empty database), then the real <see cref="ReminderSweeper"/> runs once.
    /// </summary>
    public static async Task SweepAsync(BenchCluster cluster, WorkflowCatalog catalog, long dossiers, bool quick, Dictionary<string, string> results)
    {
        var ds = cluster.DataSource;
        var wanted = quick ? (int)Math.Max(1_000, dossiers / 10) : 100_000;
        int due;
        await using (var cmd = ds.CreateCommand(
            $$"""
            INSERT INTO deadline (id, dossier_id, kind, due_at, rule, set_by_seq, remind)
            SELECT md5('scale-sweep/' || d.id::text)::uuid, d.id, 'bench-report', now() + interval '7 days', 'bench', 1, true
            FROM (SELECT id FROM dossier WHERE workflow_id LIKE '%/dossier' ORDER BY id LIMIT {{wanted}}) d
            """))
        {
            cmd.CommandTimeout = 0;
            due = await cmd.ExecuteNonQueryAsync();
        }

        await using (var analyze = ds.CreateCommand("ANALYZE deadline"))
        {
            analyze.CommandTimeout = 0;
            await analyze.ExecuteNonQueryAsync();
        }

        var clock = TimeProvider.System;
        var runtime = new WorkflowRuntime(ds, catalog, new DefinitionStore(ds, clock), clock);
        var sweeper = new ReminderSweeper(ds, runtime, clock, new NoticeOptions());
        var watch = Stopwatch.StartNew();
        var created = await sweeper.SweepAsync();
        var seconds = watch.Elapsed.TotalSeconds;
        var again = await sweeper.SweepAsync();
        Console.WriteLine($"reminder sweep: {created:N0} reminder notices for {due:N0} due deadlines in {seconds:F1} s; second sweep {again}");
        if (created < due || again != 0)
        {
            throw new InvalidOperationException($"sweep: expected at least {due} reminders and none the second time, got {created} and {again}");
        }

        results["sweep_deadlines"] = due.ToString(CultureInfo.InvariantCulture);
        results["sweep_s"] = seconds.ToString("F1", CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Fires per second (16 concurrent dossiers of the <c>fires</c> scenario's cycling workflow) in the generated
    /// database and in an empty database of the same cluster, measured alternately twice, in the same run.
    /// </summary>
    public static async Task FiresAsync(BenchCluster cluster, bool quick, Dictionary<string, string> results)
    {
        var seconds = quick ? 4 : 15;
        const int workers = 16;
        await cluster.Postgres.EnsureDatabaseAsync("scale_empty", CancellationToken.None);
        // The same client settings as the generated side (DatabaseHandle's auto-prepare and no reset on close, the same
        // pool size): with a plain NpgsqlDataSource.Create the empty side ran unprepared statements and its rate was
        // less than half, which made the generated database look 1.75-2.86 times faster than an empty one.
        await using var empty = Engine.Database.DatabaseHandle.CreateDataSource(cluster.Postgres.BuildConnectionString("scale_empty") + ";Maximum Pool Size=200");
        await new Engine.Database.Migrator(empty).MigrateAsync();
        // Statistics on both sides, so the ratio compares like with like: the generated database was analyzed after
        // the load; the empty one is analyzed too (a never-analyzed table is planned on guesses), and both again after
        // the warm-up below, when both hold the bench's own dossiers.
        await AnalyzeAsync(empty);

        var problems = new List<LoadProblem>();
        var def = DefinitionLoader.LoadDefinition(Encoding.UTF8.GetBytes(FiresScenario.Definition), "bench/cycle.v1.json", problems)!;
        var catalog = WorkflowCatalog.FromDefinitions([def], new RuleRegistry(), new FiresScenario.NoTemplates());
        var officer = new Actor("bench", "officer");
        var clock = TimeProvider.System;

        async Task<double> MeasureAsync(NpgsqlDataSource ds)
        {
            var runtime = new WorkflowRuntime(ds, catalog, new DefinitionStore(ds, clock), clock);
            var dossiers = new Guid[workers];
            for (var w = 0; w < workers; w++)
            {
                dossiers[w] = (await runtime.CreateAsync(new CreateRequest("bench/cycle", new(), officer))).DossierId;
                for (var i = 0; i < 20; i++)
                {
                    await runtime.FireAsync(new FireRequest(dossiers[w], "next", new() { ["n"] = i }, officer));
                }
            }

            return await FiresScenario.MeasureAsync(workers, seconds, (w, i) => runtime.FireAsync(new FireRequest(dossiers[w], "next", new() { ["n"] = i }, officer)));
        }

        // Uncounted warm-up on both (JIT, pools, caches), then the rounds.
        var warmSeconds = seconds;
        seconds = 2;
        await MeasureAsync(empty);
        await MeasureAsync(cluster.DataSource);
        await AnalyzeAsync(empty);
        await AnalyzeAsync(cluster.DataSource);
        seconds = warmSeconds;
        var emptyRates = new List<double>();
        var fullRates = new List<double>();
        for (var round = 0; round < 2; round++)
        {
            emptyRates.Add(await MeasureAsync(empty));
            fullRates.Add(await MeasureAsync(cluster.DataSource));
        }

        var ratio = fullRates.Average() / emptyRates.Average();
        Console.WriteLine($"fires at {workers} concurrent dossiers: generated database {string.Join(" / ", fullRates.Select(r => r.ToString("F0", CultureInfo.InvariantCulture)))}/s, " +
                          $"empty database {string.Join(" / ", emptyRates.Select(r => r.ToString("F0", CultureInfo.InvariantCulture)))}/s, ratio {ratio:F2}");
        results["fires_per_s"] = fullRates.Average().ToString("F0", CultureInfo.InvariantCulture);
        results["fires_empty_per_s"] = emptyRates.Average().ToString("F0", CultureInfo.InvariantCulture);
        results["fires_ratio_to_empty"] = ratio.ToString("F2", CultureInfo.InvariantCulture);
    }

    private static async Task AnalyzeAsync(NpgsqlDataSource ds)
    {
        await using var cmd = ds.CreateCommand("ANALYZE");
        cmd.CommandTimeout = 0;
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>Table and index sizes (the journal summed over its partitions), and the time of VACUUM (ANALYZE) of the whole database.</summary>
    public static async Task SizesAndMaintenanceAsync(NpgsqlDataSource ds, Dictionary<string, string> results)
    {
        await using (var cmd = ds.CreateCommand(
            """
            SELECT coalesce(p.relname, c.relname) AS name, count(*) AS parts,
                   sum(pg_table_size(c.oid)) AS table_bytes, sum(pg_indexes_size(c.oid)) AS index_bytes, sum(c.reltuples)::bigint AS rows
            FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
            LEFT JOIN pg_inherits i ON i.inhrelid = c.oid
            LEFT JOIN pg_class p ON p.oid = i.inhparent
            WHERE c.relkind = 'r'
            GROUP BY 1 HAVING sum(pg_table_size(c.oid)) > 1048576 ORDER BY 3 DESC
            """))
        await using (var r = await cmd.ExecuteReaderAsync())
        {
            Console.WriteLine("sizes (MB): table, indexes, rows (estimate), partitions");
            while (await r.ReadAsync())
            {
                var name = r.GetString(0);
                var table = r.GetInt64(2) / 1048576.0;
                var index = r.GetInt64(3) / 1048576.0;
                Console.WriteLine($"  {name,-24} {table,10:F0} {index,10:F0} {r.GetInt64(4),14:N0} {r.GetInt64(1),4}");
                if (name is "journal" or "dossier" or "deadline" or "notice" or "letter")
                {
                    results[$"{name}_mb"] = (table + index).ToString("F0", CultureInfo.InvariantCulture);
                }
            }
        }

        await using (var size = ds.CreateCommand("SELECT pg_database_size(current_database())"))
        {
            results["database_mb"] = ((long)(await size.ExecuteScalarAsync())! / 1048576.0).ToString("F0", CultureInfo.InvariantCulture);
        }

        foreach (var (key, sql) in new[] { ("vacuum_s", "VACUUM"), ("analyze_s", "ANALYZE") })
        {
            var watch = Stopwatch.StartNew();
            await using var cmd = ds.CreateCommand(sql);
            cmd.CommandTimeout = 0;
            await cmd.ExecuteNonQueryAsync();
            results[key] = watch.Elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture);
            Console.WriteLine($"{sql}: {watch.Elapsed.TotalSeconds:F1} s");
        }
    }
}
