using System.Text.Json.Nodes;
using SubsidyEngine.Engine.Rules;
using SubsidyEngine.Workflows.Expressions;

namespace SubsidyEngine.Engine.Programmes;

/// <summary>One action row of an application with its computed amounts (and its allocation, once allocated).</summary>
public sealed record ApplicationRowView(
    string ActionCode,
    string? ActionName,
    int Priority,
    int CurrentReach,
    int PlannedAdditionalReach,
    int? MaximumReach,
    int FundedReach,
    decimal RateEur,
    decimal RequestedEur,
    decimal DeclaredLocalEur,
    decimal RequiredLocalEur,
    decimal? AllocatedEur);

/// <summary>A reason of the application table or co-financing rule (only in a preview).</summary>
public sealed record ApplicationReason(string Code, string Severity, string Nl, string En);

/// <summary>
/// The application table of a dossier. <see cref="Source"/> is <c>recorded</c> when the amounts are the ones the
/// workflow computed and journalled at submission (<c>data.amounts</c>, what the allocation uses), or
/// <c>preview</c> when the application was not submitted yet and the rules ran just now over the entered rows with
/// today's rates (nothing is stored).
/// </summary>
public sealed record ApplicationTableView(
    string Source,
    IReadOnlyList<ApplicationRowView> Rows,
    decimal RowsTotalEur,
    decimal BonusTotalEur,
    decimal RequestedTotalEur,
    bool CoFinancingPassed,
    decimal RequiredLocalTotalEur,
    decimal DeclaredLocalTotalEur,
    decimal? AllocatedEur,
    IReadOnlyList<ApplicationReason> Reasons)
{
    /// <summary>
    /// Builds the view of an application dossier's data, or null when the data names no known programme call.
    /// <paramref name="now"/> is the rate date of a preview.
    /// </summary>
    public static ApplicationTableView? Of(ProgrammeCatalog programmes, JsonObject data, string state, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(programmes);
        ArgumentNullException.ThrowIfNull(data);
        if (!programmes.TryGetCall(ProgrammeGuards.Str(data, "programme") ?? string.Empty, ProgrammeGuards.Str(data, "call.id") ?? string.Empty, out var call) || call is null)
        {
            return null;
        }

        var recorded = data["amounts"] as JsonObject;
        var amounts = recorded ?? ProgrammeGuards.Amounts(new RuleContext(data, [], now, Actor.System, state), programmes, keepReasons: true);
        var entered = ((data["application"] as JsonObject)?["rows"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var coRows = ((amounts["coFinancing"] as JsonObject)?["rows"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var allocation = data["allocation"] as JsonObject;
        var allocRows = (allocation?["rows"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var rows = (amounts["rows"] as JsonArray ?? []).OfType<JsonObject>().Select(r =>
        {
            var code = ProgrammeGuards.Str(r, "actionCode") ?? string.Empty;
            var co = coRows.FirstOrDefault(c => ProgrammeGuards.Str(c, "actionCode") == code);
            var declared = co is not null
                ? ProgrammeGuards.Dec(co, "declaredLocalEur")
                : ProgrammeGuards.Dec(entered.FirstOrDefault(e => ProgrammeGuards.Str(e, "action") == code), "localContributionEur");
            var alloc = allocRows.FirstOrDefault(a => ProgrammeGuards.Str(a, "actionCode") == code);
            return new ApplicationRowView(
                code,
                call.FindAction(code)?.Name.Nl,
                ProgrammeGuards.Int(r, "priority"),
                ProgrammeGuards.Int(r, "currentReach"),
                ProgrammeGuards.Int(r, "plannedAdditionalReach"),
                r["maximumReach"] is JsonValue ? ProgrammeGuards.Int(r, "maximumReach") : null,
                ProgrammeGuards.Int(r, "fundedReach"),
                ProgrammeGuards.Dec(r, "rateEur"),
                ProgrammeGuards.Dec(r, "requestedEur"),
                declared,
                co is null ? 0m : ProgrammeGuards.Dec(co, "requiredLocalEur"),
                alloc is null ? null : ProgrammeGuards.Dec(alloc, "allocatedEur"));
        }).ToList();
        var reasons = (amounts["reasons"] as JsonArray ?? []).Concat((amounts["coFinancing"] as JsonObject)?["reasons"] as JsonArray ?? [])
            .OfType<JsonObject>()
            .Select(r => new ApplicationReason(ProgrammeGuards.Str(r, "code") ?? string.Empty, r["severity"]?.ToString() ?? string.Empty, ProgrammeGuards.Str(r, "nl") ?? string.Empty, ProgrammeGuards.Str(r, "en") ?? string.Empty))
            .ToList();
        return new ApplicationTableView(
            recorded is null ? "preview" : "recorded",
            rows,
            ProgrammeGuards.Dec(amounts, "rowsTotalEur"),
            ProgrammeGuards.Dec(amounts, "bonusTotalEur"),
            ProgrammeGuards.Dec(amounts, "requestedTotalEur"),
            ProgrammeGuards.Bool(amounts, "coFinancing.passed"),
            ProgrammeGuards.Dec(amounts, "coFinancing.requiredLocalTotalEur"),
            ProgrammeGuards.Dec(amounts, "coFinancing.declaredLocalTotalEur"),
            allocation is null ? null : ProgrammeGuards.Dec(allocation, "allocatedEur"),
            recorded is null ? reasons : []);
    }
}

/// <summary>One KPI row of a dossier's reports: the pledged (funded) reach against the realised reach per report.</summary>
public sealed record ReportRowView(string ActionCode, string? ActionName, int PledgedReach, int? InterimRealised, int? FinalRealised, decimal? InterimShare, decimal? FinalShare, decimal? EarnedEur);

/// <summary>
/// The reports of an application dossier: per funded action the pledged reach (<c>amounts.rows[].fundedReach</c>),
/// the realised reach of the interim and final reports, and (after settlement) the earned amount. Reports are
/// submitted with the workflow's <c>report-interim</c> / <c>report-final</c> transitions (<c>{"realised": {"2.1": 40}}</c>).
/// </summary>
public sealed record ReportsView(DateTimeOffset? InterimAt, DateTimeOffset? FinalAt, string? FinalMotivation, IReadOnlyList<ReportRowView> Rows)
{
    /// <summary>The reports view of a dossier's data; rows only for actions with a funded reach.</summary>
    public static ReportsView Of(ProgrammeCatalog programmes, JsonObject data)
    {
        ArgumentNullException.ThrowIfNull(programmes);
        ArgumentNullException.ThrowIfNull(data);
        programmes.TryGetCall(ProgrammeGuards.Str(data, "programme") ?? string.Empty, ProgrammeGuards.Str(data, "call.id") ?? string.Empty, out var call);
        var interim = data["interimReport"]?["realised"] as JsonObject;
        var final = data["finalReport"]?["realised"] as JsonObject;
        var settled = (data["settlement"]?["rows"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        static int? Realised(JsonObject? realised, string code) => realised?[code] is JsonValue v && v.TryGetValue<int>(out var n) ? n : null;
        static decimal? Share(int? realised, int pledged) => realised is { } r && pledged > 0 ? Math.Round((decimal)r / pledged, 4) : null;
        var rows = ((data["amounts"] as JsonObject)?["rows"] as JsonArray ?? []).OfType<JsonObject>()
            .Where(r => ProgrammeGuards.Int(r, "fundedReach") > 0)
            .Select(r =>
            {
                var code = ProgrammeGuards.Str(r, "actionCode") ?? string.Empty;
                var pledged = ProgrammeGuards.Int(r, "fundedReach");
                var i = Realised(interim, code);
                var f = Realised(final, code);
                var s = settled.FirstOrDefault(x => ProgrammeGuards.Str(x, "actionCode") == code);
                return new ReportRowView(code, call?.FindAction(code)?.Name.Nl, pledged, i, f, Share(i, pledged), Share(f, pledged), s is null ? null : ProgrammeGuards.Dec(s, "earnedEur"));
            })
            .ToList();
        return new ReportsView(Time(data, "interimReport.at"), Time(data, "finalReport.at"), ProgrammeGuards.Str(data, "finalReport.motivation"), rows);
    }

    private static DateTimeOffset? Time(JsonObject data, string path) =>
        ProgrammeGuards.Str(data, path) is { } s && DateTimeOffset.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var t) ? t : null;
}
