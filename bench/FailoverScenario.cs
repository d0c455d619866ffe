using System.Text.RegularExpressions;

namespace SubsidyEngine.Bench;

/// <summary>
/// The high-availability scenario of tests/Reliability.Tests (<c>HighAvailabilityTests</c>, docs/deployment.md): a
/// pg_auto_failover primary and synchronous standby, three service processes behind HAProxy, the primary's machine
/// lost and later a service process killed under load. Full size (<c>SUBSIDY_FAULTS_FULL=1</c>: 16 dossiers under load,
/// 10 s before the kill, 20-s stale-read phases) or, with <c>--quick</c>, the CI size (a few minutes). The test prints
/// one <c>HA RESULT</c> line with what it measured; this scenario turns it into its RESULT line.
/// </summary>
public static partial class FailoverScenario
{
    public static async Task<IReadOnlyList<string>> RunAsync(bool quick)
    {
        var (tests, seconds) = await FaultsScenario.RunTestsAsync(quick, "FullyQualifiedName~HighAvailabilityTests");
        var line = tests.Select(t => HaResult().Match(t.Output)).FirstOrDefault(m => m.Success)
                   ?? throw new InvalidOperationException("the high-availability test printed no HA RESULT line");
        return [$"RESULT failover {line.Groups[1].Value.Trim()} size={(quick ? "ci" : "full")} seconds={seconds:F0}"];
    }

    [GeneratedRegex(@"HA RESULT (.*)")]
    private static partial Regex HaResult();
}
