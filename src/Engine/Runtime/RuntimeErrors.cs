using SubsidyEngine.Workflows.Expressions;

namespace SubsidyEngine.Engine.Runtime;

/// <summary>Base of the runtime's domain errors. <see cref="Retryable"/> tells callers whether trying again may help.</summary>
public abstract class WorkflowException(string message, Exception? inner = null) : Exception(message, inner)
{
    public virtual bool Retryable => false;
}

public sealed class DossierNotFoundException(Guid dossierId) : WorkflowException($"Dossier {dossierId} does not exist.")
{
    public Guid DossierId { get; } = dossierId;
}

public sealed class WorkflowNotFoundException(string workflowId, int? version = null)
    : WorkflowException(version is null ? $"Workflow '{workflowId}' does not exist." : $"Workflow '{workflowId}' v{version} does not exist.");

/// <summary>A failing guard of a transition that could otherwise be taken.</summary>
public sealed record BlockedTransition(string Trigger, string? To, IReadOnlyList<Reason> Reasons);

/// <summary>The trigger cannot be fired in the dossier's current state (409). Lists what can be fired, and why the rest cannot.</summary>
public sealed class TriggerNotPermittedException(Guid dossierId, string state, string trigger, IReadOnlyList<string> permitted, IReadOnlyList<BlockedTransition> blocked)
    : WorkflowException($"Trigger '{trigger}' is not permitted in state '{state}' of dossier {dossierId}." +
        (blocked.Count > 0 ? " " + string.Join(" ", blocked.Where(b => b.Trigger == trigger).SelectMany(b => b.Reasons).Select(r => r.En ?? r.Nl)) : string.Empty) +
        $" Permitted: {(permitted.Count == 0 ? "none" : string.Join(", ", permitted))}.")
{
    public string State { get; } = state;

    public string Trigger { get; } = trigger;

    public IReadOnlyList<string> Permitted { get; } = permitted;

    /// <summary>Transitions (of this trigger and others) whose guards failed, with the reasons.</summary>
    public IReadOnlyList<BlockedTransition> Blocked { get; } = blocked;
}

/// <summary>The actor's role, or its relation to the dossier, may not fire this trigger (403).</summary>
public sealed class TransitionForbiddenException : WorkflowException
{
    public TransitionForbiddenException(string trigger, string role)
        : base($"The role '{role}' may not fire '{trigger}'.")
    {
        Trigger = trigger;
        Nl = $"U mag '{trigger}' niet uitvoeren in uw rol.";
    }

    /// <summary>The role may fire it, but only with one of <paramref name="needed"/> relations to the dossier; the actor has <paramref name="actual"/>.</summary>
    public TransitionForbiddenException(string trigger, string role, IReadOnlyList<string> needed, string? actual)
        : base($"Only {Describe(needed, english: true)} may fire '{trigger}'; you are {(actual is null ? "not part of this dossier" : actual == "participant" ? "a participating authority" : "the submitting authority")}.")
    {
        Trigger = trigger;
        Needed = needed;
        Actual = actual;
        Nl = $"Alleen {Describe(needed, english: false)} mag dit doen; uw bestuur is {(actual is null ? "geen partij in dit dossier" : actual == "participant" ? "een deelnemend bestuur" : "het indienend bestuur")}.";
    }

    public string Trigger { get; }

    /// <summary>The relations that may fire it (empty when the role alone decides).</summary>
    public IReadOnlyList<string> Needed { get; } = [];

    /// <summary>The actor's relation to the dossier (null: none).</summary>
    public string? Actual { get; }

    /// <summary>The refusal in Dutch.</summary>
    public string Nl { get; }

    private static string Describe(IReadOnlyList<string> relations, bool english) => string.Join(english ? " or " : " of ", relations.Select(r => (r, english) switch
    {
        ("owner", true) => "the submitting authority",
        ("owner", false) => "het indienend bestuur",
        ("participant", true) => "a participating authority",
        ("participant", false) => "een deelnemend bestuur",
        _ => r,
    }));
}

/// <summary>The caller's expected version or state is stale (409 / 412): someone else changed the dossier first.</summary>
public sealed class ConcurrencyConflictException(Guid dossierId, string expected, string actual)
    : WorkflowException($"Dossier {dossierId} changed: expected {expected}, found {actual}.")
{
    public string Expected { get; } = expected;

    public string Actual { get; } = actual;

    /// <summary>The caller stated the version it expected (If-Match): the refusal is a failed precondition (412).</summary>
    public bool Precondition { get; init; }

    public override bool Retryable => true;
}

/// <summary>
/// A dossier that identifies itself the same way already exists (409): the authority's application for this call,
/// or the call's dossier. <see cref="ExistingId"/> is that dossier.
/// </summary>
public sealed class DossierExistsException(Guid existingId, string key)
    : WorkflowException($"A dossier for the same {(key.Contains("/call|", StringComparison.Ordinal) ? "call" : "call and authority")} already exists: {existingId}.")
{
    public Guid ExistingId { get; } = existingId;

    public string Key { get; } = key;
}

/// <summary>The idempotency key was already used for a different request (422).</summary>
public sealed class IdempotencyConflictException(string key)
    : WorkflowException($"Idempotency key '{key}' was already used for a different request.");

/// <summary>
/// One invalid argument: the field (a JSON path such as <c>$.application.rows[2].priority</c> for a body member, or
/// the name of a header or query parameter) and why, in English (<see cref="Message"/>) and Dutch (<see cref="Nl"/>),
/// with the rule it broke.
/// </summary>
public sealed record FieldError(string Field, string Message)
{
    /// <summary>The rule that was broken (<c>required</c>, <c>type</c>, <c>max</c>, <c>format.email</c>, ...).</summary>
    public string Rule { get; init; } = "invalid";

    /// <summary>The reason in Dutch (falls back to <see cref="Message"/>).</summary>
    public string? Nl { get; init; }

    public static FieldError From(Workflows.Schema.SchemaError e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return new FieldError(e.Path, e.En) { Rule = e.Rule, Nl = e.Nl };
    }
}

/// <summary>Arguments that do not match the trigger's parameters (400). Names every bad field.</summary>
public sealed class ArgumentValidationException(IReadOnlyList<FieldError> errors)
    : WorkflowException("Invalid arguments: " + string.Join("; ", errors.Select(e => $"{e.Field}: {e.Message}")))
{
    public IReadOnlyList<FieldError> Errors { get; } = errors;
}

/// <summary>A published definition file changed after it was first used; the service refuses to start.</summary>
public sealed class DefinitionChangedException(string message) : WorkflowException(message);
