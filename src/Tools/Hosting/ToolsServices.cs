using Microsoft.Extensions.DependencyInjection;
using SubsidyEngine.Engine.Database;
using SubsidyEngine.Engine.Hosting;
using SubsidyEngine.Tools.Database;
using SubsidyEngine.Tools.Simulation;

namespace SubsidyEngine.Tools.Hosting;

/// <summary>Registrations a host adds beside <see cref="EngineServices.AddSubsidyEngine"/> for the embedded default.</summary>
public static class ToolsServices
{
    /// <summary>
    /// The private PostgreSQL cluster started when no connection string is configured, and the demo's moved copy of
    /// the workflows folder on a new embedded database.
    /// </summary>
    public static IServiceCollection AddEmbeddedDefault(this IServiceCollection services)
    {
        services.AddSingleton<IEmbeddedDatabaseStarter, EmbeddedPostgresStarter>();
        services.AddSingleton<IDemoWorkflows, DemoWorkflows>();
        return services;
    }
}
