using SubsidyEngine.Engine.Mail;

namespace SubsidyEngine.Engine.Tests.Mail;

public sealed class RetryPolicyTests
{
    private static readonly DateTimeOffset FailedAt = new(2024, 3, 15, 9, 30, 0, TimeSpan.Zero);

    [Fact]
    public void The_default_schedule_doubles_from_one_minute_caps_at_one_hour_and_stops_after_ten_attempts()
    {
        var policy = RetryPolicy.Default;

        var delays = Enumerable.Range(1, 9).Select(n => policy.NextAttemptAt(n, FailedAt) - FailedAt).ToList();

        Assert.Equal(new TimeSpan?[] { M(1), M(2), M(4), M(8), M(16), M(32), M(60), M(60), M(60) }, delays);
        Assert.Null(policy.NextAttemptAt(10, FailedAt));
        Assert.True(policy.IsExhausted(10));
        Assert.False(policy.IsExhausted(9));
        Assert.Equal(TimeSpan.FromMinutes(243), delays.Aggregate(TimeSpan.Zero, (sum, d) => sum + d!.Value));

        static TimeSpan? M(int minutes) => TimeSpan.FromMinutes(minutes);
    }

    [Fact]
    public void Very_high_attempt_counts_stay_at_the_cap()
    {
        var policy = new RetryPolicy(TimeSpan.FromSeconds(30), TimeSpan.FromHours(2), int.MaxValue);

        Assert.Equal(TimeSpan.FromHours(2), policy.DelayAfter(40));
        Assert.Equal(TimeSpan.FromHours(2), policy.DelayAfter(int.MaxValue));
    }

    [Fact]
    public void A_transient_failure_is_retried_and_a_permanent_one_is_not()
    {
        var policy = RetryPolicy.Default;

        var transient = policy.Decide(3, FailedAt, new MailDeliveryException("451 try again later", transient: true, smtpStatusCode: 451));
        var permanent = policy.Decide(1, FailedAt, new MailDeliveryException("550 mailbox unavailable", transient: false, smtpStatusCode: 550));
        var exhausted = policy.Decide(10, FailedAt, new MailDeliveryException("connection refused", transient: true));
        var invalid = policy.Decide(1, FailedAt, new InvalidMailException("To[0].Address", "contains a line break"));

        Assert.False(transient.GiveUp);
        Assert.Equal(FailedAt.AddMinutes(4), transient.NextAttemptAt);
        Assert.True(permanent.GiveUp);
        Assert.Null(permanent.NextAttemptAt);
        Assert.StartsWith("permanent failure", permanent.Reason, StringComparison.Ordinal);
        Assert.True(exhausted.GiveUp);
        Assert.StartsWith("gave up after 10 attempts", exhausted.Reason, StringComparison.Ordinal);
        Assert.True(invalid.GiveUp);
    }

    [Fact]
    public void Nonsense_settings_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RetryPolicy(TimeSpan.Zero, TimeSpan.FromHours(1), 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RetryPolicy(TimeSpan.FromHours(2), TimeSpan.FromHours(1), 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RetryPolicy(TimeSpan.FromMinutes(1), TimeSpan.FromHours(1), 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => RetryPolicy.Default.DelayAfter(0));
    }
}
