using System.Text.Json.Nodes;
using SubsidyEngine.Engine.Runtime;

namespace SubsidyEngine.Engine.Programmes;

/// <summary>Requested, allocated and awarded euros of one action over a call's counted applications.</summary>
public sealed record ActionTotals(string ActionCode, int Applications, decimal RequestedEur, decimal AllocatedEur);

/// <summary>The KPI of one action: reach pledged in the awards against reach realised in the reports.</summary>
/// <param name="ActionCode">The action, e.g. <c>2.1</c>.</param>
/// <param name="Awarded">Awarded applications with funded reach for this action.</param>
/// <param name="Pledged">Sum of the funded reach of the awarded applications.</param>
/// <param name="RealisedInterim">Sum of the realised reach in the interim reports filed so far.</param>
/// <param name="RealisedFinal">Sum of the realised reach in the final reports filed so far.</param>
/// <param name="Reports">Awarded applications that filed at least an interim report for this action.</param>
public sealed record ActionKpi(string ActionCode, int Pledged, int RealisedInterim, int RealisedFinal, int Awarded, int Reports);

/// <summary>The numbers of a call's dashboard (pure: computed from the call dossier and its applications).</summary>
public sealed record CallDashboardData(
    decimal BudgetEur,
    decimal RequestedEur,
    decimal AllocatedEur,
    decimal AwardedEur,
    int Applications,
    int Counted,
    int Submitters,
    int Participants,
    IReadOnlyList<(string State, int Count)> States,
    IReadOnlyList<ActionTotals> PerAction,
    IReadOnlyList<ActionKpi> Kpis)
{
    /// <summary>Budget not allocated (never negative).</summary>
    public decimal UnallocatedEur => Math.Max(0m, BudgetEur - AllocatedEur);
}

/// <summary>
/// The call dashboard's figures: budget distribution, per-action totals, submitters and participating authorities,
/// and pledged against realised reach (the KPI). Applications in <see cref="ProgrammeService.NotCounting"/>
/// (draft, withdrawn, ineligible) are left out of every figure except the state counts.
/// </summary>
public static class CallDashboard
{
    public static CallDashboardData Build(DossierSnapshot call, IReadOnlyList<DossierSnapshot> applications)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(applications);
        var counted = applications.Where(a => !ProgrammeService.NotCounting.Contains(a.State)).ToList();
        var awarded = counted.Where(a => a.Data["payment"] is JsonObject).ToList();
        var perAction = counted
            .SelectMany(a => Rows(a.Data).Select(r => (Row: r, Allocation: AllocatedFor(a.Data, ProgrammeGuards.Str(r, "actionCode") ?? string.Empty))))
            .GroupBy(x => ProgrammeGuards.Str(x.Row, "actionCode") ?? string.Empty)
            .Select(g => new ActionTotals(g.Key, g.Count(), g.Sum(x => ProgrammeGuards.Dec(x.Row, "requestedEur")), g.Sum(x => x.Allocation)))
            .OrderBy(x => x.ActionCode, StringComparer.Ordinal)
            .ToList();
        var kpis = awarded
            .SelectMany(a => Rows(a.Data).Where(r => ProgrammeGuards.Int(r, "fundedReach") > 0).Select(r =>
            {
                var code = ProgrammeGuards.Str(r, "actionCode") ?? string.Empty;
                var interim = Realised(a.Data, "interimReport", code);
                var final = Realised(a.Data, "finalReport", code);
                return (Code: code, Pledged: ProgrammeGuards.Int(r, "fundedReach"), Interim: interim ?? 0, Final: final ?? 0, Reported: interim is not null || final is not null);
            }))
            .GroupBy(x => x.Code)
            .Select(g => new ActionKpi(g.Key, g.Sum(x => x.Pledged), g.Sum(x => x.Interim), g.Sum(x => x.Final), g.Count(), g.Count(x => x.Reported)))
            .OrderBy(x => x.ActionCode, StringComparer.Ordinal)
            .ToList();
        var figures = CallFigures.Of(ProgrammeGuards.Dec(call.Data, "call.budgetEur"), applications); // the totals the call page and the API show
        return new CallDashboardData(
            figures.BudgetEur,
            figures.RequestedEur,
            figures.AllocatedEur,
            awarded.Sum(a => ProgrammeGuards.Dec(a.Data, "payment.awardEur")),
            figures.Applications,
            figures.CountedApplications,
            figures.Submitters,
            figures.Participants,
            applications.GroupBy(a => a.State).Select(g => (g.Key, g.Count())).OrderBy(x => x.Key, StringComparer.Ordinal).ToList(),
            perAction,
            kpis);
    }

    private static IEnumerable<JsonObject> Rows(JsonObject data) => ((data["amounts"] as JsonObject)?["rows"] as JsonArray ?? []).OfType<JsonObject>();

    private static decimal AllocatedFor(JsonObject data, string code) =>
        ((data["allocation"] as JsonObject)?["rows"] as JsonArray ?? []).OfType<JsonObject>()
            .Where(r => ProgrammeGuards.Str(r, "actionCode") == code).Sum(r => ProgrammeGuards.Dec(r, "allocatedEur"));

    private static int? Realised(JsonObject data, string report, string code) =>
        data[report]?["realised"]?[code] is JsonValue v && v.TryGetValue<decimal>(out var n) ? (int)n : null;
}
