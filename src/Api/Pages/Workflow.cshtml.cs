using Microsoft.AspNetCore.Mvc;
using SubsidyEngine.Api.Ui;
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
}
