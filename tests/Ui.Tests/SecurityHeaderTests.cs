using Microsoft.Playwright;

namespace SubsidyEngine.Ui.Tests;

/// <summary>
/// Issue 18 on the real server (Kestrel, as deployed): no Server header; behind the configured proxy (127.0.0.1 is a
/// known proxy in <see cref="UiHost"/>) X-Forwarded-Proto https makes the request https, so HSTS is sent and cookies
/// are Secure; without the header (or from an unknown proxy) neither.
/// </summary>
public sealed class SecurityHeaderTests(UiHost host) : IClassFixture<UiHost>
{
    [Fact]
    public async Task Kestrel_sends_no_server_header_and_honours_the_known_proxy()
    {
        var playwright = await Playwright.CreateAsync();
        await using var request = await playwright.APIRequest.NewContextAsync(new APIRequestNewContextOptions { BaseURL = host.BaseUrl });

        var plain = await request.GetAsync("/dev/sign-in");
        Assert.Equal(200, plain.Status);
        Assert.False(plain.Headers.ContainsKey("server"));
        Assert.DoesNotContain("unsafe-inline", plain.Headers["content-security-policy"].Split(';').Single(d => d.Trim().StartsWith("script-src", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Equal("DENY", plain.Headers["x-frame-options"]);
        Assert.False(plain.Headers.ContainsKey("strict-transport-security"));
        Assert.DoesNotContain("secure", Cookie(plain), StringComparison.OrdinalIgnoreCase);

        await using var second = await playwright.APIRequest.NewContextAsync(new APIRequestNewContextOptions { BaseURL = host.BaseUrl }); // no cookie yet
        var proxied = await second.GetAsync("/dev/sign-in", new APIRequestContextOptions
        {
            Headers = new Dictionary<string, string> { ["X-Forwarded-Proto"] = "https", ["X-Forwarded-For"] = "203.0.113.9" },
        });
        Assert.Equal(200, proxied.Status);
        Assert.StartsWith("max-age=", proxied.Headers["strict-transport-security"], StringComparison.Ordinal);
        Assert.Contains("secure", Cookie(proxied), StringComparison.OrdinalIgnoreCase);
        playwright.Dispose();
    }

    private static string Cookie(IAPIResponse response) =>
        response.HeadersArray.Where(h => h.Name.Equals("set-cookie", StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).FirstOrDefault(v => v.StartsWith("subsidy.antiforgery=", StringComparison.Ordinal))
        ?? throw new InvalidOperationException("no antiforgery cookie on the sign-in page");
}
