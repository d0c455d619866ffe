using System.Text.Json.Serialization;

namespace SubsidyEngine.Workflows.Model;

/// <summary>
/// Moves running dossiers from one version of a workflow to another: each state of the old version maps to a
/// state of the new one. Dossiers in unmapped states cannot move (the dry run lists them). Optional effects
/// (e.g. a new deadline) run for every moved dossier and are journaled with the move.
/// </summary>
public sealed record MigrationSpec
{
    public string Id { get; init; } = string.Empty;

    public string Workflow { get; init; } = string.Empty;

    public int FromVersion { get; init; }

    public int ToVersion { get; init; }

    public LocalizedText? Title { get; init; }

    /// <summary>Old state -> new state. A state absent here cannot be migrated.</summary>
    public IReadOnlyDictionary<string, string> StateMap { get; init; } = new Dictionary<string, string>();

    /// <summary>Effects per new state, applied to each dossier that lands in it.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<EffectDefinition>>? Effects { get; init; }

    /// <summary>Data fields set on every moved dossier (literal values only: <c>{"value": ...}</c>, or <c>now</c>).</summary>
    public IReadOnlyDictionary<string, System.Text.Json.Nodes.JsonNode?>? Assign { get; init; }

    [JsonIgnore]
    public string SourcePath { get; init; } = string.Empty;

    [JsonIgnore]
    public string ContentHash { get; init; } = string.Empty;
}
