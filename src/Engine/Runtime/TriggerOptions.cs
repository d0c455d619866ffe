using System.Text.Json.Nodes;
using SubsidyEngine.Workflows.Decisions;
using SubsidyEngine.Workflows.Expressions;

namespace SubsidyEngine.Engine.Runtime;

/// <summary>
/// The triggers a screen offers an actor on a dossier: the decider's <see cref="Decider.Options"/> on the stored
/// projection (runtime 2: on the data each transition proposes, with the server-derived inputs read as a fire would).
/// </summary>
internal static class TriggerOptions
{
    /// <summary>Every trigger of the dossier's current state as seen by <paramref name="actor"/>, with the reasons of failing guards.</summary>
    public static async Task<IReadOnlyList<TriggerOption>> ForAsync(FireParts parts, DossierSnapshot dossier, Actor actor, CancellationToken cancellationToken)
    {
        var wf = parts.Catalog.Get(dossier.WorkflowId, dossier.WorkflowVersion);
        var now = parts.Now();
        var rule = new RuleContext(dossier.Data, new JsonObject(), now, actor, dossier.State) { Runtime = wf.Definition.Runtime };
        var context = new DecisionContext(rule);
        if (wf.GuardsOnProposedData)
        {
            // Runtime 2: the guards judge what each transition would propose (without arguments: an argument not
            // given leaves its field as it is), with the server-derived inputs read as a fire would read them.
            var needed = Decider.TriggersFrom(wf, dossier.State)
                .SelectMany(trigger => wf.CandidateIndexes(dossier.State, trigger))
                .Where(i => wf.Allows(i, actor, dossier.Data))
                .SelectMany(i => wf.Definition.Transitions[i].Inputs ?? new Dictionary<string, string>())
                .GroupBy(e => e.Key, StringComparer.Ordinal).Select(g => g.First()).ToList();
            var inputs = new JsonObject();
            var unavailable = new Dictionary<string, Reason>(StringComparer.Ordinal);
            if (needed.Count > 0)
            {
                await using var conn = await parts.DataSource.OpenConnectionAsync(cancellationToken);
                await using var tx = await conn.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
                var request = new InputRequest(dossier.Id, dossier.WorkflowId, dossier.State, dossier.Data, [], actor, now, conn, tx);
                foreach (var (name, providerName) in needed)
                {
                    try
                    {
                        inputs[name] = await ((IInputProvider)parts.Catalog.Rules.FindInput(providerName)!).ReadAsync(request, cancellationToken);
                    }
                    catch (ArgumentValidationException e)
                    {
                        unavailable[name] = new Reason("input.unavailable", string.Join(" ", e.Errors.Select(x => x.Nl ?? x.Message)), string.Join(" ", e.Errors.Select(x => x.Message)));
                    }
                }

                await tx.RollbackAsync(cancellationToken);
            }

            if (RuntimeDecider.ActorFacts(actor) is { } facts)
            {
                inputs[RuntimeDecider.ActorInput] = facts;
            }

            context = new DecisionContext(rule with { Inputs = inputs })
            {
                Adjust = c =>
                {
                    var missing = (c.Transition.Inputs ?? new Dictionary<string, string>()).Keys.Where(unavailable.ContainsKey).Select(k => unavailable[k]).ToList();
                    if (missing.Count > 0)
                    {
                        return new GuardResult(false, [new GuardCheck("inputs", false, missing)]);
                    }

                    // A guard that judges the request's own arguments (a date that must not lie in the future) cannot be
                    // decided before they are given: the option is offered and the fire decides, with the reason.
                    return !c.Guard.Passed && wf.GuardOf(c.Index)?.ComparesArguments == true ? GuardResult.Always : c.Guard;
                },
            };
        }

        var options = Decider.Options(wf, dossier.State, context);
        return options
            .Select(o =>
            {
                var def = wf.Definition.FindTrigger(o.Trigger)!;
                var allowed = o.Candidates.Where(c => c.RoleAllowed).ToList();
                var best = o.Chosen ?? allowed.FirstOrDefault();
                return new TriggerOption(o.Trigger, def, best?.Transition.To ?? o.Candidates[0].Transition.To, allowed.Count > 0, best?.Permitted ?? false,
                    best is null || best.Permitted ? [] : best.Guard.FailureReasons.ToList(), best?.Transition.CommentRequired ?? false);
            })
            .ToList();
    }
}
