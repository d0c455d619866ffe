#pragma warning disable CS1573 // Record parameters are documented only where the name does not say it all.
using SubsidyEngine.Engine.Programmes.Model;

namespace SubsidyEngine.Engine.Rules;

/// <summary>The payment schedule of an award.</summary>
/// <param name="AdvanceEur">Advance share x award, rounded down to a multiple of <c>advanceRoundingEur</c> (default the cent), paid at the award decision.</param>
/// <param name="BalanceAtMostEur">Award - advance: the most the balance after the final settlement can be.</param>
public sealed record PaymentSchedule(decimal AwardEur, decimal AdvanceEur, decimal BalanceAtMostEur, string BalanceAfter, IReadOnlyList<Reason> Reasons);

/// <summary>One awarded row at settlement: what was pledged and awarded, and what was realised.</summary>
/// <param name="PledgedReach">The funded reach of the award (min(planned, maximum)).</param>
/// <param name="AwardedEur">The allocated amount of the row (may be less than pledged x rate after a pro-rata round).</param>
public sealed record SettlementRowInput(string ActionCode, int PledgedReach, decimal RateEur, decimal AwardedEur, int RealisedReach);

/// <summary>What the settlement needs: awarded rows, bonuses and what was paid.</summary>
/// <param name="BonusAwardedEur">The bonus amount of the award.</param>
/// <param name="BonusEarned">Whether the bonus condition still held at the end (e.g. the cooperation stayed together).</param>
/// <param name="PaidEur">Advances (and any other payments) paid so far.</param>
/// <param name="PreInformationSentOn">The date the recovery pre-information letter was sent, when known.</param>
public sealed record SettlementInput(
    IReadOnlyList<SettlementRowInput> Rows,
    decimal BonusAwardedEur,
    bool BonusEarned,
    decimal PaidEur,
    DateOnly? PreInformationSentOn);

/// <summary>The earned amount of one row.</summary>
/// <param name="CountedReach">min(realised, pledged).</param>
/// <param name="EarnedEur">min(counted x rate, awarded for the row).</param>
public sealed record SettlementRow(string ActionCode, int PledgedReach, int RealisedReach, int CountedReach, decimal RateEur, decimal AwardedEur, decimal EarnedEur);

/// <summary>The outcome of a settlement.</summary>
/// <param name="RecoveryEur">Paid - earned when positive: to be recovered from the submitting authority.</param>
/// <param name="BalancePayableEur">Earned - paid when positive: still to pay.</param>
/// <param name="ReactionDeadline">Pre-information date + the programme's days (30), when a recovery is due and the date is known.</param>
public sealed record SettlementResult(
    IReadOnlyList<SettlementRow> Rows,
    decimal AwardEur,
    decimal EarnedRowsEur,
    decimal EarnedBonusEur,
    decimal EarnedEur,
    decimal PaidEur,
    decimal RecoveryEur,
    decimal BalancePayableEur,
    DateOnly? ReactionDeadline,
    IReadOnlyList<Reason> Reasons);

/// <summary>
/// Payment schedule and final settlement in the unit-cost model (DOMAIN §7), pure. Earned = sum over rows of
/// min(realised, pledged) x rate, each row capped at its awarded amount, plus the bonus when earned; never above the
/// award. Recovery = paid - earned when positive; balance payable = earned - paid when positive. The amounts are
/// products of whole units and euro rates and need no rounding; only the advance is rounded (down).
/// </summary>
public static class SettlementRule
{
    /// <summary>The payment schedule of an award: advance at the award, the balance after the final settlement.</summary>
    public static PaymentSchedule Schedule(PaymentScheduleParameters parameters, decimal awardEur)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (awardEur < 0) throw new ArgumentOutOfRangeException(nameof(awardEur), "The award must not be negative.");
        var advance = RuleText.FloorTo(awardEur * parameters.AdvanceShare, parameters.AdvanceRoundingEur);
        var pct = parameters.AdvanceShare * 100;
        return new PaymentSchedule(awardEur, advance, awardEur - advance, parameters.BalanceAfter,
        [
            Reason.Info("payment.advance",
                $"Voorschot van {RuleText.NumNl(pct)}% bij de toekenning: {RuleText.EurNl(advance)}; het saldo (hoogstens {RuleText.EurNl(awardEur - advance)}) na de eindafrekening.",
                $"Advance of {RuleText.NumEn(pct)}% at the award: {RuleText.EurEn(advance)}; the balance (at most {RuleText.EurEn(awardEur - advance)}) after the final settlement."),
        ]);
    }

    /// <summary>The last day to react to a recovery pre-information letter sent on <paramref name="sentOn"/>.</summary>
    public static DateOnly ReactionDeadline(RecoveryParameters parameters, DateOnly sentOn)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return sentOn.AddDays(parameters.PreInformationDays);
    }

    /// <summary>Settles an award.</summary>
    public static SettlementResult Settle(RecoveryParameters recovery, SettlementInput input)
    {
        ArgumentNullException.ThrowIfNull(recovery);
        ArgumentNullException.ThrowIfNull(input);
        var reasons = new List<Reason>();
        var rows = new List<SettlementRow>();
        foreach (var row in input.Rows.OrderBy(r => r.ActionCode, StringComparer.Ordinal))
        {
            var counted = Math.Clamp(row.RealisedReach, 0, Math.Max(0, row.PledgedReach));
            var earned = Math.Min(counted * row.RateEur, row.AwardedEur);
            rows.Add(new SettlementRow(row.ActionCode, row.PledgedReach, row.RealisedReach, counted, row.RateEur, row.AwardedEur, earned));
            if (row.RealisedReach > row.PledgedReach)
            {
                reasons.Add(Reason.Info("settlement.over-realised",
                    $"Actie {row.ActionCode}: {row.RealisedReach} gerealiseerd, meer dan de beloofde {row.PledgedReach}; alleen {row.PledgedReach} tellen mee.",
                    $"Action {row.ActionCode}: {row.RealisedReach} realised, more than the pledged {row.PledgedReach}; only {row.PledgedReach} count."));
            }
            else if (row.RealisedReach < row.PledgedReach)
            {
                reasons.Add(Reason.Info("settlement.under-realised",
                    $"Actie {row.ActionCode}: {row.RealisedReach} van {row.PledgedReach} gerealiseerd: {RuleText.EurNl(earned)} verdiend van {RuleText.EurNl(row.AwardedEur)}.",
                    $"Action {row.ActionCode}: {row.RealisedReach} of {row.PledgedReach} realised: {RuleText.EurEn(earned)} earned of {RuleText.EurEn(row.AwardedEur)}."));
            }
            if (counted * row.RateEur > row.AwardedEur)
            {
                reasons.Add(Reason.Info("settlement.row-capped-at-award",
                    $"Actie {row.ActionCode}: begrensd tot het toegekende bedrag {RuleText.EurNl(row.AwardedEur)}.",
                    $"Action {row.ActionCode}: capped at the awarded {RuleText.EurEn(row.AwardedEur)}."));
            }
        }
        var award = input.Rows.Sum(r => r.AwardedEur) + input.BonusAwardedEur;
        var earnedRows = rows.Sum(r => r.EarnedEur);
        var earnedBonus = input.BonusEarned ? input.BonusAwardedEur : 0m;
        var earnedTotal = Math.Min(earnedRows + earnedBonus, award);
        var recoveryAmount = Math.Max(0m, input.PaidEur - earnedTotal);
        var balance = Math.Max(0m, earnedTotal - input.PaidEur);
        DateOnly? deadline = null;
        if (recoveryAmount > 0)
        {
            reasons.Add(Reason.Warning("settlement.recovery",
                $"Verdiend {RuleText.EurNl(earnedTotal)}, betaald {RuleText.EurNl(input.PaidEur)}: {RuleText.EurNl(recoveryAmount)} wordt teruggevorderd van het indienend bestuur.",
                $"Earned {RuleText.EurEn(earnedTotal)}, paid {RuleText.EurEn(input.PaidEur)}: {RuleText.EurEn(recoveryAmount)} is recovered from the submitting authority."));
            if (input.PreInformationSentOn is { } sentOn)
            {
                deadline = ReactionDeadline(recovery, sentOn);
                reasons.Add(Reason.Info("settlement.reaction-deadline",
                    $"Het bestuur kan tot {RuleText.DateNl(deadline.Value)} reageren op de vooraankondiging van de terugvordering ({recovery.PreInformationDays} dagen).",
                    $"The authority may react to the recovery pre-information until {RuleText.DateEn(deadline.Value)} ({recovery.PreInformationDays} days)."));
            }
        }
        else if (balance > 0)
        {
            reasons.Add(Reason.Info("settlement.balance",
                $"Verdiend {RuleText.EurNl(earnedTotal)}, betaald {RuleText.EurNl(input.PaidEur)}: saldo te betalen {RuleText.EurNl(balance)}.",
                $"Earned {RuleText.EurEn(earnedTotal)}, paid {RuleText.EurEn(input.PaidEur)}: balance payable {RuleText.EurEn(balance)}."));
        }
        else
        {
            reasons.Add(Reason.Info("settlement.even",
                $"Verdiend en betaald zijn gelijk: {RuleText.EurNl(earnedTotal)}.", $"Earned and paid are equal: {RuleText.EurEn(earnedTotal)}."));
        }
        return new SettlementResult(rows, award, earnedRows, earnedBonus, earnedTotal, input.PaidEur, recoveryAmount, balance, deadline, reasons);
    }
}
