using Microsoft.Extensions.DependencyInjection;
using SubsidyEngine.Api.Hosting;
using SubsidyEngine.Engine.Audit;
using SubsidyEngine.Engine.Diagrams;
using SubsidyEngine.Engine.Hosting;
using SubsidyEngine.Engine.Runtime;

namespace SubsidyEngine.Api.Cli;

/// <summary>
/// Command-line verbs of the service (<c>dotnet run --project src/Api -- replay --all</c>). They share the
/// service's configuration and database, and leave a running service's embedded cluster alone.
/// </summary>
internal static class CliVerbs
{
    public static readonly IReadOnlySet<string> Names = new HashSet<string>(["replay", "diagrams", "simulate", "asof", "export", "checkpoint", "users", "check-data"], StringComparer.Ordinal);

    public static bool IsVerb(string[] args) => args.Length > 0 && Names.Contains(args[0]);

    /// <summary>Runs a verb. <paramref name="output"/> and <paramref name="error"/> (default: the console) are used by the verbs that print secrets or results meant for scripts.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        if (args[0] == "simulate")
        {
            // Its own fresh database (a temporary cluster or --connection), never the service's.
            try
            {
                return await SimulateVerb.RunAsync(args[1..]);
            }
            catch (Exception e) when (e is WorkflowException or Tools.Database.EmbeddedPostgresException or InvalidOperationException or Workflows.Loading.LoadProblemsException)
            {
                await Console.Error.WriteLineAsync(e.Message);
                return 2;
            }
        }

        var builder = Host.CreateApplicationBuilder(args[1..]);
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSubsidyCore(builder.Configuration, ownsServer: false);
        var host = builder.Build();
        try
        {
            if (StartupFailure.Check(host.Services) is { } badSettings)
            {
                await (error ?? Console.Error).WriteLineAsync(badSettings);
                return 2;
            }

            await EngineServices.PrepareAsync(host.Services, CancellationToken.None);
            return args[0] switch
            {
                "replay" => await ReplayAsync(host.Services, args[1..]),
                "check-data" => await CheckDataAsync(host.Services, output ?? Console.Out),
                "diagrams" => Diagrams(host.Services, args[1..]),
                "asof" => await AuditVerbs.AsOfAsync(host.Services, args[1..]),
                "export" => await AuditVerbs.ExportAsync(host.Services, args[1..]),
                "checkpoint" => await AuditVerbs.CheckpointAsync(host.Services, args[1..]),
                "users" => await UsersVerb.RunAsync(host.Services, args[1..], output ?? Console.Out, error ?? Console.Error),
                _ => 2,
            };
        }
        catch (Exception e) when (e is WorkflowException or Tools.Database.EmbeddedPostgresException or Engine.Database.MigrationMismatchException or Workflows.Loading.LoadProblemsException)
        {
            await (error ?? Console.Error).WriteLineAsync(e.Message);
            return 2;
        }
        finally
        {
            // The database handle is async-disposable only (it stops an embedded cluster).
            await ((IAsyncDisposable)host).DisposeAsync();
        }
    }

    /// <summary>Regenerates docs/workflows/*.md from the definitions (run from the repository root, or pass --out).</summary>
    private static int Diagrams(IServiceProvider services, string[] args)
    {
        var outIndex = Array.IndexOf(args, "--out");
        var folder = outIndex >= 0 && outIndex + 1 < args.Length ? args[outIndex + 1] : Path.Combine(FindRepoRoot() ?? Directory.GetCurrentDirectory(), "docs", "workflows");
        foreach (var file in DiagramWriter.WriteAll(services.GetRequiredService<WorkflowCatalog>(), folder))
        {
            Console.WriteLine(file);
        }

        return 0;
    }

    private static string? FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SubsidyEngine.sln")))
            {
                return dir.FullName;
            }
        }

        return null;
    }

    /// <summary>Validates every stored dossier against its definition; exit 1 and one line per problem when any.</summary>
    private static async Task<int> CheckDataAsync(IServiceProvider services, TextWriter output)
    {
        var report = await services.GetRequiredService<DataCheck>().CheckAllAsync();
        foreach (var problem in report.Problems)
        {
            await output.WriteLineAsync(problem.ToString());
        }

        await output.WriteLineAsync($"checked {report.Dossiers} dossiers, {report.Problems.Count} problems");
        return report.Ok ? 0 : 1;
    }

    private static async Task<int> ReplayAsync(IServiceProvider services, string[] args)
    {
        var replay = services.GetRequiredService<Engine.Audit.AuditReplay>();
        var letters = !args.Contains("--no-letters");
        var dossierIndex = Array.IndexOf(args, "--dossier");
        if (dossierIndex >= 0 && dossierIndex + 1 < args.Length)
        {
            if (!Guid.TryParse(args[dossierIndex + 1], out var id))
            {
                await Console.Error.WriteLineAsync($"--dossier needs a dossier id (a UUID), got '{args[dossierIndex + 1]}'");
                return 2;
            }

            var report = await replay.ReplayAsync(id, letters);
            foreach (var d in report.Divergences)
            {
                Console.WriteLine(d);
            }

            Console.WriteLine($"replayed 1 dossiers, {report.Events} events, {(report.Ok ? 0 : 1)} divergences");
            return report.Ok ? 0 : 1;
        }

        if (!args.Contains("--all"))
        {
            await Console.Error.WriteLineAsync("usage: replay --dossier <id> | replay --all   [--no-letters]");
            return 2;
        }

        var summary = await AuditVerbs.ReplayAllWithProgressAsync(replay, letters);
        foreach (var failure in summary.Failures)
        {
            Console.WriteLine(failure.First);
            foreach (var ev in failure.DivergentEvents.Take(5))
            {
                Console.WriteLine("  " + ev);
            }
        }

        foreach (var problem in summary.CheckpointProblems)
        {
            Console.WriteLine(problem);
        }

        foreach (var letter in summary.LetterDivergences)
        {
            Console.WriteLine(letter);
        }

        Console.WriteLine(summary.OneLine);
        return summary.Ok ? 0 : 1;
    }
}
