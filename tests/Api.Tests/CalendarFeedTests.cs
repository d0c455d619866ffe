using System.Text.Json.Nodes;
using Ical.Net;
using Microsoft.Extensions.DependencyInjection;
using SubsidyEngine.Engine.Notices;
using SubsidyEngine.Engine.Programmes;
using SubsidyEngine.Engine.Runtime;

namespace SubsidyEngine.Api.Tests;

/// <summary>
/// The calendar a municipality subscribes to speaks Dutch: the calendar carries the authority's name, each event the
/// deadline's label from the workflow definition and the dossier's reference, with no internal id (deadline kinds,
/// state ids, NIS codes) anywhere a person reads.
/// </summary>
public sealed class CalendarFeedTests(ProgrammeFactory api) : IClassFixture<ProgrammeFactory>
{
    [Fact]
    public async Task The_calendar_feed_names_the_authority_and_every_deadline_in_Dutch_without_internal_ids()
    {
        api.Clock.JumpTo(new DateTimeOffset(2023, 5, 27, 10, 0, 0, TimeSpan.FromHours(2)));
        var officer = ProgrammeScenario.ActorOf(api, "officer");
        var call = await ProgrammeScenario.OpenCallAsync(api);
        var app = await ProgrammeScenario.StartAsync(api, "genk", ProgrammeScenario.GenkApplication());
        await ProgrammeScenario.FireAsync(api, app, "submit", "genk");
        var service = api.Services.GetRequiredService<ProgrammeService>();
        await service.DecideEligibilityAsync(app, true, null, officer);
        api.Clock.JumpTo(new DateTimeOffset(2023, 7, 10, 12, 0, 1, TimeSpan.FromHours(2)));
        await api.Services.GetRequiredService<DeadlineSweeper>().FireDueTimeoutsAsync();
        await ProgrammeScenario.FireAsync(api, call, "start-allocation", "officer");
        await service.ConfirmAllocationAsync(call, officer);
        await ProgrammeScenario.FireAsync(api, app, "award", "officer");
        api.Clock.JumpTo(new DateTimeOffset(2023, 9, 22, 15, 0, 0, TimeSpan.FromHours(2))); // the decision is recorded once taken
        await ProgrammeScenario.FireAsync(api, call, "record-government-decision", "officer", new JsonObject { ["date"] = "2023-09-22" });
        await ProgrammeScenario.FireAsync(api, app, "confirm-award", "officer");

        var (token, _) = await api.Services.GetRequiredService<CalendarFeed>().RenewAsync(ApiFactory.Genk);
        var ics = await (await api.As(null).GetAsync(token.Path)).Content.ReadAsStringAsync();
        var calendar = Calendar.Load(ics)!;

        var name = calendar.Properties.Get<string>("X-WR-CALNAME");
        Assert.Contains("Genk", name, StringComparison.Ordinal);
        Assert.DoesNotContain(ApiFactory.Genk, name, StringComparison.Ordinal);
        // One feed holds the deadlines of every programme the authority takes part in: it is named after the desk.
        Assert.Equal("Subsidieloket — termijnen van Genk", name);
        Assert.Equal(2, calendar.Events.Count);
        var summaries = calendar.Events.Select(e => e.Summary ?? string.Empty).ToList();
        Assert.Contains(summaries, s => s.StartsWith("Tussentijdse rapportering", StringComparison.Ordinal));
        Assert.Contains(summaries, s => s.StartsWith("Eindrapportering", StringComparison.Ordinal));
        string[] internalIds = ["interim-report", "final-report", "information", "running", "active", "awarded", "fase ", "'"];
        foreach (var e in calendar.Events)
        {
            var reader = $"{e.Summary}\n{e.Description}";
            Assert.Contains("PS-2023-71016", e.Summary, StringComparison.Ordinal);
            foreach (var id in internalIds)
            {
                Assert.DoesNotContain(id, reader, StringComparison.Ordinal);
            }
        }

        // The link the portal shows in English mode (?lang=en) words the same events in English.
        var english = Calendar.Load(await (await api.As(null).GetAsync(token.Path + "?lang=en")).Content.ReadAsStringAsync())!;
        Assert.Equal(calendar.Events.Select(e => e.Uid).Order(), english.Events.Select(e => e.Uid).Order());
        Assert.Contains("deadlines of Genk", english.Properties.Get<string>("X-WR-CALNAME"), StringComparison.Ordinal);
        Assert.Equal("Subsidy desk — deadlines of Genk", english.Properties.Get<string>("X-WR-CALNAME"));
        foreach (var e in english.Events)
        {
            Assert.Contains("PS-2023-71016", e.Summary, StringComparison.Ordinal);
            Assert.Contains("for dossier PS-2023-71016: the period runs up to and including", e.Description, StringComparison.Ordinal);
            Assert.DoesNotContain(" om ", e.Description, StringComparison.Ordinal);
            Assert.DoesNotContain("voor dossier", e.Description, StringComparison.Ordinal);
        }
    }
}
