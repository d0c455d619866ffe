using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using SubsidyEngine.Engine.Programmes;
using SubsidyEngine.Engine.Programmes.Model;
using SubsidyEngine.Engine.Rules;

namespace SubsidyEngine.Bench;

/// <summary>
/// The allocation rule (<see cref="AllocationRule.Allocate"/>, a pure function) on a call of 10,000 applicants with
/// 19 action rows each (priorities a per-applicant permutation of 1..19, amounts = units x the 2023 catalogue rate, up to about EUR 50,000 a row,
/// a cooperation bonus for one applicant in ten) and a budget of 40 % of the request, so several rounds are funded
/// in full, one pro rata and the rest not at all. Run several times on differently shuffled input: every run must
/// give the same euros (the total and a SHA-256 of every allocated amount), else the scenario fails. Baseline in the
/// same run: sorting the same input the way the rule needs it (applications by id, rows by priority) and summing it.
/// </summary>
public static class AllocationScenario
{
    private const int Applicants = 10_000;
    private const int Actions = 19;

    public static Task<IReadOnlyList<string>> RunAsync(bool quick)
    {
        var runs = quick ? 3 : 7;
        var programme = ProgrammeLoader.Load(Path.Combine(ServiceProcess.RepoRoot(), "workflows", "plan-samenleven"));
        var call = programme.GetCall("2023");
        var parameters = call.Parameters.Allocation;
        var start = call.ProjectPeriod.Start;
        var actions = call.FundedActions.Where(a => a.RateOn(start) is > 0).Take(Actions).ToArray();
        if (actions.Length != Actions)
        {
            throw new InvalidOperationException($"the 2023 call has {actions.Length} funded actions with a rate, need {Actions}");
        }

        var input = Generate(actions, start, call.Parameters.CooperationBonus.EurPerProjectYear * call.ProjectYears);
        var requested = input.Sum(a => a.BonusEur + a.Rows.Sum(r => r.RequestedEur));
        var budget = decimal.Round(requested * 0.4m, 2) + 0.37m;
        Console.WriteLine($"{Applicants:N0} applicants x {Actions} actions = {Applicants * Actions:N0} rows; requested EUR {requested:N2}, budget EUR {budget:N2}; rounding {parameters.RoundingEur}, bonuses first {parameters.BonusesFirst}");

        var times = new List<double>();
        var cpu = new List<double>();
        using var self = Process.GetCurrentProcess();
        string? firstHash = null;
        decimal firstTotal = 0;
        AllocationResult? result = null;
        for (var run = 0; run < runs; run++)
        {
            var shuffled = input.ToArray();
            new Random(1000 + run).Shuffle(shuffled);
            self.Refresh();
            var cpuBefore = self.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            result = AllocationRule.Allocate(budget, parameters, shuffled);
            sw.Stop();
            self.Refresh();
            times.Add(sw.Elapsed.TotalSeconds);
            cpu.Add((self.TotalProcessorTime - cpuBefore).TotalSeconds);
            var hash = Hash(result);
            Console.WriteLine($"run {run + 1}: {sw.Elapsed.TotalSeconds:F3} s ({cpu[^1]:F3} CPU-s), allocated EUR {result.AllocatedEur:N2}, remainder EUR {result.RemainderEur:N2}, pro-rata round {result.ProRataRound}, sha256 {hash[..16]}");
            if (firstHash is null)
            {
                firstHash = hash;
                firstTotal = result.AllocatedEur;
            }
            else if (hash != firstHash || result.AllocatedEur != firstTotal)
            {
                throw new InvalidOperationException($"run {run + 1} allocated different euros: EUR {result.AllocatedEur} sha256 {hash} against EUR {firstTotal} sha256 {firstHash}");
            }
        }

        var baselines = new List<double>();
        decimal check = 0;
        for (var run = 0; run < runs; run++)
        {
            var shuffled = input.ToArray();
            new Random(1000 + run).Shuffle(shuffled);
            var sw = Stopwatch.StartNew();
            check = SortAndSum(shuffled);
            sw.Stop();
            baselines.Add(sw.Elapsed.TotalSeconds);
        }

        if (check != requested)
        {
            throw new InvalidOperationException("the baseline summed a different request");
        }

        var worst = times.Max();
        var median = Median(times);
        var baseline = Median(baselines);
        Console.WriteLine($"allocation: slowest {worst:F3} s (first run, cold), median {median:F3} s; baseline sort + sum: median {baseline:F3} s");
        Console.WriteLine($"target <= 1 s: {(worst <= 1 ? "met" : "NOT met")}; same euros in all {runs} runs: EUR {firstTotal:N2}, sha256 {firstHash}");
        IReadOnlyList<string> lines =
        [
            $"RESULT allocation seconds={worst:F3} median_s={median:F3} median_cpu_s={Median(cpu):F3} baseline_s={baseline:F3} ratio={median / baseline:F1} runs={runs} " +
            $"rows={Applicants * Actions} allocated_eur={firstTotal.ToString("F2", CultureInfo.InvariantCulture)} pro_rata_round={result!.ProRataRound} sha256={firstHash![..16]}",
        ];
        return Task.FromResult(lines);
    }

    private static List<AllocationRequest> Generate(ActionDefinition[] actions, DateOnly start, decimal bonus)
    {
        var rng = new Random(20_231_001);
        var list = new List<AllocationRequest>(Applicants);
        for (var a = 0; a < Applicants; a++)
        {
            var priorities = Enumerable.Range(1, Actions).ToArray();
            rng.Shuffle(priorities);
            var rows = new List<AllocationRowRequest>(Actions);
            for (var r = 0; r < Actions; r++)
            {
                // Up to about EUR 50,000 a row: many units of a small rate, a few of a large one.
                var rate = actions[r].RateOn(start)!.Value;
                var units = 1 + rng.Next(Math.Max(1, (int)(50_000m / rate)));
                rows.Add(new AllocationRowRequest(actions[r].Code, priorities[r], units * rate));
            }

            list.Add(new AllocationRequest($"app-{a:D5}", rows, a % 10 == 0 ? bonus : 0));
        }

        return list;
    }

    /// <summary>SHA-256 over every application's every allocated amount (rows and bonus), in the result's order.</summary>
    private static string Hash(AllocationResult result)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var sb = new StringBuilder();
        foreach (var app in result.Applications)
        {
            sb.Clear();
            sb.Append(app.ApplicationId).Append('|').Append(app.BonusAllocatedEur.ToString(CultureInfo.InvariantCulture));
            foreach (var row in app.Rows)
            {
                sb.Append('|').Append(row.ActionCode).Append('=').Append(row.AllocatedEur.ToString(CultureInfo.InvariantCulture));
            }

            sb.Append('\n');
            sha.AppendData(Encoding.UTF8.GetBytes(sb.ToString()));
        }

        sha.AppendData(Encoding.UTF8.GetBytes(result.AllocatedEur.ToString(CultureInfo.InvariantCulture) + "|" + result.RemainderEur.ToString(CultureInfo.InvariantCulture)));
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>The least an allocation must do: order the applications and their rows, and add everything up.</summary>
    private static decimal SortAndSum(AllocationRequest[] applications)
    {
        var ordered = applications.OrderBy(a => a.ApplicationId, StringComparer.Ordinal).ToArray();
        decimal total = 0;
        foreach (var app in ordered)
        {
            var rows = app.Rows.ToArray();
            Array.Sort(rows, static (x, y) => x.Priority != y.Priority ? x.Priority.CompareTo(y.Priority) : string.CompareOrdinal(x.ActionCode, y.ActionCode));
            total += app.BonusEur;
            foreach (var row in rows)
            {
                total += row.RequestedEur;
            }
        }

        return total;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
