using SubsidyEngine.Engine.Programmes;
using SubsidyEngine.Engine.Programmes.Model;
using SubsidyEngine.Engine.Rules;

namespace SubsidyEngine.Rules.Tests;

/// <summary>
/// The whole year-2 chain on the demo register: eligibility of every applicant (alone, cooperations per arrondissement,
/// VGC, De Rand with the facility municipalities), application tables through the real catalogue, co-financing, and
/// the allocation of the real call budget. The counts are illustrative, so the test asserts invariants, not euros.
/// </summary>
public class Year2DemoScenarioTests
{
    private static readonly Call Year2 = TestData.PlanSamenleven.GetCall("2023");
    private static readonly AuthorityRegister Register = TestData.DemoAuthorities;
    private static readonly string[] Actions = ["2.1", "5.4", "4.3", "1.1", "6.1", "6.3", "6.4", "7.3", "3.2", "4.1a"];

    private static List<ApplicantComposition> Applicants()
    {
        var threshold = Year2.Parameters.Eligibility.ThresholdNonEu14OriginResidents;
        var municipalities = Register.All.Where(a => a.Kind == AuthorityKind.Municipality && !a.IsFacilityMunicipality).ToList();
        var applicants = municipalities.Where(m => m.NonEu14OriginResidents > threshold)
            .Select(m => new ApplicantComposition($"2023-{m.Id}", m.Id, [])).ToList();
        // Smaller municipalities: greedy cooperations per arrondissement, in NIS order, closed once above the threshold.
        foreach (var region in municipalities.Where(m => m.NonEu14OriginResidents <= threshold).GroupBy(m => m.Arrondissement).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var members = new List<Authority>();
            foreach (var m in region.OrderBy(m => m.Id, StringComparer.Ordinal))
            {
                members.Add(m);
                if (members.Sum(x => x.NonEu14OriginResidents) > threshold)
                {
                    applicants.Add(new ApplicantComposition($"2023-{members[0].Id}", members[0].Id, members.Skip(1).Select(x => x.Id).ToList()));
                    members.Clear();
                }
            }
        }
        applicants.Add(new ApplicantComposition("2023-VGC", "VGC", []));
        applicants.Add(new ApplicantComposition("2023-DE-RAND", "DE-RAND", AuthoritiesDemoData.FacilityMunicipalities.ToList()));
        return applicants;
    }

    [Fact]
    public void Year2_demo_call_is_over_budget_and_funded_in_priority_order()
    {
        var applicants = Applicants();
        var eligibility = applicants.Select(a => EligibilityRule.Evaluate(Year2, Register, new EligibilityInput(a, applicants, []))).ToList();
        Assert.All(eligibility, e => Assert.True(e.Passed, string.Join("; ", e.Reasons.Select(r => r.En))));
        Assert.InRange(applicants.Count, 55, 120);

        var tables = applicants.Select((a, i) =>
        {
            var rows = Actions.Select((code, k) =>
            {
                var action = Year2.FindAction(code)!;
                return new ApplicationRowInput(code, 10, action.MaximumReach!.Value, ((k + i) % Actions.Length) + 1);
            }).ToList();
            var bonus = eligibility[i].CooperationBonus;
            return ApplicationTableRule.Evaluate(Year2, new ApplicationTableInput(a.ApplicationId, rows, new DateOnly(2023, 7, 3), bonus, []));
        }).ToList();
        Assert.All(tables, t => Assert.True(t.Passed));
        Assert.All(tables, t => Assert.True(CoFinancingRule.Evaluate(Year2.Parameters.CoFinancing, t,
            t.Rows.Select(r => new DeclaredContribution(r.ActionCode, r.RequestedEur)).ToList()).Passed));

        var allocation = AllocationRule.Allocate(Year2.Budget.Eur, Year2.Parameters.Allocation, tables.Select(AllocationRequest.From).ToList());

        Assert.True(allocation.RequestedEur > Year2.Budget.Eur);
        Assert.True(allocation.AllocatedEur <= Year2.Budget.Eur);
        Assert.NotNull(allocation.ProRataRound);
        Assert.All(allocation.Applications, a => Assert.Equal(Funding.Full, a.Rows.Single(r => r.Priority == 1).Funding));
        Assert.All(allocation.Applications.Where(a => a.BonusRequestedEur > 0), a => Assert.Equal(10_000m, a.BonusAllocatedEur));
        var proRataRows = allocation.Applications.SelectMany(a => a.Rows).Count(r => r.Funding == Funding.ProRata);
        Assert.True(allocation.RemainderEur < proRataRows);
    }

    [Fact]
    public void Year2_submission_after_the_deadline_of_12_00_Brussels_time_is_late()
    {
        Assert.True(ApplicationWindowRule.Evaluate(Year2, new DateTimeOffset(2023, 7, 10, 12, 0, 0, TimeSpan.FromHours(2))).Passed);
        var late = ApplicationWindowRule.Evaluate(Year2, new DateTimeOffset(2023, 7, 10, 10, 0, 1, TimeSpan.Zero));
        Assert.False(late.Passed);
        Assert.Equal("window.closed", late.Reasons.Single().Code);
        Assert.Contains("10 juli 2023 om 12:00", late.Reasons.Single().Nl, StringComparison.Ordinal);
        Assert.Equal("window.not-open", ApplicationWindowRule.Evaluate(Year2, new DateTimeOffset(2023, 5, 25, 23, 0, 0, TimeSpan.FromHours(2))).Reasons.Single().Code);
    }
}
