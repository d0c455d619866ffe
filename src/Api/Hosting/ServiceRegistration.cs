using Microsoft.Extensions.Options;
using Npgsql;
using SubsidyEngine.Engine.Configuration;
using SubsidyEngine.Engine.Database;

namespace SubsidyEngine.Api.Hosting;

internal static class ServiceRegistration
{
    /// <summary>Options, clock, database (configured or embedded) and start-up work.</summary>
    public static WebApplicationBuilder AddSubsidyCore(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<SubsidyOptions>()
            .Bind(builder.Configuration.GetSection(SubsidyOptions.SectionName))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<SubsidyOptions>, SubsidyOptionsValidator>();

        // The one clock of the service: tests replace it with a FakeTimeProvider.
        services.AddSingleton(TimeProvider.System);

        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<SubsidyOptions>>().Value;
            var connectionString = sp.GetRequiredService<IConfiguration>().GetConnectionString("Subsidy");
            var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger("SubsidyEngine.Database");
            return DatabaseHandle.OpenAsync(connectionString, options, logger).GetAwaiter().GetResult();
        });
        services.AddSingleton<NpgsqlDataSource>(sp => sp.GetRequiredService<DatabaseHandle>().DataSource);
        services.AddSingleton<Migrator>();
        services.AddSingleton<StartupState>();
        services.AddHostedService<DatabaseStartup>();

        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: ["ready"]);
        return builder;
    }

    /// <summary>Listens on 127.0.0.1:Subsidy:Port unless --urls / ASPNETCORE_URLS say otherwise.</summary>
    public static WebApplicationBuilder UseDefaultAddress(this WebApplicationBuilder builder)
    {
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["http_ports"]))
        {
            var port = builder.Configuration.GetValue<int?>("Subsidy:Port") ?? 5080;
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        }

        return builder;
    }
}
