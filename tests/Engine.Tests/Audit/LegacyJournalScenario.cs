using System.Text.Json.Nodes;
using SubsidyEngine.Engine.Audit;
using SubsidyEngine.Engine.Configuration;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Engine.Letters;
using SubsidyEngine.Engine.Mail;
using SubsidyEngine.Engine.Notices;
using SubsidyEngine.Engine.Tests.Programmes;
using SubsidyEngine.Pdf;
using SubsidyEngine.Testing;

namespace SubsidyEngine.Engine.Tests.Audit;

/// <summary>
/// A year-2 application of Genk (with As in copy) from submission to closure, with an information request on a date,
/// reminders, a lapse, the interim and final reports, a recovery with its 30-day reaction period and every letter
/// delivered (to .eml files), plus an ineligible application of As. The day-by-day sweeps run as a server runs them.
/// Run with <c>WRITE_LEGACY_FIXTURE=&lt;file&gt;</c>, it also writes the database as a <see cref="LegacyJournal"/>
/// fixture: <c>Audit/Fixtures/before-issue-19.json</c> was written so on commit dbdf09e (before deadline dates became
/// Brussels days and before the second letter versions).
/// </summary>
public sealed class LegacyJournalScenario(PostgresDatabase db) : IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    public async Task InitializeAsync() => await db.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_year_of_a_dossier_with_every_kind_of_deadline_and_letter_replays_cleanly()
    {
        var h = new ProgrammeHarness(db, new DateTimeOffset(2023, 5, 26, 7, 0, 0, TimeSpan.Zero));
        var officer = ProgrammeHarness.Officer;
        var genk = ProgrammeHarness.Municipality("71016");
        var @as = ProgrammeHarness.Municipality("71002");
        var outbox = TestCluster.NewTempFolder("legacy-outbox");
        var options = new SubsidyOptions { Notices = new NoticeOptions() };
        await using var pdf = new PdfRenderer();
        var letters = new NoticeLetters(new JournalStore(db.DataSource), h.Catalog, new LetterModelBuilder(ProgrammeHarness.Programmes, LetterSettings.Default("http://127.0.0.1:5080") with { AgencyIban = LetterSettings.PlaceholderAgencyIbanBefore20261207 }), new Templates.LetterRenderer());
        var composer = new TemplateNoticeComposer(letters, ProgrammeHarness.Programmes, pdf, options.Notices);
        var dispatcher = new NoticeDispatcher(db.DataSource, h.Runtime, composer, new EmlFileMailTransport(outbox, h.Clock, new MessageComposer(options.Smtp)), h.Clock, options.Notices);
        var reminders = new ReminderSweeper(db.DataSource, h.Runtime, h.Clock, options.Notices);

        // The sweeps of a server, once a day at 07:00 UTC, up to and including the given day.
        async Task RunUntilAsync(int y, int m, int d)
        {
            var until = new DateTimeOffset(y, m, d, 7, 0, 0, TimeSpan.Zero);
            while (h.Clock.GetUtcNow() < until)
            {
                h.Clock.Advance(TimeSpan.FromDays(1));
                await h.Sweeper.FireDueTimeoutsAsync();
                await reminders.SweepAsync();
                await dispatcher.DispatchDueAsync();
            }
        }

        var call = await h.Service.OpenCallAsync("plan-samenleven", "2023", officer);
        await RunUntilAsync(2023, 5, 27);
        var app = (await h.Service.StartApplicationAsync("plan-samenleven", "2023", "71016", ["71002"], genk)).DossierId;
        await h.FireAsync(app, "save-draft", new JsonObject { ["application"] = ProgrammeHarness.Application(("2.1", 500, 1, 60m), ("5.4", 100, 2, 320m)), ["participants"] = new JsonArray("71002") }, genk);
        await h.FireAsync(app, "submit", null, genk);
        var alone = (await h.Service.StartApplicationAsync("plan-samenleven", "2023", "71002", [], @as)).DossierId;
        await h.FireAsync(alone, "save-draft", new JsonObject { ["application"] = ProgrammeHarness.Application(("2.1", 100, 1, 60m)) }, @as);
        await h.FireAsync(alone, "submit", null, @as);
        await RunUntilAsync(2023, 6, 1);
        await h.FireAsync(app, "request-information", new JsonObject { ["questions"] = "Hoe bereikt u de beoogde 500 deelnemers?", ["deadline"] = "2023-06-22" }, officer);
        await h.Service.DecideEligibilityAsync(alone, false, "Minder dan 7.500 inwoners van niet-EU-14-herkomst", officer);
        await RunUntilAsync(2023, 6, 26); // reminders, then the information period lapses
        await h.Service.DecideEligibilityAsync(app, true, null, officer);
        await RunUntilAsync(2023, 7, 11); // the window closes
        await h.FireAsync(call.DossierId, "start-allocation", null, officer);
        await h.Service.ConfirmAllocationAsync(call.DossierId, officer);
        await h.FireAsync(app, "award", null, officer);
        await RunUntilAsync(2023, 9, 25);
        await h.FireAsync(call.DossierId, "record-government-decision", new JsonObject { ["date"] = "2023-09-22" }, officer);
        await h.FireAsync(app, "confirm-award", null, officer);
        await RunUntilAsync(2024, 4, 30); // interim reminders, due day and two overdue reminders
        await h.FireAsync(app, "report-interim", new JsonObject { ["realised"] = new JsonObject { ["2.1"] = 60, ["5.4"] = 10 } }, genk);
        await h.FireAsync(app, "decide-continuation", new JsonObject { ["motivationsAccepted"] = new JsonArray("5.4") }, officer);
        await RunUntilAsync(2024, 10, 16);
        await h.FireAsync(app, "report-final", new JsonObject { ["realised"] = new JsonObject { ["2.1"] = 100, ["5.4"] = 20 } }, genk);
        await RunUntilAsync(2024, 10, 17);
        h.Clock.Advance(TimeSpan.FromHours(7)); // 14:00 UTC: a reaction period counted from the middle of a day
        await h.FireAsync(app, "settle", null, officer);
        await RunUntilAsync(2024, 11, 18); // the reaction period ends
        await h.FireAsync(app, "decide-recovery", null, officer);
        await h.FireAsync(app, "close", null, officer);
        await RunUntilAsync(2024, 11, 19);

        Assert.Equal(0, await CountAsync("SELECT count(*) FROM notice WHERE status <> 'sent' AND status <> 'cancelled'"));
        var templates = await ListAsync("SELECT DISTINCT template_id FROM notice ORDER BY 1");
        Assert.Equal(
            ["acknowledgement", "award-decision", "award-final", "closure", "continuation-decision", "ineligibility-decision", "information-request",
             "recovery-preinformation", "report-reminder", "settlement-decision"],
            templates);
        var report = await new AuditReplay(h.Replayer, new LetterVerifier(db.DataSource, new JournalStore(db.DataSource), letters)).ReplayAllAsync(new ReplayAllOptions());
        Assert.True(report.Ok, report.OneLine + " " + string.Join("; ", report.LetterDivergences.Select(d => d.ToString())));

        if (Environment.GetEnvironmentVariable("WRITE_LEGACY_FIXTURE") is { Length: > 0 } path)
        {
            await File.WriteAllTextAsync(path, (await LegacyJournal.DumpAsync(db.DataSource)).ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = false }) + "\n");
        }

        TestCluster.TryDelete(outbox);
    }

    private async Task<long> CountAsync(string sql)
    {
        await using var cmd = db.DataSource.CreateCommand(sql);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync());
    }

    private async Task<List<string>> ListAsync(string sql)
    {
        await using var cmd = db.DataSource.CreateCommand(sql);
        await using var reader = await cmd.ExecuteReaderAsync();
        var list = new List<string>();
        while (await reader.ReadAsync())
        {
            list.Add(reader.GetString(0));
        }

        return list;
    }
}
