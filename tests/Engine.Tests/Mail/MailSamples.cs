using Microsoft.Extensions.Time.Testing;
using SubsidyEngine.Engine.Configuration;
using SubsidyEngine.Engine.Mail;

namespace SubsidyEngine.Engine.Tests.Mail;

/// <summary>Made-up messages for the mail tests: a decision letter to a municipality with a PDF.</summary>
internal static class MailSamples
{
    public static readonly DateTimeOffset Now = new(2024, 3, 15, 9, 30, 0, TimeSpan.Zero);

    public const string Subject = "Uw aanvraag Plan Samenleven: beslissing — ë";

    public static FakeTimeProvider Clock() => new(Now);

    public static SmtpOptions Options() => new()
    {
        From = "noreply-samenleven@abb.example.be",
        FromName = "Agentschap Binnenlands Bestuur",
    };

    /// <summary>Bytes that look like a PDF and include every byte value, so any encoding damage shows.</summary>
    public static byte[] Pdf()
    {
        var header = "%PDF-1.7\n%\u00e2\u00e3\u00cf\u00d3\n"u8.ToArray();
        var all = Enumerable.Range(0, 256).Select(i => (byte)i);
        return [.. header, .. all, .. all.Reverse(), .. "\n%%EOF\n"u8.ToArray()];
    }

    public static OutgoingMessage Letter(Guid? noticeId = null) => new()
    {
        NoticeId = noticeId ?? Guid.NewGuid(),
        To = [new MailRecipient("Gemeente Sint-Genesius-Rode", "subsidies@sint-genesius-rode.example.be")],
        Cc = [new MailRecipient("Zoë Van den Broeck", "zoe.vandenbroeck@sint-genesius-rode.example.be")],
        Subject = Subject,
        TextBody = "Geachte,\n\nHierbij de beslissing over uw aanvraag (€ 12.500,00).\n\nMet vriendelijke groet,\nABB",
        HtmlBody = "<p>Geachte,</p><p>Hierbij de beslissing over uw aanvraag (€ 12.500,00).</p>",
        Attachments = [MailAttachment.Pdf("beslissing-PS-2024-0042.pdf", Pdf())],
        Headers = new Dictionary<string, string>
        {
            [OutgoingMessage.DossierHeader] = "3f2c6a1e-0000-4000-8000-000000000042",
            [OutgoingMessage.ReferenceHeader] = "PS-2024-0042",
        },
    };
}
