using System.Text.Json.Nodes;
using SubsidyEngine.Workflows.Compilation;
using SubsidyEngine.Workflows.Expressions;
using SubsidyEngine.Workflows.Model;

namespace SubsidyEngine.Workflows.Decisions;

/// <summary>The data a transition's assignments propose, and the journal summary of what they assigned.</summary>
public sealed record Assignment(JsonObject Data, JsonObject? Assigned);

/// <summary>
/// One transition that can be taken from a state for a trigger, judged for one decision: whether the actor's role
/// (and relation, where the transition names one) may take it, the outcome of its guard, and (runtime 2) the data
/// its assignments propose, which the guard judged and the effects continue from.
/// </summary>
public sealed record Candidate(int Index, TransitionDefinition Transition, bool RoleAllowed, GuardResult Guard, Assignment? Proposed)
{
    public bool Permitted => RoleAllowed && Guard.Passed;
}

/// <summary>A trigger defined from a state (or a superstate), with its candidates in the order they are tried.</summary>
public sealed record TriggerCandidates(string Trigger, IReadOnlyList<Candidate> Candidates)
{
    /// <summary>The transition taken: the first candidate that is permitted, null when none is.</summary>
    public Candidate? Chosen => Candidates.FirstOrDefault(c => c.Permitted);
}

/// <summary>A transition the actor's role may take but whose guard failed, with the reasons.</summary>
public sealed record Blocked(string Trigger, string? To, IReadOnlyList<Reason> Reasons);

/// <summary>
/// What one decision sees (the rule context: data, arguments, time, actor, state, inputs) and the candidates it has
/// judged so far, so each guard runs once per decision even when a refusal later lists every trigger.
/// <see cref="Adjust"/> lets a caller replace a guard's outcome instead (the options of a screen, when an input cannot
/// be read or a guard judges arguments not given yet).
/// </summary>
public sealed class DecisionContext(RuleContext rule)
{
    private readonly Dictionary<int, Candidate> _judged = [];

    public RuleContext Rule { get; } = rule;

    /// <summary>A guard outcome to use instead of evaluating the guard (null: evaluate). Called once per candidate.</summary>
    public Func<Candidate, GuardResult>? Adjust { get; init; }

    internal bool TryGet(int index, out Candidate candidate) => _judged.TryGetValue(index, out candidate!);

    internal void Set(int index, Candidate candidate) => _judged[index] = candidate;
}

/// <summary>
/// The one place a transition is decided. Pure (no database, no clock, no I/O): a definition, the dossier's state and
/// data, the request's arguments, the actor, the time and the server-derived inputs (all in the
/// <see cref="RuleContext"/>) give the candidates of a trigger, the one taken, or the reasons none is. Used for live
/// fires (both write paths), the options a screen offers, refusals, replay and creation.
/// <para>
/// The rules: the transitions of a trigger are those from the state or, when it has none, from its nearest
/// superstate that has some (an inner state's transitions shadow the superstate's:
/// <see cref="CompiledWorkflow.CandidateIndexes"/>); they are tried in definition order; a candidate is permitted
/// when the actor's role and relation may take it (<see cref="CompiledWorkflow.Allows(int, Actor, JsonObject)"/>)
/// and its guard passes; the first permitted one is taken. Runtime 2 guards judge the data the transition's
/// assignments propose; runtime 1 guards the stored data. Stateless is not consulted: it draws the diagrams
/// (docs/decisions/2026-11-22-workflow-runtime.md, addendum of 2026-12-07).
/// </para>
/// </summary>
public static class Decider
{
    /// <summary>The candidates of <paramref name="trigger"/> from <paramref name="state"/>, each judged (role, guard, proposal).</summary>
    public static TriggerCandidates Candidates(CompiledWorkflow wf, string state, string trigger, DecisionContext context)
    {
        ArgumentNullException.ThrowIfNull(wf);
        ArgumentNullException.ThrowIfNull(context);
        var indexes = wf.CandidateIndexes(state, trigger);
        var list = new List<Candidate>(indexes.Length);
        foreach (var i in indexes)
        {
            list.Add(Judge(wf, i, context));
        }

        return new TriggerCandidates(trigger, list);
    }

    /// <summary>Every trigger defined from <paramref name="state"/> or its superstates, each with its judged candidates.</summary>
    public static IReadOnlyList<TriggerCandidates> Options(CompiledWorkflow wf, string state, DecisionContext context)
    {
        ArgumentNullException.ThrowIfNull(wf);
        return TriggersFrom(wf, state).Select(trigger => Candidates(wf, state, trigger, context)).ToList();
    }

    /// <summary>The triggers defined from <paramref name="state"/> or its superstates (innermost first, each once).</summary>
    public static IEnumerable<string> TriggersFrom(CompiledWorkflow wf, string state)
    {
        ArgumentNullException.ThrowIfNull(wf);
        return wf.SelfAndAncestors(state)
            .SelectMany(s => wf.Definition.Transitions.Where(t => t.From == s).Select(t => t.Trigger))
            .Distinct(StringComparer.Ordinal);
    }

    /// <summary>
    /// Why nothing was taken: the triggers that can be fired from <paramref name="state"/>, and the transitions the
    /// actor's role may take but whose guards fail, with their reasons (every trigger, judged on the same context).
    /// A transition that needs a server-derived input the context does not hold (the inputs are read for the trigger
    /// that was fired, not for the others) is left out of both lists: judged without its facts, it would be refused
    /// for a reason that is not true ("the call of this dossier is not known").
    /// </summary>
    public static (IReadOnlyList<string> Permitted, IReadOnlyList<Blocked> Blocked) Refusal(CompiledWorkflow wf, string state, DecisionContext context)
    {
        var options = Options(wf, state, context)
            .Select(o => o with { Candidates = o.Candidates.Where(c => HasInputs(c.Transition, context)).ToList() })
            .ToList();
        var permitted = options.Where(o => o.Chosen is not null).Select(o => o.Trigger).ToList();
        var blocked = options
            .SelectMany(o => o.Candidates.Where(c => c.RoleAllowed && !c.Guard.Passed).Select(c => new Blocked(o.Trigger, c.Transition.To, c.Guard.FailureReasons.ToList())))
            .ToList();
        return (permitted, blocked);
    }

    private static bool HasInputs(TransitionDefinition transition, DecisionContext context) =>
        transition.Inputs is not { Count: > 0 } needed || needed.Keys.All(name => context.Rule.Inputs?.ContainsKey(name) == true);

    /// <summary>The state a candidate leads to (an internal transition stays).</summary>
    public static string Target(Candidate candidate, string state)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        return candidate.Transition.To ?? state;
    }

    /// <summary>
    /// Judges one transition for one decision (once: the result is kept in <paramref name="context"/>). A role that
    /// may not take it leaves its guard unevaluated (failed, without reasons).
    /// </summary>
    public static Candidate Judge(CompiledWorkflow wf, int index, DecisionContext context)
    {
        ArgumentNullException.ThrowIfNull(wf);
        ArgumentNullException.ThrowIfNull(context);
        if (context.TryGet(index, out var judged))
        {
            return judged;
        }

        var t = wf.Definition.Transitions[index];
        var rule = context.Rule;
        Candidate candidate;
        if (!wf.Allows(index, rule.Actor, rule.Data))
        {
            candidate = new Candidate(index, t, false, new GuardResult(false, []), null);
        }
        else if (wf.GuardsOnProposedData)
        {
            var proposed = Assign(t.Assign, rule);
            var guard = wf.GuardOf(index);
            candidate = new Candidate(index, t, true, guard is null ? GuardResult.Always : guard.Evaluate(rule with { Data = proposed.Data }, wf.Rules), proposed);
        }
        else
        {
            var guard = wf.GuardOf(index);
            candidate = new Candidate(index, t, true, guard is null ? GuardResult.Always : guard.Evaluate(rule, wf.Rules), null);
        }

        if (context.Adjust is { } adjust && candidate.RoleAllowed)
        {
            candidate = candidate with { Guard = adjust(candidate) };
        }

        context.Set(index, candidate);
        return candidate;
    }

    /// <summary>
    /// The creation of a runtime 2 dossier: the data the creation's assignments give (from the arguments and inputs
    /// in <paramref name="context"/>), whether the actor may create it (role and relation judged on that data), and
    /// the creation guard's outcome on it. Runtime 1 creations copy every argument into the data and have no guard.
    /// </summary>
    public static CreationDecision Create(CompiledWorkflow wf, RuleContext context)
    {
        ArgumentNullException.ThrowIfNull(wf);
        ArgumentNullException.ThrowIfNull(context);
        var def = wf.Definition;
        if (def.Runtime < 2 || def.Creation is null)
        {
            // Runtime 1: every creation argument is assigned into the dossier data.
            var all = context.Args.ToDictionary(kv => kv.Key, kv => (JsonNode?)JsonValue.Create("args." + kv.Key), StringComparer.Ordinal);
            return new CreationDecision(Assign(all, context), wf.MayCreate(context.Actor.Role), [], null, GuardResult.Always, ProposedOnly: false);
        }

        var assignment = Assign(def.Creation.Assign, context);
        var roleAllowed = wf.Allows(wf.CreationPermissions, context.Actor, assignment.Data);
        var needed = roleAllowed ? [] : wf.CreationPermissions.Where(p => p.Role == context.Actor.Role && p.Relation != Relations.Any).Select(p => p.Relation).Distinct().ToList();
        var relation = roleAllowed ? null : CompiledWorkflow.RelationOf(context.Actor, assignment.Data);
        var guard = !roleAllowed ? new GuardResult(false, []) : wf.CreationGuard?.Evaluate(context with { Data = assignment.Data }, wf.Rules) ?? GuardResult.Always;
        return new CreationDecision(assignment, roleAllowed, needed, relation, guard, ProposedOnly: true);
    }

    /// <summary>
    /// The data a transition proposes: the stored data with the transition's assignments applied (in key order), and
    /// the journal summary of what was assigned (null when the transition assigns nothing). Runtime 2 guards and
    /// computations judge this proposed data.
    /// </summary>
    public static Assignment Assign(IReadOnlyDictionary<string, JsonNode?>? assign, RuleContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var data = (JsonObject)context.Data.DeepClone();
        if (assign is not { Count: > 0 })
        {
            return new Assignment(data, null);
        }

        var assigned = new JsonObject();
        var entries = assign.ToArray();
        if (entries.Length > 1)
        {
            Array.Sort(entries, static (x, y) => string.CompareOrdinal(x.Key, y.Key));
        }

        foreach (var (field, expr) in entries)
        {
            // An optional argument that was not given leaves the field as it is (it does not erase it).
            if (expr is JsonValue pv && pv.TryGetValue<string>(out var path) && path.StartsWith("args.", StringComparison.Ordinal)
                && ValueResolver.Navigate(context.Args, path[5..]) is null)
            {
                continue;
            }

            var value = ValueResolver.Resolve(expr, context);
            ValueResolver.Set(data, field, value);
            assigned[field] = value?.DeepClone();
        }

        return new Assignment(data, assigned);
    }
}

/// <summary>
/// The decision on a creation: the data it assigns, whether the actor may create it (with the relations it would
/// need and the one it has), and the creation guard's outcome. <see cref="ProposedOnly"/>: runtime 2, where the
/// creation's computations run in the order written.
/// </summary>
public sealed record CreationDecision(Assignment Assignment, bool Allowed, IReadOnlyList<string> NeededRelations, string? ActualRelation, GuardResult Guard, bool ProposedOnly);
