using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SubsidyEngine.Engine.Programmes;
using SubsidyEngine.Engine.Runtime;

namespace SubsidyEngine.Api.Tests;

/// <summary>The service with the real Plan Samenleven programme, clock inside the 2023 window.</summary>
public sealed class ProgrammeFactory : ApiFactory
{
    protected override bool WithProgrammes => true;
}

/// <summary>
/// The programme, call, authority, application, report and letter endpoints along the business path of the
/// 2023 call: open the call, apply, submit, eligibility, allocation preview and confirm, award, the award letter,
/// the Government decision and the interim report.
/// </summary>
public sealed class ProgrammeApiTests(ProgrammeFactory api) : IClassFixture<ProgrammeFactory>
{
    private const string Calls = "/api/programmes/plan-samenleven/calls";

    private static async Task<JsonNode> OkJsonAsync(HttpResponseMessage response, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"{(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!;
    }

    [Fact]
    public async Task Programmes_list_and_one_programme_with_parameters_and_unit_rates()
    {
        using var genk = api.As("genk");
        var list = await OkJsonAsync(await genk.GetAsync("/api/programmes"));
        var ps = list.AsArray().Single(p => p!["id"]!.GetValue<string>() == "plan-samenleven")!;
        Assert.Contains("2023", ps["calls"]!.AsArray().Select(c => c!.GetValue<string>()));

        var programme = await OkJsonAsync(await genk.GetAsync("/api/programmes/plan-samenleven"));
        Assert.IsType<JsonObject>(programme["parameters"]!["coFinancing"]);
        Assert.Equal(1m, programme["parameters"]!["coFinancing"]!["localToFlemishRatio"]!.GetValue<decimal>());
        var call2023 = programme["calls"]!.AsArray().Single(c => c!["id"]!.GetValue<string>() == "2023")!;
        var action = call2023["actions"]!.AsArray().Single(a => a!["code"]!.GetValue<string>() == "2.1")!;
        Assert.True(action["rates"]!.AsArray().Count >= 1);
        Assert.True(action["rates"]![0]!["eurPerUnit"]!.GetValue<decimal>() > 0);

        Assert.Equal(HttpStatusCode.NotFound, (await genk.GetAsync("/api/programmes/nope")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await genk.GetAsync($"{Calls}/1999")).StatusCode);
        var bad = await genk.GetAsync("/api/programmes/%3Cscript%3E");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("programmeId", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Authorities_are_searchable_and_paged()
    {
        using var officer = api.As("officer");
        var all = await OkJsonAsync(await officer.GetAsync("/api/authorities?pageSize=10&page=2"));
        Assert.Equal(10, all["items"]!.AsArray().Count);
        Assert.True(all["total"]!.GetValue<long>() > 300);
        var genk = await OkJsonAsync(await officer.GetAsync("/api/authorities?q=genk"));
        Assert.Equal(ApiFactory.Genk, genk["items"]![0]!["id"]!.GetValue<string>());
        var one = await OkJsonAsync(await officer.GetAsync($"/api/authorities/{ApiFactory.Genk}"));
        Assert.Equal("Genk", one["name"]!.GetValue<string>());
        Assert.Equal("municipality", one["kind"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, (await officer.GetAsync("/api/authorities/99999")).StatusCode);
        var bad = await officer.GetAsync("/api/authorities?pageSize=0");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("pageSize", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Year2023_call_from_opening_to_the_interim_report_through_the_api()
    {
        using var officer = api.As("officer");
        using var genk = api.As("genk");

        // Before opening: no call dossier, allocation answers 409.
        Assert.Equal(HttpStatusCode.Conflict, (await officer.PostAsync($"{Calls}/2023/allocation/preview", null)).StatusCode);

        var opened = await OkJsonAsync(await officer.PostAsync($"{Calls}/2023/open", null), HttpStatusCode.Created);
        var callDossier = Guid.Parse(opened["dossierId"]!.GetValue<string>());
        var again = await OkJsonAsync(await api.As("admin").PostAsync($"{Calls}/2023/open", null), HttpStatusCode.Conflict);
        Assert.Equal(callDossier, Guid.Parse(again["callDossierId"]!.GetValue<string>()));
        await OkJsonAsync(await officer.PostAsync($"/api/dossiers/{callDossier}/transitions/open-window", ApiFactory.Json("{}")));
        var calls = await OkJsonAsync(await officer.GetAsync(Calls));
        var summary = calls.AsArray().Single(c => c!["id"]!.GetValue<string>() == "2023")!;
        Assert.Equal(callDossier, Guid.Parse(summary["callDossierId"]!.GetValue<string>()));
        Assert.True(summary["windowOpen"]!.GetValue<bool>());

        // Genk applies (the portal's start), saves its table through the transition and sees the preview amounts.
        var application = await ProgrammeScenario.StartAsync(api, "genk", new JsonObject { ["rows"] = new JsonArray() });
        await OkJsonAsync(await genk.PostAsync($"/api/dossiers/{application}/transitions/save-draft",
            ApiFactory.Json(new JsonObject { ["application"] = ProgrammeScenario.GenkApplication() })));
        var preview = await OkJsonAsync(await genk.GetAsync($"/api/dossiers/{application}/application"));
        Assert.Equal("preview", preview["table"]!["source"]!.GetValue<string>());
        Assert.Equal(62000m, preview["table"]!["requestedTotalEur"]!.GetValue<decimal>());
        Assert.True(preview["table"]!["coFinancingPassed"]!.GetValue<bool>());
        var row = preview["table"]!["rows"]!.AsArray().Single(r => r!["actionCode"]!.GetValue<string>() == "2.1")!;
        Assert.Equal(500, row["fundedReach"]!.GetValue<int>());
        Assert.Equal(30000m, row["requestedEur"]!.GetValue<decimal>());
        Assert.Equal(30000m, row["declaredLocalEur"]!.GetValue<decimal>());

        await OkJsonAsync(await genk.PostAsync($"/api/dossiers/{application}/transitions/submit", ApiFactory.Json("{}")));
        var recorded = await OkJsonAsync(await genk.GetAsync($"/api/dossiers/{application}/application"));
        Assert.Equal("recorded", recorded["table"]!["source"]!.GetValue<string>());
        Assert.Equal(62000m, recorded["table"]!["requestedTotalEur"]!.GetValue<decimal>());

        var call = await OkJsonAsync(await officer.GetAsync($"{Calls}/2023"));
        Assert.Equal(62000m, call["figures"]!["requestedEur"]!.GetValue<decimal>());
        Assert.Equal(1, call["figures"]!["submitters"]!.GetValue<int>());
        Assert.Equal(30000m, call["figures"]!["perAction"]!.AsArray().Single(a => a!["actionCode"]!.GetValue<string>() == "2.1")!["requestedEur"]!.GetValue<decimal>());
        Assert.True(call["figures"]!["budgetEur"]!.GetValue<decimal>() > 0);

        // Officer: eligibility (the page's Engine call), the window closes, allocation preview changes nothing, confirm, award.
        await api.Services.GetRequiredService<ProgrammeService>().DecideEligibilityAsync(application, true, null, ProgrammeScenario.ActorOf(api, "officer"));
        api.Clock.JumpTo(new DateTimeOffset(2023, 7, 10, 12, 0, 1, TimeSpan.FromHours(2)));
        await api.Services.GetRequiredService<DeadlineSweeper>().FireDueTimeoutsAsync();
        await OkJsonAsync(await officer.PostAsync($"/api/dossiers/{callDossier}/transitions/start-allocation", ApiFactory.Json("{}")));
        var before = await api.FingerprintAsync();
        var allocation = await OkJsonAsync(await officer.PostAsync($"{Calls}/2023/allocation/preview", null));
        Assert.False(allocation["confirmed"]!.GetValue<bool>());
        Assert.Equal(62000m, allocation["allocatedEur"]!.GetValue<decimal>());
        Assert.Equal(application, Guid.Parse(allocation["applications"]![0]!["dossierId"]!.GetValue<string>()));
        Assert.Equal(before, await api.FingerprintAsync());
        Assert.Equal(HttpStatusCode.Forbidden, (await genk.PostAsync($"{Calls}/2023/allocation/confirm", null)).StatusCode);
        var confirmed = await OkJsonAsync(await officer.PostAsync($"{Calls}/2023/allocation/confirm", null));
        Assert.True(confirmed["confirmed"]!.GetValue<bool>());
        Assert.Equal(62000m, (await OkJsonAsync(await genk.GetAsync($"/api/dossiers/{application}/application")))["table"]!["allocatedEur"]!.GetValue<decimal>());
        var award = await OkJsonAsync(await officer.PostAsync($"{Calls}/2023/award", null));
        Assert.Equal(1, award["awarded"]!.GetValue<int>());
        Assert.Equal(0, (await OkJsonAsync(await officer.PostAsync($"{Calls}/2023/award", null)))["awarded"]!.GetValue<int>()); // nothing left to award
        Assert.Equal(1, await api.ScalarAsync($"SELECT count(*) FROM dossier WHERE id = '{application}' AND state = 'awarded'"));
        Assert.Equal(62000m, (await OkJsonAsync(await officer.GetAsync($"{Calls}/2023")))["figures"]!["allocatedEur"]!.GetValue<decimal>());

        // The award letter: listed, HTML and PDF; Genk opening it records letter.opened once.
        var letters = await OkJsonAsync(await genk.GetAsync($"/api/dossiers/{application}/letters"));
        var awardLetter = letters.AsArray().Single(l => l!["templateId"]!.GetValue<string>() == "award-decision")!;
        var notice = awardLetter["noticeId"]!.GetValue<string>();
        var officerHtml = await officer.GetAsync($"/api/dossiers/{application}/letters/{notice}/html");
        Assert.Equal(HttpStatusCode.OK, officerHtml.StatusCode);
        Assert.Equal(0, await api.ScalarAsync($"SELECT count(*) FROM journal WHERE dossier_id = '{application}' AND kind = 'letter.opened'"));
        var html = await genk.GetAsync($"/api/dossiers/{application}/letters/{notice}/html");
        Assert.Equal(HttpStatusCode.OK, html.StatusCode);
        Assert.Equal("text/html", html.Content.Headers.ContentType?.MediaType);
        Assert.Contains("sandbox", html.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Contains("62.000,00", await html.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(64, html.Headers.GetValues("X-Html-Sha256").Single().Length);
        var pdf = await genk.GetAsync($"/api/dossiers/{application}/letters/{notice}/pdf");
        Assert.Equal(HttpStatusCode.OK, pdf.StatusCode);
        Assert.Equal("application/pdf", pdf.Content.Headers.ContentType?.MediaType);
        Assert.Equal("%PDF", System.Text.Encoding.ASCII.GetString((await pdf.Content.ReadAsByteArrayAsync())[..4]));
        Assert.Equal(1, await api.ScalarAsync($"SELECT count(*) FROM journal WHERE dossier_id = '{application}' AND kind = 'letter.opened'"));
        Assert.Equal(HttpStatusCode.NotFound, (await genk.GetAsync($"/api/dossiers/{application}/letters/{Guid.NewGuid()}/html")).StatusCode);

        // The Government decision, then Genk's interim report through the transition; the reports view shows pledged vs realised.
        var reports = await OkJsonAsync(await genk.GetAsync($"/api/dossiers/{application}/reports"));
        Assert.Null(reports["reports"]!["rows"]![0]!["interimRealised"]?.GetValue<int>());
        // The decision date is recorded once, on the call; confirm-award reads it from there (a client cannot state it).
        Assert.Equal(HttpStatusCode.BadRequest, (await officer.PostAsync($"/api/dossiers/{application}/transitions/confirm-award", ApiFactory.Json("""{"governmentDecisionDate":"2023-07-14"}"""))).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await officer.PostAsync($"/api/dossiers/{application}/transitions/confirm-award", ApiFactory.Json("{}"))).StatusCode);
        await OkJsonAsync(await officer.PostAsync($"/api/dossiers/{callDossier}/transitions/record-government-decision", ApiFactory.Json("""{"date":"2023-07-10"}""")));
        await OkJsonAsync(await officer.PostAsync($"/api/dossiers/{application}/transitions/confirm-award", ApiFactory.Json("{}")));
        Assert.Equal(1, await api.ScalarAsync($"SELECT count(*) FROM dossier WHERE id = '{application}' AND data ->> 'governmentDecisionDate' = '2023-07-10'"));
        // The interim report is accepted only once the project period has started (1 October 2023): the server's clock decides.
        Assert.Equal(HttpStatusCode.Conflict, (await genk.PostAsync($"/api/dossiers/{application}/transitions/report-interim", ApiFactory.Json("""{"realised":{"2.1":250,"5.4":100}}"""))).StatusCode);
        api.Clock.JumpTo(new DateTimeOffset(2023, 10, 2, 9, 0, 0, TimeSpan.FromHours(2)));
        await OkJsonAsync(await genk.PostAsync($"/api/dossiers/{application}/transitions/report-interim", ApiFactory.Json("""{"realised":{"2.1":250,"5.4":100}}""")));
        reports = await OkJsonAsync(await genk.GetAsync($"/api/dossiers/{application}/reports"));
        var r21 = reports["reports"]!["rows"]!.AsArray().Single(r => r!["actionCode"]!.GetValue<string>() == "2.1")!;
        Assert.Equal(500, r21["pledgedReach"]!.GetValue<int>());
        Assert.Equal(250, r21["interimRealised"]!.GetValue<int>());
        Assert.Equal(0.5m, r21["interimShare"]!.GetValue<decimal>());
        Assert.NotNull(reports["reports"]!["interimAt"]);

        // A call dossier has no application table.
        Assert.Equal(HttpStatusCode.NotFound, (await officer.GetAsync($"/api/dossiers/{callDossier}/application")).StatusCode);
    }
}
