using Microsoft.AspNetCore.Mvc;
using SubsidyEngine.Api.Ui;
using SubsidyEngine.Engine.Diagrams;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Workflows.Compilation;

namespace SubsidyEngine.Api.Pages;

/// <summary>
/// A definition's versions side by side as SVG state diagrams, and what changed from each version to the next
/// (states and transitions added, removed, changed; <see cref="DefinitionDiff"/>). Definitions are published files,
/// readable by every signed-in user.
/// </summary>
public sealed class WorkflowModel(WorkflowCatalog catalog) : UiPageModel
{
    public IReadOnlyList<CompiledWorkflow> Versions { get; private set; } = [];

    public IReadOnlyList<DefinitionDiffResult> Changes { get; private set; } = [];

    public string Title { get; private set; } = string.Empty;

    public IActionResult OnGet(string programme, string name)
    {
        var id = $"{programme}/{name}";
        Versions = catalog.All.Where(w => w.Definition.Id == id).OrderBy(w => w.Definition.Version).ToList();
        if (Versions.Count == 0)
        {
            return NotFound();
        }

        Changes = DiagramWriter.Changes(catalog, id);
        Title = (Versions[^1].Definition.Title?.For(Lang) ?? id) + " — " + T("versions.title");
        return Page();
    }

    private CompiledWorkflow? Version(int version) => Versions.FirstOrDefault(v => v.Definition.Version == version);

    /// <summary>A state of the diff by its label (in the newer version, else the older).</summary>
    public string StateText(DefinitionDiffResult diff, string state) =>
        (Version(diff.ToVersion)?.Definition.FindState(state) ?? Version(diff.FromVersion)?.Definition.FindState(state))?.Label?.For(Lang) ?? state;

    /// <summary>A transition of the diff ("from --trigger--> to") with labels.</summary>
    public string TransitionText(DefinitionDiffResult diff, string key)
    {
        var parts = key.Split(" --", 2);
        if (parts.Length < 2)
        {
            return key;
        }

        var rest = parts[1].Split("--> ", 2);
        if (rest.Length < 2)
        {
            return key;
        }

        var wf = Version(diff.ToVersion) ?? Version(diff.FromVersion)!;
        var older = Version(diff.FromVersion)!;
        var trigger = wf.Definition.FindTrigger(rest[0]) is null ? TriggerLabel(older, rest[0]) : TriggerLabel(wf, rest[0]);
        return $"{StateText(diff, parts[0])} → {StateText(diff, rest[1])} ({trigger})";
    }

    /// <summary>
    /// What changed in a state or transition, in words: the aspects (who may, conditions, facts the server reads, what
    /// is stored, computations, letters and deadlines), and for who-may the roles by name. The expressions themselves
    /// are in docs/workflows (*-changes.md) for developers; a screen shows no engine syntax.
    /// </summary>
    public string DetailsText(DefinitionChange change)
    {
        var parts = new List<string>();
        foreach (var detail in change.Details)
        {
            var colon = detail.IndexOf(':', StringComparison.Ordinal);
            var aspect = colon < 0 ? detail : detail[..colon];
            if (aspect == "roles" && colon >= 0)
            {
                var value = detail[(colon + 1)..];
                var arrow = value.LastIndexOf('→');
                parts.Add(T("versions.aspect.roles") + ": " + RolesText(arrow < 0 ? value : value[(arrow + 1)..]));
            }
            else
            {
                parts.Add(T("versions.aspect." + aspect.Replace(" (en)", string.Empty, StringComparison.Ordinal).Replace(' ', '-')));
            }
        }

        return string.Join(" · ", parts.Distinct(StringComparer.Ordinal));
    }

    private string RolesText(string roles) => string.Join(", ", roles.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Where(r => r != "(none)")
        .Select(r =>
        {
            var (role, relation) = r.IndexOf(':', StringComparison.Ordinal) is var i and >= 0 ? (r[..i], r[(i + 1)..]) : (r, null);
            return T("role." + role) + (relation is null ? string.Empty : " (" + T("relation." + relation) + ")");
        }));
}
