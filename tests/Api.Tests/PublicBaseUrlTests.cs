using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using SubsidyEngine.Engine.Notices;
using SubsidyEngine.Testing;

namespace SubsidyEngine.Api.Tests;

/// <summary>
/// Issue 18: links work where the service runs. Outside the embedded default (a connection string is configured)
/// the service refuses to start without <c>Subsidy:PublicBaseUrl</c>, saying so in one sentence; with it, the links
/// of letters and the calendar link are built from it (the API test hosts run on https://subsidies.test.invalid).
/// </summary>
public sealed partial class PublicBaseUrlTests(ProgrammeFactory api) : IClassFixture<ProgrammeFactory>
{
    [GeneratedRegex(@"https?://[^\s""'<>)]+")]
    private static partial Regex Url();

    [GeneratedRegex(@"id=""calendar-url""[^>]*value=""([^""]*)""")]
    private static partial Regex CalendarInput();

    [Fact]
    public async Task The_service_on_a_configured_database_refuses_to_start_without_the_public_base_url_in_one_sentence()
    {
        // The built service as an operator starts it: the dll, settings from the environment only.
        var dll = Path.Combine(AppContext.BaseDirectory, "SubsidyEngine.Api.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = AppContext.BaseDirectory };
        psi.ArgumentList.Add(dll);
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["ConnectionStrings__Subsidy"] = api.ConnectionString;
        psi.Environment["Subsidy__DataDirectory"] = api.DataFolder;
        psi.Environment["Subsidy__Port"] = TestCluster.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);
        psi.Environment.Remove("Subsidy__PublicBaseUrl");
        psi.Environment["Subsidy__Letters__AgencyIban"] = ApiFactory.AgencyIban; // only the setting under test is missing
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("the service started without Subsidy:PublicBaseUrl on a configured database: " + await stdout);
        }

        var error = (await stderr).Trim();
        Assert.NotEqual(0, process.ExitCode);
        Assert.StartsWith("Subsidy:PublicBaseUrl must be set when ConnectionStrings:Subsidy is configured", error, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error); // one sentence, no stack trace
        Assert.DoesNotContain("listening", await stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_it_the_links_of_letters_and_the_calendar_link_use_it()
    {
        Assert.Equal(ApiFactory.PublicBaseUrl, api.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Engine.Configuration.SubsidyOptions>>().Value.PublicBaseUrl);
        api.Clock.JumpTo(new DateTimeOffset(2023, 5, 27, 10, 0, 0, TimeSpan.FromHours(2)));
        await ProgrammeScenario.OpenCallAsync(api);
        var app = await ProgrammeScenario.StartAsync(api, "genk", ProgrammeScenario.GenkApplication());
        await ProgrammeScenario.FireAsync(api, app, "submit", "genk");
        await ProgrammeScenario.FireAsync(api, app, "request-information", "officer", new JsonObject { ["questions"] = "Welke partners?", ["deadline"] = "2023-06-30" });

        // The information request as the municipality reads it through the API.
        using var genk = api.As("genk");
        var letters = JsonNode.Parse(await genk.GetStringAsync($"/api/dossiers/{app}/letters"))!;
        var request = letters.AsArray();
        var links = new List<string>();
        foreach (var letter in request)
        {
            var html = await genk.GetStringAsync($"/api/dossiers/{app}/letters/{letter!["noticeId"]!.GetValue<string>()}/html");
            links.AddRange(Url().Matches(html).Select(m => m.Value).Where(u => !u.StartsWith("http://www.w3.org", StringComparison.Ordinal)));
        }

        Assert.Contains(links, l => l.StartsWith(ApiFactory.PublicBaseUrl + "/dossiers/" + app.ToString("D"), StringComparison.Ordinal));
        Assert.All(links, l => Assert.StartsWith(ApiFactory.PublicBaseUrl + "/", l, StringComparison.Ordinal));

        // The calendar link the portal hands out (as a municipality creates it: the form with its antiforgery token).
        using var antiforgery = await genk.GetAsync("/auth/antiforgery");
        var cookie = antiforgery.Headers.GetValues("Set-Cookie").Select(v => v.Split(';')[0]).Single(v => v.StartsWith("subsidy.antiforgery=", StringComparison.Ordinal));
        var afToken = JsonNode.Parse(await antiforgery.Content.ReadAsStringAsync())!["token"]!.GetValue<string>();
        using var create = new HttpRequestMessage(HttpMethod.Post, "/portal?handler=Calendar") { Content = new FormUrlEncodedContent([new("confirm", "true")]) };
        create.Headers.Add("Cookie", cookie);
        create.Headers.Add(Auth.SubsidyAuth.AntiforgeryHeader, afToken);
        var page = await genk.SendAsync(create);
        var portal = await page.Content.ReadAsStringAsync();
        Assert.True(page.StatusCode == HttpStatusCode.OK, portal);
        var calendarUrl = WebUtility.HtmlDecode(CalendarInput().Match(portal).Groups[1].Value);
        Assert.Matches(@"^" + Regex.Escape(ApiFactory.PublicBaseUrl) + @"/calendar/[A-Za-z0-9_-]{40,}\.ics$", calendarUrl);
        Assert.Equal(HttpStatusCode.OK, (await api.As(null).GetAsync(calendarUrl[ApiFactory.PublicBaseUrl.Length..])).StatusCode);

        // The calendar: its events link to the dossier at the public address.
        var (token, _) = await api.Services.GetRequiredService<CalendarFeed>().RenewAsync(ApiFactory.Genk);
        var ics = await (await api.As(null).GetAsync(token.Path)).Content.ReadAsStringAsync();
        var icsLinks = Url().Matches(ics.Replace("\r\n ", string.Empty, StringComparison.Ordinal)).Select(m => m.Value).ToList();
        Assert.NotEmpty(icsLinks);
        Assert.All(icsLinks, l => Assert.StartsWith(ApiFactory.PublicBaseUrl + "/", l, StringComparison.Ordinal));
    }
}
