using System.Text;
using MimeKit;
using SubsidyEngine.Engine.Mail;

namespace SubsidyEngine.Engine.Tests.Mail;

public sealed class MessageComposerTests
{
    private readonly MessageComposer _composer = new(MailSamples.Options());

    private static string Raw(MimeMessage message) =>
        Encoding.UTF8.GetString(MessageComposer.ToBytesAsync(message, CancellationToken.None).GetAwaiter().GetResult());

    private static MimeMessage Reparse(MimeMessage message)
    {
        using var stream = new MemoryStream(MessageComposer.ToBytesAsync(message, CancellationToken.None).GetAwaiter().GetResult());
        return MimeMessage.Load(stream);
    }

    [Fact]
    public void A_letter_is_mixed_with_an_alternative_text_and_html_part_and_the_pdf()
    {
        var letter = MailSamples.Letter();

        var mime = Reparse(_composer.Compose(letter, MailSamples.Now));

        var mixed = Assert.IsType<Multipart>(mime.Body);
        Assert.Equal("multipart/mixed", mixed.ContentType.MimeType);
        Assert.Equal(2, mixed.Count);
        var alternative = Assert.IsType<MultipartAlternative>(mixed[0]);
        var text = Assert.IsType<TextPart>(alternative[0]);
        var html = Assert.IsType<TextPart>(alternative[1]);
        Assert.Equal("text/plain", text.ContentType.MimeType);
        Assert.Equal("utf-8", text.ContentType.Charset);
        Assert.Equal(letter.TextBody, text.Text.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n'));
        Assert.Equal("text/html", html.ContentType.MimeType);
        Assert.Contains("€ 12.500,00", html.Text, StringComparison.Ordinal);
        var pdf = Assert.IsType<MimePart>(mixed[1]);
        Assert.Equal("application/pdf", pdf.ContentType.MimeType);
        Assert.True(pdf.IsAttachment);
        Assert.Equal("beslissing-PS-2024-0042.pdf", pdf.FileName);
        using var bytes = new MemoryStream();
        pdf.Content!.DecodeTo(bytes);
        Assert.Equal(MailSamples.Pdf(), bytes.ToArray());
    }

    [Fact]
    public void Message_id_is_derived_from_the_notice_id_and_the_from_domain()
    {
        var id = Guid.Parse("0b7e3c1a-5d2f-4e8a-9c61-2f4d8e0a7b13");

        var mime = _composer.Compose(MailSamples.Letter(id), MailSamples.Now);

        Assert.Equal("notice-0b7e3c1a5d2f4e8a9c612f4d8e0a7b13@subsidy-engine.abb.example.be", mime.MessageId);
        Assert.Contains("Message-Id: <notice-0b7e3c1a5d2f4e8a9c612f4d8e0a7b13@subsidy-engine.abb.example.be>", Raw(mime), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(mime.MessageId, MessageComposer.MessageIdFor(id, "noreply-samenleven@ABB.example.be"));
    }

    [Fact]
    public void Composing_the_same_notice_at_the_same_time_gives_the_same_bytes()
    {
        var letter = MailSamples.Letter();

        var first = Raw(_composer.Compose(letter, MailSamples.Now));
        var second = Raw(_composer.Compose(letter, MailSamples.Now));

        Assert.Equal(first, second);
        Assert.Contains("\r\n", first, StringComparison.Ordinal);
    }

    [Fact]
    public void Date_from_and_extra_headers_come_from_the_clock_the_settings_and_the_message()
    {
        var letter = MailSamples.Letter();

        var mime = Reparse(_composer.Compose(letter, MailSamples.Now));

        Assert.Equal(MailSamples.Now, mime.Date);
        var from = Assert.Single(mime.From.Mailboxes);
        Assert.Equal("noreply-samenleven@abb.example.be", from.Address);
        Assert.Equal("Agentschap Binnenlands Bestuur", from.Name);
        Assert.Equal("PS-2024-0042", mime.Headers[OutgoingMessage.ReferenceHeader]);
        Assert.Equal(letter.NoticeId.ToString("D"), mime.Headers[OutgoingMessage.NoticeHeader]);
        Assert.Equal("auto-generated", mime.Headers["Auto-Submitted"]);
    }

    [Fact]
    public void Non_ascii_subjects_and_display_names_with_quotes_are_encoded_and_read_back_unchanged()
    {
        var letter = MailSamples.Letter() with
        {
            To = [new MailRecipient("Schepen \"Jef\" Dubois, <evil@x.example>", "jef.dubois@gemeente.example.be")],
        };

        var composed = _composer.Compose(letter, MailSamples.Now);
        var raw = Raw(composed);
        var mime = Reparse(composed);

        Assert.DoesNotContain("ë", raw.Split("\r\n\r\n")[0], StringComparison.Ordinal); // headers are 7-bit
        Assert.Equal(MailSamples.Subject, mime.Subject);
        var to = Assert.Single(mime.To.Mailboxes);
        Assert.Equal("Schepen \"Jef\" Dubois, <evil@x.example>", to.Name);
        Assert.Equal("jef.dubois@gemeente.example.be", to.Address);
        Assert.Equal("Zoë Van den Broeck", Assert.Single(mime.Cc.Mailboxes).Name);
    }

    [Theory]
    [InlineData("Award\r\nBcc: evil@x.example", "Award Bcc: evil@x.example")]
    [InlineData("Award\nBcc: evil@x.example", "Award Bcc: evil@x.example")]
    [InlineData("Award\r\n\r\nbody injection", "Award body injection")]
    [InlineData("Award\u2028Bcc: evil@x.example", "Award Bcc: evil@x.example")]
    [InlineData("  Award\t\tnr. 1  ", "Award nr. 1")]
    public void Line_breaks_in_the_subject_become_spaces_and_never_make_a_header(string subject, string expected)
    {
        var mime = Reparse(_composer.Compose(MailSamples.Letter() with { Subject = subject }, MailSamples.Now));

        Assert.Equal(expected, mime.Subject);
        Assert.Empty(mime.Bcc);
        Assert.DoesNotContain(mime.Headers, h => h.Field.Equals("Bcc", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(2, mime.To.Count + mime.Cc.Count);
    }

    [Theory]
    [InlineData("a@x.example\r\nBcc: evil@x.example")]
    [InlineData("a@x.example\nBcc: evil@x.example")]
    [InlineData("a@x.example, evil@x.example")]
    [InlineData("a@x.example;evil@x.example")]
    [InlineData("Jan <a@x.example>")]
    [InlineData("<a@x.example>")]
    [InlineData("a@x.example evil@x.example")]
    [InlineData("\"a,b\"@x.example")]
    [InlineData("undisclosed:evil@x.example;")]
    [InlineData("a@b@x.example")]
    [InlineData("no-at-sign")]
    [InlineData("@x.example")]
    [InlineData("a@")]
    [InlineData("")]
    [InlineData("   ")]
    public void An_address_that_is_not_exactly_one_plain_mailbox_is_refused_naming_the_field(string address)
    {
        var letter = MailSamples.Letter() with
        {
            Cc = [MailRecipient.Of("ok@x.example"), new MailRecipient("Smuggler", address)],
        };

        var e = Assert.Throws<InvalidMailException>(() => _composer.Compose(letter, MailSamples.Now));

        Assert.Equal("Cc[1].Address", e.Field);
        Assert.False(e.Transient);
        Assert.Contains("Cc[1].Address", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Jan\r\nBcc: evil@x.example")]
    [InlineData("Jan\nBcc: evil@x.example")]
    [InlineData("Jan\0")]
    public void A_display_name_with_a_line_break_is_refused(string name)
    {
        var letter = MailSamples.Letter() with { To = [new MailRecipient(name, "jan@x.example")] };

        var e = Assert.Throws<InvalidMailException>(() => _composer.Compose(letter, MailSamples.Now));

        Assert.Equal("To[0].Name", e.Field);
    }

    [Theory]
    [InlineData("X-Subsidy-Reference", "PS-1\r\nBcc: evil@x.example", "Headers[X-Subsidy-Reference]")]
    [InlineData("Bcc", "evil@x.example", "Headers[Bcc]")]
    [InlineData("X-Bad Name", "v", "Headers[X-Bad Name]")]
    [InlineData("X-Subsidy-Notice", "v", "Headers[X-Subsidy-Notice]")]
    public void Extra_headers_must_be_x_headers_with_one_line_values(string name, string value, string field)
    {
        var letter = MailSamples.Letter() with { Headers = new Dictionary<string, string> { [name] = value } };

        var e = Assert.Throws<InvalidMailException>(() => _composer.Compose(letter, MailSamples.Now));

        Assert.Equal(field, e.Field);
    }

    [Fact]
    public void A_message_without_recipients_or_with_an_empty_subject_is_refused()
    {
        Assert.Equal("To", Assert.Throws<InvalidMailException>(() => _composer.Compose(MailSamples.Letter() with { To = [] }, MailSamples.Now)).Field);
        Assert.Equal("Subject", Assert.Throws<InvalidMailException>(() => _composer.Compose(MailSamples.Letter() with { Subject = "\r\n" }, MailSamples.Now)).Field);
    }

    [Theory]
    [InlineData("../../etc/passwd", "Attachments[0].FileName")]
    [InlineData("brief\r\n.pdf", "Attachments[0].FileName")]
    public void Attachment_names_must_be_bare_file_names(string fileName, string field)
    {
        var letter = MailSamples.Letter() with { Attachments = [MailAttachment.Pdf(fileName, [1, 2, 3])] };

        Assert.Equal(field, Assert.Throws<InvalidMailException>(() => _composer.Compose(letter, MailSamples.Now)).Field);
    }

    [Fact]
    public void A_text_only_message_without_attachments_is_a_single_text_part()
    {
        var letter = MailSamples.Letter() with { HtmlBody = null, Attachments = [] };

        var mime = Reparse(_composer.Compose(letter, MailSamples.Now));

        var text = Assert.IsType<TextPart>(mime.Body);
        Assert.Equal("text/plain", text.ContentType.MimeType);
    }

    [Fact]
    public void An_invalid_configured_sender_is_refused_when_the_composer_is_made()
    {
        var options = MailSamples.Options();
        options.From = "noreply@abb.example.be, evil@x.example";

        Assert.Equal("From", Assert.Throws<InvalidMailException>(() => new MessageComposer(options)).Field);
    }

    [Fact]
    public void A_non_ascii_attachment_name_is_encoded_and_read_back_unchanged()
    {
        var letter = MailSamples.Letter() with { Attachments = [MailAttachment.Pdf("beslissing Sint-Genesius-Rode — ë.pdf", [1, 2, 3])] };

        var composed = _composer.Compose(letter, MailSamples.Now);
        var mime = Reparse(composed);

        Assert.Equal("beslissing Sint-Genesius-Rode — ë.pdf", Assert.Single(mime.Attachments).ContentDisposition!.FileName);
        Assert.DoesNotContain("ë", Raw(composed), StringComparison.Ordinal); // 7-bit on the wire
    }
}
