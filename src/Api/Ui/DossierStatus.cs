using System.Globalization;
using System.Text.Json.Nodes;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Templates;
using SubsidyEngine.Workflows.Calendar;
using SubsidyEngine.Workflows.Compilation;

namespace SubsidyEngine.Api.Ui;

/// <summary>
/// What a person reads about a dossier's status, shared by the dossier page and the portal's list: the state's label
/// with the dossier's own facts where a fixed label would lie (an extended project shows its own end date), and the
/// next step expected from the municipality (from the definition's transitions out of the current state).
/// </summary>
public static class DossierStatus
{
    /// <summary>Roles through which a municipality acts in a definition (<c>municipality</c>, <c>municipality:owner</c>, ...).</summary>
    public static bool IsMunicipalityRole(string role) => role == "municipality" || role.StartsWith("municipality:", StringComparison.Ordinal);

    /// <summary>The label of the dossier's state; for an extension, "Verlengd tot {date}" from the dossier's data.</summary>
    public static string Label(CompiledWorkflow wf, string state, JsonObject data, string lang)
    {
        ArgumentNullException.ThrowIfNull(wf);
        ArgumentNullException.ThrowIfNull(data);
        if (state == "extended")
        {
            var until = Engine.Programmes.ProgrammeGuards.Str(data, "extension.projectEnd") ?? Engine.Programmes.ProgrammeGuards.Str(data, "extendedUntil");
            if (until is not null && DateOnly.TryParseExact(until, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            {
                var noNewFunds = data["extension"] is JsonObject;
                return lang == "en"
                    ? $"Extended until {PageDates.Date(date, lang)}{(noNewFunds ? " (no new funds)" : string.Empty)}"
                    : $"Verlengd tot {NlBeFormat.Date(date)}{(noNewFunds ? " (zonder nieuwe middelen)" : string.Empty)}";
            }
        }

        return wf.Definition.FindState(state)?.Label?.For(lang) ?? state;
    }

    /// <summary>The labels of what the municipality can do next in <paramref name="state"/> (manual transitions only).</summary>
    public static IReadOnlyList<string> MunicipalitySteps(CompiledWorkflow wf, string state, string lang)
    {
        ArgumentNullException.ThrowIfNull(wf);
        var d = wf.Definition;
        var current = d.FindState(state);
        var states = new HashSet<string>(StringComparer.Ordinal) { state };
        for (var parent = current?.Parent; parent is not null; parent = d.FindState(parent)?.Parent)
        {
            states.Add(parent); // transitions of a parent state apply in its children
        }

        return d.Transitions
            .Where(t => states.Contains(t.From) && t.Roles.Any(IsMunicipalityRole))
            .Select(t => d.FindTrigger(t.Trigger))
            .Where(t => t is not null && !t.Automatic && t.Id is not "withdraw")
            .Select(t => t!.Label?.For(lang) ?? t.Id)
            .Distinct(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>A deadline kind's label (the definition's, else the catalogue's).</summary>
    public static string DeadlineLabel(CompiledWorkflow wf, string kind, string lang) => DeadlineLabels.For(kind, wf?.Definition).For(lang);
}
