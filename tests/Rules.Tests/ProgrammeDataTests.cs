using System.Text;
using SubsidyEngine.Engine.Programmes;
using SubsidyEngine.Engine.Programmes.Model;

namespace SubsidyEngine.Rules.Tests;

public class ProgrammeDataTests
{
    private static readonly Programme Plan = TestData.PlanSamenleven;

    [Fact]
    public void Every_programme_folder_in_the_repository_loads_without_problems()
    {
        var problems = Directory.GetDirectories(TestData.PathIn("workflows"))
            .Where(dir => File.Exists(Path.Combine(dir, ProgrammeLoader.ProgrammeFileName)))
            .SelectMany(dir => ProgrammeLoader.TryLoad(dir).Problems.Select(p => $"{Path.GetFileName(dir)}/{p}"))
            .ToList();
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public void Plan_Samenleven_loads_with_three_calls()
    {
        Assert.Equal("plan-samenleven", Plan.Id);
        Assert.Equal(["2022", "2023", "2024"], Plan.Calls.Select(c => c.Id).ToArray());
        Assert.Equal(7, Plan.Objectives.Count);
    }

    [Fact]
    public void Year2_rates_reproduce_the_published_amounts_through_the_catalogue()
    {
        var call = Plan.GetCall("2023");
        var on = new DateOnly(2023, 7, 1);
        Assert.Equal(4_030_860m, 67_181 * call.GetActionRate("2.1", on));
        Assert.Equal(3_916_800m, 12_240 * call.GetActionRate("5.4", on));
    }

    [Fact]
    public void Year1_polarisation_plan_rate_changes_from_12500_to_25000_on_13_June_2022()
    {
        var action = Plan.GetCall("2022").FindAction("1.1")!;
        Assert.Equal(12_500m, action.RateOn(new DateOnly(2022, 6, 12)));
        Assert.Equal(25_000m, action.RateOn(new DateOnly(2022, 6, 13)));
        Assert.Equal(25_000m, Plan.GetCall("2023").FindAction("1.1")!.RateOn(new DateOnly(2023, 6, 1)));
    }

    [Fact]
    public void Calls_carry_the_real_windows_with_the_Brussels_offset()
    {
        var year2 = Plan.GetCall("2023");
        Assert.Equal(new DateTimeOffset(2023, 7, 10, 12, 0, 0, TimeSpan.FromHours(2)), year2.Window.Deadline);
        Assert.True(year2.Window.Contains(new DateTimeOffset(2023, 7, 10, 9, 59, 59, TimeSpan.Zero)));
        Assert.False(year2.Window.Contains(new DateTimeOffset(2023, 7, 10, 10, 0, 1, TimeSpan.Zero)));
        var year3 = Plan.GetCall("2024");
        Assert.Equal(new DateTimeOffset(2024, 5, 6, 12, 0, 0, TimeSpan.FromHours(2)), year3.Window.Deadline);
        var year1 = Plan.GetCall("2022");
        Assert.Equal(new DateTimeOffset(2022, 3, 1, 0, 0, 0, TimeSpan.FromHours(1)), year1.Window.Opens);
        Assert.Equal(new DateOnly(2022, 5, 31), DateOnly.FromDateTime(year1.Window.OriginalDeadline!.Value.DateTime));
        Assert.True(year1.Window.Provenance.Configurable);
    }

    [Fact]
    public void Periods_budgets_and_decisions_follow_the_timeline()
    {
        Assert.Equal(new DateRange(new(2022, 10, 1), new(2023, 9, 30)), Plan.GetCall("2022").ProjectPeriod);
        Assert.Equal(new DateOnly(2022, 9, 23), Plan.GetCall("2022").GovernmentDecision);
        Assert.Equal(new DateOnly(2023, 9, 22), Plan.GetCall("2023").GovernmentDecision);
        var year3 = Plan.GetCall("2024");
        Assert.Equal(new DateOnly(2024, 7, 5), year3.GovernmentDecision);
        Assert.Equal(16_970_780m, year3.Budget.Eur);
        Assert.Equal(new DateOnly(2025, 12, 31), year3.EffectiveProjectEnd);
        Assert.Equal(0m, year3.Extensions.Single().AdditionalBudgetEur);
        Assert.Equal("2023", year3.Eligibility.RestrictedToPreviousSubmittersOf);
    }

    [Fact]
    public void Year1_catalogue_has_19_funded_actions_as_27_target_group_rows_and_24_actions_in_all()
    {
        var call = Plan.GetCall("2022");
        Assert.Equal(19, call.FundedActions.Select(a => a.Group ?? a.Code).Distinct().Count());
        Assert.Equal(27, call.FundedActions.Count());
        Assert.Equal(24, call.Actions.Select(a => a.Group ?? a.Code).Distinct().Count());
        var labour = call.Actions.Where(a => a.Group == "4.1").ToList();
        Assert.Equal([150, 38, 75], labour.Select(a => a.MaximumReach!.Value).ToArray());
    }

    [Fact]
    public void Parameters_hold_the_programme_rules_and_flag_the_unknowns()
    {
        var p = Plan.Parameters;
        Assert.Equal(7_500, p.Eligibility.ThresholdNonEu14OriginResidents);
        Assert.Equal(10_000m, p.CooperationBonus.EurPerProjectYear);
        Assert.All(p.OtherBonuses, b => Assert.True(b.Provenance.Configurable && b.EurPerProjectYear == 0));
        Assert.Equal(1m, p.CoFinancing.LocalToFlemishRatio);
        Assert.Equal(0.25m, p.Continuation.MinimumRealisedShare);
        Assert.Equal(0.60m, p.PaymentSchedule.AdvanceShare);
        Assert.True(p.PaymentSchedule.Provenance.Configurable);
        Assert.Equal(30, p.Recovery.PreInformationDays);
        Assert.Equal("priority-rounds", p.Allocation.Method);
    }

    [Fact]
    public void Every_file_has_a_sha256_and_the_programme_a_content_hash()
    {
        Assert.Equal(4, Plan.Files.Count);
        var bytes = File.ReadAllBytes(TestData.PathIn("workflows", "plan-samenleven", "calls", "2023.json"));
        Assert.Equal(ProgrammeLoader.Sha256Hex(bytes), Plan.GetCall("2023").File.Sha256);
        Assert.Matches("^[0-9a-f]{64}$", Plan.ContentSha256);
        Assert.Equal(ProgrammeLoader.ContentSha256(Plan.Files), Plan.ContentSha256);
    }

    [Fact]
    public void Oefenkansen_data_loads_with_its_own_exclusions_and_co_financing_per_opportunity()
    {
        var programme = TestData.Oefenkansen;
        var call = programme.GetCall("2026");
        Assert.Equal(["11002", "44021", "VGC"], call.Eligibility.ExcludedAuthorities.Select(e => e.AuthorityId).ToArray());
        Assert.Equal(0m, call.Parameters.CoFinancing.LocalToFlemishRatio);
        Assert.Equal(1_000m, call.Parameters.CoFinancing.LocalEurPerUnit);
        Assert.True(call.Parameters.CoFinancing.Provenance.Configurable);
        Assert.True(call.Budget.Provenance.Configurable);
        Assert.Single(call.FundedActions);
    }

    [Fact]
    public void Broken_call_file_reports_every_problem_with_file_and_json_path()
    {
        var programme = File.ReadAllBytes(TestData.PathIn("workflows", "plan-samenleven", "programme.json"));
        const string broken = """
        {
          "id": "2030",
          "year": 1,
          "name": { "nl": "Kapot", "en": "Broken" },
          "applicationWindow": { "opens": "2030-07-01T00:00:00+02:00", "deadline": "2030-03-01T12:00:00+02:00" },
          "projectPeriod": { "start": "2030-10-01", "end": "2030-09-30" },
          "budget": { "eur": -5 },
          "eligibility": { "eligibleKinds": ["municipality", "province"] },
          "actions": [
            { "code": "A", "objective": 1, "name": { "nl": "a", "en": "a" }, "kpiUnit": { "nl": "x", "en": "x" }, "funded": true,
              "rates": [ { "eurPerUnit": -10 } ], "maximumReach": 5 },
            { "code": "A", "objective": 9, "name": { "nl": "b", "en": "b" }, "kpiUnit": { "nl": "x", "en": "x" }, "funded": true,
              "rates": [ { "eurPerUnit": 10 }, { "from": "2030-01-01", "eurPerUnit": 5 }, { "from": "2029-01-01", "eurPerUnit": 6 } ],
              "maximumReach": 0, "colour": "red" }
          ]
        }
        """;
        var result = ProgrammeLoader.Parse(programme, [("calls/2031.json", Encoding.UTF8.GetBytes(broken))]);

        Assert.False(result.Succeeded);
        Assert.Null(result.Programme);
        var found = result.Problems.Select(p => $"{p.File} {p.Path}").ToList();
        Assert.All(result.Problems, p => Assert.Equal("calls/2031.json", p.File));
        Assert.Contains("calls/2031.json $.id", found);                                   // id does not match the file name
        Assert.Contains("calls/2031.json $.applicationWindow.deadline", found);           // window out of order
        Assert.Contains("calls/2031.json $.projectPeriod.end", found);                    // period ends before it starts
        Assert.Contains("calls/2031.json $.budget.eur", found);                           // negative budget
        Assert.Contains("calls/2031.json $.eligibility.eligibleKinds[1]", found);         // unknown kind
        Assert.Contains("calls/2031.json $.actions[0].rates[0].eurPerUnit", found);       // negative rate
        Assert.Contains("calls/2031.json $.actions[1].code", found);                      // duplicate action code
        Assert.Contains("calls/2031.json $.actions[1].objective", found);                 // unknown objective
        Assert.Contains("calls/2031.json $.actions[1].rates[2].from", found);             // rates out of date order
        Assert.Contains("calls/2031.json $.actions[1].maximumReach", found);              // maximum 0
        Assert.Contains("calls/2031.json $.actions[1].colour", found);                    // unknown property
        Assert.True(result.Problems.Count >= 11);
    }

    [Fact]
    public void Loading_a_broken_folder_throws_one_exception_listing_every_problem_of_every_file()
    {
        var folder = Directory.CreateTempSubdirectory("broken-programme-");
        try
        {
            File.WriteAllText(Path.Combine(folder.FullName, "programme.json"),
                File.ReadAllText(TestData.PathIn("workflows", "plan-samenleven", "programme.json"))
                    .Replace("\"advanceShare\": 0.60", "\"advanceShare\": 1.60", StringComparison.Ordinal));
            Directory.CreateDirectory(Path.Combine(folder.FullName, "calls"));
            File.WriteAllText(Path.Combine(folder.FullName, "calls", "2023.json"),
                File.ReadAllText(TestData.PathIn("workflows", "plan-samenleven", "calls", "2023.json"))
                    .Replace("\"eurPerUnit\": 320", "\"eurPerUnit\": -320", StringComparison.Ordinal));
            File.WriteAllText(Path.Combine(folder.FullName, "calls", "2024.json"),
                File.ReadAllText(TestData.PathIn("workflows", "plan-samenleven", "calls", "2024.json"))
                    .Replace("\"start\": \"2024-10-01\"", "\"start\": \"2025-10-01\"", StringComparison.Ordinal));

            var thrown = Assert.Throws<ProgrammeDataException>(() => ProgrammeLoader.Load(folder.FullName));

            Assert.Contains(thrown.Problems, p => p.File == "programme.json" && p.Path == "$.parameters.paymentSchedule.advanceShare");
            Assert.Contains(thrown.Problems, p => p.File == "calls/2023.json" && p.Path.EndsWith(".rates[0].eurPerUnit", StringComparison.Ordinal));
            Assert.Contains(thrown.Problems, p => p.File == "calls/2024.json" && p.Path == "$.projectPeriod.end");
            Assert.Contains("calls/2023.json", thrown.Message, StringComparison.Ordinal);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_call_may_override_a_parameter_group_and_inherits_the_others()
    {
        var programme = File.ReadAllBytes(TestData.PathIn("workflows", "plan-samenleven", "programme.json"));
        var call = File.ReadAllText(TestData.PathIn("workflows", "plan-samenleven", "calls", "2023.json"));
        call = call.Insert(call.LastIndexOf('}'),
            ", \"parameters\": { \"coFinancing\": { \"localToFlemishRatio\": 1, \"localEurPerUnit\": 0, \"checkedPer\": \"total\" } }");
        var result = ProgrammeLoader.Parse(programme, [("calls/2023.json", Encoding.UTF8.GetBytes(call))]);
        Assert.True(result.Succeeded, string.Join("\n", result.Problems));
        var loaded = result.Programme!.GetCall("2023");
        Assert.Equal(CoFinancingCheck.Total, loaded.Parameters.CoFinancing.CheckedPer);
        Assert.Equal(CoFinancingCheck.Row, result.Programme.Parameters.CoFinancing.CheckedPer);
        Assert.Equal(10_000m, loaded.Parameters.CooperationBonus.EurPerProjectYear);
    }

    [Fact]
    public void Wrong_Brussels_offset_and_invalid_json_are_reported()
    {
        var programme = File.ReadAllBytes(TestData.PathIn("workflows", "plan-samenleven", "programme.json"));
        var call = File.ReadAllText(TestData.PathIn("workflows", "plan-samenleven", "calls", "2023.json"))
            .Replace("2023-07-10T12:00:00+02:00", "2023-07-10T12:00:00+01:00", StringComparison.Ordinal);
        var result = ProgrammeLoader.Parse(programme,
            [("calls/2023.json", Encoding.UTF8.GetBytes(call)), ("calls/2024.json", Encoding.UTF8.GetBytes("{ \"id\": "))]);
        Assert.Contains(result.Problems, p => p.File == "calls/2023.json" && p.Path == "$.applicationWindow.deadline"
                                              && p.Message.Contains("Europe/Brussels", StringComparison.Ordinal));
        Assert.Contains(result.Problems, p => p.File == "calls/2024.json" && p.Message.Contains("not valid JSON", StringComparison.Ordinal));
    }

    [Fact]
    public void A_second_programme_needs_only_its_own_data_files()
    {
        var folder = Directory.CreateTempSubdirectory("programme-");
        try
        {
            File.Copy(TestData.PathIn("workflows", "oefenkansen-nederlands", "programme.json"), Path.Combine(folder.FullName, "programme.json"));
            Directory.CreateDirectory(Path.Combine(folder.FullName, "calls"));
            File.Copy(TestData.PathIn("workflows", "oefenkansen-nederlands", "calls", "2026.json"), Path.Combine(folder.FullName, "calls", "2026.json"));
            File.WriteAllText(Path.Combine(folder.FullName, "lifecycle.v1.json"), "{ \"not\": \"programme data\" }");
            var programme = ProgrammeLoader.Load(folder.FullName);
            Assert.Equal("oefenkansen-nederlands", programme.Id);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}

internal static class CallTestExtensions
{
    public static decimal GetActionRate(this Call call, string code, DateOnly on) =>
        call.FindAction(code)?.RateOn(on) ?? throw new KeyNotFoundException(code);
}
