using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Npgsql;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Engine.Letters;
using SubsidyEngine.Engine.Notices;
using SubsidyEngine.Engine.Runtime;

namespace SubsidyEngine.Engine.Audit;

/// <summary>What the letter check of a replay found: how many stored letters were re-rendered, and every divergence.</summary>
public sealed record LetterVerification(int Letters, IReadOnlyList<Divergence> Divergences)
{
    public bool Ok => Divergences.Count == 0;
}

/// <summary>
/// The letter half of a replay: every stored letter is rendered again from the journal alone (the dossier's events
/// up to the event the notice's snapshot is as of: the causing event, or for a reminder the dossier's version at the
/// sweep; the template version the notice names) and its canonical HTML hash is
/// compared with what is on record in three places: the stored hash, the hash of the stored HTML bytes, and the
/// <c>htmlSha256</c> of the <c>notice.sent</c> journal event. A <c>notice.sent</c> event whose letter is not stored
/// is reported too. Reads one dossier's events and letters at a time (memory does not grow with the journal).
/// </summary>
/// <remarks>
/// Besides the journal and the template files, a letter's inputs are the letter settings of the service
/// (<see cref="LetterSettings"/>: the public URL, the signatory) and the authority register: a changed setting makes
/// every later re-rendering differ, which this check reports rather than hides.
/// </remarks>
public sealed class LetterVerifier(NpgsqlDataSource dataSource, JournalStore journal, NoticeLetters letters)
{
    /// <summary>Verifies the letters of one dossier, or of every dossier when <paramref name="dossierId"/> is null.</summary>
    public async Task<LetterVerification> VerifyAsync(Guid? dossierId = null, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        var divergences = new List<Divergence>();
        var count = 0;
        var where = dossierId is null ? string.Empty : "WHERE n.dossier_id = $1";
        await using var conn = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var cmd = new NpgsqlCommand(
            $"""
            SELECT n.id, n.dossier_id, n.kind, n.template_id, n.template_version, n.dossier_seq, n.journal_seq, n.created_at,
                   {Notices.ReminderInfo.Columns}, l.html_sha256, l.html, {Notices.NoticeSnapshot.Columns}
            FROM notice n
            JOIN letter l ON l.notice_id = n.id
            {Notices.ReminderInfo.Joins}
            {where}
            ORDER BY n.dossier_id, n.id
            """, conn);
        if (dossierId is { } only)
        {
            cmd.Parameters.AddWithValue(only);
        }

        var group = new List<StoredLetterRow>();
        await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var row = Read(reader);
                if (group.Count > 0 && group[0].Notice.DossierId != row.Notice.DossierId)
                {
                    count += await VerifyDossierAsync(group, divergences, cancellationToken);
                    progress?.Report(count);
                    group.Clear();
                }

                group.Add(row);
            }
        }

        if (group.Count > 0)
        {
            count += await VerifyDossierAsync(group, divergences, cancellationToken);
        }

        // notice.sent events that name a notice without a stored letter (a deleted rendering).
        await using (var missing = new NpgsqlCommand(
            $"""
            SELECT j.dossier_id, j.dossier_seq, j.seq, j.arguments::jsonb ->> 'notice'
            FROM journal j
            WHERE j.kind = 'notice.sent' {(dossierId is null ? string.Empty : "AND j.dossier_id = $1")}
              AND (j.arguments::jsonb ? 'htmlSha256')
              AND NOT EXISTS (SELECT 1 FROM letter l WHERE l.notice_id::text = j.arguments::jsonb ->> 'notice')
            ORDER BY j.dossier_id, j.dossier_seq
            """, conn))
        {
            if (dossierId is { } only2)
            {
                missing.Parameters.AddWithValue(only2);
            }

            await using var r = await missing.ExecuteReaderAsync(cancellationToken);
            while (await r.ReadAsync(cancellationToken))
            {
                divergences.Add(new Divergence(r.GetGuid(0), r.GetInt32(1), r.GetInt64(2), $"letter {r.GetString(3)}", "a stored letter", "none (the journal records it as sent)"));
            }
        }

        progress?.Report(count);
        divergences.Sort((a, b) => a.DossierId == b.DossierId ? a.Seq.CompareTo(b.Seq) : Replayer.CompareUuid(a.DossierId, b.DossierId));
        return new LetterVerification(count, divergences);
    }

    private async Task<int> VerifyDossierAsync(List<StoredLetterRow> rows, List<Divergence> divergences, CancellationToken cancellationToken)
    {
        var dossierId = rows[0].Notice.DossierId;
        var events = await journal.ForDossierAsync(dossierId, cancellationToken);
        var sent = new Dictionary<string, JournalEvent>(StringComparer.Ordinal);
        foreach (var e in events)
        {
            if (e.Kind == "notice.sent" && CanonicalJson.ParseObject(e.Arguments)["notice"]?.GetValue<string>() is { } id)
            {
                sent[id] = e;
            }
        }

        foreach (var row in rows)
        {
            var n = row.Notice;
            var label = $"letter {n.NoticeId:D}";
            void Diverge(int dossierSeq, long seq, string what, string expected, string found) =>
                divergences.Add(new Divergence(dossierId, dossierSeq, seq, $"{label}: {what}", expected, found));

            var storedBytesHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(row.Html)));
            if (storedBytesHash != row.StoredHash)
            {
                Diverge(n.DossierSeq, n.JournalSeq, "stored html", row.StoredHash, storedBytesHash);
            }

            string recomputed;
            try
            {
                // The data as of the notice's snapshot (a reminder's: the dossier's version at the sweep), replayed.
                recomputed = letters.Render(dossierId, events, n.DossierSeq, n.Snapshot?.DataSeq ?? n.DossierSeq, n.TemplateId, n.TemplateVersion, TemplateNoticeComposer.ReminderFor(n)).HtmlSha256;
            }
            catch (Exception e) when (e is WorkflowException or Templates.LetterTemplateNotFoundException or Templates.LetterRenderException or KeyNotFoundException or InvalidOperationException)
            {
                Diverge(n.DossierSeq, n.JournalSeq, "re-rendering", "a letter", e.Message);
                continue;
            }

            if (recomputed != row.StoredHash)
            {
                Diverge(n.DossierSeq, n.JournalSeq, "html_sha256", recomputed, row.StoredHash);
            }

            if (sent.TryGetValue(n.NoticeId.ToString("D"), out var record))
            {
                var args = CanonicalJson.ParseObject(record.Arguments);
                var recorded = args["htmlSha256"]?.GetValue<string>() ?? string.Empty;
                if (recorded != recomputed)
                {
                    Diverge(record.DossierSeq, record.Seq, "htmlSha256 of notice.sent", recomputed, recorded);
                }

                var template = $"{args["template"]?.GetValue<string>()}.v{args["version"]?.ToJsonString()}";
                if (template != $"{n.TemplateId}.v{n.TemplateVersion}")
                {
                    Diverge(record.DossierSeq, record.Seq, "template of notice.sent", $"{n.TemplateId}.v{n.TemplateVersion}", template);
                }
            }
        }

        return rows.Count;
    }

    private static StoredLetterRow Read(NpgsqlDataReader r)
    {
        var notice = new NoticeToCompose(
            r.GetGuid(0), r.GetGuid(1), r.GetString(2), r.GetString(3), r.GetInt32(4), r.GetInt32(5), r.GetInt64(6),
            r.GetFieldValue<DateTimeOffset>(7), string.Empty, string.Empty, [], Notices.ReminderInfo.Read(r, 8), Notices.NoticeSnapshot.Read(r, 14));
        return new StoredLetterRow(notice, r.GetString(12), r.GetString(13));
    }

    private sealed record StoredLetterRow(NoticeToCompose Notice, string StoredHash, string Html);
}
