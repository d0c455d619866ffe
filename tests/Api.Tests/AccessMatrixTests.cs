using System.Net;
using System.Text.Json.Nodes;
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

    protected override bool WithProgrammes => true;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        GenkDossier = await CreateAbcAsync(Genk, title: "Genk eigen");
        SharedDossier = await CreateAbcAsync(Antwerpen, participants: [Genk], title: "Antwerpen gedeeld");
        Target = (await Services.GetRequiredService<UserDirectory>().CreateUserAsync("Key holder", "holder@test.invalid", "officer", null)).Id;
        await ProgrammeScenario.OpenCallAsync(this);
        GenkApplication = await ProgrammeScenario.StartAsync(this, "genk", ProgrammeScenario.GenkApplication());
        await ProgrammeScenario.FireAsync(this, GenkApplication, "submit", "genk");
        GenkLetter = (await Services.GetRequiredService<DossierQueries>().NoticesAsync(new AccessScope("test", "officer", null), GenkApplication))!.Single().Id;
        await Services.GetRequiredService<SubsidyEngine.Engine.Notices.NoticeDispatcher>().PrerenderAsync();
    }
}

/// <summary>
/// Every role against every endpoint, with the exact status: officer, municipality on its own dossier (genk),
/// municipality on a foreign dossier (antwerpen), auditor, admin, anonymous. And no leaks of foreign dossiers.
/// </summary>
public sealed class AccessMatrixTests(MatrixFactory api) : IClassFixture<MatrixFactory>
{
    public static readonly string[] Personas = ["officer", "genk", "antwerpen", "auditor", "admin", "anonymous"];

    /// <summary>Endpoint -> expected status per persona, in the order of <see cref="Personas"/>.</summary>
    private static readonly Dictionary<string, int[]> Expected = new()
    {
        ["GET /api/dossiers"] = [200, 200, 200, 200, 200, 401],
        ["GET /api/dossiers/{id}"] = [200, 200, 404, 200, 200, 401],
        ["POST /api/dossiers"] = [201, 201, 403, 403, 201, 401],
        ["POST /api/dossiers/{id}/transitions/set-amount"] = [200, 200, 404, 403, 200, 401],
        ["POST /api/dossiers/{id}/transitions/go (officer-only trigger, guard fails)"] = [409, 403, 404, 403, 409, 401],
        ["GET /api/dossiers/{id}/transitions"] = [200, 200, 404, 200, 200, 401],
        ["GET /api/dossiers/{id}/journal"] = [200, 200, 404, 200, 200, 401],
        ["GET /api/dossiers/{id}/replay"] = [200, 403, 403, 200, 200, 401],
        ["GET /api/dossiers/{id}/deadlines"] = [200, 200, 404, 200, 200, 401],
        ["GET /api/dossiers/{id}/notices"] = [200, 200, 404, 200, 200, 401],
        ["GET /api/workflows"] = [200, 200, 200, 200, 200, 401],
        ["GET /api/workflows/test/abc"] = [200, 200, 200, 200, 200, 401],
        ["GET /api/migrations"] = [200, 403, 403, 200, 200, 401],
        ["POST /api/migrations/{id}/dry-run"] = [200, 403, 403, 403, 200, 401],
        ["POST /api/migrations/{id}/apply"] = [403, 403, 403, 403, 200, 401],
        ["POST /api/audit/replay"] = [403, 403, 403, 200, 200, 401],
        ["GET /api/users"] = [403, 403, 403, 403, 200, 401],
        ["POST /api/users"] = [403, 403, 403, 403, 201, 401],
        ["GET /api/users/{id}/keys"] = [403, 403, 403, 403, 200, 401],
        ["POST /api/users/{id}/keys"] = [403, 403, 403, 403, 201, 401],
        ["DELETE /api/users/{id}/keys/{keyId}"] = [403, 403, 403, 403, 204, 401],
        ["GET /api/me"] = [200, 200, 200, 200, 200, 401],
        ["GET /api/programmes"] = [200, 200, 200, 200, 200, 401],
        ["GET /api/programmes/{id}"] = [200, 200, 200, 200, 200, 401],
        ["GET /api/programmes/{id}/calls"] = [200, 200, 200, 200, 200, 401],
        ["GET /api/programmes/{id}/calls/{call}"] = [200, 200, 200, 200, 200, 401],
        ["POST /api/programmes/{id}/calls/{call}/open (already open)"] = [409, 403, 403, 403, 409, 401],
        ["POST /api/programmes/{id}/calls/{call}/allocation/preview"] = [200, 403, 403, 403, 200, 401],
        ["POST /api/programmes/{id}/calls/{call}/allocation/confirm (call still open)"] = [409, 403, 403, 403, 409, 401],
        ["POST /api/programmes/{id}/calls/{call}/award (nothing allocated)"] = [200, 403, 403, 403, 200, 401],
        ["GET /api/authorities"] = [200, 200, 200, 200, 200, 401],
        ["GET /api/authorities/{Genk} (Antwerpen shares a dossier with Genk)"] = [200, 200, 200, 200, 200, 401],
        ["GET /api/authorities/{Gent} (no shared dossier)"] = [200, 404, 404, 200, 200, 401],
        ["GET /api/dossiers/{id}/application"] = [200, 200, 404, 200, 200, 401],
        ["GET /api/dossiers/{id}/reports"] = [200, 200, 404, 200, 200, 401],
        ["GET /api/dossiers/{id}/letters"] = [200, 200, 404, 200, 200, 401],
        ["GET /api/dossiers/{id}/letters/{noticeId}/html"] = [200, 200, 404, 200, 200, 401],
        ["GET /api/dossiers/{id}/letters/{noticeId}/pdf"] = [200, 200, 404, 200, 200, 401],
        ["GET /api/exports/dossiers.csv"] = [200, 200, 200, 200, 200, 401],
        ["GET /api/exports/payments.xlsx"] = [200, 200, 200, 200, 200, 401],
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
            "POST /api/programmes/{id}/calls/{call}/open (already open)" => new(HttpMethod.Post, "/api/programmes/plan-samenleven/calls/2023/open"),
            "POST /api/programmes/{id}/calls/{call}/allocation/preview" => new(HttpMethod.Post, "/api/programmes/plan-samenleven/calls/2023/allocation/preview"),
            "POST /api/programmes/{id}/calls/{call}/allocation/confirm (call still open)" => new(HttpMethod.Post, "/api/programmes/plan-samenleven/calls/2023/allocation/confirm"),
            "POST /api/programmes/{id}/calls/{call}/award (nothing allocated)" => new(HttpMethod.Post, "/api/programmes/plan-samenleven/calls/2023/award"),
            "GET /api/authorities" => new(HttpMethod.Get, "/api/authorities"),
            "GET /api/authorities/{Genk} (Antwerpen shares a dossier with Genk)" => new(HttpMethod.Get, $"/api/authorities/{ApiFactory.Genk}"),
            "GET /api/authorities/{Gent} (no shared dossier)" => new(HttpMethod.Get, $"/api/authorities/{ApiFactory.Gent}"),
            "GET /api/dossiers/{id}/application" => new(HttpMethod.Get, $"/api/dossiers/{api.GenkApplication}/application"),
            "GET /api/dossiers/{id}/reports" => new(HttpMethod.Get, $"/api/dossiers/{api.GenkApplication}/reports"),
            "GET /api/dossiers/{id}/letters" => new(HttpMethod.Get, $"/api/dossiers/{api.GenkApplication}/letters"),
            "GET /api/dossiers/{id}/letters/{noticeId}/html" => new(HttpMethod.Get, $"/api/dossiers/{api.GenkApplication}/letters/{api.GenkLetter}/html"),
            "GET /api/dossiers/{id}/letters/{noticeId}/pdf" => new(HttpMethod.Get, $"/api/dossiers/{api.GenkApplication}/letters/{api.GenkLetter}/pdf"),
            "GET /api/exports/dossiers.csv" => new(HttpMethod.Get, "/api/exports/dossiers.csv"),
            "GET /api/exports/payments.xlsx" => new(HttpMethod.Get, "/api/exports/payments.xlsx"),
            _ => throw new ArgumentOutOfRangeException(nameof(endpoint), endpoint, null),
        };
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public async Task Each_role_gets_exactly_the_expected_status(string endpoint, string persona)
    {
        var expected = Expected[endpoint][Array.IndexOf(Personas, persona)];
        using var client = api.As(persona == "anonymous" ? null : persona);
        var response = await client.SendAsync(await RequestAsync(endpoint));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(expected == (int)response.StatusCode, $"{endpoint} as {persona}: expected {expected}, got {(int)response.StatusCode} {body}");
        if (expected >= 400)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
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
        Assert.Equal([ApiFactory.Antwerpen, ApiFactory.Genk], genkAuthorities["items"]!.AsArray().Select(a => a!["id"]!.GetValue<string>()).Order(StringComparer.Ordinal).ToArray());
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
