using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using SubsidyEngine.Engine.Configuration;
using SubsidyEngine.Engine.Mail;
using SubsidyEngine.Engine.Runtime;

namespace SubsidyEngine.Engine.Notices;

/// <summary>
/// Registers the notice services: composer (the plain one unless a host registers another; the service registers the
/// Scriban letter templates' <c>TemplateNoticeComposer</c>), transport, dispatcher, sweeps, calendar and the wake-up signal.
/// </summary>
public static class NoticeServices
{
    /// <summary>
    /// Adds <see cref="NoticeDispatcher"/>, <see cref="NoticeQueries"/>, <see cref="ReminderSweeper"/>, <see cref="CalendarFeed"/>,
    /// <see cref="NoticeWorkSignal"/> (as <see cref="IWorkSignal"/>, which the runtime picks up), the mail transport
    /// (<see cref="MailTransport.Create"/>) and <see cref="PlainNoticeComposer"/> unless another
    /// <see cref="INoticeComposer"/> is registered. The background loop (<see cref="NoticeDispatchLoop"/>) is added by
    /// the host that runs jobs.
    /// </summary>
    public static IServiceCollection AddSubsidyNotices(this IServiceCollection services)
    {
        services.TryAddSingleton<NoticeWorkSignal>();
        services.TryAddSingleton<IWorkSignal>(sp => sp.GetRequiredService<NoticeWorkSignal>());
        services.TryAddSingleton<INoticeComposer>(sp => new PlainNoticeComposer(Options(sp).Notices));
        services.TryAddSingleton(sp => MailTransport.Create(Options(sp), sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton(sp => Options(sp).Notices.CreateRetryPolicy());
        services.TryAddSingleton(sp => new NoticeDispatcher(
            sp.GetRequiredService<NpgsqlDataSource>(), sp.GetRequiredService<WorkflowRuntime>(), sp.GetRequiredService<INoticeComposer>(),
            sp.GetRequiredService<IMailTransport>(), sp.GetRequiredService<TimeProvider>(), Options(sp).Notices, sp.GetRequiredService<RetryPolicy>(),
            sp.GetService<IWorkSignal>(), sp.GetService<ILogger<NoticeDispatcher>>())
        {
            OperationsAddress = Options(sp).Smtp.OperationsAddress,
            PublicBaseUrl = Options(sp).PublicBaseUrl,
        });
        services.TryAddSingleton(sp => new NoticeQueries(sp.GetRequiredService<NpgsqlDataSource>()));
        services.TryAddSingleton(sp => new ReminderSweeper(
            sp.GetRequiredService<NpgsqlDataSource>(), sp.GetRequiredService<WorkflowRuntime>(), sp.GetRequiredService<TimeProvider>(),
            Options(sp).Notices, sp.GetService<IWorkSignal>(), sp.GetService<ILogger<ReminderSweeper>>()));
        services.TryAddSingleton(sp => new CalendarFeed(
            sp.GetRequiredService<NpgsqlDataSource>(), sp.GetRequiredService<TimeProvider>(), Options(sp),
            sp.GetService<WorkflowCatalog>(), sp.GetService<Programmes.ProgrammeCatalog>()?.Authorities));
        return services;
    }

    private static SubsidyOptions Options(IServiceProvider sp) => sp.GetRequiredService<IOptions<SubsidyOptions>>().Value;
}
