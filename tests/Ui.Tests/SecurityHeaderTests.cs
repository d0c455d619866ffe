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

        // Every cookie the service sets over https is Secure, the language choice too.
        var language = await second.GetAsync("/lang?to=en&returnUrl=%2F", new APIRequestContextOptions
        {
            Headers = new Dictionary<string, string> { ["X-Forwarded-Proto"] = "https" },
            MaxRedirects = 0,
        });
        var lang = language.HeadersArray.Where(h => h.Name.Equals("set-cookie", StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).Single(v => v.StartsWith("lang=", StringComparison.Ordinal));
        Assert.Contains("secure", lang, StringComparison.OrdinalIgnoreCase);
        playwright.Dispose();
    }

    /// <summary>
    /// In the browser, no page is broken by the policy: not one "Content Security Policy" message in the console of
    /// the owner's portal, dossier and letter screen (the letter's own styles in its sandboxed frame), the officer's
    /// screens, the API reference and the admin's jobs dashboard.
    /// </summary>
    [Fact]
    public async Task No_page_logs_a_content_security_policy_violation()
    {
        var dossier = await host.InterimReportScenarioAsync();
        var letter = await host.GuidAsync("SELECT id FROM notice WHERE dossier_id = $1 AND kind = 'letter' ORDER BY created_at, id LIMIT 1", dossier);
        var visits = new (string User, string[] Paths)[]
        {
            ("Genk", ["/portal", $"/dossiers/{dossier:D}", $"/dossiers/{dossier:D}/letters/{letter:D}", "/workflows/plan-samenleven/dossier"]),
            ("Olivia Officer", ["/board", $"/dossiers/{dossier:D}", $"/calls/{host.CallDossierId:D}/dashboard", "/notices", "/reports", "/migrations", $"/audit/as-of?id={dossier:D}", "/does-not-exist"]),
            ("Adam Admin", ["/hangfire", "/hangfire/recurring", "/scalar/"]),
        };
        var violations = new List<string>();
        foreach (var (user, paths) in visits)
        {
            var (context, page) = await host.SignInAsync(user);
            await using var _ = context;
            var at = string.Empty;
            page.Console += (_, m) =>
            {
                if (m.Text.Contains("Content Security Policy", StringComparison.Ordinal))
                {
                    violations.Add($"{user} {at}: {m.Text}");
                }
            };
            foreach (var path in paths)
            {
                at = path;
                await page.GotoAsync(path);
                await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
            }
        }

        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }

    private static string Cookie(IAPIResponse response) =>
        response.HeadersArray.Where(h => h.Name.Equals("set-cookie", StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).FirstOrDefault(v => v.StartsWith("subsidy.antiforgery=", StringComparison.Ordinal))
        ?? throw new InvalidOperationException("no antiforgery cookie on the sign-in page");
}
