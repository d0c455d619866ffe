using System.Net;

namespace SubsidyEngine.Api.Tests;

/// <summary>
/// Issue 18, the web front: every answer (page, API, document, error, sign-in redirect) carries a script policy
/// without inline scripts, no framing by other sites, nosniff, a referrer policy and a permissions policy; a letter
/// keeps its own sandbox policy and may be framed by the service's own page only.
/// </summary>
public sealed class SecurityHeaderTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    public static TheoryData<string, string?> Answers => new()
    {
        { "/api/me", "officer" },
        { "/api/dossiers", "genk" },
        { "/api/dossiers/00000000-0000-0000-0000-000000000000", "genk" },
        { "/api/me", null },
        { "/openapi/v1.json", null },
        { "/health/live", null },
        { "/board", "officer" },
        { "/portal", "genk" },
        { "/board", null },
        { "/does-not-exist", null },
        { "/css/site.css", null },
        { "/js/application.js", "genk" },
        { "/scalar/", null },
        { "/hangfire", "admin" },
    };

    [Theory]
    [MemberData(nameof(Answers))]
    public async Task Every_answer_carries_the_security_headers(string path, string? persona)
    {
        using var client = api.As(persona);
        var response = await client.GetAsync(path);

        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        var script = csp.Split(';').Select(d => d.Trim()).Single(d => d.StartsWith("script-src ", StringComparison.Ordinal));
        Assert.DoesNotContain("unsafe-inline", script, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("object-src 'none'", csp, StringComparison.Ordinal);
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("strict-origin-when-cross-origin", response.Headers.GetValues("Referrer-Policy").Single());
        Assert.Contains("camera=()", response.Headers.GetValues("Permissions-Policy").Single(), StringComparison.Ordinal);
        Assert.False(response.Headers.Contains("Server"));
        Assert.False(response.Headers.Contains("Strict-Transport-Security")); // plain http: no HSTS
    }

    [Fact]
    public async Task A_bad_request_answer_carries_them_too()
    {
        using var client = api.As("officer");
        var dossier = await api.CreateAbcAsync(ApiFactory.Genk);
        var response = await client.PostAsync($"/api/dossiers/{dossier}/transitions/go", ApiFactory.Json("{\"count\":\"x\"}"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("script-src 'self'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());

        // A method the route does not take (405) and a body of the wrong media type (415).
        foreach (var (refused, status) in new[]
                 {
                     (new HttpRequestMessage(HttpMethod.Delete, "/api/dossiers"), HttpStatusCode.MethodNotAllowed),
                     (new HttpRequestMessage(HttpMethod.Post, "/api/dossiers") { Content = new StringContent("x", System.Text.Encoding.UTF8, "text/plain") }, HttpStatusCode.UnsupportedMediaType),
                 })
        {
            using var answer = await client.SendAsync(refused);
            Assert.Equal(status, answer.StatusCode);
            Assert.DoesNotContain("unsafe-inline", answer.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
            Assert.Equal("DENY", answer.Headers.GetValues("X-Frame-Options").Single());
            Assert.Equal("nosniff", answer.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.True(answer.Headers.Contains("Referrer-Policy") && answer.Headers.Contains("Permissions-Policy"));
            refused.Dispose();
        }
    }
}
