using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Npgsql;
using SubsidyEngine.Engine.Access;
using SubsidyEngine.Engine.Audit;
using SubsidyEngine.Engine.Database;
using SubsidyEngine.Tools.Database;
using SubsidyEngine.Engine.Hosting;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Engine.Programmes;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Testing;
using SubsidyEngine.Workflows.Expressions;
using Xunit.Abstractions;

namespace SubsidyEngine.Reliability.Tests.Infrastructure;

/// <summary>
/// Everything one fault scenario needs, all real and private: a PostgreSQL cluster of its own (so the test may
/// restart it), a migrated database, an aiosmtpd server, a workflows folder with the fault workflows, an officer
/// with an API key (created directly in the database), and the service processes started on them.
/// <see cref="DisposeAsync"/> kills every service process and stops the cluster and the SMTP server, also when the
/// test failed.
/// </summary>
public sealed partial class FaultRig : IAsyncDisposable
{
    public const string Owner = "71016";
    private readonly List<ServiceProcess> _services = [];
    private readonly ITestOutputHelper? _output;
    private int _serviceCount;

    private readonly IAsyncDisposable? _database;

    private FaultRig(string root, EmbeddedPostgres? cluster, string connectionString, NpgsqlDataSource dataSource, SmtpTestServer smtp, string workflows, ITestOutputHelper? output, IAsyncDisposable? database = null)
    {
        Root = root;
        Cluster = cluster;
        ConnectionString = connectionString;
        _database = database;
        DataSource = dataSource;
        Smtp = smtp;
        Workflows = workflows;
        _output = output;
    }

    public string Root { get; }

    /// <summary>The rig's own cluster; null when the rig runs on a database it was given (<see cref="StartOnAsync"/>).</summary>
    public EmbeddedPostgres? Cluster { get; }

    public NpgsqlDataSource DataSource { get; }

    public SmtpTestServer Smtp { get; }

    public string Workflows { get; }

    public string ConnectionString { get; }

    public string OfficerKey { get; private set; } = string.Empty;

    /// <summary>Service settings every process of this rig gets (tests add or override entries).</summary>
    public Dictionary<string, string> Settings { get; } = [];

    /// <summary>Test-only cluster settings: fsync off (the OS does not crash in these tests), but synchronous commits,
    /// so an immediate database shutdown cannot lose an acknowledged commit.</summary>
    private static readonly Dictionary<string, string> ClusterSettings = new()
    {
        ["fsync"] = "off",
        ["full_page_writes"] = "off",
        ["max_connections"] = "300",
    };

    public static async Task<FaultRig> StartAsync(ITestOutputHelper? output = null)
    {
        var root = TestCluster.NewTempFolder("faults");
        EmbeddedPostgres? cluster = null;
        try
        {
            cluster = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresSettings
            {
                ClusterDirectory = Path.Combine(root, "pg"),
                Port = TestCluster.FreePort(),
                Database = "subsidy",
                ServerSettings = ClusterSettings,
            });
            return await StartAsync(root, cluster, cluster.ConnectionString, output, database: null);
        }
        catch
        {
            if (cluster is not null)
            {
                await cluster.StopAsync();
            }

            TestCluster.TryDelete(root);
            throw;
        }
    }

    /// <summary>
    /// A rig on a database it is given (e.g. a pg_auto_failover formation, <see cref="HaFormation"/>): migrated here,
    /// with the rig's SMTP server and workflows; <paramref name="database"/> is disposed with the rig.
    /// </summary>
    public static Task<FaultRig> StartOnAsync(string connectionString, ITestOutputHelper? output, IAsyncDisposable? database) =>
        StartAsync(TestCluster.NewTempFolder("faults"), null, connectionString, output, database);

    private static async Task<FaultRig> StartAsync(string root, EmbeddedPostgres? cluster, string connectionString, ITestOutputHelper? output, IAsyncDisposable? database)
    {
        SmtpTestServer? smtp = null;
        try
        {
            var dataSource = NpgsqlDataSource.Create(connectionString);
            await new Migrator(dataSource).MigrateAsync();
            await JournalPartitions.EnsureAsync(dataSource);
            smtp = await SmtpTestServer.StartNewAsync();
            var workflows = Path.Combine(root, "workflows");
            FaultDefinitions.WriteTo(workflows);
            var rig = new FaultRig(root, cluster, connectionString, dataSource, smtp, workflows, output, database);
            var users = new UserDirectory(dataSource, TimeProvider.System);
            var officer = await users.CreateUserAsync("Fault officer", "officer@faults.invalid", Roles.Officer, null);
            rig.OfficerKey = (await users.CreateKeyAsync(officer.Id, "fault tests")).Secret;
            rig.Settings["ConnectionStrings__Subsidy"] = connectionString;
            rig.Settings["Subsidy__WorkflowsDirectory"] = workflows;
            rig.Settings["Subsidy__Smtp__Host"] = smtp.Host;
            rig.Settings["Subsidy__Smtp__Port"] = smtp.Port.ToString(CultureInfo.InvariantCulture);
            rig.Settings["Subsidy__Smtp__Security"] = "None";
            // A sender that dies mid-send leaves its notices claimed for the lease: short here, so the tests see the resend.
            rig.Settings["Subsidy__Notices__LeaseSeconds"] = "10";
            rig.Settings["Subsidy__Notices__RetryInitialDelaySeconds"] = "1";
            rig.Settings["Subsidy__Notices__RetryMaxDelaySeconds"] = "4";
            rig.Settings["Subsidy__Notices__RetryMaxAttempts"] = "1000";
            return rig;
        }
        catch
        {
            smtp?.Dispose();
            TestCluster.TryDelete(root);
            throw;
        }
    }

    /// <summary>
    /// <c>pg_ctl stop -m immediate</c> (every backend killed, crash recovery at the next start), the downtime, start
    /// again. The test's own pool is emptied; the service's pools are its own business.
    /// </summary>
    public async Task RestartDatabaseImmediateAsync(TimeSpan downtime)
    {
        var cluster = Cluster ?? throw new InvalidOperationException("this rig runs on a database it was given: restart that one");
        await Task.Run(() => cluster.RestartImmediate(downtime));
        DataSource.Clear();
    }

    public void Log(string line) => _output?.WriteLine($"{DateTime.Now:HH:mm:ss.fff} {line}");

    /// <summary>Starts one more service process (own port, own data directory) and waits until it is ready.</summary>
    public async Task<ServiceProcess> StartServiceAsync(string? name = null, int? port = null, IReadOnlyDictionary<string, string>? overrides = null)
    {
        var n = Interlocked.Increment(ref _serviceCount);
        name ??= $"service-{n}";
        var env = new Dictionary<string, string>(Settings)
        {
            ["Subsidy__DataDirectory"] = Path.Combine(Root, "data-" + name),
        };
        foreach (var (k, v) in overrides ?? new Dictionary<string, string>())
        {
            env[k] = v;
        }

        var p = port ?? TestCluster.FreePort();
        env["Subsidy__PublicBaseUrl"] = $"http://127.0.0.1:{p}";
        env["Subsidy__Letters__AgencyIban"] = "BE71 0961 2345 6769";
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var service = await ServiceProcess.StartAsync(name, p, env);
        lock (_services)
        {
            _services.Add(service);
        }

        Log($"{name} (pid {service.Pid}) ready on port {p} after {watch.ElapsedMilliseconds} ms");
        return service;
    }

    /// <summary>An HTTP client with the officer's API key for <paramref name="service"/>.</summary>
    public HttpClient Client(ServiceProcess service, TimeSpan? timeout = null) => Client(service.BaseAddress, timeout);

    public HttpClient Client(Uri baseAddress, TimeSpan? timeout = null)
    {
        var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromSeconds(30), MaxConnectionsPerServer = 256 })
        {
            BaseAddress = baseAddress,
            Timeout = timeout ?? TimeSpan.FromSeconds(30),
        };
        http.DefaultRequestHeaders.Add("X-Api-Key", OfficerKey);
        return http;
    }

    public static StringContent Json(JsonNode node) => new(node.ToJsonString(), Encoding.UTF8, "application/json");

    /// <summary>Starts a dossier over HTTP and returns its id.</summary>
    public static async Task<Guid> CreateDossierAsync(HttpClient http, string workflow, JsonObject? data = null)
    {
        data ??= [];
        data["owner"] = Owner;
        using var response = await http.PostAsync(new Uri("/api/dossiers", UriKind.Relative), Json(new JsonObject { ["workflow"] = workflow, ["data"] = data }));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"create {workflow}: {(int)response.StatusCode} {body}");
        return Guid.Parse(JsonNode.Parse(body)!["dossierId"]!.GetValue<string>());
    }

    /// <summary>Fires a transition: the answer's status, body and headers (no exception for error statuses).</summary>
    public static async Task<FireAnswer> FireAsync(HttpClient http, Guid dossier, string trigger, string? idempotencyKey = null, string? ifMatch = null, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"/api/dossiers/{dossier:D}/transitions/{trigger}", UriKind.Relative))
        {
            Content = Json(new JsonObject()),
        };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        using var response = await http.SendAsync(request, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        return new FireAnswer(
            (int)response.StatusCode,
            body,
            response.Content.Headers.ContentType?.MediaType,
            response.Headers.RetryAfter,
            response.Headers.TryGetValues("Idempotent-Replayed", out var replayed) && replayed.Contains("true"));
    }

    public async Task<long> ScalarAsync(string sql, params object[] args)
    {
        await using var cmd = DataSource.CreateCommand(sql);
        foreach (var a in args)
        {
            cmd.Parameters.AddWithValue(a);
        }

        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    public async Task<List<T>> QueryAsync<T>(string sql, Func<NpgsqlDataReader, T> read, params object[] args)
    {
        await using var cmd = DataSource.CreateCommand(sql);
        foreach (var a in args)
        {
            cmd.Parameters.AddWithValue(a);
        }

        var list = new List<T>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            list.Add(read(reader));
        }

        return list;
    }

    /// <summary>Every dossier's chain replayed and verified by the Engine's <see cref="Replayer"/> (checkpoints included).</summary>
    public async Task<ReplaySummary> ReplayAllAsync()
    {
        var authorities = Path.Combine(ServiceProcess.RepositoryRoot, "data", "authorities", "flemish-authorities-demo.csv");
        var programmes = ProgrammeCatalog.Load(Workflows, authorities);
        var catalog = WorkflowCatalog.Load(Workflows, ProgrammeRules.Create(programmes), LetterTemplateDirectory.Default);
        var replayer = new Replayer(DataSource, catalog, new JournalStore(DataSource));
        return await replayer.ReplayAllAsync(new ReplayAllOptions { Workers = 1 });
    }

    /// <summary>
    /// Waits until no notice is pending or being sent; returns how long it took. Fails after <paramref name="timeout"/>
    /// or, when <paramref name="stall"/> is given, as soon as no notice was settled for that long (a backlog that
    /// drains is waited for up to <paramref name="timeout"/>; one that stops draining fails at once). Logs the progress
    /// every 15 s; on a failure the message names the states and, when given, the errors and last lines of
    /// <paramref name="service"/>'s log.
    /// </summary>
    public async Task<TimeSpan> WaitForNoticesSettledAsync(TimeSpan timeout, ServiceProcess? service = null, TimeSpan? stall = null)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var nextLog = TimeSpan.FromSeconds(15);
        var fewest = long.MaxValue;
        var progressAt = TimeSpan.Zero;
        while (true)
        {
            var open = await ScalarAsync("SELECT count(*) FROM notice WHERE status IN ('pending', 'sending')");
            if (open == 0)
            {
                return watch.Elapsed;
            }

            if (open < fewest)
            {
                fewest = open;
                progressAt = watch.Elapsed;
            }

            var stalled = stall is { } s && watch.Elapsed - progressAt > s;
            if (watch.Elapsed > timeout || stalled || watch.Elapsed > nextLog)
            {
                var states = await QueryAsync("SELECT status || ' x' || count(*) || ' (max attempts ' || max(attempts) || ', last error ' || coalesce(max(last_error), '-') || ')' FROM notice GROUP BY status", r => r.GetString(0));
                if (watch.Elapsed > timeout || stalled)
                {
                    var errors = service is null ? "" : string.Join('\n', service.Log.Split('\n').Where(l => l.Contains("fail", StringComparison.OrdinalIgnoreCase) || l.Contains("exception", StringComparison.OrdinalIgnoreCase)).TakeLast(15));
                    var why = stalled ? $"none settled for {stall!.Value.TotalSeconds} s" : $"after {timeout.TotalSeconds} s";
                    throw new TimeoutException($"{open} notice(s) still pending or sending, {why}: {string.Join("; ", states)}" +
                        (service is null ? "" : $"\nerrors in {service.Name}'s log:\n{errors}\nlast lines:\n{service.LogTail(20)}"));
                }

                Log($"settling for {watch.Elapsed.TotalSeconds:F0} s: {string.Join("; ", states)}");
                nextLog += TimeSpan.FromSeconds(15);
            }

            await Task.Delay(200);
        }
    }

    /// <summary>What reached the SMTP server: notice id → number of messages with its Message-ID.</summary>
    public async Task<Dictionary<Guid, int>> DeliveriesAsync()
    {
        var counts = new Dictionary<Guid, int>();
        foreach (var mail in await Smtp.ReadMessagesAsync())
        {
            var m = NoticeMessageId().Match(mail.Message.MessageId ?? string.Empty);
            Assert.True(m.Success, $"unexpected Message-ID {mail.Message.MessageId} in {mail.Path}");
            var id = Guid.Parse(m.Groups[1].Value);
            counts[id] = counts.GetValueOrDefault(id) + 1;
        }

        return counts;
    }

    /// <summary>The bodies (text part) of every message of one notice, to compare duplicates.</summary>
    public async Task<List<string>> BodiesOfAsync(Guid noticeId)
    {
        var bodies = new List<string>();
        foreach (var mail in await Smtp.ReadMessagesAsync())
        {
            if (mail.Message.MessageId?.StartsWith($"notice-{noticeId:N}@", StringComparison.Ordinal) == true)
            {
                bodies.Add((mail.Message.TextBody ?? string.Empty) + "\n--\n" + mail.Message.Subject);
            }
        }

        return bodies;
    }

    /// <summary>Notices by status with their attempts.</summary>
    public Task<List<(Guid Id, string Status, int Attempts, string Kind)>> NoticesAsync() =>
        QueryAsync("SELECT id, status, attempts, kind FROM notice ORDER BY id", r => (r.GetGuid(0), r.GetString(1), r.GetInt32(2), r.GetString(3)));

    /// <summary>
    /// Exactly once, strictly: every notice is sent, has exactly one <c>notice.sent</c> record, and reached the
    /// SMTP server exactly once; nothing else reached it. Returns the number of notices.
    /// </summary>
    public async Task<int> AssertEveryNoticeDeliveredExactlyOnceAsync(params string[] allowedUnsentStatuses)
    {
        var notices = await NoticesAsync();
        var deliveries = await DeliveriesAsync();
        var records = await RecordsPerNoticeAsync();
        var problems = new List<string>();
        foreach (var n in notices)
        {
            var got = deliveries.GetValueOrDefault(n.Id);
            var recorded = records.GetValueOrDefault(n.Id);
            if (n.Status == "sent")
            {
                if (got != 1 || recorded != 1)
                {
                    problems.Add($"{n.Kind} {n.Id}: sent, {got} message(s) on the server, {recorded} notice.sent record(s), {n.Attempts} attempt(s)");
                }
            }
            else if (allowedUnsentStatuses.Contains(n.Status))
            {
                if (got != 0 || recorded != 0)
                {
                    problems.Add($"{n.Kind} {n.Id}: {n.Status} but {got} message(s) on the server, {recorded} record(s)");
                }
            }
            else
            {
                problems.Add($"{n.Kind} {n.Id}: status {n.Status}, {got} message(s), {n.Attempts} attempt(s)");
            }
        }

        var unknown = deliveries.Keys.Except(notices.Select(n => n.Id)).ToList();
        problems.AddRange(unknown.Select(u => $"message for unknown notice {u}"));
        Assert.True(problems.Count == 0, $"{problems.Count} delivery problem(s) among {notices.Count} notices:\n" + string.Join('\n', problems.Take(30)));
        return notices.Count;
    }

    /// <summary>notice id → number of <c>notice.sent</c> journal events naming it.</summary>
    public async Task<Dictionary<Guid, int>> RecordsPerNoticeAsync() =>
        (await QueryAsync("SELECT (arguments::jsonb->>'notice')::uuid, count(*) FROM journal WHERE kind = 'notice.sent' GROUP BY 1", r => (r.GetGuid(0), (int)r.GetInt64(1))))
        .ToDictionary(x => x.Item1, x => x.Item2);

    /// <summary>Per dossier: the dossier_seq values are exactly 1..n (a linear chain) and n equals the dossier's version.</summary>
    public async Task AssertLinearJournalsAsync()
    {
        var bad = await QueryAsync(
            """
            SELECT d.id::text || ': version ' || d.version || ', ' || count(j.*) || ' events, seqs ' || min(j.dossier_seq) || '..' || max(j.dossier_seq)
            FROM dossier d JOIN journal j ON j.dossier_id = d.id
            GROUP BY d.id, d.version
            HAVING count(j.*) <> d.version OR min(j.dossier_seq) <> 1 OR max(j.dossier_seq) <> d.version OR count(DISTINCT j.dossier_seq) <> count(*)
            """,
            r => r.GetString(0));
        Assert.True(bad.Count == 0, "non-linear journals: " + string.Join("; ", bad));
    }

    public async ValueTask DisposeAsync()
    {
        List<ServiceProcess> services;
        lock (_services)
        {
            services = [.. _services];
        }

        foreach (var s in services)
        {
            s.Dispose();
        }

        Smtp.Dispose();
        await DataSource.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        if (Cluster is not null)
        {
            await Cluster.StopAsync();
        }

        if (_database is not null)
        {
            await _database.DisposeAsync();
        }

        TestCluster.TryDelete(Root);
    }

    [GeneratedRegex("^notice-([0-9a-f]{32})@")]
    private static partial Regex NoticeMessageId();
}

/// <summary>One HTTP answer to a fire.</summary>
public sealed record FireAnswer(int Status, string Body, string? ContentType, RetryConditionHeaderValue? RetryAfter, bool Replayed)
{
    public bool IsProblem => ContentType == "application/problem+json";

    public int? ProblemStatus => IsProblem && JsonNode.Parse(Body)?["status"] is JsonValue v && v.TryGetValue<int>(out var s) ? s : null;

    public int Version => JsonNode.Parse(Body)!["version"]!.GetValue<int>();

    public long JournalSeq => JsonNode.Parse(Body)!["journalSeq"]!.GetValue<long>();

    public string To => JsonNode.Parse(Body)!["to"]!.GetValue<string>();
}
