using System.Text.Json;
using Npgsql;
using SubsidyEngine.Engine.Mail;
using SubsidyEngine.Engine.Journal;

namespace SubsidyEngine.Engine.Notices;

/// <summary>
/// How a notice row is read to be sent or previewed (one SELECT shape for the dispatcher's claims, its pre-rendering
/// and the preview of a letter not sent yet), and how the recipients stored with a letter are parsed.
/// </summary>
internal static class NoticeRows
{
    /// <summary>The JSON shape of the recipients stored in <c>letter.to_recipients</c> / <c>cc_recipients</c>.</summary>
    internal static readonly JsonSerializerOptions RecipientJson = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// What sending a notice needs. The data and state are the notice's own snapshot, written in its cause's
    /// transaction (migration 0030); the dossier row gives only the workflow id, and its current data and state
    /// only for a notice written before the snapshot existed (whose letter the composer renders from the journal).
    /// </summary>
    internal static string DetailsSelect(string source) =>
        $"""
        SELECT n.id, n.dossier_id, n.kind, n.template_id, n.template_version, n.dossier_seq, n.journal_seq, n.created_at, n.attempts,
               n.last_attempt_at, d.workflow_id, CASE WHEN n.data IS NULL THEN d.state ELSE n.state END,
               CASE WHEN n.data IS NULL THEN d.data ELSE n.data END::text, {ReminderInfo.Columns}, {NoticeSnapshot.Columns}
        FROM {source} n
        JOIN dossier d ON d.id = n.dossier_id
        {ReminderInfo.Joins}
        ORDER BY n.id
        """;

    internal static NoticeToCompose ReadNotice(NpgsqlDataReader r) => new(
        r.GetGuid(0), r.GetGuid(1), r.GetString(2), r.GetString(3), r.GetInt32(4), r.GetInt32(5), r.GetInt64(6),
        r.GetFieldValue<DateTimeOffset>(7), r.GetString(10), r.GetString(11), CanonicalJson.ParseObject(r.GetString(12)), ReminderInfo.Read(r, 13),
        NoticeSnapshot.Read(r, 17) is { } snapshot ? snapshot with { DataSha256 = ComposedNotice.Sha256Of(r.GetString(12)) } : null);

    internal static List<MailRecipient> ParseRecipients(string json) =>
        JsonSerializer.Deserialize<List<MailRecipient>>(json, RecipientJson) ?? [];
}
