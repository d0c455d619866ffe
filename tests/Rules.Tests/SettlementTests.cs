using SubsidyEngine.Engine.Programmes.Model;
using SubsidyEngine.Engine.Rules;

namespace SubsidyEngine.Rules.Tests;

public class SettlementTests
{
    private static readonly ProgrammeParameters Parameters = TestData.PlanSamenleven.Parameters;

    // Award: Dutch practice 2,000 x 60 = 120,000; bridging figures 300 x 320 = 96,000; cooperation bonus 10,000.
    // Award 226,000; advance 60% = 135,600 paid.
    private static SettlementInput Input(int dutch, int bridging, bool bonusEarned = true, DateOnly? notice = null) => new(
        [new SettlementRowInput("2.1", 2_000, 60m, 120_000m, dutch), new SettlementRowInput("5.4", 300, 320m, 96_000m, bridging)],
        10_000m, bonusEarned, 135_600m, notice);

    [Fact]
    public void Payment_schedule_pays_60_percent_at_award_rounded_down_to_the_cent()
    {
        var schedule = SettlementRule.Schedule(Parameters.PaymentSchedule, 226_000m);
        Assert.Equal(135_600m, schedule.AdvanceEur);
        Assert.Equal(90_400m, schedule.BalanceAtMostEur);
        Assert.Equal(6_000.60m, SettlementRule.Schedule(Parameters.PaymentSchedule, 10_001m).AdvanceEur);
        Assert.Equal(0.60m, SettlementRule.Schedule(Parameters.PaymentSchedule, 1.01m).AdvanceEur); // 0.606 -> 0.60
        var inEuros = Parameters.PaymentSchedule with { AdvanceRoundingEur = 1m };
        Assert.Equal(6_000m, SettlementRule.Schedule(inEuros, 10_001m).AdvanceEur);
    }

    [Fact]
    public void Full_realisation_earns_the_award_and_the_balance_is_paid()
    {
        var result = SettlementRule.Settle(Parameters.Recovery, Input(2_000, 300));
        Assert.Equal(226_000m, result.AwardEur);
        Assert.Equal(226_000m, result.EarnedEur);
        Assert.Equal(90_400m, result.BalancePayableEur);
        Assert.Equal(0m, result.RecoveryEur);
    }

    [Fact]
    public void Partial_realisation_earns_realised_times_rate()
    {
        var result = SettlementRule.Settle(Parameters.Recovery, Input(1_000, 300));
        Assert.Equal(60_000m, result.Rows.Single(r => r.ActionCode == "2.1").EarnedEur);
        Assert.Equal(166_000m, result.EarnedEur); // 60,000 + 96,000 + 10,000
        Assert.Equal(30_400m, result.BalancePayableEur);
    }

    [Fact]
    public void Over_realisation_is_capped_at_the_pledge()
    {
        var result = SettlementRule.Settle(Parameters.Recovery, Input(2_500, 400));
        Assert.Equal(2_000, result.Rows.Single(r => r.ActionCode == "2.1").CountedReach);
        Assert.Equal(226_000m, result.EarnedEur);
        Assert.Contains(result.Reasons, r => r.Code == "settlement.over-realised");
    }

    [Fact]
    public void Under_realisation_below_the_advance_is_recovered_with_a_30_day_reaction_period()
    {
        // Earned 500 x 60 + 100 x 320 = 62,000, bonus lost; paid 135,600: recover 73,600.
        var result = SettlementRule.Settle(Parameters.Recovery, Input(500, 100, bonusEarned: false, notice: new DateOnly(2025, 11, 3)));
        Assert.Equal(62_000m, result.EarnedEur);
        Assert.Equal(73_600m, result.RecoveryEur);
        Assert.Equal(0m, result.BalancePayableEur);
        Assert.Equal(new DateOnly(2025, 12, 3), result.ReactionDeadline);
        Assert.Contains(result.Reasons, r => r.Code == "settlement.recovery" && r.Nl.Contains("EUR 73.600", StringComparison.Ordinal));
        Assert.Contains(result.Reasons, r => r.Code == "settlement.reaction-deadline" && r.Nl.Contains("3 december 2025", StringComparison.Ordinal));
    }

    [Fact]
    public void A_row_awarded_pro_rata_earns_at_most_its_award()
    {
        var input = new SettlementInput([new SettlementRowInput("5.4", 300, 320m, 50_000m, 300)], 0m, false, 30_000m, null);
        var result = SettlementRule.Settle(Parameters.Recovery, input);
        Assert.Equal(50_000m, result.EarnedEur);
        Assert.Equal(20_000m, result.BalancePayableEur);
        Assert.Contains(result.Reasons, r => r.Code == "settlement.row-capped-at-award");
    }
}
