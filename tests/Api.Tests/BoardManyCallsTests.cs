using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SubsidyEngine.Engine.Programmes;

namespace SubsidyEngine.Api.Tests;

/// <summary>A programme with more calls than the board lists call dossiers (200 per programme).</summary>
public sealed class ManyCallsFactory : ApiFactory
{
    /// <summary>Calls added to Plan Samenleven's three, copies of 2022 with their own ids.</summary>
    public const int Extra = 210;

    protected override bool WithProgrammes => true;

    protected override bool RunJobs => false;

    protected override async Task PrepareWorkflowsAsync(string workflows)
    {
        var calls = Path.Combine(workflows, "plan-samenleven", "calls");
        var template = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(calls, "2022.json")))!.AsObject();
        for (var i = 1; i <= Extra; i++)
        {
            var copy = template.DeepClone().AsObject();
            copy["id"] = $"2022-t{i}";
            await File.WriteAllTextAsync(Path.Combine(calls, $"2022-t{i}.json"), copy.ToJsonString());
        }
    }
}

/// <summary>
/// The board offers "open call" only for calls of the programme data that have no call dossier, also when there are
/// more calls than the board lists (docs/benchmarks.md, scale: with 1,764 calls at 100,000 generated dossiers, 1,564
/// opened calls were offered as unopened, each with its own form).
/// </summary>
public sealed class BoardManyCallsTests(ManyCallsFactory api) : IClassFixture<ManyCallsFactory>
{
    [Fact]
    public async Task Every_opened_call_is_known_as_opened_beyond_the_calls_the_board_lists()
    {
        var service = api.Services.GetRequiredService<ProgrammeService>();
        var officer = ProgrammeScenario.ActorOf(api, "officer");
        var ids = new[] { "2022", "2023", "2024" }.Concat(Enumerable.Range(1, ManyCallsFactory.Extra).Select(i => $"2022-t{i}")).ToList();
        foreach (var id in ids.Where(id => id != "2024"))
        {
            await service.OpenCallAsync("plan-samenleven", id, officer);
        }

        var board = await api.As("officer").GetStringAsync("/board");
        // Only 2024 has no dossier: it alone is offered.
        Assert.Contains("data-open-call=\"plan-samenleven/2024\"", board, StringComparison.Ordinal);
        Assert.Equal(1, board.Split("data-open-call=", StringSplitOptions.None).Length - 1);
    }
}
