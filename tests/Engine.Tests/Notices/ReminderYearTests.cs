using Npgsql;
using SubsidyEngine.Engine.Audit;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Testing;

namespace SubsidyEngine.Engine.Tests.Notices;

/// <summary>A whole project year on a fake clock, one day at a time, with the sweeps a server would run.</summary>
public sealed class ReminderYearTests(PostgresDatabase db, SmtpTestServer smtp) : IClassFixture<PostgresDatabase>, IClassFixture<SmtpTestServer>, IAsyncLifetime
{
    private NoticeHarness h = null!;

    public async Task InitializeAsync()
    {
        await db.ResetAsync();
        smtp.Clear();
        h = new NoticeHarness(db, smtp);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_project_year_sends_every_reminder_once_on_its_day_and_fires_timeouts_once()
    {
        // 06:00 in Brussels in winter; the sweeps run once a day at 05:00 UTC.
        h.Clock.SetUtcNow(new DateTimeOffset(2024, 1, 1, 5, 0, 0, TimeSpan.Zero));
        var metEarly = (await h.CreateReportAsync("2024-03-31", owner: "genk", email: "secretariaat@genk.example.be")).DossierId;  // due on the DST switch
        var neglected = (await h.CreateReportAsync("2024-05-15", owner: "hasselt")).DossierId;
        var timed = (await h.CreateTimedAsync("2024-10-27", owner: "leuven")).DossierId;                                             // due on the DST end
        var extended = (await h.CreateReportAsync("2024-09-30", owner: "gent", email: "subsidies@gent.example.be")).DossierId;
        var timedExtended = (await h.CreateTimedAsync("2024-06-30", owner: "brugge")).DossierId;

        var sweeper = h.Runtime.Sweeper;
        var dispatcher = h.NewDispatcher();
        for (var day = new DateOnly(2024, 1, 1); day <= new DateOnly(2024, 12, 31); day = day.AddDays(1))
        {
            h.Clock.SetUtcNow(new DateTimeOffset(day.ToDateTime(new TimeOnly(5, 0)), TimeSpan.Zero));
            if (day == new DateOnly(2024, 3, 20))
            {
                await h.Runtime.FireAsync(metEarly, "submit");
            }
            else if (day == new DateOnly(2024, 7, 1))
            {
                await h.Runtime.FireAsync(neglected, "close");
            }
            else if (day == new DateOnly(2024, 9, 10))
            {
                await h.Reminders.ExtendAsync(await h.DeadlineOfAsync(extended), Brussels(2024, 11, 15), "Verslag vertraagd door personeelswissel", NoticeHarness.Officer);
            }
            else if (day == new DateOnly(2024, 6, 25))
            {
                await h.Reminders.ExtendAsync(await h.DeadlineOfAsync(timedExtended), Brussels(2024, 7, 31), "Gemeenteraad pas in juli", NoticeHarness.Officer);
            }

            await sweeper.FireDueTimeoutsAsync();
            await h.Reminders.SweepAsync();
            await dispatcher.DispatchDueAsync();
        }

        var reminders = await RemindersAsync();
        Assert.Equal(["before-30 2024-03-01"], reminders[metEarly]);
        Assert.Equal(
            ["before-30 2024-04-15", "before-7 2024-05-08", "due 2024-05-15", "overdue-1 2024-05-22", "overdue-2 2024-05-29",
             "overdue-3 2024-06-05", "overdue-4 2024-06-12", "overdue-5 2024-06-19", "overdue-6 2024-06-26"],
            reminders[neglected]);
        Assert.Equal(["before-30 2024-09-27", "before-7 2024-10-20", "due 2024-10-27"], reminders[timed]);
        // Extended on 10 September from 30 September to 15 November: the old before-7 and due days pass silently;
        // before-30 of the new date was already sent, so the next reminders are before-7 and due of the new date.
        Assert.Equal(
            ["before-30 2024-08-31", "before-7 2024-11-08", "due 2024-11-15", "overdue-1 2024-11-22", "overdue-2 2024-11-29",
             "overdue-3 2024-12-06", "overdue-4 2024-12-13", "overdue-5 2024-12-20", "overdue-6 2024-12-27"],
            reminders[extended]);
        Assert.Equal(["before-30 2024-05-31", "before-7 2024-06-23", "due 2024-07-31"], reminders[timedExtended]);

        // Timeouts fire once, at the first sweep after the (extended) due time.
        Assert.Equal([new DateOnly(2024, 10, 28)], await TimeoutDaysAsync(timed));
        Assert.Equal([new DateOnly(2024, 8, 1)], await TimeoutDaysAsync(timedExtended));
        Assert.Empty(await TimeoutDaysAsync(metEarly));

        // Every notice (reminders and the submit notice) was delivered once, and journaled once.
        var notices = await h.CountAsync("SELECT count(*) FROM notice");
        Assert.Equal(reminders.Values.Sum(r => r.Count) + 1, notices);
        Assert.Equal(notices, await h.CountAsync("SELECT count(*) FROM notice WHERE status = 'sent'"));
        Assert.Equal(notices, await h.CountAsync("SELECT count(*) FROM journal WHERE kind = 'notice.sent'"));
        var messages = await smtp.ReadMessagesAsync();
        Assert.Equal(notices, messages.Count);
        Assert.Equal(notices, messages.Select(m => m.Message.MessageId).Distinct().Count());

        // The reminder text follows the data: contact address when there is one, else the programme team.
        var toGenk = messages.Where(m => m.EnvelopeRecipients.Contains("secretariaat@genk.example.be")).ToList();
        Assert.Equal(2, toGenk.Count); // before-30 and the notice of the submission
        Assert.Contains(toGenk, m => (m.Message.Subject ?? string.Empty).Contains("verloopt over 30 dagen", StringComparison.Ordinal));
        Assert.All(messages.Where(m => m.Message.Headers[OutgoingHeader] == neglected.ToString("D")), m => Assert.Equal(["team@abb.example.be"], m.EnvelopeRecipients));

        // The journal of every dossier, with its notice.sent and deadline.extended records, replays cleanly.
        foreach (var id in new[] { metEarly, neglected, timed, extended, timedExtended })
        {
            var report = await h.Runtime.Replayer.ReplayAsync(id);
            Assert.True(report.Ok, report.First?.ToString());
        }

        Assert.Single(await h.RecordsAsync(extended, "deadline.extended"));
    }

    private const string OutgoingHeader = SubsidyEngine.Engine.Mail.OutgoingMessage.DossierHeader;

    private static DateTimeOffset Brussels(int y, int m, int d) => TransitionEffects.BrusselsEndOfDay(new DateOnly(y, m, d));

    /// <summary>Per dossier: "stage yyyy-MM-dd" (Brussels day the reminder was created), in creation order.</summary>
    private async Task<Dictionary<Guid, List<string>>> RemindersAsync()
    {
        var result = new Dictionary<Guid, List<string>>();
        await using var cmd = db.DataSource.CreateCommand(
            "SELECT dossier_id, offset_code, to_char(created_at AT TIME ZONE 'Europe/Brussels', 'YYYY-MM-DD') FROM reminder ORDER BY created_at, offset_code");
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var id = reader.GetGuid(0);
            if (!result.TryGetValue(id, out var list))
            {
                result[id] = list = [];
            }

            list.Add($"{reader.GetString(1)} {reader.GetString(2)}");
        }

        foreach (var (id, _) in await AllDossiersAsync())
        {
            result.TryAdd(id, []);
        }

        return result;
    }

    private async Task<List<(Guid, string)>> AllDossiersAsync()
    {
        var list = new List<(Guid, string)>();
        await using var cmd = db.DataSource.CreateCommand("SELECT id, state FROM dossier");
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            list.Add((reader.GetGuid(0), reader.GetString(1)));
        }

        return list;
    }

    private async Task<List<DateOnly>> TimeoutDaysAsync(Guid dossierId)
    {
        await using var cmd = db.DataSource.CreateCommand("SELECT occurred_at FROM journal WHERE dossier_id = $1 AND trigger = 'expire' ORDER BY seq");
        cmd.Parameters.AddWithValue(dossierId);
        await using var reader = await cmd.ExecuteReaderAsync();
        var days = new List<DateOnly>();
        while (await reader.ReadAsync())
        {
            days.Add(DateOnly.FromDateTime(reader.GetFieldValue<DateTimeOffset>(0).UtcDateTime));
        }

        return days;
    }
}
