using System.Diagnostics;
using SubsidyEngine.Bench;

// dotnet run -c Release --project bench -- <scenario> [--quick]
// dotnet run -c Release --project bench -- all [--quick] [--no-doc] [--only a,b]: every scenario as a child process, then docs/benchmarks.md
var quick = args.Contains("--quick");
var scenario = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "fires";
if (scenario == "all")
{
    var onlyIndex = Array.IndexOf(args, "--only");
    var only = onlyIndex >= 0 && onlyIndex + 1 < args.Length ? args[onlyIndex + 1].Split(',', StringSplitOptions.RemoveEmptyEntries) : [];
    return await AllRunner.RunAsync(quick, writeDoc: !args.Contains("--no-doc"), only);
}

Console.WriteLine($"SubsidyEngine bench: {scenario} ({(quick ? "quick" : "full")}), {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, load {AllRunner.LoadAverage()}");
IReadOnlyList<string> lines = scenario switch
{
    "fires" => await FiresScenario.RunAsync(quick),
    "sweep" => await NoticeScenarios.SweepAsync(quick),
    "dispatch" => await NoticeScenarios.DispatchAsync(quick),
    "replay" => await ReplayScenario.RunAsync(quick),
    "letters" => await LettersScenario.RunAsync(quick),
    "plaintext" => await PlainTextScenario.RunAsync(quick),
    "http" => await HttpScenario.RunAsync(quick),
    "allocation" => await AllocationScenario.RunAsync(quick),
    "startup" => await StartupScenario.RunAsync(quick),
    "faults" => await FaultsScenario.RunAsync(quick),
    "failover" => await FailoverScenario.RunAsync(quick),
    "scale" => await ScaleScenario.RunAsync(quick),
    "pages" => await ScaleScenario.PagesAsync(quick),
    _ => throw new ArgumentException($"unknown scenario '{scenario}' (known: all, {string.Join(", ", AllRunner.Names)})"),
};

// This process's own high-water mark (VmHWM) and CPU time, for `all`; the RESULT line stays the last line.
using (var self = Process.GetCurrentProcess())
{
    Console.WriteLine($"PROCESS peak_rss_mb={self.PeakWorkingSet64 / 1048576.0:F0} cpu_s={self.TotalProcessorTime.TotalSeconds:F1} load={AllRunner.LoadAverage().Replace(' ', '/')}");
}

foreach (var line in lines)
{
    Console.WriteLine(line);
}

return 0;
