using SubsidyEngine.Workflows.Schema;
using System.Collections.Concurrent;
using System.Net;
using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Infrastructure;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;
using SubsidyEngine.Api.Auth;
using SubsidyEngine.Engine.Access;
using SubsidyEngine.Engine.Runtime;
using Xunit.Abstractions;
using Case = SubsidyEngine.Api.Tests.BadRequestCorpusTests.Case;

namespace SubsidyEngine.Api.Tests;

/// <summary>
/// The service with the development sign-in on (so /dev/sign-in and cookie sessions are real targets) and, for
/// exact table snapshots around each request, without its background writers (the Hangfire server with its
/// minutely sweeps and the notice dispatch loop; they have their own tests). With the real Plan Samenleven
/// programme: its 2023 call opened, Genk's application submitted and eligible, the window closed (the clock jumps to
/// 10 July 2023) and the allocation started, so preview, confirm and award are real writes; the 2024 call is left
/// unopened for the open template. Seeds: a Genk dossier in A, an Antwerpen dossier (foreign to Genk), two Genk
/// dossiers in B1 with an open deadline and a failed notice each (one for the API, one for the follow-up page), a
/// calendar link of Genk, a key holder with a live and a revoked key, a cookie session and an expired cookie.
/// </summary>
public sealed class HostileFactory : ApiFactory
{
    private readonly ConcurrentDictionary<string, (string Cookie, string Token)> _antiforgery = new();
    private NpgsqlDataSource? _db;
    private int _later;

    protected override bool? DevelopmentSignInEnabled => true;

    protected override bool WithProgrammes => true;

    protected override bool RunJobs => false;

    public Guid CallDossier { get; private set; }

    public Guid Application { get; private set; }

    public Guid GenkDossier { get; private set; }

    public Guid ForeignDossier { get; private set; }

    public Guid DeadlineDossier { get; private set; }

    public Guid DeadlineId { get; private set; }

    public Guid NoticeId { get; private set; }

    /// <summary>The second deadline dossier, its open deadline and failed notice: targets of the follow-up page (/notices).</summary>
    public Guid PageDeadlineDossier { get; private set; }

    public Guid PageDeadlineId { get; private set; }

    public Guid PageNoticeId { get; private set; }

    public Guid Holder { get; private set; }

    public Guid HolderKey { get; private set; }

    public string RevokedSecret { get; private set; } = string.Empty;

    /// <summary>"subsidy.session=..." of the development officer, signed in through /dev/sign-in.</summary>
    public string SessionCookie { get; private set; } = string.Empty;

    /// <summary>A session cookie for the development admin, sealed with the service's own keys, expired a month ago.</summary>
    public string ExpiredCookie { get; private set; } = string.Empty;

    public IReadOnlyList<string> Tables { get; private set; } = [];

    public NpgsqlDataSource Db => _db ??= NpgsqlDataSource.Create(ConnectionString);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services =>
        {
            foreach (var d in services.Where(d => d.ServiceType == typeof(IHostedService) && IsBackgroundWriter(d)).ToList())
            {
                services.Remove(d);
            }
        });
    }

    internal static bool IsBackgroundWriter(ServiceDescriptor d)
    {
        if (d.IsKeyedService)
        {
            return false;
        }

        var types = new[] { d.ImplementationType, d.ImplementationInstance?.GetType(), d.ImplementationFactory?.Method.ReturnType, d.ImplementationFactory?.Method.DeclaringType };
        return types.Any(t => t is not null && (t.FullName?.StartsWith("Hangfire", StringComparison.Ordinal) == true || t.Name == "NoticeDispatchLoop"));
    }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();

        // The 2023 call as ProgrammeApiTests drives it, up to an allocation in progress with one eligible application.
        CallDossier = await ProgrammeScenario.OpenCallAsync(this);
        Application = await ProgrammeScenario.StartAsync(this, "genk", ProgrammeScenario.GenkApplication());
        await ProgrammeScenario.FireAsync(this, Application, "submit", "genk");
        await Services.GetRequiredService<SubsidyEngine.Engine.Programmes.ProgrammeService>().DecideEligibilityAsync(Application, true, null, ProgrammeScenario.ActorOf(this, "officer"));
        Clock.JumpTo(new DateTimeOffset(2023, 7, 10, 12, 0, 1, TimeSpan.FromHours(2)));
        await Services.GetRequiredService<DeadlineSweeper>().FireDueTimeoutsAsync();
        await ProgrammeScenario.FireAsync(this, CallDossier, "start-allocation", "officer");

        GenkDossier = await CreateAbcAsync(Genk, title: "Genk hostile");
        ForeignDossier = await CreateAbcAsync(Antwerpen, title: "Antwerpen foreign");
        (DeadlineDossier, DeadlineId, NoticeId) = await DeadlineAsync();
        (PageDeadlineDossier, PageDeadlineId, PageNoticeId) = await DeadlineAsync();
        await Services.GetRequiredService<SubsidyEngine.Engine.Notices.CalendarFeed>().RenewAsync(Genk); // a live link: renewing it asks for confirmation
        var users = Services.GetRequiredService<UserDirectory>();
        Holder = (await users.CreateUserAsync("Holder", "holder@test.invalid", Roles.Officer, null)).Id;
        HolderKey = (await users.CreateKeyAsync(Holder, "to revoke")).Key.Id;
        var revoked = await users.CreateKeyAsync(Holder, "revoked");
        await users.RevokeKeyAsync(Holder, revoked.Key.Id);
        RevokedSecret = revoked.Secret;

        await using (var cmd = Db.CreateCommand("SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 1"))
        await using (var reader = await cmd.ExecuteReaderAsync())
        {
            var list = new List<string>();
            while (await reader.ReadAsync())
            {
                list.Add(reader.GetString(0));
            }

            Tables = list;
        }

        var (cookie, token) = await AntiforgeryAsync("anonymous");
        using var client = As(null);
        using var signIn = new HttpRequestMessage(HttpMethod.Post, "/dev/sign-in") { Content = Form(("userId", DevelopmentSignIn.Users[0].Id.ToString("D")), ("returnUrl", "/api/me")) };
        signIn.Headers.Add("Cookie", cookie);
        signIn.Headers.Add(SubsidyAuth.AntiforgeryHeader, token);
        var response = await client.SendAsync(signIn);
        Assert.True(response.StatusCode == HttpStatusCode.Redirect, await response.Content.ReadAsStringAsync());
        SessionCookie = CookieOf(response, "subsidy.session");

        var options = Services.GetRequiredService<IOptionsMonitor<CookieAuthenticationOptions>>().Get(SubsidyAuth.CookieScheme);
        var now = Services.GetRequiredService<TimeProvider>().GetUtcNow(); // the service's clock (2023 here), not the machine's
        var ticket = new AuthenticationTicket(SubsidyAuth.Principal(DevelopmentSignIn.Users[2], "cookie", SubsidyAuth.CookieScheme),
            new AuthenticationProperties { IssuedUtc = now.AddDays(-30), ExpiresUtc = now.AddDays(-29) }, SubsidyAuth.CookieScheme);
        ExpiredCookie = "subsidy.session=" + options.TicketDataFormat.Protect(ticket);
    }

    /// <summary>A Genk test/abc dossier moved to B1 (an open deadline), its deadline and its first notice, marked failed.</summary>
    private async Task<(Guid Dossier, Guid Deadline, Guid Notice)> DeadlineAsync()
    {
        var dossier = await CreateAbcAsync(Genk, amount: 5);
        using (var officer = As("officer"))
        {
            var go = await officer.PostAsync($"/api/dossiers/{dossier}/transitions/go", Json("{}"));
            Assert.True(go.IsSuccessStatusCode, await go.Content.ReadAsStringAsync());
        }

        var deadline = await GuidAsync($"SELECT id FROM deadline WHERE dossier_id = '{dossier}' AND status = 'open'");
        var notice = await GuidAsync($"UPDATE notice SET status = 'failed', last_error = 'hostile set-up' WHERE id = (SELECT id FROM notice WHERE dossier_id = '{dossier}' ORDER BY id LIMIT 1) RETURNING id");
        return (dossier, deadline, notice);
    }

    public static StringContent Form(params (string Name, string Value)[] fields) =>
        new(string.Join('&', fields.Select(f => Uri.EscapeDataString(f.Name) + "=" + Uri.EscapeDataString(f.Value))), Encoding.UTF8, "application/x-www-form-urlencoded");

    public static string CookieOf(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues("Set-Cookie", out var values)
            ? values.Select(v => v.Split(';')[0]).FirstOrDefault(v => v.StartsWith(name + "=", StringComparison.Ordinal)) ?? throw new InvalidOperationException($"no {name} cookie")
            : throw new InvalidOperationException("no Set-Cookie");

    /// <summary>The antiforgery cookie and token for a persona (API key, the cookie session, or anonymous), fetched once.</summary>
    public async Task<(string Cookie, string Token)> AntiforgeryAsync(string persona)
    {
        if (_antiforgery.TryGetValue(persona, out var cached))
        {
            return cached;
        }

        using var client = As(persona is "anonymous" or "session" ? null : persona);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/auth/antiforgery");
        if (persona == "session")
        {
            request.Headers.Add("Cookie", SessionCookie);
        }

        var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        var pair = (CookieOf(response, "subsidy.antiforgery"), JsonNode.Parse(body)!["token"]!.GetValue<string>());
        _antiforgery[persona] = pair;
        return pair;
    }

    /// <summary>A due time later than any handed out before (each accepted extension moves the deadline on).</summary>
    public string Later() => new DateTimeOffset(2031, 1, 1, 0, 0, 0, TimeSpan.FromHours(1)).AddMinutes(Interlocked.Increment(ref _later)).ToString("yyyy-MM-dd'T'HH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture);

    public async Task<Guid> GuidAsync(string sql)
    {
        await using var cmd = Db.CreateCommand(sql);
        return (Guid)(await cmd.ExecuteScalarAsync())!;
    }

    public async Task<string?> TextAsync(string sql, params object[] parameters)
    {
        await using var cmd = Db.CreateCommand(sql);
        foreach (var p in parameters)
        {
            cmd.Parameters.AddWithValue(p);
        }

        var value = await cmd.ExecuteScalarAsync();
        return value is null or DBNull ? null : Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Row count and the sum of a 64-bit hash of every row (as JSON) per table of the public schema; api_key.last_used_at left out (reads touch it).</summary>
    public async Task<Dictionary<string, string>> SnapshotAsync()
    {
        var sql = string.Join(" UNION ALL ", Tables.Select(t =>
            $"SELECT '{t}', count(*)::text || ':' || coalesce(sum(hashtextextended((to_jsonb(r) - 'last_used_at')::text, 0)::numeric), 0)::text FROM \"{t}\" r"));
        await using var cmd = Db.CreateCommand(sql);
        await using var reader = await cmd.ExecuteReaderAsync();
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        while (await reader.ReadAsync())
        {
            result[reader.GetString(0)] = reader.GetString(1);
        }

        return result;
    }

    public override async ValueTask DisposeAsync()
    {
        if (_db is not null)
        {
            await _db.DisposeAsync();
        }

        await base.DisposeAsync();
    }
}

/// <summary>How a hostile case must end.</summary>
public enum Outcome
{
    /// <summary>4xx problem details (naming the field when one is given), nothing changed.</summary>
    Refused,

    /// <summary>A valid request after all: the listed tables may change and the stored value is exactly what was sent.</summary>
    Accepted,

    /// <summary>A form post re-rendered (200 HTML) with the refusal on the page, nothing changed.</summary>
    PageRefused,

    /// <summary>An anonymous page post sent to the sign-in screen (302 /dev/sign-in), nothing changed.</summary>
    SignInRedirect,
}

/// <summary>Reads back what an accepted case stored (or returns why it is wrong); null: fine.</summary>
public delegate Task<string?> Verify(HostileFactory api, HttpResponseMessage response, JsonNode? json);

public sealed record Expect(Outcome Outcome, int[] Statuses, string? Field = null, string[]? Tables = null, Verify? Check = null)
{
    public static Expect Refuse(string? field = null, params int[] statuses) => new(Outcome.Refused, statuses, field);

    public static Expect Accept(int status, string[] tables, Verify? check = null) => new(Outcome.Accepted, [status], null, tables, check);

    public static Expect Page() => new(Outcome.PageRefused, [200]);

    public static Expect SignIn() => new(Outcome.SignInRedirect, [302]);
}

/// <summary>One generated hostile request: its category, the endpoint it aims at, the request (placeholders resolved when sent), the expected end.</summary>
public sealed record Hostile(string Category, string Endpoint, Case Request, Expect Expect, string? TokenOf = null)
{
    public override string ToString() => $"[{Category}] {Endpoint}: {Request.Name}";
}

/// <summary>
/// Issue #8: a generated hostile-input corpus (well over 500 requests) against every write endpoint, taken from the
/// OpenAPI document, the endpoint table (undocumented form and development endpoints) and the Razor page handlers.
/// Each request is mutated from a valid template; a write without a template fails the test. Asserted per case: no
/// 5xx; refusals are problem details naming the field at fault; a row count + md5 snapshot of every table is equal
/// before and after, except for cases marked accepted (still valid), whose stored value is read back exactly.
/// </summary>
public sealed class HostileInputTests(HostileFactory api, ITestOutputHelper output) : IClassFixture<HostileFactory>
{
    private const string Af = "{af}";

    private Dictionary<string, string>? _last; // marks a case that carries the antiforgery cookie + token of TokenOf (default: its persona)

    private static readonly string[] DossierWrite = ["dossier", "journal", "idempotency_key"];

    private static readonly string[] CallWrite = ["dossier", "dossier_unique", "journal", "idempotency_key", "deadline", "notice", "reminder"];

    // ---------------------------------------------------------------- templates

    public enum Kind { Text, Identifier, Email, Role, Amount, Timestamp, Object }

    /// <summary>A body member (path with dots into nested objects), its kind, whether required, the minimum of an amount, whether line breaks are allowed.</summary>
    public sealed record Field(string Path, Kind Kind, bool Required, decimal? Min = null, bool Multiline = false)
    {
        public string Leaf => Path.Split('.')[^1];
    }

    /// <summary>A valid JSON request and how to read back what it stored (field path -> stored value as text, numbers as JSON text).</summary>
    public sealed record JsonTemplate(string Endpoint, string Persona, string Path, string Body, Field[] Fields, string[] Tables, int Status,
        Func<HostileFactory, JsonNode?, string, Task<string?>> ReadBack, string[] Ids, (string Persona, int[] Statuses)[] Denied, bool Idempotent = false);

    /// <summary>A valid request without a JSON body (form posts carry their form, page posts their antiforgery token).</summary>
    public sealed record PlainTemplate(string Endpoint, string Persona, string Method, string Path, string[] Tables, int[] Status, string[] Ids,
        (string Persona, int[] Statuses)[] Denied, string? Form = null, bool Antiforgery = false, bool IsPage = false, bool Anonymous = false);

    private static async Task<string?> DossierData(HostileFactory api, JsonNode? response, string path) =>
        await api.TextAsync("SELECT data #>> $2 FROM dossier WHERE id = $1", Guid.Parse(response!["dossierId"]!.GetValue<string>()), path.Split('.').Skip(1).ToArray());

    private static async Task<string?> LastArguments(HostileFactory api, JsonNode? response, string path)
    {
        var args = await api.TextAsync("SELECT arguments FROM journal WHERE dossier_id = $1 ORDER BY dossier_seq DESC LIMIT 1", Guid.Parse(response!["dossierId"]!.GetValue<string>()));
        var node = JsonNode.Parse(args!)![path];
        return node is JsonValue v && v.TryGetValue<string>(out var s) ? s : node?.ToJsonString();
    }

    public static readonly JsonTemplate[] JsonTemplates =
    [
        new("POST /api/dossiers", "officer", "/api/dossiers", """{"workflow":"test/abc","data":{"owner":"71016","title":"Hostile","amount":5}}""",
            [new("workflow", Kind.Identifier, true), new("data", Kind.Object, true), new("data.title", Kind.Text, false), new("data.owner", Kind.Text, false), new("data.amount", Kind.Amount, false)],
            DossierWrite, 201, DossierData, [], [("auditor", [403]), ("antwerpen", [403]), ("gent", [403])], Idempotent: true),
        new("POST /api/dossiers/{id}/transitions/{trigger}", "genk", "/api/dossiers/{genk}/transitions/set-amount", """{"amount":5,"comment":"ok"}""",
            [new("amount", Kind.Amount, true, Min: 0), new("comment", Kind.Text, false, Multiline: true)],
            DossierWrite, 200, LastArguments, ["{genk}", "set-amount"], [("auditor", [403]), ("antwerpen", [404]), ("gent", [404])], Idempotent: true),
        new("POST /api/users", "admin", "/api/users", """{"displayName":"Hostile user","email":"u{uniq}@test.invalid","role":"officer"}""",
            [new("displayName", Kind.Text, true), new("email", Kind.Email, true), new("role", Kind.Role, true)],
            ["users"], 201,
            (api, r, f) => api.TextAsync("SELECT to_jsonb(u) ->> $2 FROM users u WHERE id = $1", Guid.Parse(r!["id"]!.GetValue<string>()), f == "displayName" ? "display_name" : f),
            [], [("officer", [403]), ("genk", [403]), ("auditor", [403])]),
        new("POST /api/users/{id}/keys", "admin", "/api/users/{holder}/keys", """{"label":"hostile"}""",
            [new("label", Kind.Text, true)], ["api_key"], 201,
            (api, r, f) => api.TextAsync("SELECT label FROM api_key WHERE id = $1", Guid.Parse(r!["id"]!.GetValue<string>())),
            ["{holder}"], [("officer", [403]), ("genk", [403]), ("auditor", [403])]),
        new("POST /api/deadlines/{id}/extensions", "officer", "/api/deadlines/{deadline}/extensions", """{"newDue":"{later}","reason":"hostile"}""",
            [new("newDue", Kind.Timestamp, true), new("reason", Kind.Text, true)], ["dossier", "deadline", "deadline_extension", "journal", "notice", "reminder"], 200,
            (api, r, f) => api.TextAsync("SELECT reason FROM deadline_extension WHERE id = $1", Guid.Parse(r!["id"]!.GetValue<string>())),
            ["{deadline}"], [("genk", [403]), ("auditor", [403])]),
    ];

    public static readonly PlainTemplate[] PlainTemplates =
    [
        new("POST /api/migrations/{id}/dry-run", "officer", "POST", "/api/migrations/cycle-v1-v2/dry-run", [], [200], ["cycle-v1-v2"], [("genk", [403]), ("auditor", [403])]),
        new("POST /api/migrations/{id}/apply", "admin", "POST", "/api/migrations/cycle-v1-v2/apply", ["dossier", "journal", "workflow_definition"], [200], ["cycle-v1-v2"], [("officer", [403]), ("genk", [403]), ("auditor", [403])]),
        new("POST /api/audit/replay", "auditor", "POST", "/api/audit/replay", [], [200], [], [("officer", [403]), ("genk", [403])]),
        new("DELETE /api/users/{id}/keys/{keyId}", "admin", "DELETE", "/api/users/{holder}/keys/{key}", ["api_key"], [204], ["{holder}", "{key}"], [("officer", [403]), ("genk", [403]), ("auditor", [403])]),
        new("POST /api/notices/{id}/retry", "officer", "POST", "/api/notices/{notice}/retry", ["dossier", "notice", "journal"], [204], ["{notice}"], [("genk", [403]), ("auditor", [403])]),
        new("POST /auth/sign-out", "anonymous", "POST", "/auth/sign-out", [], [204], [], [], Anonymous: true),
        new("POST /dev/sign-in", "anonymous", "POST", "/dev/sign-in", [], [302], [], [], Form: "userId={devuser}&returnUrl=%2Fapi%2Fme", Antiforgery: true, Anonymous: true),
        new("ANY /health/live", "anonymous", "POST", "/health/live", [], [200], [], [], Anonymous: true),
        new("ANY /health/ready", "anonymous", "POST", "/health/ready", [], [200], [], [], Anonymous: true),
        // The dashboard is a page (unsigned callers go to the sign-in screen) and checks the antiforgery token itself.
        new("ANY /hangfire/{**path}", "admin", "POST", "/hangfire/stats", [], [200], [], [("officer", [403]), ("genk", [403]), ("auditor", [403])], Form: "", Antiforgery: true, IsPage: true),
        new("POST /dossiers/{id}?handler=Fire", "genk", "POST", "/dossiers/{genk}?handler=Fire", ["dossier", "journal"], [200], ["{genk}"], [("antwerpen", [404]), ("gent", [404])],
            Form: "trigger=set-amount&p_amount=5&comment=ok", Antiforgery: true, IsPage: true),
        new("POST /dossiers/{id}?handler=Save", "genk", "POST", "/dossiers/{genk}?handler=Save", [], [200], ["{genk}"], [("antwerpen", [404])], Form: "planned_X=1", Antiforgery: true, IsPage: true),
        new("POST /dossiers/{id}?handler=Submit", "genk", "POST", "/dossiers/{genk}?handler=Submit", [], [200], ["{genk}"], [("antwerpen", [404])], Form: "confirm=true", Antiforgery: true, IsPage: true),
        new("POST /dossiers/{id}?handler=Report", "genk", "POST", "/dossiers/{genk}?handler=Report", [], [200], ["{genk}"], [("antwerpen", [404])], Form: "trigger=report-interim&realised_X=1", Antiforgery: true, IsPage: true),
        new("POST /dossiers/{id}?handler=Eligibility", "officer", "POST", "/dossiers/{genk}?handler=Eligibility", [], [200], ["{genk}"], [("antwerpen", [404])], Form: "eligible=true&comment=ok", Antiforgery: true, IsPage: true),
        // test/abc is no call: the allocation handlers answer 404 even to a valid request (the programme paths are covered by Ui.Tests).
        new("POST /dossiers/{id}?handler=Preview", "officer", "POST", "/dossiers/{genk}?handler=Preview", [], [404], ["{genk}"], [("antwerpen", [404])], Form: "", Antiforgery: true, IsPage: true),
        new("POST /dossiers/{id}?handler=Confirm", "officer", "POST", "/dossiers/{genk}?handler=Confirm", [], [404], ["{genk}"], [("antwerpen", [404])], Form: "", Antiforgery: true, IsPage: true),
        new("POST /dossiers/{id}?handler=AwardAll", "officer", "POST", "/dossiers/{genk}?handler=AwardAll", [], [404], ["{genk}"], [("antwerpen", [404])], Form: "", Antiforgery: true, IsPage: true),
        new("POST /portal?handler=Start", "genk", "POST", "/portal?handler=Start", [], [200], [], [("officer", [403])], Form: "programme=nope&call=nope&participants=44021", Antiforgery: true, IsPage: true),
        new("POST /signout", "genk", "POST", "/signout", [], [302], [], [], Form: "", Antiforgery: true, IsPage: true),
        // The calls of the real programme (HostileFactory): 2024 unopened, 2023 with its allocation started and Genk's eligible application.
        new("POST /api/programmes/{programmeId}/calls/{callId}/open", "officer", "POST", "/api/programmes/plan-samenleven/calls/2024/open", CallWrite, [201],
            ["plan-samenleven", "2024"], [("genk", [403]), ("auditor", [403])]),
        // 2023's application window closed before the factory's clock: a valid request is refused with the reason (409);
        // the accepted path and the hostile bodies are covered by TrustBoundaryApiTests.
        new("POST /api/programmes/{programmeId}/calls/{callId}/applications", "genk", "POST", "/api/programmes/plan-samenleven/calls/2023/applications", [], [409],
            ["plan-samenleven", "2023"], [("auditor", [403])]),
        new("POST /api/programmes/{programmeId}/calls/{callId}/allocation/preview", "officer", "POST", "/api/programmes/plan-samenleven/calls/2023/allocation/preview", [], [200],
            ["plan-samenleven", "2023"], [("genk", [403]), ("auditor", [403])]),
        new("POST /api/programmes/{programmeId}/calls/{callId}/allocation/confirm", "officer", "POST", "/api/programmes/plan-samenleven/calls/2023/allocation/confirm", CallWrite, [200],
            ["plan-samenleven", "2023"], [("genk", [403]), ("auditor", [403])]),
        new("POST /api/programmes/{programmeId}/calls/{callId}/award", "officer", "POST", "/api/programmes/plan-samenleven/calls/2023/award", CallWrite, [200],
            ["plan-samenleven", "2023"], [("genk", [403]), ("auditor", [403])]),
        new("POST /migrations?handler=DryRun", "officer", "POST", "/migrations?handler=DryRun", [], [200], [], [("genk", [403]), ("auditor", [403])],
            Form: "id=cycle-v1-v2", Antiforgery: true, IsPage: true),
        new("POST /migrations?handler=Apply", "admin", "POST", "/migrations?handler=Apply", ["dossier", "journal", "workflow_definition"], [200], [], [("officer", [403]), ("genk", [403]), ("auditor", [403])],
            Form: "id=cycle-v1-v2&confirm=true", Antiforgery: true, IsPage: true),
        new("POST /notices?handler=Retry", "officer", "POST", "/notices?handler=Retry", ["dossier", "notice", "journal"], [200], [], [("genk", [403]), ("auditor", [403])],
            Form: "notice={pagenotice}", Antiforgery: true, IsPage: true),
        new("POST /notices?handler=Extend", "officer", "POST", "/notices?handler=Extend", ["dossier", "deadline", "deadline_extension", "journal", "notice", "reminder"], [200], [],
            [("genk", [403]), ("auditor", [403])], Form: "dossier={pagedossier}&deadline={pagedeadline}&newDue=2031-06-30&reason=hostile", Antiforgery: true, IsPage: true),
        // Opening a call the officers have not opened yet (2024; the factory opened 2023): the call dossier is created.
        new("POST /board?handler=OpenCall", "officer", "POST", "/board?handler=OpenCall", ["dossier", "journal", "dossier_unique", "deadline"], [302], [],
            [("genk", [403]), ("auditor", [403])], Form: "programme=plan-samenleven&call=2024", Antiforgery: true, IsPage: true),
        new("POST /portal?handler=Calendar", "genk", "POST", "/portal?handler=Calendar", ["calendar_token"], [200], [], [("officer", [403]), ("auditor", [403])],
            Form: "confirm=true", Antiforgery: true, IsPage: true),
        // test/abc has no continuation decision: the review page shows the refusal (the programme path is covered by Ui.Tests).
        new("POST /reports?handler=Continuation", "officer", "POST", "/reports?handler=Continuation", [], [200], [], [("genk", [403]), ("auditor", [200])],
            Form: "id={genk}&version=1&accepted=2.1", Antiforgery: true, IsPage: true),
    ];

    // ---------------------------------------------------------------- discovery

    /// <summary>"METHOD /path/{param}" without constraints or a trailing slash.</summary>
    private static string Normalize(string method, string path)
    {
        var p = System.Text.RegularExpressions.Regex.Replace(path, @"\{(\**[A-Za-z0-9_]+)(:[^}]*)?\}", "{$1}").TrimEnd('/');
        return $"{method} {(p.StartsWith('/') ? p : "/" + p)}";
    }

    /// <summary>Every write the service offers: OpenAPI operations, routed endpoints (any method or a write method), Razor page POST handlers.</summary>
    private async Task<SortedSet<string>> WriteOperationsAsync()
    {
        var writes = new SortedSet<string>(StringComparer.Ordinal);
        using var anonymous = api.As(null);
        var doc = JsonNode.Parse(await anonymous.GetStringAsync("/openapi/v1.json"))!;
        foreach (var (path, item) in doc["paths"]!.AsObject())
        {
            foreach (var (method, _) in item!.AsObject())
            {
                if (method is "post" or "put" or "patch" or "delete")
                {
                    // The per-trigger operations (TransitionSchemas) document the one routed fire endpoint with a body schema each.
                    var routed = System.Text.RegularExpressions.Regex.Replace(path, @"^/api/dossiers/\{id\}/transitions/[a-z0-9-]+$", "/api/dossiers/{id}/transitions/{trigger}");
                    writes.Add(Normalize(method.ToUpperInvariant(), routed));
                }
            }
        }

        foreach (var endpoint in api.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            if (endpoint.Metadata.GetMetadata<PageActionDescriptor>() is not null)
            {
                continue;
            }

            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods;
            var raw = endpoint.RoutePattern.RawText ?? string.Empty;
            if (methods is null || methods.Count == 0)
            {
                writes.Add(Normalize("ANY", raw));
            }
            else
            {
                foreach (var m in methods.Where(m => m is "POST" or "PUT" or "PATCH" or "DELETE"))
                {
                    writes.Add(Normalize(m, raw));
                }
            }
        }

        var routes = api.Services.GetRequiredService<IActionDescriptorCollectionProvider>().ActionDescriptors.Items.OfType<PageActionDescriptor>()
            .GroupBy(p => p.ViewEnginePath, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().AttributeRouteInfo?.Template ?? g.Key, StringComparer.Ordinal);
        foreach (var model in typeof(Program).Assembly.GetTypes().Where(t => typeof(PageModel).IsAssignableFrom(t) && !t.IsAbstract))
        {
            var page = "/" + model.Name[..^"Model".Length];
            Assert.True(routes.TryGetValue(page, out var template), $"no page route for {model.Name}");
            foreach (var handler in model.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            {
                foreach (var verb in new[] { "Post", "Put", "Patch", "Delete" })
                {
                    if (handler.Name.StartsWith("On" + verb, StringComparison.Ordinal))
                    {
                        var name = handler.Name["On".Length..][verb.Length..];
                        name = name.EndsWith("Async", StringComparison.Ordinal) ? name[..^"Async".Length] : name;
                        writes.Add(Normalize(verb.ToUpperInvariant(), template!) + (name.Length == 0 ? string.Empty : $"?handler={name}"));
                    }
                }
            }
        }

        return writes;
    }

    [Fact]
    public async Task Every_write_operation_has_a_valid_request_template_in_the_corpus_and_every_template_is_a_live_write()
    {
        var writes = await WriteOperationsAsync();
        var templates = JsonTemplates.Select(t => t.Endpoint).Concat(PlainTemplates.Select(t => t.Endpoint)).ToHashSet(StringComparer.Ordinal);
        var missing = writes.Where(w => !templates.Contains(w)).ToList();
        Assert.True(missing.Count == 0,
            "Write operations without a valid-request template in HostileInputTests (add one to JsonTemplates or PlainTemplates):\n" + string.Join("\n", missing));
        var stale = templates.Where(t => !writes.Contains(t)).ToList();
        Assert.True(stale.Count == 0, "Templates for operations that no longer exist:\n" + string.Join("\n", stale));
        output.WriteLine($"{writes.Count} write operations: {string.Join(", ", writes)}");
    }

    [Fact]
    public async Task Every_template_is_a_valid_request_that_changes_only_its_own_tables()
    {
        var failures = new List<string>();
        foreach (var t in JsonTemplates)
        {
            await RunAsync(new Hostile("template", t.Endpoint, new Case("valid", t.Persona, "POST", t.Path, t.Body), Expect.Accept(t.Status, t.Tables)), failures);
        }

        foreach (var t in PlainTemplates)
        {
            var expect = t.Status[0] >= 400 ? Expect.Refuse(null, t.Status) : Expect.Accept(t.Status[0], t.Tables);
            await RunAsync(new Hostile("template", t.Endpoint, PlainCase(t, "valid", t.Persona), expect), failures);
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    // ---------------------------------------------------------------- generation

    private static Case PlainCase(PlainTemplate t, string name, string persona, string? path = null, string? method = null, (string, string)[]? headers = null, string? form = null, string? contentType = null, byte[]? raw = null)
    {
        var body = form ?? t.Form;
        return new Case(name, persona, method ?? t.Method, path ?? t.Path, body, contentType ?? "application/x-www-form-urlencoded",
            t.Antiforgery ? [.. headers ?? [], (Af, Af)] : headers, raw);
    }

    private static JsonNode? Get(JsonObject root, string path)
    {
        JsonNode? node = root;
        foreach (var part in path.Split('.'))
        {
            node = node?.AsObject()[part];
        }

        return node;
    }

    private static string With(JsonTemplate t, string path, JsonNode? value, bool remove = false)
    {
        var root = JsonNode.Parse(t.Body)!.AsObject();
        var parts = path.Split('.');
        var parent = parts.Length == 1 ? root : Get(root, string.Join('.', parts[..^1]))!.AsObject();
        if (remove)
        {
            parent.Remove(parts[^1]);
        }
        else
        {
            parent[parts[^1]] = value;
        }

        return root.ToJsonString();
    }

    private static Verify StoredExactly(JsonTemplate t, string path, string sent) => async (api, _, json) =>
    {
        var stored = await t.ReadBack(api, json, path);
        return stored == sent ? null : $"stored {Show(stored)} instead of {Show(sent)}";
    };

    private static Verify StoredNumber(JsonTemplate t, string path, string sentJson) => async (api, _, json) =>
    {
        var stored = await t.ReadBack(api, json, path);
        return stored is not null && decimal.Parse(stored, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture)
            == decimal.Parse(sentJson, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture)
            ? null : $"stored {Show(stored)} instead of {sentJson}";
    };

    private static string Show(string? s) => s is null ? "null" : System.Text.Json.JsonSerializer.Serialize(s);

    /// <summary>Injection payloads that are plain text to this service: stored and shown as sent, never interpreted.</summary>
    private static readonly string[] Injections =
    [
        "'; DROP TABLE dossier;--", "' OR '1'='1", "1); DELETE FROM users WHERE (1=1", "{{ 7 * 7 }}", "{{ include 'secrets' }}", "{{ for x in 1..100000000 }}x{{ end }}",
        "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "../../../../etc/passwd", "%s%n{0}${jndi:ldap://x}", "*)(uid=*))(|(uid=*",
    ];

    /// <summary>Harmless unicode: stored exactly as sent.</summary>
    private static readonly string[] HarmlessUnicode = ["Ge\u200Bnk", "G\u0435nk", "Caf\u00e9 e\u0301", "\uD83D\uDC69\u200D\uD83D\uDCBB team", "\uFF21\uFF24\uFF2D\uFF29\uFF2E", "\u0627\u0644\u0639\u0631\u0628\u064A\u0629"];

    /// <summary>Strings refused in every single-line text field (control characters, bidi overrides, mail header injection).</summary>
    private static readonly string[] Refused =
    [
        "bell\u0007", "\u001b[31mred", "tab\there", "Jan\r\nBcc: victim@example.com", "line\nbreak", "nel\u0085", "del\u007f", "\u202Egnp.exe", "iso\u2066late\u2069", "mark\u200F",
    ];

    private static IEnumerable<Hostile> JsonCases(JsonTemplate t)
    {
        var e = t.Endpoint;
        Case C(string name, string body, string? persona = null, string contentType = "application/json", (string, string)[]? headers = null, byte[]? raw = null, string? path = null) =>
            new(name, persona ?? t.Persona, "POST", path ?? t.Path, body, contentType, headers, raw);
        var valid = t.Body;

        // Malformed and truncated JSON.
        var malformed = new List<string>
        {
            valid[..(valid.Length / 4)], valid[..(valid.Length / 2)], valid[..(valid.Length * 3 / 4)], valid[..^1], "{", "null", "[]", "\"text\"", "123", "true",
            valid[..^1] + ",}", valid.Replace('"', '\''), valid + "/*comment*/", valid + " trailing", "{" + valid[1..^1] + "," + valid[1..^1] + "}", BadRequestCorpusTests.Deep,
            valid.Replace("5", "NaN", StringComparison.Ordinal) is var nan && nan != valid ? nan : """{"x":NaN}""", """{"x":Infinity}""", "\uFEFF" + valid, "{\"a\":\"raw\u0001control\"}",
        };
        if (!e.Contains("/transitions/", StringComparison.Ordinal))
        {
            malformed.Add(string.Empty); // the fire endpoint reads an empty body as no arguments (then: amount is required, below)
        }

        foreach (var (m, i) in malformed.Select((m, i) => (m, i)))
        {
            yield return new("malformed JSON", e, C($"malformed {i}", m), Expect.Refuse(null, 400));
        }

        // Invalid UTF-8 inside a string value: bad continuation, overlong '/', overlong 3-byte, an encoded surrogate, a 5-byte form, 0xFF, a lone continuation, a cut sequence.
        var firstText = t.Fields.FirstOrDefault(f => f.Kind is Kind.Text or Kind.Identifier or Kind.Email or Kind.Timestamp);
        byte[][] bad = [[0xC3, 0x28], [0xC0, 0xAF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80], [0xFF], [0x80], [0xE2, 0x82]];
        foreach (var (b, i) in bad.Select((b, i) => (b, i)))
        {
            var marker = "MARKER";
            var text = firstText is null ? """{"x":"MARKER"}""" : With(t, firstText.Path, "MARKER");
            var at = text.IndexOf(marker, StringComparison.Ordinal);
            byte[] raw = [.. Encoding.UTF8.GetBytes(text[..at]), .. b, .. Encoding.UTF8.GetBytes(text[(at + marker.Length)..])];
            yield return new("invalid UTF-8", e, C($"invalid UTF-8 {i}", text, raw: raw), Expect.Refuse(null, 400));
        }

        // Content types.
        foreach (var type in new[] { "text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=iso-8859-1", "application/jsonx", "json" })
        {
            yield return new("content type", e, C($"as {type}", valid, contentType: type), Expect.Refuse(null, 415));
        }

        yield return new("content type", e, C("UTF-16 body", valid, contentType: "application/json; charset=utf-16", raw: Encoding.Unicode.GetBytes(valid)), Expect.Refuse(null, 415));
        yield return new("content type", e, C("duplicated Content-Type", valid, headers: [("Content-Type", "text/plain")]), Expect.Refuse(null, 400, 415));
        yield return new("content type", e, C("+json suffix (accepted: a JSON media type)", valid, contentType: "application/vnd.subsidy+json"), Expect.Accept(t.Status, t.Tables));

        // Wrong types, missing and extra members.
        foreach (var f in t.Fields)
        {
            JsonNode?[] wrong = f.Kind switch
            {
                Kind.Amount => ["5", true, new JsonArray(), new JsonObject(), "NaN", "Infinity"],
                Kind.Object => ["x", 1, new JsonArray(), true],
                _ => [123, true, new JsonArray(), new JsonObject(), 1.5],
            };
            foreach (var w in wrong)
            {
                yield return new("wrong type", e, C($"{f.Path} = {w?.ToJsonString()}", With(t, f.Path, w)), Expect.Refuse(f.Leaf, 400));
            }

            if (f.Required)
            {
                yield return new("missing/extra field", e, C($"{f.Path} missing", With(t, f.Path, null, remove: true)), Expect.Refuse(f.Leaf, 400));
                yield return new("missing/extra field", e, C($"{f.Path} null", With(t, f.Path, null)), Expect.Refuse(f.Leaf, 400));
            }
        }

        foreach (var (name, value) in new (string, JsonNode?)[] { ("role", "admin"), ("actor", "system"), ("authorityId", "11002"), ("__proto__", new JsonObject { ["role"] = "admin" }), ("isAdmin", true), ("userId", Guid.NewGuid().ToString()) })
        {
            if (t.Fields.Any(f => f.Path == name))
            {
                continue;
            }

            yield return new("forged roles", e, C($"claim in body: {name}", With(t, name, value)), Expect.Refuse(name, 400));
        }

        if (t.Fields.Any(f => f.Path.StartsWith("data.", StringComparison.Ordinal)))
        {
            yield return new("forged roles", e, C("claim in data: role", With(t, "data.role", "admin")), Expect.Refuse("role", 400));
            yield return new("forged roles", e, C("claim in data: actor", With(t, "data.actor", "system")), Expect.Refuse("actor", 400));
        }

        // Huge bodies and fields.
        var pad = firstText?.Path ?? "pad";
        yield return new("huge", e, C("body over 1 MiB", With(t, pad, BadRequestCorpusTests.Huge)), Expect.Refuse(null, 413));
        yield return new("huge", e, C("20,000 members", "{" + string.Join(',', Enumerable.Range(0, 20_000).Select(i => $"\"m{i}\":0")) + "}"), Expect.Refuse(null, 400));
        foreach (var f in t.Fields.Where(f => f.Kind is not (Kind.Object or Kind.Amount)))
        {
            yield return new("huge", e, C($"{f.Path} of 300,000 characters", With(t, f.Path, new string('x', 300_000))), Expect.Refuse(f.Leaf, 400));
        }

        foreach (var f in t.Fields.Where(f => f.Kind == Kind.Amount))
        {
            yield return new("huge", e, C($"{f.Path} of 10,000 digits", With(t, f.Path, JsonNode.Parse(new string('9', 10_000)))), Expect.Refuse(f.Leaf, 400));
        }

        // Control characters, unicode tricks, injections per string member.
        foreach (var f in t.Fields.Where(f => f.Kind is Kind.Text or Kind.Identifier or Kind.Email or Kind.Role or Kind.Timestamp))
        {
            foreach (var s in Refused)
            {
                var allowed = f.Multiline && !s.Any(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t')) && !s.Any(TextRules.IsBidiControl);
                var value = f.Kind == Kind.Email ? s.Replace("\u0007", "\u0007@x.invalid", StringComparison.Ordinal) : s;
                yield return new("control characters", e, C($"{f.Path} = {Show(value)}", With(t, f.Path, value)),
                    allowed ? Expect.Accept(t.Status, t.Tables, StoredExactly(t, f.Path, value)) : Expect.Refuse(f.Leaf, 400));
            }

            foreach (var escape in new[] { "\\u0000", "a\\u0000b", "\\ud800", "x\\udc00", "\\udbff\\u0041" })
            {
                yield return new("unicode", e, C($"{f.Path} with escape {escape}", With(t, f.Path, "MARK").Replace("MARK", escape, StringComparison.Ordinal)), Expect.Refuse(f.Leaf, 400));
            }

            foreach (var u in HarmlessUnicode)
            {
                var accepted = f.Kind == Kind.Text;
                var value = f.Kind == Kind.Email ? u + "{uniq}@test.invalid" : u;
                if (f.Kind == Kind.Email && !u.Any(c => char.GetUnicodeCategory(c) == System.Globalization.UnicodeCategory.Format) && !u.Contains(' ', StringComparison.Ordinal))
                {
                    accepted = true; // a non-ASCII local part is an address; zero-width and joiner characters are not
                }

                yield return new("unicode", e, C($"{f.Path} = {Show(value)}", With(t, f.Path, value)),
                    accepted ? Expect.Accept(t.Status, t.Tables, f.Kind == Kind.Email ? null : StoredExactly(t, f.Path, value)) : Expect.Refuse(f.Leaf, 400, 404));
            }

            foreach (var s in Injections)
            {
                var value = f.Kind == Kind.Email ? s + "{uniq}@test.invalid" : s;
                var accepted = f.Kind == Kind.Text || (f.Kind == Kind.Email && !value.Contains(' ', StringComparison.Ordinal));
                yield return new("injection", e, C($"{f.Path} = {Show(value)}", With(t, f.Path, value)),
                    accepted ? Expect.Accept(t.Status, t.Tables, f.Kind == Kind.Email ? null : StoredExactly(t, f.Path, value)) : Expect.Refuse(f.Leaf, 400, 404));
            }
        }

        // Amounts.
        foreach (var f in t.Fields.Where(f => f.Kind == Kind.Amount))
        {
            foreach (var a in new[] { "-1", "0", "-0", "1e30", "-0.01", "1234567890123456789012345678", "12345678901234567890123456789", "79228162514264337593543950336",
                         "0.0000000000000000000000000001", "1E+2", "-79228162514264337593543950335", "5.00000000000000000000000000001", "1e-400" })
            {
                var parsed = decimal.TryParse(a, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d);
                var ok = parsed && (f.Min is null || d >= f.Min) && a != "1e-400";
                yield return new("amounts", e, C($"{f.Path} = {a}", With(t, f.Path, "MARK").Replace("\"MARK\"", a, StringComparison.Ordinal)),
                    ok ? Expect.Accept(t.Status, t.Tables, StoredNumber(t, f.Path, a)) : Expect.Refuse(f.Leaf, 400));
            }
        }

        foreach (var c in IdCases(e, t.Persona, "POST", t.Path, t.Ids, valid, "application/json"))
        {
            yield return c;
        }

        foreach (var c in AuthCases(e, t.Persona, "POST", t.Path, valid, "application/json", t.Denied, isPage: false, anonymousEndpoint: false))
        {
            yield return c;
        }

        foreach (var m in new[] { "PUT", "PATCH" })
        {
            yield return new("method", e, new Case($"{m} instead of POST", t.Persona, m, t.Path, valid), Expect.Refuse(null, 405));
        }

        if (t.Idempotent)
        {
            foreach (var key in new[] { new string('k', 101), new string('k', 10_000), "caf\u00e9", "has space", "tab\there", "line\r\nX-Injected: 1", "\u0001" })
            {
                yield return new("headers", e, C($"Idempotency-Key {Show(key[..Math.Min(20, key.Length)])} ({key.Length})", valid, headers: [("Idempotency-Key", key)]), Expect.Refuse("Idempotency-Key", 400));
            }
        }

        if (t.Idempotent)
        {
            // An empty header is no key at all (the binder reads it as absent): a plain valid request.
            yield return new("headers", e, C("empty Idempotency-Key (accepted: no key)", valid, headers: [("Idempotency-Key", "")]), Expect.Accept(t.Status, t.Tables));
        }

        if (e.Contains("/transitions/", StringComparison.Ordinal))
        {
            foreach (var ifMatch in new[] { "5", "W/\"1\"", "\"abc\"", "\"-1\"", "\"0\"", "\"99999999999\"", "\"\"", "\"1\", \"2\"" })
            {
                yield return new("headers", e, C($"If-Match {ifMatch}", valid, headers: [("If-Match", ifMatch)]), Expect.Refuse("If-Match", 400));
            }

            yield return new("headers", e, C("If-Match \"999\" (stale)", valid, headers: [("If-Match", "\"999\"")]), Expect.Refuse(null, 412));
        }
    }

    /// <summary>Unknown, foreign, malformed and injected ids in each id segment of the path.</summary>
    private static IEnumerable<Hostile> IdCases(string e, string persona, string method, string path, string[] ids, string? body, string contentType, bool antiforgery = false, bool isPage = false)
    {
        (string, string)[]? headers = antiforgery ? [(Af, Af)] : null;
        foreach (var id in ids)
        {
            var isGuid = id.StartsWith('{');
            var values = new List<(string Name, string Value, int[] Statuses)>
            {
                ("unknown", isGuid ? Guid.NewGuid().ToString("D") : "nope-nope", isGuid ? [404] : [404, 409]), // an unknown trigger is 409 with the permitted ones
                ("SQL", Uri.EscapeDataString("1' OR '1'='1"), [400, 404]),
                ("template", Uri.EscapeDataString("{{7*7}}"), [400, 404]),
                ("traversal", "..%2F..%2Fusers", [400, 404]),
                ("CRLF", "x%0D%0AX-Injected:%201", [400, 404]),
                ("300 characters", new string('a', 300), [400, 404]),
                ("unicode digits", Uri.EscapeDataString("\u0663\u0663"), [400, 404]),
            };
            if (isGuid)
            {
                values.Add(("empty guid", Guid.Empty.ToString("D"), [404]));
                values.Add(("not a guid", "not-a-guid", [400, 404]));
                values.Add(("guid in braces", Uri.EscapeDataString("{" + Guid.NewGuid() + "}"), [400, 404]));
            }

            if (id == "{genk}" && persona is "genk")
            {
                values.Add(("another authority's dossier", "{foreign}", [404]));
            }

            foreach (var (name, value, statuses) in values)
            {
                var expect = isPage && statuses.SequenceEqual(new[] { 200 }) ? Expect.Page() : Expect.Refuse(null, statuses);
                yield return new("ids", e, new Case($"{id} {name}", persona, method, path.Replace(id, value, StringComparison.Ordinal), body, contentType, headers), expect);
            }
        }
    }

    /// <summary>Anonymous, bad and revoked keys, forged role headers, wrong roles, forged and expired cookies, a cookie without its antiforgery token, ambiguous credentials.</summary>
    private static IEnumerable<Hostile> AuthCases(string e, string persona, string method, string path, string? body, string contentType, (string Persona, int[] Statuses)[] denied,
        bool isPage, bool anonymousEndpoint, bool antiforgery = false)
    {
        (string, string)[] Af2((string, string)[] h) => antiforgery ? [.. h, (Af, Af)] : h;
        Case C(string name, string who, (string, string)[] headers) => new(name, who, method, path, body, contentType, Af2(headers));
        foreach (var (who, statuses) in denied)
        {
            var expect = isPage && statuses.SequenceEqual(new[] { 200 }) ? Expect.Page() : Expect.Refuse(null, statuses);
            yield return new("forged roles", e, C($"as {who}", who, []), expect);
            yield return new("forged roles", e, C($"as {who} with X-Role: admin", who, [("X-Role", "admin"), ("X-Authority", "71016"), ("X-Forwarded-User", "admin")]), expect);
        }

        if (!anonymousEndpoint)
        {
            var anonymous = isPage ? Expect.SignIn() : Expect.Refuse(null, 401);
            yield return new("forged roles", e, C("anonymous", "anonymous", []), anonymous);
            yield return new("forged roles", e, C("anonymous with X-Role: admin", "anonymous", [("X-Role", "admin"), ("X-User-Id", "00000000-0000-7000-8000-00000000d003")]), anonymous);
            yield return new("forged roles", e, C("forged session cookie", "anonymous", [("Cookie", "subsidy.session=CfDJ8forged" + new string('A', 200))]), anonymous);
            yield return new("forged roles", e, C("tampered session cookie", "tampered", []), anonymous);
            yield return new("forged roles", e, C("expired admin cookie", "expired", []), anonymous);
            yield return new("forged roles", e, C("garbage key", "anonymous", [("X-Api-Key", "sek_" + new string('Z', 43))]), Expect.Refuse(null, 401));
            yield return new("forged roles", e, C("revoked key", "revoked", []), Expect.Refuse(null, 401));
            yield return new("forged roles", e, C("Basic credentials", "anonymous", [("Authorization", "Basic YWRtaW46YWRtaW4=")]), anonymous);
            yield return new("forged roles", e, C("two X-Api-Key headers", "anonymous", [("X-Api-Key", "{key:genk}"), ("X-Api-Key", "{key:admin}")]), Expect.Refuse(null, 401));
            yield return new("forged roles", e, C("bearer of another key", "anonymous", [("X-Api-Key", "{key:genk}"), ("Authorization", "Bearer {key:admin}")]), Expect.Refuse(null, 401));
        }

        if (!isPage)
        {
            // The development officer's real session, without the antiforgery token: refused before anything runs.
            yield return new("forged roles", e, new Case("session cookie without antiforgery token", "session", method, path, body, contentType), Expect.Refuse(null, 400, 403));
        }
    }

    private static IEnumerable<Hostile> PlainCases(PlainTemplate t)
    {
        var e = t.Endpoint;
        foreach (var c in IdCases(e, t.Persona, t.Method, t.Path, t.Ids, t.Form, "application/x-www-form-urlencoded", t.Antiforgery, t.IsPage))
        {
            yield return c;
        }

        foreach (var c in AuthCases(e, t.Persona, t.Method, t.Path, t.Form, "application/x-www-form-urlencoded", t.Denied, t.IsPage, t.Anonymous, t.Antiforgery))
        {
            yield return c;
        }

        foreach (var m in new[] { "PUT", "PATCH" }.Where(m => !e.StartsWith("ANY ", StringComparison.Ordinal) && !t.IsPage))
        {
            yield return new("method", e, new Case($"{m} instead of {t.Method}", t.Persona, m, t.Path), Expect.Refuse(null, 405));
        }

        if (t.Anonymous && !t.Antiforgery)
        {
            // Anonymous endpoints that read no input: whatever is sent is ignored, the answer is the valid one and nothing changes.
            var ignored = new Expect(Outcome.Accepted, [t.Status[0], 413], null, []);
            foreach (var (name, body, type, headers) in new (string, string?, string, (string, string)[]?)[]
                     {
                         ("body over 1 MiB", BadRequestCorpusTests.Huge, "application/json", null), ("malformed JSON body", "{\"a\":", "application/json", null),
                         ("XML body", "<x/>", "application/xml", null), ("X-Role: admin", null, "application/json", [("X-Role", "admin"), ("X-Authority", "71016")]),
                         ("garbage key", null, "application/json", [("X-Api-Key", "sek_" + new string('Z', 43))]), ("revoked key", null, "application/json", [("X-Api-Key", "{revoked}")]),
                         ("forged cookie", null, "application/json", [("Cookie", "subsidy.session=CfDJ8forged")]), ("expired cookie", null, "application/json", [("Cookie", "{expired}")]),
                         ("Idempotency-Key of 10,000 characters", null, "application/json", [("Idempotency-Key", new string('k', 10_000))]),
                     })
            {
                yield return new("ignored input", e, new Case(name, t.Persona, t.Method, t.Path, body, type, headers), ignored);
            }
        }

        if (e == "POST /dev/sign-in")
        {
            Hostile D(string name, string form, Expect expect) => new("dev sign-in", e, PlainCase(t, name, t.Persona, form: form), expect);
            yield return D("unknown user", $"userId={Guid.NewGuid()}&returnUrl=%2F", Expect.Refuse(null, 404));
            yield return D("SQL as user id", "userId=" + Uri.EscapeDataString("' OR 1=1--"), Expect.Refuse("userId", 400));
            yield return D("no user id", "returnUrl=%2F", Expect.Refuse("userId", 400));
            yield return D("two user ids", "userId={devuser}&userId={devuser}", Expect.Refuse("userId", 400));
            foreach (var url in new[] { "https://evil.example/", "//evil.example", "/\\evil.example", "/ok\r\nSet-Cookie: x=1", "javascript:alert(1)" })
            {
                yield return D($"returnUrl {Show(url)}: signs in, stays on this site", "userId={devuser}&returnUrl=" + Uri.EscapeDataString(url),
                    new Expect(Outcome.Accepted, [302], null, [], (_, response, _) => Task.FromResult(
                        response.Headers.Location?.OriginalString == "/" ? null : $"redirects to {response.Headers.Location}")));
            }
        }

        if (!t.Antiforgery)
        {
            yield break;
        }

        // Form posts: the antiforgery token, content types, sizes and bytes.
        var refused = Expect.Refuse(null, 400, 403);
        yield return new("forged roles", e, new Case("no antiforgery token", t.Persona, t.Method, t.Path, t.Form, "application/x-www-form-urlencoded"), refused);
        yield return new("forged roles", e, PlainCase(t, "antiforgery token of another user", t.Persona), refused, TokenOf: t.Persona == "gent" ? "genk" : "gent");
        yield return new("content type", e, PlainCase(t, "JSON instead of a form", t.Persona, contentType: "application/json", form: """{"userId":"x","trigger":"set-amount"}"""), Expect.Refuse(null, 415));
        yield return new("content type", e, PlainCase(t, "text/plain form", t.Persona, contentType: "text/plain", form: "trigger=set-amount"), Expect.Refuse(null, 415));
        yield return new("huge", e, PlainCase(t, "form value over 16 KiB", t.Persona, form: t.Form + "&comment=" + new string('c', 20_000)), Expect.Refuse(null, 400));
        yield return new("huge", e, PlainCase(t, "form over 1 MiB", t.Persona, form: t.Form + string.Concat(Enumerable.Range(0, 1100).Select(i => $"&f{i}=" + new string('v', 1000)))), Expect.Refuse(null, 400, 413));
        yield return new("malformed form", e, PlainCase(t, "form of 10,000 fields", t.Persona, form: t.Form + string.Concat(Enumerable.Range(0, 10_000).Select(i => $"&f{i}=1"))), Expect.Refuse(null, 400, 413));
    }

    /// <summary>Field mutations of the generic transition form (Fire): values go through the same argument checks as the API, refusals show on the page.</summary>
    private static IEnumerable<Hostile> FireFormCases()
    {
        var t = PlainTemplates.Single(p => p.Endpoint == "POST /dossiers/{id}?handler=Fire");
        Hostile H(string category, string name, string form, Expect expect) => new(category, t.Endpoint, PlainCase(t, name, t.Persona, form: form), expect);
        foreach (var a in new[] { "-1", "abc", "1e30", "NaN", "79228162514264337593543950336", "5;DROP TABLE dossier" })
        {
            yield return H("amounts", $"p_amount = {a}", "trigger=set-amount&p_amount=" + Uri.EscapeDataString(a), Expect.Page());
        }

        foreach (var s in Injections)
        {
            yield return H("injection", $"comment = {Show(s)}", "trigger=set-amount&p_amount=5&comment=" + Uri.EscapeDataString(s),
                Expect.Accept(200, ["dossier", "journal"], async (api, _, _) =>
                {
                    var stored = await LastArguments(api, new JsonObject { ["dossierId"] = api.GenkDossier.ToString() }, "comment");
                    return stored == s ? null : $"stored {Show(stored)} instead of {Show(s)}";
                }));
        }

        foreach (var s in new[] { "bell\u0007", "\u202Egnp.exe" })
        {
            yield return H("control characters", $"comment = {Show(s)}", "trigger=set-amount&p_amount=5&comment=" + Uri.EscapeDataString(s), Expect.Page());
        }

        yield return H("control characters", "comment with NUL", "trigger=set-amount&p_amount=5&comment=nul%00", Expect.Refuse(null, 400, 404));
        yield return H("ids", "automatic trigger expire", "trigger=expire", Expect.Page());
        foreach (var trigger in new[] { "{{7*7}}", "go'; DROP TABLE dossier;--", "save-draft", new string('t', 300) })
        {
            yield return H("ids", $"trigger = {Show(trigger[..Math.Min(30, trigger.Length)])}", "trigger=" + Uri.EscapeDataString(trigger), Expect.Refuse(null, 400));
        }

        yield return H("forged roles", "officer-only trigger go as a municipality", "trigger=go", Expect.Page());
        // The form reader decodes invalid UTF-8 to U+FFFD replacement characters: a valid comment of four of them, stored as decoded.
        yield return H("invalid UTF-8", "percent-encoded invalid UTF-8 in comment (accepted as U+FFFD)", "trigger=set-amount&p_amount=5&comment=%C0%AF%FF%ED%A0%80", Expect.Accept(200, ["dossier", "journal"]));
        yield return H("missing/extra field", "forged role field", "trigger=set-amount&p_amount=5&role=admin&actor=system", Expect.Accept(200, ["dossier", "journal"]));
    }

    /// <summary>
    /// Field mutations of the follow-up, migration, calendar and report review forms: the ids they name travel in the
    /// form (unknown, foreign, malformed, missing: 404 or the page with the refusal), dates, reasons and versions.
    /// </summary>
    private static IEnumerable<Hostile> PageFormCases()
    {
        Hostile H(string endpoint, string category, string name, string form, Expect expect)
        {
            var t = PlainTemplates.Single(p => p.Endpoint == endpoint);
            return new(category, t.Endpoint, PlainCase(t, name, t.Persona, form: form), expect);
        }

        var notFound = Expect.Refuse(null, 404);
        foreach (var e in new[] { "POST /migrations?handler=DryRun", "POST /migrations?handler=Apply" })
        {
            var confirm = e.EndsWith("Apply", StringComparison.Ordinal) ? "&confirm=true" : string.Empty;
            yield return H(e, "ids", "unknown migration", "id=nope-nope" + confirm, notFound);
            yield return H(e, "ids", "no migration id", confirm.TrimStart('&'), notFound);
            yield return H(e, "ids", "empty migration id", "id=" + confirm, notFound);
            yield return H(e, "ids", "migration id of 300 characters", "id=" + new string('m', 300) + confirm, notFound);
            yield return H(e, "injection", "SQL as migration id", "id=" + Uri.EscapeDataString("cycle-v1-v2' OR '1'='1") + confirm, notFound);
            yield return H(e, "injection", "traversal as migration id", "id=" + Uri.EscapeDataString("../../test/cycle-v1-v2") + confirm, notFound);
            yield return H(e, "missing/extra field", "two migration ids (the first is bound)", "id=nope-nope&id=cycle-v1-v2" + confirm, notFound);
        }

        yield return H("POST /migrations?handler=Apply", "missing/extra field", "apply without confirm", "id=cycle-v1-v2", Expect.Page());
        yield return H("POST /migrations?handler=Apply", "missing/extra field", "apply with confirm=yes (no boolean: not confirmed)", "id=cycle-v1-v2&confirm=yes", Expect.Page());

        const string retry = "POST /notices?handler=Retry";
        yield return H(retry, "ids", "unknown notice", $"notice={Guid.NewGuid()}", notFound);
        yield return H(retry, "ids", "notice not a guid", "notice=not-a-guid", notFound);
        yield return H(retry, "ids", "no notice", string.Empty, notFound);
        yield return H(retry, "ids", "empty guid notice", $"notice={Guid.Empty}", notFound);
        yield return H(retry, "injection", "SQL as notice", "notice=" + Uri.EscapeDataString("1' OR '1'='1"), notFound);
        yield return H(retry, "ids", "a dossier id as notice", "notice={pagedossier}", notFound);

        const string extend = "POST /notices?handler=Extend";
        const string target = "dossier={pagedossier}&deadline={pagedeadline}";
        yield return H(extend, "ids", "unknown deadline", $"dossier={{pagedossier}}&deadline={Guid.NewGuid()}&newDue=2031-06-30&reason=x", notFound);
        yield return H(extend, "ids", "deadline of another dossier", "dossier={pagedossier}&deadline={deadline}&newDue=2031-06-30&reason=x", notFound);
        yield return H(extend, "ids", "no dossier", "deadline={pagedeadline}&newDue=2031-06-30&reason=x", notFound);
        yield return H(extend, "ids", "unknown dossier", $"dossier={Guid.NewGuid()}&deadline={{pagedeadline}}&newDue=2031-06-30&reason=x", notFound);
        yield return H(extend, "ids", "deadline not a guid", "dossier={pagedossier}&deadline=not-a-guid&newDue=2031-06-30&reason=x", notFound);
        yield return H(extend, "injection", "SQL as dossier reference", "dossier=" + Uri.EscapeDataString("' OR '1'='1") + "&deadline={pagedeadline}&newDue=2031-06-30&reason=x", notFound);
        foreach (var due in new[] { "", "not-a-date", "2031-02-30", "31/06/2031", "2031-06-30T10:00:00+02:00", "0001-01-01", "2020-01-01", "20310630", "2031-6-3" })
        {
            yield return H(extend, "timestamps", $"newDue = {Show(due)}", $"{target}&newDue={Uri.EscapeDataString(due)}&reason=x", Expect.Page());
        }

        // A date later than any the template sets, so only the reason is at fault.
        foreach (var reason in new[] { "", "   ", "bell\u0007", "\u202Egnp.exe", "Jan\r\nBcc: victim@example.com" })
        {
            yield return H(extend, "control characters", $"reason = {Show(reason)}", $"{target}&newDue=2035-12-31&reason={Uri.EscapeDataString(reason)}", Expect.Page());
        }

        yield return H(extend, "huge", "reason of 2,001 characters", $"{target}&newDue=2035-12-31&reason={new string('r', 2001)}", Expect.Page());

        const string calendar = "POST /portal?handler=Calendar";
        yield return H(calendar, "missing/extra field", "renew without confirm", string.Empty, Expect.Page());
        yield return H(calendar, "missing/extra field", "renew with confirm=no", "confirm=no", Expect.Page());
        yield return H(calendar, "forged roles", "authority of another municipality in the form", "authorityId=11002&owner=11002", Expect.Page());

        const string continuation = "POST /reports?handler=Continuation";
        yield return H(continuation, "ids", "unknown dossier", $"id={Guid.NewGuid()}&version=1&accepted=2.1", notFound);
        yield return H(continuation, "ids", "dossier not a guid", "id=not-a-guid&version=1", notFound);
        yield return H(continuation, "ids", "no dossier", "version=1", notFound);
        yield return H(continuation, "ids", "the call dossier", "id={calldossier}&version=1&accepted=2.1", Expect.Page());
        yield return H(continuation, "ids", "an application not under review", "id={application}&version=1&accepted=2.1", Expect.Page());
        foreach (var version in new[] { "abc", "-1", "0", "99999999999", "1e3" })
        {
            yield return H(continuation, "missing/extra field", $"version = {version}", "id={application}&accepted=2.1&version=" + version, Expect.Page());
        }

        yield return H(continuation, "injection", "accepted = SQL and template", "id={application}&version=1&accepted=" + Uri.EscapeDataString("'; DROP TABLE dossier;--") + "&accepted=" + Uri.EscapeDataString("{{7*7}}"), Expect.Page());
        yield return H(continuation, "huge", "1,000 accepted values", "id={application}&version=1" + string.Concat(Enumerable.Range(0, 1000).Select(i => $"&accepted=a{i}")), Expect.Page());
    }

    public static IEnumerable<Hostile> Corpus() =>
        JsonTemplates.SelectMany(JsonCases).Concat(PlainTemplates.SelectMany(PlainCases)).Concat(FireFormCases()).Concat(PageFormCases());

    // ---------------------------------------------------------------- running

    private async Task<(HttpResponseMessage Response, string Body)> SendAsync(Hostile h)
    {
        var c = h.Request;
        var uniq = Guid.NewGuid().ToString("N")[..12];
        string R(string s) => s.Replace("{genk}", api.GenkDossier.ToString("D"), StringComparison.Ordinal)
            .Replace("{foreign}", api.ForeignDossier.ToString("D"), StringComparison.Ordinal)
            .Replace("{deadline}", api.DeadlineId.ToString("D"), StringComparison.Ordinal)
            .Replace("{notice}", api.NoticeId.ToString("D"), StringComparison.Ordinal)
            .Replace("{pagedossier}", api.PageDeadlineDossier.ToString("D"), StringComparison.Ordinal)
            .Replace("{pagedeadline}", api.PageDeadlineId.ToString("D"), StringComparison.Ordinal)
            .Replace("{pagenotice}", api.PageNoticeId.ToString("D"), StringComparison.Ordinal)
            .Replace("{calldossier}", api.CallDossier.ToString("D"), StringComparison.Ordinal)
            .Replace("{application}", api.Application.ToString("D"), StringComparison.Ordinal)
            .Replace("{holder}", api.Holder.ToString("D"), StringComparison.Ordinal)
            .Replace("{key}", api.HolderKey.ToString("D"), StringComparison.Ordinal)
            .Replace("{revoked}", api.RevokedSecret, StringComparison.Ordinal)
            .Replace("{expired}", api.ExpiredCookie, StringComparison.Ordinal)
            .Replace("{devuser}", DevelopmentSignIn.Users[0].Id.ToString("D"), StringComparison.Ordinal)
            .Replace("{later}", s.Contains("{later}", StringComparison.Ordinal) ? api.Later() : string.Empty, StringComparison.Ordinal)
            .Replace("{uniq}", uniq, StringComparison.Ordinal);
        string RK(string s) => api.Keys.Aggregate(R(s), (acc, kv) => acc.Replace("{key:" + kv.Key + "}", kv.Value, StringComparison.Ordinal));

        var headers = (c.Headers ?? []).Where(x => x.Item1 != Af).Select(x => (x.Item1, RK(x.Item2))).ToList();
        var cookies = new List<string>();
        foreach (var (name, value) in headers.Where(x => x.Item1 == "Cookie").ToList())
        {
            cookies.Add(value);
            headers.Remove((name, value));
        }

        var persona = c.Persona;
        switch (persona)
        {
            case "session":
                cookies.Add(api.SessionCookie);
                break;
            case "expired":
                cookies.Add(api.ExpiredCookie);
                break;
            case "tampered":
                var s = api.SessionCookie;
                cookies.Add(s[..^10] + new string(s[^10..].Reverse().ToArray()));
                break;
            case "revoked":
                headers.Add(("X-Api-Key", api.RevokedSecret));
                break;
        }

        if (c.Headers?.Any(x => x.Item1 == Af) == true)
        {
            var (cookie, token) = await api.AntiforgeryAsync(h.TokenOf ?? (persona is "officer" or "genk" or "antwerpen" or "gent" or "auditor" or "admin" or "session" ? persona : "anonymous"));
            cookies.Add(cookie);
            headers.Add((SubsidyAuth.AntiforgeryHeader, token));
        }

        if (cookies.Count > 0)
        {
            headers.Add(("Cookie", string.Join("; ", cookies)));
        }

        var resolved = c with { Path = R(c.Path), Body = c.Body is null ? null : R(c.Body), Headers = [.. headers] };
        using var client = api.As(persona is "officer" or "genk" or "antwerpen" or "gent" or "auditor" or "admin" ? persona : null);
        using var request = BadRequestCorpusTests.ToRequest(resolved);
        var response = await client.SendAsync(request);
        return (response, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Sends one case and checks its end; failures are added to <paramref name="failures"/>. Returns the status.</summary>
    private async Task<int> RunAsync(Hostile h, List<string> failures)
    {
        // Nothing else writes while a test of this class runs (background writers are off): the snapshot after one case is the one before the next.
        var before = _last ?? await api.SnapshotAsync();
        HttpResponseMessage response;
        string body;
        try
        {
            (response, body) = await SendAsync(h);
        }
        catch (Exception ex) when (ex is HttpRequestException or InvalidOperationException or FormatException)
        {
            failures.Add($"{h}: the request was never sent: {ex.Message}");
            return 0;
        }

        var after = await api.SnapshotAsync();
        _last = after;
        var changed = after.Where(kv => !before.TryGetValue(kv.Key, out var b) || b != kv.Value).Select(kv => kv.Key).Order(StringComparer.Ordinal).ToList();
        var status = (int)response.StatusCode;
        var head = body[..Math.Min(400, body.Length)];
        var fail = new List<string>();
        if (status >= 500)
        {
            fail.Add("5xx");
        }

        var expect = h.Expect;
        if (expect.Statuses.Length > 0 && !expect.Statuses.Contains(status))
        {
            fail.Add($"expected {string.Join('/', expect.Statuses)}");
        }

        switch (expect.Outcome)
        {
            case Outcome.Refused:
                if (status is < 400 or >= 500)
                {
                    fail.Add("not a 4xx");
                }
                else if (!BadRequestCorpusTests.IsProblem(response))
                {
                    fail.Add($"not problem details ({response.Content.Headers.ContentType})");
                }
                else if (expect.Field is { } field && !NamesField(body, field))
                {
                    fail.Add($"does not name the field '{field}'");
                }

                if (changed.Count > 0)
                {
                    fail.Add($"changed rows in {string.Join(", ", changed)}");
                }

                break;
            case Outcome.Accepted:
                // journal_position is the journal's key table (migration 0021): it changes where the journal may.
                var outside = changed.Where(t => !(expect.Tables ?? []).Contains(t == "journal_position" ? "journal" : t)).ToList();
                if (outside.Count > 0)
                {
                    fail.Add($"changed rows outside its tables: {string.Join(", ", outside)}");
                }

                if (expect.Check is not null && fail.Count == 0)
                {
                    JsonNode? json = null;
                    try
                    {
                        json = JsonNode.Parse(body);
                    }
                    catch (System.Text.Json.JsonException)
                    {
                    }

                    if (await expect.Check(api, response, json) is { } wrong)
                    {
                        fail.Add(wrong);
                    }
                }

                break;
            case Outcome.PageRefused:
                if (response.Content.Headers.ContentType?.MediaType != "text/html")
                {
                    fail.Add($"not the page ({response.Content.Headers.ContentType})");
                }

                if (changed.Count > 0)
                {
                    fail.Add($"changed rows in {string.Join(", ", changed)}");
                }

                break;
            case Outcome.SignInRedirect:
                if (response.Headers.Location?.OriginalString.StartsWith("/dev/sign-in", StringComparison.Ordinal) != true)
                {
                    fail.Add($"redirects to {response.Headers.Location}");
                }

                if (changed.Count > 0)
                {
                    fail.Add($"changed rows in {string.Join(", ", changed)}");
                }

                break;
        }

        if (h.Category == "template")
        {
            output.WriteLine($"{h}: {status}, changed: {(changed.Count == 0 ? "nothing" : string.Join(", ", changed))}");
        }

        if (fail.Count > 0)
        {
            failures.Add($"{h}: {status} {string.Join("; ", fail)} | {head}");
        }

        return status;
    }

    /// <summary>The problem names the field: a key of <c>errors</c> (JSON paths like $.data.title count), or the detail mentions it.</summary>
    private static bool NamesField(string body, string field)
    {
        var problem = JsonNode.Parse(body)!;
        var keys = problem["errors"]?.AsObject().Select(kv => kv.Key) ?? [];
        return keys.Any(k => k == field || k.EndsWith("." + field, StringComparison.Ordinal) || k.Contains(field, StringComparison.Ordinal))
            || (problem["detail"]?.GetValue<string>().Contains(field, StringComparison.OrdinalIgnoreCase) ?? false);
    }

    [Fact]
    public async Task More_than_five_hundred_generated_hostile_requests_against_every_write_answer_4xx_problem_details_and_change_nothing_they_should_not()
    {
        var corpus = Corpus().ToList();
        Assert.True(corpus.Count >= 500, $"only {corpus.Count} cases");
        var endpoints = JsonTemplates.Select(t => t.Endpoint).Concat(PlainTemplates.Select(t => t.Endpoint)).ToList();
        Assert.All(endpoints, e => Assert.True(corpus.Count(c => c.Endpoint == e) >= 10, $"{e}: fewer than 10 cases"));
        var failures = new List<string>();
        var statuses = new Dictionary<int, int>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        foreach (var h in corpus)
        {
            var status = await RunAsync(h, failures);
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
        }

        output.WriteLine($"{corpus.Count} cases in {clock.Elapsed.TotalSeconds:F1} s; accepted as valid: {corpus.Count(c => c.Expect.Outcome == Outcome.Accepted)}");
        foreach (var g in corpus.GroupBy(c => c.Category).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            output.WriteLine($"  {g.Key}: {g.Count()}");
        }

        foreach (var g in corpus.GroupBy(c => c.Endpoint).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            output.WriteLine($"  {g.Key}: {g.Count()}");
        }

        output.WriteLine("statuses: " + string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}")));
        Assert.True(failures.Count == 0, $"{failures.Count} of {corpus.Count} cases failed:\n" + string.Join("\n", failures));
    }

    [Fact]
    public async Task An_idempotency_key_reused_with_another_body_is_422_and_changes_nothing_and_the_same_body_replays()
    {
        var failures = new List<string>();
        var fire = JsonTemplates.Single(j => j.Endpoint == "POST /api/dossiers/{id}/transitions/{trigger}");
        var create = JsonTemplates[0];
        foreach (var t in new[] { create, fire })
        {
            var key = "hostile-" + Guid.NewGuid().ToString("N");
            (string, string)[] header = [("Idempotency-Key", key)];
            await RunAsync(new Hostile("headers", t.Endpoint, new Case("first use", t.Persona, "POST", t.Path, t.Body, Headers: header), Expect.Accept(t.Status, t.Tables)), failures);
            await RunAsync(new Hostile("headers", t.Endpoint, new Case("same key, other body", t.Persona, "POST", t.Path, t.Body.Replace("5", "6", StringComparison.Ordinal), Headers: header),
                Expect.Refuse(null, 422)), failures);
            await RunAsync(new Hostile("headers", t.Endpoint, new Case("same key, same body: replay", t.Persona, "POST", t.Path, t.Body, Headers: header),
                new Expect(Outcome.Accepted, [t.Status], null, [])), failures);
            await RunAsync(new Hostile("headers", t.Endpoint, new Case("same key, other user", t.Persona == "genk" ? "officer" : "admin", "POST", t.Path, t.Body, Headers: header),
                Expect.Accept(t.Status, t.Tables)), failures);
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task A_harmless_script_title_is_stored_as_sent_and_shown_escaped_on_the_dossier_page()
    {
        const string title = "<script>alert('x')</script> {{ 7 * 7 }} \u0627\u0644\u0639\u0631\u0628\u064A\u0629";
        var id = await api.CreateAbcAsync(ApiFactory.Genk, title: title);
        Assert.Equal(title, await api.TextAsync("SELECT data ->> 'title' FROM dossier WHERE id = $1", id));
        using var genk = api.As("genk");
        var page = await genk.GetStringAsync($"/dossiers/{id}");
        Assert.DoesNotContain("<script>alert(", page, StringComparison.Ordinal);
        Assert.DoesNotContain(" 49 ", page, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;", page, StringComparison.Ordinal);
        var json = JsonNode.Parse(await genk.GetStringAsync($"/api/dossiers/{id}"))!;
        Assert.Equal(title, json["data"]!["title"]!.GetValue<string>());
    }

    /// <summary>
    /// One hundred concurrent transitions on one dossier over HTTP (test/cycle: A -> B -> C -> A, each fire moves it
    /// on). Every request is 200, or 409/412 problem details; the dossier's version is one more than the number of
    /// winners; each version has exactly one winner; the journal is linear (sequence 1..n, each event's from-state is
    /// the previous to-state) and replays without divergence.
    /// </summary>
    [Fact]
    public async Task A_hundred_concurrent_transitions_on_one_dossier_have_one_winner_per_state_and_a_linear_journal()
    {
        using var officer = api.As("officer");
        var created = await officer.PostAsync("/api/dossiers", ApiFactory.Json("""{"workflow":"test/cycle","data":{"owner":"71016"}}"""));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = Guid.Parse(JsonNode.Parse(await created.Content.ReadAsStringAsync())!["dossierId"]!.GetValue<string>());

        using var start = new SemaphoreSlim(0);
        var tasks = Enumerable.Range(0, 100).Select(async i =>
        {
            using var client = api.As("officer");
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/dossiers/{id}/transitions/next") { Content = ApiFactory.Json("{}") };
            if (i % 2 == 0)
            {
                request.Headers.TryAddWithoutValidation("If-Match", "\"1\"");
            }

            await start.WaitAsync();
            var response = await client.SendAsync(request);
            return (Status: (int)response.StatusCode, Type: response.Content.Headers.ContentType?.MediaType, Body: await response.Content.ReadAsStringAsync(), IfMatch: i % 2 == 0);
        }).ToList();
        start.Release(100);
        var results = await Task.WhenAll(tasks);

        var unexpected = results.Where(r => r.Status is not (200 or 409 or 412) || (r.Status != 200 && r.Type != "application/problem+json")).ToList();
        Assert.True(unexpected.Count == 0, string.Join("\n", unexpected.Select(r => $"{r.Status} {r.Type} {r.Body}")));
        Assert.All(results.Where(r => r.Status == 412), r => Assert.True(r.IfMatch));
        var winners = results.Where(r => r.Status == 200).Select(r => JsonNode.Parse(r.Body)!).ToList();
        Assert.True(winners.Count >= 1);
        Assert.True(results.Count(r => r.IfMatch && r.Status == 200) <= 1, "more than one If-Match \"1\" request won");
        var versions = winners.Select(w => w["version"]!.GetValue<int>()).ToList();
        Assert.Equal(versions.Count, versions.Distinct().Count());
        Assert.Equal(Enumerable.Range(2, winners.Count), versions.Order());

        var dossier = JsonNode.Parse(await officer.GetStringAsync($"/api/dossiers/{id}"))!;
        Assert.Equal(1 + winners.Count, dossier["version"]!.GetValue<int>());
        var journal = JsonNode.Parse(await officer.GetStringAsync($"/api/dossiers/{id}/journal"))!.AsArray();
        Assert.Equal(1 + winners.Count, journal.Count);
        string[] cycle = ["A", "B-new", "C"]; // test/cycle v2, the latest
        for (var i = 1; i < journal.Count; i++)
        {
            Assert.Equal(journal[i - 1]!["toState"]!.GetValue<string>(), journal[i]!["fromState"]!.GetValue<string>());
            Assert.Equal(cycle[i % 3], journal[i]!["toState"]!.GetValue<string>());
            Assert.Equal(journal[i - 1]!["hash"]!.GetValue<string>(), journal[i]!["prevHash"]!.GetValue<string>());
        }

        var replay = JsonNode.Parse(await officer.GetStringAsync($"/api/dossiers/{id}/replay"))!;
        output.WriteLine($"{winners.Count} winners of 100; replay: {replay.ToJsonString()[..Math.Min(200, replay.ToJsonString().Length)]}");
        Assert.Empty(replay["divergences"]!.AsArray());
    }
}
