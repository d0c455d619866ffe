using SubsidyEngine.Bench;

// dotnet run -c Release --project bench -- <scenario> [--quick]
var quick = args.Contains("--quick");
var scenario = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "fires";
Console.WriteLine($"SubsidyEngine bench: {scenario} ({(quick ? "quick" : "full")}), {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
IReadOnlyList<string> lines = scenario switch
{
    "fires" => await FiresScenario.RunAsync(quick),
    "sweep" => await NoticeScenarios.SweepAsync(quick),
    "dispatch" => await NoticeScenarios.DispatchAsync(quick),
    "replay" => await ReplayScenario.RunAsync(quick),
    "letters" => await LettersScenario.RunAsync(quick),
    _ => throw new ArgumentException($"unknown scenario '{scenario}' (known: fires, sweep, dispatch, replay, letters)"),
};
foreach (var line in lines)
{
    Console.WriteLine(line);
}
