using System.Text.Json.Nodes;
using Npgsql;
using SubsidyEngine.Workflows.Expressions;

namespace SubsidyEngine.Engine.Runtime;

/// <summary>
/// What an input provider may look at: the dossier as locked (its stored data and state; for a creation the id it
/// will get and empty data), the actor's arguments, the actor, the fire's time, and the fire's own connection and
/// transaction, so whatever it reads is read inside the decision's transaction.
/// </summary>
public sealed record InputRequest(
    Guid DossierId, string WorkflowId, string State, JsonObject Data, JsonObject Args, Actor Actor, DateTimeOffset Now,
    NpgsqlConnection Connection, NpgsqlTransaction Transaction)
{
    /// <summary>The programme of a programme workflow: the first segment of the workflow id (<c>plan-samenleven/dossier</c>).</summary>
    public string Programme => WorkflowId.Split('/')[0];
}

/// <summary>
/// A server-derived input of runtime 2 definitions (<c>"inputs": {"call": "programme.call"}</c>): reads facts a
/// client must never state, inside the fire's transaction. The result is journaled with the event (sej2), so replay
/// re-decides on exactly what was read. May refuse the request with an <see cref="ArgumentValidationException"/>
/// naming the argument that points at nothing (an unknown call, an authority not in the register).
/// </summary>
public interface IInputProvider
{
    Task<JsonNode?> ReadAsync(InputRequest request, CancellationToken cancellationToken);
}

/// <summary>An input provider from a delegate.</summary>
public sealed class InputProvider(Func<InputRequest, CancellationToken, Task<JsonNode?>> read) : IInputProvider
{
    public Task<JsonNode?> ReadAsync(InputRequest request, CancellationToken cancellationToken) => read(request, cancellationToken);
}
