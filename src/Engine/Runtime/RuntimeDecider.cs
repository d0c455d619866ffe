using System.Text.Json.Nodes;
using SubsidyEngine.Workflows.Compilation;
using SubsidyEngine.Workflows.Decisions;
using SubsidyEngine.Workflows.Expressions;
using SubsidyEngine.Workflows.Model;

namespace SubsidyEngine.Engine.Runtime;

/// <summary>
/// The structural part of a decision, known before any guard runs: the trigger, the candidate transitions the actor
/// may take (role and relation checked), and the server-derived inputs they need. Made by <see cref="RuntimeDecider.Plan"/>.
/// </summary>
public sealed record DecisionPlan(
    CompiledWorkflow Workflow, Guid DossierId, string State, TriggerDefinition Trigger, IReadOnlyList<int> Allowed,
    IReadOnlyList<KeyValuePair<string, string>> Inputs);

/// <summary>
/// The decision for one fire: the candidate taken (its transition and, runtime 2, the assignment its guard judged,
/// which the effects continue from), the state it reaches, its guard checks, and the context the guards saw.
/// </summary>
public sealed record Decision(Candidate Chosen, string ToState, RuleContext Rule)
{
    public TransitionDefinition Transition => Chosen.Transition;

    public IReadOnlyList<GuardCheck> Checks => Chosen.Guard.Checks;

    public Assignment? Proposed => Chosen.Proposed;
}

/// <summary>
/// The workflow decider (<see cref="Decider"/>, pure, in src/Workflows) as the runtime uses it for live fires, replay,
/// creation and refusals. In two steps, because server-derived inputs are read between them: <see cref="Plan"/>
/// checks the arguments against the trigger's schema, finds the candidate transitions and checks the actor's role and
/// relation; <see cref="Decide(DecisionPlan, JsonObject, JsonObject, Actor, DateTimeOffset, JsonObject?)"/> lets the
/// decider judge the guards. Refusals become the runtime's errors here; <see cref="Effects"/> computes what the
/// decided transition does.
/// </summary>
public static class RuntimeDecider
{
    /// <summary>The name under which a municipality actor's authority is journaled with the inputs (runtime 2).</summary>
    public const string ActorInput = "actor";

    /// <summary>
    /// The plan of firing <paramref name="trigger"/> from <paramref name="state"/>. Throws
    /// <see cref="TriggerNotPermittedException"/> (no such trigger or no transition from this state),
    /// <see cref="ArgumentValidationException"/> (arguments that do not match the schema; runtime 2 checks them first)
    /// or <see cref="TransitionForbiddenException"/> (the actor's role or relation may not fire it).
    /// </summary>
    public static DecisionPlan Plan(CompiledWorkflow wf, Guid dossierId, string state, JsonObject data, string trigger, JsonObject args, Actor actor, DateTimeOffset now, bool fromClient = false)
    {
        ArgumentNullException.ThrowIfNull(wf);
        ArgumentNullException.ThrowIfNull(args);
        var strict = wf.Definition.Runtime >= 2;
        var triggerDef = wf.Definition.FindTrigger(trigger);
        if (triggerDef is null)
        {
            throw NotPermitted(wf, dossierId, state, trigger, new DecisionContext(new RuleContext(data, args, now, actor, state) { Runtime = wf.Definition.Runtime }));
        }

        if (!strict && fromClient)
        {
            // A runtime 1 version took some server facts as arguments: the server fills them, a client may not.
            var owned = wf.Rules.ServerOwnedArguments(trigger)
                .Where(path => Workflows.Expressions.ValueResolver.Navigate(args, path) is not null)
                .Select(path => new FieldError("$." + path, "is determined by the server, not stated in a request") { Rule = "server-owned", Nl = $"{path}: wordt door de server bepaald en kan niet worden meegegeven" })
                .ToList();
            Throw(owned);
        }

        if (strict)
        {
            // What the request says is judged before anything is decided (the comment's requirement needs the
            // candidate transitions, below).
            Throw(ArgumentValidator.Validate(triggerDef.Parameters, WithoutComment(args), commentRequired: false, triggerDef.Automatic));
        }

        var indexes = wf.CandidateIndexes(state, trigger);
        if (indexes.Length == 0)
        {
            throw NotPermitted(wf, dossierId, state, trigger, new DecisionContext(new RuleContext(data, args, now, actor, state) { Runtime = wf.Definition.Runtime }));
        }

        var allowed = new List<int>(indexes.Length);
        foreach (var i in indexes)
        {
            if (wf.Allows(i, actor, data))
            {
                allowed.Add(i);
            }
        }

        if (allowed.Count == 0)
        {
            throw Forbidden(wf, indexes, trigger, actor, data);
        }

        var commentRequired = false;
        foreach (var i in allowed)
        {
            commentRequired |= wf.Definition.Transitions[i].CommentRequired;
        }

        Throw(strict
            ? ArgumentValidator.Validate([], OnlyComment(args), commentRequired)
            : ArgumentValidator.Validate(triggerDef.Parameters, args, commentRequired, triggerDef.Automatic));

        return new DecisionPlan(wf, dossierId, state, triggerDef, allowed, strict ? InputsOf(allowed.Select(i => wf.Definition.Transitions[i].Inputs)) : []);
    }

    /// <summary>
    /// Lets the decider judge the plan's candidates on <paramref name="data"/> (runtime 2: on the data each proposes)
    /// with the server-derived <paramref name="inputs"/>; the first that is permitted is taken. Throws
    /// <see cref="TriggerNotPermittedException"/> with the reasons when none is.
    /// </summary>
    public static Decision Decide(DecisionPlan plan, JsonObject data, JsonObject args, Actor actor, DateTimeOffset now, JsonObject? inputs)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var wf = plan.Workflow;
        var context = new DecisionContext(new RuleContext(data, args, now, actor, plan.State) { Inputs = inputs, Runtime = wf.Definition.Runtime });
        var chosen = Decider.Candidates(wf, plan.State, plan.Trigger.Id, context).Chosen
            ?? throw NotPermitted(wf, plan.DossierId, plan.State, plan.Trigger.Id, context);
        return new Decision(chosen, Decider.Target(chosen, plan.State), context.Rule);
    }

    /// <summary>The whole decision without server-derived inputs (runtime 1, tests, benchmarks).</summary>
    public static Decision Decide(CompiledWorkflow wf, Guid dossierId, string state, JsonObject data, string trigger, JsonObject args, Actor actor, DateTimeOffset now, JsonObject? inputs = null) =>
        Decide(Plan(wf, dossierId, state, data, trigger, args, actor, now), data, args, actor, now, inputs);

    /// <summary>
    /// The creation of a dossier, pure: the data its assignments give (runtime 1: every argument; runtime 2: as the
    /// creation says, from the arguments and the server-derived <paramref name="inputs"/>), the actor's role and
    /// relation judged on that data, the creation guard, the computations and effects. Throws
    /// <see cref="TransitionForbiddenException"/> or <see cref="TriggerNotPermittedException"/> (with the guard's
    /// reasons). The live creation and replay both call this.
    /// </summary>
    public static (EffectOutcome Outcome, RuleContext Context) Create(
        CompiledWorkflow wf, Guid dossierId, JsonObject args, Actor actor, DateTimeOffset now, JsonObject? inputs, Func<string, int> templateVersion,
        DeadlineRules deadlineRules = DeadlineRules.BrusselsDays)
    {
        ArgumentNullException.ThrowIfNull(wf);
        var def = wf.Definition;
        var context = new RuleContext(new JsonObject(), args, now, actor, def.Initial) { Inputs = inputs, Runtime = def.Runtime };
        var creation = Decider.Create(wf, context);
        if (!creation.Allowed)
        {
            throw creation.NeededRelations.Count == 0
                ? new TransitionForbiddenException("create", actor.Role)
                : new TransitionForbiddenException("create", actor.Role, creation.NeededRelations, creation.ActualRelation);
        }

        if (!creation.Guard.Passed)
        {
            throw new TriggerNotPermittedException(dossierId, string.Empty, "create", [], [new BlockedTransition("create", def.Initial, creation.Guard.FailureReasons.ToList())]);
        }

        var proposed = context with { Data = creation.Assignment.Data };
        var outcome = creation.ProposedOnly
            ? TransitionEffects.Complete(wf.Rules, creation.Assignment, def.Creation!.Compute, computeInOrder: true, def.Creation.Effects, context, def.Initial, dossierId, 1,
                templateVersion, creation.Guard.Checks.Count > 0 ? creation.Guard.Checks : null, deadlineRules)
            : TransitionEffects.Complete(wf.Rules, creation.Assignment, null, computeInOrder: false, def.Creation?.Effects ?? [], context, def.Initial, dossierId, 1,
                templateVersion, null, deadlineRules);
        return (outcome, proposed);
    }

    /// <summary>What the decided transition does besides changing state: its assignments, computations and effects.</summary>
    public static EffectOutcome Effects(
        Decision decision, RuleRegistry rules, Guid dossierId, int dossierSeq, Func<string, int> templateVersion,
        DeadlineRules deadlineRules = DeadlineRules.BrusselsDays)
    {
        ArgumentNullException.ThrowIfNull(decision);
        var t = decision.Transition;
        var rule = decision.Rule;
        return decision.Proposed is { } proposed
            ? TransitionEffects.Complete(rules, proposed, t.Compute, computeInOrder: true, t.Effects, rule, decision.ToState, dossierId, dossierSeq, templateVersion, decision.Checks, deadlineRules)
            : TransitionEffects.Apply(rules, t.Assign, t.Compute, t.Effects, rule, decision.ToState, dossierId, dossierSeq, templateVersion, decision.Checks, deadlineRules);
    }

    /// <summary>
    /// The server-derived inputs of the candidates, once per name in the order written. The actor's authority is
    /// added by the runtime (<see cref="ActorInput"/>).
    /// </summary>
    private static List<KeyValuePair<string, string>> InputsOf(IEnumerable<IReadOnlyDictionary<string, string>?> maps)
    {
        var list = new List<KeyValuePair<string, string>>();
        foreach (var map in maps)
        {
            foreach (var entry in map ?? new Dictionary<string, string>())
            {
                if (!list.Exists(e => e.Key == entry.Key))
                {
                    list.Add(entry);
                }
            }
        }

        return list;
    }

    /// <summary>The inputs a runtime 2 fire journals about its actor: a municipality's authority (its relation is judged on it).</summary>
    public static JsonObject? ActorFacts(Actor actor)
    {
        ArgumentNullException.ThrowIfNull(actor);
        return actor.Authority is { } authority ? new JsonObject { ["authority"] = authority } : null;
    }

    /// <summary>The actor of a recorded event: the journaled id and role, and (runtime 2) the authority journaled with the inputs.</summary>
    public static Actor RecordedActor(string id, string role, JsonObject? inputs) =>
        inputs?[ActorInput]?["authority"] is JsonValue v && v.TryGetValue<string>(out var authority)
            ? new Actor(id, role) { Authority = authority }
            : new Actor(id, role);

    private static JsonObject WithoutComment(JsonObject args)
    {
        if (!args.ContainsKey(ArgumentValidator.CommentField))
        {
            return args;
        }

        var copy = new JsonObject();
        foreach (var (k, v) in args)
        {
            if (k != ArgumentValidator.CommentField)
            {
                copy[k] = v?.DeepClone();
            }
        }

        return copy;
    }

    private static JsonObject OnlyComment(JsonObject args) =>
        args.TryGetPropertyValue(ArgumentValidator.CommentField, out var c) ? new JsonObject { [ArgumentValidator.CommentField] = c?.DeepClone() } : [];

    private static void Throw(IReadOnlyList<FieldError> errors)
    {
        if (errors.Count > 0)
        {
            throw new ArgumentValidationException(errors);
        }
    }

    private static TransitionForbiddenException Forbidden(CompiledWorkflow wf, int[] indexes, string trigger, Actor actor, JsonObject data)
    {
        // The role may fire it, but not on this dossier: say which relation it needs.
        var needed = indexes.SelectMany(i => wf.PermissionsOf(i)).Where(p => p.Role == actor.Role && p.Relation != Relations.Any).Select(p => p.Relation).Distinct().ToList();
        if (needed.Count == 0 && wf.Definition.Runtime < 2 && actor.Role == Roles.Municipality && indexes.Any(i => wf.PermissionsOf(i).Any(p => p.Role == actor.Role)))
        {
            needed.Add(Relations.Owner);
        }

        return needed.Count == 0
            ? new TransitionForbiddenException(trigger, actor.Role)
            : new TransitionForbiddenException(trigger, actor.Role, needed, CompiledWorkflow.RelationOf(actor, data));
    }

    /// <summary>The refusal of a trigger that cannot be taken, with what can be fired and why the rest cannot (the decider's <see cref="Decider.Refusal"/>).</summary>
    public static TriggerNotPermittedException NotPermitted(CompiledWorkflow wf, Guid dossierId, string state, string trigger, DecisionContext context)
    {
        var (permitted, blocked) = Decider.Refusal(wf, state, context);
        return new TriggerNotPermittedException(dossierId, state, trigger, permitted, blocked.Select(b => new BlockedTransition(b.Trigger, b.To, b.Reasons)).ToList());
    }
}
