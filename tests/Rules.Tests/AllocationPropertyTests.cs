using FsCheck;
using FsCheck.Xunit;
using SubsidyEngine.Engine.Programmes.Model;
using SubsidyEngine.Engine.Rules;

namespace SubsidyEngine.Rules.Tests;

/// <summary>
/// FsCheck properties of the allocation: generated requests (shrunk to a minimal case on failure) are spread over
/// applications round-robin; each application's rows get priorities 1..n in order.
/// </summary>
public class AllocationPropertyTests
{
    private static readonly AllocationParameters Rounds = TestData.PlanSamenleven.Parameters.Allocation;

    private static List<AllocationRequest> Build(NonNegativeInt[] requests, int applicationCount, NonNegativeInt[] bonuses)
    {
        var apps = Enumerable.Range(0, applicationCount).Select(i => (Id: $"app-{i:D3}", Rows: new List<AllocationRowRequest>())).ToList();
        for (var i = 0; i < requests.Length; i++)
        {
            var app = apps[i % applicationCount];
            app.Rows.Add(new AllocationRowRequest($"R{app.Rows.Count + 1}", app.Rows.Count + 1, requests[i].Get));
        }
        return apps.Select((a, i) => new AllocationRequest(a.Id, a.Rows, i < bonuses.Length ? bonuses[i].Get : 0)).ToList();
    }

    [Property(MaxTest = 300)]
    public bool Allocation_never_exceeds_the_budget(NonEmptyArray<NonNegativeInt> requests, PositiveInt applications, NonNegativeInt budget, NonNegativeInt[] bonuses)
    {
        var result = AllocationRule.Allocate(budget.Get, Rounds, Build(requests.Get, Math.Min(applications.Get, 50), bonuses));
        return result.AllocatedEur <= budget.Get && result.RemainderEur >= 0;
    }

    [Property(MaxTest = 300)]
    public bool Allocation_never_gives_a_row_more_than_requested(NonEmptyArray<NonNegativeInt> requests, PositiveInt applications, NonNegativeInt budget, NonNegativeInt[] bonuses)
    {
        var result = AllocationRule.Allocate(budget.Get, Rounds, Build(requests.Get, Math.Min(applications.Get, 50), bonuses));
        return result.Applications.All(a => a.BonusAllocatedEur <= a.BonusRequestedEur
                                            && a.Rows.All(r => r.AllocatedEur >= 0 && r.AllocatedEur <= r.RequestedEur));
    }

    [Property(MaxTest = 300)]
    public bool Allocation_sums_match_per_row_application_and_call(NonEmptyArray<NonNegativeInt> requests, PositiveInt applications, NonNegativeInt budget, NonNegativeInt[] bonuses)
    {
        var input = Build(requests.Get, Math.Min(applications.Get, 50), bonuses);
        var result = AllocationRule.Allocate(budget.Get, Rounds, input);
        return result.Applications.All(a => a.AllocatedEur == a.Rows.Sum(r => r.AllocatedEur) + a.BonusAllocatedEur)
               && result.AllocatedEur == result.Applications.Sum(a => a.AllocatedEur)
               && result.AllocatedEur + result.RemainderEur == budget.Get
               && result.RequestedEur == input.Sum(a => a.Rows.Sum(r => r.RequestedEur) + a.BonusEur);
    }

    [Property(MaxTest = 200)]
    public bool Allocation_funds_everything_when_the_budget_suffices(NonEmptyArray<NonNegativeInt> requests, PositiveInt applications, NonNegativeInt extra)
    {
        var input = Build(requests.Get, Math.Min(applications.Get, 50), []);
        var requested = input.Sum(a => a.Rows.Sum(r => r.RequestedEur));
        var result = AllocationRule.Allocate(requested + extra.Get, Rounds, input);
        return result.FitsBudget && result.AllocatedEur == requested && result.RemainderEur == extra.Get;
    }

    [Property(MaxTest = 200)]
    public bool Allocation_is_the_same_for_the_reversed_input(NonEmptyArray<NonNegativeInt> requests, PositiveInt applications, NonNegativeInt budget)
    {
        var input = Build(requests.Get, Math.Min(applications.Get, 50), []);
        var forward = AllocationRule.Allocate(budget.Get, Rounds, input);
        var backward = AllocationRule.Allocate(budget.Get, Rounds, Enumerable.Reverse(input).ToList());
        return forward.Applications.Zip(backward.Applications)
            .All(p => p.First.ApplicationId == p.Second.ApplicationId && p.First.Rows.SequenceEqual(p.Second.Rows));
    }

    [Property(MaxTest = 200)]
    public bool Lower_priorities_are_only_funded_once_higher_ones_are_in_full(NonEmptyArray<NonNegativeInt> requests, PositiveInt applications, NonNegativeInt budget)
    {
        var result = AllocationRule.Allocate(budget.Get, Rounds, Build(requests.Get, Math.Min(applications.Get, 50), []));
        var rows = result.Applications.SelectMany(a => a.Rows).Where(r => r.RequestedEur > 0).ToList();
        return rows.Where(r => r.AllocatedEur > 0)
            .All(funded => rows.Where(r => r.Priority < funded.Priority).All(r => r.Funding == Funding.Full));
    }

    /// <summary>
    /// Each application records its own share (allocate) from the call's confirmed rounds without reading the other
    /// applications: that share is exactly its entry in the call's allocation, for every application.
    /// </summary>
    [Property(MaxTest = 300)]
    public bool An_applications_own_share_from_the_rounds_is_its_entry_in_the_calls_allocation(
        NonEmptyArray<NonNegativeInt> requests, PositiveInt applications, NonNegativeInt budget, NonNegativeInt[] bonuses)
    {
        var input = Build(requests.Get, Math.Min(applications.Get, 50), bonuses);
        var call = AllocationRule.Allocate(budget.Get, Rounds, input);
        return input.All(application =>
        {
            var own = AllocationRule.ForApplication(budget.Get, Rounds, call.Rounds, application);
            var entry = call.Applications.Single(a => a.ApplicationId == application.ApplicationId);
            return own.AllocatedEur == entry.AllocatedEur && own.RequestedEur == entry.RequestedEur
                && own.BonusAllocatedEur == entry.BonusAllocatedEur && own.BonusFunding == entry.BonusFunding
                && own.Rows.SequenceEqual(entry.Rows);
        });
    }
}
