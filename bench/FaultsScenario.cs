using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace SubsidyEngine.Bench;

/// <summary>
/// The fault tests of tests/Reliability.Tests (crash, database restart, SMTP outage, two processes, conflict) at
/// full size (<c>SUBSIDY_FAULTS_FULL=1</c>: 20 kill -9 rounds, 5 database restarts, 5 SMTP outages, 400 + 400 timed
/// dossiers, 10 races). CI runs the same tests at a reduced size in <c>./test.sh</c>; the quick mode runs that reduced
/// size here too. The tests run against the Release build of the service, as every other scenario, and print what
/// they measured (rounds, acknowledgements, duplicates, recovery times); the scenario fails when a test fails.
/// </summary>
public static partial class FaultsScenario
{
    /// <summary>Every test of tests/Reliability.Tests but the high-availability one (the <c>failover</c> scenario runs that).</summary>
    public const string Filter = "FullyQualifiedName!~HighAvailabilityTests";

    public static async Task<IReadOnlyList<string>> RunAsync(bool quick)
    {
        var (tests, seconds) = await RunTestsAsync(quick, Filter);
        var passed = tests.Count(t => t.Outcome == "Passed");

        // The crash test prints "<n> notices, <m> messages on the server, <d> notice(s) delivered twice".
        var all = string.Join('\n', tests.Select(t => t.Output));
        var crash = CrashLine().Match(all);
        var perTest = string.Join(",", tests.Select(t => $"{t.Name.Replace("_", "", StringComparison.Ordinal)}:{t.Duration.TotalSeconds:F0}s"));
        return
        [
            string.Create(CultureInfo.InvariantCulture,
                $"RESULT faults passed={passed} tests={tests.Count} size={(quick ? "ci" : "full")} seconds={seconds:F0} " +
                $"notices={(crash.Success ? crash.Groups[1].Value : "?")} messages={(crash.Success ? crash.Groups[2].Value : "?")} duplicates={(crash.Success ? crash.Groups[3].Value : "?")} per_test={perTest}"),
        ];
    }

    /// <summary>One test of the run, with what it wrote to its output.</summary>
    public sealed record TestOutcome(string Name, string Outcome, TimeSpan Duration, string Output);

    /// <summary>
    /// Runs the tests of tests/Reliability.Tests selected by <paramref name="filter"/> (Release build, full size unless
    /// <paramref name="quick"/>), prints what each measured, and fails when one failed.
    /// </summary>
    public static async Task<(IReadOnlyList<TestOutcome> Tests, double Seconds)> RunTestsAsync(bool quick, string filter)
    {
        var root = ServiceProcess.RepoRoot();
        var results = Path.Combine(Path.GetTempPath(), $"subsidy-faults-{Guid.NewGuid():N}");
        Directory.CreateDirectory(results);
        try
        {
            var project = Path.Combine(root, "tests", "Reliability.Tests");
            var psi = new ProcessStartInfo("dotnet")
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = root,
            };
            foreach (var a in new[] { "test", project, "-c", "Release", "--nologo", "--filter", filter, "--results-directory", results, "--logger", "trx;LogFileName=faults.trx", "--logger", "console;verbosity=normal" })
            {
                psi.ArgumentList.Add(a);
            }

            psi.Environment["SUBSIDY_FAULTS_FULL"] = quick ? "0" : "1";
            psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            var watch = Stopwatch.StartNew();
            using var process = new Process { StartInfo = psi };
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) { Console.WriteLine($"  {e.Data}"); } };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { Console.Error.WriteLine($"  {e.Data}"); } };
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            await process.WaitForExitAsync();
            var seconds = watch.Elapsed.TotalSeconds;

            var trx = Path.Combine(results, "faults.trx");
            if (!File.Exists(trx))
            {
                throw new InvalidOperationException($"`dotnet test` exited with {process.ExitCode} and wrote no test results");
            }

            XNamespace ns = "http://microsoft.com/schemas/VisualStudio/TeamTest/2010";
            var doc = XDocument.Load(trx);
            var tests = doc.Descendants(ns + "UnitTestResult").Select(r => new TestOutcome(
                ((string?)r.Attribute("testName") ?? "?").Split('.') is { Length: >= 2 } parts ? parts[^2] : "?",
                (string?)r.Attribute("outcome") ?? "?",
                TimeSpan.TryParse((string?)r.Attribute("duration"), CultureInfo.InvariantCulture, out var d) ? d : TimeSpan.Zero,
                (string?)r.Descendants(ns + "StdOut").FirstOrDefault() ?? "")).ToList();

            Console.WriteLine();
            Console.WriteLine($"fault tests ({(quick ? "CI size" : "full size")}): what each one measured");
            foreach (var t in tests)
            {
                Console.WriteLine($"{t.Name}: {t.Outcome} in {t.Duration.TotalSeconds:F0} s");
                foreach (var line in t.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    Console.WriteLine($"    {line}");
                }
            }

            var passed = tests.Count(t => t.Outcome == "Passed");
            if (tests.Count == 0 || passed < tests.Count || process.ExitCode != 0)
            {
                throw new InvalidOperationException($"fault tests: {passed} of {tests.Count} passed (dotnet test exit code {process.ExitCode}): " +
                    string.Join(", ", tests.Where(t => t.Outcome != "Passed").Select(t => t.Name)));
            }

            return (tests, seconds);
        }
        finally
        {
            try
            {
                Directory.Delete(results, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    [GeneratedRegex(@"(\d+) notices, (\d+) messages on the server, (\d+) notice\(s\) delivered twice")]
    private static partial Regex CrashLine();
}
