using System.Net;
using System.Text.Json.Nodes;

namespace SubsidyEngine.Api.Tests;

/// <summary>
/// Issue 17 through the REST API, as an integrator with an API key and as a municipality would try it: every fact
/// a decision depends on that the server knows comes from the server, every argument is checked against its
/// declared schema before anything is decided, guards judge the proposed data, and every refusal says what is wrong
/// in the programme's words. Each case also checks that a refused request changed nothing.
/// </summary>
public sealed class TrustBoundaryFactory : ApiFactory
{
    protected override bool WithProgrammes => true;

    // No background jobs: the deadline sweep fired the call's due window-opens timeout between the steps of a test
    // (an application on a call "in preparation" was then accepted), and the fingerprints compare before and after.
    protected override bool RunJobs => false;
}

public sealed class TrustBoundaryApiTests(TrustBoundaryFactory api) : IClassFixture<TrustBoundaryFactory>, IAsyncLifetime
{
    private const string Calls = "/api/programmes/plan-samenleven/calls";
    private Guid _call;

    public async Task InitializeAsync()
    {
        if (_call == Guid.Empty && await api.ScalarAsync("SELECT count(*) FROM dossier_unique WHERE key LIKE '%/call|%'") == 0)
        {
            _call = await ProgrammeScenario.OpenCallAsync(api);
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private static async Task<JsonNode> JsonAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"{(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }

    private static HttpContent Json(string json) => ApiFactory.Json(json);

    private async Task<Guid> StartAsync(HttpClient client, string body = "{}")
    {
        var started = await JsonAsync(await client.PostAsync($"{Calls}/2023/applications", Json(body)), HttpStatusCode.Created);
        return Guid.Parse(started["dossierId"]!.GetValue<string>());
    }

    /// <summary>Asserts a 400 naming <paramref name="path"/> (with a Dutch sentence) and that nothing was written.</summary>
    private async Task RefusedAsync(HttpClient client, string url, string body, string path)
    {
        var before = await api.FingerprintAsync();
        var problem = await JsonAsync(await client.PostAsync(url, Json(body)), HttpStatusCode.BadRequest);
        var paths = problem["errors"]!.AsObject().Select(kv => kv.Key).ToList();
        Assert.True(paths.Contains(path), $"expected {path} in {string.Join(", ", paths)} for {body}");
        var named = problem["problems"]!.AsArray().First(p => p!["path"]!.GetValue<string>() == path)!;
        Assert.False(string.IsNullOrWhiteSpace(named["nl"]!.GetValue<string>()));
        Assert.False(string.IsNullOrWhiteSpace(named["rule"]!.GetValue<string>()));
        Assert.Equal(before, await api.FingerprintAsync());
    }

    [Fact]
    public async Task Case1_the_call_is_the_servers_a_client_cannot_send_or_forge_it()
    {
        using var integrator = api.As("antwerpen");

        // The generic create cannot carry a call: the server copies it from the programme data.
        await RefusedAsync(integrator, "/api/dossiers",
            """{"workflow":"plan-samenleven/dossier","data":{"call":"2023","owner":"11002","deadline":"2099-01-01T00:00:00Z","budgetEur":1}}""", "$.data.deadline");
        await RefusedAsync(integrator, "/api/dossiers",
            """{"workflow":"plan-samenleven/dossier","data":{"call":{"id":"2023","deadline":"2099-01-01T00:00:00Z"},"owner":"11002"}}""", "$.data.call");

        // The REST operation to start an application for a call: the server's deadline, not the client's.
        var id = await StartAsync(integrator);
        var dossier = await JsonAsync(await integrator.GetAsync($"/api/dossiers/{id}"), HttpStatusCode.OK);
        Assert.Equal(DateTimeOffset.Parse("2023-07-10T12:00:00+02:00", System.Globalization.CultureInfo.InvariantCulture),
            DateTimeOffset.Parse(dossier["data"]!["call"]!["deadline"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("2023", dossier["data"]!["call"]!["id"]!.GetValue<string>());

        // Unknown calls and programmes are 404 before anything is stored; a second application for the call is 409 with the first.
        var before = await api.FingerprintAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await integrator.PostAsync($"{Calls}/9999/applications", Json("{}"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await integrator.PostAsync("/api/programmes/nope/calls/2023/applications", Json("{}"))).StatusCode);
        var again = await JsonAsync(await integrator.PostAsync($"{Calls}/2023/applications", Json("{}")), HttpStatusCode.Conflict);
        Assert.Equal(id, Guid.Parse(again["dossierId"]!.GetValue<string>()));
        // A municipality applies for itself only; an auditor changes nothing.
        Assert.Equal(HttpStatusCode.Forbidden, (await integrator.PostAsync($"{Calls}/2023/applications", Json("""{"owner":"71016"}"""))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await api.As("auditor").PostAsync($"{Calls}/2023/applications", Json("""{"owner":"71016"}"""))).StatusCode);
        Assert.Equal(before, await api.FingerprintAsync());

        // Every read on the new dossier answers (no 500 on a server-made dossier).
        Assert.Equal(HttpStatusCode.OK, (await integrator.GetAsync($"/api/dossiers/{id}/transitions")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await integrator.GetAsync($"/api/dossiers/{id}/application")).StatusCode);
    }

    [Fact]
    public async Task Case2_guards_judge_the_proposed_table_and_a_bad_table_never_locks_the_applicant_out()
    {
        using var gent = api.As("gent");
        var id = await GentsApplicationAsync(gent);
        var url = $"/api/dossiers/{id}/transitions/save-draft";
        static string Table(string rows) => "{\"application\":{\"rows\":[" + rows + "]}}";

        await RefusedAsync(gent, url, Table("""{"action":"2.1","plannedAdditionalReach":-5,"priority":1,"localContributionEur":0}"""), "$.application.rows[0].plannedAdditionalReach");
        await RefusedAsync(gent, url, Table("""{"action":"2.1","plannedAdditionalReach":"500","priority":1}"""), "$.application.rows[0].plannedAdditionalReach");
        await RefusedAsync(gent, url, Table("""{"action":"2.1","plannedAdditionalReach":10.5,"priority":1}"""), "$.application.rows[0].plannedAdditionalReach");
        await RefusedAsync(gent, url, Table("""{"action":"2.1","plannedAdditionalReach":5,"priority":1,"localContributionEur":600.001}"""), "$.application.rows[0].localContributionEur");
        await RefusedAsync(gent, url, Table("""{"action":9.9,"plannedAdditionalReach":5,"priority":1}"""), "$.application.rows[0].action");
        await RefusedAsync(gent, url,
            Table("""{"action":"2.1","plannedAdditionalReach":5,"priority":1},{"action":"5.4","plannedAdditionalReach":5,"priority":1}"""), "$.application.rows[1].priority");

        // An action outside the call's catalogue is judged on the proposed table: 409 naming it, nothing written.
        var before = await api.FingerprintAsync();
        var unknown = await JsonAsync(await gent.PostAsync(url, Json(Table("""{"action":"9.9","plannedAdditionalReach":5,"priority":1}"""))), HttpStatusCode.Conflict);
        Assert.Contains("9.9", unknown.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(before, await api.FingerprintAsync());
        // The refusal names the field, as a 400 does, and says nothing untrue about the other steps: they are judged
        // without the facts the server reads for them (the call), so they are not listed as blocked for that.
        Assert.Contains("$.application.rows[0].action", unknown["errors"]!.AsObject().Select(kv => kv.Key));
        var reasons = unknown["blocked"]!.AsArray().SelectMany(b => b!["reasons"]!.AsArray()).ToList();
        Assert.Contains(reasons, r => r!["code"]!.GetValue<string>() == "row.unknown-action" && r["field"]!.GetValue<string>() == "$.application.rows[0].action");
        Assert.DoesNotContain(reasons, r => r!["code"]!.GetValue<string>() == "call.unknown");
        // A draft may have gaps in its priorities; submit refuses them and names the row's field.
        await JsonAsync(await gent.PostAsync(url, Json(Table(
            """{"action":"2.1","plannedAdditionalReach":5,"priority":1,"localContributionEur":300},{"action":"5.4","plannedAdditionalReach":5,"priority":3,"localContributionEur":0}"""))), HttpStatusCode.OK);
        var priorities = await JsonAsync(await gent.PostAsync($"/api/dossiers/{id}/transitions/submit", Json("{}")), HttpStatusCode.Conflict);
        Assert.Contains("$.application.rows[1].priority", priorities["errors"]!.AsObject().Select(kv => kv.Key));

        // 1,000 units of 2.1 without co-financing: saved as a draft, refused at submit with the co-financing reason.
        await JsonAsync(await gent.PostAsync(url, Json(Table("""{"action":"2.1","plannedAdditionalReach":1000,"priority":1,"localContributionEur":0}"""))), HttpStatusCode.OK);
        var refused = await JsonAsync(await gent.PostAsync($"/api/dossiers/{id}/transitions/submit", Json("{}")), HttpStatusCode.Conflict);
        Assert.Contains("cofinancing", refused["blocked"]!.ToJsonString().Replace("-", string.Empty, StringComparison.Ordinal).ToLowerInvariant(), StringComparison.Ordinal);

        // The next valid correction is accepted (the stored table does not lock the applicant out), and submit works.
        await JsonAsync(await gent.PostAsync(url, Json(Table("""{"action":"2.1","plannedAdditionalReach":1000,"priority":1,"localContributionEur":60000}"""))), HttpStatusCode.OK);
        var submitted = await JsonAsync(await gent.PostAsync($"/api/dossiers/{id}/transitions/submit", Json("{}")), HttpStatusCode.OK);
        Assert.Equal("submitted", submitted["to"]!.GetValue<string>());
    }

    [Fact]
    public async Task Case3_and_4_derived_rights_and_cross_dossier_facts_are_never_arguments()
    {
        using var genk = api.As("genk");
        using var officer = api.As("officer");
        var id = await StartAsync(genk);
        await RefusedAsync(genk, $"/api/dossiers/{id}/transitions/save-draft",
            """{"application":{"cooperationBonus":true,"rows":[{"action":"2.1","plannedAdditionalReach":500,"priority":1,"localContributionEur":30000}]}}""",
            "$.application.cooperationBonus");
        await JsonAsync(await genk.PostAsync($"/api/dossiers/{id}/transitions/save-draft",
            Json("""{"application":{"rows":[{"action":"2.1","plannedAdditionalReach":500,"priority":1,"localContributionEur":30000}]}}""")), HttpStatusCode.OK);
        await JsonAsync(await genk.PostAsync($"/api/dossiers/{id}/transitions/submit", Json("{}")), HttpStatusCode.OK);

        // The other applications of the call are the server's: stating them is refused.
        await RefusedAsync(officer, $"/api/dossiers/{id}/transitions/declare-eligible", """{"otherApplications":[]}""", "$.otherApplications");
        await RefusedAsync(officer, $"/api/dossiers/{id}/transitions/declare-eligible", """{"previousSubmitters":[{"junk":true}]}""", "$.previousSubmitters");
        await JsonAsync(await officer.PostAsync($"/api/dossiers/{id}/transitions/declare-eligible", Json("""{"comment":"ok"}""")), HttpStatusCode.OK);

        // Applying alone: no cooperation bonus, in the eligibility result and in the amounts.
        var dossier = await JsonAsync(await officer.GetAsync($"/api/dossiers/{id}"), HttpStatusCode.OK);
        Assert.False(dossier["data"]!["eligibility"]!["cooperationBonus"]!.GetValue<bool>());
        var journal = await JsonAsync(await api.As("auditor").GetAsync($"/api/dossiers/{id}/journal"), HttpStatusCode.OK);
        var eligible = journal.AsArray().Last(e => e!["trigger"]?.GetValue<string>() == "declare-eligible")!;
        Assert.Equal("sej2", eligible["format"]!.GetValue<string>());
        // The server-derived facts, journaled apart from the arguments (exact stored text, as hashed).
        Assert.NotNull(JsonNode.Parse(eligible["inputs"]!.GetValue<string>())!["otherApplications"]);
        Assert.Equal("{\"comment\":\"ok\"}", eligible["arguments"]!.GetValue<string>());

        // The allocation amounts are computed, not sent.
        await RefusedAsync(officer, $"/api/dossiers/{id}/transitions/allocate", """{"amounts":{"requestedTotalEur":1000000}}""", "$.amounts");
    }

    [Fact]
    public async Task Case5_nested_members_are_validated_to_the_leaf()
    {
        using var antwerpen = api.As("antwerpen");
        await RefusedAsync(antwerpen, $"{Calls}/2023/applications", """{"contact":{"name":"Ann\r\nBcc: x@evil.test","email":"ann@antwerpen.test"}}""", "$.contact.name");
        await RefusedAsync(antwerpen, $"{Calls}/2023/applications", """{"contact":{"name":"Ann","email":"a@x, victim@y"}}""", "$.contact.email");
        await RefusedAsync(antwerpen, $"{Calls}/2023/applications", """{"contact":{"name":"Ann\u001b[31m","email":"ann@antwerpen.test"}}""", "$.contact.name");
        await RefusedAsync(antwerpen, $"{Calls}/2023/applications", """{"contact":{"name":"Ann\u202e","email":"ann@antwerpen.test"}}""", "$.contact.name");
        await RefusedAsync(antwerpen, $"{Calls}/2023/applications", """{"participants":[5,null,{}]}""", "$.participants[0]");
        await RefusedAsync(antwerpen, $"{Calls}/2023/applications", """{"participants":["99999"]}""", "$.participants[0]");

        // An officer starts (and fills in) the application of an authority without an account here.
        using var gent = api.As("officer");
        var id = await StartAsync(gent, """{"owner":"11005"}""");
        var url = $"/api/dossiers/{id}/transitions/save-draft";
        await RefusedAsync(gent, url, """{"application":{"rows":[1]}}""", "$.application.rows[0]");
        await RefusedAsync(gent, url, """{"application":{"rows":[],"otherBonuses":[1,{}]}}""", "$.application.otherBonuses[0]");
        await RefusedAsync(gent, url, """{"application":{"rows":[{"action":"2.1","plannedAdditionalReach":1e400,"priority":1}]}}""", "$.application.rows[0].plannedAdditionalReach");
        await RefusedAsync(gent, url, """{"application":{"rows":[{"action":"2.1","plannedAdditionalReach":5,"priority":1,"localContributionEur":"NaN"}]}}""", "$.application.rows[0].localContributionEur");
        await RefusedAsync(gent, url, """{"application":{"rows":[{"action":"2.1","plannedAdditionalReach":5,"priority":1,"localContributionEur":-1e9}]}}""", "$.application.rows[0].localContributionEur");
        Assert.Equal(HttpStatusCode.OK, (await gent.GetAsync($"/api/dossiers/{id}/application")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await gent.GetAsync($"/api/dossiers/{id}/transitions")).StatusCode);
    }

    private async Task<Guid> GentsApplicationAsync(HttpClient gent)
    {
        var response = await gent.PostAsync($"{Calls}/2023/applications", Json("{}"));
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return Guid.Parse(body["dossierId"]!.GetValue<string>()); // 201, or 409 naming the existing application
    }

    [Fact]
    public async Task Case7_refusals_speak_the_programme_not_the_engine()
    {
        using var gent = api.As("gent");
        var id = await GentsApplicationAsync(gent);
        var problem = await JsonAsync(await gent.PostAsync($"/api/dossiers/{id}/transitions/submit", Json("{}")), HttpStatusCode.Conflict);
        var text = problem.ToJsonString();
        Assert.DoesNotContain("data.", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Condition not met", text, StringComparison.Ordinal);
        Assert.DoesNotContain("now <=", text, StringComparison.Ordinal);
        Assert.All(problem["blocked"]!.AsArray().SelectMany(b => b!["reasons"]!.AsArray()), r => Assert.False(string.IsNullOrWhiteSpace(r!["nl"]!.GetValue<string>())));
    }
}
