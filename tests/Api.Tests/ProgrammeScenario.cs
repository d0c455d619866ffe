using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SubsidyEngine.Engine.Programmes;
using SubsidyEngine.Engine.Programmes.Model;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Workflows.Expressions;

namespace SubsidyEngine.Api.Tests;

/// <summary>Set-up steps of the Plan Samenleven 2023 call through the Engine (what the portal and the call page do).</summary>
public static class ProgrammeScenario
{
    public const string Programme = "plan-samenleven";
    public const string Call = "2023";

    /// <summary>Genk's application table of the browser test: 2.1 x 500 (priority 1) and 5.4 x 100 (priority 2), EUR 62,000 requested.</summary>
    public static JsonObject GenkApplication() => new()
    {
        ["rows"] = new JsonArray(
            new JsonObject { ["action"] = "2.1", ["currentReach"] = 0, ["plannedAdditionalReach"] = 500, ["priority"] = 1, ["localContributionEur"] = 30000 },
            new JsonObject { ["action"] = "5.4", ["currentReach"] = 0, ["plannedAdditionalReach"] = 100, ["priority"] = 2, ["localContributionEur"] = 32000 }),
    };

    public static Actor ActorOf(ApiFactory api, string persona) =>
        new(api.Users[persona].Id.ToString("D"), api.Users[persona].Role == Roles.Admin ? Roles.Officer : api.Users[persona].Role) { Authority = api.Users[persona].AuthorityId };

    /// <summary>Opens the call and its window (officer); returns the call dossier id.</summary>
    public static async Task<Guid> OpenCallAsync(ApiFactory api)
    {
        var service = api.Services.GetRequiredService<ProgrammeService>();
        var officer = ActorOf(api, "officer");
        var call = await service.OpenCallAsync(Programme, Call, officer);
        await api.Services.GetRequiredService<WorkflowRuntime>().FireAsync(new FireRequest(call.DossierId, "open-window", [], officer) { IdempotencyKey = "open-window" });
        return call.DossierId;
    }

    /// <summary>Starts the application of <paramref name="persona"/>'s authority with <paramref name="application"/>; returns its id.</summary>
    public static async Task<Guid> StartAsync(ApiFactory api, string persona, JsonObject application, params string[] participants)
    {
        var result = await api.Services.GetRequiredService<ProgrammeService>().StartApplicationAsync(
            Programme, Call, api.Users[persona].AuthorityId!, participants, ActorOf(api, persona), application);
        return result.DossierId;
    }

    public static Task<FireResult> FireAsync(ApiFactory api, Guid dossier, string trigger, string persona, JsonObject? args = null) =>
        api.Services.GetRequiredService<WorkflowRuntime>().FireAsync(new FireRequest(dossier, trigger, args ?? [], ActorOf(api, persona)));
}
