using System.Text.Json.Nodes;
using SubsidyEngine.Engine.Runtime;

namespace SubsidyEngine.Engine.Programmes;

/// <summary>Requested euros of one catalogue action over the counted applications of a call.</summary>
public sealed record ActionFigure(string ActionCode, decimal RequestedEur, int Applications);

/// <summary>
/// The figures of a call's dashboard, over the application dossiers given (the caller passes the ones its scope
/// sees): budget, requested (applications that count: submitted and beyond), allocated, the submitting and
/// participating authorities, and the requested euros per action. Shared by the call page and the calls API.
/// </summary>
public sealed record CallFigures(
    decimal BudgetEur,
    decimal RequestedEur,
    decimal AllocatedEur,
    int Applications,
    int CountedApplications,
    int Submitters,
    int Participants,
    IReadOnlyList<ActionFigure> PerAction)
{
    /// <summary>Computes the figures; <paramref name="budgetEur"/> is the call's budget.</summary>
    public static CallFigures Of(decimal budgetEur, IReadOnlyCollection<DossierSnapshot> applications)
    {
        ArgumentNullException.ThrowIfNull(applications);
        var counted = applications.Where(a => !ProgrammeService.NotCounting.Contains(a.State)).ToList();
        var perAction = counted
            .SelectMany(a => ((a.Data["amounts"] as JsonObject)?["rows"] as JsonArray ?? []).OfType<JsonObject>())
            .GroupBy(r => ProgrammeGuards.Str(r, "actionCode") ?? string.Empty)
            .Select(g => new ActionFigure(g.Key, g.Sum(r => ProgrammeGuards.Dec(r, "requestedEur")), g.Count()))
            .OrderBy(x => x.ActionCode, StringComparer.Ordinal)
            .ToList();
        var participants = counted.SelectMany(a => ProgrammeGuards.Strings(a.Data["participants"])).Where(p => p.Length > 0).Distinct(StringComparer.Ordinal).Count();
        return new CallFigures(
            budgetEur,
            counted.Sum(a => ProgrammeGuards.Dec(a.Data, "amounts.requestedTotalEur")),
            applications.Sum(a => ProgrammeGuards.Dec(a.Data, "allocation.allocatedEur")),
            applications.Count,
            counted.Count,
            counted.Select(a => ProgrammeGuards.Str(a.Data, "owner") ?? string.Empty).Distinct(StringComparer.Ordinal).Count(),
            participants,
            perAction);
    }
}
