using SubsidyEngine.Engine.Programmes.Model;
using SubsidyEngine.Engine.Rules;

namespace SubsidyEngine.Rules.Tests;

public class CoFinancingTests
{
    private static readonly Call Year2 = TestData.PlanSamenleven.GetCall("2023");

    private static ApplicationTableResult Table() => ApplicationTableRule.Evaluate(Year2, new ApplicationTableInput("app",
        [new ApplicationRowInput("2.1", 0, 2_000, 1), new ApplicationRowInput("5.4", 0, 300, 2)], new DateOnly(2023, 7, 1), true, []));

    // Flemish: 2.1 = 120,000; 5.4 = 96,000; total 216,000 (the 10,000 bonus needs no co-financing).
    private static readonly DeclaredContribution[] UnevenDeclaration =
        [new("2.1", 130_000m), new("5.4", 90_000m)];

    [Fact]
    public void Co_financing_checked_per_row_refuses_a_short_row_even_when_the_total_suffices()
    {
        var result = CoFinancingRule.Evaluate(Year2.Parameters.CoFinancing, Table(), UnevenDeclaration);
        Assert.Equal(CoFinancingCheck.Row, result.CheckedPer);
        Assert.False(result.Passed);
        var reason = Assert.Single(result.Reasons, r => r.Code == "cofinancing.row-shortfall");
        Assert.Contains("EUR 96.000", reason.Nl, StringComparison.Ordinal);
        Assert.Contains("EUR 90.000", reason.Nl, StringComparison.Ordinal);
        Assert.Contains("EUR 6.000 te weinig", reason.Nl, StringComparison.Ordinal);
        Assert.Equal(6_000m, result.ShortfallTotalEur);
        Assert.Equal(216_000m, result.FlemishTotalEur);
    }

    [Fact]
    public void Co_financing_checked_in_total_accepts_the_same_declaration()
    {
        var parameters = Year2.Parameters.CoFinancing with { CheckedPer = CoFinancingCheck.Total };
        var result = CoFinancingRule.Evaluate(parameters, Table(), UnevenDeclaration);
        Assert.True(result.Passed);
        Assert.Equal(216_000m, result.RequiredLocalTotalEur);
        Assert.Equal(220_000m, result.DeclaredLocalTotalEur);
        Assert.Contains(result.Reasons, r => r.Code == "cofinancing.matched");
    }

    [Fact]
    public void Co_financing_in_total_explains_a_shortfall_with_the_amounts()
    {
        var parameters = Year2.Parameters.CoFinancing with { CheckedPer = CoFinancingCheck.Total };
        var result = CoFinancingRule.Evaluate(parameters, Table(), [new("2.1", 120_000m), new("5.4", 95_999.50m)]);
        Assert.False(result.Passed);
        Assert.Equal(0.50m, result.ShortfallTotalEur);
        var reason = Assert.Single(result.Reasons, r => r.Code == "cofinancing.total-shortfall");
        Assert.Contains("EUR 0.50 short", reason.En, StringComparison.Ordinal);
    }

    [Fact]
    public void Oefenkansen_co_financing_is_a_fixed_amount_per_organised_practice_opportunity()
    {
        var call = TestData.Oefenkansen.GetCall("2026");
        var table = ApplicationTableRule.Evaluate(call,
            new ApplicationTableInput("o", [new ApplicationRowInput("ON.1", 0, 12, 1)], new DateOnly(2026, 3, 1), false, []));
        Assert.Equal(12_000m, table.RequestedTotalEur);
        var shortBy500 = CoFinancingRule.Evaluate(call.Parameters.CoFinancing, table, [new("ON.1", 11_500m)]);
        Assert.False(shortBy500.Passed);
        Assert.Equal(12_000m, shortBy500.RequiredLocalTotalEur); // 12 opportunities x EUR 1,000
        Assert.Contains("EUR 1,000 per unit", shortBy500.Reasons.Single().En, StringComparison.Ordinal);
        Assert.True(CoFinancingRule.Evaluate(call.Parameters.CoFinancing, table, [new("ON.1", 12_000m)]).Passed);
    }

    [Fact]
    public void Declarations_for_rows_not_in_the_table_are_refused()
    {
        var result = CoFinancingRule.Evaluate(Year2.Parameters.CoFinancing, Table(), [.. UnevenDeclaration, new("7.3", 1m)]);
        Assert.Contains(result.Reasons, r => r.Code == "cofinancing.unknown-row");
    }
}
