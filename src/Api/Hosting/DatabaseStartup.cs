using SubsidyEngine.Engine.Hosting;

namespace SubsidyEngine.Api.Hosting;

/// <summary>Runs before the server accepts requests: migrations, definition loading and the immutability check.</summary>
internal sealed class DatabaseStartup(IServiceProvider services, StartupState state, ILogger<DatabaseStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await EngineServices.PrepareAsync(services, cancellationToken);
        logger.LogInformation("Database schema and workflow definitions ready");
        state.Completed = true;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
