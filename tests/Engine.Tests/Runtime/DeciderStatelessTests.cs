using SubsidyEngine.Engine.Tests.Programmes;
using SubsidyEngine.Workflows.Compilation;
using SubsidyEngine.Workflows.Decisions;

namespace SubsidyEngine.Engine.Tests.Runtime;

/// <summary>
/// The decider (<see cref="Decider"/>) is authoritative; Stateless only draws the diagrams. This holds the two to the
/// same structure for every definition under <c>workflows/</c>: with exactly one transition of a trigger permitted,
/// whenever the decider takes it, the Stateless machine built from the same definition reaches the same state. The
/// one documented difference: an inner state's transitions shadow its superstate's in the decider even when their
/// guards fail, while Stateless falls back to the superstate (docs/decisions/2026-11-22-workflow-runtime.md).
/// </summary>
public sealed class DeciderStatelessTests
{
    [Fact]
    public void For_every_definition_the_decider_reaches_the_state_Stateless_reaches_for_the_transition_it_takes()
    {
        var catalog = ProgrammeHarness.LoadCatalog();
        var compared = 0;
        var shadowed = 0;
        foreach (var wf in catalog.All)
        {
            var def = wf.Definition;
            foreach (var state in def.States.Select(s => s.Id))
            {
                foreach (var trigger in def.Triggers.Select(t => t.Id))
                {
                    var reachable = Enumerable.Range(0, def.Transitions.Count)
                        .Where(i => def.Transitions[i].Trigger == trigger && def.SelfAndAncestors(state).Contains(def.Transitions[i].From, StringComparer.Ordinal))
                        .ToList();
                    foreach (var only in reachable)
                    {
                        var candidates = wf.CandidateIndexes(state, trigger);
                        string? decided = candidates.Contains(only) ? def.Transitions[only].To ?? state : null;
                        var current = state;
                        var machine = wf.StatelessMachine(() => current, s => current = s, i => i == only);
                        string? stateless = null;
                        if (machine.CanFire(trigger))
                        {
                            machine.Fire(trigger);
                            stateless = current;
                        }

                        if (decided is not null)
                        {
                            Assert.True(decided == stateless, $"{def.Key}: '{trigger}' from '{state}' by transition {only}: decider {decided}, Stateless {stateless ?? "refused"}");
                            compared++;
                        }
                        else
                        {
                            // Shadowed: the transition belongs to a superstate whose inner state has its own for this trigger.
                            Assert.NotEmpty(candidates);
                            Assert.DoesNotContain(only, candidates);
                            shadowed++;
                        }
                    }
                }
            }
        }

        Assert.True(compared > 100, $"compared {compared} decisions");
        Assert.True(shadowed >= 0);
    }
}
