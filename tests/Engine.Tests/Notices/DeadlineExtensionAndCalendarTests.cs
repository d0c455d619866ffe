using System.Text.Json.Nodes;
using Ical.Net;
using SubsidyEngine.Engine.Audit;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Engine.Notices;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Testing;
using SubsidyEngine.Workflows.Expressions;

namespace SubsidyEngine.Engine.Tests.Notices;

public sealed class DeadlineExtensionAndCalendarTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    private NoticeHarness h = null!;

    public async Task InitializeAsync()
    {
        await db.ResetAsync();
        h = new NoticeHarness(db);
        h.Clock.SetUtcNow(new DateTimeOffset(2024, 3, 1, 5, 0, 0, TimeSpan.Zero));
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private static DateTimeOffset EndOfDay(int y, int m, int d) => TransitionEffects.BrusselsEndOfDay(new DateOnly(y, m, d));

    [Fact]
    public async Task An_extension_moves_the_timeout_and_the_reminders_and_is_journaled()
    {
        var dossier = (await h.CreateTimedAsync("2024-03-10", owner: "genk")).DossierId;
        var deadline = await h.DeadlineOfAsync(dossier);

        var extension = await h.Reminders.ExtendAsync(deadline, EndOfDay(2024, 4, 30), "Bijkomende stukken gevraagd", NoticeHarness.Officer);

        Assert.Equal("genk", extension.AuthorityId);
        Assert.Equal(EndOfDay(2024, 3, 10), extension.PreviousDue);
        Assert.Equal(EndOfDay(2024, 4, 30), (await h.Reminders.ExtensionsAsync(deadline)).Single().NewDue);
        var record = Assert.Single(await h.RecordsAsync(dossier, "deadline.extended"));
        Assert.Equal("Bijkomende stukken gevraagd", record["reason"]!.GetValue<string>());
        Assert.Equal(JournalEvent.FormatTime(EndOfDay(2024, 4, 30)), record["newDue"]!.GetValue<string>());

        // The old before-7 day: no reminder (the new due date is 60 days away), no timeout after the old due day.
        h.Clock.SetUtcNow(new DateTimeOffset(2024, 3, 3, 5, 0, 0, TimeSpan.Zero));
        Assert.Equal(0, await h.Reminders.SweepAsync());
        h.Clock.SetUtcNow(new DateTimeOffset(2024, 3, 11, 5, 0, 0, TimeSpan.Zero));
        Assert.Equal(0, await h.Runtime.Sweeper.FireDueTimeoutsAsync());
        // 30 days before the new date: before-30.
        h.Clock.SetUtcNow(new DateTimeOffset(2024, 3, 31, 5, 0, 0, TimeSpan.Zero));
        Assert.Equal(1, await h.Reminders.SweepAsync());
        Assert.Equal(0, await h.NewReminderSweeper().SweepAsync());
        Assert.Equal(1, await h.CountAsync("SELECT count(*) FROM reminder WHERE offset_code = 'before-30'"));
        // The first sweep after the new due time fires the timeout.
        h.Clock.SetUtcNow(new DateTimeOffset(2024, 5, 1, 5, 0, 0, TimeSpan.Zero));
        Assert.Equal(1, await h.Runtime.Sweeper.FireDueTimeoutsAsync());
        Assert.Equal("Expired", (await h.Runtime.Runtime.GetAsync(dossier))!.State);
        Assert.True((await h.Runtime.Replayer.ReplayAsync(dossier)).Ok);
    }

    [Fact]
    public async Task An_extension_without_a_reason_with_an_unsafe_reason_or_to_an_earlier_date_is_refused_and_changes_nothing()
    {
        var dossier = (await h.CreateReportAsync("2024-06-30")).DossierId;
        var deadline = await h.DeadlineOfAsync(dossier);

        var noReason = await Assert.ThrowsAsync<ArgumentValidationException>(() => h.Reminders.ExtendAsync(deadline, EndOfDay(2024, 7, 31), "  ", NoticeHarness.Officer));
        Assert.Equal("reason", Assert.Single(noReason.Errors).Field);
        foreach (var unsafeReason in new[] { "Jan\r\nBcc: x@example.com", "bell\u0007", "\u202Egnp.exe" })
        {
            var refused = await Assert.ThrowsAsync<ArgumentValidationException>(() => h.Reminders.ExtendAsync(deadline, EndOfDay(2024, 7, 31), unsafeReason, NoticeHarness.Officer));
            Assert.Equal("reason", Assert.Single(refused.Errors).Field);
        }

        var earlier = await Assert.ThrowsAsync<ArgumentValidationException>(() => h.Reminders.ExtendAsync(deadline, EndOfDay(2024, 6, 1), "Vergissing", NoticeHarness.Officer));
        Assert.Equal("newDue", Assert.Single(earlier.Errors).Field);
        await Assert.ThrowsAsync<ArgumentValidationException>(() => h.Reminders.ExtendAsync(deadline, EndOfDay(2024, 6, 30), "Zelfde datum", NoticeHarness.Officer));
        await Assert.ThrowsAsync<TransitionForbiddenException>(() => h.Reminders.ExtendAsync(deadline, EndOfDay(2024, 7, 31), "Zelf verlengd", new Actor("genk", "municipality")));

        Assert.Equal(0, await h.CountAsync("SELECT count(*) FROM deadline_extension"));
        Assert.Empty(await h.RecordsAsync(dossier, "deadline.extended"));
        await h.Runtime.FireAsync(dossier, "submit");
        await Assert.ThrowsAsync<DeadlineNotOpenException>(() => h.Reminders.ExtendAsync(deadline, EndOfDay(2024, 7, 31), "Te laat", NoticeHarness.Officer));
        await Assert.ThrowsAsync<DeadlineNotOpenException>(() => h.Reminders.ExtendAsync(Guid.NewGuid(), EndOfDay(2024, 7, 31), "Bestaat niet", NoticeHarness.Officer));
    }

    [Fact]
    public async Task An_extension_cancels_a_pending_reminder_of_the_old_date()
    {
        var dossier = (await h.CreateReportAsync("2024-03-01")).DossierId; // due today
        Assert.Equal(1, await h.Reminders.SweepAsync());

        await h.Reminders.ExtendAsync(await h.DeadlineOfAsync(dossier), EndOfDay(2024, 3, 15), "Feestdag", NoticeHarness.Officer);

        Assert.Equal(1, await h.CountAsync("SELECT count(*) FROM notice WHERE kind = 'reminder' AND status = 'cancelled'"));
    }

    [Fact]
    public async Task The_calendar_feed_holds_the_authoritys_deadlines_only_and_parses_back()
    {
        var own = (await h.CreateReportAsync("2024-06-30", owner: "genk", reference: "PS-2024-0001")).DossierId;
        var shared = (await h.CreateReportAsync("2024-09-30", owner: "hasselt", reference: "PS-2024-0002", participants: new JsonArray("genk", "as"))).DossierId;
        var other = (await h.CreateReportAsync("2024-07-31", owner: "hasselt", reference: "PS-2024-0003")).DossierId;
        await h.Reminders.ExtendAsync(await h.DeadlineOfAsync(own), EndOfDay(2024, 7, 15), "Verlenging gemeenteraad", NoticeHarness.Officer);
        var token = await h.Calendar.CreateTokenAsync("genk");
        var ownDeadline = await h.DeadlineOfAsync(own);
        var sharedDeadline = await h.DeadlineOfAsync(shared);

        var ics = await h.Calendar.RenderAsync(token.Secret);

        Assert.NotNull(ics);
        var calendar = Calendar.Load(ics)!;
        Assert.Equal(2, calendar.Events.Count);
        var first = calendar.Events.Single(e => e.Uid == $"deadline-{ownDeadline:D}@subsidy-engine");
        Assert.Equal("Termijn — dossier PS-2024-0001", first.Summary); // a kind the definition does not label, never its id
        Assert.Equal(new DateOnly(2024, 7, 15), DateOnly.FromDateTime(first.DtStart!.Value)); // the extended date
        Assert.Equal(1, first.Sequence);
        Assert.Contains(calendar.Events, e => e.Uid == $"deadline-{sharedDeadline:D}@subsidy-engine");
        Assert.DoesNotContain(calendar.Events, e => e.Summary!.Contains("PS-2024-0003", StringComparison.Ordinal));
        Assert.DoesNotContain(other.ToString("D"), ics, StringComparison.Ordinal);
        // The UID is stable: rendering again gives the same events.
        Assert.Equal(calendar.Events.Select(e => e.Uid).Order(), Calendar.Load((await h.Calendar.RenderAsync(token.Secret))!)!.Events.Select(e => e.Uid).Order());

        // Only the hash is stored; unknown and revoked tokens find nothing.
        Assert.Equal(0, await h.CountAsync($"SELECT count(*) FROM calendar_token WHERE token_sha256 = '{token.Secret}'"));
        Assert.Equal(1, await h.CountAsync($"SELECT count(*) FROM calendar_token WHERE token_sha256 = '{CalendarFeed.Hash(token.Secret)}'"));
        Assert.Null(await h.Calendar.RenderAsync("not-a-token"));
        Assert.True(await h.Calendar.RevokeAsync(token.Id));
        Assert.False(await h.Calendar.RevokeAsync(token.Id));
        Assert.Null(await h.Calendar.RenderAsync(token.Secret));
    }
}
