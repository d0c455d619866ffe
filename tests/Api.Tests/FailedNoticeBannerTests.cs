using System.Net;
using System.Text.RegularExpressions;
using Npgsql;

namespace SubsidyEngine.Api.Tests;

/// <summary>
/// A notice that failed for good does not go unnoticed: the officers' board shows a banner (in Dutch) linking to the
/// failed notices screen, which lists it with its error.
/// </summary>
public sealed class FailedNoticeBannerTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task A_failed_notice_puts_a_banner_on_the_officers_board_and_is_listed_on_the_failed_notices_screen()
    {
        var id = await api.CreateAbcAsync(ApiFactory.Genk, amount: 10m);
        var notice = Guid.NewGuid();
        await using (var ds = NpgsqlDataSource.Create(api.ConnectionString))
        await using (var cmd = ds.CreateCommand(
            """
            INSERT INTO notice (id, dossier_id, journal_seq, dossier_seq, kind, template_id, template_version, dedupe_key, next_attempt_at, created_at, status, failed_at, last_error, attempts)
            SELECT $1, dossier_id, seq, dossier_seq, 'letter', 'no-such-letter', 1, 'test:' || $1::text, now(), now(), 'failed', now(), 'letter no-such-letter.v1 cannot be rendered', 1
            FROM journal WHERE dossier_id = $2 ORDER BY dossier_seq DESC LIMIT 1
            """))
        {
            cmd.Parameters.AddWithValue(notice);
            cmd.Parameters.AddWithValue(id);
            await cmd.ExecuteNonQueryAsync();
        }

        using var officer = api.As("officer");
        var board = await officer.GetAsync("/board");
        Assert.Equal(HttpStatusCode.OK, board.StatusCode);
        var html = await board.Content.ReadAsStringAsync();
        Assert.Contains("id=\"failed-notices-banner\"", html, StringComparison.Ordinal);
        Assert.Contains("niet worden verzonden", html, StringComparison.Ordinal);
        Assert.Contains("href=\"/notices#h-failed\"", html, StringComparison.Ordinal);

        var screen = await (await officer.GetAsync("/notices")).Content.ReadAsStringAsync();
        Assert.Contains($"data-notice=\"{notice:D}\"", screen, StringComparison.Ordinal);
        Assert.Contains("cannot be rendered", screen, StringComparison.Ordinal);

        // The Dutch screen says in Dutch why; the dispatcher's technical text (English, quoting the mail server) is
        // kept for the operations team, collapsed and marked as English.
        Assert.Contains("De brief kon niet worden opgemaakt", screen, StringComparison.Ordinal);
        Assert.Contains("<code lang=\"en\">letter no-such-letter.v1 cannot be rendered</code>", screen, StringComparison.Ordinal);
        Assert.DoesNotContain("cannot be rendered", Regex.Replace(screen, "<details.*?</details>", string.Empty, RegexOptions.Singleline), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_notice_the_mail_server_refused_is_explained_in_Dutch_on_the_failed_notices_screen()
    {
        var id = await api.CreateAbcAsync(ApiFactory.Genk, amount: 11m);
        var notice = Guid.NewGuid();
        // The error as the dispatcher records a recipient refused by a real SMTP server (see SmtpMailTransport, RetryPolicy).
        const string error = "permanent failure: SMTP server 127.0.0.1:2525: recipient reject.genk@test.invalid refused: 550 5.1.1 <reject.genk@test.invalid>: mailbox unavailable";
        await using (var ds = NpgsqlDataSource.Create(api.ConnectionString))
        await using (var cmd = ds.CreateCommand(
            """
            INSERT INTO notice (id, dossier_id, journal_seq, dossier_seq, kind, template_id, template_version, dedupe_key, next_attempt_at, created_at, status, failed_at, last_error, attempts)
            SELECT $1, dossier_id, seq, dossier_seq, 'letter', 'acknowledgement', 2, 'test:' || $1::text, now(), now(), 'failed', now(), $3, 1
            FROM journal WHERE dossier_id = $2 ORDER BY dossier_seq DESC LIMIT 1
            """))
        {
            cmd.Parameters.AddWithValue(notice);
            cmd.Parameters.AddWithValue(id);
            cmd.Parameters.AddWithValue(error);
            await cmd.ExecuteNonQueryAsync();
        }

        using var officer = api.As("officer");
        var screen = WebUtility.HtmlDecode(await (await officer.GetAsync("/notices")).Content.ReadAsStringAsync());
        var row = Regex.Match(screen, $"<tr data-notice=\"{notice:D}\">.*?</tr>", RegexOptions.Singleline).Value;
        Assert.Contains("Ontvangstbevestiging", row, StringComparison.Ordinal); // the letter's Dutch name, not its template id
        Assert.Contains("De mailserver weigerde de ontvanger reject.genk@test.invalid (SMTP-code 550 5.1.1).", row, StringComparison.Ordinal);
        var visible = Regex.Replace(Regex.Replace(row, "<details.*?</details>", string.Empty, RegexOptions.Singleline), "<[^>]+>", " ");
        Assert.DoesNotMatch(@"\b(permanent|failure|refused|mailbox|unavailable|acknowledgement)\b", visible);
    }
}
