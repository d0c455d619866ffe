using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Npgsql;
using SubsidyEngine.Api.Auth;
using SubsidyEngine.Engine.Programmes;
using SubsidyEngine.Engine.Programmes.Model;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Testing;
using SubsidyEngine.Workflows.Expressions;

namespace SubsidyEngine.Ui.Tests;

/// <summary>A clock that runs from a fixed start (here: inside the 2023 application window) at real speed.</summary>
public sealed class ShiftedClock(DateTimeOffset start) : TimeProvider
{
    private TimeSpan _offset = start - System.GetUtcNow();

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + _offset;

    /// <summary>Jumps to <paramref name="now"/> and runs on from there.</summary>
    public void JumpTo(DateTimeOffset now) => _offset = now - System.GetUtcNow();
}

/// <summary>
/// The real service on Kestrel at http://127.0.0.1:&lt;free port&gt; over a fresh test database, with the real
/// workflows/ and data/ folders, the development sign-in forced on (the same replacement the API tests use; it
/// only exists in this test host), and a clock set to 27 May 2023 so the Plan Samenleven 2023 call is open. The
/// call dossier is opened in set-up (officer). One headless Debian Chromium serves every test.
/// </summary>
public sealed class UiHost : WebApplicationFactory<Program>, IAsyncLifetime
{
    public static readonly DateTimeOffset Start = new(2023, 5, 27, 10, 0, 0, TimeSpan.FromHours(2));

    private string _data = string.Empty;
    private IPlaywright? _playwright;

    public string ConnectionString { get; private set; } = string.Empty;

    public int Port { get; } = TestCluster.FreePort();

    public string BaseUrl => $"http://127.0.0.1:{Port}";

    public IBrowser Browser { get; private set; } = null!;

    public Guid CallDossierId { get; private set; }

    public ShiftedClock Clock { get; } = new(Start);

    /// <summary>What the service logged (the 500 error page test reads the exception here).</summary>
    public CapturedLogs Logs { get; } = new();

    /// <summary>Moves the clock past the 2023 deadline and lets the sweeper fire the due timeouts (the call's close-window), as the scheduler would.</summary>
    public async Task PassDeadlineAsync()
    {
        Clock.JumpTo(new DateTimeOffset(2023, 7, 10, 12, 0, 1, TimeSpan.FromHours(2)));
        await Services.GetRequiredService<DeadlineSweeper>().FireDueTimeoutsAsync();
    }

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

    public static string ScreenshotFolder
    {
        get
        {
            var folder = Path.Combine(RepoRoot, "TestResults", "screenshots");
            Directory.CreateDirectory(folder);
            return folder;
        }
    }

    public async Task InitializeAsync()
    {
        ConnectionString = await TestCluster.CreateDatabaseAsync("ui");
        _data = TestCluster.NewTempFolder("ui-data");
        UseKestrel(Port);
        StartServer();
        var officer = new Actor(DevelopmentSignIn.Users.Single(u => u.Role == Roles.Officer).Id.ToString("D"), Roles.Officer);
        var runtime = Services.GetRequiredService<WorkflowRuntime>();
        var call = await Services.GetRequiredService<ProgrammeService>().OpenCallAsync("plan-samenleven", "2023", officer);
        CallDossierId = call.DossierId;
        await runtime.FireAsync(new FireRequest(call.DossierId, "open-window", [], officer));

        // Expectations poll up to 5 s by default, while a form post that reloads a dossier page (options, journal,
        // eligibility over the call's applications) took longer than that once on the shared 2-core machine; the
        // contexts already allow 90 s per action and navigation, so expectations get a bound in the same spirit.
        Assertions.SetDefaultExpectTimeout(30_000);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
        });
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        builder.UseSetting("urls", BaseUrl);
        builder.UseSetting("ConnectionStrings:Subsidy", ConnectionString);
        builder.UseSetting("Subsidy:WorkflowsDirectory", Path.Combine(RepoRoot, "workflows"));
        builder.UseSetting("Subsidy:AuthoritiesFile", Path.Combine(RepoRoot, "data", "authorities", "flemish-authorities-demo.csv"));
        builder.UseSetting("Subsidy:DataDirectory", _data);
        builder.UseSetting("Subsidy:PublicBaseUrl", BaseUrl);
        builder.UseSetting("Subsidy:Letters:AgencyIban", "BE71 0961 2345 6769");
        builder.UseSetting("Subsidy:ForwardedHeaders:KnownProxies:0", "127.0.0.1"); // the proxy case of SecurityHeaderTests
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton(new DevelopmentSignIn(true));
            services.AddSingleton<TimeProvider>(Clock);
            // Test-only: a page request with ?test-throw=1 fails inside the page (the 500 error page), and the log is kept.
            services.Configure<Microsoft.AspNetCore.Mvc.MvcOptions>(o => o.Filters.Add(new ThrowingPageFilter()));
            services.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(Logs);
        });
    }

    /// <summary>A fresh browser context signed in through the development sign-in page as the named seeded user.</summary>
    public async Task<(IBrowserContext Context, IPage Page)> SignInAsync(string displayNameStart)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = BaseUrl, Locale = "nl-BE", ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        context.SetDefaultTimeout(90_000);
        context.SetDefaultNavigationTimeout(90_000);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/");
        Assert.Contains("/dev/sign-in", page.Url, StringComparison.Ordinal);
        await page.Locator("button", new PageLocatorOptions { HasTextString = displayNameStart }).First.ClickAsync();
        await Assertions.Expect(page).Not.ToHaveURLAsync(new Regex("/dev/sign-in"), new() { Timeout = 90_000 });
        return (context, page);
    }

    /// <summary>
    /// Waits until the page's URL matches. Not <c>WaitForURLAsync</c>: after a click it can miss the load event it
    /// waits for when that event arrives while it subscribes (microsoft/playwright-dotnet#3364), and it then times
    /// out on a page that has long loaded; this assertion polls the URL instead. Actions after it auto-wait.
    /// </summary>
    public static Task UrlAsync(IPage page, Regex pattern) =>
        Assertions.Expect(page).ToHaveURLAsync(pattern, new() { Timeout = 90_000 });

    public static Task ShotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotFolder, name + ".png"), FullPage = true });

    public async Task<long> ScalarAsync(string sql, params object[] args)
    {
        await using var ds = NpgsqlDataSource.Create(ConnectionString);
        await using var cmd = ds.CreateCommand(sql);
        foreach (var a in args)
        {
            cmd.Parameters.AddWithValue(a);
        }

        return Convert.ToInt64(await cmd.ExecuteScalarAsync());
    }

    public async Task<Guid> GuidAsync(string sql, params object[] args)
    {
        await using var ds = NpgsqlDataSource.Create(ConnectionString);
        await using var cmd = ds.CreateCommand(sql);
        foreach (var a in args)
        {
            cmd.Parameters.AddWithValue(a);
        }

        return (Guid)(await cmd.ExecuteScalarAsync())!;
    }

    /// <summary>Starts an application through the Engine (set-up for the page-level tests).</summary>
    public async Task<Guid> StartApplicationAsync(string authority)
    {
        var user = DevelopmentSignIn.Users.Single(u => u.AuthorityId == authority);
        try
        {
            var result = await Services.GetRequiredService<ProgrammeService>().StartApplicationAsync("plan-samenleven", "2023", authority, [], new Actor(user.Id.ToString("D"), Roles.Municipality) { Authority = authority }, new JsonObject { ["rows"] = new JsonArray() });
            return result.DossierId;
        }
        catch (DossierExistsException e)
        {
            return e.ExistingId; // one application per authority and call: another test of this host started it
        }
    }

    private Task<Guid>? _reported;

    /// <summary>
    /// Once per host, through the Engine (as the browser path does through the pages): Genk applies for the 2023 call
    /// (2.1: 500 x EUR 60, 5.4: 100 x EUR 320 = EUR 62,000), the officer declares it eligible, the window closes, the
    /// officer allocates, awards and records the Government decision, and in April 2024 Genk files its interim
    /// report (60 and 10 realised). Returns the dossier id; it is then in <c>interim-review</c>.
    /// </summary>
    public Task<Guid> InterimReportScenarioAsync() => _reported ??= RunInterimReportScenarioAsync();

    private async Task<Guid> RunInterimReportScenarioAsync()
    {
        var officer = new Actor(DevelopmentSignIn.Users.Single(u => u.Role == Roles.Officer).Id.ToString("D"), Roles.Officer);
        var genk = new Actor(DevelopmentSignIn.Users.Single(u => u.AuthorityId == "71016").Id.ToString("D"), Roles.Municipality) { Authority = "71016" };
        var runtime = Services.GetRequiredService<WorkflowRuntime>();
        var service = Services.GetRequiredService<ProgrammeService>();
        static JsonObject Row(string action, int planned, int priority, decimal local) => new()
        {
            ["action"] = action, ["currentReach"] = 0, ["plannedAdditionalReach"] = planned, ["priority"] = priority, ["localContributionEur"] = local,
        };
        var application = new JsonObject { ["rows"] = new JsonArray(Row("2.1", 500, 1, 30000m), Row("5.4", 100, 2, 32000m)) };
        var id = (await service.StartApplicationAsync("plan-samenleven", "2023", "71016", [], genk, application)).DossierId;
        await runtime.FireAsync(new FireRequest(id, "submit", [], genk));
        await service.DecideEligibilityAsync(id, true, null, officer);
        await PassDeadlineAsync();
        await runtime.FireAsync(new FireRequest(CallDossierId, "start-allocation", [], officer));
        await service.ConfirmAllocationAsync(CallDossierId, officer);
        await runtime.FireAsync(new FireRequest(id, "award", [], officer));
        Clock.JumpTo(new DateTimeOffset(2023, 9, 22, 14, 0, 0, TimeSpan.FromHours(2)));
        await runtime.FireAsync(new FireRequest(CallDossierId, "record-government-decision", new JsonObject { ["date"] = "2023-09-22" }, officer));
        await runtime.FireAsync(new FireRequest(id, "confirm-award", [], officer));
        Clock.JumpTo(new DateTimeOffset(2024, 4, 10, 10, 0, 0, TimeSpan.FromHours(2)));
        await runtime.FireAsync(new FireRequest(id, "report-interim", new JsonObject { ["realised"] = new JsonObject { ["2.1"] = 60, ["5.4"] = 10 } }, genk));
        return id;
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        await base.DisposeAsync();
        TestCluster.TryDelete(_data);
    }
}
