using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SubsidyEngine.Engine.Programmes;

namespace SubsidyEngine.Api.Tests;

public sealed class CallOpeningFactory : ApiFactory
{
    protected override bool WithProgrammes => true;

    // No background jobs: the deadline sweep fired the call's due window-opens timeout between the steps of a test
    // (an application on a call "in preparation" was then accepted), and the fingerprints compare before and after.
    protected override bool RunJobs => false;
}

/// <summary>
/// Issue 20: an application cannot be started on a call an officer has not opened yet (the server refuses it in
/// Dutch, and writes nothing), and the start form's cooperation preview (search by name, check a composition) answers
/// from the register and the eligibility rule.
/// </summary>
public sealed class CallOpeningApiTests(CallOpeningFactory api) : IClassFixture<CallOpeningFactory>
{
    private const string Calls = "/api/programmes/plan-samenleven/calls";

    [Fact]
    public async Task Starting_an_application_on_a_call_in_preparation_is_refused_in_Dutch_and_the_preview_checks_a_cooperation()
    {
        // The officer created the call's dossier but did not open it for applications (its window is open on the clock).
        if (await api.ScalarAsync("SELECT count(*) FROM dossier_unique WHERE key LIKE '%/call|2023'") == 0)
        {
            await api.Services.GetRequiredService<ProgrammeService>().OpenCallAsync("plan-samenleven", "2023", ProgrammeScenario.ActorOf(api, "officer"));
        }

        var genk = api.As("genk");
        var before = await api.ScalarAsync("SELECT count(*) FROM dossier WHERE workflow_id = 'plan-samenleven/dossier'");
        var refused = await genk.PostAsync($"{Calls}/2023/applications", ApiFactory.Json("{}"));
        var text = await refused.Content.ReadAsStringAsync();
        Assert.True((int)refused.StatusCode is >= 400 and < 500, $"{(int)refused.StatusCode} {text}");
        Assert.Contains("nog niet geopend", text, StringComparison.Ordinal);
        Assert.Equal(before, await api.ScalarAsync("SELECT count(*) FROM dossier WHERE workflow_id = 'plan-samenleven/dossier'"));

        // Search by name: Hasselt's region, with the register's figures.
        var found = JsonNode.Parse(await genk.GetStringAsync($"{Calls}/2023/cooperation/authorities?q=Hassel"))!.AsArray();
        Assert.Contains(found, a => a!["id"]!.GetValue<string>() == "71022" && a["region"]!.GetValue<string>() == "Hasselt");
        Assert.Equal(HttpStatusCode.BadRequest, (await genk.GetAsync($"{Calls}/2023/cooperation/authorities?q=H")).StatusCode);

        // Genk (33,323) with As (525), both in the Hasselt region: together over 7,500, and the bonus applies
        // (the submitter alone exceeds the threshold and takes in a smaller authority).
        var check = JsonNode.Parse(await genk.GetStringAsync($"{Calls}/2023/cooperation/check?participants=71002"))!;
        Assert.Equal(33323 + 525, check["combinedNonEu14OriginResidents"]!.GetValue<long>());
        Assert.True(check["overThreshold"]!.GetValue<bool>());
        Assert.True(check["oneRegion"]!.GetValue<bool>());
        Assert.True(check["cooperationBonus"]!.GetValue<bool>());
        Assert.True(check["passed"]!.GetValue<bool>());

        // With an authority of another region: refused with the rule's reason.
        var mixed = JsonNode.Parse(await genk.GetStringAsync($"{Calls}/2023/cooperation/check?participants=71002,11002"))!;
        Assert.False(mixed["oneRegion"]!.GetValue<bool>());
        Assert.False(mixed["passed"]!.GetValue<bool>());
        Assert.Contains(mixed["reasons"]!.AsArray(), r => r!["code"]!.GetValue<string>() == "cooperation.mixed-regions");

        // An unknown participant is a 400 naming it; the caller's own authority cannot be a participant.
        Assert.Equal(HttpStatusCode.BadRequest, (await genk.GetAsync($"{Calls}/2023/cooperation/check?participants=99999")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await genk.GetAsync($"{Calls}/2023/cooperation/check?participants=71016")).StatusCode);
    }

    [Fact]
    public void An_extended_dossier_shows_its_own_end_date_not_the_fixed_text_of_the_definition()
    {
        var catalog = api.Services.GetRequiredService<Engine.Runtime.WorkflowCatalog>();
        var data = new JsonObject { ["extension"] = new JsonObject { ["projectEnd"] = "2028-03-31", ["finalReportDue"] = "2028-06-30T23:59:00+02:00" } };
        foreach (var version in new[] { 2, 4 })
        {
            var wf = catalog.Get("plan-samenleven/dossier", version);
            Assert.Equal("Verlengd tot 31 maart 2028 (zonder nieuwe middelen)", Ui.DossierStatus.Label(wf, "extended", data, "nl"));
            Assert.Equal("Extended until 31 March 2028 (no new funds)", Ui.DossierStatus.Label(wf, "extended", data, "en"));
        }

        // Other states keep their label; a call's extension reads its own date too.
        Assert.Equal("Ingediend", Ui.DossierStatus.Label(catalog.Get("plan-samenleven/dossier", 4), "submitted", data, "nl"));
        Assert.Equal("Verlengd tot 30 juni 2026", Ui.DossierStatus.Label(catalog.Get("plan-samenleven/call", 2), "extended", new JsonObject { ["extendedUntil"] = "2026-06-30" }, "nl"));
    }
}
