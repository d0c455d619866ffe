using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using Spectre.Console;
using SubsidyEngine.Engine.Audit;
using SubsidyEngine.Engine.Configuration;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Engine.Runtime;

namespace SubsidyEngine.Api.Cli;

/// <summary>The audit verbs: replay --all with a progress bar, asof, export, checkpoint.</summary>
internal static class AuditVerbs
{
    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    /// <summary>
    /// Replays everything (events, then letters unless <paramref name="letters"/> is false); Spectre.Console progress
    /// bars on stderr only when stderr is a terminal.
    /// </summary>
    public static async Task<ReplaySummary> ReplayAllWithProgressAsync(Engine.Audit.AuditReplay replay, bool letters = true)
    {
        if (Console.IsErrorRedirected)
        {
            return await replay.ReplayAllAsync(new ReplayAllOptions(), letters);
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        ReplaySummary? summary = null;
        await console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask("replaying dossiers", maxValue: 1);
                var letterTask = letters ? ctx.AddTask("re-rendering letters", autoStart: false, maxValue: 1) : null;
                summary = await replay.ReplayAllAsync(
                    new ReplayAllOptions
                    {
                        Progress = new Progress<ReplayProgress>(p =>
                        {
                            task.MaxValue = Math.Max(1, p.TotalDossiers);
                            task.Value = p.Dossiers;
                            task.Description = string.Create(CultureInfo.InvariantCulture, $"replaying dossiers ({p.Events:N0} events)");
                        }),
                    },
                    letters,
                    letterTask is null ? null : new Progress<int>(n =>
                    {
                        letterTask.StartTask();
                        letterTask.IsIndeterminate = true;
                        letterTask.Description = string.Create(CultureInfo.InvariantCulture, $"re-rendering letters ({n:N0})");
                    }));
                task.Value = task.MaxValue;
                if (letterTask is not null)
                {
                    letterTask.IsIndeterminate = false;
                    letterTask.Value = letterTask.MaxValue;
                    letterTask.StopTask();
                }
            });
        return summary!;
    }

    /// <summary><c>asof --dossier &lt;id&gt; --at &lt;iso time&gt;</c>: the dossier at that moment, from the journal alone, as JSON.</summary>
    public static async Task<int> AsOfAsync(IServiceProvider services, string[] args)
    {
        if (!Guid.TryParse(Option(args, "--dossier"), out var id) ||
            !DateTimeOffset.TryParse(Option(args, "--at"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
        {
            await Console.Error.WriteLineAsync("usage: asof --dossier <id> --at <ISO 8601 time, e.g. 2026-03-01T12:00:00Z>");
            return 2;
        }

        var travel = new TimeTravel(services.GetRequiredService<WorkflowCatalog>(), services.GetRequiredService<JournalStore>());
        try
        {
            var result = await travel.AsOfAsync(id, at);
            Console.WriteLine(result.ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
            return result.Divergences.Count == 0 ? 0 : 1;
        }
        catch (DossierNotFoundException)
        {
            await Console.Error.WriteLineAsync($"dossier {id} has no journal events at or before {JournalEvent.FormatTime(at)}");
            return 1;
        }
    }

    /// <summary><c>export --dossier &lt;id&gt; | --call &lt;id&gt; | --all --out &lt;folder or .zip&gt;</c>.</summary>
    public static async Task<int> ExportAsync(IServiceProvider services, string[] args)
    {
        var outPath = Option(args, "--out");
        ExportScope? scope = null;
        if (Guid.TryParse(Option(args, "--dossier"), out var dossier))
        {
            scope = ExportScope.Dossier(dossier);
        }
        else if (Guid.TryParse(Option(args, "--call"), out var call))
        {
            scope = ExportScope.Call(call);
        }
        else if (args.Contains("--all"))
        {
            scope = ExportScope.All;
        }

        if (scope is null || string.IsNullOrWhiteSpace(outPath))
        {
            await Console.Error.WriteLineAsync("usage: export --dossier <id> | --call <id> | --all --out <folder or file.zip>");
            return 2;
        }

        var export = new ExportBundle(services.GetRequiredService<NpgsqlDataSource>(), services.GetRequiredService<TimeProvider>());
        var result = await export.ExportAsync(scope, outPath);
        foreach (var problem in result.Problems)
        {
            await Console.Error.WriteLineAsync("problem: " + problem);
        }

        Console.WriteLine($"exported {result.Dossiers} dossiers, {result.Events} events, {result.Files.Count} files to {result.Path}");
        return result.Problems.Count == 0 ? 0 : 1;
    }

    /// <summary><c>checkpoint take</c> (today's, idempotent) or <c>checkpoint list</c>.</summary>
    public static async Task<int> CheckpointAsync(IServiceProvider services, string[] args)
    {
        var ds = services.GetRequiredService<NpgsqlDataSource>();
        if (args.Length > 0 && args[0] == "list")
        {
            foreach (var c in await CheckpointService.ReadAllAsync(ds))
            {
                Console.WriteLine(c.ToJson().ToJsonString());
            }

            return 0;
        }

        if (args.Length == 0 || args[0] != "take")
        {
            await Console.Error.WriteLineAsync("usage: checkpoint take [--auditors <address>] | checkpoint list");
            return 2;
        }

        var service = new CheckpointService(ds, services.GetRequiredService<TimeProvider>(), services.GetRequiredService<WorkflowRuntime>())
        {
            // The configured auditors' address (Subsidy:Smtp:AuditorAddress), as the hourly job uses: the first checkpoint
            // creates the audit dossier, which keeps the address its digests are mailed to.
            AuditorsAddress = Option(args, "--auditors") ?? services.GetRequiredService<IOptions<SubsidyOptions>>().Value.Smtp.AuditorAddress,
        };
        var (checkpoint, created) = await service.TakeAsync();
        Console.WriteLine((created ? "taken: " : "already taken today: ") + checkpoint.ToJson().ToJsonString());
        return 0;
    }
}
