using SubsidyEngine.Engine.Programmes.Model;
using SubsidyEngine.Engine.Rules;
using Xunit.Abstractions;

namespace SubsidyEngine.Rules.Tests;

public class AllocationTests(ITestOutputHelper output)
{
    private static readonly AllocationParameters Rounds = TestData.PlanSamenleven.GetCall("2023").Parameters.Allocation;

    private static AllocationRequest App(string id, decimal bonus, params decimal[] requestsByPriority) =>
        new(id, requestsByPriority.Select((amount, i) => new AllocationRowRequest($"R{i + 1}", i + 1, amount)).ToList(), bonus);

    /// <summary>
    /// Worked by hand. Requests (priority 1 / 2 / 3):
    ///   app-a  4,000 / 3,000 / 1,000      app-b  2,000 / 2,001 / 500      app-c  1,000 / 999
    /// Round 1 asks 7,000 of the 10,000 budget: funded in full, 3,000 left.
    /// Round 2 asks 3,000 + 2,001 + 999 = 6,000 > 3,000: pro rata 3,000 / 6,000 = 0.5, rounded down per row:
    ///   app-a 1,500; app-b 1,000.5 -> 1,000; app-c 499.5 -> 499. Allocated 2,999, remainder 1.
    /// Round 3 (1,500) gets nothing. Requested 14,500 in all; allocated 7,000 + 2,999 = 9,999; remainder 1.
    /// </summary>
    private static readonly AllocationRequest[] OverBudget =
    [
        App("app-a", 0, 4_000, 3_000, 1_000),
        App("app-b", 0, 2_000, 2_001, 500),
        App("app-c", 0, 1_000, 999),
    ];

    [Fact]
    public void Year2_application_over_budget_is_funded_in_priority_order()
    {
        var result = AllocationRule.Allocate(10_000, Rounds, OverBudget);

        Assert.False(result.FitsBudget);
        Assert.Equal(14_500m, result.RequestedEur);
        Assert.Equal(9_999m, result.AllocatedEur);
        Assert.Equal(1m, result.RemainderEur);
        Assert.Equal(2, result.ProRataRound);
        Assert.Equal(0.5m, result.ProRataFactor);
        var a = result.Applications.Single(x => x.ApplicationId == "app-a");
        Assert.Equal([4_000m, 1_500m, 0m], a.Rows.Select(r => r.AllocatedEur).ToArray());
        Assert.Equal([Funding.Full, Funding.ProRata, Funding.None], a.Rows.Select(r => r.Funding).ToArray());
        Assert.Equal([1, 2, 3], a.Rows.Select(r => r.Round).ToArray());
        Assert.Equal([2_000m, 1_000m, 0m], result.Applications.Single(x => x.ApplicationId == "app-b").Rows.Select(r => r.AllocatedEur).ToArray());
        Assert.Equal([1_000m, 499m], result.Applications.Single(x => x.ApplicationId == "app-c").Rows.Select(r => r.AllocatedEur).ToArray());
        Assert.Equal([Funding.Full, Funding.ProRata, Funding.None], result.Rounds.Select(r => r.Funding).ToArray());
        Assert.Contains(result.Explanations, e => e.Code == "allocation.pro-rata-round" && e.En.Contains("50%", StringComparison.Ordinal));
        Assert.Contains(result.Explanations, e => e.Code == "allocation.remainder" && e.En.Contains("remainder EUR 1", StringComparison.Ordinal));
    }

    [Fact]
    public void Bonuses_are_funded_before_the_priority_rounds()
    {
        // Same as above with a 10,000 cooperation bonus for app-b and 10,000 more budget: the bonus goes first,
        // the rounds then see the same 10,000 and give the same euros.
        var withBonus = OverBudget.Select(x => x.ApplicationId == "app-b" ? x with { BonusEur = 10_000 } : x).ToList();
        var result = AllocationRule.Allocate(20_000, Rounds, withBonus);
        var b = result.Applications.Single(x => x.ApplicationId == "app-b");
        Assert.Equal(10_000m, b.BonusAllocatedEur);
        Assert.Equal(Funding.Full, b.BonusFunding);
        Assert.Equal(13_000m, b.AllocatedEur);
        Assert.Equal(19_999m, result.AllocatedEur);
        Assert.Equal(1m, result.RemainderEur);
        Assert.True(result.Rounds[0].IsBonusRound);
    }

    [Fact]
    public void Bonuses_funded_last_get_only_what_the_rounds_leave()
    {
        var withBonus = OverBudget.Select(x => x.ApplicationId == "app-b" ? x with { BonusEur = 10_000 } : x).ToList();
        var result = AllocationRule.Allocate(10_000, Rounds with { BonusesFirst = false }, withBonus);
        Assert.Equal(9_999m, result.AllocatedEur); // the rounds as in the first case
        var b = result.Applications.Single(x => x.ApplicationId == "app-b");
        Assert.Equal(0m, b.BonusAllocatedEur);
        Assert.Equal(Funding.None, result.Rounds.Single(r => r.IsBonusRound).Funding);
    }

    [Fact]
    public void Bonuses_that_do_not_fit_are_funded_pro_rata_and_no_round_gets_anything()
    {
        var bonuses = new[] { App("x", 10_000, 500), App("y", 10_000, 500) };
        var result = AllocationRule.Allocate(15_001, Rounds, bonuses);
        Assert.Equal([7_500m, 7_500m], result.Applications.Select(a => a.BonusAllocatedEur).ToArray()); // 10,000 x 15,001 / 20,000 = 7,500.5 -> 7,500
        Assert.Equal(1m, result.RemainderEur);
        Assert.Equal(0, result.ProRataRound);
        Assert.All(result.Applications.SelectMany(a => a.Rows), r => Assert.Equal(Funding.None, r.Funding));
    }

    [Fact]
    public void Under_budget_everyone_gets_the_request_and_the_rest_is_the_remainder()
    {
        var result = AllocationRule.Allocate(20_000, Rounds, OverBudget);
        Assert.True(result.FitsBudget);
        Assert.Equal(14_500m, result.AllocatedEur);
        Assert.Equal(5_500m, result.RemainderEur);
        Assert.Null(result.ProRataRound);
        Assert.All(result.Applications.SelectMany(a => a.Rows), r => Assert.Equal(r.RequestedEur, r.AllocatedEur));
    }

    [Fact]
    public void Exactly_at_budget_everyone_gets_the_request_and_nothing_remains()
    {
        var result = AllocationRule.Allocate(14_500, Rounds, OverBudget);
        Assert.True(result.FitsBudget);
        Assert.Equal(14_500m, result.AllocatedEur);
        Assert.Equal(0m, result.RemainderEur);
        Assert.All(result.Applications.SelectMany(a => a.Rows), r => Assert.Equal(Funding.Full, r.Funding));
    }

    [Fact]
    public void A_round_that_fits_exactly_is_funded_in_full_and_later_rounds_get_nothing()
    {
        var result = AllocationRule.Allocate(13_000, Rounds, OverBudget); // 7,000 + 6,000
        Assert.Equal(13_000m, result.AllocatedEur);
        Assert.Equal(0m, result.RemainderEur);
        Assert.Null(result.ProRataRound);
        Assert.Equal(Funding.None, result.Rounds.Single(r => r.Round == 3).Funding);
    }

    [Fact]
    public void Allocation_does_not_depend_on_the_order_of_the_input()
    {
        var random = new Random(42);
        var applications = RandomApplications(random, 200);
        var budget = decimal.Floor(applications.Sum(a => a.Rows.Sum(r => r.RequestedEur) + a.BonusEur) * 0.6m);
        var expected = Flatten(AllocationRule.Allocate(budget, Rounds, applications));
        for (var i = 0; i < 5; i++)
        {
            var shuffled = applications.OrderBy(_ => random.Next()).Select(a => a with { Rows = a.Rows.OrderBy(_ => random.Next()).ToList() }).ToList();
            Assert.Equal(expected, Flatten(AllocationRule.Allocate(budget, Rounds, shuffled)));
        }
    }

    [Fact]
    public void Allocation_never_exceeds_the_budget_nor_a_row_request_and_the_sums_match()
    {
        for (var seed = 0; seed < 60; seed++)
        {
            var random = new Random(seed);
            var applications = RandomApplications(random, random.Next(1, 40));
            var requested = applications.Sum(a => a.Rows.Sum(r => r.RequestedEur) + a.BonusEur);
            var budget = decimal.Floor(requested * (decimal)random.NextDouble() * 1.3m);
            var result = AllocationRule.Allocate(budget, Rounds, applications);

            Assert.True(result.AllocatedEur <= budget, $"seed {seed}");
            Assert.Equal(budget - result.AllocatedEur, result.RemainderEur);
            Assert.Equal(requested, result.RequestedEur);
            Assert.Equal(result.AllocatedEur, result.Applications.Sum(a => a.AllocatedEur));
            foreach (var app in result.Applications)
            {
                Assert.Equal(app.AllocatedEur, app.Rows.Sum(r => r.AllocatedEur) + app.BonusAllocatedEur);
                Assert.All(app.Rows, r => Assert.InRange(r.AllocatedEur, 0m, r.RequestedEur));
                Assert.All(app.Rows, r => Assert.Equal(decimal.Floor(r.AllocatedEur), r.AllocatedEur));
            }
            if (result.ProRataRound is { } round && round > 0)
            {
                // Rounding down loses less than one euro per row of the pro-rata round.
                var rowsInRound = result.Applications.SelectMany(a => a.Rows).Count(r => r.Round == round && r.RequestedEur > 0);
                Assert.True(result.RemainderEur < rowsInRound, $"seed {seed}: remainder {result.RemainderEur} with {rowsInRound} rows");
            }
        }
    }

    [Fact]
    public void Ten_thousand_applicants_with_19_rows_are_allocated_and_sum_correctly()
    {
        var random = new Random(7);
        var applications = Enumerable.Range(0, 10_000)
            .Select(i => new AllocationRequest($"app-{i:D5}",
                Enumerable.Range(1, 19).Select(p => new AllocationRowRequest($"A{p}", p, random.Next(0, 300) * 60m)).ToList(),
                i % 7 == 0 ? 10_000m : 0m))
            .ToList();
        var requested = applications.Sum(a => a.Rows.Sum(r => r.RequestedEur) + a.BonusEur);
        var budget = decimal.Floor(requested / 3);

        var warm = System.Diagnostics.Stopwatch.StartNew();
        AllocationRule.Allocate(budget, Rounds, applications);
        output.WriteLine($"first run {warm.ElapsedMilliseconds} ms");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var result = AllocationRule.Allocate(budget, Rounds, applications);
        output.WriteLine($"Allocated 10,000 x 19 rows in {watch.ElapsedMilliseconds} ms (informational, not asserted).");

        Assert.Equal(10_000, result.Applications.Count);
        Assert.Equal(190_000, result.Applications.Sum(a => a.Rows.Count));
        Assert.Equal(result.AllocatedEur, result.Applications.Sum(a => a.AllocatedEur));
        Assert.Equal(budget, result.AllocatedEur + result.RemainderEur);
        Assert.True(result.AllocatedEur <= budget);
        Assert.NotNull(result.ProRataRound);
    }

    [Fact]
    public void Duplicate_application_ids_are_refused()
    {
        Assert.Throws<ArgumentException>(() => AllocationRule.Allocate(100, Rounds, [App("x", 0, 10), App("x", 0, 20)]));
    }

    [Fact]
    public void Pro_rata_rounding_is_exact_for_awkward_fractions()
    {
        // 1/3 of 100 -> 33.33.. rounded down to 33; a quotient that decimal division might round up must not.
        Assert.Equal(33m, AllocationRule.ProRata(100, 1, 3, 1));
        Assert.Equal(6_666m, AllocationRule.ProRata(10_000, 2, 3, 1));
        Assert.Equal(66.66m, AllocationRule.ProRata(100, 2, 3, 0.01m));
    }

    private static List<AllocationRequest> RandomApplications(Random random, int count) =>
        Enumerable.Range(0, count).Select(i => new AllocationRequest(
            $"app-{random.Next(1_000_000):D7}-{i}",
            Enumerable.Range(1, random.Next(1, 20)).Select(p => new AllocationRowRequest($"A{p}", p, random.Next(0, 2_250) * 60m)).ToList(),
            random.Next(4) == 0 ? 10_000m : 0m)).ToList();

    private static List<string> Flatten(AllocationResult result) =>
        result.Applications.SelectMany(a => a.Rows.Select(r => $"{a.ApplicationId}/{r.ActionCode}/{r.AllocatedEur}/{r.Round}")
            .Append($"{a.ApplicationId}/bonus/{a.BonusAllocatedEur}")).Append($"remainder/{result.RemainderEur}").ToList();
}
