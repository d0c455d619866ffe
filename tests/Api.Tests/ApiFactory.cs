using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using SubsidyEngine.Api.Auth;
using SubsidyEngine.Engine.Access;
using SubsidyEngine.Engine.Hosting;
using SubsidyEngine.Engine.Programmes;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Testing;
using SubsidyEngine.Workflows.Expressions;

namespace SubsidyEngine.Api.Tests;

/// <summary>Letter templates for the API tests: a fixed set, all at version 1.</summary>
public sealed class FixedTemplates(params string[] ids) : ILetterTemplates
{
    public bool Exists(string templateId) => ids.Contains(templateId);

    public int LatestVersion(string templateId) => Exists(templateId) ? 1 : throw new InvalidOperationException(templateId);
}

/// <summary>The test templates plus every real letter template (for the real programme workflows).</summary>
public sealed class TestAndRealTemplates(FixedTemplates test) : ILetterTemplates
{
    public bool Exists(string templateId) => test.Exists(templateId) || LetterTemplateDirectory.Default.Exists(templateId);

    public int LatestVersion(string templateId) => test.Exists(templateId) ? test.LatestVersion(templateId) : LetterTemplateDirectory.Default.LatestVersion(templateId);
}

/// <summary>A clock that runs at real speed from a chosen start and can jump (programme windows are in the past).</summary>
public sealed class ShiftedClock(DateTimeOffset start) : TimeProvider
{
    private TimeSpan _offset = start - System.GetUtcNow();

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + _offset;

    public void JumpTo(DateTimeOffset now) => _offset = now - System.GetUtcNow();
}

/// <summary>
/// The service over a fresh test database (never the embedded cluster: ConnectionStrings:Subsidy is set) and a
/// temp workflows folder holding tiny made-up definitions. Seeds one user per role with an API key.
/// </summary>
public class ApiFactory : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const string Genk = "71016";
    public const string Antwerpen = "11002";
    public const string Gent = "44021";

    /// <summary>Subsidy:PublicBaseUrl of the test hosts (a configured database needs one): every link is built from it.</summary>
    public const string PublicBaseUrl = "https://subsidies.test.invalid";

    /// <summary>Subsidy:Letters:AgencyIban of the test hosts (a configured database needs one).</summary>
    public const string AgencyIban = "BE71 0961 2345 6769";

    private string _workflows = string.Empty;
    private string _data = string.Empty;

    public string ConnectionString { get; private set; } = string.Empty;

    /// <summary>API key secret per test persona: officer, genk, antwerpen, gent, auditor, admin.</summary>
    public Dictionary<string, string> Keys { get; } = [];

    public Dictionary<string, UserRecord> Users { get; } = [];

    /// <summary>Replaces the development sign-in gate (null: derived from the database, i.e. off here).</summary>
    protected virtual bool? DevelopmentSignInEnabled => null;

    /// <summary>
    /// True: the workflows folder also holds the real Plan Samenleven programme (copied from the repository), the
    /// register is the demo authorities file, the programme rules and real letter templates are registered, and the
    /// clock starts on 27 May 2023 (inside the 2023 application window).
    /// </summary>
    protected virtual bool WithProgrammes => false;

    /// <summary>
    /// False: the host runs no background jobs (Subsidy:RunJobs=false: no Hangfire server, no reminder sweep, no
    /// dispatch loop), for classes that compare the database before and after a request: a sweep between the two made
    /// a refused request look like a write.
    /// </summary>
    protected virtual bool RunJobs => true;

    /// <summary>Called with the workflows folder after the programme folders were copied, before the host starts.</summary>
    protected virtual Task PrepareWorkflowsAsync(string workflows) => Task.CompletedTask;

    /// <summary>The folders of workflows/ copied when <see cref="WithProgrammes"/> is set.</summary>
    protected virtual IReadOnlyList<string> ProgrammeFolders => ["plan-samenleven"];

    public ShiftedClock Clock { get; } = new(new DateTimeOffset(2023, 5, 27, 10, 0, 0, TimeSpan.FromHours(2)));

    public string WorkflowsFolder => _workflows;

    public string DataFolder => _data;

    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SubsidyEngine.sln")))
            {
                dir = dir.Parent;
            }

            return dir?.FullName ?? throw new InvalidOperationException("SubsidyEngine.sln not found above " + AppContext.BaseDirectory);
        }
    }

    public static string AuthoritiesFile => Path.Combine(RepoRoot, "data", "authorities", "flemish-authorities-demo.csv");

    public virtual async Task InitializeAsync()
    {
        ConnectionString = await TestCluster.CreateDatabaseAsync("api");
        _workflows = TestCluster.NewTempFolder("wf");
        _data = TestCluster.NewTempFolder("data");
        Directory.CreateDirectory(Path.Combine(_workflows, "test", "migrations"));
        await File.WriteAllTextAsync(Path.Combine(_workflows, "test", "abc.v1.json"), TestDefinitions.Abc);
        await File.WriteAllTextAsync(Path.Combine(_workflows, "test", "cycle.v1.json"), TestDefinitions.Cycle);
        await File.WriteAllTextAsync(Path.Combine(_workflows, "test", "cycle.v2.json"), TestDefinitions.CycleV2);
        await File.WriteAllTextAsync(Path.Combine(_workflows, "test", "migrations", "cycle-v1-v2.json"), TestDefinitions.CycleMigration);
        if (WithProgrammes)
        {
            foreach (var folder in ProgrammeFolders)
            {
                var source = Path.Combine(RepoRoot, "workflows", folder);
                foreach (var file in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
                {
                    var target = Path.Combine(_workflows, folder, Path.GetRelativePath(source, file));
                    Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                    File.Copy(file, target);
                }
            }
        }

        await PrepareWorkflowsAsync(_workflows);
        _ = Services; // starts the host: migrations, definitions
        var directory = Services.GetRequiredService<UserDirectory>();
        foreach (var (name, role, authority) in new[]
                 {
                     ("officer", Roles.Officer, (string?)null), ("genk", Roles.Municipality, Genk), ("antwerpen", Roles.Municipality, Antwerpen),
                     ("gent", Roles.Municipality, Gent), ("auditor", Roles.Auditor, null), ("admin", Roles.Admin, null),
                 })
        {
            var user = await directory.CreateUserAsync($"Test {name}", $"{name}@test.invalid", role, authority);
            Users[name] = user;
            Keys[name] = (await directory.CreateKeyAsync(user.Id, "tests")).Secret;
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        builder.UseSetting("ConnectionStrings:Subsidy", ConnectionString);
        builder.UseSetting("Subsidy:PublicBaseUrl", PublicBaseUrl);
        builder.UseSetting("Subsidy:Letters:AgencyIban", AgencyIban);
        builder.UseSetting("Subsidy:WorkflowsDirectory", _workflows);
        builder.UseSetting("Subsidy:DataDirectory", _data);
        if (!RunJobs)
        {
            builder.UseSetting("Subsidy:RunJobs", "false");
        }

        if (WithProgrammes)
        {
            builder.UseSetting("Subsidy:AuthoritiesFile", AuthoritiesFile);
        }
        builder.ConfigureTestServices(services =>
        {
            if (WithProgrammes)
            {
                services.AddSingleton<ILetterTemplates>(new TestAndRealTemplates(new FixedTemplates("letter-a", "notice-a")));
                services.AddSingleton(sp => ProgrammeGuards.Register(TestDefinitions.Rules(), sp.GetRequiredService<ProgrammeCatalog>()));
                services.AddSingleton<TimeProvider>(Clock);
            }
            else
            {
                services.AddSingleton<ILetterTemplates>(new FixedTemplates("letter-a", "notice-a"));
                services.AddSingleton(TestDefinitions.Rules());
            }
            if (DevelopmentSignInEnabled is { } enabled)
            {
                services.AddSingleton(new DevelopmentSignIn(enabled));
            }
        });
    }

    /// <summary>A client authenticated with the persona's API key (null: anonymous); <paramref name="bearer"/> picks the header.</summary>
    public HttpClient As(string? persona, bool bearer = false)
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        if (persona is not null)
        {
            if (bearer)
            {
                client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Keys[persona]);
            }
            else
            {
                client.DefaultRequestHeaders.Add(SubsidyAuth.ApiKeyHeader, Keys[persona]);
            }
        }

        return client;
    }

    /// <summary>The antiforgery cookie and token of <paramref name="persona"/> (null: anonymous): a page form post needs both.</summary>
    public async Task<(string Cookie, string Token)> AntiforgeryOfAsync(string? persona)
    {
        using var client = As(persona);
        var response = await client.GetAsync("/auth/antiforgery");
        var cookie = response.Headers.GetValues("Set-Cookie").Select(v => v.Split(';')[0]).Single(v => v.StartsWith("subsidy.antiforgery=", StringComparison.Ordinal));
        return (cookie, JsonNode.Parse(await response.Content.ReadAsStringAsync())!["token"]!.GetValue<string>());
    }

    public async Task<long> ScalarAsync(string sql)
    {
        await using var ds = NpgsqlDataSource.Create(ConnectionString);
        await using var cmd = ds.CreateCommand(sql);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync());
    }

    /// <summary>Everything a write could change, in one line (dossiers, versions, journal, users, keys, idempotency keys, deadlines with their due times and states, deadline extensions, notices).</summary>
    public async Task<string> FingerprintAsync()
    {
        await using var ds = NpgsqlDataSource.Create(ConnectionString);
        await using var cmd = ds.CreateCommand(
            "SELECT concat_ws(' ', (SELECT count(*) FROM dossier), (SELECT coalesce(sum(version), 0) FROM dossier), (SELECT count(*) FROM journal), " +
            "(SELECT count(*) FROM users), (SELECT count(*) FROM api_key), (SELECT count(*) FROM api_key WHERE revoked_at IS NOT NULL), " +
            "(SELECT count(*) FROM idempotency_key), (SELECT count(*) FROM deadline), (SELECT count(*) FROM notice), (SELECT md5(coalesce(string_agg(data::text, ',' ORDER BY id), '')) FROM dossier), " +
            "(SELECT md5(coalesce(string_agg(concat_ws('|', id, due_at, status), ',' ORDER BY id), '')) FROM deadline), (SELECT count(*) FROM deadline_extension))");
        return (string)(await cmd.ExecuteScalarAsync())!;
    }

    /// <summary>Starts a test/abc dossier as the officer and returns its id.</summary>
    public async Task<Guid> CreateAbcAsync(string owner, string[]? participants = null, decimal? amount = null, string? title = null)
    {
        var data = new JsonObject { ["owner"] = owner };
        if (participants is not null)
        {
            data["participants"] = new JsonArray(participants.Select(p => (JsonNode)JsonValue.Create(p)!).ToArray());
        }

        if (amount is not null)
        {
            data["amount"] = amount;
        }

        if (title is not null)
        {
            data["title"] = title;
        }

        using var client = As("officer");
        var response = await client.PostAsync("/api/dossiers", Json(new JsonObject { ["workflow"] = "test/abc", ["data"] = data }));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, body);
        return Guid.Parse(JsonNode.Parse(body)!["dossierId"]!.GetValue<string>());
    }

    public static StringContent Json(JsonNode node) => new(node.ToJsonString(), Encoding.UTF8, "application/json");

    public static StringContent Json(string raw) => new(raw, Encoding.UTF8, "application/json");

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        TestCluster.TryDelete(_workflows);
        TestCluster.TryDelete(_data);
    }

    /// <summary>
    /// Stops the test host. A stop that throws (seen intermittently in CI after a class's tests had all run and been
    /// judged: "[Test Class Cleanup Failure] System.AggregateException", no details) is written out in full. It is
    /// caught here and in <see cref="Dispose(bool)"/>: the base class then counts the host as not yet disposed and
    /// xunit's later synchronous Dispose() would stop it again and throw again.
    /// </summary>
    public override async ValueTask DisposeAsync()
    {
        try
        {
            await base.DisposeAsync();
        }
        catch (Exception e)
        {
            _stopFailed = true;
            await Console.Error.WriteLineAsync($"[ApiFactory] stopping the test host threw: {e}");
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (_stopFailed)
        {
            return;
        }

        try
        {
            base.Dispose(disposing);
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"[ApiFactory] disposing the test host threw: {e}");
        }
    }

    private bool _stopFailed;
}

/// <summary>The same service with the development sign-in forced on (as on the embedded database).</summary>
public sealed class DevSignInFactory : ApiFactory
{
    protected override bool? DevelopmentSignInEnabled => true;
}
