#pragma warning disable CS1573 // Record parameters are documented only where the name does not say it all.
using SubsidyEngine.Engine.Programmes.Model;

namespace SubsidyEngine.Engine.Rules;

/// <summary>One row of an application table as entered.</summary>
/// <param name="ActionCode">A catalogue code of the call, e.g. <c>2.1</c> or <c>4.1a</c>.</param>
/// <param name="CurrentReach">Reach without the plan (not funded; must be >= 0).</param>
/// <param name="PlannedAdditionalReach">The pledged extra reach: only this is funded (must be >= 0).</param>
/// <param name="Priority">1..n, unique within the application.</param>
public sealed record ApplicationRowInput(string ActionCode, int CurrentReach, int PlannedAdditionalReach, int Priority);

/// <summary>An application table with the inputs that decide its bonuses.</summary>
/// <param name="RateDate">The date whose rates apply (the service passes the submission date, so a year-1 polarisation plan submitted from 13/06/2022 gets EUR 25,000).</param>
/// <param name="CooperationBonus">Whether the cooperation bonus applies: take <see cref="EligibilityResult.CooperationBonus"/>.</param>
/// <param name="OtherBonusCodes">Other bonuses claimed (codes of the programme's <c>otherBonuses</c>).</param>
public sealed record ApplicationTableInput(
    string ApplicationId,
    IReadOnlyList<ApplicationRowInput> Rows,
    DateOnly RateDate,
    bool CooperationBonus,
    IReadOnlyList<string> OtherBonusCodes);

/// <summary>A row as evaluated.</summary>
/// <param name="FundedReach">min(planned, maximum): the reach the request and the award are based on.</param>
/// <param name="RequestedEur">FundedReach x rate (whole units x euro rates: exact, no rounding).</param>
public sealed record ApplicationRowResult(
    string ActionCode,
    int Priority,
    int CurrentReach,
    int PlannedAdditionalReach,
    int? MaximumReach,
    int FundedReach,
    decimal RateEur,
    decimal RequestedEur);

/// <summary>A bonus in a request: code and amount (per project year x project years of the call).</summary>
public sealed record BonusRequest(string Code, LocalizedText Name, decimal AmountEur, bool AmountConfigured);

/// <summary>The evaluated application table.</summary>
/// <param name="RowsTotalEur">Sum of <see cref="ApplicationRowResult.RequestedEur"/>.</param>
/// <param name="BonusTotalEur">Sum of the bonuses (no co-financing).</param>
/// <param name="RequestedTotalEur">Rows plus bonuses.</param>
public sealed record ApplicationTableResult(
    string ApplicationId,
    bool Passed,
    IReadOnlyList<ApplicationRowResult> Rows,
    IReadOnlyList<BonusRequest> Bonuses,
    decimal RowsTotalEur,
    decimal BonusTotalEur,
    decimal RequestedTotalEur,
    IReadOnlyList<Reason> Reasons);

/// <summary>
/// The application table (DOMAIN §4), pure. Rows must reference funded actions of the call, reach must be >= 0,
/// priorities 1..n without gaps or duplicates, at least one row with planned reach > 0.
/// <para>
/// <b>Reach above the maximum is accepted and capped</b>: the row is funded for min(planned, maximum) units and a
/// warning <c>row.above-maximum</c> says so. Refusing the whole application for it would punish ambition; the
/// applicant is told what is funded. Requested amount of a row = min(planned, maximum) x the rate in force on the
/// rate date. Bonuses are added per project year of the call.
/// </para>
/// </summary>
public static class ApplicationTableRule
{
    /// <summary>Evaluates one application table against <paramref name="call"/>.</summary>
    public static ApplicationTableResult Evaluate(Call call, ApplicationTableInput input)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(input);
        var reasons = new List<Reason>();
        var rows = new List<ApplicationRowResult>();
        var seenCodes = new HashSet<string>(StringComparer.Ordinal);

        for (var index = 0; index < input.Rows.Count; index++)
        {
            var row = input.Rows[index];
            var at = $"application.rows[{index}]";
            var action = call.FindAction(row.ActionCode);
            if (!seenCodes.Add(row.ActionCode))
            {
                reasons.Add(Reason.Error("row.duplicate-action",
                    $"Actie {row.ActionCode} staat meer dan eens in de tabel.", $"Action {row.ActionCode} appears more than once in the table.") with { Field = $"{at}.action" });
                continue;
            }
            if (action is null)
            {
                reasons.Add(Reason.Error("row.unknown-action",
                    $"Actie {row.ActionCode} bestaat niet in oproep {call.Id}.", $"Action {row.ActionCode} does not exist in call {call.Id}.") with { Field = $"{at}.action" });
                continue;
            }
            if (!action.Funded)
            {
                reasons.Add(Reason.Error("row.action-not-funded",
                    $"Actie {row.ActionCode} ({action.Name.Nl}) wordt in deze oproep niet financieel ondersteund.",
                    $"Action {row.ActionCode} ({action.Name.En}) carries no funding in this call.") with { Field = $"{at}.action" });
                continue;
            }
            if (row.CurrentReach < 0)
            {
                reasons.Add(Reason.Error("row.negative-current-reach",
                    $"Actie {row.ActionCode}: het huidige bereik mag niet negatief zijn ({row.CurrentReach}).",
                    $"Action {row.ActionCode}: the current reach must not be negative ({row.CurrentReach}).") with { Field = $"{at}.currentReach" });
            }
            if (row.PlannedAdditionalReach < 0)
            {
                reasons.Add(Reason.Error("row.negative-planned-reach",
                    $"Actie {row.ActionCode}: het geplande extra bereik mag niet negatief zijn ({row.PlannedAdditionalReach}).",
                    $"Action {row.ActionCode}: the planned additional reach must not be negative ({row.PlannedAdditionalReach}).") with { Field = $"{at}.plannedAdditionalReach" });
            }
            var planned = Math.Max(0, row.PlannedAdditionalReach);
            var funded = action.MaximumReach is { } maximum ? Math.Min(planned, maximum) : planned;
            if (planned > funded)
            {
                reasons.Add(Reason.Warning("row.above-maximum",
                    $"Actie {row.ActionCode}: gepland extra bereik {planned} is meer dan het maximum {action.MaximumReach}; er wordt gefinancierd voor {funded}.",
                    $"Action {row.ActionCode}: planned additional reach {planned} exceeds the maximum {action.MaximumReach}; {funded} is funded.") with { Field = $"{at}.plannedAdditionalReach" });
            }
            var rate = action.RateOn(input.RateDate) ?? 0m;
            rows.Add(new ApplicationRowResult(action.Code, row.Priority, row.CurrentReach, row.PlannedAdditionalReach, action.MaximumReach,
                funded, rate, funded * rate));
        }

        // Priorities 1..n, unique, no gaps (n = number of rows entered).
        var priorities = input.Rows.Select(r => r.Priority).ToList();
        foreach (var duplicate in priorities.GroupBy(p => p).Where(g => g.Count() > 1).Select(g => g.Key).Order())
        {
            reasons.Add(Reason.Error("priority.duplicate",
                $"Prioriteit {duplicate} komt meer dan eens voor.", $"Priority {duplicate} is used more than once.")
                with { Field = $"application.rows[{priorities.LastIndexOf(duplicate)}].priority" });
        }
        var distinct = priorities.Distinct().ToHashSet();
        var missing = Enumerable.Range(1, input.Rows.Count).Where(p => !distinct.Contains(p)).ToList();
        var outOfRange = distinct.Where(p => p < 1 || p > input.Rows.Count).Order().ToList();
        if (missing.Count > 0 || outOfRange.Count > 0)
        {
            reasons.Add(Reason.Error("priority.not-consecutive",
                $"De prioriteiten moeten 1 tot {input.Rows.Count} zijn, elk één keer; ontbrekend: {string.Join(", ", missing)}; ongeldig: {string.Join(", ", outOfRange)}.",
                $"Priorities must be 1 to {input.Rows.Count}, each once; missing: {string.Join(", ", missing)}; invalid: {string.Join(", ", outOfRange)}.")
                with { Field = outOfRange.Count > 0 ? $"application.rows[{priorities.IndexOf(outOfRange[0])}].priority" : "application.rows" });
        }

        if (!input.Rows.Any(r => r.PlannedAdditionalReach > 0))
        {
            reasons.Add(Reason.Error("table.nothing-planned",
                "Minstens één actie moet een gepland extra bereik groter dan 0 hebben.",
                "At least one action must have a planned additional reach above 0.") with { Field = "application.rows" });
        }

        // Bonuses: no co-financing, per project year.
        var bonuses = new List<BonusRequest>();
        var parameters = call.Parameters;
        if (input.CooperationBonus)
        {
            var definition = parameters.CooperationBonus;
            bonuses.Add(new BonusRequest(definition.Code, definition.Name, definition.EurPerProjectYear * call.ProjectYears,
                !(definition.Provenance.Configurable && definition.EurPerProjectYear == 0)));
            reasons.Add(Reason.Info("bonus.cooperation",
                $"Samenwerkingsbonus: {RuleText.EurNl(definition.EurPerProjectYear)} per projectjaar.",
                $"Cooperation bonus: {RuleText.EurEn(definition.EurPerProjectYear)} per project year."));
        }
        foreach (var code in input.OtherBonusCodes.Distinct(StringComparer.Ordinal))
        {
            if (parameters.FindOtherBonus(code) is not { } definition)
            {
                reasons.Add(Reason.Error("bonus.unknown",
                    $"Bonus '{code}' bestaat niet in deze oproep.", $"Bonus '{code}' does not exist in this call.")
                    with { Field = $"application.otherBonuses[{input.OtherBonusCodes.ToList().IndexOf(code)}]" });
                continue;
            }
            var configured = !(definition.Provenance.Configurable && definition.EurPerProjectYear == 0);
            bonuses.Add(new BonusRequest(code, definition.Name, definition.EurPerProjectYear * call.ProjectYears, configured));
            if (!configured)
            {
                reasons.Add(Reason.Warning("bonus.amount-not-configured",
                    $"Het bedrag van de {definition.Name.Nl} is niet gekend en staat op EUR 0 tot het geconfigureerd is.",
                    $"The amount of the {definition.Name.En} is unknown and set to EUR 0 until configured."));
            }
        }

        rows.Sort((a, b) => a.Priority != b.Priority ? a.Priority.CompareTo(b.Priority) : string.CompareOrdinal(a.ActionCode, b.ActionCode));
        var rowsTotal = rows.Sum(r => r.RequestedEur);
        var bonusTotal = bonuses.Sum(b => b.AmountEur);
        return new ApplicationTableResult(input.ApplicationId, !RuleText.HasErrors(reasons), rows, bonuses, rowsTotal, bonusTotal,
            rowsTotal + bonusTotal, reasons);
    }
}
