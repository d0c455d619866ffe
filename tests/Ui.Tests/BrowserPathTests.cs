using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace SubsidyEngine.Ui.Tests;

/// <summary>
/// The business path in a real browser: Genk applies (table, save, submit), the officer declares it eligible,
/// allocates and awards on the call page, Genk opens the award letter and downloads its PDF, the auditor replays
/// the dossier. Screenshots of each main screen go to TestResults/screenshots.
/// </summary>
public sealed class BrowserPathTests(UiHost host) : IClassFixture<UiHost>
{
    [Fact]
    public async Task A_municipality_applies_the_officer_awards_the_municipality_reads_the_letter_and_the_auditor_replays()
    {
        // Municipality: portal, start an application for the open 2023 call.
        var (genkContext, genk) = await host.SignInAsync("Genk");
        await using var _ = genkContext;
        Assert.EndsWith("/portal", genk.Url, StringComparison.Ordinal);
        await Assertions.Expect(genk.Locator("h1")).ToHaveTextAsync("Mijn dossiers");
        await Assertions.Expect(genk.Locator("[data-testid=user]")).ToContainTextAsync("Genk");
        await UiHost.ShotAsync(genk, "01-portal-municipality");
        await genk.Locator("button[data-call='plan-samenleven/2023']").ClickAsync();
        await UiHost.UrlAsync(genk, new Regex("/dossiers/[0-9a-f-]{36}$"));
        var dossierUrl = new Uri(genk.Url).AbsolutePath;
        var dossierId = Guid.Parse(dossierUrl.Split('/')[^1]);

        // Submitting an empty table is refused with the guards' reasons, in Dutch.
        await genk.CheckAsync("#confirm");
        await genk.ClickAsync("#submit-application");
        await Assertions.Expect(genk.Locator(".msg.err")).ToContainTextAsync("Niet toegestaan:");
        await Assertions.Expect(genk.Locator("[data-testid=state]")).ToHaveAttributeAsync("data-state", "draft");
        await UiHost.ShotAsync(genk, "02a-submit-refused");

        // The application table: 500 x EUR 60 (2.1) and 100 x EUR 320 (5.4); the live total follows the input.
        await genk.FillAsync("#planned_2\\.1", "500");
        await genk.FillAsync("#priority_2\\.1", "1");
        await genk.FillAsync("#local_2\\.1", "30000");
        await genk.FillAsync("#planned_5\\.4", "100");
        await genk.FillAsync("#priority_5\\.4", "2");
        await genk.FillAsync("#local_5\\.4", "32000");
        await Assertions.Expect(genk.Locator("#live-total")).ToContainTextAsync("62.000");
        await genk.ClickAsync("#save-draft");
        await Assertions.Expect(genk.Locator(".msg.ok")).ToContainTextAsync("Bewaard");
        await Assertions.Expect(genk.Locator("#planned_2\\.1")).ToHaveValueAsync("500");
        await UiHost.ShotAsync(genk, "02-application-form");

        // Submitting needs the confirmation.
        await genk.ClickAsync("#submit-application");
        await Assertions.Expect(genk.Locator(".msg.err")).ToContainTextAsync("bevestiging");
        await genk.CheckAsync("#confirm");
        await genk.ClickAsync("#submit-application");
        await Assertions.Expect(genk.Locator("[data-testid=state]")).ToHaveAttributeAsync("data-state", "submitted");
        await Assertions.Expect(genk.Locator("[data-testid=requested-total]")).ToContainTextAsync("62.000,00");
        await UiHost.ShotAsync(genk, "03-application-submitted");

        // Officer: board, eligibility, then the call page: close, start allocation, preview, confirm, award.
        var (officerContext, officer) = await host.SignInAsync("Olivia Officer");
        await using var __ = officerContext;
        Assert.EndsWith("/board", officer.Url, StringComparison.Ordinal);
        await Assertions.Expect(officer.Locator(".count[data-state=submitted]")).ToHaveTextAsync("1");
        await UiHost.ShotAsync(officer, "04-officer-board");
        await officer.GotoAsync(dossierUrl);
        await officer.ClickAsync("#declare-eligible");
        await Assertions.Expect(officer.Locator("[data-testid=state]")).ToHaveAttributeAsync("data-state", "eligible");
        await UiHost.ShotAsync(officer, "05-officer-dossier");

        // The window closes at the deadline (an automatic trigger, never a button): the clock passes it and the sweeper fires it.
        // Six weeks later every 8-hour session has expired (cookie auth uses the same clock): sign in again.
        await host.PassDeadlineAsync();
        (officerContext, officer) = await host.SignInAsync("Olivia Officer");
        await using var officerLater = officerContext;
        (genkContext, genk) = await host.SignInAsync("Genk");
        await using var genkLater = genkContext;
        await officer.GotoAsync($"/dossiers/{host.CallDossierId:D}");
        await Assertions.Expect(officer.Locator("[data-testid=state]")).ToHaveAttributeAsync("data-state", "submissions-closed");
        await officer.ClickAsync("button[data-trigger=start-allocation]");
        await Assertions.Expect(officer.Locator("[data-testid=state]")).ToHaveAttributeAsync("data-state", "allocating");
        await officer.ClickAsync("#preview-allocation");
        await Assertions.Expect(officer.Locator("#allocation-preview")).ToContainTextAsync("62.000,00");
        await officer.ClickAsync("#confirm-allocation");
        await Assertions.Expect(officer.Locator("[data-testid=state]")).ToHaveAttributeAsync("data-state", "allocated");
        await Assertions.Expect(officer.Locator("[data-testid=allocated]")).ToContainTextAsync("62.000,00");
        await officer.ClickAsync("#award-all");
        await Assertions.Expect(officer.Locator(".msg.ok")).ToContainTextAsync("1 dossier toegekend");
        await UiHost.ShotAsync(officer, "06-call-page");
        // The same post again (a double click, or back and resubmit): nothing is left to award, and the page says so
        // in words instead of "0 dossiers toegekend".
        await officer.EvaluateAsync("""
            () => {
                const token = document.querySelector('input[name=__RequestVerificationToken]').value;
                const form = document.createElement('form');
                form.method = 'post';
                form.action = location.pathname + '?handler=AwardAll';
                const field = document.createElement('input');
                field.type = 'hidden'; field.name = '__RequestVerificationToken'; field.value = token;
                form.appendChild(field);
                document.body.appendChild(form);
                form.submit();
            }
            """);
        await Assertions.Expect(officer.Locator(".msg.ok")).ToContainTextAsync("Er wachten geen aanvragen met een toegewezen bedrag meer op toekenning.");
        Assert.Equal(1, await host.ScalarAsync("SELECT count(*) FROM dossier WHERE id = $1 AND state = 'awarded'", dossierId));
        await officer.ClickAsync("#open-dashboard");
        await Assertions.Expect(officer.Locator("#per-action")).ToContainTextAsync("30.000,00");
        await Assertions.Expect(officer.Locator("[data-testid=submitters]")).ToHaveTextAsync("1");
        Assert.Equal(1, await host.ScalarAsync("SELECT count(*) FROM dossier WHERE id = $1 AND state = 'awarded'", dossierId));

        // Municipality: the award letter, then its PDF.
        await genk.GotoAsync(dossierUrl);
        await genk.ClickAsync("#letters a[data-template=award-decision]");
        await Assertions.Expect(genk.Locator("#letter-subject")).Not.ToBeEmptyAsync();
        await UiHost.ShotAsync(genk, "07-award-letter");
        var frame = genk.FrameLocator("iframe.letter");
        await Assertions.Expect(frame.Locator("body")).ToContainTextAsync("62.000,00");
        var pdfUrl = await genk.Locator("#download-pdf").GetAttributeAsync("href");
        var pdf = await genkContext.APIRequest.GetAsync(pdfUrl!);
        Assert.Equal(200, pdf.Status);
        var bytes = await pdf.BodyAsync();
        Assert.Equal("%PDF", System.Text.Encoding.ASCII.GetString(bytes, 0, 4));
        Assert.Equal(1, await host.ScalarAsync("SELECT count(*) FROM journal WHERE dossier_id = $1 AND kind = 'letter.opened'", dossierId));
        await genk.ReloadAsync(); // opening it again records nothing new
        Assert.Equal(1, await host.ScalarAsync("SELECT count(*) FROM journal WHERE dossier_id = $1 AND kind = 'letter.opened'", dossierId));

        // Auditor: replay, no actions.
        var (auditorContext, auditor) = await host.SignInAsync("Aurelie Auditor");
        await using var ___ = auditorContext;
        await auditor.GotoAsync(dossierUrl);
        await Assertions.Expect(auditor.Locator("#h-actions")).ToHaveCountAsync(0);
        await auditor.ClickAsync("#replay");
        await Assertions.Expect(auditor.Locator("#replay-result")).ToHaveAttributeAsync("data-ok", "true");
        await UiHost.ShotAsync(auditor, "08-auditor-replay");

        // The Government decision is recorded once, on the call (a generated date form); confirming the award reads it
        // from there (no date to type on the application). Then in April 2024 Genk files its interim report.
        await officer.GotoAsync($"/dossiers/{host.CallDossierId:D}");
        await officer.FillAsync("#record-government-decision-date", "10/07/2023");
        await officer.ClickAsync("button[data-trigger=record-government-decision]");
        await Assertions.Expect(officer.Locator("[data-testid=state]")).ToHaveAttributeAsync("data-state", "decided");
        await officer.GotoAsync(dossierUrl);
        await Assertions.Expect(officer.Locator("#confirm-award-governmentDecisionDate")).ToHaveCountAsync(0);
        await officer.ClickAsync("button[data-trigger=confirm-award]");
        await Assertions.Expect(officer.Locator("[data-testid=state]")).ToHaveAttributeAsync("data-state", "running");
        host.Clock.JumpTo(new DateTimeOffset(2024, 4, 10, 10, 0, 0, TimeSpan.FromHours(2)));
        var (genkAprilContext, genkApril) = await host.SignInAsync("Genk");
        await using var genkAprilScope = genkAprilContext;
        await genkApril.GotoAsync(dossierUrl);
        await genkApril.FillAsync("#realised_2\\.1", "60");
        await genkApril.FillAsync("#realised_5\\.4", "10");
        await UiHost.ShotAsync(genkApril, "10-interim-report-form");
        await genkApril.ClickAsync("#report-form button[type=submit]");
        await Assertions.Expect(genkApril.Locator("[data-testid=state]")).ToHaveAttributeAsync("data-state", "interim-review");
    }
}
