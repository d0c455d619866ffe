using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using SubsidyEngine.Api.Auth;
using SubsidyEngine.Engine.Access;
using SubsidyEngine.Engine.Audit;
using SubsidyEngine.Engine.Hosting;
using SubsidyEngine.Testing;

namespace SubsidyEngine.Api.Tests;

/// <summary>
/// The service as <c>dotnet run --project src/Api</c> starts it: no connection string, so its own embedded PostgreSQL
/// cluster in a DataDirectory (a real initdb), the real workflows/ and register, the real clock. Only the jobs are off
/// (<c>Subsidy:RunJobs=false</c>) so the letters stay in the outbox for the assertions.
/// </summary>
public sealed class EmbeddedHost(string dataDirectory, int embeddedPort, bool? demo = null, string? connectionString = null) : WebApplicationFactory<Program>
{
    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SubsidyEngine.sln")))
            {
                dir = dir.Parent;
            }

            return dir?.FullName ?? throw new InvalidOperationException("SubsidyEngine.sln not found");
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        builder.UseSetting("ConnectionStrings:Subsidy", connectionString ?? string.Empty);
        if (connectionString is not null)
        {
            builder.UseSetting("Subsidy:PublicBaseUrl", ApiFactory.PublicBaseUrl); // a configured database needs both
            builder.UseSetting("Subsidy:Letters:AgencyIban", ApiFactory.AgencyIban);
        }
        builder.UseSetting("Subsidy:DataDirectory", dataDirectory);
        builder.UseSetting("Subsidy:Embedded:Port", embeddedPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("Subsidy:WorkflowsDirectory", Path.Combine(RepoRoot, "workflows"));
        builder.UseSetting("Subsidy:AuthoritiesFile", Path.Combine(RepoRoot, "data", "authorities", "flemish-authorities-demo.csv"));
        builder.UseSetting("Subsidy:RunJobs", "false");
        if (demo is { } d)
        {
            builder.UseSetting("Subsidy:Demo", d ? "true" : "false");
        }
    }

    public async Task<long> ScalarAsync(string sql)
    {
        await using var cmd = Services.GetRequiredService<NpgsqlDataSource>().CreateCommand(sql);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync());
    }

    /// <summary>A cookie client signed in through the development sign-in page as the seeded user.</summary>
    public async Task<HttpClient> SignInAsync(UserRecord user)
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        var page = await client.GetStringAsync("/dev/sign-in");
        var token = Regex.Match(page, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;
        var signedIn = await client.PostAsync("/dev/sign-in", new FormUrlEncodedContent([new("__RequestVerificationToken", token), new("userId", user.Id.ToString())]));
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        return client;
    }
}

/// <summary>
/// Issue 20: the embedded default's first start on a new database loads the demo through the runtime (today: one call
/// open, one in allocation, one project year running, letters in the outbox, something for every seeded user); a
/// second start does not load it again; <c>Subsidy:Demo=false</c> and a configured database stay empty.
/// </summary>
public sealed class DemoTests
{
    private static UserRecord User(string authorityOrRole) =>
        DevelopmentSignIn.Users.First(u => u.AuthorityId == authorityOrRole || (u.AuthorityId is null && u.Role == authorityOrRole));

    [Fact]
    public async Task A_fresh_embedded_start_loads_the_demo_once_and_every_seeded_user_finds_something_to_do()
    {
        var data = TestCluster.NewTempFolder("demo");
        var port = TestCluster.FreePort();
        long dossiers;
        await using (var host = new EmbeddedHost(data, port))
        {
            using var anonymous = host.CreateClient();
            Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/ready")).StatusCode);
            dossiers = await host.ScalarAsync("SELECT count(*) FROM dossier");
            Assert.True(dossiers >= 10, $"{dossiers} dossiers");

            // Today: one call open for applications, one in allocation, one project year running.
            Assert.Equal(1, await host.ScalarAsync("SELECT count(*) FROM dossier WHERE workflow_id LIKE '%/call' AND state = 'open'"));
            Assert.Equal(1, await host.ScalarAsync("SELECT count(*) FROM dossier WHERE workflow_id LIKE '%/call' AND state = 'allocating'"));
            Assert.Equal(1, await host.ScalarAsync("SELECT count(*) FROM dossier WHERE workflow_id LIKE '%/call' AND state = 'running'"));
            Assert.True(await host.ScalarAsync("SELECT count(*) FROM deadline WHERE status = 'open' AND kind = 'final-report' AND due_at > now()") >= 1);
            Assert.True(await host.ScalarAsync("SELECT count(*) FROM deadline WHERE status = 'open' AND kind = 'interim-report' AND due_at < now()") >= 1, "an overdue interim report");

            // Letters in the outbox (the jobs are off here: none sent yet), and nothing in the journal from the future.
            Assert.True(await host.ScalarAsync("SELECT count(*) FROM notice") >= 10);
            Assert.Equal(0, await host.ScalarAsync("SELECT count(*) FROM journal WHERE occurred_at > now()"));

            // Through the runtime: every chain verifies and every dossier replays to its stored state.
            var replay = await host.Services.GetRequiredService<Replayer>().ReplayAllAsync();
            Assert.True(replay.Divergences == 0, replay.OneLine);
            Assert.Equal(0, await host.ScalarAsync(
                $"SELECT count(*) FROM journal WHERE actor NOT IN ('system', {string.Join(", ", DevelopmentSignIn.Users.Select(u => $"'{u.Id:D}'"))})"));

            // Genk's portal offers the open call; the officer's board lists the dossiers.
            using var genk = await host.SignInAsync(User("71016"));
            var portal = await genk.GetStringAsync("/portal");
            Assert.Contains("Oproep oefenkansen Nederlands 2026", portal, StringComparison.Ordinal);
            Assert.Contains("Plan Samenleven", portal, StringComparison.Ordinal);
            using var officer = await host.SignInAsync(User("officer"));
            var board = await officer.GetStringAsync("/board");
            foreach (var name in new[] { "Genk", "Antwerpen", "Gent", "Sint-Niklaas", "Turnhout", "As" })
            {
                Assert.Contains(name, board, StringComparison.Ordinal);
            }

            // Every seeded municipality has a dossier of its own or as a participant.
            foreach (var (id, name) in DevelopmentSignIn.Authorities)
            {
                var mine = await host.ScalarAsync(
                    $"SELECT count(*) FROM dossier WHERE data->>'owner' = '{id}' OR data->'participants' ? '{id}'");
                Assert.True(mine >= 1, $"{name} has no dossier");
            }
        }

        Assert.True(File.Exists(Path.Combine(data, "demo", "loaded")));

        // The stopped host's cluster may still be shutting down: the next start must not adopt a stopping server.
        var pid = Path.Combine(data, "pg", "postmaster.pid");
        for (var i = 0; i < 600 && File.Exists(pid); i++)
        {
            await Task.Delay(100);
        }

        // A second start on the same DataDirectory does not load the demo again.
        await using (var again = new EmbeddedHost(data, port))
        {
            using var anonymous = again.CreateClient();
            Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/ready")).StatusCode);
            Assert.Equal(dossiers, await again.ScalarAsync("SELECT count(*) FROM dossier"));
            Assert.Equal(1, await again.ScalarAsync("SELECT count(*) FROM dossier WHERE workflow_id LIKE '%/call' AND state = 'open'"));
        }
    }

    [Fact]
    public async Task With_Subsidy_Demo_false_the_embedded_database_stays_empty()
    {
        var data = TestCluster.NewTempFolder("nodemo");
        await using var host = new EmbeddedHost(data, TestCluster.FreePort(), demo: false);
        using var anonymous = host.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/ready")).StatusCode);
        Assert.Equal(0, await host.ScalarAsync("SELECT count(*) FROM dossier"));
        Assert.False(Directory.Exists(Path.Combine(data, "demo")));
    }

    [Fact]
    public async Task A_configured_database_never_gets_the_demo()
    {
        var data = TestCluster.NewTempFolder("configured");
        var connectionString = await TestCluster.CreateDatabaseAsync("demo-configured");
        await using var host = new EmbeddedHost(data, TestCluster.FreePort(), demo: true, connectionString);
        using var anonymous = host.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/ready")).StatusCode);
        Assert.Equal(0, await host.ScalarAsync("SELECT count(*) FROM dossier"));
        Assert.False(Directory.Exists(Path.Combine(data, "demo")));
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync("/dev/sign-in")).StatusCode);
    }
}
