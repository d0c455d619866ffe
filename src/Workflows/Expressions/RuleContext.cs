using System.Text.Json.Nodes;

namespace SubsidyEngine.Workflows.Expressions;

/// <summary>Who fires a trigger: a user id (or <c>system</c>) and the role it acts in.</summary>
public sealed record Actor(string Id, string Role)
{
    /// <summary>Automatic transitions (timeouts, sweeps) are attributed to this actor.</summary>
    public static Actor System { get; } = new("system", "system");

    /// <summary>
    /// The authority a municipality user acts for (its NIS code), from its account: the server's fact, never a
    /// request's. Decides the actor's relation to a dossier (owner, participant).
    /// </summary>
    public string? Authority { get; init; }

    public override string ToString() => $"{Id} ({Role})";
}

/// <summary>A reason a rule gives, with a stable code and Dutch and English text.</summary>
public sealed record Reason(string Code, string Nl, string? En = null)
{
    /// <summary>The JSON path of the one field the reason is about (<c>$.application.rows[2].action</c>), when it is one.</summary>
    public string? Field { get; init; }

    public string Text(string language) => language.StartsWith("en", StringComparison.OrdinalIgnoreCase) && En is not null ? En : Nl;
}

/// <summary>The result of a pure rule: passed or not, and why.</summary>
public sealed record RuleOutcome(bool Passed, IReadOnlyList<Reason> Reasons)
{
    public static RuleOutcome Pass(params Reason[] reasons) => new(true, reasons);

    public static RuleOutcome Fail(params Reason[] reasons) => new(false, reasons);
}

/// <summary>
/// What a guard or computation may look at: the dossier data, the trigger arguments, the (journaled) time of the
/// fire and the actor. Rules must be pure: everything they use is in here, so a replay gives the same answer.
/// </summary>
public sealed record RuleContext(JsonObject Data, JsonObject Args, DateTimeOffset Now, Actor Actor, string State)
{
    /// <summary>
    /// Server-derived inputs of the fire (runtime 2): facts read by the server inside the fire's transaction and
    /// journaled with the event (<c>inputs.x</c> in expressions). Null when the transition reads none.
    /// </summary>
    public JsonObject? Inputs { get; init; }

    /// <summary>The runtime semantics of the definition being fired (1 or 2; see <c>WorkflowDefinition.Runtime</c>).</summary>
    public int Runtime { get; init; } = 1;
}

/// <summary>A named guard function registered in code, e.g. <c>eligibility.passes</c>.</summary>
public interface IGuardRule
{
    string Name { get; }

    RuleOutcome Evaluate(RuleContext context);
}

/// <summary>A named pure computation whose result is stored in the dossier data and recorded in the journal.</summary>
public interface IComputation
{
    string Name { get; }

    JsonNode? Compute(RuleContext context);
}

/// <summary>Guard and computation functions by name.</summary>
public sealed class RuleRegistry
{
    private readonly Dictionary<string, IGuardRule> _guards = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IComputation> _computations = new(StringComparer.Ordinal);
    private readonly Dictionary<string, object> _inputs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string[]> _serverOwned = new(StringComparer.Ordinal);

    public RuleRegistry Add(IGuardRule rule)
    {
        _guards[rule.Name] = rule;
        return this;
    }

    public RuleRegistry Add(IComputation computation)
    {
        _computations[computation.Name] = computation;
        return this;
    }

    /// <summary>Registers a guard from a lambda.</summary>
    public RuleRegistry Guard(string name, Func<RuleContext, RuleOutcome> evaluate) => Add(new LambdaGuard(name, evaluate));

    /// <summary>Registers a computation from a lambda.</summary>
    public RuleRegistry Computation(string name, Func<RuleContext, JsonNode?> compute) => Add(new LambdaComputation(name, compute));

    /// <summary>
    /// Registers a server-derived input by name (runtime 2 definitions' <c>inputs</c>). The provider reads the
    /// database, so its type belongs to the engine (<c>IInputProvider</c>); this registry only knows its name, so
    /// definitions naming an unknown input are refused when they load.
    /// </summary>
    public RuleRegistry Input(string name, object provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        _inputs[name] = provider;
        return this;
    }

    public object? FindInput(string name) => _inputs.GetValueOrDefault(name);

    /// <summary>
    /// Arguments of a runtime 1 trigger that state a fact the server owns (<c>otherApplications</c> of an eligibility
    /// decision, <c>application.cooperationBonus</c>): a client may not send them (the server fills them where the
    /// version needs them). Runtime 2 definitions read such facts as inputs and have no such arguments.
    /// </summary>
    public RuleRegistry ServerOwned(string trigger, params string[] argumentPaths)
    {
        _serverOwned[trigger] = argumentPaths;
        return this;
    }

    public IReadOnlyList<string> ServerOwnedArguments(string trigger) => _serverOwned.GetValueOrDefault(trigger) ?? [];

    public IReadOnlyCollection<string> InputNames => _inputs.Keys;

    public IGuardRule? FindGuard(string name) => _guards.GetValueOrDefault(name);

    public IComputation? FindComputation(string name) => _computations.GetValueOrDefault(name);

    public IReadOnlyCollection<string> GuardNames => _guards.Keys;

    public IReadOnlyCollection<string> ComputationNames => _computations.Keys;

    private sealed record LambdaGuard(string Name, Func<RuleContext, RuleOutcome> Fn) : IGuardRule
    {
        public RuleOutcome Evaluate(RuleContext context) => Fn(context);
    }

    private sealed record LambdaComputation(string Name, Func<RuleContext, JsonNode?> Fn) : IComputation
    {
        public JsonNode? Compute(RuleContext context) => Fn(context);
    }
}
