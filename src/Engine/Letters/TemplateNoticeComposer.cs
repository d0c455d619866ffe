using SubsidyEngine.Engine.Configuration;
using SubsidyEngine.Engine.Mail;
using SubsidyEngine.Engine.Notices;
using SubsidyEngine.Engine.Programmes;
using SubsidyEngine.Templates;

namespace SubsidyEngine.Engine.Letters;

/// <summary>
/// Composes a notice from its Scriban template: the letter is rendered from the notice's snapshot (the dossier data
/// its cause's transaction wrote with it, the template version the notice names), addressed from the same snapshot
/// to the submitting authority with the participating authorities in copy, and decision letters get their PDF
/// (headless Chromium). A reminder's stage and deadline come from the reminder row. A notice written before the
/// snapshot existed (migration 0030) is rendered from the journal, as the audit re-renders every letter.
/// </summary>
public sealed class TemplateNoticeComposer(NoticeLetters letters, ProgrammeCatalog programmes, IPdfRenderer pdf, NoticeOptions options) : INoticeComposer
{
    /// <summary>Letters that carry a PDF (decisions and formal notices); reminders and digests are mail only.</summary>
    public static readonly IReadOnlySet<string> WithPdf = new HashSet<string>(
        ["acknowledgement", "information-request", "ineligibility-decision", "award-decision", "award-final", "continuation-decision",
         "extension-notice", "recovery-preinformation", "settlement-decision", "closure"], StringComparer.Ordinal);

    /// <summary>
    /// The reminder details a reminder letter shows (stage, days overdue as of the notice's creation), or null for
    /// other notices. Part of the letter's inputs: the letter verifier uses the same mapping.
    /// </summary>
    public static Letters.ReminderInfo? ReminderFor(NoticeToCompose notice)
    {
        if (notice.Reminder is not { } r)
        {
            return null;
        }

        var stage = r.OffsetCode switch
        {
            "due" => "due-today",
            var c when c.StartsWith("overdue-", StringComparison.Ordinal) => "overdue",
            var c when r.DaysBefore is >= 8 => "30-days",
            _ => "7-days",
        };
        var daysOverdue = stage == "overdue" ? Math.Max(1, (int)Math.Floor((notice.CreatedAt - r.Due).TotalDays)) : 0;
        return new Letters.ReminderInfo(r.DeadlineKind, r.Due, stage, daysOverdue, notice.CreatedAt);
    }

    /// <summary>
    /// Whether letters of <see cref="WithPdf"/> get their PDF (default true). The scale bench turns it off for the
    /// programme runs it copies (it does not copy PDFs, docs/benchmarks.md "scale"); the service never does.
    /// </summary>
    public bool RenderPdfs { get; init; } = true;

    public async Task<ComposedNotice> ComposeAsync(NoticeToCompose notice, CancellationToken ct)
    {
        Templates.RenderedLetter letter;
        try
        {
            letter = await letters.RenderAsync(notice, ct);
        }
        catch (Exception e) when (e is Templates.LetterTemplateNotFoundException or Templates.LetterRenderException or ArgumentException or LetterModelException)
        {
            // Rendering the same snapshot (or journal) again gives the same error: permanent, so the notice is failed (and shown to
            // officers) instead of being retried in 'sending' for ever.
            throw new InvalidMailException($"letter {notice.TemplateId}.v{notice.TemplateVersion} cannot be rendered: {e.Message}", e);
        }

        var data = notice.DossierData;
        var to = new List<MailRecipient>();
        if (ProgrammeGuards.Str(data, "contact.email") is { Length: > 0 } email)
        {
            to.Add(new MailRecipient(ProgrammeGuards.Str(data, "contact.name"), email));
        }
        else if (notice.TemplateId == "checkpoint-digest" && ProgrammeGuards.Str(data, "recipient") is { Length: > 0 } auditors)
        {
            to.Add(new MailRecipient("Auditors", auditors)); // the audit dossier records the auditors' address
        }
        else
        {
            to.Add(new MailRecipient(options.FallbackRecipientName, options.FallbackRecipient));
        }

        var cc = ProgrammeGuards.Strings(data["participants"])
            .Select(id => programmes.Authorities.Find(id))
            .Where(a => a is not null && !string.IsNullOrWhiteSpace(a.ContactEmail))
            .Select(a => new MailRecipient(a!.Name, a.ContactEmail))
            .ToList();

        byte[]? bytes = null;
        string? fileName = null;
        if (RenderPdfs && WithPdf.Contains(notice.TemplateId))
        {
            bytes = await pdf.RenderAsync(letter, ct);
            fileName = $"{notice.TemplateId}-{ProgrammeGuards.Str(data, "reference") ?? notice.DossierId.ToString("N")}.pdf";
        }

        return new ComposedNotice
        {
            To = to,
            Cc = cc,
            Subject = letter.Subject,
            Html = letter.Html,
            Text = letter.Text,
            HtmlSha256 = letter.HtmlSha256,
            Pdf = bytes,
            PdfFileName = fileName,
        };
    }
}
