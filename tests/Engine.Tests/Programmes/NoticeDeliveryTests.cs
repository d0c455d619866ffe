using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SubsidyEngine.Engine.Audit;
using SubsidyEngine.Engine.Notices;
using SubsidyEngine.Testing;

namespace SubsidyEngine.Engine.Tests.Programmes;

/// <summary>
/// Every notice kind reaches a real SMTP server, and one that cannot be sent is failed and shown, never left in
/// <c>sending</c>: the auditors' checkpoint digest, a notice whose template cannot be rendered.
/// </summary>
public sealed partial class NoticeDeliveryTests(PostgresDatabase db, SmtpTestServer smtp) : IClassFixture<PostgresDatabase>, IClassFixture<SmtpTestServer>, IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        await db.ResetAsync();
        smtp.Clear();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<string> StatusAsync(Guid notice)
    {
        await using var cmd = db.DataSource.CreateCommand("SELECT status FROM notice WHERE id = $1");
        cmd.Parameters.AddWithValue(notice);
        return (string)(await cmd.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task The_checkpoint_digest_reaches_the_auditors_with_the_checkpoint_hash_named_for_what_it_is()
    {
        await using var h = new LetterMailHarness(db, smtp, new DateTimeOffset(2023, 6, 1, 9, 0, 0, TimeSpan.FromHours(2)));
        await h.SubmittedApplicationAsync();
        await h.SweepAsync();
        var checkpoints = new CheckpointService(db.DataSource, h.Clock, h.Runtime) { AuditorsAddress = "audit@abb.example.be" };

        var (checkpoint, _) = await checkpoints.TakeAsync();
        await h.SweepAsync();

        var digest = Assert.Single(await h.SentAsync(), m => m.Template == "checkpoint-digest");
        Assert.Equal(["audit@abb.example.be"], digest.Recipients);
        Assert.Contains(checkpoint.Hash, digest.Text, StringComparison.Ordinal);
        Assert.Contains(checkpoint.HeadDigest, digest.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("Hash van de laatste gebeurtenis", digest.Text, StringComparison.Ordinal);
        Assert.Contains("controlepunt", digest.Text, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM notice WHERE status IN ('pending', 'sending')"));
        Assert.True((await h.Programme.Replayer.ReplayAsync(CheckpointService.AuditDossierId)).Ok);
    }

    [Fact]
    public async Task A_notice_whose_letter_cannot_be_rendered_is_failed_and_listed_instead_of_staying_in_sending()
    {
        await using var h = new LetterMailHarness(db, smtp, new DateTimeOffset(2023, 6, 1, 9, 0, 0, TimeSpan.FromHours(2)));
        var (_, app) = await h.SubmittedApplicationAsync();
        await h.SweepAsync();

        // A notice naming a template this build does not have (a definition and a deployment out of step).
        var broken = Guid.NewGuid();
        await using (var cmd = db.DataSource.CreateCommand(
            """
            INSERT INTO notice (id, dossier_id, journal_seq, dossier_seq, kind, template_id, template_version, dedupe_key, next_attempt_at, created_at)
            SELECT $1, dossier_id, seq, dossier_seq, 'letter', 'no-such-letter', 1, 'test:' || $1::text, $2, $2
            FROM journal WHERE dossier_id = $3 ORDER BY dossier_seq DESC LIMIT 1
            """))
        {
            cmd.Parameters.AddWithValue(broken);
            cmd.Parameters.AddWithValue(h.Clock.GetUtcNow());
            cmd.Parameters.AddWithValue(app);
            await cmd.ExecuteNonQueryAsync();
        }

        // The server's dispatcher reports a notice that failed for good to Subsidy:Smtp:OperationsAddress.
        var dispatcher = new NoticeDispatcher(db.DataSource, h.Runtime, h.Composer, h.Transport, h.Clock, h.Options.Notices) { OperationsAddress = "ops@abb.example.be", PublicBaseUrl = "https://subsidies.example.be/" };
        await dispatcher.DispatchDueAsync();
        h.Clock.Advance(TimeSpan.FromHours(2)); // past any lease
        await dispatcher.DispatchDueAsync();

        Assert.Equal("failed", await StatusAsync(broken));
        var operations = Assert.Single(await h.SentAsync(), m => m.Recipients.Contains("ops@abb.example.be"));
        Assert.Contains(broken.ToString("D"), operations.Text, StringComparison.Ordinal);
        Assert.Contains("no-such-letter", operations.Text, StringComparison.Ordinal);
        // It names the screen as the officers see it and links to it with an address a mail reader can open.
        Assert.Contains("'Mislukte berichten' op het scherm Opvolging (https://subsidies.example.be/notices#h-failed)", operations.Text, StringComparison.Ordinal);
        var failed = Assert.Single(await h.Queries.ListFailedAsync());
        Assert.Equal(broken, failed.NoticeId);
        Assert.Contains("no-such-letter", failed.LastError, StringComparison.Ordinal);
        Assert.Equal(1, await CountAsync($"SELECT count(*) FROM journal WHERE kind = 'notice.failed' AND dossier_id = '{app}'"));
        Assert.True((await h.Programme.Replayer.ReplayAsync(app)).Ok);
    }

    [GeneratedRegex(@"BE\d{2}(?: ?\d{4}){3}")]
    private static partial Regex BelgianIban();

    [GeneratedRegex(@"<div class=""signature"">.*?</div>", RegexOptions.Singleline)]
    private static partial Regex SignatureBlock();

    /// <summary>ISO 13616 mod-97, computed here: the check the bank does.</summary>
    private static bool Mod97(string iban)
    {
        var s = iban.Replace(" ", string.Empty, StringComparison.Ordinal);
        var rearranged = s[4..] + s[..4];
        var digits = string.Concat(rearranged.Select(c => char.IsAsciiLetter(c) ? (char.ToUpperInvariant(c) - 'A' + 10).ToString(System.Globalization.CultureInfo.InvariantCulture) : c.ToString()));
        var remainder = 0;
        foreach (var d in digits)
        {
            remainder = ((remainder * 10) + (d - '0')) % 97;
        }

        return remainder == 1;
    }

    [Fact]
    public async Task The_letters_of_an_award_and_of_an_information_request_read_as_formal_Dutch_with_the_account_and_unbroken_amounts()
    {
        await using var h = new LetterMailHarness(db, smtp, new DateTimeOffset(2023, 6, 1, 9, 0, 0, TimeSpan.FromHours(2)));
        var antwerpen = Guid.Empty;
        var (call, genk) = await h.Programme.AwardedCooperationAsync(async () =>
        {
            // Antwerpen applies while the window is open (a call refuses applications outside it).
            antwerpen = (await h.Programme.Service.StartApplicationAsync("plan-samenleven", "2023", "11002", [], ProgrammeHarness.Municipality("11002"))).DossierId;
            await h.FireAsync(antwerpen, "save-draft", new JsonObject { ["application"] = ProgrammeHarness.Application(("2.1", 100, 1, 60m)) }, ProgrammeHarness.Municipality("11002"));
            await h.FireAsync(antwerpen, "submit", null, ProgrammeHarness.Municipality("11002"));
        });
        await h.FireAsync(antwerpen, "request-information", new JsonObject { ["questions"] = "Welke partners werken mee?", ["deadline"] = "2023-07-31" }, LetterMailHarness.Officer);
        await h.RunDailyUntilAsync(new DateOnly(2023, 7, 31));
        h.Clock.SetUtcNow(new DateTimeOffset(2023, 9, 25, 8, 0, 0, TimeSpan.Zero));
        await h.FireAsync(call, "record-government-decision", new JsonObject { ["date"] = "2023-09-22" }, LetterMailHarness.Officer);
        await h.FireAsync(genk, "confirm-award", null, LetterMailHarness.Officer);
        await h.SweepAsync();

        var mails = await h.SentAsync();
        Assert.Contains(mails, m => m.Template == "report-reminder" && m.Dossier == antwerpen);
        foreach (var m in mails.Where(m => m.Template != "checkpoint-digest"))
        {
            var signature = SignatureBlock().Match(m.Html);
            Assert.True(signature.Success, $"{m.Template}: no signature block");
            Assert.Equal(1, Regex.Count(signature.Value, "Agentschap Binnenlands Bestuur"));
            Assert.DoesNotContain("de het ", m.Text, StringComparison.Ordinal);
            Assert.DoesNotMatch(@"€ \d", m.Html); // "€" and its amount joined by a no-break space, never a breakable one
        }

        var final = Assert.Single(mails, m => m.Template == "award-final");
        var iban = BelgianIban().Match(final.Text);
        Assert.True(iban.Success, final.Text);
        Assert.True(Mod97(iban.Value), iban.Value);
        Assert.DoesNotContain("rekeningnummer het rekeningnummer", final.Text, StringComparison.Ordinal);
    }

    private async Task<long> CountAsync(string sql)
    {
        await using var cmd = db.DataSource.CreateCommand(sql);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync());
    }
}
