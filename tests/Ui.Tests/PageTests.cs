using Microsoft.Playwright;

namespace SubsidyEngine.Ui.Tests;

/// <summary>Page-level checks: access (404 for a foreign dossier), the auditor's read-only view, the English switch.</summary>
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
        await officer.WaitForURLAsync(u => u.Contains("/dev/sign-in", StringComparison.Ordinal));
    }
}
