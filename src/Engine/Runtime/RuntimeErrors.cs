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

/// <summary>The actor's role may not fire this trigger (403).</summary>
public sealed class TransitionForbiddenException(string trigger, string role)
    : WorkflowException($"The role '{role}' may not fire '{trigger}'.")
{
    public string Trigger { get; } = trigger;
}

/// <summary>The caller's expected version or state is stale (409 / 412): someone else changed the dossier first.</summary>
public sealed class ConcurrencyConflictException(Guid dossierId, string expected, string actual)
    : WorkflowException($"Dossier {dossierId} changed: expected {expected}, found {actual}.")
{
    public string Expected { get; } = expected;

    public string Actual { get; } = actual;

    public override bool Retryable => true;
}

/// <summary>The idempotency key was already used for a different request (422).</summary>
public sealed class IdempotencyConflictException(string key)
    : WorkflowException($"Idempotency key '{key}' was already used for a different request.");

/// <summary>One invalid argument: the field and why.</summary>
public sealed record FieldError(string Field, string Message);

/// <summary>Arguments that do not match the trigger's parameters (400). Names every bad field.</summary>
public sealed class ArgumentValidationException(IReadOnlyList<FieldError> errors)
    : WorkflowException("Invalid arguments: " + string.Join("; ", errors.Select(e => $"{e.Field}: {e.Message}")))
{
    public IReadOnlyList<FieldError> Errors { get; } = errors;
}

/// <summary>A published definition file changed after it was first used; the service refuses to start.</summary>
public sealed class DefinitionChangedException(string message) : WorkflowException(message);
