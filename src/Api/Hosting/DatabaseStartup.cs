using SubsidyEngine.Engine.Database;

namespace SubsidyEngine.Api.Hosting;

/// <summary>Runs before the server accepts requests: applies the schema migrations.</summary>
internal sealed class DatabaseStartup(Migrator migrator, StartupState state, ILogger<DatabaseStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var applied = await migrator.MigrateAsync(cancellationToken);
        logger.LogInformation("Database schema up to date ({Applied} migrations applied now)", applied);
        state.Completed = true;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
