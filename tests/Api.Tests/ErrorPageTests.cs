using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace SubsidyEngine.Api.Tests;

/// <summary>
/// Issue 20: a browser asking for a page (Accept text/html, outside /api) gets the designed error page with the real
/// status; /api and every client that does not ask for HTML keep the problem details exactly as before.
/// </summary>
public sealed class ErrorPageTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private const string BrowserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

    private static HttpRequestMessage Get(string path, bool browser, string? lang = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (browser)
        {
            request.Headers.Accept.ParseAdd(BrowserAccept);
        }

        if (lang is not null)
        {
            request.Headers.Add("Cookie", "lang=" + lang);
        }

        return request;
    }

    private static async Task<string> DesignedPageAsync(HttpResponseMessage response, HttpStatusCode status, string heading)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains($"<h1 id=\"h-error\">{heading}</h1>", body, StringComparison.Ordinal);
        Assert.Contains("<link rel=\"stylesheet\" href=\"/css/site.css\">", body, StringComparison.Ordinal); // the site's layout
        Assert.Contains("id=\"error-back\"", body, StringComparison.Ordinal);
        foreach (var leak in new[] { "Exception", "   at ", "traceId", "\"status\"", "not visible to you" })
        {
            Assert.DoesNotContain(leak, body, StringComparison.Ordinal);
        }

        return body;
    }

    private static async Task ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains($"\"status\":{(int)status}", body, StringComparison.Ordinal);
        Assert.Contains("\"traceId\"", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_page_is_the_designed_404_in_Dutch_and_in_English_with_the_real_status()
    {
        using var genk = api.As("genk");
        var nl = await DesignedPageAsync(await genk.SendAsync(Get($"/dossiers/{Guid.NewGuid():D}", browser: true)), HttpStatusCode.NotFound, "Pagina niet gevonden");
        Assert.Contains("<html lang=\"nl-BE\">", nl, StringComparison.Ordinal);
        Assert.Contains("href=\"/portal\"", nl, StringComparison.Ordinal); // home of a municipality
        var en = await DesignedPageAsync(await genk.SendAsync(Get("/no-such-page", browser: true, lang: "en")), HttpStatusCode.NotFound, "Page not found");
        Assert.Contains("<html lang=\"en\">", en, StringComparison.Ordinal);

        using var officer = api.As("officer");
        var board = await DesignedPageAsync(await officer.SendAsync(Get("/no-such-page", browser: true)), HttpStatusCode.NotFound, "Pagina niet gevonden");
        Assert.Contains("href=\"/board\"", board, StringComparison.Ordinal);

        using var anonymous = api.As(null);
        await DesignedPageAsync(await anonymous.SendAsync(Get("/no-such-page", browser: true)), HttpStatusCode.NotFound, "Pagina niet gevonden");
    }

    [Fact]
    public async Task A_page_the_role_may_not_open_is_the_designed_403()
    {
        using var genk = api.As("genk");
        await DesignedPageAsync(await genk.SendAsync(Get("/audit/as-of", browser: true)), HttpStatusCode.Forbidden, "Geen toegang");
        await DesignedPageAsync(await genk.SendAsync(Get("/audit/as-of", browser: true, lang: "en")), HttpStatusCode.Forbidden, "No access");
    }

    [Fact]
    public async Task A_malformed_page_post_from_a_browser_is_a_designed_4xx_page()
    {
        using var officer = api.As("officer");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/notices?handler=Extend") { Content = new StringContent("{}", Encoding.UTF8, "application/json") };
        request.Headers.Accept.ParseAdd(BrowserAccept);
        await DesignedPageAsync(await officer.SendAsync(request), HttpStatusCode.UnsupportedMediaType, "Deze aanvraag kon niet worden gelezen");

        using var tooLong = new HttpRequestMessage(HttpMethod.Post, "/notices?handler=Extend")
        {
            Content = new FormUrlEncodedContent([new("reason", new string('r', 20_000))]),
        };
        tooLong.Headers.Accept.ParseAdd(BrowserAccept);
        await DesignedPageAsync(await officer.SendAsync(tooLong), HttpStatusCode.BadRequest, "Deze aanvraag kon niet worden gelezen");
    }

    [Fact]
    public async Task The_api_and_clients_that_do_not_ask_for_html_keep_problem_details()
    {
        using var genk = api.As("genk");
        // /api even when the client accepts HTML.
        await ProblemAsync(await genk.SendAsync(Get($"/api/dossiers/{Guid.NewGuid():D}", browser: true)), HttpStatusCode.NotFound);
        await ProblemAsync(await genk.SendAsync(Get($"/api/dossiers/{Guid.NewGuid():D}", browser: false)), HttpStatusCode.NotFound);
        // Pages for a client that does not ask for HTML: as before.
        await ProblemAsync(await genk.SendAsync(Get($"/dossiers/{Guid.NewGuid():D}", browser: false)), HttpStatusCode.NotFound);
        await ProblemAsync(await genk.SendAsync(Get("/audit/as-of", browser: false)), HttpStatusCode.Forbidden);
        using var json = Get("/no-such-page", browser: false);
        json.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        await ProblemAsync(await genk.SendAsync(json), HttpStatusCode.NotFound);
    }
}
