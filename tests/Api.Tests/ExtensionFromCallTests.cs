using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SubsidyEngine.Engine.Programmes;
using SubsidyEngine.Engine.Runtime;

namespace SubsidyEngine.Api.Tests;

/// <summary>
/// Issue 17 re-check (issue-17a): the extension of a project period is a fact of the call (its <c>extensions[]</c> in
/// the programme data, DOMAIN.md: "extended to 31/12/2025 without new money"), not an officer's argument. Version 4
/// accepted any <c>projectEnd</c> (1 January 2020, before the project even started, on a call without an extension);
/// version 5 takes the end from the call data and refuses the argument. A class of its own: it moves the clock.
/// </summary>
public sealed class ExtensionFromCallTests(TrustBoundaryFactory api) : IClassFixture<TrustBoundaryFactory>
{
    private const string Calls = "/api/programmes/plan-samenleven/calls";

    private static async Task<JsonNode> OkJsonAsync(HttpResponseMessage response, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"{(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!;
    }

    [Fact]
    public async Task An_extension_takes_its_end_from_the_call_data_and_a_call_without_one_cannot_be_extended()
    {
        var callDossier = await ProgrammeScenario.OpenCallAsync(api);
        using var genk = api.As("genk");
        using var officer = api.As("officer");
        var application = await ProgrammeScenario.StartAsync(api, "genk", new JsonObject { ["rows"] = new JsonArray() });
        await OkJsonAsync(await genk.PostAsync($"/api/dossiers/{application}/transitions/save-draft",
            ApiFactory.Json(new JsonObject { ["application"] = ProgrammeScenario.GenkApplication() })));
        await OkJsonAsync(await genk.PostAsync($"/api/dossiers/{application}/transitions/submit", ApiFactory.Json("{}")));
        await api.Services.GetRequiredService<ProgrammeService>().DecideEligibilityAsync(application, true, null, ProgrammeScenario.ActorOf(api, "officer"));
        api.Clock.JumpTo(new DateTimeOffset(2023, 7, 10, 12, 0, 1, TimeSpan.FromHours(2)));
        await api.Services.GetRequiredService<DeadlineSweeper>().FireDueTimeoutsAsync();
        await OkJsonAsync(await officer.PostAsync($"/api/dossiers/{callDossier}/transitions/start-allocation", ApiFactory.Json("{}")));
        await OkJsonAsync(await officer.PostAsync($"{Calls}/2023/allocation/confirm", null));
        await OkJsonAsync(await officer.PostAsync($"{Calls}/2023/award", null));
        await OkJsonAsync(await officer.PostAsync($"/api/dossiers/{callDossier}/transitions/record-government-decision", ApiFactory.Json("""{"date":"2023-07-10"}""")));
        await OkJsonAsync(await officer.PostAsync($"/api/dossiers/{application}/transitions/confirm-award", ApiFactory.Json("{}")));

        // The running dossier (version 3, started before the extension's version took effect) moves to version 5.
        using var admin = api.As("admin");
        var applied = await OkJsonAsync(await admin.PostAsync("/api/migrations/plan-samenleven-call-extension-v3-to-v5/apply", null));
        Assert.Contains(application.ToString("D"), applied.ToJsonString(), StringComparison.Ordinal);
        var moved = await OkJsonAsync(await officer.GetAsync($"/api/dossiers/{application}"));
        Assert.Equal((5, "running"), (moved["workflowVersion"]!.GetValue<int>(), moved["state"]!.GetValue<string>()));

        // The end of the project period is the server's: stating it is refused, naming the member; nothing written.
        var url = $"/api/dossiers/{application}/transitions/extend";
        var before = await api.FingerprintAsync();
        var stated = await OkJsonAsync(await officer.PostAsync(url, ApiFactory.Json("""{"projectEnd":"2020-01-01","finalReportDue":"2020-02-01T12:00:00+01:00","comment":"verlenging"}""")), HttpStatusCode.BadRequest);
        Assert.Contains("$.projectEnd", stated["errors"]!.AsObject().Select(kv => kv.Key));
        Assert.Equal(before, await api.FingerprintAsync());

        // Call 2023 has no extension in its data: the extension is refused with the programme's reason, in Dutch.
        var refused = await OkJsonAsync(await officer.PostAsync(url, ApiFactory.Json("""{"finalReportDue":"2024-12-31T12:00:00+01:00","comment":"verlenging"}""")), HttpStatusCode.Conflict);
        var reasons = refused["blocked"]!.AsArray().SelectMany(b => b!["reasons"]!.AsArray()).ToList();
        Assert.Contains(reasons, r => r!["code"]!.GetValue<string>() == "extension.not-in-call" && r["nl"]!.GetValue<string>().Contains("oproepgegevens", StringComparison.Ordinal));
        Assert.Equal(before, await api.FingerprintAsync());

        // Every shipped version-4 dossier can follow: the identity migration from version 4 exists too.
        var migrations = await OkJsonAsync(await officer.GetAsync("/api/migrations"));
        Assert.Contains(migrations.AsArray(), m => m!["id"]!.GetValue<string>() == "plan-samenleven-call-extension-v4-to-v5");
    }
}
