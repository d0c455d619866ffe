using MimeKit;
using SubsidyEngine.Engine.Audit;
using SubsidyEngine.Engine.Configuration;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Engine.Letters;
using SubsidyEngine.Engine.Mail;
using SubsidyEngine.Engine.Notices;
using SubsidyEngine.Pdf;
using SubsidyEngine.Testing;

namespace SubsidyEngine.Engine.Tests.Programmes;

/// <summary>The real letters through the real dispatcher to a real SMTP server.</summary>
public sealed class DecisionLetterMailTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    public async Task InitializeAsync() => await db.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task An_award_decision_reaches_the_municipality_once_with_its_pdf_and_the_amounts_in_nl_BE()
    {
        var h = new ProgrammeHarness(db, new DateTimeOffset(2023, 6, 1, 9, 0, 0, TimeSpan.FromHours(2)));
        // Genk applies as the submitter of a cooperation with As: As is copied on every letter.
        var (_, app) = await h.AwardedCooperationAsync();

        using var smtp = await SmtpTestServer.StartNewAsync();
        var options = new SubsidyOptions { Smtp = smtp.CreateSmtpOptions(), Notices = new NoticeOptions() };
        await using var pdf = new PdfRenderer();
        var letters = new NoticeLetters(new JournalStore(db.DataSource), h.Catalog, new LetterModelBuilder(ProgrammeHarness.Programmes, LetterSettings.Default("http://127.0.0.1:5080")), new Templates.LetterRenderer());
        var composer = new TemplateNoticeComposer(letters, ProgrammeHarness.Programmes, pdf, options.Notices);
        await using var transport = new SmtpMailTransport(options.Smtp, h.Clock);
        var dispatcher = new NoticeDispatcher(db.DataSource, h.Runtime, composer, transport, h.Clock, options.Notices);

        await dispatcher.DispatchDueAsync();
        await dispatcher.DispatchDueAsync(); // a second run sends nothing again

        var mails = await smtp.WaitForMessagesAsync(2, TimeSpan.FromSeconds(30)); // acknowledgement + award decision
        Assert.Equal(2, mails.Count);
        var award = Assert.Single(mails, m => (m.Message.HtmlBody ?? string.Empty).Contains("onder voorbehoud", StringComparison.Ordinal));
        // Genk qualifies alone and takes in As: the eligibility decision grants the cooperation bonus (EUR 10,000 for
        // the project year), which nobody had to ask for: 62,000 for the actions + 10,000, advance 60 %.
        Assert.Contains("€\u00A072.000,00", award.Message.HtmlBody!, StringComparison.Ordinal);
        Assert.Contains("€\u00A043.200,00", award.Message.HtmlBody!, StringComparison.Ordinal);
        Assert.Equal("plan-samenleven.71016@example.invalid", award.Message.To.Mailboxes.Single().Address);
        Assert.Equal("plan-samenleven.71002@example.invalid", award.Message.Cc.Mailboxes.Single().Address);
        var attachment = Assert.Single(award.Message.Attachments.OfType<MimePart>());
        Assert.Equal("application/pdf", attachment.ContentType.MimeType);
        using var bytes = new MemoryStream();
        await attachment.Content!.DecodeToAsync(bytes);
        Assert.StartsWith("%PDF", System.Text.Encoding.ASCII.GetString(bytes.ToArray(), 0, 4), StringComparison.Ordinal);

        var journal = await new JournalStore(db.DataSource).ForDossierAsync(app);
        Assert.Equal(2, journal.Count(e => e.Kind == "notice.sent"));
        Assert.True((await h.Replayer.ReplayAsync(app)).Ok);
    }
}
