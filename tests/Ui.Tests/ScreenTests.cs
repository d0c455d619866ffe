using System.Text;
using System.Text.RegularExpressions;
using ClosedXML.Excel;
using Microsoft.Playwright;

namespace SubsidyEngine.Ui.Tests;

/// <summary>
/// The officers' and auditors' screens in a real browser over one awarded dossier with an interim report
/// (<see cref="UiHost.InterimReportScenarioAsync"/>): the call dashboard with its SVG charts, CSV and XLSX exports
/// downloaded and opened, report review, the failed-notice retry and a deadline extension, the migration dry run,
/// and the auditor's "state as of a date". Screenshots go to TestResults/screenshots (20-*).
/// </summary>
public sealed class ScreenTests(UiHost host) : IClassFixture<UiHost>
{
    [Fact]
    public async Task The_dashboard_draws_svg_charts_with_the_numbers_and_the_exports_download_as_csv_and_xlsx()
    {
        var dossier = await host.InterimReportScenarioAsync();
        var (context, officer) = await host.SignInAsync("Olivia Officer");
        await using var _ = context;
        await officer.GotoAsync("/board");
        await officer.ClickAsync("a[data-dashboard='2023']");
        await UiHost.UrlAsync(officer, new Regex("/calls/[0-9a-f-]{36}/dashboard$"));
        await Assertions.Expect(officer.Locator("svg#chart-budget title")).ToHaveCountAsync(6); // the chart's title + one per bar
        await Assertions.Expect(officer.Locator("svg#chart-budget")).ToHaveAttributeAsync("role", "img");
        await Assertions.Expect(officer.Locator("svg#chart-kpi")).ToBeVisibleAsync();
        await Assertions.Expect(officer.Locator("#budget-table [data-testid=budget-3]")).ToHaveTextAsync("€ 62.000,00"); // awarded
        await Assertions.Expect(officer.Locator("#per-action")).ToContainTextAsync("30.000,00");
        await Assertions.Expect(officer.Locator("[data-testid=submitters]")).ToHaveTextAsync("1");
        var kpi = officer.Locator("#kpi-table tr[data-action='2.1'] td");
        await Assertions.Expect(kpi.Nth(1)).ToHaveTextAsync("500"); // pledged
        await Assertions.Expect(kpi.Nth(2)).ToHaveTextAsync("60");  // realised (interim)
        await UiHost.ShotAsync(officer, "20-call-dashboard");

        // XLSX: amounts are numeric cells with a euro format.
        var xlsx = await officer.RunAndWaitForDownloadAsync(() => officer.ClickAsync("#exports a[data-export=awards-xlsx]"));
        Assert.EndsWith(".xlsx", xlsx.SuggestedFilename, StringComparison.Ordinal);
        var xlsxPath = Path.Combine(UiHost.ScreenshotFolder, "awards.xlsx");
        await xlsx.SaveAsAsync(xlsxPath);
        using (var workbook = new XLWorkbook(xlsxPath))
        {
            var sheet = workbook.Worksheet(1);
            var header = sheet.Row(1).CellsUsed().Select(c => c.GetString()).ToList();
            var row = sheet.RowsUsed().Skip(1).Single(r => r.Cell(header.IndexOf("dossier_id") + 1).GetString() == dossier.ToString("D"));
            var awarded = row.Cell(header.IndexOf("awarded_eur") + 1);
            Assert.Equal(XLDataType.Number, awarded.DataType);
            Assert.Equal(62000m, awarded.GetValue<decimal>());
            Assert.Contains("€", awarded.Style.NumberFormat.Format, StringComparison.Ordinal);
            var advance = row.Cell(header.IndexOf("advance_eur") + 1);
            Assert.Equal(XLDataType.Number, advance.DataType);
            Assert.InRange(advance.GetValue<decimal>(), 0.01m, 62000m);
        }

        // CSV: UTF-8 with BOM, ';' separator, invariant decimal point.
        var csv = await officer.RunAndWaitForDownloadAsync(() => officer.ClickAsync("#exports a[data-export=dossiers-csv]"));
        var csvPath = Path.Combine(UiHost.ScreenshotFolder, "dossiers.csv");
        await csv.SaveAsAsync(csvPath);
        var bytes = await File.ReadAllBytesAsync(csvPath);
        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, bytes[..3]);
        var lines = Encoding.UTF8.GetString(bytes[3..]).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("dossier_id;reference;title;programme;call;owner;", lines[0], StringComparison.Ordinal);
        var line = Assert.Single(lines, l => l.StartsWith(dossier.ToString("D"), StringComparison.Ordinal));
        Assert.Contains(";62000.00;62000.00;62000.00;", line, StringComparison.Ordinal); // requested, allocated, awarded
    }

    [Fact]
    public async Task An_officer_reviews_the_interim_report_and_decides_the_continuation()
    {
        var dossier = await host.InterimReportScenarioAsync();
        var (context, officer) = await host.SignInAsync("Olivia Officer");
        await using var _ = context;
        await officer.GotoAsync("/reports");
        var card = officer.Locator($"section.report[data-dossier='{dossier:D}']");
        await Assertions.Expect(card.Locator("tr[data-action='2.1'] td").Nth(0)).ToHaveTextAsync("500");
        await Assertions.Expect(card.Locator("tr[data-action='2.1'] td").Nth(1)).ToHaveTextAsync("60");
        await Assertions.Expect(card.Locator("tr[data-action='2.1'] td").Nth(2)).ToHaveTextAsync("12 %");
        // The action by its name from the call, not by its code alone, in the table and on the motivation's checkbox.
        await Assertions.Expect(card.Locator("tr[data-action='2.1'] th")).ToHaveTextAsync("2.1 Anderstalige volwassenen nemen deel aan een oefenkans Nederlands");
        await Assertions.Expect(card.Locator("label[for$='accept-2.1']")).ToHaveTextAsync("2.1 Anderstalige volwassenen nemen deel aan een oefenkans Nederlands");
        await UiHost.ShotAsync(officer, "21-report-review");
        await card.Locator("input[name=accepted][value='2.1']").CheckAsync();
        await card.Locator("button[data-trigger=decide-continuation]").ClickAsync();
        await Assertions.Expect(officer.Locator(".msg.ok")).ToContainTextAsync("Uitgevoerd");
        Assert.Equal(1, await host.ScalarAsync("SELECT count(*) FROM dossier WHERE id = $1 AND state = 'continued' AND data #> '{continuationInput,motivationsAccepted}' = '[\"2.1\"]'::jsonb", dossier));
        await Assertions.Expect(officer.Locator($"section.report[data-dossier='{dossier:D}']")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task An_officer_retries_a_failed_notice_and_extends_a_deadline()
    {
        var dossier = await host.InterimReportScenarioAsync();
        // A delivery that failed for good (the relay refused the address): the state the dispatcher leaves behind.
        var notice = await host.GuidAsync(
            "UPDATE notice SET status = 'failed', last_error = '550 5.1.1 mailbox unavailable', failed_at = now() " +
            "WHERE id = (SELECT id FROM notice WHERE dossier_id = $1 ORDER BY created_at, id LIMIT 1) RETURNING id", dossier);
        var (context, officer) = await host.SignInAsync("Olivia Officer");
        await using var _ = context;
        await officer.GotoAsync("/notices");
        var row = officer.Locator($"tr[data-notice='{notice:D}']");
        await Assertions.Expect(row).ToContainTextAsync("550 5.1.1 mailbox unavailable");
        await UiHost.ShotAsync(officer, "22-failed-notices");
        await row.Locator("button[data-retry]").ClickAsync();
        await Assertions.Expect(officer.Locator(".msg.ok")).ToContainTextAsync("Opnieuw in de wachtrij gezet");
        await Assertions.Expect(officer.Locator($"tr[data-notice='{notice:D}']")).ToHaveCountAsync(0);
        Assert.Equal(0, await host.ScalarAsync("SELECT count(*) FROM notice WHERE id = $1 AND status = 'failed'", notice));
        Assert.Equal(1, await host.ScalarAsync("SELECT count(*) FROM journal WHERE dossier_id = $1 AND kind = 'notice.requeued'", dossier));

        // The dossier's deadlines: extend the final report to 31 December 2026 with a reason.
        await officer.FillAsync("#dossier-q", dossier.ToString("D"));
        await officer.ClickAsync("#h-deadlines ~ form button[type=submit]");
        var finalReport = officer.Locator("tr[data-deadline='final-report']");
        await finalReport.Locator("input[name=newDue]").FillAsync("31/12/2026"); // day/month/year, whatever the browser's locale
        await finalReport.Locator("input[name=reason]").FillAsync("Vertraging door overmacht");
        await finalReport.Locator("button[data-extend]").ClickAsync();
        await Assertions.Expect(officer.Locator(".msg.ok")).ToContainTextAsync("Termijn verlengd");
        await Assertions.Expect(officer.Locator("[data-testid=due-final-report]")).ToContainTextAsync("31 december 2026");
        await UiHost.ShotAsync(officer, "23-deadline-extended");
        Assert.Empty(await UiHost.ScreenProblemsAsync(officer)); // the search field showed the typed id, now the reference
        Assert.Equal(1, await host.ScalarAsync("SELECT count(*) FROM journal WHERE dossier_id = $1 AND kind = 'deadline.extended'", dossier));
    }

    [Fact]
    public async Task An_officer_dry_runs_the_extension_migration_and_only_an_admin_may_apply_it()
    {
        var dossier = await host.InterimReportScenarioAsync();
        var (context, officer) = await host.SignInAsync("Olivia Officer");
        await using var _ = context;
        await officer.GotoAsync("/migrations");
        await officer.ClickAsync("button[data-dry-run='plan-samenleven-extension-2025-v3']");
        var move = officer.Locator($"#plan-moves tr[data-dossier='{dossier:D}']");
        await Assertions.Expect(move).ToHaveClassAsync("movable");
        await Assertions.Expect(move).ToContainTextAsync("Verlengd", new LocatorAssertionsToContainTextOptions { IgnoreCase = true });
        await Assertions.Expect(officer.Locator("#apply-admin-only")).ToBeVisibleAsync();
        await Assertions.Expect(officer.Locator("#apply-form")).ToHaveCountAsync(0);
        await UiHost.ShotAsync(officer, "24-migration-dry-run");
        Assert.Equal(1, await host.ScalarAsync("SELECT count(*) FROM dossier WHERE id = $1 AND workflow_version = 3", dossier));

        var (adminContext, admin) = await host.SignInAsync("Adam Admin");
        await using var __ = adminContext;
        await admin.GotoAsync("/migrations");
        await admin.ClickAsync("button[data-dry-run='plan-samenleven-extension-2025-v3']");
        await Assertions.Expect(admin.Locator("#apply-form")).ToBeVisibleAsync();
        await admin.ClickAsync("#apply-migration"); // without the confirmation: refused
        await Assertions.Expect(admin.Locator(".msg.err")).ToContainTextAsync("bevestiging");
        Assert.Equal(1, await host.ScalarAsync("SELECT count(*) FROM dossier WHERE id = $1 AND workflow_version = 3", dossier));
    }

    [Fact]
    public async Task An_auditor_sees_the_dossier_as_of_a_date_and_the_chain_verification()
    {
        var dossier = await host.InterimReportScenarioAsync();
        var (context, auditor) = await host.SignInAsync("Aurelie Auditor");
        await using var _ = context;
        await auditor.GotoAsync("/audit/as-of");
        await auditor.FillAsync("#asof-dossier", dossier.ToString("D"));
        await auditor.FillAsync("#asof-at", "01/06/2023 12:00");
        await auditor.ClickAsync("#asof-show");
        await Assertions.Expect(auditor.Locator("[data-testid=asof-state]")).ToHaveAttributeAsync("data-state", "eligible");
        await Assertions.Expect(auditor.Locator("#asof-amounts tr[data-field='amounts.requestedTotalEur']")).ToContainTextAsync("62.000,00");
        await Assertions.Expect(auditor.Locator("#asof-amounts tr[data-field='payment.awardEur']")).ToHaveCountAsync(0); // not awarded yet then
        await Assertions.Expect(auditor.Locator("#chain-result")).ToHaveAttributeAsync("data-ok", "true");
        await UiHost.ShotAsync(auditor, "25-as-of");
        Assert.Empty(await UiHost.ScreenProblemsAsync(auditor));

        await auditor.FillAsync("#asof-at", "01/01/2024 00:00");
        await auditor.ClickAsync("#asof-show");
        await Assertions.Expect(auditor.Locator("[data-testid=asof-state]")).ToHaveAttributeAsync("data-state", "running");
        await Assertions.Expect(auditor.Locator("#asof-amounts tr[data-field='payment.awardEur']")).ToContainTextAsync("62.000,00");
        await Assertions.Expect(auditor.Locator("#asof-letters a[data-template=award-decision]")).ToHaveCountAsync(1);
        await Assertions.Expect(auditor.Locator("#asof-deadlines tr[data-kind=final-report]")).ToHaveCountAsync(1);

        await auditor.FillAsync("#asof-at", "01/05/2023 00:00");
        await auditor.ClickAsync("#asof-show");
        await Assertions.Expect(auditor.Locator("#as-of-none")).ToBeVisibleAsync();
    }
}
