using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SubsidyEngine.Engine.Runtime;

namespace SubsidyEngine.Engine.Notices;

/// <summary>
/// The in-process <see cref="IWorkSignal"/>: a commit that created notices releases a semaphore that
/// <see cref="NoticeDispatchLoop"/> waits on. Signals coalesce: a burst of commits wakes the loop once more, not
/// once per commit.
/// </summary>
public sealed class NoticeWorkSignal : IWorkSignal, IDisposable
{
    private readonly SemaphoreSlim _pending = new(0, 1);

    /// <inheritdoc />
    public void NoticesCreated()
    {
        try
        {
            _pending.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled and not yet consumed: the coming wake-up covers this commit too.
        }
    }

    /// <summary>Waits for a signal or <paramref name="timeout"/>; true when signalled.</summary>
    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _pending.WaitAsync(timeout, cancellationToken);

    /// <inheritdoc />
    public void Dispose() => _pending.Dispose();
}

/// <summary>
/// Sends notices soon after they are created: waits on <see cref="NoticeWorkSignal"/> (or at most
/// <see cref="IdleInterval"/>), then runs <see cref="NoticeDispatcher.DispatchDueAsync"/>. The recurring job
/// (every minute) still runs the dispatcher too, for notices created by other processes and for retries; both
/// claim with <c>SKIP LOCKED</c>, so they never send the same notice twice.
/// </summary>
public sealed class NoticeDispatchLoop(NoticeDispatcher dispatcher, NoticeWorkSignal signal, ILogger<NoticeDispatchLoop>? logger = null) : BackgroundService
{
    private readonly ILogger _logger = (ILogger?)logger ?? NullLogger.Instance;

    /// <summary>The longest wait without a signal; the loop also wakes when the next retry or lease comes due.</summary>
    public static TimeSpan IdleInterval { get; } = TimeSpan.FromSeconds(15);

    /// <summary>Pause after an unexpected failure (database down), so the loop does not spin.</summary>
    public static TimeSpan FailurePause { get; } = TimeSpan.FromSeconds(5);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var wait = IdleInterval;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await signal.WaitAsync(wait, stoppingToken);
                await dispatcher.DispatchDueAsync(stoppingToken);
                // Wake up for the next retry or lease end too, not only for new notices: after an SMTP outage the
                // retries go out when they are due instead of up to IdleInterval later.
                wait = await dispatcher.UntilNextDueAsync(IdleInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // A background loop must survive any failure; the notice stays leased and is retried.
            catch (Exception e)
#pragma warning restore CA1031
            {
                _logger.LogError(e, "Notice dispatch failed; retrying in {Pause}", FailurePause);
                try
                {
                    await Task.Delay(FailurePause, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }
}
