using System.Text;
using System.Text.Json;
using SubsidyEngine.Workflows.Model;

namespace SubsidyEngine.Engine.Diagrams;

/// <summary>One difference between two versions of a definition.</summary>
/// <param name="Kind"><c>added</c>, <c>removed</c> or <c>changed</c>.</param>
/// <param name="Subject">The state id, or the transition as <c>from --trigger--> to</c>.</param>
/// <param name="Details">What changed (for <c>changed</c>): "label: A → B", "roles: x → y", ...</param>
public sealed record DefinitionChange(string Kind, string Subject, IReadOnlyList<string> Details);

/// <summary>What changed from one version of a definition to the next: states and transitions added, removed and changed.</summary>
public sealed record DefinitionDiffResult(string WorkflowId, int FromVersion, int ToVersion, IReadOnlyList<DefinitionChange> States, IReadOnlyList<DefinitionChange> Transitions)
{
    public bool IsEmpty => States.Count == 0 && Transitions.Count == 0;
}

/// <summary>
/// Compares two versions of a workflow definition, pure: a state is identified by its id (changed: label, parent,
/// terminal, stage); a transition by its source, trigger and target (changed: roles, guard, inputs, assignments,
/// computations, effects, required comment). Used by the versions page and the generated docs/workflows changes.
/// </summary>
public static class DefinitionDiff
{
    public static DefinitionDiffResult Compare(WorkflowDefinition older, WorkflowDefinition newer)
    {
        ArgumentNullException.ThrowIfNull(older);
        ArgumentNullException.ThrowIfNull(newer);
        var states = new List<DefinitionChange>();
        foreach (var s in newer.States.Where(s => older.FindState(s.Id) is null))
        {
            states.Add(new DefinitionChange("added", s.Id, [$"label: {s.Label?.Nl ?? s.Id}"]));
        }

        foreach (var s in older.States.Where(s => newer.FindState(s.Id) is null))
        {
            states.Add(new DefinitionChange("removed", s.Id, [$"label: {s.Label?.Nl ?? s.Id}"]));
        }

        foreach (var s in newer.States)
        {
            if (older.FindState(s.Id) is not { } o)
            {
                continue;
            }

            var details = new List<string>();
            Compare(details, "label", o.Label?.Nl, s.Label?.Nl);
            Compare(details, "label (en)", o.Label?.En, s.Label?.En);
            Compare(details, "parent", o.Parent, s.Parent);
            Compare(details, "terminal", o.Terminal ? "yes" : "no", s.Terminal ? "yes" : "no");
            Compare(details, "stage", o.Stage, s.Stage);
            if (details.Count > 0)
            {
                states.Add(new DefinitionChange("changed", s.Id, details));
            }
        }

        static string Key(TransitionDefinition t) => $"{t.From} --{t.Trigger}--> {t.To ?? t.From}";
        var oldByKey = older.Transitions.GroupBy(Key).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var newByKey = newer.Transitions.GroupBy(Key).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var transitions = new List<DefinitionChange>();
        foreach (var (key, t) in newByKey.Where(kv => !oldByKey.ContainsKey(kv.Key)))
        {
            transitions.Add(new DefinitionChange("added", key, [$"roles: {string.Join(", ", t.Roles)}"]));
        }

        foreach (var (key, t) in oldByKey.Where(kv => !newByKey.ContainsKey(kv.Key)))
        {
            transitions.Add(new DefinitionChange("removed", key, [$"roles: {string.Join(", ", t.Roles)}"]));
        }

        foreach (var (key, t) in newByKey)
        {
            if (!oldByKey.TryGetValue(key, out var o))
            {
                continue;
            }

            var details = new List<string>();
            Compare(details, "roles", string.Join(", ", o.Roles), string.Join(", ", t.Roles));
            Compare(details, "guard", Json(o.Guard), Json(t.Guard));
            Compare(details, "inputs", Json(o.Inputs), Json(t.Inputs));
            Compare(details, "assign", Json(o.Assign), Json(t.Assign));
            Compare(details, "compute", Json(o.Compute), Json(t.Compute));
            Compare(details, "effects", Json(o.Effects), Json(t.Effects));
            Compare(details, "comment required", o.CommentRequired ? "yes" : "no", t.CommentRequired ? "yes" : "no");
            if (details.Count > 0)
            {
                transitions.Add(new DefinitionChange("changed", key, details));
            }
        }

        return new DefinitionDiffResult(newer.Id, older.Version, newer.Version, states, transitions);
    }

    /// <summary>The changes as Markdown (the docs/workflows changes file and the versions page use the same lines).</summary>
    public static string Markdown(IReadOnlyList<DefinitionDiffResult> diffs, string workflowId)
    {
        ArgumentNullException.ThrowIfNull(diffs);
        var sb = new StringBuilder();
        sb.Append("# Changes between the versions of ").Append(workflowId).Append("\n\n");
        sb.Append("Generated from the definitions in `workflows/` by `dotnet run --project src/Api -- diagrams`. Do not edit by hand.\n");
        foreach (var d in diffs)
        {
            sb.Append("\n## v").Append(d.FromVersion).Append(" → v").Append(d.ToVersion).Append("\n\n");
            if (d.IsEmpty)
            {
                sb.Append("No states or transitions changed.\n");
                continue;
            }

            sb.Append("| what | change | subject | details |\n|---|---|---|---|\n");
            foreach (var c in d.States)
            {
                sb.Append("| state | ").Append(c.Kind).Append(" | `").Append(c.Subject).Append("` | ").Append(Cell(c.Details)).Append(" |\n");
            }

            foreach (var c in d.Transitions)
            {
                sb.Append("| transition | ").Append(c.Kind).Append(" | `").Append(c.Subject).Append("` | ").Append(Cell(c.Details)).Append(" |\n");
            }
        }

        return sb.ToString();
    }

    private static string Cell(IReadOnlyList<string> details) => string.Join("<br>", details).Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);

    private static void Compare(List<string> details, string name, string? before, string? after)
    {
        if (!string.Equals(before ?? string.Empty, after ?? string.Empty, StringComparison.Ordinal))
        {
            details.Add($"{name}: {(string.IsNullOrEmpty(before) ? "(none)" : before)} → {(string.IsNullOrEmpty(after) ? "(none)" : after)}");
        }
    }

    private static string Json<T>(T value) => value is null ? string.Empty : JsonSerializer.Serialize(value, Options);

    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };
}
