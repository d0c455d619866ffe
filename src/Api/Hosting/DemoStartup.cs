using SubsidyEngine.Api.Auth;
using SubsidyEngine.Engine.Access;
using SubsidyEngine.Engine.Hosting;
using SubsidyEngine.Engine.Programmes;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Tools.Simulation;

namespace SubsidyEngine.Api.Hosting;

/// <summary>
/// Loads the demo (<see cref="DemoScenario"/>) when <see cref="WorkflowsFolder.DemoPending"/> says this is the embedded
/// default's first start on a new database with <c>Subsidy:Demo</c> on. Runs after <see cref="DatabaseStartup"/>
/// (migrations) and before the server listens and the jobs start; the journal names the seeded development users.
/// Writes <c>&lt;DataDirectory&gt;/demo/loaded</c> afterwards, so a second start does not load it again.
/// </summary>
internal sealed class DemoStartup(IServiceProvider services, ILogger<DemoStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var folder = services.GetRequiredService<WorkflowsFolder>();
        if (!folder.DemoPending || folder.DemoFolder is null)
        {
            return;
        }

        var officer = DevelopmentSignIn.Users.First(u => u.Role == Roles.Officer);
        var cast = new DemoCast(
            officer.Id.ToString("D"),
            DevelopmentSignIn.Users.Where(u => u.AuthorityId is not null).ToDictionary(u => u.AuthorityId!, u => u.Id.ToString("D"), StringComparer.Ordinal));
        var scenario = new DemoScenario(
            services.GetRequiredService<Npgsql.NpgsqlDataSource>(), services.GetRequiredService<WorkflowCatalog>(),
            services.GetRequiredService<ProgrammeCatalog>(), cast, services.GetRequiredService<TimeProvider>().GetUtcNow());
        var summary = await scenario.RunAsync(cancellationToken);
        await File.WriteAllTextAsync(WorkflowsFolder.LoadedMarker(folder.DemoFolder), $"demo loaded {DateTimeOffset.UtcNow:O}: {summary}\n", cancellationToken);
        logger.LogInformation(
            "Demo loaded in {Seconds:0.0} s: {Dossiers} dossiers, {Transitions} transitions ({Timeouts} timeouts), {Notices} letters in the outbox. Sign in at /dev/sign-in (start with the officer, then Genk).",
            summary.Elapsed.TotalSeconds, summary.Dossiers, summary.Transitions, summary.TimeoutsFired, summary.Notices);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
