using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using SubsidyEngine.Engine.Mail;

namespace SubsidyEngine.Engine.Notices;

/// <summary>
/// Renders a notice (letter, short notice, reminder, digest) into a message: recipients, subject, HTML, text and an
/// optional PDF. The dispatcher calls it once per notice (the first attempt) and stores the result in the immutable
/// <c>letter</c> table; later attempts reuse the stored rendering, so a composer is never asked twice for one notice.
/// </summary>
/// <remarks>
/// The letter templates plug in here (<c>TemplateNoticeComposer</c>); <see cref="PlainNoticeComposer"/> is the short
/// mail without templates. A composer renders and addresses from the notice's snapshot (<see cref="NoticeToCompose.DossierData"/>). Throw <see cref="InvalidMailException"/> for a notice that can never be rendered (the notice is marked failed);
/// any other exception is treated like a crash of the sender: the notice is retried when its lease runs out.
/// </remarks>
public interface INoticeComposer
{
    /// <summary>Renders <paramref name="notice"/>.</summary>
    Task<ComposedNotice> ComposeAsync(NoticeToCompose notice, CancellationToken ct);
}

/// <summary>Notice kinds (<c>notice.kind</c>).</summary>
public static class NoticeKinds
{
    public const string Letter = "letter";
    public const string Notice = "notice";
    public const string Reminder = "reminder";
    public const string Digest = "digest";
}

/// <summary>The reminder a notice is for: which deadline, its effective due time and the stage.</summary>
/// <param name="DeadlineId">The deadline.</param>
/// <param name="DeadlineKind">The deadline's kind from the definition, e.g. <c>report</c>.</param>
/// <param name="Due">The effective due time the stage was computed from (after extensions).</param>
/// <param name="OffsetCode"><c>before-30</c>, <c>before-7</c>, <c>due</c>, <c>overdue-1</c>, <c>overdue-2</c>, ...</param>
public sealed record ReminderInfo(Guid DeadlineId, string DeadlineKind, DateTimeOffset Due, string OffsetCode)
{
    /// <summary>N for <c>before-N</c>, 0 for <c>due</c>, null for the overdue stages (see <see cref="OverdueNumber"/>).</summary>
    public int? DaysBefore => OffsetCode == "due" ? 0
        : OffsetCode.StartsWith("before-", StringComparison.Ordinal) && int.TryParse(OffsetCode.AsSpan(7), System.Globalization.CultureInfo.InvariantCulture, out var d) ? d : null;

    /// <summary>N for <c>overdue-N</c>, else null.</summary>
    public int? OverdueNumber => OffsetCode.StartsWith("overdue-", StringComparison.Ordinal) && int.TryParse(OffsetCode.AsSpan(8), System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : null;

    /// <summary>The four reminder columns of a notice <c>n</c>, read by <see cref="Read"/> (null for other notices).</summary>
    internal const string Columns = "r.deadline_id, dl.kind, r.due_at, r.offset_code";

    /// <summary>The joins from a notice <c>n</c> that give <see cref="Columns"/>.</summary>
    internal const string Joins = "LEFT JOIN reminder r ON r.id = n.id LEFT JOIN deadline dl ON dl.id = r.deadline_id";

    /// <summary>Reads <see cref="Columns"/> starting at column <paramref name="first"/>.</summary>
    internal static ReminderInfo? Read(Npgsql.NpgsqlDataReader r, int first) =>
        r.IsDBNull(first) ? null : new ReminderInfo(r.GetGuid(first), r.GetString(first + 1), r.GetFieldValue<DateTimeOffset>(first + 2), r.GetString(first + 3));
}

/// <summary>One outbox row to render, with the dossier it belongs to.</summary>
/// <param name="NoticeId">The <c>notice.id</c>; the Message-ID is derived from it.</param>
/// <param name="DossierId">The dossier.</param>
/// <param name="Kind">One of <see cref="NoticeKinds"/>.</param>
/// <param name="TemplateId">The letter template, e.g. <c>award-decision</c> or <c>report-reminder</c>.</param>
/// <param name="TemplateVersion">The template version pinned when the notice was created.</param>
/// <param name="DossierSeq">The dossier's event that caused the notice (for reminders: the event that set the deadline).</param>
/// <param name="JournalSeq">The global journal sequence of that event.</param>
/// <param name="CreatedAt">When the notice was created.</param>
/// <param name="WorkflowId">The dossier's workflow.</param>
/// <param name="DossierState">The dossier's state the notice is rendered with: the snapshot's (see <paramref name="Snapshot"/>).</param>
/// <param name="DossierData">The dossier data the notice is rendered and addressed with: the snapshot's (a copy; the composer may keep it).</param>
/// <param name="Reminder">For reminders: the deadline and stage; otherwise null.</param>
/// <param name="Snapshot">
/// Set when <paramref name="DossierData"/> and <paramref name="DossierState"/> are the snapshot written with the notice
/// in its cause's transaction (migration 0030). Null for a notice written before: its data and state are then the
/// dossier's current ones, and its letter is rendered from the journal instead (the fallback).
/// </param>
public sealed record NoticeToCompose(
    Guid NoticeId,
    Guid DossierId,
    string Kind,
    string TemplateId,
    int TemplateVersion,
    int DossierSeq,
    long JournalSeq,
    DateTimeOffset CreatedAt,
    string WorkflowId,
    string DossierState,
    JsonObject DossierData,
    ReminderInfo? Reminder,
    NoticeSnapshot? Snapshot = null);

/// <summary>
/// Where a notice's snapshot stands in the dossier's journal: the data is as of event <paramref name="DataSeq"/> (the
/// causing event for a fire's notice; the dossier's version at the sweep for a reminder), and the causing event
/// (<c>dossier_seq</c>) happened at <paramref name="CausedAt"/>, the time a letter is dated from.
/// </summary>
public sealed record NoticeSnapshot(int DataSeq, DateTimeOffset CausedAt)
{
    /// <summary>
    /// SHA-256 (lowercase hex) of the UTF-8 bytes of the snapshot's data as stored (<c>notice.data::text</c>, the
    /// text the export bundle holds), set when the dispatcher read the notice; its <c>notice.sent</c> record carries it
    /// as <c>dataSha256</c>, so the journal vouches for the snapshot a letter was rendered from (docs/audit.md).
    /// </summary>
    public string? DataSha256 { get; init; }

    /// <summary>The two columns of a notice <c>n</c> read by <see cref="Read"/> (the data and state are read apart).</summary>
    internal const string Columns = "n.data_seq, n.caused_at";

    /// <summary>Reads <see cref="Columns"/> starting at column <paramref name="first"/>; null for a notice without a snapshot.</summary>
    internal static NoticeSnapshot? Read(Npgsql.NpgsqlDataReader r, int first) =>
        r.IsDBNull(first) ? null : new NoticeSnapshot(r.GetInt32(first), r.GetFieldValue<DateTimeOffset>(first + 1));
}

/// <summary>A rendered notice, as stored once in the <c>letter</c> table.</summary>
public sealed record ComposedNotice
{
    /// <summary>Primary recipients; at least one.</summary>
    public required IReadOnlyList<MailRecipient> To { get; init; }

    /// <summary>Copy recipients.</summary>
    public IReadOnlyList<MailRecipient> Cc { get; init; } = [];

    public required string Subject { get; init; }

    public required string Html { get; init; }

    /// <summary>The text/plain alternative.</summary>
    public required string Text { get; init; }

    /// <summary>SHA-256 (lowercase hex) of the UTF-8 bytes of <see cref="Html"/>; see <see cref="Sha256Of"/>.</summary>
    public required string HtmlSha256 { get; init; }

    /// <summary>The PDF letter, when the template produces one.</summary>
    public byte[]? Pdf { get; init; }

    /// <summary>The attachment's file name, e.g. <c>beslissing-PS-2024-0042.pdf</c>; required with <see cref="Pdf"/>.</summary>
    public string? PdfFileName { get; init; }

    /// <summary>The hash recorded for <paramref name="html"/>.</summary>
    public static string Sha256Of(string html) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(html)));
}

/// <summary>The notice does not exist.</summary>
public sealed class NoticeNotFoundException(Guid noticeId) : Exception($"Notice {noticeId} does not exist.")
{
    public Guid NoticeId { get; } = noticeId;
}

/// <summary>The deadline does not exist or is no longer open.</summary>
public sealed class DeadlineNotOpenException(Guid deadlineId, string? status)
    : Exception(status is null ? $"Deadline {deadlineId} does not exist." : $"Deadline {deadlineId} is {status}, not open.")
{
    public Guid DeadlineId { get; } = deadlineId;

    /// <summary>The deadline's status, or null when it does not exist.</summary>
    public string? Status { get; } = status;
}
