using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Stateless;
using Stateless.Graph;
using SubsidyEngine.Workflows.Expressions;
using SubsidyEngine.Workflows.Model;

namespace SubsidyEngine.Workflows.Compilation;

/// <summary>
/// A definition prepared for deciding: parsed guards and permissions, the candidate transitions per (state, trigger)
/// and the relation checks. Decisions are taken by <see cref="Decisions.Decider"/>; Stateless only draws the diagram
/// (<see cref="Mermaid"/>), and a test holds the decider to what Stateless would fire for every definition.
/// </summary>
public sealed class CompiledWorkflow
{
    private readonly Dictionary<int, GuardExpression?> _guards = [];
    private readonly Permission[][] _permissions;

    public CompiledWorkflow(WorkflowDefinition definition, RuleRegistry rules)
    {
        Definition = definition;
        Rules = rules;
        _permissions = definition.Transitions.Select(t => t.Roles.Select(Permission.Parse).ToArray()).ToArray();
        CreationPermissions = (definition.Creation?.Roles ?? []).Select(Permission.Parse).ToArray();
        CreationGuard = null;
        if (definition.Creation?.Guard is { } creationGuard)
        {
            var problems = new List<string>();
            CreationGuard = GuardExpression.Parse(creationGuard, "$.creation.guard", problems);
            if (problems.Count > 0)
            {
                throw new InvalidOperationException(string.Join("; ", problems));
            }
        }

        for (var i = 0; i < definition.Transitions.Count; i++)
        {
            var problems = new List<string>();
            _guards[i] = GuardExpression.Parse(definition.Transitions[i].Guard, $"$.transitions[{i}].guard", problems);
            if (problems.Count > 0)
            {
                throw new InvalidOperationException(string.Join("; ", problems));
            }
        }
    }

    public WorkflowDefinition Definition { get; }

    public RuleRegistry Rules { get; }

    /// <summary>Who may create a dossier (runtime 2: with its relation to the dossier being created).</summary>
    public IReadOnlyList<Permission> CreationPermissions { get; }

    /// <summary>
    /// Whether <paramref name="role"/> may create a dossier at all (its relation, runtime 2, is judged on the data the
    /// creation assigns). A definition without a creation section lets officers and the system create.
    /// </summary>
    public bool MayCreate(string role) =>
        CreationPermissions.Any(p => p.Role == role) || Definition.Creation is null && role is "officer" or "system";

    /// <summary>The creation's guard (runtime 2), null when it has none.</summary>
    public GuardExpression? CreationGuard { get; }

    /// <summary>Whether guards and computations see the proposed data (runtime 2) or the stored data (runtime 1).</summary>
    public bool GuardsOnProposedData => Definition.Runtime >= 2;

    private readonly ConcurrentDictionary<(string State, string Trigger), int[]> _candidateIndexes = new();

    /// <summary>
    /// The indexes of the transitions for <paramref name="trigger"/> from <paramref name="state"/> or, when it has
    /// none, its nearest superstate that has some (an inner state's transitions shadow the superstate's, as Stateless
    /// resolves them), in definition order. Cached: definitions are immutable.
    /// </summary>
    public int[] CandidateIndexes(string state, string trigger) =>
        _candidateIndexes.GetOrAdd((state, trigger), static (key, self) =>
        {
            foreach (var s in self.SelfAndAncestors(key.State))
            {
                var list = new List<int>();
                for (var i = 0; i < self.Definition.Transitions.Count; i++)
                {
                    var t = self.Definition.Transitions[i];
                    if (t.From == s && t.Trigger == key.Trigger)
                    {
                        list.Add(i);
                    }
                }

                if (list.Count > 0)
                {
                    return [.. list];
                }
            }

            return [];
        }, this);

    /// <summary>The parsed <c>roles</c> of a transition.</summary>
    public IReadOnlyList<Permission> PermissionsOf(int transitionIndex) => _permissions[transitionIndex];

    /// <summary>
    /// The relation of <paramref name="actor"/> to the dossier whose data is <paramref name="data"/>:
    /// <see cref="Relations.Owner"/> when <c>data.owner</c> is the actor's authority, <see cref="Relations.Participant"/>
    /// when <c>data.participants</c> holds it, null otherwise (or without an authority).
    /// </summary>
    public static string? RelationOf(Actor actor, JsonObject data)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(data);
        if (actor.Authority is not { Length: > 0 } authority)
        {
            return null;
        }

        if (data["owner"] is JsonValue o && o.TryGetValue<string>(out var owner) && owner == authority)
        {
            return Relations.Owner;
        }

        if (data["participants"] is JsonArray participants)
        {
            foreach (var p in participants)
            {
                if (p is JsonValue v && v.TryGetValue<string>(out var id) && id == authority)
                {
                    return Relations.Participant;
                }
            }
        }

        return null;
    }

    /// <summary>
    /// Whether <paramref name="actor"/> may act through permissions <paramref name="permissions"/> on the dossier
    /// with <paramref name="data"/>. Runtime 2: the role must match and, where the entry names a relation, the actor
    /// must have it. Runtime 1 entries name no relation; a municipality with a known authority must still be the
    /// dossier's owner (a participating authority reads, it does not act), while actors recorded without one (the
    /// journal of runtime 1, the simulation) keep the role check alone.
    /// </summary>
    public bool Allows(IReadOnlyList<Permission> permissions, Actor actor, JsonObject data)
    {
        ArgumentNullException.ThrowIfNull(permissions);
        ArgumentNullException.ThrowIfNull(actor);
        string? relation = null;
        var relationKnown = false;
        foreach (var p in permissions)
        {
            if (!string.Equals(p.Role, actor.Role, StringComparison.Ordinal))
            {
                continue;
            }

            var needed = p.Relation;
            if (Definition.Runtime < 2 && actor.Role == "municipality" && actor.Authority is not null)
            {
                needed = Relations.Owner;
            }

            if (needed == Relations.Any)
            {
                return true;
            }

            if (!relationKnown)
            {
                relation = RelationOf(actor, data);
                relationKnown = true;
            }

            if (relation == needed)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether the actor may fire transition <paramref name="transitionIndex"/> on the dossier with <paramref name="data"/>.</summary>
    public bool Allows(int transitionIndex, Actor actor, JsonObject data) => Allows(_permissions[transitionIndex], actor, data);

    /// <summary>The guard of a transition, null when it has none.</summary>
    public GuardExpression? GuardOf(int transitionIndex) => _guards[transitionIndex];

    public IEnumerable<string> SelfAndAncestors(string state) => Definition.SelfAndAncestors(state);

    /// <summary>
    /// Builds a Stateless machine over external state, one trigger per definition trigger, each transition guarded by
    /// <paramref name="permitted"/> (given the transition's index). For the diagram, and for the test that holds
    /// <see cref="Decisions.Decider"/> to what Stateless would fire; never used to decide a fire.
    /// </summary>
    public StateMachine<string, string> StatelessMachine(Func<string> read, Action<string> write, Func<int, bool> permitted)
    {
        ArgumentNullException.ThrowIfNull(permitted);
        var machine = new StateMachine<string, string>(read, write, FiringMode.Queued);
        var triggers = Definition.Triggers.ToDictionary(t => t.Id, t => t.Id, StringComparer.Ordinal);

        foreach (var s in Definition.States)
        {
            var cfg = machine.Configure(s.Id);
            if (s.Parent is not null)
            {
                cfg.SubstateOf(s.Parent);
            }
        }

        for (var i = 0; i < Definition.Transitions.Count; i++)
        {
            var index = i;
            var t = Definition.Transitions[i];
            var cfg = machine.Configure(t.From);
            var description = Describe(t, _guards[i]);
            Func<bool> guard = () => permitted(index);

            if (t.To is null)
            {
                cfg.InternalTransitionIf(triggers[t.Trigger], _ => guard(), _ => { }, description);
            }
            else if (t.To == t.From)
            {
                cfg.PermitReentryIf(triggers[t.Trigger], guard, description);
            }
            else
            {
                cfg.PermitIf(triggers[t.Trigger], t.To, guard, description);
            }
        }

        return machine;
    }

    private static string Describe(TransitionDefinition t, GuardExpression? guard)
    {
        var roles = string.Join("/", t.Roles);
        return guard is null ? roles : $"{roles}: {guard.Describe()}";
    }

    /// <summary>The Mermaid state diagram of this definition, generated by Stateless.</summary>
    public string Mermaid()
    {
        var state = Definition.Initial;
        var machine = StatelessMachine(() => state, s => state = s, _ => true);
        return MermaidGraph.Format(machine.GetInfo());
    }
}
