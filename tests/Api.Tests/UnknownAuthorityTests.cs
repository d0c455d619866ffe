using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SubsidyEngine.Api.Cli;

namespace SubsidyEngine.Api.Tests;

/// <summary>
/// Issue 18: a municipality user acts for an authority in the register (Subsidy:AuthoritiesFile). Every place a
/// municipality identity is minted refuses another one with a 4xx naming the field and changes nothing: user creation
/// through the API and the CLI, a key for a user left over from an older register, the development sign-in as that
/// user; a key, a web session and a calendar link it already holds stop working.
/// </summary>
public sealed class UnknownAuthorityTests(DevSignInFactory api) : IClassFixture<DevSignInFactory>
{
    private const string NotInRegister = "99999";

    private static async Task AssertProblemNamesAsync(HttpResponseMessage response, string field)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode} {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(body)!;
        Assert.NotNull(problem["errors"]?[field]);
        Assert.Contains("register", problem["errors"]![field]!.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_api_refuses_a_municipality_user_for_an_authority_that_is_not_in_the_register()
    {
        using var admin = api.As("admin");
        var before = await api.FingerprintAsync();
        var response = await admin.PostAsync("/api/users", ApiFactory.Json(new JsonObject
        {
            ["displayName"] = "Nergensdorp", ["email"] = "nergens@test.invalid", ["role"] = "municipality", ["authorityId"] = NotInRegister,
        }));
        await AssertProblemNamesAsync(response, "authorityId");
        Assert.Equal(before, await api.FingerprintAsync());

        var known = await admin.PostAsync("/api/users", ApiFactory.Json(new JsonObject
        {
            ["displayName"] = "Gent 2", ["email"] = "gent2@test.invalid", ["role"] = "municipality", ["authorityId"] = ApiFactory.Gent,
        }));
        Assert.Equal(HttpStatusCode.Created, known.StatusCode);
    }

    [Fact]
    public async Task The_users_verb_refuses_it_naming_the_option()
    {
        var before = await api.FingerprintAsync();
        using var output = new StringWriter();
        using var error = new StringWriter();
        string[] settings = ["--ConnectionStrings:Subsidy", api.ConnectionString, "--Subsidy:WorkflowsDirectory", Path.Combine(ApiFactory.RepoRoot, "workflows"),
            "--Subsidy:DataDirectory", api.DataFolder, "--Subsidy:PublicBaseUrl", ApiFactory.PublicBaseUrl, "--Subsidy:Letters:AgencyIban", ApiFactory.AgencyIban];
        var code = await CliVerbs.RunAsync(["users", "add", "--email", "nergens.cli@test.invalid", "--role", "municipality", "--authority", NotInRegister, .. settings], output, error);
        Assert.Equal(2, code);
        Assert.Contains("--authority:", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("register", error.ToString(), StringComparison.Ordinal);
        Assert.Equal(before, await api.FingerprintAsync());
    }

    [Fact]
    public async Task A_user_left_from_an_older_register_gets_no_key_no_development_sign_in_and_its_key_stops_working()
    {
        // As an older register (or a hand-edited row) would leave it: the directory itself never writes one now.
        var stale = Guid.CreateVersion7();
        await api.ScalarAsync($"INSERT INTO users (id, display_name, email, role, authority_id, created_at) VALUES ('{stale}', 'Oud', 'oud@test.invalid', 'municipality', '{NotInRegister}', now()) RETURNING 1");
        await api.ScalarAsync($"INSERT INTO api_key (id, user_id, secret_hash, label, created_at) VALUES ('{Guid.CreateVersion7()}', '{stale}', " +
                              $"'{Engine.Access.UserDirectory.Hash("sek_" + new string('o', 43))}', 'old', now()) RETURNING 1");

        using var admin = api.As("admin");
        var before = await api.FingerprintAsync();
        await AssertProblemNamesAsync(await admin.PostAsync($"/api/users/{stale}/keys", ApiFactory.Json(new JsonObject { ["label"] = "new" })), "authorityId");
        Assert.Equal(before, await api.FingerprintAsync());

        using var holder = api.As(null);
        holder.DefaultRequestHeaders.Add("X-Api-Key", "sek_" + new string('o', 43));
        var refused = await holder.GetAsync("/api/me");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);

        using var browser = api.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        var page = await (await browser.GetAsync("/dev/sign-in")).Content.ReadAsStringAsync();
        var token = Regex.Match(page, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;
        var signIn = await browser.PostAsync("/dev/sign-in", new FormUrlEncodedContent([new("__RequestVerificationToken", token), new("userId", stale.ToString()), new("returnUrl", "/api/me")]));
        await AssertProblemNamesAsync(signIn, "userId");
        Assert.False(signIn.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith("subsidy.session=", StringComparison.Ordinal)));
        Assert.Equal(before, await api.FingerprintAsync());

        // A web session it signed in with while its authority was still in the register (the session cookie, as
        // the service issued it, survives a restart) stops working too: not read, not written.
        var ticketFormat = api.Services.GetRequiredService<IOptionsMonitor<CookieAuthenticationOptions>>().Get(SubsidyEngine.Api.Auth.SubsidyAuth.CookieScheme).TicketDataFormat;
        var session = ticketFormat.Protect(new AuthenticationTicket(
            SubsidyEngine.Api.Auth.SubsidyAuth.Principal(stale.ToString("D"), "Oud", "municipality", NotInRegister, "cookie", SubsidyEngine.Api.Auth.SubsidyAuth.CookieScheme),
            SubsidyEngine.Api.Auth.SubsidyAuth.CookieScheme));
        using var stored = api.As(null);
        stored.DefaultRequestHeaders.Add("Cookie", "subsidy.session=" + session);
        var me = await stored.GetAsync("/api/me");
        Assert.True(me.StatusCode == HttpStatusCode.Unauthorized, $"a session of a user whose authority left the register: {(int)me.StatusCode} {await me.Content.ReadAsStringAsync()}");
        Assert.Equal(HttpStatusCode.Unauthorized, (await stored.GetAsync("/api/dossiers")).StatusCode);
        Assert.Equal(before, await api.FingerprintAsync());

        // Its calendar link (a secret address handed out to its users) stops answering as well, like an unknown one.
        var secret = new string('c', 43);
        await api.ScalarAsync($"INSERT INTO calendar_token (id, authority_id, token_sha256, created_at) VALUES ('{Guid.CreateVersion7()}', '{NotInRegister}', " +
                              $"'{Engine.Notices.CalendarFeed.Hash(secret)}', now()) RETURNING 1");
        using var anonymous = api.As(null);
        var feed = await anonymous.GetAsync($"/calendar/{secret}.ics");
        Assert.True(feed.StatusCode == HttpStatusCode.NotFound, $"the calendar of an authority that left the register: {(int)feed.StatusCode}");
    }
}
