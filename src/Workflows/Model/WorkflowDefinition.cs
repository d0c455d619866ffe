using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace SubsidyEngine.Workflows.Model;

/// <summary>
/// A workflow definition as stored in <c>workflows/&lt;programme&gt;/&lt;workflow&gt;.v&lt;N&gt;.json</c>. Published
/// versions are immutable: a change is a new file with the next version number.
/// </summary>
public sealed record WorkflowDefinition
{
    /// <summary>Programme-qualified id, e.g. <c>plan-samenleven/dossier</c>.</summary>
    public string Id { get; init; } = string.Empty;

    public int Version { get; init; }

    /// <summary>
    /// The runtime semantics the definition was written for. <b>1</b> (the first published versions): guards see
    /// the stored data, computations run in key order, creation copies every argument into the data, and roles
    /// carry no relation. <b>2</b>: every argument is checked against its declared schema first (nested members,
    /// formats, unknown members refused); guards and computations see the <i>proposed</i> data (the stored data plus
    /// this transition's assignments); computations run in the order written; transitions and creation may read
    /// server-derived <see cref="TransitionDefinition.Inputs"/>, journaled apart from the arguments; creation
    /// assigns explicitly; a municipality role names its relation to the dossier (<c>municipality:owner</c>).
    /// A published version keeps its semantics forever, so its journal replays as it was decided.
    /// </summary>
    public int Runtime { get; init; } = 1;

    public LocalizedText? Title { get; init; }

    /// <summary>
    /// From when new dossiers start on this version (null: from publication). Lets a version be published ahead
    /// of its date; running dossiers move only by an explicit migration.
    /// </summary>
    public DateTimeOffset? EffectiveFrom { get; init; }

    public string Initial { get; init; } = string.Empty;

    public IReadOnlyList<StateDefinition> States { get; init; } = [];

    public IReadOnlyList<TriggerDefinition> Triggers { get; init; } = [];

    public IReadOnlyList<TransitionDefinition> Transitions { get; init; } = [];

    /// <summary>Who may create a dossier on this workflow, and the creation parameters.</summary>
    public CreationDefinition? Creation { get; init; }

    /// <summary>The file the definition came from (set by the loader).</summary>
    [JsonIgnore]
    public string SourcePath { get; init; } = string.Empty;

    /// <summary>SHA-256 (hex) of the file bytes (set by the loader).</summary>
    [JsonIgnore]
    public string ContentHash { get; init; } = string.Empty;

    /// <summary>The exact file text (set by the loader).</summary>
    [JsonIgnore]
    public string Content { get; init; } = string.Empty;

    public StateDefinition? FindState(string id) => States.FirstOrDefault(s => s.Id == id);

    public TriggerDefinition? FindTrigger(string id) => Triggers.FirstOrDefault(t => t.Id == id);

    /// <summary>
    /// The state and its superstates, innermost first (bounded, so a parent cycle in an invalid file cannot loop).
    /// </summary>
    public IEnumerable<string> SelfAndAncestors(string state)
    {
        var guard = 0;
        for (var cur = FindState(state); cur is not null && guard++ < 64; cur = cur.Parent is null ? null : FindState(cur.Parent))
        {
            yield return cur.Id;
        }
    }

    /// <summary>True when <paramref name="state"/> is <paramref name="ancestor"/> or one of its (nested) substates.</summary>
    public bool IsInState(string state, string ancestor) => SelfAndAncestors(state).Contains(ancestor, StringComparer.Ordinal);

    public string Key => $"{Id}@v{Version}";
}

/// <summary>Dutch first, English available.</summary>
public sealed record LocalizedText(string Nl, string? En = null)
{
    public string For(string language) => language.StartsWith("en", StringComparison.OrdinalIgnoreCase) && En is not null ? En : Nl;
}

public sealed record StateDefinition
{
    public string Id { get; init; } = string.Empty;

    public LocalizedText? Label { get; init; }

    /// <summary>The superstate, when this state is a substate.</summary>
    public string? Parent { get; init; }

    /// <summary>A terminal state has no way out and needs none.</summary>
    public bool Terminal { get; init; }

    /// <summary>Optional stage name used to group states on boards (e.g. "application", "project", "settlement").</summary>
    public string? Stage { get; init; }
}

public sealed record TriggerDefinition
{
    public string Id { get; init; } = string.Empty;

    public LocalizedText? Label { get; init; }

    public IReadOnlyList<ParameterDefinition> Parameters { get; init; } = [];

    /// <summary>Fired only by the system (timeouts, sweeps), never offered as a button.</summary>
    public bool Automatic { get; init; }
}

/// <summary>
/// A typed trigger parameter, and the schema of a value: <c>string</c>, <c>text</c> (multi-line), <c>int</c>,
/// <c>decimal</c>, <c>bool</c>, <c>date</c> (<c>yyyy-MM-dd</c>, a calendar date in Europe/Brussels),
/// <c>datetime</c> (ISO-8601 with offset), <c>object</c> (with <see cref="Properties"/> and/or
/// <see cref="Additional"/>), <c>array</c> (with <see cref="Items"/>). <see cref="Name"/> is the member name inside
/// an object and empty for array items and additional members.
/// </summary>
public sealed record ParameterDefinition
{
    public string Name { get; init; } = string.Empty;

    public string Type { get; init; } = "string";

    public bool Required { get; init; }

    public LocalizedText? Label { get; init; }

    /// <summary>What the value is, for integrators (OpenAPI description) and forms (help text).</summary>
    public LocalizedText? Description { get; init; }

    public decimal? Min { get; init; }

    public decimal? Max { get; init; }

    public int? MinLength { get; init; }

    public int? MaxLength { get; init; }

    /// <summary>Allowed values for a string parameter.</summary>
    public IReadOnlyList<string>? Values { get; init; }

    /// <summary>
    /// A format of a string (<c>email</c>: one address; <c>authority</c>: an authority id of the register such as a
    /// NIS code; <c>iban</c>: mod-97 checked; <c>phone</c>; <c>code</c>: a short identifier such as an action code) or
    /// of a decimal (<c>euro</c>: at most two decimals).
    /// </summary>
    public string? Format { get; init; }

    /// <summary>Members of an object. With members and without <see cref="Additional"/>, any other member is refused.</summary>
    public IReadOnlyList<ParameterDefinition>? Properties { get; init; }

    /// <summary>The schema of every member of an object not named in <see cref="Properties"/> (a map such as action code to count).</summary>
    public ParameterDefinition? Additional { get; init; }

    /// <summary>The schema of every item of an array.</summary>
    public ParameterDefinition? Items { get; init; }

    /// <summary>Fewest items of an array (or members of an object).</summary>
    public int? MinItems { get; init; }

    /// <summary>Most items of an array (or members of an object).</summary>
    public int? MaxItems { get; init; }

    /// <summary>Every item of an array (of scalars) appears once.</summary>
    public bool UniqueItems { get; init; }

    /// <summary>Members of the object items of an array whose values must differ from item to item (e.g. <c>action</c>, <c>priority</c>).</summary>
    public IReadOnlyList<string>? UniqueBy { get; init; }
}

public sealed record TransitionDefinition
{
    public string From { get; init; } = string.Empty;

    public string Trigger { get; init; } = string.Empty;

    /// <summary>Target state; null for an internal transition (stays, but is journaled and runs its effects).</summary>
    public string? To { get; init; }

    /// <summary>
    /// Who may fire it: a role (<c>officer</c>, <c>system</c> for automatic ones), or, runtime 2, a role with its
    /// relation to the dossier, <c>municipality:owner</c> (the submitting authority) or
    /// <c>municipality:participant</c> (a participating authority); a role without relation acts on any dossier it
    /// sees. See <see cref="Permission"/>.
    /// </summary>
    public IReadOnlyList<string> Roles { get; init; } = [];

    /// <summary>Guard expression (rules combined with all/any/not and comparisons); null means always.</summary>
    public JsonNode? Guard { get; init; }

    /// <summary>The caller must give a non-empty <c>comment</c> argument.</summary>
    public bool CommentRequired { get; init; }

    /// <summary>Dossier data fields set from expressions (<c>now</c>, <c>actor</c>, <c>args.x</c>, <c>data.y</c>, <c>inputs.z</c>, <c>{"value": ...}</c>, <c>{"first": [...]}</c>).</summary>
    [JsonConverter(typeof(OrderedMapConverter<JsonNode?>))]
    public IReadOnlyDictionary<string, JsonNode?>? Assign { get; init; }

    /// <summary>
    /// Dossier data fields set from registered pure computations (name of the computation). Runtime 1 runs them in
    /// key order, runtime 2 in the order written.
    /// </summary>
    [JsonConverter(typeof(OrderedMapConverter<string>))]
    public IReadOnlyDictionary<string, string>? Compute { get; init; }

    /// <summary>
    /// Runtime 2: server-derived inputs, by name, read by registered input providers inside the fire's transaction
    /// (e.g. <c>"call": "programme.call"</c>) and journaled apart from the arguments; expressions read them as
    /// <c>inputs.&lt;name&gt;</c>. Facts a client must never state (call, deadlines, budget, the register, other
    /// dossiers, allocations) come in this way.
    /// </summary>
    [JsonConverter(typeof(OrderedMapConverter<string>))]
    public IReadOnlyDictionary<string, string>? Inputs { get; init; }

    public IReadOnlyList<EffectDefinition> Effects { get; init; } = [];

    public string? Description { get; init; }
}

/// <summary>One effect of a transition; exactly one of the properties is set.</summary>
public sealed record EffectDefinition
{
    /// <summary>Send a letter with this template id (latest version at fire time, recorded in the journal).</summary>
    public string? Letter { get; init; }

    /// <summary>Send a short notice (no PDF) with this template id.</summary>
    public string? Notice { get; init; }

    public DeadlineEffect? Deadline { get; init; }

    /// <summary>Close an open deadline of this kind as met.</summary>
    public string? ClearDeadline { get; init; }
}

public sealed record DeadlineEffect
{
    public string Kind { get; init; } = string.Empty;

    /// <summary>
    /// What the deadline is called where people read it (calendar feed, screens), e.g.
    /// <c>{ "nl": "Tussentijdse rapportering", "en": "Interim report" }</c>. Optional: without it the label comes
    /// from <see cref="Calendar.DeadlineLabels"/> (the labels of the kinds published before this property existed).
    /// </summary>
    public LocalizedText? Label { get; init; }

    /// <summary>Absolute due time from an expression (<c>args.deadline</c>, <c>data.call.reportDue</c>).</summary>
    public string? At { get; init; }

    /// <summary>ISO-8601 duration added to <see cref="At"/> or, without it, to now (e.g. <c>P30D</c>).</summary>
    public string? After { get; init; }

    /// <summary>Trigger fired by the sweep when the deadline passes.</summary>
    public string? Timeout { get; init; }

    /// <summary>Keep the deadline when the dossier leaves the state it was set for (default: cleared).</summary>
    public bool Keep { get; init; }

    /// <summary>The state (or superstate) the deadline belongs to; default the transition's target state.</summary>
    public string? Within { get; init; }

    /// <summary>Send reminders before/at/after the due time (offsets configured by the service).</summary>
    public bool Remind { get; init; }
}

/// <summary>
/// Who may start a dossier on the workflow, with which arguments, and (runtime 2) what the new dossier's data is:
/// the server-derived inputs, a guard, assignments and computations, as for a transition. Runtime 1 copied every
/// argument into the data.
/// </summary>
public sealed record CreationDefinition
{
    public IReadOnlyList<string> Roles { get; init; } = [];

    public IReadOnlyList<ParameterDefinition> Parameters { get; init; } = [];

    [JsonConverter(typeof(OrderedMapConverter<string>))]
    public IReadOnlyDictionary<string, string>? Inputs { get; init; }

    public JsonNode? Guard { get; init; }

    [JsonConverter(typeof(OrderedMapConverter<JsonNode?>))]
    public IReadOnlyDictionary<string, JsonNode?>? Assign { get; init; }

    [JsonConverter(typeof(OrderedMapConverter<string>))]
    public IReadOnlyDictionary<string, string>? Compute { get; init; }

    /// <summary>
    /// Value expressions (e.g. <c>args.call</c>, <c>args.owner</c>) that identify the dossier within the workflow: a
    /// second creation with the same values is refused with the first dossier's id (one application per authority
    /// per call, one call dossier per call), however the request arrives.
    /// </summary>
    public IReadOnlyList<string>? Unique { get; init; }

    public IReadOnlyList<EffectDefinition> Effects { get; init; } = [];
}

/// <summary>The relation of an actor to a dossier, as a permission names it.</summary>
public static class Relations
{
    /// <summary>The submitting authority: <c>data.owner</c> is the actor's authority.</summary>
    public const string Owner = "owner";

    /// <summary>A participating authority: <c>data.participants</c> holds the actor's authority.</summary>
    public const string Participant = "participant";

    /// <summary>No relation needed (officers, admins, the system).</summary>
    public const string Any = "any";

    public static IReadOnlySet<string> All { get; } = new HashSet<string>([Owner, Participant, Any], StringComparer.Ordinal);
}

/// <summary>One entry of a transition's or creation's <c>roles</c>: a role and the relation it needs.</summary>
public sealed record Permission(string Role, string Relation)
{
    /// <summary>Parses <c>role</c> or <c>role:relation</c> (no relation means <see cref="Relations.Any"/>).</summary>
    public static Permission Parse(string entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var colon = entry.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? new Permission(entry, Relations.Any) : new Permission(entry[..colon], entry[(colon + 1)..]);
    }

    public override string ToString() => Relation == Relations.Any ? Role : $"{Role}:{Relation}";
}
