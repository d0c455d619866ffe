using SubsidyEngine.Engine.Rules;

namespace SubsidyEngine.Rules.Tests;

public class ContinuationTests
{
    private static readonly SubsidyEngine.Engine.Programmes.Model.ContinuationParameters Parameters =
        TestData.PlanSamenleven.Parameters.Continuation;

    private static ContinuationRowResult One(int pledged, int realised, MotivationDecision motivation = MotivationDecision.None) =>
        ContinuationRule.Evaluate(Parameters, [new ContinuationRowInput("2.1", pledged, realised, motivation)]).Rows.Single();

    [Fact]
    public void Action_at_exactly_25_percent_continues()
    {
        var row = One(100, 25);
        Assert.True(row.Continued);
        Assert.Equal(ContinuationBasis.ThresholdReached, row.Basis);
        Assert.Equal(0.25m, row.RealisedShare);
        Assert.Equal("continuation.threshold-reached", row.Reason.Code);
        Assert.True(One(4, 1).Continued);
    }

    [Fact]
    public void Action_below_25_percent_without_motivation_stops()
    {
        var row = One(100, 24);
        Assert.False(row.Continued);
        Assert.Equal("continuation.below-threshold", row.Reason.Code);
        Assert.Contains("24 of 100", row.Reason.En, StringComparison.Ordinal);
    }

    [Fact]
    public void Action_below_25_percent_with_an_accepted_motivation_continues()
    {
        var row = One(100, 3, MotivationDecision.Accepted);
        Assert.True(row.Continued);
        Assert.Equal(ContinuationBasis.MotivationAccepted, row.Basis);
    }

    [Fact]
    public void Action_below_25_percent_with_a_rejected_motivation_stops()
    {
        var row = One(100, 3, MotivationDecision.Rejected);
        Assert.False(row.Continued);
        Assert.Equal("continuation.motivation-rejected", row.Reason.Code);
    }

    [Fact]
    public void Continuation_is_decided_per_row()
    {
        var result = ContinuationRule.Evaluate(Parameters,
        [
            new ContinuationRowInput("5.4", 300, 10, MotivationDecision.None),
            new ContinuationRowInput("2.1", 2_000, 900, MotivationDecision.None),
            new ContinuationRowInput("6.1", 0, 0, MotivationDecision.None),
        ]);
        Assert.Equal(["2.1", "5.4", "6.1"], result.Rows.Select(r => r.ActionCode).ToArray());
        Assert.Equal([true, false, false], result.Rows.Select(r => r.Continued).ToArray());
        Assert.Equal(ContinuationBasis.NothingPledged, result.Rows[2].Basis);
        Assert.True(result.AnyContinued);
    }
}
