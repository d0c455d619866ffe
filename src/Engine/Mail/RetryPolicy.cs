namespace SubsidyEngine.Engine.Mail;

/// <summary>
/// When to try a notice again after a failed attempt: exponential backoff with a cap and a maximum number of
/// attempts. Pure: it takes the attempt count and the failure time and returns a decision; the dispatcher stores
/// the answer in <c>notice.next_attempt_at</c> / <c>notice.status</c>.
/// </summary>
/// <remarks>
/// <see cref="Default"/>: after attempt 1 wait 1 min, then 2, 4, 8, 16, 32 min, then 1 h for every later attempt;
/// the 10th failed attempt is final (about 4 h 3 min after the first failure). A permanent failure
/// (<see cref="MailDeliveryException.Transient"/> false) is final at once. No random jitter, so the schedule is
/// reproducible; the dispatcher's set-based sweep spreads the retries of a batch anyway.
/// </remarks>
public sealed class RetryPolicy
{
    /// <summary>1 min initial delay, doubling, capped at 1 h, at most 10 attempts.</summary>
    public static RetryPolicy Default { get; } = new(TimeSpan.FromMinutes(1), TimeSpan.FromHours(1), 10);

    /// <summary>Creates a policy.</summary>
    /// <param name="initialDelay">Delay after the first failed attempt; positive.</param>
    /// <param name="maxDelay">Upper bound of any delay; at least <paramref name="initialDelay"/>.</param>
    /// <param name="maxAttempts">Attempts in total (the first one included) before giving up; at least 1.</param>
    public RetryPolicy(TimeSpan initialDelay, TimeSpan maxDelay, int maxAttempts)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(initialDelay, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDelay, initialDelay);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxAttempts, 1);
        InitialDelay = initialDelay;
        MaxDelay = maxDelay;
        MaxAttempts = maxAttempts;
    }

    public TimeSpan InitialDelay { get; }

    public TimeSpan MaxDelay { get; }

    public int MaxAttempts { get; }

    /// <summary>The wait after <paramref name="attemptsMade"/> failed attempts: <c>min(initial * 2^(n-1), max)</c>.</summary>
    public TimeSpan DelayAfter(int attemptsMade)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attemptsMade, 1);
        var exponent = attemptsMade - 1;
        if (exponent >= 62)
        {
            return MaxDelay;
        }

        var ticks = InitialDelay.Ticks * Math.Pow(2, exponent);
        return ticks >= MaxDelay.Ticks ? MaxDelay : TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>True when no further attempt is allowed after <paramref name="attemptsMade"/> attempts.</summary>
    public bool IsExhausted(int attemptsMade) => attemptsMade >= MaxAttempts;

    /// <summary>The time of the next attempt, or null when the attempts are used up.</summary>
    public DateTimeOffset? NextAttemptAt(int attemptsMade, DateTimeOffset failedAt) =>
        IsExhausted(attemptsMade) ? null : failedAt + DelayAfter(attemptsMade);

    /// <summary>What to do after attempt number <paramref name="attemptsMade"/> failed with <paramref name="failure"/>.</summary>
    public RetryDecision Decide(int attemptsMade, DateTimeOffset failedAt, MailDeliveryException failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        if (!failure.Transient)
        {
            return RetryDecision.Fail($"permanent failure: {failure.Message}");
        }

        var next = NextAttemptAt(attemptsMade, failedAt);
        return next is { } at
            ? RetryDecision.RetryAt(at, $"attempt {attemptsMade} of {MaxAttempts} failed: {failure.Message}")
            : RetryDecision.Fail($"gave up after {attemptsMade} attempts: {failure.Message}");
    }
}

/// <summary>The outcome of <see cref="RetryPolicy.Decide"/>.</summary>
/// <param name="GiveUp">True: mark the notice failed. False: try again at <paramref name="NextAttemptAt"/>.</param>
/// <param name="NextAttemptAt">When to try again; null when giving up.</param>
/// <param name="Reason">One line for <c>notice.last_error</c>.</param>
public sealed record RetryDecision(bool GiveUp, DateTimeOffset? NextAttemptAt, string Reason)
{
    public static RetryDecision RetryAt(DateTimeOffset at, string reason) => new(false, at, reason);

    public static RetryDecision Fail(string reason) => new(true, null, reason);
}
