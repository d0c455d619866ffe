using SubsidyEngine.Engine.Programmes.Model;
using SubsidyEngine.Engine.Rules;

namespace SubsidyEngine.Rules.Tests;

/// <summary>Eligibility on the real Plan Samenleven calls with a tiny made-up register (threshold 7,500).</summary>
public class EligibilityTests
{
    private static Authority M(string id, long count, string region = "North", bool facility = false) =>
        new(id, "Gemeente " + id, AuthorityKind.Municipality, region, "Province", count * 4, count, facility, "", "");

    private static readonly AuthorityRegister Register = new(
    [
        M("A", 10_000), M("B", 3_000), M("C", 2_000), M("D", 4_000), M("E", 1_000), M("X", 7_500), M("S1", 5_000, "South"),
        M("F1", 4_000, "Rand", facility: true), M("F2", 4_000, "Rand", facility: true), M("G", 6_000, "Rand"),
        new Authority("VGC", "Vlaamse Gemeenschapscommissie", AuthorityKind.Vgc, "Brussel", "Brussel", 1_000_000, 50_000, false, "", ""),
        new Authority("DE-RAND", "vzw De Rand", AuthorityKind.DeRand, "Rand", "Vlaams-Brabant", 0, 0, false, "", ""),
    ]);

    private static readonly Call Year2 = TestData.PlanSamenleven.GetCall("2023");
    private static readonly Call Year3 = TestData.PlanSamenleven.GetCall("2024");

    private static ApplicantComposition App(string id, string submitter, params string[] participants) => new(id, submitter, participants);

    private static EligibilityResult Check(Call call, ApplicantComposition app, ApplicantComposition[]? others = null, ApplicantComposition[]? previous = null) =>
        EligibilityRule.Evaluate(call, Register, new EligibilityInput(app, others ?? [], previous ?? []));

    private static void AssertRefused(EligibilityResult result, string code)
    {
        Assert.False(result.Passed);
        Assert.Contains(result.Reasons, r => r.Code == code && r.Severity == ReasonSeverity.Error);
    }

    [Fact]
    public void Municipality_above_7500_alone_is_eligible()
    {
        var result = Check(Year2, App("app-a", "A"));
        Assert.True(result.Passed);
        Assert.Equal(10_000, result.CombinedNonEu14OriginResidents);
        Assert.Equal("eligibility.alone-above-threshold", result.Reasons[0].Code);
        Assert.False(result.CooperationBonus);
    }

    [Fact]
    public void Municipality_with_exactly_7500_is_not_eligible_alone()
    {
        var result = Check(Year2, App("app-x", "X"));
        AssertRefused(result, "applicant.below-threshold");
        Assert.Contains("7.500", result.Reasons.Single().Nl, StringComparison.Ordinal);
    }

    [Fact]
    public void Cooperation_in_one_region_summing_above_7500_is_eligible()
    {
        var result = Check(Year2, App("coop", "B", "C", "D"));
        Assert.True(result.Passed);
        Assert.Equal(9_000, result.CombinedNonEu14OriginResidents);
        Assert.Equal("eligibility.cooperation-above-threshold", result.Reasons[0].Code);
    }

    [Fact]
    public void Cooperation_below_7500_together_is_refused()
    {
        var result = Check(Year2, App("coop", "B", "C"));
        AssertRefused(result, "cooperation.below-threshold");
        Assert.Contains("5,000", result.Reasons.Single(r => r.Code == "cooperation.below-threshold").En, StringComparison.Ordinal);
    }

    [Fact]
    public void Cooperation_spanning_two_reference_regions_is_refused()
    {
        AssertRefused(Check(Year2, App("coop", "B", "S1")), "cooperation.mixed-regions");
    }

    [Fact]
    public void Unknown_authority_is_refused()
    {
        AssertRefused(Check(Year2, App("coop", "B", "NOPE", "D")), "authority.unknown");
    }

    [Fact]
    public void VGC_is_eligible_as_a_local_authority()
    {
        Assert.True(Check(Year2, App("vgc", "VGC")).Passed);
    }

    [Fact]
    public void De_Rand_with_facility_municipalities_over_7500_together_is_eligible()
    {
        var result = Check(Year2, App("rand", "DE-RAND", "F1", "F2"));
        Assert.True(result.Passed);
        Assert.Equal(8_000, result.CombinedNonEu14OriginResidents);
    }

    [Fact]
    public void De_Rand_with_facility_municipalities_under_7500_together_is_refused()
    {
        AssertRefused(Check(Year2, App("rand", "DE-RAND", "F1")), "cooperation.below-threshold");
    }

    [Fact]
    public void De_Rand_alone_or_with_a_non_facility_municipality_is_refused()
    {
        AssertRefused(Check(Year2, App("rand", "DE-RAND")), "de-rand.needs-facility-municipalities");
        AssertRefused(Check(Year2, App("rand", "DE-RAND", "F1", "G")), "de-rand.non-facility-member");
    }

    [Fact]
    public void Authority_in_two_cooperations_of_the_same_call_is_refused()
    {
        var first = App("coop-1", "B", "C", "D");
        var second = App("coop-2", "A", "D");
        var result = Check(Year2, second, others: [first, second]);
        AssertRefused(result, "authority.in-several-applications");
        Assert.Contains("coop-1", result.Reasons.Single(r => r.Code == "authority.in-several-applications").En, StringComparison.Ordinal);
    }

    [Fact]
    public void Authority_above_the_threshold_taking_in_smaller_ones_earns_the_cooperation_bonus()
    {
        var result = Check(Year2, App("coop", "A", "E"));
        Assert.True(result.Passed);
        Assert.True(result.CooperationBonus);
        Assert.Contains(result.Reasons, r => r.Code == "bonus.cooperation.takes-in-smaller");
    }

    [Fact]
    public void Year3_is_open_only_to_year2_submitters()
    {
        var result = Check(Year3, App("y3", "A"), previous: [App("y2-coop", "B", "C", "D")]);
        AssertRefused(result, "call.restricted-to-previous-submitters");
    }

    [Fact]
    public void Year3_year2_submitter_applying_again_is_eligible()
    {
        Assert.True(Check(Year3, App("y3", "A"), previous: [App("y2", "A")]).Passed);
    }

    [Fact]
    public void Year3_new_authority_may_join_an_existing_cooperation_which_earns_the_bonus()
    {
        var result = Check(Year3, App("y3", "B", "C", "D", "E"), previous: [App("y2", "B", "C", "D")]);
        Assert.True(result.Passed);
        Assert.Equal(["E"], result.NewMemberIds);
        Assert.True(result.CooperationBonus);
        Assert.Contains(result.Reasons, r => r.Code == "bonus.cooperation.new-members");
    }

    [Fact]
    public void Year3_new_authority_cannot_join_a_submitter_that_applied_alone_in_year2()
    {
        AssertRefused(Check(Year3, App("y3", "A", "E"), previous: [App("y2", "A")]), "call.new-member-needs-existing-cooperation");
    }

    [Fact]
    public void Member_leaving_a_cooperation_leaves_the_rest_eligible_when_they_still_exceed_7500()
    {
        var result = Check(Year3, App("y3", "B", "C", "D"), previous: [App("y2", "B", "C", "D", "E")]);
        Assert.True(result.Passed);
        Assert.Equal(["E"], result.LeftMemberIds);
        Assert.Contains(result.Reasons, r => r.Code == "cooperation.members-left" && r.Severity == ReasonSeverity.Warning);
    }

    [Fact]
    public void Member_leaving_a_cooperation_makes_it_ineligible_when_the_rest_no_longer_exceed_7500()
    {
        var result = Check(Year3, App("y3", "B", "C"), previous: [App("y2", "B", "C", "D")]);
        AssertRefused(result, "cooperation.remaining-below-threshold");
    }

    [Fact]
    public void Member_that_left_its_cooperation_loses_its_rights_in_year3()
    {
        var year2 = new[] { App("y2-coop", "B", "C", "D"), App("y2-a", "A") };
        var result = Check(Year3, App("y3-a", "A", "D"), previous: year2);
        AssertRefused(result, "authority.lost-rights");
    }

    [Fact]
    public void Oefenkansen_refuses_Antwerp_Ghent_and_the_VGC_from_its_exclusion_list()
    {
        var call = TestData.Oefenkansen.GetCall("2026");
        var register = TestData.DemoAuthorities;
        foreach (var excluded in new[] { "11002", "44021", "VGC" })
        {
            var result = EligibilityRule.Evaluate(call, register, new EligibilityInput(App("o-" + excluded, excluded), [], []));
            Assert.False(result.Passed);
            Assert.Contains(result.Reasons, r => r.Code == "authority.excluded");
        }
        var antwerp = EligibilityRule.Evaluate(call, register, new EligibilityInput(App("o", "11002"), [], []));
        Assert.Contains("eigen agentschap", antwerp.Reasons.Single(r => r.Code == "authority.excluded").Nl, StringComparison.Ordinal);
        var mechelen = EligibilityRule.Evaluate(call, register, new EligibilityInput(App("o-mechelen", "12025"), [], []));
        Assert.True(mechelen.Passed);
        var rand = EligibilityRule.Evaluate(call, register,
            new EligibilityInput(App("o-rand", "DE-RAND", "23098", "23099", "23100", "23101", "23102", "23103"), [], []));
        Assert.True(rand.Passed);
    }
}
