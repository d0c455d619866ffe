using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SubsidyEngine.Engine.Notices;
using SubsidyEngine.Engine.Programmes;
using SubsidyEngine.Engine.Programmes.Model;
using SubsidyEngine.Engine.Runtime;

namespace SubsidyEngine.Api.Tests;

/// <summary>
/// A deadline given as a date (an officer's information request with <c>deadline: "2026-12-28"</c>) runs to the end
/// of that day in Brussels: the deadline the API shows, the letter, the calendar feed and the moment the information
/// period lapses all agree, in winter and summer time, on both DST changes, at month and year ends and when the
/// deadline is the day of the request itself.
/// </summary>
public sealed class DeadlineDateApiTests(ProgrammeFactory api) : IClassFixture<ProgrammeFactory>
{
    private static readonly TimeZoneInfo Brussels = TimeZoneInfo.FindSystemTimeZoneById("Europe/Brussels");

    /// <summary>23:59:59 Brussels time on the date, as UTC, computed here from the time-zone rules (not by the service).</summary>
    private static DateTimeOffset EndOfDay(string date)
    {
        var d = DateOnly.ParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture);
        var local = d.ToDateTime(new TimeOnly(23, 59, 59));
        return new DateTimeOffset(local, Brussels.GetUtcOffset(local)).ToUniversalTime();
    }

    private static DateTimeOffset At(string localTime)
    {
        var local = DateTime.ParseExact(localTime, "yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
        return new DateTimeOffset(local, Brussels.GetUtcOffset(local));
    }

    private static async Task<JsonNode> OkJsonAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!;
    }

    [Fact]
    public async Task An_information_request_due_on_a_date_runs_to_the_end_of_that_day_in_Brussels_in_the_api_the_letter_the_calendar_and_the_lapse()
    {
        // (authority, when the officer asks, the date asked for): winter, the day summer time starts, the day it ends,
        // the year end, a leap day at a month end, and the day of the request itself.
        (string Authority, string AskedAt, string Deadline, string Printed)[] cases =
        [
            ("71016", "2026-12-07 10:00", "2026-12-28", "28 december 2026"),
            ("11002", "2027-03-10 09:30", "2027-03-28", "28 maart 2027"),
            ("44021", "2027-10-20 16:00", "2027-10-31", "31 oktober 2027"),
            ("46021", "2027-12-20 11:00", "2027-12-31", "31 december 2027"),
            ("13040", "2028-02-20 14:45", "2028-02-29", "29 februari 2028"),
            ("12021", "2028-06-30 08:00", "2028-06-30", "30 juni 2028"),
        ];

        var officer = ProgrammeScenario.ActorOf(api, "officer");
        var service = api.Services.GetRequiredService<ProgrammeService>();
        var runtime = api.Services.GetRequiredService<WorkflowRuntime>();
        var sweeper = api.Services.GetRequiredService<DeadlineSweeper>();
        var calendar = api.Services.GetRequiredService<CalendarFeed>();
        using var client = api.As("officer");

        api.Clock.JumpTo(new DateTimeOffset(2023, 5, 27, 10, 0, 0, TimeSpan.FromHours(2)));
        await ProgrammeScenario.OpenCallAsync(api);
        var dossiers = new Dictionary<string, Guid>();
        foreach (var c in cases)
        {
            var id = (await service.StartApplicationAsync(ProgrammeScenario.Programme, ProgrammeScenario.Call, c.Authority, [], officer, ProgrammeScenario.GenkApplication())).DossierId;
            await runtime.FireAsync(new FireRequest(id, "accept-late", new JsonObject { ["comment"] = "test set-up" }, officer));
            dossiers[c.Authority] = id;
        }

        foreach (var c in cases)
        {
            var id = dossiers[c.Authority];
            var due = EndOfDay(c.Deadline);
            api.Clock.JumpTo(At(c.AskedAt));
            var fired = await client.PostAsync($"/api/dossiers/{id}/transitions/request-information",
                ApiFactory.Json(new JsonObject { ["questions"] = "Hoe bereikt u de beoogde deelnemers?", ["deadline"] = c.Deadline }));
            Assert.True(fired.IsSuccessStatusCode, await fired.Content.ReadAsStringAsync());

            // The deadline as the API shows it.
            var deadlines = await OkJsonAsync(await client.GetAsync($"/api/dossiers/{id}/deadlines"));
            var information = deadlines.AsArray().Single(d => d!["kind"]!.GetValue<string>() == "information")!;
            Assert.Equal(due, DateTimeOffset.Parse(information["dueAt"]!.GetValue<string>(), CultureInfo.InvariantCulture).ToUniversalTime());

            // The letter names the date.
            var letters = await OkJsonAsync(await client.GetAsync($"/api/dossiers/{id}/letters"));
            var request = letters.AsArray().Single(l => l!["templateId"]!.GetValue<string>() == "information-request")!;
            var html = await (await client.GetAsync($"/api/dossiers/{id}/letters/{request["noticeId"]!.GetValue<string>()}/html")).Content.ReadAsStringAsync();
            Assert.Contains($"uiterlijk op {c.Printed}", html, StringComparison.Ordinal);

            // The calendar feed shows the same day, and never a time of day that is not the end of it.
            var (token, _) = await calendar.RenewAsync(c.Authority);
            var ics = await (await api.As(null).GetAsync(token.Path)).Content.ReadAsStringAsync();
            var unfolded = ics.Replace("\r\n ", string.Empty, StringComparison.Ordinal);
            var dtstart = "DTSTART;VALUE=DATE:" + c.Deadline.Replace("-", string.Empty, StringComparison.Ordinal);
            Assert.Contains(dtstart, unfolded, StringComparison.Ordinal);
            var evt = unfolded[unfolded.LastIndexOf("BEGIN:VEVENT", unfolded.IndexOf(dtstart, StringComparison.Ordinal), StringComparison.Ordinal)..];
            evt = evt[..evt.IndexOf("END:VEVENT", StringComparison.Ordinal)];
            Assert.Contains(c.Printed, evt, StringComparison.Ordinal);
            Assert.DoesNotContain("om 00:", evt, StringComparison.Ordinal);
            Assert.DoesNotContain("om 01:", evt, StringComparison.Ordinal);
            Assert.DoesNotContain("om 02:", evt, StringComparison.Ordinal);

            // Two minutes before the end of the day the period still runs; two minutes after, it has lapsed.
            api.Clock.JumpTo(due.AddMinutes(-2));
            await sweeper.FireDueTimeoutsAsync();
            Assert.Equal("information-requested", (await runtime.GetAsync(id))!.State);
            api.Clock.JumpTo(due.AddMinutes(2));
            await sweeper.FireDueTimeoutsAsync();
            Assert.Equal("submitted", (await runtime.GetAsync(id))!.State);
        }
    }
}
