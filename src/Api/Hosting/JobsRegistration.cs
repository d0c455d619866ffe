using Hangfire;
using Hangfire.Dashboard;
using Hangfire.PostgreSql;
using Hangfire.Storage;
using Microsoft.Extensions.Options;
using SubsidyEngine.Engine.Audit;
using SubsidyEngine.Engine.Configuration;
using SubsidyEngine.Engine.Database;
using SubsidyEngine.Engine.Hosting;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Engine.Notices;
using SubsidyEngine.Engine.Runtime;

namespace SubsidyEngine.Api.Hosting;

/// <summary>
/// Hangfire on the service's own PostgreSQL database (schema <c>hangfire</c>): three recurring jobs, every minute,
/// that sweep set-based (deadline timeouts, reminders, the notice outbox), plus an in-process loop that sends
/// notices right after the commit that created them. No job per dossier or per notice; every job takes no
/// arguments and may run twice or concurrently on several servers (the sweeps claim with <c>SKIP LOCKED</c> and
/// idempotency keys).
/// </summary>
internal static class JobsRegistration
{
    /// <summary>Recurring job ids.</summary>
    public const string DeadlineJob = "deadline-timeouts";

    public const string ReminderJob = "reminders";

    public const string DispatchJob = "notice-dispatch";

    public const string CheckpointJob = "journal-checkpoint";

    /// <summary>The dashboard's path: signed-in admins only, read-only (<see cref="AdminDashboardAuthorization"/>).</summary>
    public const string DashboardPath = "/hangfire";

    /// <summary>Notices, Hangfire storage and server, the recurring jobs and the dispatch loop.</summary>
    public static WebApplicationBuilder AddSubsidyJobs(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSubsidyNotices();
        services.AddHangfire((sp, config) => config
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            .UsePostgreSqlStorage(
                c => c.UseNpgsqlConnection(sp.GetRequiredService<DatabaseHandle>().ConnectionString),
                new PostgreSqlStorageOptions
                {
                    SchemaName = "hangfire",
                    PrepareSchemaIfNecessary = true,
                    // Defaults poll every 15 s; about 1 s keeps enqueued jobs prompt. Long polling (LISTEN/NOTIFY) left
                    // jobs stuck on this machine kind (docs: MACHINE-NOTES.md): off.
                    QueuePollInterval = TimeSpan.FromSeconds(1),
                    EnableLongPolling = false,
                    DistributedLockTimeout = TimeSpan.FromSeconds(sp.GetRequiredService<IOptions<SubsidyOptions>>().Value.JobLockTimeoutSeconds),
                }));
        services.AddSingleton<SubsidyJobs>();
        if (!builder.Configuration.GetValue($"{SubsidyOptions.SectionName}:{nameof(SubsidyOptions.RunJobs)}", true))
        {
            return builder; // a process that only answers requests (Subsidy:RunJobs=false)
        }

        services.AddHangfireServer(o =>
        {
            o.SchedulePollingInterval = TimeSpan.FromSeconds(1);
            o.WorkerCount = Math.Max(2, Math.Min(8, Environment.ProcessorCount));
            o.ServerName = $"subsidy-{Environment.MachineName}-{Environment.ProcessId}";
        });
        services.AddHostedService<RecurringJobsStartup>();
        services.AddHostedService(sp => new NoticeDispatchLoop(
            sp.GetRequiredService<NoticeDispatcher>(), sp.GetRequiredService<NoticeWorkSignal>(), sp.GetService<ILogger<NoticeDispatchLoop>>()));
        return builder;
    }

    /// <summary>Maps the Hangfire dashboard at <see cref="DashboardPath"/>, for signed-in admins only (read-only).</summary>
    public static IEndpointRouteBuilder MapJobsDashboard(this IEndpointRouteBuilder app)
    {
        app.MapHangfireDashboard(DashboardPath, new DashboardOptions
        {
            Authorization = [new AdminDashboardAuthorization()],
            IsReadOnlyFunc = _ => true,
            DisplayStorageConnectionString = false,
        }).RequireAuthorization(SubsidyEngine.Api.Auth.Policies.Admin).WithMetadata(new FormEndpointMetadata());
        return app;
    }
}

/// <summary>
/// The recurring jobs' bodies. Each is a thin call into the Engine; no arguments, so Hangfire stores nothing large,
/// and safe to run twice. Failures are not retried by Hangfire: the next minute's run is the retry.
/// </summary>
public sealed class SubsidyJobs(DeadlineSweeper deadlines, ReminderSweeper reminders, NoticeDispatcher dispatcher, CheckpointService checkpoints, Npgsql.NpgsqlDataSource dataSource)
{
    /// <summary>Records today's journal checkpoint (one per Brussels day; safe to run hourly) and mails the digest to the auditors.</summary>
    [AutomaticRetry(Attempts = 0, LogEvents = true)]
    public async Task<string> TakeCheckpointAsync(CancellationToken cancellationToken)
    {
        var (checkpoint, created) = await checkpoints.TakeAsync(cancellationToken);
        // The journal's yearly partitions stay ahead of the clock (at most one new one a year); also done at every start.
        var partitions = await JournalPartitions.EnsureAsync(dataSource, cancellationToken);
        return (created ? $"checkpoint {checkpoint}" : "already taken today") + (partitions > 0 ? $"; {partitions} journal partition(s) created" : string.Empty);
    }

    /// <summary>Fires the timeout triggers of passed deadlines.</summary>
    [AutomaticRetry(Attempts = 0, LogEvents = true)]
    public Task<int> FireDueTimeoutsAsync(CancellationToken cancellationToken) => deadlines.FireDueTimeoutsAsync(cancellationToken: cancellationToken);

    /// <summary>Creates the reminder notices due now.</summary>
    [AutomaticRetry(Attempts = 0, LogEvents = true)]
    public Task<int> SweepRemindersAsync(CancellationToken cancellationToken) => reminders.SweepAsync(cancellationToken);

    /// <summary>Sends the due notices (new ones, retries, and ones whose sender's lease ran out).</summary>
    [AutomaticRetry(Attempts = 0, LogEvents = true)]
    public async Task<string> DispatchAsync(CancellationToken cancellationToken)
    {
        var result = await dispatcher.DispatchDueAsync(cancellationToken);
        return result.ToString();
    }
}

/// <summary>
/// Registers (or updates) the recurring jobs once the database is migrated. Registration takes Hangfire's
/// distributed lock of each job; a process killed while holding one leaves it until it counts as abandoned
/// (<see cref="SubsidyOptions.JobLockTimeoutSeconds"/>). The jobs are then already in the storage (the killed
/// process registered them), so the registration runs in the background, beside the start, and is retried every few
/// seconds until it succeeds. (Found by the full-size crash test: a restart exited with code 134; with the
/// registration inside the start, a restart after such a kill also waited 15 s for the lock before listening.)
/// </summary>
internal sealed class RecurringJobsStartup(IRecurringJobManager jobs, StartupState state, ILogger<RecurringJobsStartup> logger) : IHostedService, IDisposable
{
    private static readonly TimeSpan RetryEvery = TimeSpan.FromSeconds(5);
    private readonly CancellationTokenSource _stopping = new();
    private Task _retrying = Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!state.Completed)
        {
            throw new InvalidOperationException("the database start-up must run before the recurring jobs are registered");
        }

        _retrying = Task.Run(() => RegisterAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        try
        {
            await _retrying.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "The recurring jobs' registration ended with an error");
        }
    }

    /// <summary>Disposed with the service container, after the host stopped (StopAsync may run more than once).</summary>
    public void Dispose() => _stopping.Dispose();

    private async Task RegisterAsync(CancellationToken stopping)
    {
        if (TryRegister())
        {
            return;
        }

        while (!stopping.IsCancellationRequested)
        {
            await Task.Delay(RetryEvery, stopping);
            if (TryRegister())
            {
                logger.LogInformation("Recurring jobs registered after an earlier lock time-out");
                return;
            }
        }
    }

    private bool TryRegister()
    {
        try
        {
            jobs.AddOrUpdate<SubsidyJobs>(JobsRegistration.DeadlineJob, j => j.FireDueTimeoutsAsync(CancellationToken.None), Cron.Minutely());
            jobs.AddOrUpdate<SubsidyJobs>(JobsRegistration.ReminderJob, j => j.SweepRemindersAsync(CancellationToken.None), Cron.Minutely());
            jobs.AddOrUpdate<SubsidyJobs>(JobsRegistration.DispatchJob, j => j.DispatchAsync(CancellationToken.None), Cron.Minutely());
            jobs.AddOrUpdate<SubsidyJobs>(JobsRegistration.CheckpointJob, j => j.TakeCheckpointAsync(CancellationToken.None), Cron.Hourly());
            return true;
        }
        catch (Exception e) when (e is PostgreSqlDistributedLockException or DistributedLockTimeoutException)
        {
            logger.LogWarning("Recurring jobs not registered yet ({Reason}); a lock left by a stopped process counts as abandoned after Subsidy:JobLockTimeoutSeconds; retrying every {Seconds} s", e.Message, RetryEvery.TotalSeconds);
            return false;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Any other failure (the database restarting, a failover, a connection cut) is retried the same way; it
            // must not fault the background task, which StopAsync awaits (a faulted one made the host's stop throw).
            logger.LogWarning(e, "Recurring jobs not registered yet; retrying every {Seconds} s", RetryEvery.TotalSeconds);
            return false;
        }
    }
}

/// <summary>Lets only signed-in users in the admin role see the Hangfire dashboard.</summary>
public sealed class AdminDashboardAuthorization : IDashboardAuthorizationFilter
{
    /// <inheritdoc />
    public bool Authorize(DashboardContext context)
    {
        var user = context.GetHttpContext().User;
        return user.Identity?.IsAuthenticated == true && user.IsInRole(SubsidyEngine.Api.Auth.Policies.Admin);
    }
}
