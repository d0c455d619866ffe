using SubsidyEngine.Engine.Rules;

namespace SubsidyEngine.Rules.Tests;

public class ApplicationTableTests
{
    private static readonly SubsidyEngine.Engine.Programmes.Model.Call Year1 = TestData.PlanSamenleven.GetCall("2022");
    private static readonly SubsidyEngine.Engine.Programmes.Model.Call Year2 = TestData.PlanSamenleven.GetCall("2023");
    private static readonly DateOnly Submitted = new(2023, 7, 3);

    private static ApplicationTableInput Table(params ApplicationRowInput[] rows) => new("app-1", rows, Submitted, false, []);

    [Fact]
    public void Year2_table_requests_reach_times_rate_per_row_and_in_total()
    {
        var result = ApplicationTableRule.Evaluate(Year2, Table(
            new ApplicationRowInput("2.1", 500, 2_000, 1),
            new ApplicationRowInput("5.4", 40, 250, 2),
            new ApplicationRowInput("6.1", 0, 1, 3)));

        Assert.True(result.Passed);
        Assert.Equal([120_000m, 80_000m, 25_000m], result.Rows.Select(r => r.RequestedEur).ToArray());
        Assert.Equal(225_000m, result.RowsTotalEur);
        Assert.Equal(225_000m, result.RequestedTotalEur);
    }

    [Fact]
    public void Reach_above_the_maximum_is_accepted_but_funded_only_up_to_the_maximum()
    {
        var result = ApplicationTableRule.Evaluate(Year2, Table(new ApplicationRowInput("5.4", 0, 400, 1)));
        Assert.True(result.Passed);
        var row = result.Rows.Single();
        Assert.Equal(400, row.PlannedAdditionalReach);
        Assert.Equal(300, row.FundedReach);
        Assert.Equal(96_000m, row.RequestedEur);
        var warning = Assert.Single(result.Reasons, r => r.Code == "row.above-maximum");
        Assert.Equal(ReasonSeverity.Warning, warning.Severity);
        Assert.Contains("300", warning.Nl, StringComparison.Ordinal);
    }

    [Fact]
    public void Year1_polarisation_plan_uses_the_rate_in_force_on_the_rate_date()
    {
        ApplicationTableInput On(DateOnly date) => new("p", [new ApplicationRowInput("1.1", 0, 1, 1)], date, false, []);
        Assert.Equal(12_500m, ApplicationTableRule.Evaluate(Year1, On(new DateOnly(2022, 5, 20))).RequestedTotalEur);
        Assert.Equal(25_000m, ApplicationTableRule.Evaluate(Year1, On(new DateOnly(2022, 6, 13))).RequestedTotalEur);
    }

    [Fact]
    public void Every_table_problem_is_reported_at_once()
    {
        var result = ApplicationTableRule.Evaluate(Year2, Table(
            new ApplicationRowInput("9.9", 0, 0, 1),
            new ApplicationRowInput("5.2a", 0, 0, 2),
            new ApplicationRowInput("2.1", -1, -5, 2),
            new ApplicationRowInput("3.1", 0, 0, 5)));

        Assert.False(result.Passed);
        var codes = result.Reasons.Where(r => r.Severity == ReasonSeverity.Error).Select(r => r.Code).ToList();
        Assert.Contains("row.unknown-action", codes);
        Assert.Contains("row.action-not-funded", codes);
        Assert.Contains("row.negative-current-reach", codes);
        Assert.Contains("row.negative-planned-reach", codes);
        Assert.Contains("priority.duplicate", codes);
        Assert.Contains("priority.not-consecutive", codes);
        Assert.Contains("table.nothing-planned", codes);
    }

    [Fact]
    public void Priorities_must_run_from_1_to_n_without_gaps()
    {
        var gap = ApplicationTableRule.Evaluate(Year2, Table(new ApplicationRowInput("2.1", 0, 10, 1), new ApplicationRowInput("3.1", 0, 1, 3)));
        var reason = Assert.Single(gap.Reasons, r => r.Code == "priority.not-consecutive");
        Assert.Contains("missing: 2", reason.En, StringComparison.Ordinal);
        Assert.False(gap.Passed);
    }

    [Fact]
    public void Same_action_twice_is_refused()
    {
        var result = ApplicationTableRule.Evaluate(Year2, Table(new ApplicationRowInput("2.1", 0, 10, 1), new ApplicationRowInput("2.1", 0, 1, 2)));
        Assert.Contains(result.Reasons, r => r.Code == "row.duplicate-action");
    }

    [Fact]
    public void Cooperation_bonus_adds_10000_per_project_year_and_unknown_bonuses_are_flagged_at_zero()
    {
        var input = new ApplicationTableInput("coop", [new ApplicationRowInput("2.1", 0, 100, 1)], Submitted, true, ["mentorship"]);
        var result = ApplicationTableRule.Evaluate(Year2, input);
        Assert.True(result.Passed);
        Assert.Equal(6_000m, result.RowsTotalEur);
        Assert.Equal(10_000m, result.BonusTotalEur);
        Assert.Equal(16_000m, result.RequestedTotalEur);
        var mentorship = result.Bonuses.Single(b => b.Code == "mentorship");
        Assert.Equal(0m, mentorship.AmountEur);
        Assert.False(mentorship.AmountConfigured);
        Assert.Contains(result.Reasons, r => r.Code == "bonus.amount-not-configured");
    }

    [Fact]
    public void Unknown_bonus_is_refused()
    {
        var input = new ApplicationTableInput("x", [new ApplicationRowInput("2.1", 0, 100, 1)], Submitted, false, ["golden-handshake"]);
        Assert.Contains(ApplicationTableRule.Evaluate(Year2, input).Reasons, r => r.Code == "bonus.unknown");
    }

    [Fact]
    public void Year2_published_totals_come_out_of_the_catalogue()
    {
        // 67,181 participants in Dutch practice x EUR 60 and 12,240 families x EUR 320, summed over many tables.
        var dutch = ApplicationTableRule.Evaluate(Year2, Table(new ApplicationRowInput("2.1", 0, 2_000, 1)));
        Assert.Equal(120_000m, dutch.RequestedTotalEur);
        Assert.Equal(4_030_860m, 67_181 * dutch.Rows.Single().RateEur);
        var bridging = ApplicationTableRule.Evaluate(Year2, Table(new ApplicationRowInput("5.4", 0, 300, 1)));
        Assert.Equal(3_916_800m, 12_240 * bridging.Rows.Single().RateEur);
    }
}
