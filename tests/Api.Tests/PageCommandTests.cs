using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SubsidyEngine.Engine.Runtime;

namespace SubsidyEngine.Api.Tests;

/// <summary>
/// Issue 21: the pages fire through the same command path as REST, with an idempotency key: every page form that
/// posts carries a server-generated key, so a double submit fires once and the second post shows the same outcome;
/// the key has one rule, checked alike at both entry points.
/// </summary>
public sealed partial class PageCommandTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    [GeneratedRegex("name=\"trigger\" value=\"go\">.*?name=\"idempotencyKey\" value=\"([0-9a-f]{32})\"", RegexOptions.Singleline)]
    private static partial Regex GoFormKey();

    [GeneratedRegex("name=\"idempotencyKey\" value=\"([0-9a-f]{32})\"")]
    private static partial Regex AnyFormKey();

    private async Task<(HttpStatusCode Status, string Html)> PostFormAsync(HttpClient client, string path, params (string Name, string Value)[] fields)
    {
        var (cookie, token) = await api.AntiforgeryOfAsync("officer");
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new FormUrlEncodedContent(fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value))),
        };
        request.Headers.Add("Cookie", cookie);
        request.Headers.Add(Auth.SubsidyAuth.AntiforgeryHeader, token);
        var response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>The dossier's creation and transitions (delivery records such as the letter's notice.sent come and go with the dispatcher).</summary>
    private Task<long> EventsAsync(Guid id, string? trigger = null) =>
        api.ScalarAsync($"SELECT count(*) FROM journal WHERE dossier_id = '{id:D}' AND kind IN ('created', 'transition')" + (trigger is null ? string.Empty : $" AND trigger = '{trigger}'"));

    private static string Alerts(string html) => Regex.Match(html, "<div class=\"msg err\" role=\"alert\">.*?</div>", RegexOptions.Singleline).Value;

    [Fact]
    public async Task A_page_form_posted_twice_fires_once_and_the_second_post_shows_the_same_outcome()
    {
        var id = await api.CreateAbcAsync(ApiFactory.Genk, amount: 5m);
        using var officer = api.As("officer");
        var page = await officer.GetStringAsync($"/dossiers/{id:D}");
        var key = GoFormKey().Match(page).Groups[1].Value;
        Assert.Matches("^[0-9a-f]{32}$", key);
        Assert.All(AnyFormKey().Matches(page).Select(m => m.Groups[1].Value).GroupBy(k => k), g => Assert.Single(g)); // a key per rendered form

        var before = await EventsAsync(id);
        var first = await PostFormAsync(officer, $"/dossiers/{id:D}?handler=Fire", ("trigger", "go"), ("idempotencyKey", key));
        var second = await PostFormAsync(officer, $"/dossiers/{id:D}?handler=Fire", ("trigger", "go"), ("idempotencyKey", key)); // back + resubmit, or a double click

        Assert.Equal(HttpStatusCode.OK, first.Status);
        Assert.Equal(HttpStatusCode.OK, second.Status);
        Assert.Equal(before + 1, await EventsAsync(id));
        Assert.Equal(1, await EventsAsync(id, "go"));
        foreach (var html in new[] { first.Html, second.Html })
        {
            Assert.Contains("go: Uitgevoerd", html, StringComparison.Ordinal);
            Assert.Equal(string.Empty, Alerts(html));
        }

        // The dossier moved on (B1, where go is not permitted): a new rendering of the form is a new request, refused.
        var again = await PostFormAsync(officer, $"/dossiers/{id:D}?handler=Fire", ("trigger", "go"), ("idempotencyKey", Guid.NewGuid().ToString("N")));
        Assert.Contains("Niet toegestaan", Alerts(again.Html), StringComparison.Ordinal);
        Assert.Equal(1, await EventsAsync(id, "go"));

        // The same form sent again with other values is refused in Dutch, and writes nothing.
        var changed = await PostFormAsync(officer, $"/dossiers/{id:D}?handler=Fire", ("trigger", "go"), ("p_note", "anders"), ("idempotencyKey", key));
        Assert.Contains("Dit formulier werd al verstuurd met andere gegevens", Alerts(changed.Html), StringComparison.Ordinal);
        Assert.Equal(before + 1, await EventsAsync(id));
    }

    [Fact]
    public async Task The_idempotency_key_has_one_length_rule_at_the_rest_endpoint_and_on_the_pages()
    {
        var id = await api.CreateAbcAsync(ApiFactory.Genk, amount: 5m);
        using var officer = api.As("officer");
        var longest = new string('k', IdempotencyKeys.MaxLength);
        var tooLong = longest + "k";
        var before = await EventsAsync(id);

        // REST: 400 naming the header; nothing written.
        using (var request = new HttpRequestMessage(HttpMethod.Post, $"/api/dossiers/{id:D}/transitions/set-amount") { Content = ApiFactory.Json(new JsonObject { ["amount"] = 6 }) })
        {
            request.Headers.Add(IdempotencyKeys.Name, tooLong);
            var refused = await officer.SendAsync(request);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            var problem = JsonNode.Parse(await refused.Content.ReadAsStringAsync())!;
            Assert.NotNull(problem["errors"]![IdempotencyKeys.Name]);
            Assert.Equal("idempotency-key", problem["problems"]![0]!["rule"]!.GetValue<string>());
        }

        // Page: the same rule, the Dutch reason on the page; nothing written.
        var page = await PostFormAsync(officer, $"/dossiers/{id:D}?handler=Fire", ("trigger", "set-amount"), ("p_amount", "7"), ("idempotencyKey", tooLong));
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Contains("De verzendsleutel moet 1 tot 100 zichtbare ASCII-tekens lang zijn.", Alerts(page.Html), StringComparison.Ordinal);
        Assert.Equal(before, await EventsAsync(id));

        // The longest key is accepted at both, and each fires once when repeated.
        for (var i = 0; i < 2; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/dossiers/{id:D}/transitions/set-amount") { Content = ApiFactory.Json(new JsonObject { ["amount"] = 6 }) };
            request.Headers.Add(IdempotencyKeys.Name, longest);
            Assert.Equal(HttpStatusCode.OK, (await officer.SendAsync(request)).StatusCode);
            var form = await PostFormAsync(officer, $"/dossiers/{id:D}?handler=Fire", ("trigger", "set-amount"), ("p_amount", "7"), ("idempotencyKey", "p" + longest[1..]));
            Assert.Equal(string.Empty, Alerts(form.Html));
        }

        Assert.Equal(2, await EventsAsync(id, "set-amount"));
        Assert.Equal(before + 2, await EventsAsync(id));
    }
}
