#pragma warning disable CS1573 // Record parameters are documented only where the name does not say it all.
using SubsidyEngine.Engine.Programmes.Model;

namespace SubsidyEngine.Engine.Rules;

/// <summary>The officer's decision on a written motivation for a shortfall.</summary>
public enum MotivationDecision
{
    /// <summary>No motivation submitted (or not yet decided).</summary>
    None,

    /// <summary>The officer accepted the motivation.</summary>
    Accepted,

    /// <summary>The officer rejected the motivation.</summary>
    Rejected,
}

/// <summary>One action at the interim review: the pledged KPI, what was realised, and the motivation decision.</summary>
public sealed record ContinuationRowInput(string ActionCode, int PledgedReach, int RealisedReach, MotivationDecision Motivation);

/// <summary>How a row's continuation was decided.</summary>
public enum ContinuationBasis
{
    /// <summary>Realised at least the minimum share of the pledge.</summary>
    ThresholdReached,

    /// <summary>Below the minimum share, but the officer accepted the written motivation.</summary>
    MotivationAccepted,

    /// <summary>Below the minimum share, no accepted motivation.</summary>
    NotReached,

    /// <summary>Nothing was pledged: nothing to continue.</summary>
    NothingPledged,
}

/// <summary>The continuation decision of one row.</summary>
/// <param name="RealisedShare">Realised / pledged (0 when nothing was pledged), rounded to 4 decimals for display.</param>
public sealed record ContinuationRowResult(string ActionCode, bool Continued, ContinuationBasis Basis, decimal RealisedShare, Reason Reason);

/// <summary>The continuation decision of an application.</summary>
public sealed record ContinuationResult(IReadOnlyList<ContinuationRowResult> Rows, bool AnyContinued);

/// <summary>
/// Continuation into the next project year (DOMAIN §7), pure: an action continues if realised >= minimum share x
/// pledged (25% in the data; compared exactly, so 25 of 100 continues), or if the officer accepted a written
/// motivation (when the parameters allow it).
/// </summary>
public static class ContinuationRule
{
    /// <summary>Decides every row.</summary>
    public static ContinuationResult Evaluate(ContinuationParameters parameters, IReadOnlyList<ContinuationRowInput> rows)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(rows);
        var share = parameters.MinimumRealisedShare;
        var pct = RuleText.NumNl(share * 100);
        var pctEn = RuleText.NumEn(share * 100);
        var results = new List<ContinuationRowResult>();
        foreach (var row in rows.OrderBy(r => r.ActionCode, StringComparer.Ordinal))
        {
            if (row.PledgedReach <= 0)
            {
                results.Add(new ContinuationRowResult(row.ActionCode, false, ContinuationBasis.NothingPledged, 0,
                    Reason.Info("continuation.nothing-pledged",
                        $"Actie {row.ActionCode}: er was geen extra bereik beloofd.", $"Action {row.ActionCode}: no additional reach was pledged.")));
                continue;
            }
            var realisedShare = Math.Round((decimal)row.RealisedReach / row.PledgedReach, 4);
            var reached = row.RealisedReach >= share * row.PledgedReach;
            var facts = (Nl: $"{row.RealisedReach} van {row.PledgedReach} gerealiseerd", En: $"{row.RealisedReach} of {row.PledgedReach} realised");
            if (reached)
            {
                results.Add(new ContinuationRowResult(row.ActionCode, true, ContinuationBasis.ThresholdReached, realisedShare,
                    Reason.Info("continuation.threshold-reached",
                        $"Actie {row.ActionCode}: {facts.Nl}, minstens {pct}%: de actie loopt door.",
                        $"Action {row.ActionCode}: {facts.En}, at least {pctEn}%: the action continues.")));
            }
            else if (row.Motivation == MotivationDecision.Accepted && parameters.MotivationMayReplace)
            {
                results.Add(new ContinuationRowResult(row.ActionCode, true, ContinuationBasis.MotivationAccepted, realisedShare,
                    Reason.Info("continuation.motivation-accepted",
                        $"Actie {row.ActionCode}: {facts.Nl}, minder dan {pct}%, maar de schriftelijke motivering werd aanvaard: de actie loopt door.",
                        $"Action {row.ActionCode}: {facts.En}, below {pctEn}%, but the written motivation was accepted: the action continues.")));
            }
            else
            {
                var why = row.Motivation == MotivationDecision.Rejected
                    ? (Code: "continuation.motivation-rejected", Nl: "de motivering werd niet aanvaard", En: "the motivation was not accepted")
                    : (Code: "continuation.below-threshold", Nl: "er is geen aanvaarde motivering", En: "there is no accepted motivation");
                results.Add(new ContinuationRowResult(row.ActionCode, false, ContinuationBasis.NotReached, realisedShare,
                    Reason.Warning(why.Code,
                        $"Actie {row.ActionCode}: {facts.Nl}, minder dan {pct}%, en {why.Nl}: de actie loopt niet door.",
                        $"Action {row.ActionCode}: {facts.En}, below {pctEn}%, and {why.En}: the action does not continue.")));
            }
        }
        return new ContinuationResult(results, results.Any(r => r.Continued));
    }
}
