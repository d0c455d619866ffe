using System.Net;
using System.Text.Json.Nodes;

namespace SubsidyEngine.Api.Tests;

/// <summary>
/// Issue 17, re-checked as an integrator would attack it (issue-17a): what the first round of tests did not try.
/// Each refusal is a 400 naming the JSON path with a Dutch sentence, and nothing is written.
/// </summary>
public sealed class TrustBoundaryRecheckTests(TrustBoundaryFactory api) : IClassFixture<TrustBoundaryFactory>, IAsyncLifetime
{
    private const string Calls = "/api/programmes/plan-samenleven/calls";

    public async Task InitializeAsync()
    {
        if (await api.ScalarAsync("SELECT count(*) FROM dossier_unique WHERE key LIKE '%/call|%'") == 0)
        {
            await ProgrammeScenario.OpenCallAsync(api);
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private static async Task<JsonNode> JsonAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"{(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }

    /// <summary>Asserts a 400 naming <paramref name="path"/> with its rule and a Dutch sentence, and that nothing was written.</summary>
    private async Task<JsonNode> RefusedAsync(HttpClient client, string url, string body, string path)
    {
        var before = await api.FingerprintAsync();
        var problem = await JsonAsync(await client.PostAsync(url, ApiFactory.Json(body)), HttpStatusCode.BadRequest);
        var paths = problem["errors"]!.AsObject().Select(kv => kv.Key).ToList();
        Assert.True(paths.Contains(path), $"expected {path} in {string.Join(", ", paths)} for {body}");
        var named = problem["problems"]!.AsArray().First(p => p!["path"]!.GetValue<string>() == path)!;
        Assert.False(string.IsNullOrWhiteSpace(named["nl"]!.GetValue<string>()));
        Assert.False(string.IsNullOrWhiteSpace(named["rule"]!.GetValue<string>()));
        Assert.Equal(before, await api.FingerprintAsync());
        return named;
    }

    [Fact]
    public async Task A_one_line_member_refuses_the_unicode_line_and_paragraph_separators()
    {
        // U+2028 and U+2029 are line breaks (Unicode categories Zl, Zp), not control characters: a contact name
        // holding one was stored with 201 and printed on two lines in the letters' address block.
        using var antwerpen = api.As("antwerpen");
        var named = await RefusedAsync(antwerpen, $"{Calls}/2023/applications",
            """{"contact":{"name":"Ann\u2028Bcc: x@evil.test","email":"ann@antwerpen.test"}}""", "$.contact.name");
        Assert.Contains("regel", named["nl"]!.GetValue<string>(), StringComparison.Ordinal);
        await RefusedAsync(antwerpen, $"{Calls}/2023/applications",
            """{"contact":{"name":"Ann","email":"ann@antwerpen.test","address":"Markt 1\u20292000 Antwerpen"}}""", "$.contact.address");

        // The OpenAPI document says the same: its pattern for a one-line member excludes them.
        var doc = JsonNode.Parse(await (await api.As(null).GetAsync("/openapi/v1.json")).Content.ReadAsStringAsync())!;
        var pattern = doc["components"]!["schemas"]!["creation.plan-samenleven.dossier.v4"]!["properties"]!["contact"]!["properties"]!["name"]!["pattern"]!.GetValue<string>();
        Assert.Contains(@"\u2028\u2029", pattern, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_deadline_the_request_sets_cannot_have_passed_already()
    {
        using var genk = api.As("genk");
        using var officer = api.As("officer");
        var started = await JsonAsync(await genk.PostAsync($"{Calls}/2023/applications", ApiFactory.Json("{}")), HttpStatusCode.Created);
        var id = Guid.Parse(started["dossierId"]!.GetValue<string>());
        await JsonAsync(await genk.PostAsync($"/api/dossiers/{id}/transitions/save-draft",
            ApiFactory.Json("""{"application":{"rows":[{"action":"2.1","plannedAdditionalReach":500,"priority":1,"localContributionEur":30000}]}}""")), HttpStatusCode.OK);
        await JsonAsync(await genk.PostAsync($"/api/dossiers/{id}/transitions/submit", ApiFactory.Json("{}")), HttpStatusCode.OK);

        // An information request answerable only in the past: the letter would ask for an answer by a date gone by,
        // and the deadline sweep would let the request lapse at once. The clock stands at 27 May 2023.
        var url = $"/api/dossiers/{id}/transitions/request-information";
        var named = await RefusedAsync(officer, url, """{"questions":"Welke partners?","deadline":"2023-05-26"}""", "$.deadline");
        Assert.Equal("deadline-passed", named["rule"]!.GetValue<string>());
        Assert.Contains("26 mei 2023", named["nl"]!.GetValue<string>(), StringComparison.Ordinal);
        await RefusedAsync(officer, url, """{"questions":"Welke partners?","deadline":"2000-01-01"}""", "$.deadline");

        // Today (until 23:59 in Brussels) and later dates are accepted.
        var fired = await JsonAsync(await officer.PostAsync(url, ApiFactory.Json("""{"questions":"Welke partners?","deadline":"2023-06-15"}""")), HttpStatusCode.OK);
        Assert.Equal("information-requested", fired["to"]!.GetValue<string>());
    }

    /// <summary>The client's application for call 2023: started now (201), or the one it already has (409 names it).</summary>
    private static async Task<Guid> ApplicationOfAsync(HttpClient client)
    {
        var response = await client.PostAsync($"{Calls}/2023/applications", ApiFactory.Json("{}"));
        return Guid.Parse(JsonNode.Parse(await response.Content.ReadAsStringAsync())!["dossierId"]!.GetValue<string>());
    }

    private async Task<(HttpStatusCode Status, string Html)> PostFormAsync(HttpClient client, string persona, string path, params (string Name, string Value)[] fields)
    {
        var (cookie, token) = await api.AntiforgeryOfAsync(persona);
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new FormUrlEncodedContent(fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value))),
        };
        request.Headers.Add("Cookie", cookie);
        request.Headers.Add(Auth.SubsidyAuth.AntiforgeryHeader, token);
        var response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_application_form_refuses_a_number_it_cannot_read_instead_of_saving_something_else()
    {
        // Posted directly (no browser number field): "4.5" units, "1e2", a reach too large for a whole number and
        // "NaN" euros were answered "Bewaard." while the row was dropped or its contribution stored as EUR 0.
        using var antwerpen = api.As("antwerpen");
        var id = await ApplicationOfAsync(antwerpen);
        var path = $"/dossiers/{id:D}?handler=Save";
        foreach (var (planned, local, named) in new[]
                 {
                     ("4.5", "270", "Gepland extra bereik"), ("1e2", "6000", "Gepland extra bereik"), ("99999999999", "0", "Gepland extra bereik"),
                     ("100", "NaN", "Eigen inbreng"), ("100", "1e3", "Eigen inbreng"),
                 })
        {
            var before = await api.FingerprintAsync();
            var (status, html) = await PostFormAsync(antwerpen, "antwerpen", path, ("trigger", "save-draft"), ("planned_2.1", planned), ("priority_2.1", "1"), ("local_2.1", local));
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.DoesNotContain("Bewaard.", html, StringComparison.Ordinal);
            Assert.Contains(named, System.Text.RegularExpressions.Regex.Match(html, "<div class=\"msg err\" role=\"alert\">.*?</div>", System.Text.RegularExpressions.RegexOptions.Singleline).Value, StringComparison.Ordinal);
            Assert.Equal(before, await api.FingerprintAsync());
        }

        var saved = await PostFormAsync(antwerpen, "antwerpen", path, ("trigger", "save-draft"), ("planned_2.1", "100"), ("priority_2.1", "1"), ("local_2.1", "6000"));
        Assert.Contains("Bewaard.", saved.Html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_page_post_without_a_handler_is_a_bad_request_not_a_server_error()
    {
        using var antwerpen = api.As("antwerpen");
        var id = await ApplicationOfAsync(antwerpen);
        var before = await api.FingerprintAsync();
        var (status, _) = await PostFormAsync(antwerpen, "antwerpen", $"/dossiers/{id:D}", ("trigger", "save-draft"), ("planned_2.1", "100"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(before, await api.FingerprintAsync());
    }
}
