#pragma warning disable CS1573 // Record parameters are documented only where the name does not say it all.
using SubsidyEngine.Engine.Programmes.Model;

namespace SubsidyEngine.Engine.Rules;

/// <summary>The local contribution an applicant declares for one action row.</summary>
public sealed record DeclaredContribution(string ActionCode, decimal LocalEur);

/// <summary>One row of the co-financing check.</summary>
/// <param name="RequiredLocalEur">ratio x Flemish amount + amount per unit x funded units.</param>
/// <param name="ShortfallEur">max(0, required - declared).</param>
public sealed record CoFinancingRow(string ActionCode, decimal FlemishEur, int FundedUnits, decimal RequiredLocalEur, decimal DeclaredLocalEur, decimal ShortfallEur);

/// <summary>The outcome of the co-financing check; bonuses need no co-financing and are not in it.</summary>
public sealed record CoFinancingResult(
    bool Passed,
    CoFinancingCheck CheckedPer,
    IReadOnlyList<CoFinancingRow> Rows,
    decimal FlemishTotalEur,
    decimal RequiredLocalTotalEur,
    decimal DeclaredLocalTotalEur,
    decimal ShortfallTotalEur,
    IReadOnlyList<Reason> Reasons);

/// <summary>
/// Co-financing (DOMAIN §4, §9), pure. Required local money of a row =
/// <c>localToFlemishRatio x Flemish amount + localEurPerUnit x funded units</c> (Plan Samenleven 1:1; Oefenkansen a fixed
/// amount per organised practice opportunity). Checked per row or on the total, as the call parameters say. A row
/// without a declaration counts as EUR 0 declared. No rounding: the inputs are euros and cents.
/// </summary>
public static class CoFinancingRule
{
    /// <summary>
    /// The field of a row's declared contribution, when the declarations are the table's rows in order (as the
    /// service passes them: one per row of <c>application.rows</c>); null when the action has no declaration.
    /// </summary>
    private static string? FieldOf(IReadOnlyList<DeclaredContribution> declared, string actionCode)
    {
        for (var i = 0; i < declared.Count; i++)
        {
            if (string.Equals(declared[i].ActionCode, actionCode, StringComparison.Ordinal))
            {
                return $"application.rows[{i}].localContributionEur";
            }
        }

        return null;
    }

    /// <summary>Checks the declared local contributions against an evaluated application table.</summary>
    public static CoFinancingResult Evaluate(CoFinancingParameters parameters, ApplicationTableResult table, IReadOnlyList<DeclaredContribution> declared)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(declared);
        var reasons = new List<Reason>();
        var byCode = declared.GroupBy(d => d.ActionCode, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Sum(d => d.LocalEur), StringComparer.Ordinal);
        foreach (var unknown in byCode.Keys.Where(code => table.Rows.All(r => r.ActionCode != code)).Order(StringComparer.Ordinal))
        {
            reasons.Add(Reason.Error("cofinancing.unknown-row",
                $"Er is eigen inbreng opgegeven voor actie {unknown}, die niet in de tabel staat.",
                $"A local contribution was declared for action {unknown}, which is not in the table."));
        }
        foreach (var negative in byCode.Where(kv => kv.Value < 0).Select(kv => kv.Key).Order(StringComparer.Ordinal))
        {
            reasons.Add(Reason.Error("cofinancing.negative",
                $"De eigen inbreng voor actie {negative} mag niet negatief zijn.", $"The local contribution for action {negative} must not be negative.")
                with { Field = FieldOf(declared, negative) });
        }

        var rows = table.Rows.Select(r =>
        {
            var required = (parameters.LocalToFlemishRatio * r.RequestedEur) + (parameters.LocalEurPerUnit * r.FundedReach);
            var local = byCode.GetValueOrDefault(r.ActionCode);
            return new CoFinancingRow(r.ActionCode, r.RequestedEur, r.FundedReach, required, local, Math.Max(0m, required - local));
        }).ToList();

        var flemish = rows.Sum(r => r.FlemishEur);
        var requiredTotal = rows.Sum(r => r.RequiredLocalEur);
        var declaredTotal = rows.Sum(r => r.DeclaredLocalEur);
        var rule = Describe(parameters);
        decimal shortfall;
        if (parameters.CheckedPer == CoFinancingCheck.Row)
        {
            foreach (var row in rows.Where(r => r.ShortfallEur > 0))
            {
                reasons.Add(Reason.Error("cofinancing.row-shortfall",
                    $"Actie {row.ActionCode}: Vlaamse bijdrage {RuleText.EurNl(row.FlemishEur)}, vereiste eigen inbreng {RuleText.EurNl(row.RequiredLocalEur)} ({rule.Nl}), opgegeven {RuleText.EurNl(row.DeclaredLocalEur)}: {RuleText.EurNl(row.ShortfallEur)} te weinig.",
                    $"Action {row.ActionCode}: Flemish contribution {RuleText.EurEn(row.FlemishEur)}, required local contribution {RuleText.EurEn(row.RequiredLocalEur)} ({rule.En}), declared {RuleText.EurEn(row.DeclaredLocalEur)}: {RuleText.EurEn(row.ShortfallEur)} short.")
                    with { Field = FieldOf(declared, row.ActionCode) });
            }
            shortfall = rows.Sum(r => r.ShortfallEur);
        }
        else
        {
            shortfall = Math.Max(0m, requiredTotal - declaredTotal);
            if (shortfall > 0)
            {
                reasons.Add(Reason.Error("cofinancing.total-shortfall",
                    $"Vlaamse bijdrage in totaal {RuleText.EurNl(flemish)}, vereiste eigen inbreng {RuleText.EurNl(requiredTotal)} ({rule.Nl}), opgegeven {RuleText.EurNl(declaredTotal)}: {RuleText.EurNl(shortfall)} te weinig.",
                    $"Flemish contribution in total {RuleText.EurEn(flemish)}, required local contribution {RuleText.EurEn(requiredTotal)} ({rule.En}), declared {RuleText.EurEn(declaredTotal)}: {RuleText.EurEn(shortfall)} short."));
            }
        }
        var passed = !RuleText.HasErrors(reasons);
        if (passed)
        {
            reasons.Add(Reason.Info("cofinancing.matched",
                $"De eigen inbreng van {RuleText.EurNl(declaredTotal)} dekt de vereiste {RuleText.EurNl(requiredTotal)} ({rule.Nl}, {(parameters.CheckedPer == CoFinancingCheck.Row ? "per actie" : "op het totaal")}).",
                $"The local contribution of {RuleText.EurEn(declaredTotal)} covers the required {RuleText.EurEn(requiredTotal)} ({rule.En}, {(parameters.CheckedPer == CoFinancingCheck.Row ? "per action" : "on the total")})."));
        }
        return new CoFinancingResult(passed, parameters.CheckedPer, rows, flemish, requiredTotal, declaredTotal, shortfall, reasons);
    }

    private static LocalizedText Describe(CoFinancingParameters p)
    {
        var parts = new List<LocalizedText>();
        if (p.LocalToFlemishRatio != 0)
        {
            parts.Add(new LocalizedText($"{RuleText.NumNl(p.LocalToFlemishRatio)} euro per Vlaamse euro", $"{RuleText.NumEn(p.LocalToFlemishRatio)} euro per Flemish euro"));
        }
        if (p.LocalEurPerUnit != 0)
        {
            parts.Add(new LocalizedText($"{RuleText.EurNl(p.LocalEurPerUnit)} per eenheid", $"{RuleText.EurEn(p.LocalEurPerUnit)} per unit"));
        }
        return parts.Count == 0
            ? new LocalizedText("geen eigen inbreng vereist", "no local contribution required")
            : new LocalizedText(string.Join(" + ", parts.Select(x => x.Nl)), string.Join(" + ", parts.Select(x => x.En)));
    }
}
