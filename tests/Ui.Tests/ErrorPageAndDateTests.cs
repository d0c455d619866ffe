using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;
using SubsidyEngine.Api.Auth;
using SubsidyEngine.Engine.Programmes;
using SubsidyEngine.Engine.Programmes.Model;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Workflows.Expressions;

namespace SubsidyEngine.Ui.Tests;

/// <summary>
/// Issue 20: the designed error pages (404, 403, 500, in the site's layout, in both languages, a way back, no
/// internals), dates typed as day/month/year in an en-US browser and stored as Brussels dates, dates shown in the
/// page's language, and the "as of" page in Brussels time. axe-core on each page; screenshots 40-*.
/// </summary>
public sealed class ErrorPageAndDateTests(UiHost host) : IClassFixture<UiHost>
{
    private static readonly string AxeScript = File.ReadAllText(Path.Combine(UiHost.RepoRoot, "tests", "Ui.Tests", "vendor", "axe-core", "axe.min.js"));

    /// <summary>A context in <paramref name="lang"/> (cookie) with the browser locale <paramref name="locale"/>, signed in as the named user (null: anonymous).</summary>
    private async Task<(IBrowserContext Context, IPage Page)> OpenAsync(string? user, string lang, string locale = "en-US")
    {
        var context = await host.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = host.BaseUrl, Locale = locale, BypassCSP = true /* only to inject axe-core */, ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
        });
        context.SetDefaultTimeout(90_000);
        context.SetDefaultNavigationTimeout(90_000);
        if (lang == "en")
        {
            await context.AddCookiesAsync([new Cookie { Name = "lang", Value = "en", Url = host.BaseUrl }]);
        }

        var page = await context.NewPageAsync();
        if (user is not null)
        {
            await page.GotoAsync("/");
            await page.Locator("button", new PageLocatorOptions { HasTextString = user }).First.ClickAsync();
            await Assertions.Expect(page).Not.ToHaveURLAsync(new Regex("/dev/sign-in"), new() { Timeout = 90_000 });
        }

        return (context, page);
    }

    private static async Task AxeAsync(IPage page, string where)
    {
        await page.AddScriptTagAsync(new PageAddScriptTagOptions { Content = AxeScript });
        var axe = await page.EvaluateAsync<JsonElement>(
            "async () => { const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a','wcag2aa','wcag21a','wcag21aa','best-practice'] } }); return r.violations.map(v => ({ id: v.id, impact: v.impact })); }");
        var bad = axe.EnumerateArray().Where(v => v.GetProperty("impact").GetString() is "critical" or "serious").Select(v => v.GetProperty("id").GetString()).ToList();
        Assert.True(bad.Count == 0, $"{where}: axe {string.Join(", ", bad)}");
    }

    /// <summary>No exception text, stack trace or internal id on an error page.</summary>
    private static async Task NoInternalsAsync(IPage page)
    {
        var html = await page.ContentAsync();
        foreach (var leak in new[] { "Exception", "   at ", "StackTrace", ThrowingPageFilter.Secret, "SubsidyEngine.", "traceId", "problem+json" })
        {
            Assert.DoesNotContain(leak, html, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("nl", "Pagina niet gevonden", "Geen toegang", "Er ging iets mis", "Naar de startpagina", "Naar de aanmelding")]
    [InlineData("en", "Page not found", "No access", "Something went wrong", "Go to the start page", "Go to the sign-in")]
    public async Task Error_pages_are_designed_in_the_page_language_keep_their_status_and_lead_back(string lang, string notFound, string forbidden, string failed, string home, string signIn)
    {
        var (context, genk) = await OpenAsync("Genk", lang);
        await using var _ = context;
        var htmlLang = lang == "en" ? "en" : "nl-BE";

        // 404: an unknown dossier (the page's NotFound) and an unknown path.
        foreach (var path in new[] { $"/dossiers/{Guid.NewGuid():D}", "/no-such-page" })
        {
            var response = await genk.GotoAsync(path);
            Assert.Equal(404, response!.Status);
            Assert.StartsWith("text/html", response.Headers["content-type"], StringComparison.Ordinal);
            await Assertions.Expect(genk.Locator("h1")).ToHaveTextAsync(notFound);
            await Assertions.Expect(genk.Locator("html")).ToHaveAttributeAsync("lang", htmlLang);
            await Assertions.Expect(genk.Locator("header.top [data-testid=user]")).ToContainTextAsync("Genk"); // the site's layout
            await Assertions.Expect(genk.Locator("#error-back")).ToHaveAttributeAsync("href", "/portal");
            await Assertions.Expect(genk.Locator("#error-back")).ToHaveTextAsync(home);
            await NoInternalsAsync(genk);
            await AxeAsync(genk, path);
        }

        await UiHost.ShotAsync(genk, $"40-error-404-{lang}");

        // 403: a page the municipality's role may not open (the page's Forbid through the cookie handler).
        var denied = await genk.GotoAsync("/audit/as-of");
        Assert.Equal(403, denied!.Status);
        await Assertions.Expect(genk.Locator("h1")).ToHaveTextAsync(forbidden);
        await NoInternalsAsync(genk);
        await AxeAsync(genk, "403");
        await UiHost.ShotAsync(genk, $"41-error-403-{lang}");

        // 500: a page that fails inside (a test-only filter throws): the reference to quote, and the exception only in the log.
        var crashed = await genk.GotoAsync("/portal?test-throw=1");
        Assert.Equal(500, crashed!.Status);
        await Assertions.Expect(genk.Locator("h1")).ToHaveTextAsync(failed);
        var reference = (await genk.Locator("[data-testid=error-reference]").TextContentAsync())!.Trim();
        Assert.Matches("^[0-9a-f]{32}$", reference);
        await NoInternalsAsync(genk);
        await AxeAsync(genk, "500");
        await UiHost.ShotAsync(genk, $"42-error-500-{lang}");
        var logged = host.Logs.Entries.Where(e => e.Level >= LogLevel.Error && e.Exception?.Message == ThrowingPageFilter.Secret).ToList();
        Assert.NotEmpty(logged);
        Assert.Contains(logged, e => e.TraceId is null || e.TraceId == reference);

        // Anonymous: the way back is the sign-in.
        var (anonymousContext, anonymous) = await OpenAsync(null, lang);
        await using var __ = anonymousContext;
        var lost = await anonymous.GotoAsync("/no-such-page");
        Assert.Equal(404, lost!.Status);
        await Assertions.Expect(anonymous.Locator("h1")).ToHaveTextAsync(notFound);
        await Assertions.Expect(anonymous.Locator("#error-back")).ToHaveAttributeAsync("href", "/dev/sign-in");
        await Assertions.Expect(anonymous.Locator("#error-back")).ToHaveTextAsync(signIn);
        await AxeAsync(anonymous, "anonymous 404");
        await UiHost.ShotAsync(anonymous, $"43-error-404-anonymous-{lang}");
    }

    /// <summary>A submitted application of <paramref name="authority"/> (set-up through the Engine).</summary>
    private async Task<Guid> SubmittedApplicationAsync(string authority)
    {
        var user = DevelopmentSignIn.Users.Single(u => u.AuthorityId == authority);
        var actor = new Actor(user.Id.ToString("D"), Roles.Municipality) { Authority = authority };
        var application = new JsonObject
        {
            ["rows"] = new JsonArray(new JsonObject { ["action"] = "2.1", ["currentReach"] = 0, ["plannedAdditionalReach"] = 10, ["priority"] = 1, ["localContributionEur"] = 600m }),
        };
        var id = (await host.Services.GetRequiredService<ProgrammeService>().StartApplicationAsync("plan-samenleven", "2023", authority, [], actor, application)).DossierId;
        await host.Services.GetRequiredService<WorkflowRuntime>().FireAsync(new FireRequest(id, "submit", [], actor));
        return id;
    }

    [Theory]
    [InlineData("nl", "44021", "dd/mm/jjjj", "Uiterste datum: geef een geldige datum", "28 december 2026 om 23:59")]
    [InlineData("en", "46021", "dd/mm/yyyy", "Deadline: give a valid date", "28 December 2026 at 23:59")]
    public async Task A_date_typed_as_day_month_year_in_an_en_US_browser_is_the_end_of_that_day_in_Brussels(string lang, string authority, string placeholder, string badDate, string shown)
    {
        var dossier = await SubmittedApplicationAsync(authority);
        var (context, officer) = await OpenAsync("Olivia Officer", lang, locale: "en-US");
        await using var _ = context;
        await officer.GotoAsync($"/dossiers/{dossier:D}");
        var deadline = officer.Locator("#request-information-deadline");
        await Assertions.Expect(deadline).ToHaveAttributeAsync("type", "text");
        await Assertions.Expect(deadline).ToHaveAttributeAsync("placeholder", placeholder);
        await Assertions.Expect(deadline).ToHaveAttributeAsync("inputmode", "numeric");
        var hint = await deadline.GetAttributeAsync("aria-describedby");
        await Assertions.Expect(officer.Locator($"#{hint}")).ToContainTextAsync("28/12/2026");

        // A date that does not exist passes the field's pattern; the server refuses it naming the field, and keeps what was typed.
        await officer.FillAsync("#request-information-questions", "Welke partners?");
        await deadline.FillAsync("31/02/2026");
        await officer.ClickAsync("button[data-trigger=request-information]");
        await Assertions.Expect(officer.Locator(".msg.err")).ToContainTextAsync(badDate);
        await Assertions.Expect(officer.Locator("#request-information-deadline")).ToHaveValueAsync("31/02/2026");
        await Assertions.Expect(officer.Locator("#request-information-questions")).ToHaveValueAsync("Welke partners?");
        await Assertions.Expect(officer.Locator("[data-testid=state]")).ToHaveAttributeAsync("data-state", "submitted");
        await AxeAsync(officer, "refused date");
        await UiHost.ShotAsync(officer, $"44-date-refused-{lang}");

        await officer.Locator("#request-information-deadline").FillAsync("28/12/2026");
        await officer.ClickAsync("button[data-trigger=request-information]");
        await Assertions.Expect(officer.Locator("[data-testid=state]")).ToHaveAttributeAsync("data-state", "information-requested");
        Assert.Equal(1, await host.ScalarAsync("SELECT count(*) FROM dossier WHERE id = $1 AND data #>> '{informationRequest,deadline}' = '2026-12-28'", dossier));
        // The end of 28 December 2026 in Brussels (CET, UTC+1): 22:59:59 UTC.
        Assert.Equal(1, await host.ScalarAsync("SELECT count(*) FROM deadline WHERE dossier_id = $1 AND kind = 'information' AND due_at = '2026-12-28T22:59:59Z'", dossier));

        // Shown in the page's language, in Belgian time.
        await Assertions.Expect(officer.Locator("[data-testid=ir-deadline]")).ToHaveTextAsync(shown[..shown.LastIndexOf(' ', shown.LastIndexOf(' ') - 1)]); // the date alone
        await Assertions.Expect(officer.Locator("#h-deadlines ~ table td[data-kind=information] + td")).ToHaveTextAsync(shown);
        await AxeAsync(officer, "dates shown");
        await UiHost.ShotAsync(officer, $"45-dates-shown-{lang}");
    }

    [Theory]
    [InlineData("nl", "27 mei 2023 om", "Ontvangstbevestiging van de aanvraag")]
    [InlineData("en", "27 May 2023 at", "Acknowledgement of the application")]
    public async Task The_as_of_page_shows_Brussels_time_in_the_page_language_and_keeps_the_exact_instant(string lang, string day, string letter)
    {
        var dossier = await SubmittedApplicationAsync(lang == "nl" ? "13040" : "71002");
        var (context, auditor) = await OpenAsync("Aurelie Auditor", lang, locale: "en-US");
        await using var _ = context;
        await auditor.GotoAsync("/audit/as-of");
        var at = auditor.Locator("#asof-at");
        await Assertions.Expect(at).ToHaveAttributeAsync("type", "text");
        await Assertions.Expect(at).ToHaveValueAsync(new Regex(@"^\d\d/\d\d/\d{4} \d\d:\d\d$")); // now, as day/month/year and time
        await auditor.FillAsync("#asof-dossier", dossier.ToString("D"));
        await at.FillAsync("31/12/2023 23:00");
        await auditor.ClickAsync("#asof-show");
        var moment = auditor.Locator("[data-testid=asof-at]");
        await Assertions.Expect(moment).ToHaveTextAsync(lang == "en" ? "31 December 2023 at 23:00" : "31 december 2023 om 23:00");
        await Assertions.Expect(moment).ToHaveAttributeAsync("datetime", "2023-12-31T22:00:00Z");
        var letters = auditor.Locator("#asof-letters");
        await Assertions.Expect(letters).ToContainTextAsync(letter);
        await Assertions.Expect(letters).ToContainTextAsync(day);
        var text = await auditor.InnerTextAsync("#as-of-result");
        Assert.DoesNotMatch(@"\d{4}-\d\d-\d\dT\d\d:\d\d", text); // no raw UTC timestamp on the screen
        Assert.DoesNotContain("acknowledgement", text, StringComparison.Ordinal);
        var exact = await letters.Locator("time").First.GetAttributeAsync("datetime");
        Assert.Matches(@"^2023-05-27T\d\d:\d\d:\d\d(\.\d+)?Z$", exact!);
        await AxeAsync(auditor, "as-of");
        await UiHost.ShotAsync(auditor, $"46-as-of-{lang}");

        // A moment that is not a date: the form's message names the field, the typed value stays.
        await at.FillAsync("32/13/2023 10:00");
        await auditor.ClickAsync("#asof-show");
        await Assertions.Expect(auditor.Locator(".msg.err")).ToContainTextAsync(lang == "en" ? "Date and time: give a valid date" : "Datum en uur: geef een geldige datum");
        await Assertions.Expect(auditor.Locator("#asof-at")).ToHaveValueAsync("32/13/2023 10:00");
    }
}
