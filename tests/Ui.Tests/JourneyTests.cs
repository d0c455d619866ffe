using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace SubsidyEngine.Ui.Tests;

/// <summary>
/// Issue 20 part B, every step in the browser from the user's side: the municipality starts a cooperation by picking
/// authorities by name with a live check against the threshold and the bonus; the table shows the required own
/// contribution and a cap note while typing, and a refused submit keeps what was typed; the officer asks for
/// information, the municipality reads the questions next to the answer form and answers, the officer reads the
/// answer and declares the application eligible, after which both see the figures and reasons; the portal's list
/// shows the next step, the nearest deadline and the unread letters; the officer opens a call from the board.
/// Screenshots go to TestResults/screenshots (30-*).
/// </summary>
public sealed class JourneyTests(UiHost host) : IClassFixture<UiHost>
{
    [Fact]
    public async Task A_cooperation_is_picked_by_name_the_table_helps_while_typing_and_the_information_request_and_eligibility_are_readable_on_both_sides()
    {
        var (genkContext, genk) = await host.SignInAsync("Genk");
        await using var _ = genkContext;
        var form = genk.Locator("form.start-application[data-call='2023']");

        // Pick As by name: Hasselt region, 33,323 + 525 residents of non-EU-14 origin, the bonus applies.
        await form.Locator(".picker-search").FillAsync("As");
        await form.Locator("button[data-add='71002']").ClickAsync();
        await Assertions.Expect(form.Locator(".picker-chosen li[data-id='71002']")).ToContainTextAsync("As (Hasselt)");
        await Assertions.Expect(form.Locator("[data-testid=check-sum]")).ToHaveTextAsync("33.848");
        await Assertions.Expect(form.Locator("[data-testid=check-threshold]")).ToContainTextAsync("meer dan 7.500 — bereikt");
        await Assertions.Expect(form.Locator("[data-testid=check-bonus]")).ToHaveTextAsync("van toepassing");
        await Assertions.Expect(form.Locator("[data-testid=check-verdict]")).ToHaveClassAsync(new Regex("ok"));

        // Antwerpen lies in another reference region: the check says so, until it is removed again.
        await form.Locator(".picker-search").FillAsync("Antw");
        await form.Locator("button[data-add='11002']").ClickAsync();
        await Assertions.Expect(form.Locator("[data-testid=check-region]")).ToContainTextAsync("nee");
        await Assertions.Expect(form.Locator("[data-testid=check-verdict]")).ToHaveClassAsync(new Regex("err"));
        await Assertions.Expect(form.Locator(".cooperation-check .reasons")).ToContainTextAsync("één referentieregio");
        await UiHost.ShotAsync(genk, "30-portal-cooperation-picker");
        await form.Locator("button[aria-label='Verwijderen: Antwerpen']").ClickAsync();
        await Assertions.Expect(form.Locator("[data-testid=check-verdict]")).ToHaveClassAsync(new Regex("ok"));
        await form.Locator("button[data-call='plan-samenleven/2023']").ClickAsync();
        await UiHost.UrlAsync(genk, new Regex("/dossiers/[0-9a-f-]{36}$"));
        var dossierUrl = new Uri(genk.Url).AbsolutePath;

        // The table: the required own contribution per row and in total (1:1), the cap at the maximum (3.1: 23).
        await Assertions.Expect(genk.Locator("#planned_3\\.1")).ToHaveAttributeAsync("max", "10000000");
        await Assertions.Expect(genk.Locator("#priority_2\\.1")).ToHaveAttributeAsync("min", "1");
        await genk.FillAsync("#planned_2\\.1", "500");
        await genk.FillAsync("#priority_2\\.1", "1");
        await genk.FillAsync("#local_2\\.1", "30000");
        await genk.FillAsync("#planned_3\\.1", "30");
        await genk.FillAsync("#priority_3\\.1", "2");
        await Assertions.Expect(genk.Locator("[data-testid='required-2.1']")).ToContainTextAsync("30.000,00");
        await Assertions.Expect(genk.Locator("[data-testid='required-3.1']")).ToContainTextAsync("13.800,00");
        await Assertions.Expect(genk.Locator("#live-required-total")).ToContainTextAsync("43.800,00");
        await Assertions.Expect(genk.Locator("#cap_3\\.1")).ToHaveTextAsync("Boven het maximum: alleen 23 wordt gefinancierd.");
        await UiHost.ShotAsync(genk, "31-application-contribution-and-cap");
        Assert.Empty(await UiHost.ScreenProblemsAsync(genk)); // the nine columns fit the card (they stuck out by 28 px)

        // Submitting without the confirmation tick: refused with the reason, and nothing typed is lost.
        await genk.ClickAsync("#submit-application");
        await Assertions.Expect(genk.Locator(".msg.err")).ToContainTextAsync("bevestiging");
        await Assertions.Expect(genk.Locator("#planned_2\\.1")).ToHaveValueAsync("500");
        await Assertions.Expect(genk.Locator("#local_2\\.1")).ToHaveValueAsync("30000");
        await Assertions.Expect(genk.Locator("#planned_3\\.1")).ToHaveValueAsync("30");
        await Assertions.Expect(genk.Locator("#cap_3\\.1")).Not.ToBeEmptyAsync();
        await UiHost.ShotAsync(genk, "32-refused-submit-keeps-values");

        await genk.FillAsync("#local_3\\.1", "13800");
        await genk.CheckAsync("#confirm");
        await genk.ClickAsync("#submit-application");
        await Assertions.Expect(genk.Locator("[data-testid=state]")).ToHaveAttributeAsync("data-state", "submitted");

        // The officer asks for information (a generated form whose inputs carry the schema's constraints).
        var (officerContext, officer) = await host.SignInAsync("Olivia Officer");
        await using var __ = officerContext;
        await officer.GotoAsync(dossierUrl);
        await Assertions.Expect(officer.Locator("#request-information-questions")).ToHaveAttributeAsync("maxlength", "8000");
        await officer.FillAsync("#request-information-questions", "Welke partners werken mee aan actie 3.1?");
        await officer.FillAsync("#request-information-deadline", "20/06/2023");
        await officer.ClickAsync("button[data-trigger=request-information]");
        await Assertions.Expect(officer.Locator("[data-testid=state]")).ToHaveAttributeAsync("data-state", "information-requested");
        await Assertions.Expect(officer.Locator("#ir-waiting")).ToBeVisibleAsync();

        // The portal's list: the next step expected from Genk, the deadline, the unread letter.
        await genk.GotoAsync("/portal");
        var row = genk.Locator("#my-dossiers tbody tr").First;
        await Assertions.Expect(row.Locator("[data-testid=next]")).ToContainTextAsync("Informatie bezorgen");
        await Assertions.Expect(row.Locator("[data-testid=deadline]")).ToContainTextAsync("20 juni 2023");
        await Assertions.Expect(row.Locator("[data-testid=unopened]")).ToContainTextAsync("nieuwe brie");
        await UiHost.ShotAsync(genk, "33-portal-list");
        Assert.Empty(await UiHost.ScreenProblemsAsync(genk)); // the calendar card stood inside the call's card

        // Genk reads the questions next to the answer form, and answers.
        await genk.GotoAsync(dossierUrl);
        await Assertions.Expect(genk.Locator("#ir-questions")).ToHaveTextAsync("Welke partners werken mee aan actie 3.1?");
        await Assertions.Expect(genk.Locator("#information-request #answer-information-answer")).ToBeVisibleAsync();
        await UiHost.ShotAsync(genk, "34-information-request-municipality");
        await genk.FillAsync("#answer-information-answer", "Het OCMW en twee scholen.");
        await genk.ClickAsync("button[data-trigger=answer-information]");
        await Assertions.Expect(genk.Locator("[data-testid=state]")).ToHaveAttributeAsync("data-state", "submitted");

        // The officer reads the answer and declares the application eligible; the outcome shows its figures.
        await officer.GotoAsync(dossierUrl);
        await Assertions.Expect(officer.Locator("#ir-answer")).ToHaveTextAsync("Het OCMW en twee scholen.");
        await officer.ClickAsync("#declare-eligible");
        await Assertions.Expect(officer.Locator("[data-testid=state]")).ToHaveAttributeAsync("data-state", "eligible");
        var outcome = officer.Locator("#eligibility-outcome");
        await Assertions.Expect(outcome).ToHaveAttributeAsync("data-passed", "true");
        await Assertions.Expect(outcome.Locator("[data-testid=el-combined]")).ToHaveTextAsync("33.848");
        await Assertions.Expect(outcome.Locator("[data-testid=el-threshold]")).ToContainTextAsync("meer dan 7.500");
        await Assertions.Expect(outcome.Locator("[data-testid=el-regions]")).ToContainTextAsync("Hasselt");
        await Assertions.Expect(outcome.Locator("[data-testid=el-one-application]")).ToContainTextAsync("ja");
        await Assertions.Expect(outcome.Locator("[data-testid=el-bonus]")).ToHaveTextAsync("van toepassing");
        await Assertions.Expect(officer.Locator("#el-members")).ToContainTextAsync("As");
        // "Budget toewijzen" is the call page's step: its dossier-level reason is not shown as a dossier action.
        await Assertions.Expect(officer.Locator("#h-actions ~ *", new() { HasTextString = "Budget toewijzen" })).ToHaveCountAsync(0);
        await UiHost.ShotAsync(officer, "35-eligibility-outcome");
        await genk.GotoAsync(dossierUrl);
        await Assertions.Expect(genk.Locator("#eligibility-outcome [data-testid=el-bonus]")).ToHaveTextAsync("van toepassing");
    }

    [Fact]
    public async Task The_officer_opens_a_call_from_the_board_and_a_call_in_preparation_is_not_offered_to_municipalities()
    {
        var (officerContext, officer) = await host.SignInAsync("Olivia Officer");
        await using var _ = officerContext;
        await officer.GotoAsync("/board");
        await Assertions.Expect(officer.Locator("#unopened-calls")).ToContainTextAsync("2024");
        await UiHost.ShotAsync(officer, "36-board-unopened-calls");
        await officer.ClickAsync("button[data-open-call='plan-samenleven/2024']");
        await UiHost.UrlAsync(officer, new Regex("/dossiers/[0-9a-f-]{36}$"));
        await Assertions.Expect(officer.Locator("[data-testid=state]")).ToHaveAttributeAsync("data-state", "draft");
        // Its window opens in 2024: no button to open it for applications yet, and the actions card says why it is empty.
        await Assertions.Expect(officer.Locator("#open-window-form")).ToHaveCountAsync(0);
        await Assertions.Expect(officer.Locator("#no-actions")).ToBeVisibleAsync();
        await officer.GotoAsync("/board");
        await Assertions.Expect(officer.Locator("button[data-open-call='plan-samenleven/2024']")).ToHaveCountAsync(0);

        // The municipality is offered the opened 2023 call only.
        var (genkContext, genk) = await host.SignInAsync("Antwerpen");
        await using var __ = genkContext;
        await Assertions.Expect(genk.Locator("form.start-application")).ToHaveCountAsync(1);
        await Assertions.Expect(genk.Locator("form.start-application[data-call='2023']")).ToHaveCountAsync(1);
    }

    [Fact]
    public async Task The_dossier_page_draws_its_workflow_with_the_path_highlighted_and_the_versions_page_shows_what_changed()
    {
        var dossier = await host.StartApplicationAsync("44021"); // Gent: a draft
        var (context, gent) = await host.SignInAsync("Gent");
        await using var _ = context;
        await gent.GotoAsync($"/dossiers/{dossier:D}");
        var svg = gent.Locator("#diagram svg#workflow-diagram");
        await Assertions.Expect(svg).ToHaveAttributeAsync("role", "img");
        await Assertions.Expect(svg.Locator("g.state.current")).ToHaveAttributeAsync("data-state", "draft");
        await Assertions.Expect(svg.Locator("g.state.current title")).ToContainTextAsync("Ontwerp");
        await Assertions.Expect(gent.Locator("#diagram-path li[aria-current=step]")).ToContainTextAsync("Ontwerp");
        await UiHost.ShotAsync(gent, "37-dossier-diagram");

        await gent.ClickAsync("#workflow-versions");
        await UiHost.UrlAsync(gent, new Regex("/workflows/plan-samenleven/dossier$"));
        // Every published version of plan-samenleven/dossier (v5 since issue-17a: the extension's end from the call data).
        await Assertions.Expect(gent.Locator("#versions section.version")).ToHaveCountAsync(5);
        await Assertions.Expect(gent.Locator("#versions svg")).ToHaveCountAsync(5);
        await Assertions.Expect(gent.Locator("#changes-v2 tr[data-kind]").First).ToBeVisibleAsync();
        await UiHost.ShotAsync(gent, "38-workflow-versions");
    }
}
