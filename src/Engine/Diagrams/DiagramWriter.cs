using System.Text;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Workflows.Compilation;

namespace SubsidyEngine.Engine.Diagrams;

/// <summary>
/// Generates the documentation of every definition into <c>docs/workflows</c>: per version a Markdown page with the
/// Mermaid text (through Stateless' <c>MermaidGraph</c>) and the state table, and the SVG state diagram
/// (<see cref="StateDiagramSvg"/>) it shows; per workflow with several versions a page of what changed from version to
/// version (<see cref="DefinitionDiff"/>). A test fails when a committed file is stale.
/// </summary>
public static class DiagramWriter
{
    public static string FileName(CompiledWorkflow wf) => $"{wf.Definition.Id.Replace('/', '-')}-v{wf.Definition.Version}.md";

    public static string SvgFileName(CompiledWorkflow wf) => $"{wf.Definition.Id.Replace('/', '-')}-v{wf.Definition.Version}.svg";

    public static string ChangesFileName(string workflowId) => $"{workflowId.Replace('/', '-')}-changes.md";

    public static string Render(CompiledWorkflow wf)
    {
        var d = wf.Definition;
        var sb = new StringBuilder();
        sb.Append("# ").Append(d.Title?.Nl ?? d.Id).Append(" (").Append(d.Id).Append(" v").Append(d.Version).Append(")\n\n");
        if (d.Title?.En is { } en)
        {
            sb.Append(en).Append("\n\n");
        }

        sb.Append("Generated from `workflows/").Append(d.SourcePath).Append("` (SHA-256 `").Append(d.ContentHash)
          .Append("`) by `dotnet run --project src/Api -- diagrams`. Do not edit by hand.\n\n");
        sb.Append("![State diagram of ").Append(d.Id).Append(" v").Append(d.Version).Append("](").Append(SvgFileName(wf)).Append(")\n\n");
        sb.Append("```mermaid\n").Append(wf.Mermaid().Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd()).Append("\n```\n\n");
        sb.Append("| state | label | parent | terminal |\n|---|---|---|---|\n");
        foreach (var s in d.States)
        {
            sb.Append("| `").Append(s.Id).Append("` | ").Append(s.Label?.Nl ?? string.Empty).Append(" | ")
              .Append(s.Parent is null ? string.Empty : $"`{s.Parent}`").Append(" | ").Append(s.Terminal ? "yes" : string.Empty).Append(" |\n");
        }

        return sb.ToString();
    }

    /// <summary>The SVG state diagram of a version (Dutch labels), as committed in docs/workflows.</summary>
    public static string RenderSvg(CompiledWorkflow wf) => StateDiagramSvg.Render(wf.Definition, "nl", null, "diagram-" + wf.Definition.Id.Replace('/', '-') + "-v" + wf.Definition.Version);

    /// <summary>What changed between the consecutive versions of <paramref name="workflowId"/>; empty with one version.</summary>
    public static IReadOnlyList<DefinitionDiffResult> Changes(WorkflowCatalog catalog, string workflowId)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var versions = catalog.All.Where(w => w.Definition.Id == workflowId).OrderBy(w => w.Definition.Version).ToList();
        return versions.Zip(versions.Skip(1), (a, b) => DefinitionDiff.Compare(a.Definition, b.Definition)).ToList();
    }

    /// <summary>Every generated file: name and content.</summary>
    public static IReadOnlyList<(string Name, string Content)> Files(WorkflowCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var files = new List<(string, string)>();
        foreach (var wf in catalog.All)
        {
            files.Add((FileName(wf), Render(wf)));
            files.Add((SvgFileName(wf), RenderSvg(wf)));
        }

        foreach (var id in catalog.All.Select(w => w.Definition.Id).Distinct(StringComparer.Ordinal))
        {
            var changes = Changes(catalog, id);
            if (changes.Count > 0)
            {
                files.Add((ChangesFileName(id), DefinitionDiff.Markdown(changes, id)));
            }
        }

        return files;
    }

    /// <summary>Writes every generated file and the permission table (<see cref="PermissionTable"/>) into <paramref name="folder"/>; returns the files written.</summary>
    public static IReadOnlyList<string> WriteAll(WorkflowCatalog catalog, string folder)
    {
        Directory.CreateDirectory(folder);
        var written = new List<string>();
        foreach (var (name, content) in Files(catalog))
        {
            var path = Path.Combine(folder, name);
            File.WriteAllText(path, content, new UTF8Encoding(false));
            written.Add(path);
        }

        var table = Path.Combine(folder, PermissionTable.FileName);
        File.WriteAllText(table, PermissionTable.Render(catalog), new UTF8Encoding(false));
        written.Add(table);
        return written;
    }
}
