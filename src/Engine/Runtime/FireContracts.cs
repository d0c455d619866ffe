using System.Text.Json.Nodes;
using SubsidyEngine.Workflows.Expressions;
using SubsidyEngine.Workflows.Model;

namespace SubsidyEngine.Engine.Runtime;

/// <summary>
/// The one rule for idempotency keys. A caller chooses a key of 1 to <see cref="MaxLength"/> visible ASCII characters
/// (the REST endpoints and the pages check it with <see cref="IsValid"/>); the command path stores it behind the
/// caller's user id (<c>DossierCommands.Namespaced</c>), so the runtime accepts keys of up to
/// <see cref="MaxStoredLength"/> characters.
/// </summary>
public static class IdempotencyKeys
{
    /// <summary>The name a key goes by: the REST header, and the field an invalid key is refused under at every entry point.</summary>
    public const string Name = "Idempotency-Key";

    /// <summary>The longest key a caller may choose.</summary>
    public const int MaxLength = 100;

    /// <summary>The longest key the runtime stores: a caller's key behind its user's id.</summary>
    public const int MaxStoredLength = 2 * MaxLength;

    /// <summary>What the field error says when a caller's key breaks the rule.</summary>
    public const string Rule = "must be 1 to 100 visible ASCII characters";

    /// <summary>A key a caller may choose: 1 to <see cref="MaxLength"/> visible ASCII characters (no spaces, no control characters).</summary>
    public static bool IsValid(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.Length is > 0 and <= MaxLength && !key.Any(c => c is < '!' or > '~');
    }

    /// <summary>
    /// The refusal of a caller's key that breaks the rule, named <paramref name="field"/> (the header of the REST
    /// endpoints, the hidden field of the pages), in English and Dutch.
    /// </summary>
    public static FieldError Error(string field) =>
        new(field, Rule) { Rule = "idempotency-key", Nl = $"De verzendsleutel moet 1 tot {MaxLength} zichtbare ASCII-tekens lang zijn." };

    /// <summary>A key the runtime stores (namespaced): 1 to <see cref="MaxStoredLength"/> characters.</summary>
    public static bool IsStorable(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.Length is > 0 and <= MaxStoredLength;
    }
}

/// <summary>A request to fire a trigger on a dossier.</summary>
public sealed record FireRequest(Guid DossierId, string Trigger, JsonObject? Arguments, Actor Actor)
{
    /// <summary>Same key + same request returns the first result and writes nothing; same key + other request is refused.</summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>Optimistic concurrency: the dossier version (ETag) the caller saw.</summary>
    public int? ExpectedVersion { get; init; }

    /// <summary>Optimistic concurrency: the state the caller saw.</summary>
    public string? ExpectedState { get; init; }

    /// <summary>Set by the deadline sweep: the deadline whose passing fires this trigger.</summary>
    public Guid? TimeoutDeadlineId { get; init; }

    /// <summary>
    /// The arguments come from a client (REST, a page): on a runtime 1 version, arguments that state a server-owned
    /// fact are refused (<see cref="Workflows.Expressions.RuleRegistry.ServerOwnedArguments"/>).
    /// </summary>
    public bool FromClient { get; init; }

    /// <summary>
    /// When set, only a dossier visible in this scope can be fired: the visibility filter is part of the locking
    /// read, so a dossier outside the scope is not found (inside the same transaction, no separate check).
    /// </summary>
    public Access.AccessScope? Scope { get; init; }
}

/// <summary>A request to start a dossier on the latest (or a given) version of a workflow.</summary>
public sealed record CreateRequest(string WorkflowId, JsonObject Data, Actor Actor)
{
    public Guid? DossierId { get; init; }

    public string? IdempotencyKey { get; init; }
}

/// <summary>What a fire (or create) did.</summary>
public sealed record FireResult(Guid DossierId, int Version, string FromState, string ToState, long JournalSeq, string Hash, bool Replayed, IReadOnlyList<Guid> NoticeIds)
{
    public JsonObject ToJson() => new()
    {
        ["dossierId"] = DossierId.ToString("D"),
        ["version"] = Version,
        ["from"] = FromState,
        ["to"] = ToState,
        ["journalSeq"] = JournalSeq,
        ["hash"] = Hash,
        ["notices"] = new JsonArray(NoticeIds.Select(n => (JsonNode)JsonValue.Create(n.ToString("D"))!).ToArray()),
    };

    public static FireResult FromJson(JsonObject o, bool replayed) => new(
        Guid.Parse(o["dossierId"]!.GetValue<string>()),
        o["version"]!.GetValue<int>(),
        o["from"]!.GetValue<string>(),
        o["to"]!.GetValue<string>(),
        o["journalSeq"]!.GetValue<long>(),
        o["hash"]!.GetValue<string>(),
        replayed,
        o["notices"]!.AsArray().Select(n => Guid.Parse(n!.GetValue<string>())).ToList());
}

/// <summary>One trigger as offered to an actor: permitted or not, and why not.</summary>
public sealed record TriggerOption(string Trigger, TriggerDefinition Definition, string? To, bool RoleAllowed, bool Permitted, IReadOnlyList<Reason> Reasons, bool CommentRequired);

/// <summary>The stored projection of a dossier.</summary>
public sealed record DossierSnapshot(Guid Id, string WorkflowId, int WorkflowVersion, string State, int Version, JsonObject Data, string HeadHash, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>Told after a commit that created notices or deadlines, so workers can wake up early.</summary>
public interface IWorkSignal
{
    void NoticesCreated();
}
