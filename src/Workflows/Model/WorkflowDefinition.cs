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

/// <summary>A typed trigger parameter: <c>string</c>, <c>text</c>, <c>int</c>, <c>decimal</c>, <c>bool</c>, <c>date</c>, <c>datetime</c>, <c>object</c>, <c>array</c>.</summary>
public sealed record ParameterDefinition
{
    public string Name { get; init; } = string.Empty;

    public string Type { get; init; } = "string";

    public bool Required { get; init; }

    public LocalizedText? Label { get; init; }

    public decimal? Min { get; init; }

    public decimal? Max { get; init; }

    public int? MaxLength { get; init; }

    /// <summary>Allowed values for a string parameter.</summary>
    public IReadOnlyList<string>? Values { get; init; }
}

public sealed record TransitionDefinition
{
    public string From { get; init; } = string.Empty;

    public string Trigger { get; init; } = string.Empty;

    /// <summary>Target state; null for an internal transition (stays, but is journaled and runs its effects).</summary>
    public string? To { get; init; }

    /// <summary>Roles allowed to fire it (<c>system</c> for automatic ones).</summary>
    public IReadOnlyList<string> Roles { get; init; } = [];

    /// <summary>Guard expression (rules combined with all/any/not and comparisons); null means always.</summary>
    public JsonNode? Guard { get; init; }

    /// <summary>The caller must give a non-empty <c>comment</c> argument.</summary>
    public bool CommentRequired { get; init; }

    /// <summary>Dossier data fields set from expressions (<c>now</c>, <c>actor</c>, <c>args.x</c>, <c>data.y</c>, <c>{"value": ...}</c>).</summary>
    public IReadOnlyDictionary<string, JsonNode?>? Assign { get; init; }

    /// <summary>Dossier data fields set from registered pure computations (name of the computation).</summary>
    public IReadOnlyDictionary<string, string>? Compute { get; init; }

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

public sealed record CreationDefinition
{
    public IReadOnlyList<string> Roles { get; init; } = [];

    public IReadOnlyList<ParameterDefinition> Parameters { get; init; } = [];

    public IReadOnlyList<EffectDefinition> Effects { get; init; } = [];
}
