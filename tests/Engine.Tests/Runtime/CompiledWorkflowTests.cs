using System.Text;
using System.Text.Json.Nodes;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Workflows.Compilation;
using SubsidyEngine.Workflows.Decisions;
using SubsidyEngine.Workflows.Expressions;
using SubsidyEngine.Workflows.Loading;

namespace SubsidyEngine.Engine.Tests.Runtime;

/// <summary>
/// One compiled workflow serves every fire at once (the decider keeps nothing between decisions but the compiled
/// definition's caches). Every fire must still see only its own state and context, whichever thread decided before
/// and however that decision ended.
/// </summary>
public sealed class CompiledWorkflowTests
{
    private static readonly Actor Officer = new("officer-1", "officer");

    private static CompiledWorkflow Abc(RuleRegistry rules) =>
        WorkflowCatalog.FromDefinitions(
            [DefinitionLoader.LoadDefinition(Encoding.UTF8.GetBytes(TinyDefinitions.Abc), "test/abc.v1.json", [])!],
            rules, new FixedTemplates("letter-a", "notice-a")).Latest("test/abc");

    private static DecisionContext Context(string state, decimal amount, Actor? actor = null) =>
        new(new RuleContext(new JsonObject { ["amount"] = amount }, new JsonObject(), DateTimeOffset.UnixEpoch, actor ?? Officer, state));

    /// <summary>The state the decider takes the dossier to, or InvalidOperationException when nothing is permitted.</summary>
    private static string Fire(CompiledWorkflow wf, string state, string trigger, DecisionContext context) =>
        Decider.Candidates(wf, state, trigger, context).Chosen is { } chosen
            ? Decider.Target(chosen, state)
            : throw new InvalidOperationException($"'{trigger}' is not permitted from '{state}'");

    /// <summary>What the definition says, worked out by hand: (state, trigger, amount) to the state reached.</summary>
    private static string Expected(string state, string trigger, decimal amount) => (state, trigger) switch
    {
        ("A", "go") => amount > 0 ? "B1" : throw new InvalidOperationException("not permitted"),
        ("B1", "toggle") => "B2",
        ("B2", "toggle") => "B1",
        ("B1" or "B2", "finish") => "C", // the superstate B's transition
        ("A", "set-amount") => "A", // internal transition
        _ => throw new InvalidOperationException("not permitted"),
    };

    [Fact]
    public void Concurrent_fires_on_one_workflow_each_reach_the_state_of_their_own_dossier()
    {
        var wf = Abc(RuntimeHarness.DefaultRules());
        (string State, string Trigger)[] cases = [("A", "go"), ("A", "set-amount"), ("B1", "toggle"), ("B2", "toggle"), ("B1", "finish"), ("B2", "finish")];
        var wrong = 0;
        var refusedGo = 0;

        Parallel.For(0, 40_000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var (state, trigger) = cases[i % cases.Length];
            var amount = i % 7 == 0 ? 0m : i; // some "go" fires fail the guard
            if (state == "A" && trigger == "go" && amount == 0)
            {
                // The guard refuses.
                Assert.ThrowsAny<InvalidOperationException>(() => Fire(wf, state, trigger, Context(state, amount)));
                Interlocked.Increment(ref refusedGo);
                return;
            }

            if (Fire(wf, state, trigger, Context(state, amount)) != Expected(state, trigger, amount))
            {
                Interlocked.Increment(ref wrong);
            }
        });

        Assert.Equal(0, wrong);
        Assert.True(refusedGo > 0);
    }

    [Fact]
    public async Task A_fire_started_while_another_is_inside_its_guard_decides_on_its_own_context()
    {
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var rules = RuntimeHarness.DefaultRules();
        rules.Guard("test.amount-positive", ctx =>
        {
            if (ctx.Data["amount"]!.GetValue<decimal>() == 1m)
            {
                entered.Set();
                Assert.True(release.Wait(TimeSpan.FromSeconds(30)));
            }

            return RuleOutcome.Pass();
        });
        var wf = Abc(rules);
        Assert.Equal("B1", Fire(wf, "A", "go", Context("A", 2m))); // the guard was evaluated once already

        // The first fire stops inside its guard (a fresh context: the guard is not evaluated yet).
        var first = Task.Run(() => Fire(wf, "A", "go", Context("A", 1m)));
        Assert.True(entered.Wait(TimeSpan.FromSeconds(30)));

        // Meanwhile other dossiers' fires run to the end, each from its own state.
        Assert.Equal("B1", Fire(wf, "B2", "toggle", Context("B2", 5m)));
        Assert.Equal("C", Fire(wf, "B1", "finish", Context("B1", 5m)));
        Assert.Equal("B1", Fire(wf, "A", "go", Context("A", 3m)));

        release.Set();
        Assert.Equal("B1", await first);
        Assert.Equal("B2", Fire(wf, "B1", "toggle", Context("B1", 5m)));
    }

    [Fact]
    public void A_fire_that_ends_in_an_exception_leaves_the_next_fires_correct()
    {
        var calls = 0;
        var rules = RuntimeHarness.DefaultRules();
        rules.Guard("test.amount-positive", ctx =>
        {
            Interlocked.Increment(ref calls);
            return ctx.Data["amount"]!.GetValue<decimal>() == 13m ? throw new InvalidDataException("guard failed to evaluate") : RuleOutcome.Pass();
        });
        var wf = Abc(rules);

        // A guard that throws, a trigger the state does not have, and a role that may not fire.
        Assert.Throws<InvalidDataException>(() => Fire(wf, "A", "go", Context("A", 13m)));
        Assert.ThrowsAny<InvalidOperationException>(() => Fire(wf, "B1", "go", Context("B1", 5m)));
        Assert.ThrowsAny<InvalidOperationException>(() => Fire(wf, "B1", "toggle", Context("B1", 5m, new Actor("gemeente-x", "municipality"))));

        Assert.Equal("B1", Fire(wf, "A", "go", Context("A", 5m)));
        Assert.Equal("B2", Fire(wf, "B1", "toggle", Context("B1", 5m)));
        Assert.Equal("C", Fire(wf, "B2", "finish", Context("B2", 5m)));
        Assert.Equal(2, calls); // the guard ran for the two "go" fires only: each context evaluates it once
    }

    [Fact]
    public void Decide_gives_the_same_decision_every_time()
    {
        var wf = Abc(RuntimeHarness.DefaultRules());
        var data = new JsonObject { ["amount"] = 10m };
        for (var i = 0; i < 3; i++)
        {
            var go = RuntimeDecider.Decide(wf, Guid.NewGuid(), "A", data, "go", new JsonObject(), Officer, DateTimeOffset.UnixEpoch);
            Assert.Equal("B1", go.ToState);
            Assert.All(go.Checks, c => Assert.True(c.Passed));
            var finish = RuntimeDecider.Decide(wf, Guid.NewGuid(), "B2", data, "finish", new JsonObject(), Officer, DateTimeOffset.UnixEpoch);
            Assert.Equal("C", finish.ToState);
        }

        var refused = Assert.Throws<TriggerNotPermittedException>(() =>
            RuntimeDecider.Decide(wf, Guid.NewGuid(), "A", new JsonObject { ["amount"] = 0m }, "go", new JsonObject(), Officer, DateTimeOffset.UnixEpoch));
        Assert.Contains(refused.Blocked, b => b.Trigger == "go");
        Assert.Equal("B1", RuntimeDecider.Decide(wf, Guid.NewGuid(), "A", data, "go", new JsonObject(), Officer, DateTimeOffset.UnixEpoch).ToState);
    }
}
