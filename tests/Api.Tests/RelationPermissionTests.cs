using System.Net;
using System.Text.Json.Nodes;

namespace SubsidyEngine.Api.Tests;

public sealed class RelationFactory : ApiFactory
{
    protected override bool WithProgrammes => true;
}

/// <summary>
/// Issue 18: permissions follow the relation to the dossier, not only the role. Antwerpen participates in Genk's
/// cooperation: it reads the dossier, its transitions and letters, but it may not change it (the runtime refuses,
/// inside the fire, whatever path the request takes); Gent, unrelated, does not see it; the auditor reads and
/// changes nothing. Every refused write leaves the database as it was.
/// </summary>
public sealed class RelationPermissionTests(RelationFactory api) : IClassFixture<RelationFactory>
{
    private const string Calls = "/api/programmes/plan-samenleven/calls";

    private async Task<Guid> GenksCooperationAsync()
    {
        if (await api.ScalarAsync("SELECT count(*) FROM dossier WHERE workflow_id = 'plan-samenleven/call'") == 0)
        {
            await ProgrammeScenario.OpenCallAsync(api);
        }

        using var genk = api.As("genk");
        var response = await genk.PostAsync($"{Calls}/2023/applications", ApiFactory.Json("""{"participants":["11002"]}"""));
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.Conflict, body.ToJsonString());
        return Guid.Parse(body["dossierId"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_participant_reads_the_cooperation_but_cannot_change_its_contact_or_withdraw_it()
    {
        var id = await GenksCooperationAsync();
        using var antwerpen = api.As("antwerpen");
        Assert.Equal(HttpStatusCode.OK, (await antwerpen.GetAsync($"/api/dossiers/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await antwerpen.GetAsync($"/api/dossiers/{id}/transitions")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await antwerpen.GetAsync($"/api/dossiers/{id}/letters")).StatusCode);

        var before = await api.FingerprintAsync();
        var contact = await antwerpen.PostAsync($"/api/dossiers/{id}/transitions/save-draft", ApiFactory.Json(
            """{"application":{"rows":[]},"contact":{"name":"Antwerpen","email":"antwerpen@example.invalid"},"participants":["11002"]}"""));
        Assert.Equal(HttpStatusCode.Forbidden, contact.StatusCode);
        var problem = JsonNode.Parse(await contact.Content.ReadAsStringAsync())!;
        Assert.Contains("owner", problem.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await antwerpen.PostAsync($"/api/dossiers/{id}/transitions/withdraw", ApiFactory.Json("{}"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await antwerpen.PostAsync($"/api/dossiers/{id}/transitions/submit", ApiFactory.Json("{}"))).StatusCode);
        Assert.Equal(before, await api.FingerprintAsync());

        // The submitting authority acts.
        using var genk = api.As("genk");
        Assert.Equal(HttpStatusCode.OK, (await genk.PostAsync($"/api/dossiers/{id}/transitions/save-draft", ApiFactory.Json(
            """{"application":{"rows":[{"action":"2.1","plannedAdditionalReach":10,"priority":1,"localContributionEur":600}]}}"""))).StatusCode);
    }

    [Fact]
    public async Task An_unrelated_municipality_does_not_see_it_and_the_auditor_changes_nothing()
    {
        var id = await GenksCooperationAsync();
        var before = await api.FingerprintAsync();
        using var gent = api.As("gent");
        Assert.Equal(HttpStatusCode.NotFound, (await gent.GetAsync($"/api/dossiers/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await gent.PostAsync($"/api/dossiers/{id}/transitions/withdraw", ApiFactory.Json("{}"))).StatusCode);
        using var auditor = api.As("auditor");
        Assert.Equal(HttpStatusCode.OK, (await auditor.GetAsync($"/api/dossiers/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await auditor.PostAsync($"/api/dossiers/{id}/transitions/withdraw", ApiFactory.Json("{}"))).StatusCode);
        Assert.Equal(before, await api.FingerprintAsync());
    }
}
