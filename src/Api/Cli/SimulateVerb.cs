using System.Diagnostics;
using SubsidyEngine.Engine.Configuration;
using SubsidyEngine.Engine.Hosting;
using SubsidyEngine.Engine.Programmes;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Tools.Simulation;

namespace SubsidyEngine.Api.Cli;

/// <summary>
/// <c>simulate plan-samenleven [--seed N] [--years 2022-2026] [--connection &lt;cs&gt;] [--parallelism N]</c>: runs the
/// whole programme on a moving clock on a fresh database (a temporary private cluster unless --connection names an
/// empty database). The summary goes to standard output; progress and timings to standard error.
/// </summary>
internal static class SimulateVerb
{
    public const string Usage = "usage: simulate plan-samenleven [--seed N] [--years 2022-2026] [--connection <connection string>] [--parallelism N]";

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0].StartsWith("--", StringComparison.Ordinal))
        {
            await Console.Error.WriteLineAsync(Usage);
            return 2;
        }

        var programme = args[0];
        var options = new SimulationOptions { ProgrammeId = programme };
        string? connection = null;
        for (var i = 1; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--seed" when int.TryParse(value, out var seed):
                    options = options with { Seed = seed };
                    i++;
                    break;
                case "--years" when TryYears(value, out var from, out var to):
                    options = options with { FromYear = from, ToYear = to };
                    i++;
                    break;
                case "--parallelism" when int.TryParse(value, out var p) && p >= 1:
                    options = options with { Parallelism = p };
                    i++;
                    break;
                case "--connection" when !string.IsNullOrWhiteSpace(value):
                    connection = value;
                    i++;
                    break;
                default:
                    await Console.Error.WriteLineAsync($"unknown or incomplete option '{args[i]}'\n{Usage}");
                    return 2;
            }
        }

        if (programme != "plan-samenleven")
        {
            await Console.Error.WriteLineAsync($"only plan-samenleven can be simulated (its three calls and the extension); got '{programme}'");
            return 2;
        }

        if (options.FromYear != 2022 || options.ToYear is < 2022 or > 2026)
        {
            await Console.Error.WriteLineAsync("--years must be 2022-<end year> with the end year in 2022..2026");
            return 2;
        }

        // The service's configuration (workflows folder, authority register, PostgreSQL binaries), never its database.
        var config = new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .Build();
        var settings = config.GetSection(SubsidyOptions.SectionName).Get<SubsidyOptions>() ?? new SubsidyOptions();
        var watch = Stopwatch.StartNew();
        var files = WorkflowFiles.Load(settings.ResolveWorkflowsDirectory(), settings.ResolveAuthoritiesFile(), LetterTemplateDirectory.Default);
        var (programmes, catalog) = (files.Programmes, files.Workflows);

        await using var database = connection is null
            ? await SimulationDatabase.StartTemporaryAsync(settings.Embedded.BinDirectory)
            : await SimulationDatabase.UseAsync(connection);
        await Console.Error.WriteLineAsync($"simulating {programme} with seed {options.Seed}, years {options.FromYear}-{options.ToYear}, on a {database.Description} ({watch.Elapsed.TotalSeconds:0.0}s)");
        var clock = new SimulationClock(ProgrammeSimulation.StartTime);
        var simulation = new ProgrammeSimulation(database.DataSource, catalog, programmes, clock, options, Console.Error);
        var summary = await simulation.RunAsync();
        Console.Out.Write(summary.Render());
        await Console.Error.WriteLineAsync($"done in {watch.Elapsed.TotalSeconds:0.0}s");
        return summary.ReplayDivergences == 0 ? 0 : 1;
    }

    private static bool TryYears(string? text, out int from, out int to)
    {
        from = to = 0;
        var parts = text?.Split('-') ?? [];
        return parts.Length == 2 && int.TryParse(parts[0], out from) && int.TryParse(parts[1], out to);
    }
}
