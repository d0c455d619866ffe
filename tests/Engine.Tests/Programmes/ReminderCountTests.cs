using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SubsidyEngine.Testing;

namespace SubsidyEngine.Engine.Tests.Programmes;

/// <summary>
/// Reminders tell the truth, as a municipality reads them in its mailbox: they never arrive right after the request
/// they remind of, every day count is counted in Brussels calendar days from the day the reminder is sent, and the
/// letter is dated the day it is sent.
/// </summary>
public sealed partial class ReminderCountTests(PostgresDatabase db, SmtpTestServer smtp) : IClassFixture<PostgresDatabase>, IClassFixture<SmtpTestServer>, IAsyncLifetime
{
    private static readonly TimeZoneInfo Brussels = TimeZoneInfo.FindSystemTimeZoneById("Europe/Brussels");

    public async Task InitializeAsync()
    {
        await db.ResetAsync();
        smtp.Clear();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private static DateOnly BrusselsDay(DateTimeOffset t) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(t, Brussels).DateTime);

    private static string Dutch(DateOnly d) => d.ToString("d MMMM yyyy", CultureInfo.GetCultureInfo("nl-BE"));

    [GeneratedRegex(@"nog (?<n>\d+) dag(en)?\b")]
    private static partial Regex DaysLeft();

    [GeneratedRegex(@"(?<n>[\d.]+) dagen na ")]
    private static partial Regex DaysAfter();

    [Fact]
    public async Task An_information_request_due_in_three_weeks_is_not_followed_at_once_by_a_reminder_and_every_reminder_counts_the_days_left()
    {
        await using var h = new LetterMailHarness(db, smtp, new DateTimeOffset(2023, 5, 27, 9, 0, 0, TimeSpan.FromHours(2)));
        var (_, app) = await h.SubmittedApplicationAsync();
        h.Clock.SetUtcNow(new DateTimeOffset(2026, 12, 7, 10, 0, 0, TimeSpan.FromHours(1)).ToUniversalTime());
        await h.FireAsync(app, "request-information", new JsonObject { ["questions"] = "Hoe bereikt u de beoogde 500 deelnemers?", ["deadline"] = "2026-12-28" }, LetterMailHarness.Officer);
        await h.SweepAsync();
        await h.SweepAsync(); // a minute later, as the server's jobs would

        var now = await h.SentAsync();
        Assert.Equal(["acknowledgement", "information-request"], now.Where(m => m.Dossier == app).Select(m => m.Template).Order());

        await h.RunDailyUntilAsync(new DateOnly(2026, 12, 28));
        var reminders = (await h.SentAsync()).Where(m => m.Template == "report-reminder").ToList();
        Assert.NotEmpty(reminders);
        foreach (var r in reminders)
        {
            var sent = BrusselsDay(r.Message.Date);
            var daysLeft = new DateOnly(2026, 12, 28).DayNumber - sent.DayNumber;
            Assert.True(daysLeft is >= 0 and <= 7, $"a reminder on {sent} with {daysLeft} days left: {r.Subject}");
            Assert.Contains($"Brussel, {Dutch(sent)}", r.Text, StringComparison.Ordinal);
            Assert.Contains("28 december 2026", r.Text, StringComparison.Ordinal);
            if (daysLeft > 0)
            {
                var match = DaysLeft().Match(r.Text);
                Assert.True(match.Success, r.Text);
                Assert.Equal(daysLeft, int.Parse(match.Groups["n"].Value, CultureInfo.InvariantCulture));
            }

            Assert.DoesNotContain("de het ", r.Text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task An_overdue_reminder_counts_the_days_since_the_due_date_in_Brussels_calendar_days()
    {
        await using var h = new LetterMailHarness(db, smtp, new DateTimeOffset(2023, 6, 1, 9, 0, 0, TimeSpan.FromHours(2)));
        var (call, app) = await h.Programme.AwardedCooperationAsync();
        h.Clock.SetUtcNow(new DateTimeOffset(2023, 9, 25, 10, 0, 0, TimeSpan.FromHours(2)).ToUniversalTime());
        await h.FireAsync(call, "record-government-decision", new JsonObject { ["date"] = "2023-09-22" }, LetterMailHarness.Officer);
        await h.FireAsync(app, "confirm-award", null, LetterMailHarness.Officer);
        await h.SweepAsync();

        // Nobody reports; the next sweep runs on Monday 7 December 2026, early in the morning.
        h.Clock.SetUtcNow(new DateTimeOffset(2026, 12, 7, 8, 0, 0, TimeSpan.FromHours(1)).ToUniversalTime());
        await h.SweepAsync();

        var overdue = (await h.SentAsync()).Where(m => m.Template == "report-reminder").ToList();
        Assert.Equal(2, overdue.Count); // the interim report (due 15 April 2024) and the final report (due 15 October 2024)
        foreach (var (due, days) in new[] { (new DateOnly(2024, 4, 15), 966), (new DateOnly(2024, 10, 15), 783) })
        {
            Assert.Equal(days, new DateOnly(2026, 12, 7).DayNumber - due.DayNumber);
            var mail = Assert.Single(overdue, m => m.Text.Contains(Dutch(due), StringComparison.Ordinal));
            var match = DaysAfter().Match(mail.Text);
            Assert.True(match.Success, mail.Text);
            Assert.Equal(days.ToString(CultureInfo.InvariantCulture), match.Groups["n"].Value.Replace(".", string.Empty, StringComparison.Ordinal));
            Assert.Contains("Brussel, 7 december 2026", mail.Text, StringComparison.Ordinal);
        }
    }
}
