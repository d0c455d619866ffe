using System.Text;
using System.Text.Json.Nodes;
using Npgsql;
using SubsidyEngine.Engine.Access;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Templates;

namespace SubsidyEngine.Engine.Letters;

/// <summary>A letter (or reminder) of a dossier: its notice, and whether its rendering is stored (composed for sending).</summary>
public sealed record LetterSummary(
    Guid NoticeId, int DossierSeq, string Kind, string TemplateId, int TemplateVersion, string Status, DateTimeOffset CreatedAt, DateTimeOffset? SentAt,
    bool Stored, string? Subject, string? HtmlSha256, bool HasPdf);

/// <summary>A letter's HTML: the stored rendering (the bytes that were or will be sent) or, before that exists, the rendering the dispatcher will send (from the notice's snapshot).</summary>
public sealed record LetterHtml(LetterSummary Letter, string Subject, string Html, string HtmlSha256, bool Stored);

/// <summary>A letter's PDF and its file name.</summary>
public sealed record LetterPdf(LetterSummary Letter, byte[] Bytes, string FileName, bool Stored);

/// <summary>
/// The letters of a dossier as a reader sees them, shared by the letter screen and the letters API. Visibility is
/// the caller's <see cref="AccessScope"/> in the SQL (a foreign dossier's letters do not exist for it). A stored
/// rendering (table <c>letter</c>, migration 0002) is served as stored; a notice not composed yet is read and
/// rendered as the dispatcher will (<see cref="Notices.NoticeQueries.ReadNoticeAsync"/>,
/// <see cref="NoticeLetters.RenderAsync(Notices.NoticeToCompose, CancellationToken)"/>: from the notice's snapshot),
/// so the preview has the bytes that will be sent.
/// </summary>
public sealed class DossierLetters(NpgsqlDataSource dataSource, NoticeLetters letters, IPdfRenderer pdf, WorkflowRuntime runtime)
{
    private const string Select =
        "SELECT n.id, n.dossier_seq, n.kind, n.template_id, n.template_version, n.status, n.created_at, n.sent_at, " +
        "l.notice_id IS NOT NULL, l.subject, l.html_sha256, l.pdf IS NOT NULL FROM notice n JOIN dossier d ON d.id = n.dossier_id " +
        "LEFT JOIN letter l ON l.notice_id = n.id WHERE n.dossier_id = $1";

    /// <summary>The dossier's letters in creation order; null when the dossier is not visible (or does not exist).</summary>
    public async Task<IReadOnlyList<LetterSummary>?> ListAsync(AccessScope scope, Guid dossierId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var visibleParameters = new List<NpgsqlParameter> { new() { Value = dossierId } };
        var visible = new StringBuilder("SELECT EXISTS (SELECT 1 FROM dossier d WHERE d.id = $1");
        scope.AppendDossierFilter(visible, visibleParameters);
        await using (var check = dataSource.CreateCommand(visible.Append(')').ToString()))
        {
            check.Parameters.AddRange(visibleParameters.ToArray());
            if (await check.ExecuteScalarAsync(cancellationToken) is not true)
            {
                return null;
            }
        }

        var parameters = new List<NpgsqlParameter> { new() { Value = dossierId } };
        var sql = new StringBuilder(Select);
        scope.AppendDossierFilter(sql, parameters);
        await using var cmd = dataSource.CreateCommand(sql.Append(" ORDER BY n.created_at, n.id").ToString());
        cmd.Parameters.AddRange(parameters.ToArray());
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var list = new List<LetterSummary>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(Read(reader));
        }

        return list;
    }

    /// <summary>One letter of a visible dossier, or null.</summary>
    public async Task<LetterSummary?> FindAsync(AccessScope scope, Guid dossierId, Guid noticeId, CancellationToken cancellationToken = default)
    {
        var parameters = new List<NpgsqlParameter> { new() { Value = dossierId }, new() { Value = noticeId } };
        var sql = new StringBuilder(Select + " AND n.id = $2");
        scope.AppendDossierFilter(sql, parameters);
        await using var cmd = dataSource.CreateCommand(sql.ToString());
        cmd.Parameters.AddRange(parameters.ToArray());
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    /// <summary>The letter's HTML (stored, else rendered as the dispatcher will send it); null when not visible.</summary>
    public async Task<LetterHtml?> HtmlAsync(AccessScope scope, Guid dossierId, Guid noticeId, CancellationToken cancellationToken = default)
    {
        var letter = await FindAsync(scope, dossierId, noticeId, cancellationToken);
        if (letter is null)
        {
            return null;
        }

        if (letter.Stored)
        {
            await using var cmd = dataSource.CreateCommand("SELECT subject, html, html_sha256 FROM letter WHERE notice_id = $1");
            cmd.Parameters.AddWithValue(noticeId);
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                return new LetterHtml(letter, reader.GetString(0), reader.GetString(1), reader.GetString(2), true);
            }
        }

        // Not composed yet: the preview is what the dispatcher will send, the notice read and rendered as it does.
        var notice = await Notices.NoticeQueries.ReadNoticeAsync(dataSource, noticeId, cancellationToken);
        if (notice is null)
        {
            return null;
        }

        var rendered = await letters.RenderAsync(notice, cancellationToken);
        return new LetterHtml(letter, rendered.Subject, rendered.Html, rendered.HtmlSha256, false);
    }

    /// <summary>The letter's PDF (stored, else printed from its HTML); null when not visible.</summary>
    public async Task<LetterPdf?> PdfAsync(AccessScope scope, Guid dossierId, Guid noticeId, CancellationToken cancellationToken = default)
    {
        var letter = await FindAsync(scope, dossierId, noticeId, cancellationToken);
        if (letter is null)
        {
            return null;
        }

        var fileName = $"{letter.TemplateId}-{dossierId:N}.pdf";
        if (letter.HasPdf)
        {
            await using var cmd = dataSource.CreateCommand("SELECT pdf, pdf_file_name FROM letter WHERE notice_id = $1");
            cmd.Parameters.AddWithValue(noticeId);
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken) && !reader.IsDBNull(0))
            {
                return new LetterPdf(letter, reader.GetFieldValue<byte[]>(0), reader.IsDBNull(1) ? fileName : reader.GetString(1), true);
            }
        }

        var html = await HtmlAsync(scope, dossierId, noticeId, cancellationToken);
        return html is null ? null : new LetterPdf(letter, await pdf.RenderAsync(html.Html, cancellationToken), fileName, false);
    }

    /// <summary>
    /// Records <c>letter.opened</c> when a user of the addressee opens a letter: once per notice and user (idempotency
    /// key), attributed to the user. A letter is addressed to the dossier's submitting authority (its owner), so only
    /// its users' reading is a receipt; a participating authority reads the letter and writes nothing (its reading
    /// would mark the letter read on the owner's portal), and officers, auditors and admins record nothing either.
    /// </summary>
    public async Task RecordOpenedAsync(AccessScope scope, Guid dossierId, Guid noticeId, string templateId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        if (!scope.IsMunicipality || scope.AuthorityId is null)
        {
            return;
        }

        await using (var owner = dataSource.CreateCommand("SELECT owner FROM dossier WHERE id = $1"))
        {
            owner.Parameters.AddWithValue(dossierId);
            if (await owner.ExecuteScalarAsync(cancellationToken) is not string authority || authority != scope.AuthorityId)
            {
                return;
            }
        }

        await runtime.AppendRecordAsync(dossierId, "letter.opened", new JsonObject { ["notice"] = noticeId.ToString("D"), ["template"] = templateId },
            scope.Actor, $"letter.opened:{noticeId:D}:{scope.UserId}", cancellationToken: cancellationToken);
    }

    private static LetterSummary Read(NpgsqlDataReader r) => new(
        r.GetGuid(0), r.GetInt32(1), r.GetString(2), r.GetString(3), r.GetInt32(4), r.GetString(5), r.GetFieldValue<DateTimeOffset>(6),
        r.IsDBNull(7) ? null : r.GetFieldValue<DateTimeOffset>(7), r.GetBoolean(8), r.IsDBNull(9) ? null : r.GetString(9), r.IsDBNull(10) ? null : r.GetString(10), r.GetBoolean(11));
}
