using System.Text;
using System.Text.Json.Nodes;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Workflows.Compilation;
using SubsidyEngine.Workflows.Expressions;

namespace SubsidyEngine.Engine.Diagrams;

/// <summary>
/// The permission table generated from the definitions (role x relation x trigger, every definition and version):
/// <c>docs/workflows/permissions.md</c>, written with the diagrams by <see cref="DiagramWriter.WriteAll"/>. Each cell
/// is the runtime's own answer (<see cref="CompiledWorkflow.Allows(int, Actor, JsonObject)"/>) for an actor of that
/// kind on a dossier owned by one authority with another participating, so the table cannot say what the runtime
/// does not do. A test fails when the committed file is stale.
/// </summary>
public static class PermissionTable
{
    public const string FileName = "permissions.md";

    private const string Owner = "1";
    private const string Participant = "2";
    private const string Unrelated = "3";

    /// <summary>The kinds of actor of the columns, in order: header and the actor the runtime is asked about.</summary>
    public static IReadOnlyList<(string Header, Actor Actor)> Columns { get; } =
    [
        ("officer, admin", new Actor("officer", Roles.Officer)),
        ("municipality: owner", new Actor("owner", Roles.Municipality) { Authority = Owner }),
        ("municipality: participant", new Actor("participant", Roles.Municipality) { Authority = Participant }),
        ("other municipality", new Actor("other", Roles.Municipality) { Authority = Unrelated }),
        ("auditor", new Actor("auditor", Roles.Auditor)),
        ("system", Actor.System),
    ];

    /// <summary>The dossier every cell is asked about: owned by one authority, another participating.</summary>
    private static JsonObject Dossier() => new() { ["owner"] = Owner, ["participants"] = new JsonArray(Participant) };

    /// <summary>Whether the actor of column <paramref name="column"/> may fire transition <paramref name="index"/> (the role and relation check; guards aside).</summary>
    public static bool Allows(CompiledWorkflow wf, int index, int column) => wf.Allows(index, Columns[column].Actor, Dossier());

    /// <summary>
    /// Whether the actor of column <paramref name="column"/> may start the dossier of <paramref name="wf"/> the table
    /// asks about: a municipality only as its owner (a dossier owned by another authority is refused).
    /// </summary>
    public static bool MayCreate(CompiledWorkflow wf, int column) =>
        wf.CreationPermissions.Count > 0 && wf.Allows(wf.CreationPermissions, Columns[column].Actor, Dossier());

    public static string Render(WorkflowCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var sb = new StringBuilder();
        sb.Append("# Who may do what: the permission table of every workflow definition\n\n")
          .Append("Generated from the definitions in `workflows/` by `dotnet run --project src/Api -- diagrams` (with the diagrams next to ")
          .Append("this file). Do not edit by hand: a test fails when this file no longer matches the definitions.\n\n")
          .Append("## What a participating authority may do, and why\n\n")
          .Append("A cooperation of municipalities applies through one of them, the submitting authority (`owner`); the others are ")
          .Append("participating authorities (`participants`). DOMAIN.md §2-3: the submitting authority acts for its cooperation and ")
          .Append("receives the money; the participating authorities see the dossier and are counted in the statistics, nothing more.\n\n")
          .Append("- **A participant reads**: the dossier, its journal, its letters (HTML and PDF), its deadlines and notices, its ")
          .Append("application and reports; its calendar feed carries the dossier's deadlines. Its own authority and the authorities ")
          .Append("it shares a dossier with are visible to it. Reading a letter writes nothing: the letters are addressed to the ")
          .Append("submitting authority, and only its users' reading records `letter.opened`.\n")
          .Append("- **A participant writes nothing**: no trigger of any definition names `municipality:participant`, so the runtime ")
          .Append("refuses every fire by a participant inside the fire's transaction (REST, pages, CLI and jobs alike): it cannot ")
          .Append("change the contact or the participant list, withdraw, submit, answer an information request, react to a recovery ")
          .Append("or report. Otherwise a participant could redirect the submitting authority's letters or withdraw its application.\n")
          .Append("- **Also not in the report phase**: DOMAIN.md does not say who reports in a cooperation. The report is the ")
          .Append("cooperation's account of the reach pledged in its one application, and the money it settles went to the ")
          .Append("submitting authority; so the submitting authority reports for all members (it gathers their figures outside the ")
          .Append("service), and the agency hears one voice per dossier. A participant reads the reports and the letters about them.\n")
          .Append("- **Another municipality** (neither owner nor participant) does not see the dossier at all: it reads as a missing ")
          .Append("one (404), so it cannot fire either.\n")
          .Append("- **Auditors** read everything and fire nothing; **admins** act as officers on dossiers; **system** is the ")
          .Append("deadline sweeps and jobs.\n\n")
          .Append("## How to read the tables\n\n")
          .Append("One row per transition: the trigger, its source and target state (`·` for an internal transition that stays), the ")
          .Append("`roles` as the definition declares them, and per kind of actor whether the runtime lets it fire (`yes`) or ")
          .Append("refuses it (`-`). Guards (the rules of the transition) come on top: `yes` means the role and relation allow it, ")
          .Append("the guard still decides. The first row of a definition with a creation says who may start the dossier (a ")
          .Append("municipality only with its own authority as the owner). Runtime-1 definitions name no relation; there a municipality acts ")
          .Append("only on the dossiers it owns. Every version is listed, the latest first.\n");

        foreach (var group in catalog.All.GroupBy(w => w.Definition.Id, StringComparer.Ordinal))
        {
            foreach (var wf in group.OrderByDescending(w => w.Definition.Version))
            {
                Append(sb, wf);
            }
        }

        return sb.ToString();
    }

    private static void Append(StringBuilder sb, CompiledWorkflow wf)
    {
        var d = wf.Definition;
        sb.Append("\n## ").Append(d.Id).Append(" v").Append(d.Version);
        if (d.Title?.Nl is { } title)
        {
            sb.Append(": ").Append(title);
        }

        sb.Append("\n\nFrom `workflows/").Append(d.SourcePath).Append("` (runtime ").Append(d.Runtime).Append(", SHA-256 `").Append(d.ContentHash)
          .Append("`); diagram: [").Append(DiagramWriter.FileName(wf)).Append("](").Append(DiagramWriter.FileName(wf)).Append(").\n\n");
        sb.Append("| trigger | from → to | declared |");
        foreach (var (header, _) in Columns)
        {
            sb.Append(' ').Append(header).Append(" |");
        }

        sb.Append("\n|---|---|---|").Append(string.Concat(Enumerable.Repeat("---|", Columns.Count))).Append('\n');
        if (d.Creation is { } creation)
        {
            sb.Append("| *(start a dossier)* | → `").Append(d.Initial).Append("` | ").Append(Declared(creation.Roles)).Append(" |");
            for (var c = 0; c < Columns.Count; c++)
            {
                sb.Append(' ').Append(MayCreate(wf, c) ? "yes" : "-").Append(" |");
            }

            sb.Append('\n');
        }

        for (var i = 0; i < d.Transitions.Count; i++)
        {
            var t = d.Transitions[i];
            sb.Append("| `").Append(t.Trigger).Append("` | `").Append(t.From).Append("` → ").Append(t.To is null ? "·" : $"`{t.To}`").Append(" | ")
              .Append(Declared(t.Roles)).Append(" |");
            for (var c = 0; c < Columns.Count; c++)
            {
                sb.Append(' ').Append(Allows(wf, i, c) ? "yes" : "-").Append(" |");
            }

            sb.Append('\n');
        }
    }

    private static string Declared(IReadOnlyList<string> roles) => roles.Count == 0 ? "(none)" : string.Join(", ", roles.Select(r => $"`{r}`"));
}
