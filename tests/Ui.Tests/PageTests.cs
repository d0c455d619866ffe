using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using SubsidyEngine.Api.Auth;
using SubsidyEngine.Engine.Programmes;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Workflows.Expressions;

namespace SubsidyEngine.Ui.Tests;

/// <summary>Page-level checks: access (404 for a foreign dossier), the auditor's read-only view, the English switch, board paging, the calendar link, screen access per role.</summary>
public sealed class PageTests(UiHost host) : IClassFixture<UiHost>
{
    [Fact]
    public async Task A_foreign_municipality_gets_404_on_another_municipalitys_dossier()
    {
        var gent = await host.StartApplicationAsync("44021");
        var (context, antwerpen) = await host.SignInAsync("Antwerpen");
        await using var _ = context;
        var response = await antwerpen.GotoAsync($"/dossiers/{gent:D}");
        Assert.Equal(404, response!.Status);
        var letter = await antwerpen.GotoAsync($"/dossiers/{gent:D}/letters/{Guid.NewGuid():D}");
        Assert.Equal(404, letter!.Status);

        var (ownContext, own) = await host.SignInAsync("Gent");
        await using var __ = ownContext;
        var mine = await own.GotoAsync($"/dossiers/{gent:D}");
        Assert.Equal(200, mine!.Status);
        await Assertions.Expect(own.Locator("#application-table")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task An_auditor_sees_the_dossier_but_no_action_buttons()
    {
        var dossier = await host.StartApplicationAsync("46021");
        var (context, auditor) = await host.SignInAsync("Aurelie Auditor");
        await using var _ = context;
        var response = await auditor.GotoAsync($"/dossiers/{dossier:D}");
        Assert.Equal(200, response!.Status);
        await Assertions.Expect(auditor.Locator("#timeline li")).Not.ToHaveCountAsync(0);
        await Assertions.Expect(auditor.Locator("#h-actions")).ToHaveCountAsync(0);
        await Assertions.Expect(auditor.Locator("button[data-trigger]")).ToHaveCountAsync(0);
        await Assertions.Expect(auditor.Locator("#application-form")).ToHaveCountAsync(0);
        await Assertions.Expect(auditor.Locator("#states li.current")).ToContainTextAsync("Ontwerp");
    }

    [Fact]
    public async Task The_English_switch_changes_the_labels_and_back()
    {
        var (context, officer) = await host.SignInAsync("Olivia Officer");
        await using var _ = context;
        await officer.GotoAsync("/board");
        await Assertions.Expect(officer.Locator("h1")).ToHaveTextAsync("Dossiers per stap");
        await officer.ClickAsync("#lang-switch");
        await Assertions.Expect(officer.Locator("h1")).ToHaveTextAsync("Dossiers by stage");
        await Assertions.Expect(officer.Locator("#sign-out")).ToHaveTextAsync("Sign out");
        await officer.GotoAsync($"/dossiers/{host.CallDossierId:D}");
        await Assertions.Expect(officer.Locator("h2#h-summary")).ToHaveTextAsync("Summary");
        await UiHost.ShotAsync(officer, "09-english-call");
        await officer.ClickAsync("#lang-switch");
        await Assertions.Expect(officer.Locator("h2#h-summary")).ToHaveTextAsync("Samenvatting");
    }

    [Fact]
    public async Task Signing_out_ends_the_session()
    {
        var (context, officer) = await host.SignInAsync("Olivia Officer");
        await using var _ = context;
        await officer.ClickAsync("#sign-out");
        await UiHost.UrlAsync(officer, new Regex("/dev/sign-in"));
    }

    [Fact]
    public async Task The_board_pages_and_its_counts_cover_every_page()
    {
        // 25 drafts of authorities no other test here uses (one application per authority and call).
        var officer = new Actor(DevelopmentSignIn.Users.Single(u => u.Role == Roles.Officer).Id.ToString("D"), Roles.Officer);
        var service = host.Services.GetRequiredService<ProgrammeService>();
        var authorities = File.ReadLines(Path.Combine(UiHost.RepoRoot, "data", "authorities", "flemish-authorities-demo.csv"))
            .Where(l => l.Length > 0 && char.IsDigit(l[0])).Select(l => l.Split(',')[0])
            .Where(a => a is not ("44021" or "46021" or "71016" or "11002")).Take(25).ToList();
        foreach (var a in authorities)
        {
            await service.StartApplicationAsync("plan-samenleven", "2023", a, [], officer, new JsonObject { ["rows"] = new JsonArray() });
        }

        var drafts = await host.ScalarAsync("SELECT count(*) FROM dossier WHERE state = 'draft'");
        Assert.True(drafts >= 25);
        var (context, page) = await host.SignInAsync("Olivia Officer");
        await using var _ = context;
        await page.GotoAsync("/board?size=10");
        await Assertions.Expect(page.Locator(".count[data-state=draft]")).ToHaveTextAsync(drafts.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Assertions.Expect(page.Locator("#paging-summary")).ToHaveAttributeAsync("data-total", drafts.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Assertions.Expect(page.Locator(".column li")).ToHaveCountAsync(10);
        var firstPage = await page.Locator(".column li a").AllTextContentsAsync();
        await page.ClickAsync("#page-next");
        await Assertions.Expect(page.Locator("#paging-summary")).ToContainTextAsync("11–20");
        await Assertions.Expect(page.Locator(".count[data-state=draft]")).ToHaveTextAsync(drafts.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var secondPage = await page.Locator(".column li a").AllTextContentsAsync();
        Assert.Empty(firstPage.Intersect(secondPage));
        await UiHost.ShotAsync(page, "26-board-page-2");
        await page.ClickAsync("#page-prev");
        await Assertions.Expect(page.Locator("#paging-summary")).ToContainTextAsync("1–10");
    }

    [Fact]
    public async Task A_municipality_creates_a_calendar_link_and_revoking_it_kills_the_old_address()
    {
        var (context, genk) = await host.SignInAsync("Genk");
        await using var _ = context;
        await genk.GotoAsync("/portal");
        await Assertions.Expect(genk.Locator("[data-testid=calendar-active]")).ToContainTextAsync("0");
        await genk.ClickAsync("#calendar-create");
        var first = await genk.Locator("#calendar-url").InputValueAsync();
        Assert.Matches(@"/calendar/[A-Za-z0-9_-]{40,}\.ics$", first);
        var feed = await context.APIRequest.GetAsync(first);
        Assert.Equal(200, feed.Status);
        Assert.Contains("BEGIN:VCALENDAR", await feed.TextAsync(), StringComparison.Ordinal);
        await Assertions.Expect(genk.Locator("[data-testid=calendar-active]")).ToHaveTextAsync("1 actieve link"); // not "1 actieve links"
        await UiHost.ShotAsync(genk, "27-portal-calendar");

        await genk.ClickAsync("#calendar-renew"); // without the confirmation: refused, nothing revoked
        await Assertions.Expect(genk.Locator(".msg.err")).ToBeVisibleAsync();
        Assert.Equal(200, (await context.APIRequest.GetAsync(first)).Status);
        await genk.CheckAsync("#calendar-confirm");
        await genk.ClickAsync("#calendar-renew");
        var second = await genk.Locator("#calendar-url").InputValueAsync();
        Assert.NotEqual(first, second);
        Assert.Equal(404, (await context.APIRequest.GetAsync(first)).Status);
        Assert.Equal(200, (await context.APIRequest.GetAsync(second)).Status);
        await Assertions.Expect(genk.Locator("[data-testid=calendar-active]")).ToContainTextAsync("1");
    }

    [Theory]
    [InlineData("Genk", "/reports", 403)]
    [InlineData("Genk", "/notices", 403)]
    [InlineData("Genk", "/migrations", 403)]
    [InlineData("Genk", "/audit/as-of", 403)]
    [InlineData("Aurelie Auditor", "/notices", 403)]
    [InlineData("Aurelie Auditor", "/migrations", 403)]
    [InlineData("Aurelie Auditor", "/reports", 200)]
    [InlineData("Aurelie Auditor", "/audit/as-of", 200)]
    [InlineData("Olivia Officer", "/notices", 200)]
    [InlineData("Olivia Officer", "/migrations", 200)]
    public async Task Each_screen_admits_only_its_roles(string persona, string path, int expected)
    {
        var (context, page) = await host.SignInAsync(persona);
        await using var _ = context;
        var response = await page.GotoAsync(path);
        Assert.Equal(expected, response!.Status);
    }

    [Fact]
    public async Task The_call_dashboard_is_not_for_municipalities_and_a_dossier_is_not_a_call()
    {
        var own = await host.StartApplicationAsync("44021");
        var (context, officer) = await host.SignInAsync("Olivia Officer");
        await using var _ = context;
        Assert.Equal(200, (await officer.GotoAsync($"/calls/{host.CallDossierId:D}/dashboard"))!.Status);
        await Assertions.Expect(officer.Locator("svg#chart-budget")).ToBeVisibleAsync();
        Assert.Equal(404, (await officer.GotoAsync($"/calls/{own:D}/dashboard"))!.Status);
        var (genkContext, genk) = await host.SignInAsync("Genk");
        await using var __ = genkContext;
        Assert.Equal(403, (await genk.GotoAsync($"/calls/{host.CallDossierId:D}/dashboard"))!.Status);
    }
}
