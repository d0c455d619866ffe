using System.Text.Json.Nodes;
using SubsidyEngine.Reliability.Tests.Infrastructure;
using Xunit.Abstractions;

namespace SubsidyEngine.Reliability.Tests;

/// <summary>Scenario 5: many concurrent HTTP transitions on one dossier. See docs/reliability.md.</summary>
public sealed class ConflictTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Concurrent_transitions_on_one_dossier_have_one_winner_per_state_and_leave_a_linear_journal()
    {
        await using var rig = await FaultRig.StartAsync(output);
        var service = await rig.StartServiceAsync("conflict");
        using var http = rig.Client(service, TimeSpan.FromSeconds(60));
        var dossier = await FaultRig.CreateDossierAsync(http, "faults/ring");
        var winners = new List<string>();
        for (var race = 1; race <= FaultSize.Races; race++)
        {
            using var get = await http.GetAsync(new Uri($"/api/dossiers/{dossier:D}", UriKind.Relative));
            var etag = get.Headers.ETag!.Tag;
            var state = JsonNode.Parse(await get.Content.ReadAsStringAsync())!["state"]!.GetValue<string>();
            var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var racers = Enumerable.Range(0, FaultSize.Racers).Select(async i =>
            {
                await start.Task;
                return await FaultRig.FireAsync(http, dossier, "next", $"race-{race}-{i}", etag);
            }).ToList();
            start.SetResult();
            var real = await Task.WhenAll(racers);
            AssertOneWinner(real, 412, $"race {race} (If-Match {etag}, state {state})");
            winners.Add($"{state}->{real.Single(a => a.Status == 200).To}");
        }

        // Without If-Match, on a trigger the winner's own transition disables: one 200, the rest 409 "not permitted".
        var finish = await Task.WhenAll(Enumerable.Range(0, FaultSize.Racers).Select(i => FaultRig.FireAsync(http, dossier, "finish", $"finish-{i}")));
        AssertOneWinner([.. finish], 409, "finish race");

        var version = await rig.ScalarAsync("SELECT version FROM dossier WHERE id = $1", dossier);
        Assert.Equal(FaultSize.Races + 2, (int)version); // created + one per race + finish
        await rig.AssertLinearJournalsAsync();
        await Checks.AssertChainsVerifyAsync(rig);
        rig.Log($"{FaultSize.Races} races of {FaultSize.Racers} requests with one ETag ({string.Join(", ", winners)}) and one finish race: one winner each; journal 1..{version}");
    }

    private static void AssertOneWinner(IReadOnlyList<FireAnswer> answers, int loserStatus, string what)
    {
        Assert.Equal(FaultSize.Racers, answers.Count);
        var byStatus = answers.GroupBy(a => a.Status).ToDictionary(g => g.Key, g => g.Count());
        var summary = string.Join(", ", byStatus.Select(kv => $"{kv.Key}: {kv.Value}"));
        Assert.True(byStatus.GetValueOrDefault(200) == 1, $"{what}: {summary}");
        Assert.True(byStatus.GetValueOrDefault(loserStatus) == FaultSize.Racers - 1, $"{what}: {summary}\n{answers.FirstOrDefault(a => a.Status != 200 && a.Status != loserStatus)?.Body}");
        Assert.All(answers.Where(a => a.Status == loserStatus), a => Assert.Equal(loserStatus, a.ProblemStatus));
    }
}
