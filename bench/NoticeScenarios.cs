using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Hangfire;
using Hangfire.PostgreSql;
using Npgsql;
using SubsidyEngine.Engine.Configuration;
using SubsidyEngine.Engine.Hosting;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Engine.Letters;
using SubsidyEngine.Engine.Mail;
using SubsidyEngine.Engine.Notices;
using SubsidyEngine.Engine.Programmes;
using SubsidyEngine.Engine.Programmes.Model;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Templates;
using SubsidyEngine.Pdf;
using SubsidyEngine.Workflows.Expressions;
using SubsidyEngine.Workflows.Loading;

namespace SubsidyEngine.Bench;

/// <summary>
/// <c>sweep</c>: reminders for 100,000 dossiers (quick: 25,000) whose deadline is due in 7 days, created and rendered (target at
/// most 60 s). <c>dispatch</c>: notices per second delivered to a local aiosmtpd by the dispatcher, against the same
/// number of notices sent as one Hangfire job each (Hangfire.PostgreSql storage, in-process BackgroundJobServer),
/// and (<c>long_per_s</c>) the backlog the crash test leaves: few dossiers with long journals, real letters.
/// Both on a private cluster with durability on.
/// </summary>
public static class NoticeScenarios
{
    private const string Definition = """
    {
      "id": "bench/notice", "version": 1, "initial": "Open",
      "creation": {
        "roles": ["officer"],
        "parameters": [ { "name": "owner", "type": "string" }, { "name": "reference", "type": "string" }, { "name": "contact", "type": "object" } ],
        "effects": [ { "letter": "award-decision" } ]
      },
      "states": [ { "id": "Open" }, { "id": "Done", "terminal": true } ],
      "triggers": [ { "id": "finish" } ],
      "transitions": [ { "from": "Open", "trigger": "finish", "to": "Done", "roles": ["officer"] } ]
    }
    """;

    private sealed class BenchTemplates : ILetterTemplates
    {
        public bool Exists(string templateId) => templateId is "award-decision" or "report-reminder";

        public int LatestVersion(string templateId) => 1;
    }

    private static WorkflowCatalog Catalog()
    {
        var problems = new List<LoadProblem>();
        var def = DefinitionLoader.LoadDefinition(Encoding.UTF8.GetBytes(Definition), "bench/notice.v1.json", problems)
            ?? throw new InvalidOperationException(string.Join("; ", problems));
        return WorkflowCatalog.FromDefinitions([def], new RuleRegistry(), new BenchTemplates());
    }

    public static async Task<IReadOnlyList<string>> SweepAsync(bool quick)
    {
        var dossiers = quick ? 25_000 : 100_000; // the target scales: 100,000 in 60 s is 1,667 a second
        await using var cluster = await BenchCluster.StartAsync();
        var ds = cluster.DataSource;
        var catalog = Catalog();
        var clock = TimeProvider.System;
        var store = new DefinitionStore(ds, clock);
        await store.EnsureRecordedAsync(catalog.Latest("bench/notice").Definition, CancellationToken.None);
        var runtime = new WorkflowRuntime(ds, catalog, store, clock);
        var options = new NoticeOptions();

        // Set-up, set-based: dossiers with a first journal event and a report deadline due in 7 days (a before-7 stage today).
        var setup = Stopwatch.StartNew();
        await using (var cmd = ds.CreateCommand(
            $$"""
            INSERT INTO dossier (id, workflow_id, workflow_version, state, version, data, head_hash, created_at, updated_at)
            SELECT md5('d' || i)::uuid, 'bench/notice', 1, 'Open', 1,
                   jsonb_build_object('owner', 'gemeente-' || (i % 300), 'reference', 'PS-2024-' || lpad(i::text, 6, '0'),
                                      'contact', jsonb_build_object('email', 'secretariaat' || i || '@gemeente.example.be', 'name', 'Secretariaat ' || i)),
                   md5('h' || i) || md5('x' || i), now(), now()
            FROM generate_series(1, {{dossiers}}) AS i;
            INSERT INTO journal (dossier_id, dossier_seq, occurred_at, actor, actor_role, kind, trigger, from_state, to_state,
                                 definition_id, definition_version, definition_hash, arguments, effects, prev_hash, hash)
            SELECT md5('d' || i)::uuid, 1, now(), 'bench', 'officer', 'created', 'create', '', 'Open', 'bench/notice', 1, 'bench', '{}', '{}',
                   repeat('0', 64), md5('h' || i) || md5('x' || i)
            FROM generate_series(1, {{dossiers}}) AS i;
            INSERT INTO deadline (id, dossier_id, kind, due_at, rule, set_by_seq, remind)
            SELECT md5('dl' || i)::uuid, md5('d' || i)::uuid, 'report', now() + interval '7 days', 'bench', 1, true
            FROM generate_series(1, {{dossiers}}) AS i;
            ANALYZE dossier; ANALYZE journal; ANALYZE deadline;
            """))
        {
            cmd.CommandTimeout = 600;
            await cmd.ExecuteNonQueryAsync();
        }

        Console.WriteLine($"set-up: {dossiers} dossiers with a deadline in {setup.Elapsed.TotalSeconds:F1} s");

        var sweeper = new ReminderSweeper(ds, runtime, clock, options);
        await using var transport = new EmlFileMailTransport(Path.Combine(Path.GetTempPath(), "subsidy-bench-unused"), clock, new MessageComposer(new SmtpOptions()));
        var dispatcher = new NoticeDispatcher(ds, runtime, new PlainNoticeComposer(options), transport, clock, options);

        var watch = Stopwatch.StartNew();
        var created = await sweeper.SweepAsync();
        var sweepSeconds = watch.Elapsed.TotalSeconds;
        Console.WriteLine($"reminder sweep: {created} reminder notices in {sweepSeconds:F1} s");
        var rendered = await dispatcher.PrerenderAsync(2000);
        var total = watch.Elapsed.TotalSeconds;
        Console.WriteLine($"rendering: {rendered} letters stored in {total - sweepSeconds:F1} s");
        var again = await sweeper.SweepAsync();
        Console.WriteLine($"second sweep (idempotent): {again} created in {watch.Elapsed.TotalSeconds - total:F2} s");
        if (created != dossiers || rendered != dossiers || again != 0)
        {
            throw new InvalidOperationException($"expected {dossiers} reminders and letters, got {created} and {rendered}; second sweep {again}");
        }

        return [$"RESULT sweep seconds={total:F1} dossiers={dossiers} per_s={dossiers / total:F0} sweep_s={sweepSeconds:F1} render_s={total - sweepSeconds:F1}"];
    }

    public static async Task<IReadOnlyList<string>> DispatchAsync(bool quick)
    {
        var count = quick ? 500 : 5000;
        await using var cluster = await BenchCluster.StartAsync();
        var ds = cluster.DataSource;
        var catalog = Catalog();
        var clock = TimeProvider.System;
        var runtime = new WorkflowRuntime(ds, catalog, new DefinitionStore(ds, clock), clock);
        var options = new NoticeOptions { DispatchBatchSize = 200 };
        await using var smtp = await AiosmtpdProcess.StartAsync();
        var smtpOptions = new SmtpOptions { Host = "127.0.0.1", Port = smtp.Port, Security = "None" };
        var rawSent = 0;

        // The physical limit: one connection sending prepared messages to this aiosmtpd, nothing else.
        await using (var raw = new SmtpMailTransport(smtpOptions, clock))
        {
            var n = quick ? 200 : 1000;
            var w = Stopwatch.StartNew();
            for (var i = 0; i < n; i++)
            {
                await raw.SendAsync(
                    new OutgoingMessage { NoticeId = Guid.NewGuid(), To = [MailRecipient.Of($"raw{i}@gemeente.example.be")], Subject = "raw", TextBody = "raw", HtmlBody = "<p>raw</p>" },
                    CancellationToken.None);
            }

            Console.WriteLine($"raw SMTP sends on one connection: {n / w.Elapsed.TotalSeconds:F0}/s");
            rawSent = n;
        }
        // The dispatcher.
        await CreateDossiersAsync(runtime, count, "d");
        await using (var transport = new SmtpMailTransport(smtpOptions, clock))
        {
            var dispatcher = new NoticeDispatcher(ds, runtime, new PlainNoticeComposer(options), transport, clock, options);
            var watch = Stopwatch.StartNew();
            var result = await dispatcher.DispatchDueAsync();
            var rate = result.Sent / watch.Elapsed.TotalSeconds;
            Console.WriteLine($"dispatcher: {result.Sent} notices in {watch.Elapsed.TotalSeconds:F1} s = {rate:F0}/s");
            if (result.Sent != count)
            {
                throw new InvalidOperationException($"dispatcher sent {result.Sent} of {count}");
            }

            // The baseline: one Hangfire job per notice.
            await CreateDossiersAsync(runtime, count, "h");
            var baseline = await HangfireBaselineAsync(cluster, runtime, options, smtpOptions, count);
            var delivered = smtp.MessageCount();
            Console.WriteLine($"aiosmtpd received {delivered} messages");
            delivered -= rawSent;
            if (delivered != 2 * count)
            {
                throw new InvalidOperationException($"expected {2 * count} messages at the SMTP server, found {delivered}");
            }

            // The crash test's backlog: few dossiers with long journals, letters rendered from the journal.
            var (longDossiers, longFires) = LongShape(quick);
            var longRate = await LongDossiersAsync(cluster, smtp, smtpOptions, longDossiers, longFires);
            return [$"RESULT dispatch per_s={rate:F0} baseline_per_s={baseline:F0} ratio={rate / baseline:F2} long_per_s={longRate:F0}"];
        }
    }

    private const string CycleDefinition = """
    {
      "id": "bench/cycle", "version": 1, "initial": "A",
      "creation": { "roles": ["officer"], "parameters": [ { "name": "owner", "type": "string" }, { "name": "reference", "type": "string" } ] },
      "states": [ { "id": "A" }, { "id": "B" }, { "id": "C" } ],
      "triggers": [ { "id": "next" } ],
      "transitions": [
        { "from": "A", "trigger": "next", "to": "B", "roles": ["officer"] },
        { "from": "B", "trigger": "next", "to": "C", "roles": ["officer"], "effects": [ { "notice": "deadline-timeout" } ] },
        { "from": "C", "trigger": "next", "to": "A", "roles": ["officer"] }
      ]
    }
    """;

    /// <summary>Dossiers and transitions per dossier of the long-journal part (<c>SUBSIDY_BENCH_DISPATCH_LONG=dossiers x fires</c> overrides).</summary>
    private static (int Dossiers, int Fires) LongShape(bool quick)
    {
        var env = Environment.GetEnvironmentVariable("SUBSIDY_BENCH_DISPATCH_LONG");
        if (env is { } e && e.Split('x') is [var d, var f] && int.TryParse(d, out var dn) && int.TryParse(f, out var fn))
        {
            return (dn, fn);
        }

        return quick ? (16, 300) : (16, 1200);
    }

    /// <summary>
    /// The backlog the crash test leaves: <paramref name="dossiers"/> dossiers of the reliability tests' A → B → C ring
    /// (B → C writes a <c>deadline-timeout</c> notice), each fired <paramref name="fires"/> times, so every third event
    /// has a notice; then one dispatcher with the service's composer (letters rendered from the journal) and batch
    /// size sends them all. Returns notices per second.
    /// </summary>
    private static async Task<double> LongDossiersAsync(BenchCluster cluster, AiosmtpdProcess smtp, SmtpOptions smtpOptions, int dossiers, int fires)
    {
        var ds = cluster.DataSource;
        var clock = TimeProvider.System;
        var problems = new List<LoadProblem>();
        var def = DefinitionLoader.LoadDefinition(Encoding.UTF8.GetBytes(CycleDefinition), "bench/cycle.v1.json", problems)
            ?? throw new InvalidOperationException(string.Join("; ", problems));
        var catalog = WorkflowCatalog.FromDefinitions([def], new RuleRegistry(), LetterTemplateDirectory.Default);
        var runtime = new WorkflowRuntime(ds, catalog, new DefinitionStore(ds, clock), clock);
        var officer = new Actor("bench", "officer");
        var setup = Stopwatch.StartNew();
        var ids = new List<Guid>();
        for (var i = 0; i < dossiers; i++)
        {
            var created = await runtime.CreateAsync(new CreateRequest("bench/cycle", new JsonObject { ["owner"] = $"gemeente-{i}", ["reference"] = $"PS-LONG-{i:D3}" }, officer));
            ids.Add(created.DossierId);
        }

        await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = dossiers }, async (id, ct) =>
        {
            for (var f = 0; f < fires; f++)
            {
                await runtime.FireAsync(new FireRequest(id, "next", null, officer), ct);
            }
        });
        long open;
        await using (var cmd = ds.CreateCommand("SELECT count(*) FROM notice WHERE status = 'pending'"))
        {
            open = Convert.ToInt64(await cmd.ExecuteScalarAsync());
        }

        Console.WriteLine($"set-up: {dossiers} dossiers of {fires + 1} events, {open} notices pending, in {setup.Elapsed.TotalSeconds:F1} s");

        var (messagesBefore, bytesBefore) = smtp.Received();
        var options = new NoticeOptions();
        var letters = new NoticeLetters(
            new JournalStore(ds), catalog, new LetterModelBuilder(new ProgrammeCatalog([], new AuthorityRegister([])), LetterSettings.Default("http://127.0.0.1:5080")),
            new LetterRenderer());
        await using var pdf = new PdfRenderer();
        var composer = new TimedComposer(new TemplateNoticeComposer(letters, new ProgrammeCatalog([], new AuthorityRegister([])), pdf, options));
        await using var transport = new TimedTransport(new SmtpMailTransport(smtpOptions, clock));
        var dispatcher = new NoticeDispatcher(ds, runtime, composer, transport, clock, options);
        var watch = Stopwatch.StartNew();
        var result = await dispatcher.DispatchDueAsync();
        var seconds = watch.Elapsed.TotalSeconds;
        var rate = result.Sent / seconds;
        var (messagesAfter, bytesAfter) = smtp.Received();
        Console.WriteLine($"dispatcher, long journals: {result.Sent} notices ({(bytesAfter - bytesBefore) / 1024.0 / Math.Max(1, messagesAfter - messagesBefore):F1} KB a message) in {seconds:F1} s = {rate:F0}/s; rendering {composer.Elapsed.TotalSeconds:F1} s, " +
                          $"sending {transport.Elapsed.TotalSeconds:F1} s, rest (claims, leases, records) {seconds - composer.Elapsed.TotalSeconds - transport.Elapsed.TotalSeconds:F1} s");
        if (result.Sent != open)
        {
            throw new InvalidOperationException($"dispatcher sent {result.Sent} of {open}");
        }

        return rate;
    }

    /// <summary>Wall time spent inside the calls it times, summed over concurrent calls.</summary>
    private sealed class CallTimer
    {
        private long _ticks;

        public TimeSpan Elapsed => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _ticks));

        public async Task<T> TimeAsync<T>(Func<Task<T>> call)
        {
            var start = Stopwatch.GetTimestamp();
            try
            {
                return await call();
            }
            finally
            {
                Interlocked.Add(ref _ticks, Stopwatch.GetTimestamp() - start);
            }
        }
    }

    private sealed class TimedComposer(INoticeComposer inner) : INoticeComposer
    {
        private readonly CallTimer _timer = new();

        public TimeSpan Elapsed => _timer.Elapsed;

        public Task<ComposedNotice> ComposeAsync(NoticeToCompose notice, CancellationToken ct) => _timer.TimeAsync(() => inner.ComposeAsync(notice, ct));
    }

    private sealed class TimedTransport(IMailTransport inner) : IMailTransport
    {
        private readonly CallTimer _timer = new();

        public TimeSpan Elapsed => _timer.Elapsed;

        public Task<DeliveryReceipt> SendAsync(OutgoingMessage message, CancellationToken ct) => _timer.TimeAsync(() => inner.SendAsync(message, ct));

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    private static async Task CreateDossiersAsync(WorkflowRuntime runtime, int count, string prefix)
    {
        var officer = new Actor("bench", "officer");
        var watch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
            await runtime.CreateAsync(
                new CreateRequest("bench/notice", new JsonObject
                {
                    ["owner"] = $"gemeente-{i % 300}",
                    ["reference"] = $"PS-{prefix}-{i:D6}",
                    ["contact"] = new JsonObject { ["email"] = $"secretariaat{i}@gemeente.example.be", ["name"] = $"Secretariaat {i}" },
                }, officer),
                ct));
        Console.WriteLine($"set-up: {count} dossiers with a letter notice in {watch.Elapsed.TotalSeconds:F1} s");
    }

    /// <summary>Enqueues one Hangfire job per pending notice and waits until all are sent; returns notices per second.</summary>
    private static async Task<double> HangfireBaselineAsync(BenchCluster cluster, WorkflowRuntime runtime, NoticeOptions options, SmtpOptions smtp, int count)
    {
        GlobalConfiguration.Configuration
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            .UsePostgreSqlStorage(
                c => c.UseNpgsqlConnection(cluster.Postgres.ConnectionString),
                new PostgreSqlStorageOptions { QueuePollInterval = TimeSpan.FromSeconds(1), PrepareSchemaIfNecessary = true, EnableLongPolling = false });
        BaselineJob.Configure(cluster.DataSource, runtime, new PlainNoticeComposer(options), smtp);

        var ids = new List<Guid>();
        await using (var cmd = cluster.DataSource.CreateCommand("SELECT id FROM notice WHERE status = 'pending' ORDER BY id"))
        await using (var reader = await cmd.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                ids.Add(reader.GetGuid(0));
            }
        }

        using var server = new BackgroundJobServer(new BackgroundJobServerOptions
        {
            WorkerCount = Math.Max(4, Environment.ProcessorCount * 4),
            SchedulePollingInterval = TimeSpan.FromSeconds(1),
        });
        var watch = Stopwatch.StartNew();
        var client = new BackgroundJobClient();
        foreach (var id in ids)
        {
            client.Enqueue(() => BaselineJob.SendAsync(id));
        }

        while (true)
        {
            await using var cmd = cluster.DataSource.CreateCommand("SELECT count(*) FROM notice WHERE status = 'sent'");
            var sent = Convert.ToInt64(await cmd.ExecuteScalarAsync());
            if (sent >= 2L * count)
            {
                break;
            }

            if (watch.Elapsed > TimeSpan.FromMinutes(10))
            {
                throw new TimeoutException($"Hangfire baseline: only {sent - count} of {count} sent after 10 min");
            }

            await Task.Delay(50);
        }

        var rate = ids.Count / watch.Elapsed.TotalSeconds;
        Console.WriteLine($"baseline (one Hangfire job per notice, {Math.Max(4, Environment.ProcessorCount * 4)} workers): {ids.Count} notices in {watch.Elapsed.TotalSeconds:F1} s = {rate:F0}/s");
        return rate;
    }
}

/// <summary>
/// The baseline's job: what a "one job per notice" design does for each notice. Loads it, renders it, opens an
/// SMTP connection, sends, and records <c>notice.sent</c> with the notice marked sent in one transaction.
/// </summary>
public static class BaselineJob
{
    private static NpgsqlDataSource? _dataSource;
    private static WorkflowRuntime? _runtime;
    private static PlainNoticeComposer? _composer;
    private static SmtpOptions? _smtp;

    public static void Configure(NpgsqlDataSource dataSource, WorkflowRuntime runtime, PlainNoticeComposer composer, SmtpOptions smtp) =>
        (_dataSource, _runtime, _composer, _smtp) = (dataSource, runtime, composer, smtp);

    public static async Task SendAsync(Guid noticeId)
    {
        NoticeToCompose notice;
        await using (var cmd = _dataSource!.CreateCommand(
            """
            SELECT n.id, n.dossier_id, n.kind, n.template_id, n.template_version, n.dossier_seq, n.journal_seq, n.created_at, d.workflow_id, d.state, d.data::text, n.status
            FROM notice n JOIN dossier d ON d.id = n.dossier_id WHERE n.id = $1
            """))
        {
            cmd.Parameters.AddWithValue(noticeId);
            await using var r = await cmd.ExecuteReaderAsync();
            await r.ReadAsync();
            if (r.GetString(11) == "sent")
            {
                return; // already done
            }

            notice = new NoticeToCompose(r.GetGuid(0), r.GetGuid(1), r.GetString(2), r.GetString(3), r.GetInt32(4), r.GetInt32(5), r.GetInt64(6),
                r.GetFieldValue<DateTimeOffset>(7), r.GetString(8), r.GetString(9), CanonicalJson.ParseObject(r.GetString(10)), null);
        }

        var composed = _composer!.Compose(notice);
        await using var transport = new SmtpMailTransport(_smtp!, TimeProvider.System);
        var receipt = await transport.SendAsync(
            new OutgoingMessage { NoticeId = noticeId, To = composed.To, Subject = composed.Subject, TextBody = composed.Text, HtmlBody = composed.Html },
            CancellationToken.None);
        await _runtime!.AppendRecordAsync(
            notice.DossierId, "notice.sent",
            new JsonObject { ["notice"] = noticeId.ToString("D"), ["messageId"] = receipt.MessageId, ["serverReply"] = receipt.ServerReply, ["htmlSha256"] = composed.HtmlSha256 },
            Actor.System, $"notice-sent:{noticeId:D}",
            async (conn, tx, _) =>
            {
                await using var cmd = new NpgsqlCommand("UPDATE notice SET status = 'sent', sent_at = now(), message_id = $2 WHERE id = $1", conn, tx);
                cmd.Parameters.AddWithValue(noticeId);
                cmd.Parameters.AddWithValue(receipt.MessageId);
                await cmd.ExecuteNonQueryAsync();
            });
    }
}

/// <summary>A local aiosmtpd (Debian python3-aiosmtpd) storing messages in a temporary Maildir.</summary>
public sealed class AiosmtpdProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _root;

    private AiosmtpdProcess(Process process, string root, int port)
    {
        _process = process;
        _root = root;
        Port = port;
    }

    public int Port { get; }

    public static async Task<AiosmtpdProcess> StartAsync()
    {
        var root = Path.Combine(Path.GetTempPath(), "subsidy-bench-smtp-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(root);
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        var start = new ProcessStartInfo("/usr/bin/python3") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "-m", "aiosmtpd", "-n", "-l", $"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Mailbox", Path.Combine(root, "maildir") })
        {
            start.ArgumentList.Add(a);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start aiosmtpd (apt-get install python3-aiosmtpd)");
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var watch = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var c = new TcpClient();
                await c.ConnectAsync(IPAddress.Loopback, port);
                break;
            }
            catch (SocketException) when (watch.Elapsed < TimeSpan.FromSeconds(20) && !process.HasExited)
            {
                await Task.Delay(50);
            }
            catch (SocketException) when (process.HasExited)
            {
                throw new InvalidOperationException(
                    $"aiosmtpd exited with code {process.ExitCode} before listening on port {port}; is python3-aiosmtpd installed? (as root: bash scripts/install-prerequisites.sh)");
            }
        }

        return new AiosmtpdProcess(process, root, port);
    }

    public int MessageCount()
    {
        var folder = Path.Combine(_root, "maildir", "new");
        return Directory.Exists(folder) ? Directory.GetFiles(folder).Length : 0;
    }

    /// <summary>Messages received so far and their bytes on disk.</summary>
    public (int Messages, long Bytes) Received()
    {
        var folder = Path.Combine(_root, "maildir", "new");
        var files = Directory.Exists(folder) ? new DirectoryInfo(folder).GetFiles() : [];
        return (files.Length, files.Sum(f => f.Length));
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
