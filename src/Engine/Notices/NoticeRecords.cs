using SubsidyEngine.Engine.Mail;

namespace SubsidyEngine.Engine.Notices;

/// <summary>The delivery state of one notice (for officers and tests).</summary>
public sealed record NoticeStatus(
    Guid NoticeId,
    Guid DossierId,
    string Kind,
    string Status,
    int Attempts,
    DateTimeOffset NextAttemptAt,
    string? LastError,
    string? MessageId,
    DateTimeOffset? SentAt);

/// <summary>A notice that could not be delivered, for the officers' list of failures.</summary>
public sealed record FailedNotice(
    Guid NoticeId,
    Guid DossierId,
    string Kind,
    string TemplateId,
    int Attempts,
    string? LastError,
    DateTimeOffset? FailedAt,
    IReadOnlyList<MailRecipient> To);

/// <summary>What one <see cref="NoticeDispatcher.DispatchDueAsync"/> call did.</summary>
/// <param name="Sent">Delivered (or written) and recorded with <c>notice.sent</c>.</param>
/// <param name="Retrying">Failed transiently; retried later.</param>
/// <param name="Failed">Failed permanently; recorded with <c>notice.failed</c>.</param>
/// <param name="Cancelled">Reminders whose deadline closed before they were sent.</param>
public sealed record DispatchResult(int Sent, int Retrying, int Failed, int Cancelled)
{
    /// <summary>Nothing happened.</summary>
    public static DispatchResult None { get; } = new(0, 0, 0, 0);

    /// <summary>The sum of two results.</summary>
    public DispatchResult Add(DispatchResult other) =>
        new(Sent + other.Sent, Retrying + other.Retrying, Failed + other.Failed, Cancelled + other.Cancelled);
}
