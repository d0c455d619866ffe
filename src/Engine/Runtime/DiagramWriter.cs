using System.Text;
using SubsidyEngine.Workflows.Compilation;

namespace SubsidyEngine.Engine.Runtime;

/// <summary>
/// Generates the Mermaid state diagram of every definition (through Stateless' <c>MermaidGraph</c>) as
/// <c>docs/workflows/&lt;programme&gt;-&lt;workflow&gt;-v&lt;N&gt;.md</c>. A test fails when a committed diagram is stale.
/// </summary>
public static class DiagramWriter
{
    public static string FileName(CompiledWorkflow wf) => $"{wf.Definition.Id.Replace('/', '-')}-v{wf.Definition.Version}.md";

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
        sb.Append("```mermaid\n").Append(wf.Mermaid().Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd()).Append("\n```\n\n");
        sb.Append("| state | label | parent | terminal |\n|---|---|---|---|\n");
        foreach (var s in d.States)
        {
            sb.Append("| `").Append(s.Id).Append("` | ").Append(s.Label?.Nl ?? string.Empty).Append(" | ")
              .Append(s.Parent is null ? string.Empty : $"`{s.Parent}`").Append(" | ").Append(s.Terminal ? "yes" : string.Empty).Append(" |\n");
        }

        return sb.ToString();
    }

    /// <summary>Writes every diagram and the permission table (<see cref="PermissionTable"/>) into <paramref name="folder"/>; returns the files written.</summary>
    public static IReadOnlyList<string> WriteAll(WorkflowCatalog catalog, string folder)
    {
        Directory.CreateDirectory(folder);
        var written = new List<string>();
        foreach (var wf in catalog.All)
        {
            var path = Path.Combine(folder, FileName(wf));
            File.WriteAllText(path, Render(wf), new UTF8Encoding(false));
            written.Add(path);
        }

        var table = Path.Combine(folder, PermissionTable.FileName);
        File.WriteAllText(table, PermissionTable.Render(catalog), new UTF8Encoding(false));
        written.Add(table);
        return written;
    }
}
