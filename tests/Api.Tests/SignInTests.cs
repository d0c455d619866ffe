using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;
using SubsidyEngine.Api.Auth;

namespace SubsidyEngine.Api.Tests;

/// <summary>On a configured database (every deployment) the development sign-in does not exist.</summary>
public sealed class DevSignInUnavailableTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task The_development_sign_in_answers_404_when_the_database_is_not_embedded()
    {
        using var anonymous = api.As(null);
        var page = await anonymous.GetAsync("/dev/sign-in");
        Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
        Assert.Equal("application/problem+json", page.Content.Headers.ContentType?.MediaType);
        var post = await anonymous.PostAsync("/dev/sign-in", new FormUrlEncodedContent([new("userId", DevelopmentSignIn.Users[0].Id.ToString())]));
        Assert.Equal(HttpStatusCode.NotFound, post.StatusCode);
        Assert.Equal(0, await api.ScalarAsync("SELECT count(*) FROM users WHERE email LIKE '%@dev.subsidy.invalid'"));
    }

    [Fact]
    public async Task A_page_request_without_a_session_is_not_redirected_anywhere_and_the_api_answers_401()
    {
        using var anonymous = api.As(null);
        var response = await anonymous.GetAsync("/api/dossiers");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync("/auth/sign-in")).StatusCode); // OIDC not configured
    }
}

/// <summary>The development sign-in (forced on, as on the embedded database), cookies and antiforgery.</summary>
public sealed class DevSignInTests(DevSignInFactory api) : IClassFixture<DevSignInFactory>
{
    private HttpClient Browser() => api.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    private static string Token(string html) => Regex.Match(html, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;

    [Fact]
    public async Task The_page_lists_the_seeded_users_under_a_development_banner_and_signing_in_sets_a_session_cookie()
    {
        using var browser = Browser();
        var page = await browser.GetAsync("/dev/sign-in");
        var html = await page.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("ALLEEN VOOR ONTWIKKELING", html, StringComparison.Ordinal);
        Assert.Contains("<html lang=\"nl-BE\">", html, StringComparison.Ordinal);
        Assert.Contains("<main", html, StringComparison.Ordinal);
        foreach (var (id, name) in DevelopmentSignIn.Authorities)
        {
            Assert.Contains(id, html, StringComparison.Ordinal);
            Assert.Contains(name, html, StringComparison.Ordinal);
        }

        var genk = DevelopmentSignIn.Users.Single(u => u.AuthorityId == "71016");
        var signIn = await browser.PostAsync("/dev/sign-in", new FormUrlEncodedContent([new("__RequestVerificationToken", Token(html)), new("userId", genk.Id.ToString()), new("returnUrl", "//evil.example/")]));
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        Assert.Equal("/", signIn.Headers.Location!.OriginalString); // never an open redirect; the home page, not JSON

        var me = JsonNode.Parse(await browser.GetStringAsync("/api/me"))!;
        Assert.Equal("municipality", me["role"]!.GetValue<string>());
        Assert.Equal("71016", me["authorityId"]!.GetValue<string>());
        Assert.Equal("cookie", me["via"]!.GetValue<string>());
    }

    [Fact]
    public async Task Signing_in_without_the_antiforgery_token_is_refused()
    {
        using var browser = Browser();
        await browser.GetAsync("/dev/sign-in");
        var response = await browser.PostAsync("/dev/sign-in", new FormUrlEncodedContent([new("userId", DevelopmentSignIn.Users[0].Id.ToString())]));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/api/me")).StatusCode);
    }

    [Fact]
    public async Task Cookie_writes_need_the_antiforgery_header_api_key_writes_do_not_and_sign_out_ends_the_session()
    {
        var dossier = await api.CreateAbcAsync("71016");
        using var browser = Browser();
        var html = await (await browser.GetAsync("/dev/sign-in")).Content.ReadAsStringAsync();
        var officer = DevelopmentSignIn.Users.Single(u => u.Role == "officer");
        await browser.PostAsync("/dev/sign-in", new FormUrlEncodedContent([new("__RequestVerificationToken", Token(html)), new("userId", officer.Id.ToString())]));

        var before = await api.FingerprintAsync();
        var forged = await browser.PostAsync($"/api/dossiers/{dossier}/transitions/set-amount", ApiFactory.Json(new JsonObject { ["amount"] = 4 }));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Contains("antiforgery", await forged.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(before, await api.FingerprintAsync());

        var token = JsonNode.Parse(await browser.GetStringAsync("/auth/antiforgery"))!;
        using var withToken = new HttpRequestMessage(HttpMethod.Post, $"/api/dossiers/{dossier}/transitions/set-amount") { Content = ApiFactory.Json(new JsonObject { ["amount"] = 4 }) };
        withToken.Headers.Add(token["headerName"]!.GetValue<string>(), token["token"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await browser.SendAsync(withToken)).StatusCode);

        using var key = api.As("officer");
        Assert.Equal(HttpStatusCode.OK, (await key.PostAsync($"/api/dossiers/{dossier}/transitions/set-amount", ApiFactory.Json(new JsonObject { ["amount"] = 5 }))).StatusCode);

        using var signOut = new HttpRequestMessage(HttpMethod.Post, "/auth/sign-out");
        signOut.Headers.Add(token["headerName"]!.GetValue<string>(), token["token"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NoContent, (await browser.SendAsync(signOut)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/api/me")).StatusCode);
    }

    [Fact]
    public async Task A_browser_without_a_session_is_sent_to_the_development_sign_in_for_pages_but_gets_401_from_the_api()
    {
        using var browser = Browser();
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/api/dossiers")).StatusCode);
        Assert.Equal(8 + 1, DevelopmentSignIn.Users.Count); // officer, auditor, admin and six municipalities
        Assert.Equal(9, await api.ScalarAsync("SELECT count(*) FROM users WHERE email LIKE '%@dev.subsidy.invalid'"));
    }
}

/// <summary>The development sign-in on a register without As (71002): the seeder skips As's user, and the page must not offer it.</summary>
public sealed class DevSignInSmallRegisterFactory : ApiFactory
{
    public const string Left = "71002";

    private readonly string _register = Path.Combine(Path.GetTempPath(), $"register-without-{Left}-{Guid.NewGuid():N}.csv");

    protected override bool? DevelopmentSignInEnabled => true;

    protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
    {
        File.WriteAllLines(_register, File.ReadAllLines(AuthoritiesFile).Where(l => !l.StartsWith(Left + ",", StringComparison.Ordinal)));
        base.ConfigureWebHost(builder);
        builder.UseSetting("Subsidy:AuthoritiesFile", _register);
    }
}

public sealed class DevSignInSmallRegisterTests(DevSignInSmallRegisterFactory api) : IClassFixture<DevSignInSmallRegisterFactory>
{
    [Fact]
    public async Task The_page_offers_no_user_of_an_authority_the_register_does_not_hold()
    {
        using var browser = api.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        var html = await (await browser.GetAsync("/dev/sign-in")).Content.ReadAsStringAsync();
        var left = DevelopmentSignIn.Users.Single(u => u.AuthorityId == DevSignInSmallRegisterFactory.Left);
        Assert.DoesNotContain(left.Id.ToString("D"), html, StringComparison.Ordinal);
        var genk = DevelopmentSignIn.Users.Single(u => u.AuthorityId == "71016");
        Assert.Contains(genk.Id.ToString("D"), html, StringComparison.Ordinal);
    }
}
