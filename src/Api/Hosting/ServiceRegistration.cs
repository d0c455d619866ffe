using Microsoft.Extensions.Options;
using SubsidyEngine.Engine.Configuration;
using SubsidyEngine.Engine.Hosting;
using SubsidyEngine.Pdf;
using SubsidyEngine.Templates;
using SubsidyEngine.Tools.Hosting;

namespace SubsidyEngine.Api.Hosting;

internal static class ServiceRegistration
{
    /// <summary>
    /// Options (validated at start), the Engine over the configured database or, when none is configured, the private
    /// cluster and demo of <see cref="ToolsServices.AddEmbeddedDefault"/>; the PDF renderer; start-up work.
    /// </summary>
    public static IServiceCollection AddSubsidyCore(this IServiceCollection services, IConfiguration configuration, bool ownsServer = true)
    {
        services.AddOptions<SubsidyOptions>()
            .Bind(configuration.GetSection(SubsidyOptions.SectionName))
            .ValidateOnStart();
        services.AddSingleton<IPostConfigureOptions<SubsidyOptions>, PublicBaseUrlDefault>();
        services.AddSingleton<IValidateOptions<SubsidyOptions>, SubsidyOptionsValidator>();
        services.AddEmbeddedDefault();
        services.AddSubsidyEngine(
            sp => sp.GetRequiredService<IConfiguration>().GetConnectionString("Subsidy"), ownsServer,
            sp => sp.GetRequiredService<IConfiguration>().GetConnectionString("SubsidyStaleReads"));
        // Letter PDFs: one shared Chromium, started on the first PDF and disposed by the container at shutdown.
        services.AddSingleton<IPdfRenderer>(_ => new PdfRenderer());
        services.AddSingleton<StartupState>();
        return services;
    }

    /// <summary>Everything the web host adds: start-up work before listening, health checks.</summary>
    public static WebApplicationBuilder AddSubsidyService(this WebApplicationBuilder builder)
    {
        builder.Services.AddSubsidyCore(builder.Configuration);
        builder.Services.AddHostedService<DatabaseStartup>();
        builder.Services.AddHostedService<DemoStartup>(); // after the migrations, before the jobs and the server
        builder.Services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: ["ready"]);
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
