using System.Net;
using System.Reflection;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc.Infrastructure;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Template;
using Microsoft.Extensions.DependencyInjection;
using SubsidyEngine.Engine.Access;

namespace SubsidyEngine.Api.Tests;

/// <summary>A Genk dossier, an Antwerpen dossier Genk participates in, and a user to hang keys on.</summary>
public sealed class MatrixFactory : ApiFactory
{
    public Guid GenkDossier { get; private set; }

    public Guid SharedDossier { get; private set; }

    public Guid Target { get; private set; }

    /// <summary>Genk's submitted Plan Samenleven 2023 application (no participants), with its acknowledgement letter stored.</summary>
    public Guid GenkApplication { get; private set; }

    public Guid GenkLetter { get; private set; }

    /// <summary>A Genk test/abc dossier in B1 (Turnhout participating) with its open deadline and a failed notice.</summary>
    public Guid DeadlineDossier { get; private set; }

    public Guid Deadline { get; private set; }

    public Guid FailedNotice { get; private set; }

    /// <summary>Turnhout, the participating authority of Genk's dossiers in the matrix.</summary>
    public const string Turnhout = "13040";

    protected override bool WithProgrammes => true;

    protected override bool RunJobs => false;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var directory = Services.GetRequiredService<UserDirectory>();
        var turnhout = await directory.CreateUserAsync("Test turnhout", "turnhout@test.invalid", "municipality", Turnhout);
        Users["turnhout"] = turnhout;
        Keys["turnhout"] = (await directory.CreateKeyAsync(turnhout.Id, "tests")).Secret;

        GenkDossier = await CreateAbcAsync(Genk, participants: [Turnhout], title: "Genk eigen");
        SharedDossier = await CreateAbcAsync(Antwerpen, participants: [Genk], title: "Antwerpen gedeeld");
        Target = (await directory.CreateUserAsync("Key holder", "holder@test.invalid", "officer", null)).Id;
        await ProgrammeScenario.OpenCallAsync(this);
        GenkApplication = await ProgrammeScenario.StartAsync(this, "genk", ProgrammeScenario.GenkApplication(), Turnhout);
        await ProgrammeScenario.FireAsync(this, GenkApplication, "submit", "genk");
        GenkLetter = (await Services.GetRequiredService<DossierQueries>().NoticesAsync(new AccessScope("test", "officer", null), GenkApplication))!.Single().Id;
        await Services.GetRequiredService<SubsidyEngine.Engine.Notices.NoticeDispatcher>().PrerenderAsync();

        DeadlineDossier = await CreateAbcAsync(Genk, participants: [Turnhout], amount: 5, title: "Genk termijn");
        using (var officer = As("officer"))
        {
            var go = await officer.PostAsync($"/api/dossiers/{DeadlineDossier}/transitions/go", Json("{}"));
            Assert.True(go.IsSuccessStatusCode, await go.Content.ReadAsStringAsync());
        }

        await using var ds = Npgsql.NpgsqlDataSource.Create(ConnectionString);
        await using (var cmd = ds.CreateCommand($"SELECT id FROM deadline WHERE dossier_id = '{DeadlineDossier}' AND status = 'open'"))
        {
            Deadline = (Guid)(await cmd.ExecuteScalarAsync())!;
        }

        await using (var cmd = ds.CreateCommand(
                         $"UPDATE notice SET status = 'failed', last_error = 'matrix set-up' WHERE id = (SELECT id FROM notice WHERE dossier_id = '{DeadlineDossier}' ORDER BY id LIMIT 1) RETURNING id"))
        {
            FailedNotice = (Guid)(await cmd.ExecuteScalarAsync())!;
        }
    }
}

/// <summary>
/// Every role and relation against every endpoint and every page, read and write, with the exact status: officer,
/// the owner of Genk's dossiers (genk), a participating authority (turnhout), an unrelated municipality
/// (antwerpen), auditor, admin, anonymous. Each write is sent for real; where it is refused, and whenever a
/// participant, an unrelated municipality, the auditor or an anonymous caller writes to a dossier, the database is
/// checked unchanged. The endpoints and the pages are enumerated from the running app, so a new one fails
/// <see cref="Every_endpoint_and_page_of_the_app_is_in_the_matrix"/> until it has its row.
/// </summary>
public sealed class AccessMatrixTests(MatrixFactory api) : IClassFixture<MatrixFactory>
{
    public static readonly string[] Personas = ["officer", "genk", "turnhout", "antwerpen", "auditor", "admin", "anonymous"];

    /// <summary>The personas that may never change a dossier they do not own: participant, unrelated, auditor, anonymous.</summary>
    private static readonly string[] Bystanders = ["turnhout", "antwerpen", "auditor", "anonymous"];

    /// <summary>
    /// "METHOD path[ (note)]" -> expected status per persona, in the order of <see cref="Personas"/>: owner genk,
    /// participant turnhout, unrelated antwerpen. The path is the app's route with our ids; pages with ?handler=.
    /// </summary>
    private static readonly Dictionary<string, int[]> Expected = new()
    {
        //                                                                          officer genk turnh antw  audit admin anon
        ["GET /api/dossiers"] = [200, 200, 200, 200, 200, 200, 401],
        ["GET /api/dossiers/{id}"] = [200, 200, 200, 404, 200, 200, 401],
        ["POST /api/dossiers"] = [201, 201, 403, 403, 403, 201, 401],
        ["POST /api/dossiers/{id}/transitions/set-amount"] = [200, 200, 403, 404, 403, 200, 401],
        ["POST /api/dossiers/{id}/transitions/go (officer-only trigger, guard fails)"] = [409, 403, 403, 404, 403, 409, 401],
        ["GET /api/dossiers/{id}/transitions"] = [200, 200, 200, 404, 200, 200, 401],
        ["GET /api/dossiers/{id}/journal"] = [200, 200, 200, 404, 200, 200, 401],
        ["GET /api/dossiers/{id}/replay"] = [200, 403, 403, 403, 200, 200, 401],
        ["GET /api/dossiers/{id}/as-of"] = [200, 403, 403, 403, 200, 200, 401],
        ["GET /api/dossiers/{id}/deadlines"] = [200, 200, 200, 404, 200, 200, 401],
        ["GET /api/dossiers/{id}/notices"] = [200, 200, 200, 404, 200, 200, 401],
        ["GET /api/workflows"] = [200, 200, 200, 200, 200, 200, 401],
        ["GET /api/workflows/test/abc"] = [200, 200, 200, 200, 200, 200, 401],
        ["GET /api/migrations"] = [200, 403, 403, 403, 200, 200, 401],
        ["POST /api/migrations/{id}/dry-run"] = [200, 403, 403, 403, 403, 200, 401],
        ["POST /api/migrations/{id}/apply"] = [403, 403, 403, 403, 403, 200, 401],
        ["POST /api/audit/replay"] = [403, 403, 403, 403, 200, 200, 401],
        ["GET /api/users"] = [403, 403, 403, 403, 403, 200, 401],
        ["POST /api/users"] = [403, 403, 403, 403, 403, 201, 401],
        ["GET /api/users/{id}/keys"] = [403, 403, 403, 403, 403, 200, 401],
        ["POST /api/users/{id}/keys"] = [403, 403, 403, 403, 403, 201, 401],
        ["DELETE /api/users/{id}/keys/{keyId}"] = [403, 403, 403, 403, 403, 204, 401],
        ["GET /api/me"] = [200, 200, 200, 200, 200, 200, 401],
        ["GET /api/programmes"] = [200, 200, 200, 200, 200, 200, 401],
        ["GET /api/programmes/{id}"] = [200, 200, 200, 200, 200, 200, 401],
        ["GET /api/programmes/{id}/calls"] = [200, 200, 200, 200, 200, 200, 401],
        ["GET /api/programmes/{id}/calls/{call}"] = [200, 200, 200, 200, 200, 200, 401],
        ["POST /api/programmes/{id}/calls/{call}/applications (its own, without participants; Genk has one)"] = [400, 409, 201, 201, 403, 400, 401],
        ["POST /api/programmes/{id}/calls/{call}/open (already open)"] = [409, 403, 403, 403, 403, 409, 401],
        ["POST /api/programmes/{id}/calls/{call}/allocation/preview"] = [200, 403, 403, 403, 403, 200, 401],
        ["POST /api/programmes/{id}/calls/{call}/allocation/confirm (call still open)"] = [409, 403, 403, 403, 403, 409, 401],
        ["POST /api/programmes/{id}/calls/{call}/award (nothing allocated)"] = [200, 403, 403, 403, 403, 200, 401],
        ["GET /api/programmes/{programmeId}/calls/{callId}/cooperation/authorities"] = [200, 200, 200, 200, 200, 200, 401],
        ["GET /api/programmes/{programmeId}/calls/{callId}/cooperation/check"] = [200, 200, 200, 200, 200, 200, 401],
        ["GET /api/authorities"] = [200, 200, 200, 200, 200, 200, 401],
        ["GET /api/authorities/{Genk} (Antwerpen and Turnhout share a dossier with Genk)"] = [200, 200, 200, 200, 200, 200, 401],
        ["GET /api/authorities/{Gent} (no shared dossier)"] = [200, 404, 404, 404, 200, 200, 401],
        ["GET /api/dossiers/{id}/application"] = [200, 200, 200, 404, 200, 200, 401],
        ["GET /api/dossiers/{id}/reports"] = [200, 200, 200, 404, 200, 200, 401],
        ["GET /api/dossiers/{id}/letters"] = [200, 200, 200, 404, 200, 200, 401],
        ["GET /api/dossiers/{id}/letters/{noticeId}/html"] = [200, 200, 200, 404, 200, 200, 401],
        ["GET /api/dossiers/{id}/letters/{noticeId}/pdf"] = [200, 200, 200, 404, 200, 200, 401],
        ["GET /api/exports/dossiers.csv"] = [200, 200, 200, 200, 200, 200, 401],
        ["GET /api/exports/payments.xlsx"] = [200, 200, 200, 200, 200, 200, 401],
        ["GET /api/notices/failed"] = [200, 403, 403, 403, 403, 200, 401],
        ["POST /api/notices/{id}/retry"] = [204, 403, 403, 403, 403, 204, 401],
        ["POST /api/deadlines/{id}/extensions"] = [200, 403, 403, 403, 403, 200, 401],
        ["GET /calendar/{token}.ics (unknown token)"] = [404, 404, 404, 404, 404, 404, 404],
        ["GET /auth/antiforgery"] = [200, 200, 200, 200, 200, 200, 200],
        ["POST /auth/sign-out"] = [204, 204, 204, 204, 204, 204, 204],
        ["GET /auth/sign-in (no identity provider configured)"] = [404, 404, 404, 404, 404, 404, 404],
        ["GET /dev/sign-in (configured database)"] = [404, 404, 404, 404, 404, 404, 404],
        ["POST /dev/sign-in (configured database)"] = [404, 404, 404, 404, 404, 404, 404],
        ["GET /health/live"] = [200, 200, 200, 200, 200, 200, 200],
        ["GET /health/ready"] = [200, 200, 200, 200, 200, 200, 200],
        ["GET /openapi/v1.json"] = [200, 200, 200, 200, 200, 200, 200],
        ["GET /scalar/"] = [200, 200, 200, 200, 200, 200, 200],
        ["GET /hangfire"] = [403, 403, 403, 403, 403, 200, 401],

        // Pages (src/Api/Pages); writes carry the persona's antiforgery cookie and token.
        ["GET /"] = [302, 302, 302, 302, 302, 302, 401],
        ["GET /lang"] = [302, 302, 302, 302, 302, 302, 302],
        ["GET /board"] = [200, 302, 302, 302, 200, 200, 401],
        ["GET /portal"] = [302, 200, 200, 200, 302, 302, 401],
        ["GET /audit/as-of"] = [200, 403, 403, 403, 200, 200, 401],
        ["GET /workflows/{programme}/{name}"] = [200, 200, 200, 200, 200, 200, 401],
        ["POST /board?handler=OpenCall (already open: to its page)"] = [302, 403, 403, 403, 403, 302, 401],
        ["GET /calls/{id}/dashboard"] = [200, 403, 403, 403, 200, 200, 401],
        ["GET /dossiers/{id}"] = [200, 200, 200, 404, 200, 200, 401],
        ["GET /dossiers/{id}?handler=Replay"] = [200, 403, 403, 404, 200, 200, 401],
        ["GET /dossiers/{id}/letters/{noticeId}"] = [200, 200, 200, 404, 200, 200, 401],
        ["GET /dossiers/{id}/letters/{noticeId}?handler=Pdf"] = [200, 200, 200, 404, 200, 200, 401],
        ["GET /migrations"] = [200, 403, 403, 403, 403, 200, 401],
        ["GET /notices"] = [200, 403, 403, 403, 403, 200, 401],
        ["GET /reports"] = [200, 403, 403, 403, 200, 200, 401],
        ["GET /signout"] = [302, 302, 302, 302, 302, 302, 401],
        ["POST /dossiers/{id}?handler=Fire (set-amount)"] = [200, 200, 200, 404, 200, 200, 401],
        ["POST /dossiers/{id}?handler=Save"] = [200, 200, 200, 404, 200, 200, 401],
        ["POST /dossiers/{id}?handler=Submit"] = [200, 200, 200, 404, 200, 200, 401],
        ["POST /dossiers/{id}?handler=Report"] = [200, 200, 200, 404, 200, 200, 401],
        ["POST /dossiers/{id}?handler=Eligibility"] = [200, 200, 200, 404, 200, 200, 401],
        ["POST /dossiers/{id}?handler=Preview (no call)"] = [404, 404, 404, 404, 404, 404, 401],
        ["POST /dossiers/{id}?handler=Confirm (no call)"] = [404, 404, 404, 404, 404, 404, 401],
        ["POST /dossiers/{id}?handler=AwardAll (no call)"] = [404, 404, 404, 404, 404, 404, 401],
        ["POST /migrations?handler=DryRun"] = [200, 403, 403, 403, 403, 200, 401],
        ["POST /migrations?handler=Apply"] = [403, 403, 403, 403, 403, 200, 401],
        ["POST /notices?handler=Retry"] = [200, 403, 403, 403, 403, 200, 401],
        ["POST /notices?handler=Extend"] = [200, 403, 403, 403, 403, 200, 401],
        ["POST /portal?handler=Calendar"] = [403, 200, 200, 200, 403, 403, 401],
        ["POST /portal?handler=Start (unknown call)"] = [403, 200, 200, 200, 403, 403, 401],
        ["POST /reports?handler=Continuation (test/abc has none)"] = [200, 403, 403, 403, 200, 200, 401],
        ["POST /signout"] = [302, 302, 302, 302, 302, 302, 401],
    };

    /// <summary>Route patterns the matrix leaves out, each with the reason (every other endpoint must have a row).</summary>
    private static readonly Dictionary<string, string> NotInMatrix = new(StringComparer.Ordinal)
    {
        ["/scalar/scalar.js"] = "a static asset of the API reference (public, as GET /scalar/)",
        ["/scalar/scalar.aspnetcore.js"] = "a static asset of the API reference (public, as GET /scalar/)",
        ["/scalar/favicon.svg"] = "a static asset of the API reference (public, as GET /scalar/)",
    };

    public static TheoryData<string, string> Cells()
    {
        var data = new TheoryData<string, string>();
        foreach (var endpoint in Expected.Keys)
        {
            foreach (var persona in Personas)
            {
                data.Add(endpoint, persona);
            }
        }

        return data;
    }

    private static (string Method, string Path) Parse(string endpoint)
    {
        var parts = endpoint.Split(' ', 3);
        return (parts[0], parts[1]);
    }

    private static HttpRequestMessage Form(string path, string form) =>
        new(HttpMethod.Post, path) { Content = new StringContent(form, System.Text.Encoding.UTF8, "application/x-www-form-urlencoded") };

    private async Task<HttpRequestMessage> RequestAsync(string endpoint)
    {
        var d = api.GenkDossier;
        return endpoint switch
        {
            "GET /api/dossiers" => new(HttpMethod.Get, "/api/dossiers"),
            "GET /api/dossiers/{id}" => new(HttpMethod.Get, $"/api/dossiers/{d}"),
            "POST /api/dossiers" => new(HttpMethod.Post, "/api/dossiers")
            {
                Content = ApiFactory.Json(new JsonObject { ["workflow"] = "test/abc", ["data"] = new JsonObject { ["owner"] = ApiFactory.Genk } }),
            },
            "POST /api/dossiers/{id}/transitions/set-amount" => new(HttpMethod.Post, $"/api/dossiers/{d}/transitions/set-amount") { Content = ApiFactory.Json(new JsonObject { ["amount"] = 0 }) },
            "POST /api/dossiers/{id}/transitions/go (officer-only trigger, guard fails)" => new(HttpMethod.Post, $"/api/dossiers/{d}/transitions/go"),
            "GET /api/dossiers/{id}/transitions" => new(HttpMethod.Get, $"/api/dossiers/{d}/transitions"),
            "GET /api/dossiers/{id}/journal" => new(HttpMethod.Get, $"/api/dossiers/{d}/journal"),
            "GET /api/dossiers/{id}/replay" => new(HttpMethod.Get, $"/api/dossiers/{d}/replay"),
            "GET /api/dossiers/{id}/as-of" => new(HttpMethod.Get, $"/api/dossiers/{d}/as-of?at={Uri.EscapeDataString(api.Clock.GetUtcNow().ToString("O"))}"),
            "GET /api/dossiers/{id}/deadlines" => new(HttpMethod.Get, $"/api/dossiers/{d}/deadlines"),
            "GET /api/dossiers/{id}/notices" => new(HttpMethod.Get, $"/api/dossiers/{d}/notices"),
            "GET /api/workflows" => new(HttpMethod.Get, "/api/workflows"),
            "GET /api/workflows/test/abc" => new(HttpMethod.Get, "/api/workflows/test/abc"),
            "GET /api/migrations" => new(HttpMethod.Get, "/api/migrations"),
            "POST /api/migrations/{id}/dry-run" => new(HttpMethod.Post, "/api/migrations/cycle-v1-v2/dry-run"),
            "POST /api/migrations/{id}/apply" => new(HttpMethod.Post, "/api/migrations/cycle-v1-v2/apply"),
            "POST /api/audit/replay" => new(HttpMethod.Post, "/api/audit/replay"),
            "GET /api/users" => new(HttpMethod.Get, "/api/users"),
            "POST /api/users" => new(HttpMethod.Post, "/api/users")
            {
                Content = ApiFactory.Json(new JsonObject { ["displayName"] = "New", ["email"] = $"{Guid.NewGuid():N}@test.invalid", ["role"] = "auditor" }),
            },
            "GET /api/users/{id}/keys" => new(HttpMethod.Get, $"/api/users/{api.Target}/keys"),
            "POST /api/users/{id}/keys" => new(HttpMethod.Post, $"/api/users/{api.Target}/keys") { Content = ApiFactory.Json(new JsonObject { ["label"] = "matrix" }) },
            "DELETE /api/users/{id}/keys/{keyId}" => new(HttpMethod.Delete,
                $"/api/users/{api.Target}/keys/{(await api.Services.GetRequiredService<UserDirectory>().CreateKeyAsync(api.Target, "to revoke")).Key.Id}"),
            "GET /api/me" => new(HttpMethod.Get, "/api/me"),
            "GET /api/programmes" => new(HttpMethod.Get, "/api/programmes"),
            "GET /api/programmes/{id}" => new(HttpMethod.Get, "/api/programmes/plan-samenleven"),
            "GET /api/programmes/{id}/calls" => new(HttpMethod.Get, "/api/programmes/plan-samenleven/calls"),
            "GET /api/programmes/{id}/calls/{call}" => new(HttpMethod.Get, "/api/programmes/plan-samenleven/calls/2023"),
            "GET /api/programmes/{programmeId}/calls/{callId}/cooperation/authorities" => new(HttpMethod.Get, "/api/programmes/plan-samenleven/calls/2023/cooperation/authorities?q=Ge"),
            "GET /api/programmes/{programmeId}/calls/{callId}/cooperation/check" => new(HttpMethod.Get, "/api/programmes/plan-samenleven/calls/2023/cooperation/check?participants=44021&owner=71002"),
            "GET /workflows/{programme}/{name}" => new(HttpMethod.Get, "/workflows/plan-samenleven/dossier"),
            "POST /board?handler=OpenCall (already open: to its page)" => Form("/board?handler=OpenCall", "programme=plan-samenleven&call=2023"),
            "POST /api/programmes/{id}/calls/{call}/applications (its own, without participants; Genk has one)" =>
                new(HttpMethod.Post, "/api/programmes/plan-samenleven/calls/2023/applications") { Content = ApiFactory.Json("""{"participants":[]}""") },
            "POST /api/programmes/{id}/calls/{call}/open (already open)" => new(HttpMethod.Post, "/api/programmes/plan-samenleven/calls/2023/open"),
            "POST /api/programmes/{id}/calls/{call}/allocation/preview" => new(HttpMethod.Post, "/api/programmes/plan-samenleven/calls/2023/allocation/preview"),
            "POST /api/programmes/{id}/calls/{call}/allocation/confirm (call still open)" => new(HttpMethod.Post, "/api/programmes/plan-samenleven/calls/2023/allocation/confirm"),
            "POST /api/programmes/{id}/calls/{call}/award (nothing allocated)" => new(HttpMethod.Post, "/api/programmes/plan-samenleven/calls/2023/award"),
            "GET /api/authorities" => new(HttpMethod.Get, "/api/authorities"),
            "GET /api/authorities/{Genk} (Antwerpen and Turnhout share a dossier with Genk)" => new(HttpMethod.Get, $"/api/authorities/{ApiFactory.Genk}"),
            "GET /api/authorities/{Gent} (no shared dossier)" => new(HttpMethod.Get, $"/api/authorities/{ApiFactory.Gent}"),
            "GET /api/dossiers/{id}/application" => new(HttpMethod.Get, $"/api/dossiers/{api.GenkApplication}/application"),
            "GET /api/dossiers/{id}/reports" => new(HttpMethod.Get, $"/api/dossiers/{api.GenkApplication}/reports"),
            "GET /api/dossiers/{id}/letters" => new(HttpMethod.Get, $"/api/dossiers/{api.GenkApplication}/letters"),
            "GET /api/dossiers/{id}/letters/{noticeId}/html" => new(HttpMethod.Get, $"/api/dossiers/{api.GenkApplication}/letters/{api.GenkLetter}/html"),
            "GET /api/dossiers/{id}/letters/{noticeId}/pdf" => new(HttpMethod.Get, $"/api/dossiers/{api.GenkApplication}/letters/{api.GenkLetter}/pdf"),
            "GET /api/exports/dossiers.csv" => new(HttpMethod.Get, "/api/exports/dossiers.csv"),
            "GET /api/exports/payments.xlsx" => new(HttpMethod.Get, "/api/exports/payments.xlsx"),
            "GET /api/notices/failed" => new(HttpMethod.Get, "/api/notices/failed"),
            "POST /api/notices/{id}/retry" => new(HttpMethod.Post, $"/api/notices/{api.FailedNotice}/retry"),
            "POST /api/deadlines/{id}/extensions" => new(HttpMethod.Post, $"/api/deadlines/{api.Deadline}/extensions")
            {
                Content = ApiFactory.Json(new JsonObject { ["newDue"] = $"{NextDue():yyyy-MM-dd}T12:00:00+02:00", ["reason"] = "matrix" }),
            },
            "GET /calendar/{token}.ics (unknown token)" => new(HttpMethod.Get, $"/calendar/{new string('A', 43)}.ics"),
            "GET /auth/antiforgery" => new(HttpMethod.Get, "/auth/antiforgery"),
            "POST /auth/sign-out" => new(HttpMethod.Post, "/auth/sign-out"),
            "GET /auth/sign-in (no identity provider configured)" => new(HttpMethod.Get, "/auth/sign-in"),
            "GET /dev/sign-in (configured database)" => new(HttpMethod.Get, "/dev/sign-in"),
            "POST /dev/sign-in (configured database)" => Form("/dev/sign-in", "userId=" + SubsidyEngine.Api.Auth.DevelopmentSignIn.Users[0].Id),
            "GET /health/live" => new(HttpMethod.Get, "/health/live"),
            "GET /health/ready" => new(HttpMethod.Get, "/health/ready"),
            "GET /openapi/v1.json" => new(HttpMethod.Get, "/openapi/v1.json"),
            "GET /scalar/" => new(HttpMethod.Get, "/scalar/"),
            "GET /hangfire" => new(HttpMethod.Get, "/hangfire"),

            "GET /" => new(HttpMethod.Get, "/"),
            "GET /lang" => new(HttpMethod.Get, "/lang?culture=en&returnUrl=%2F"),
            "GET /board" => new(HttpMethod.Get, "/board"),
            "GET /portal" => new(HttpMethod.Get, "/portal"),
            "GET /audit/as-of" => new(HttpMethod.Get, $"/audit/as-of?id={d}"),
            "GET /calls/{id}/dashboard" => new(HttpMethod.Get, $"/calls/{await CallDossierAsync()}/dashboard"),
            "GET /dossiers/{id}" => new(HttpMethod.Get, $"/dossiers/{d}"),
            "GET /dossiers/{id}?handler=Replay" => new(HttpMethod.Get, $"/dossiers/{d}?handler=Replay"),
            "GET /dossiers/{id}/letters/{noticeId}" => new(HttpMethod.Get, $"/dossiers/{api.GenkApplication}/letters/{api.GenkLetter}"),
            "GET /dossiers/{id}/letters/{noticeId}?handler=Pdf" => new(HttpMethod.Get, $"/dossiers/{api.GenkApplication}/letters/{api.GenkLetter}?handler=Pdf"),
            "GET /migrations" => new(HttpMethod.Get, "/migrations"),
            "GET /notices" => new(HttpMethod.Get, "/notices"),
            "GET /reports" => new(HttpMethod.Get, "/reports"),
            "GET /signout" => new(HttpMethod.Get, "/signout"),
            "POST /dossiers/{id}?handler=Fire (set-amount)" => Form($"/dossiers/{d}?handler=Fire", "trigger=set-amount&p_amount=0&comment=matrix"),
            "POST /dossiers/{id}?handler=Save" => Form($"/dossiers/{d}?handler=Save", "planned_X=1"),
            "POST /dossiers/{id}?handler=Submit" => Form($"/dossiers/{d}?handler=Submit", "confirm=true"),
            "POST /dossiers/{id}?handler=Report" => Form($"/dossiers/{d}?handler=Report", "trigger=report-interim&realised_X=1"),
            "POST /dossiers/{id}?handler=Eligibility" => Form($"/dossiers/{d}?handler=Eligibility", "eligible=true&comment=matrix"),
            "POST /dossiers/{id}?handler=Preview (no call)" => Form($"/dossiers/{d}?handler=Preview", string.Empty),
            "POST /dossiers/{id}?handler=Confirm (no call)" => Form($"/dossiers/{d}?handler=Confirm", string.Empty),
            "POST /dossiers/{id}?handler=AwardAll (no call)" => Form($"/dossiers/{d}?handler=AwardAll", string.Empty),
            "POST /migrations?handler=DryRun" => Form("/migrations?handler=DryRun", "id=cycle-v1-v2"),
            "POST /migrations?handler=Apply" => Form("/migrations?handler=Apply", "id=cycle-v1-v2&confirm=true"),
            "POST /notices?handler=Retry" => Form("/notices?handler=Retry", $"notice={api.FailedNotice}"),
            "POST /notices?handler=Extend" => Form("/notices?handler=Extend", $"dossier={api.DeadlineDossier}&deadline={api.Deadline}&newDue={NextDue():yyyy-MM-dd}&reason=matrix"),
            "POST /portal?handler=Calendar" => Form("/portal?handler=Calendar", "confirm=true"),
            "POST /portal?handler=Start (unknown call)" => Form("/portal?handler=Start", "programme=nope&call=nope&participants=44021"),
            "POST /reports?handler=Continuation (test/abc has none)" => Form("/reports?handler=Continuation", $"id={d}&version=1&accepted=2.1"),
            "POST /signout" => Form("/signout", string.Empty),
            _ => throw new ArgumentOutOfRangeException(nameof(endpoint), endpoint, null),
        };
    }

    private static int _extensions;

    /// <summary>A due day later than every one asked before (the cells of the theory run in no fixed order).</summary>
    private static DateOnly NextDue() => new DateOnly(2031, 1, 1).AddDays(Interlocked.Increment(ref _extensions));

    private async Task<Guid> CallDossierAsync()
    {
        await using var ds = Npgsql.NpgsqlDataSource.Create(api.ConnectionString);
        await using var cmd = ds.CreateCommand("SELECT id FROM dossier WHERE workflow_id = 'plan-samenleven/call' LIMIT 1");
        return (Guid)(await cmd.ExecuteScalarAsync())!;
    }

    private readonly Dictionary<string, (string Cookie, string Token)> _antiforgery = [];

    /// <summary>The persona's antiforgery cookie and token (a form post needs both, whoever sends it).</summary>
    private async Task<(string Cookie, string Token)> AntiforgeryAsync(string persona)
    {
        if (!_antiforgery.TryGetValue(persona, out var pair))
        {
            pair = await api.AntiforgeryOfAsync(persona == "anonymous" ? null : persona);
            _antiforgery[persona] = pair;
        }

        return pair;
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public async Task Each_role_gets_exactly_the_expected_status(string endpoint, string persona)
    {
        var expected = Expected[endpoint][Array.IndexOf(Personas, persona)];
        var (method, path) = Parse(endpoint);
        using var client = api.As(persona == "anonymous" ? null : persona);
        using var request = await RequestAsync(endpoint);
        var isPage = !path.StartsWith("/api/", StringComparison.Ordinal) && !path.StartsWith("/auth/", StringComparison.Ordinal) && !path.StartsWith("/dev/", StringComparison.Ordinal);
        if (method != "GET" && isPage)
        {
            var (cookie, token) = await AntiforgeryAsync(persona);
            request.Headers.Add("Cookie", cookie);
            request.Headers.Add(SubsidyEngine.Api.Auth.SubsidyAuth.AntiforgeryHeader, token);
        }

        // A refused write, and any write by a bystander to Genk's dossiers, must leave the database as it was.
        var mustNotChange = method != "GET" && (expected >= 400 || (Bystanders.Contains(persona) && !endpoint.Contains("/calls/", StringComparison.Ordinal)
                                                                     && !endpoint.StartsWith("POST /portal", StringComparison.Ordinal)));
        var before = mustNotChange ? await api.FingerprintAsync() : null;
        var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(expected == (int)response.StatusCode, $"{endpoint} as {persona}: expected {expected}, got {(int)response.StatusCode} {body[..Math.Min(body.Length, 300)]}");
        if (expected >= 400 && path.StartsWith("/api/", StringComparison.Ordinal))
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        if (before is not null)
        {
            Assert.True(before == await api.FingerprintAsync(), $"{endpoint} as {persona} ({(int)response.StatusCode}) changed the database");
        }
    }

    /// <summary>
    /// Every endpoint the app routes and every page and page handler must have a row: a new one fails here until the
    /// matrix says who may use it.
    /// </summary>
    [Fact]
    public void Every_endpoint_and_page_of_the_app_is_in_the_matrix()
    {
        var rows = Expected.Keys.Select(Parse).ToList();
        var missing = new List<string>();
        foreach (var endpoint in api.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            if (endpoint.Metadata.GetMetadata<PageActionDescriptor>() is not null)
            {
                continue;
            }

            var raw = "/" + (endpoint.RoutePattern.RawText ?? string.Empty).TrimStart('/');
            if (NotInMatrix.ContainsKey(raw))
            {
                continue;
            }

            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods is { Count: > 0 } m ? m : (IReadOnlyList<string>)["GET"];
            var matcher = new TemplateMatcher(TemplateParser.Parse(raw.TrimStart('/').Replace("{**", "{*", StringComparison.Ordinal)), new RouteValueDictionary());
            foreach (var method in methods.Where(x => x != "HEAD" && x != "OPTIONS"))
            {
                if (!rows.Any(r => r.Method == method && matcher.TryMatch(r.Path.Split('?')[0], new RouteValueDictionary())))
                {
                    missing.Add($"{method} {raw}");
                }
            }
        }

        foreach (var page in api.Services.GetRequiredService<IActionDescriptorCollectionProvider>().ActionDescriptors.Items.OfType<PageActionDescriptor>()
                     .GroupBy(p => p.ViewEnginePath, StringComparer.Ordinal).Select(g => g.First()))
        {
            var template = "/" + (page.AttributeRouteInfo?.Template ?? page.ViewEnginePath.TrimStart('/'));
            var matcher = new TemplateMatcher(TemplateParser.Parse(template.TrimStart('/')), new RouteValueDictionary());
            var model = typeof(Program).Assembly.GetTypes().Single(t => typeof(PageModel).IsAssignableFrom(t) && "/" + t.Name[..^"Model".Length] == page.ViewEnginePath);
            foreach (var handler in model.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly).Where(h => h.Name.StartsWith("On", StringComparison.Ordinal)))
            {
                var name = handler.Name.EndsWith("Async", StringComparison.Ordinal) ? handler.Name[..^"Async".Length] : handler.Name;
                var verb = name.StartsWith("OnGet", StringComparison.Ordinal) ? "GET" : name.StartsWith("OnPost", StringComparison.Ordinal) ? "POST" : null;
                if (verb is null)
                {
                    continue;
                }

                var handlerName = name[(verb == "GET" ? "OnGet" : "OnPost").Length..];
                var found = rows.Any(r => r.Method == verb && matcher.TryMatch(r.Path.Split('?')[0], new RouteValueDictionary())
                                          && (handlerName.Length == 0 ? !r.Path.Contains("?handler=", StringComparison.Ordinal) : r.Path.EndsWith("?handler=" + handlerName, StringComparison.Ordinal)));
                if (!found)
                {
                    missing.Add($"{verb} {template}{(handlerName.Length == 0 ? string.Empty : "?handler=" + handlerName)}");
                }
            }
        }

        Assert.True(missing.Count == 0, "Not in the access matrix (add a row with the expected status per persona):\n" + string.Join("\n", missing));
    }

    [Fact]
    public async Task A_foreign_municipality_never_sees_another_dossier_in_lists_and_reads_exactly_like_a_missing_one()
    {
        using var antwerpen = api.As("antwerpen");
        using var gent = api.As("gent");
        using var genk = api.As("genk");

        var genkList = JsonNode.Parse(await genk.GetStringAsync("/api/dossiers?pageSize=200"))!;
        var genkIds = genkList["items"]!.AsArray().Select(i => Guid.Parse(i!["id"]!.GetValue<string>())).ToList();
        Assert.Contains(api.GenkDossier, genkIds);
        Assert.Contains(api.SharedDossier, genkIds); // Genk participates in the Antwerpen dossier

        foreach (var (client, own) in new[] { (antwerpen, (Guid?)api.SharedDossier), (gent, null) })
        {
            var list = JsonNode.Parse(await client.GetStringAsync("/api/dossiers?pageSize=200"))!;
            var ids = list["items"]!.AsArray().Select(i => Guid.Parse(i!["id"]!.GetValue<string>())).ToList();
            Assert.DoesNotContain(api.GenkDossier, ids);
            Assert.Equal(ids.Count, list["total"]!.GetValue<long>());
            Assert.Equal(own is null ? 0 : 1, ids.Count(i => i == api.SharedDossier));
            var filtered = JsonNode.Parse(await client.GetStringAsync($"/api/dossiers?owner={ApiFactory.Genk}&q=Genk"))!;
            Assert.Equal(0, filtered["total"]!.GetValue<long>());
        }

        var missing = Guid.NewGuid();
        foreach (var suffix in new[] { "", "/journal", "/transitions", "/notices", "/deadlines" })
        {
            var foreign = await gent.GetAsync($"/api/dossiers/{api.GenkDossier}{suffix}");
            var absent = await gent.GetAsync($"/api/dossiers/{missing}{suffix}");
            Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, absent.StatusCode);
            var f = JsonNode.Parse(await foreign.Content.ReadAsStringAsync())!;
            var a = JsonNode.Parse(await absent.Content.ReadAsStringAsync())!;
            Assert.Equal(a["title"]!.GetValue<string>(), f["title"]!.GetValue<string>());
            Assert.Equal(a["detail"]!.GetValue<string>(), f["detail"]!.GetValue<string>());
            Assert.DoesNotContain("Genk eigen", await foreign.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.False(foreign.Headers.Contains("ETag"));
        }

        foreach (var suffix in new[] { "/application", "/reports", "/letters", $"/letters/{api.GenkLetter}/html", $"/letters/{api.GenkLetter}/pdf" })
        {
            var foreign = await gent.GetAsync($"/api/dossiers/{api.GenkApplication}{suffix}");
            var absent = await gent.GetAsync($"/api/dossiers/{missing}{suffix}");
            Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, absent.StatusCode);
            Assert.Equal(JsonNode.Parse(await absent.Content.ReadAsStringAsync())!["title"]!.GetValue<string>(), JsonNode.Parse(await foreign.Content.ReadAsStringAsync())!["title"]!.GetValue<string>());
        }

        // Authorities: Gent sees only itself; Genk sees itself and Antwerpen (a shared dossier); nobody else's partners.
        var gentAuthorities = JsonNode.Parse(await gent.GetStringAsync("/api/authorities?pageSize=200"))!;
        Assert.Equal([ApiFactory.Gent], gentAuthorities["items"]!.AsArray().Select(a => a!["id"]!.GetValue<string>()).ToArray());
        Assert.Equal(1, gentAuthorities["total"]!.GetValue<long>());
        var genkAuthorities = JsonNode.Parse(await genk.GetStringAsync("/api/authorities?pageSize=200"))!;
        Assert.Equal([ApiFactory.Antwerpen, MatrixFactory.Turnhout, ApiFactory.Genk], genkAuthorities["items"]!.AsArray().Select(a => a!["id"]!.GetValue<string>()).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(0, JsonNode.Parse(await gent.GetStringAsync("/api/authorities?q=Genk"))!["total"]!.GetValue<long>());

        // Call figures count only the applications the caller sees.
        var gentCall = JsonNode.Parse(await gent.GetStringAsync("/api/programmes/plan-samenleven/calls/2023"))!;
        Assert.Equal(0, gentCall["figures"]!["applications"]!.GetValue<int>());
        Assert.Equal(0m, gentCall["figures"]!["requestedEur"]!.GetValue<decimal>());
        Assert.Null(gentCall["call"]!["callDossierId"]?.GetValue<string>());
        var genkCall = JsonNode.Parse(await genk.GetStringAsync("/api/programmes/plan-samenleven/calls/2023"))!;
        Assert.Equal(1, genkCall["figures"]!["applications"]!.GetValue<int>());

        var fire = await gent.PostAsync($"/api/dossiers/{api.GenkDossier}/transitions/set-amount", ApiFactory.Json(new JsonObject { ["amount"] = 3 }));
        var fireMissing = await gent.PostAsync($"/api/dossiers/{missing}/transitions/set-amount", ApiFactory.Json(new JsonObject { ["amount"] = 3 }));
        Assert.Equal(HttpStatusCode.NotFound, fire.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, fireMissing.StatusCode);
    }

    /// <summary>
    /// A letter is addressed to the submitting authority: a participating authority reads it (HTML, PDF, the letter
    /// screen and its PDF) without writing anything (no <c>letter.opened</c> in the owner's journal, which would mark
    /// the letter read on the owner's portal), while the owner's first reading is recorded once.
    /// </summary>
    [Fact]
    public async Task A_participant_reading_the_owners_letters_writes_nothing_and_the_owners_reading_is_recorded()
    {
        var directory = api.Services.GetRequiredService<UserDirectory>();
        async Task<HttpClient> FreshUserAsync(string authority)
        {
            // A user of its own: its first reading, whichever cells of the matrix ran before.
            var user = await directory.CreateUserAsync("Reader " + authority, $"{Guid.NewGuid():N}@test.invalid", "municipality", authority);
            var client = api.As(null);
            client.DefaultRequestHeaders.Add(SubsidyEngine.Api.Auth.SubsidyAuth.ApiKeyHeader, (await directory.CreateKeyAsync(user.Id, "tests")).Secret);
            return client;
        }

        var letter = $"/dossiers/{api.GenkApplication}/letters/{api.GenkLetter}";
        string[] paths = [$"/api{letter}/html", $"/api{letter}/pdf", letter, letter + "?handler=Pdf"];
        using (var participant = await FreshUserAsync(MatrixFactory.Turnhout))
        {
            var before = await api.FingerprintAsync();
            foreach (var path in paths)
            {
                Assert.Equal(HttpStatusCode.OK, (await participant.GetAsync(path)).StatusCode);
            }

            Assert.True(before == await api.FingerprintAsync(), "a participant reading the owner's letter changed the database");
        }

        var opened = $"SELECT count(*) FROM journal WHERE dossier_id = '{api.GenkApplication}' AND kind = 'letter.opened' AND arguments::jsonb ->> 'notice' = '{api.GenkLetter}'";
        var earlier = await api.ScalarAsync(opened);
        using var owner = await FreshUserAsync(ApiFactory.Genk);
        foreach (var path in paths)
        {
            Assert.Equal(HttpStatusCode.OK, (await owner.GetAsync(path)).StatusCode);
        }

        Assert.Equal(earlier + 1, await api.ScalarAsync(opened));
    }

    [Fact]
    public async Task A_municipality_cannot_create_a_dossier_owned_by_another_authority_nor_forge_its_role()
    {
        using var gent = api.As("gent");
        var before = await api.FingerprintAsync();
        var foreignOwner = await gent.PostAsync("/api/dossiers", ApiFactory.Json(new JsonObject { ["workflow"] = "test/abc", ["data"] = new JsonObject { ["owner"] = ApiFactory.Genk } }));
        Assert.Equal(HttpStatusCode.Forbidden, foreignOwner.StatusCode);
        var forged = await gent.PostAsync("/api/dossiers", ApiFactory.Json("""{"workflow":"test/abc","data":{},"role":"officer","authorityId":"71016"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Equal(before, await api.FingerprintAsync());
    }

    [Fact]
    public async Task A_garbage_or_malformed_key_is_401_and_bearer_and_header_keys_both_work()
    {
        using var bearer = api.As("officer", bearer: true);
        Assert.Equal(HttpStatusCode.OK, (await bearer.GetAsync("/api/me")).StatusCode);
        foreach (var bad in new[] { "sek_" + new string('A', 43), "not-a-key", "Bearer", "sek_../../etc/passwd" })
        {
            using var client = api.As(null);
            client.DefaultRequestHeaders.TryAddWithoutValidation("X-Api-Key", bad);
            var r = await client.GetAsync("/api/dossiers");
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
            Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        }

        using var mismatch = api.As("officer");
        mismatch.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + api.Keys["admin"]);
        Assert.Equal(HttpStatusCode.Unauthorized, (await mismatch.GetAsync("/api/users")).StatusCode);
    }
}
