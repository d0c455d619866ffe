using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using SubsidyEngine.Engine.Audit;
using SubsidyEngine.Engine.Configuration;
using SubsidyEngine.Engine.Database;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Engine.Programmes;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Workflows.Expressions;

namespace SubsidyEngine.Engine.Hosting;

/// <summary>
/// Registers the Engine: database (configured, or embedded through the host's <see cref="IEmbeddedDatabaseStarter"/>),
/// migrations, workflow catalogue and runtime.
/// </summary>
public static class EngineServices
{
    /// <param name="services">The service collection.</param>
    /// <param name="connectionString">ConnectionStrings:Subsidy; null or empty for the embedded cluster.</param>
    /// <param name="ownsServer">True for the service; false for CLI verbs that may run beside it.</param>
    /// <param name="staleReadsConnectionString">ConnectionStrings:SubsidyStaleReads; null or empty to read everything from the primary (<see cref="StaleReads"/>).</param>
    public static IServiceCollection AddSubsidyEngine(
        this IServiceCollection services, Func<IServiceProvider, string?> connectionString, bool ownsServer = true, Func<IServiceProvider, string?>? staleReadsConnectionString = null)
    {
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<SubsidyOptions>>().Value;
            var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger("SubsidyEngine.Database");
            return DatabaseHandle.OpenAsync(connectionString(sp), options, sp.GetService<IEmbeddedDatabaseStarter>(), logger, ownsServer).GetAwaiter().GetResult();
        });
        services.AddSingleton<NpgsqlDataSource>(sp => sp.GetRequiredService<DatabaseHandle>().DataSource);
        services.AddSingleton(sp => StaleReads.Create(sp.GetRequiredService<DatabaseHandle>(), staleReadsConnectionString?.Invoke(sp)));
        services.AddSingleton<Migrator>();
        services.AddSingleton(sp => WorkflowsFolder.Resolve(
            sp.GetRequiredService<IOptions<SubsidyOptions>>().Value, sp.GetRequiredService<DatabaseHandle>(), sp.GetRequiredService<TimeProvider>(),
            ownsServer, sp.GetService<IDemoWorkflows>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger("SubsidyEngine.Demo")));
        // Everything under workflows/ is reported in one go (WorkflowFiles): the programme data's problems are kept
        // here and thrown with the definitions' when the workflow catalogue loads (at the start, PrepareAsync).
        services.AddSingleton(sp => ProgrammeCatalog.TryLoad(
            sp.GetRequiredService<WorkflowsFolder>().Path, sp.GetRequiredService<IOptions<SubsidyOptions>>().Value.ResolveAuthoritiesFile()));
        services.AddSingleton(sp => sp.GetRequiredService<ProgrammeCatalogLoad>().Catalog);
        services.AddSingleton(sp => ProgrammeRules.Create(sp.GetRequiredService<ProgrammeCatalog>()));
        services.AddSingleton<ProgrammeService>();
        services.AddSingleton<Commands.DossierCommands>();
        services.AddSingleton<DataCheck>();
        services.AddSingleton<ILetterTemplates>(_ => LetterTemplateDirectory.Default);
        services.AddSingleton(sp => WorkflowCatalog.Load(
            sp.GetRequiredService<WorkflowsFolder>().Path,
            sp.GetRequiredService<RuleRegistry>(),
            sp.GetRequiredService<ILetterTemplates>(),
            sp.GetRequiredService<ProgrammeCatalogLoad>().Problems));
        services.AddSingleton<DefinitionStore>();
        services.AddSingleton(sp => new WorkflowRuntime(
            sp.GetRequiredService<NpgsqlDataSource>(), sp.GetRequiredService<WorkflowCatalog>(), sp.GetRequiredService<DefinitionStore>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetService<IWorkSignal>()));
        services.AddSingleton<JournalStore>();
        // The auditor's replay reads through the stale-reads data source (a standby when configured).
        services.AddSingleton(sp =>
        {
            var reads = sp.GetRequiredService<StaleReads>().DataSource;
            return new Replayer(reads, sp.GetRequiredService<WorkflowCatalog>(), new JournalStore(reads));
        });
        services.AddSingleton<DefinitionMigrator>();
        services.AddSingleton<DeadlineSweeper>();
        services.AddSingleton<TimeTravel>();
        services.AddSingleton(sp => new Exports.ExportQueries(sp.GetRequiredService<StaleReads>().DataSource));
        services.AddSingleton(sp => new CheckpointService(sp.GetRequiredService<NpgsqlDataSource>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<WorkflowRuntime>())
        {
            AuditorsAddress = sp.GetRequiredService<IOptions<SubsidyOptions>>().Value.Smtp.AuditorAddress,
        });

        // Letters: rendered from the journal with the versioned templates; PDFs by the host's Templates.IPdfRenderer
        // (SubsidyEngine.Pdf: one shared Chromium), which the Engine does not register.
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<SubsidyOptions>>().Value;
            // The host validates Subsidy:Letters (the service refuses a configured database without an account); a
            // host of the Engine alone (the simulation, the benchmarks) gets the illustrative account.
            return string.IsNullOrWhiteSpace(options.Letters.AgencyIban)
                ? Letters.LetterSettings.Default(options.PublicBaseUrl) with
                {
                    SignatoryName = options.Letters.SignatoryName, SignatoryFunction = options.Letters.SignatoryFunction,
                    ContactName = options.Letters.ContactName, ContactEmail = options.Letters.ContactEmail,
                }
                : Letters.LetterSettings.From(options.PublicBaseUrl, options.Letters);
        });
        services.AddSingleton<Letters.LetterModelBuilder>();
        services.AddSingleton(_ => new Templates.LetterRenderer());
        services.AddSingleton<Letters.NoticeLetters>();
        services.AddSingleton<LetterVerifier>();
        services.AddSingleton<AuditReplay>();
        services.AddSingleton<Letters.DossierLetters>();
        services.AddSingleton<Notices.INoticeComposer>(sp => new Letters.TemplateNoticeComposer(
            sp.GetRequiredService<Letters.NoticeLetters>(), sp.GetRequiredService<ProgrammeCatalog>(),
            sp.GetRequiredService<Templates.IPdfRenderer>(), sp.GetRequiredService<IOptions<SubsidyOptions>>().Value.Notices));
        return services;
    }

    /// <summary>Start-up work shared by the service and the CLI: migrate, load the definitions, verify they are unchanged.</summary>
    public static async Task PrepareAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        await services.GetRequiredService<Migrator>().MigrateAsync(cancellationToken);
        await JournalPartitions.EnsureAsync(services.GetRequiredService<NpgsqlDataSource>(), cancellationToken);
        var catalog = services.GetRequiredService<WorkflowCatalog>();
        await services.GetRequiredService<DefinitionStore>().VerifyAllAsync(catalog, cancellationToken);
    }
}
