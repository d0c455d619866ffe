namespace SubsidyEngine.Engine.Mail;

/// <summary>
/// One e-mail to send for one outbox <c>notice</c> row: already rendered (subject, bodies, PDF letter), not yet
/// encoded. <see cref="MessageComposer"/> turns it into MIME and refuses anything that could inject headers.
/// </summary>
/// <remarks>
/// The same notice always yields the same Message-ID (<see cref="MessageComposer.MessageIdFor(Guid, string)"/>), so a resend
/// after a lost reply is recognisable as the same message by recipients and auditors.
/// </remarks>
public sealed record OutgoingMessage
{
    /// <summary>Header carrying the dossier id, so replies and bounces can be traced to a dossier.</summary>
    public const string DossierHeader = "X-Subsidy-Dossier";

    /// <summary>Header carrying the human-readable reference of the letter (e.g. <c>PS-2024-0042</c>).</summary>
    public const string ReferenceHeader = "X-Subsidy-Reference";

    /// <summary>Header the composer always adds with <see cref="NoticeId"/>.</summary>
    public const string NoticeHeader = "X-Subsidy-Notice";

    /// <summary>The <c>notice.id</c> this message is sent for; the Message-ID is derived from it.</summary>
    public required Guid NoticeId { get; init; }

    /// <summary>Primary recipients; at least one.</summary>
    public required IReadOnlyList<MailRecipient> To { get; init; }

    /// <summary>Copy recipients (e.g. the auditor or the municipality's secretary).</summary>
    public IReadOnlyList<MailRecipient> Cc { get; init; } = [];

    /// <summary>Subject line; line breaks are replaced by spaces (see <see cref="MessageComposer"/>).</summary>
    public required string Subject { get; init; }

    /// <summary>The text/plain body; always sent, for clients that do not render HTML.</summary>
    public required string TextBody { get; init; }

    /// <summary>The text/html body; when absent the message has a text part only.</summary>
    public string? HtmlBody { get; init; }

    /// <summary>Attached files, typically the PDF letter.</summary>
    public IReadOnlyList<MailAttachment> Attachments { get; init; } = [];

    /// <summary>
    /// Extra headers such as <see cref="DossierHeader"/> and <see cref="ReferenceHeader"/>. Names must start with
    /// <c>X-</c> (so standard headers like <c>Bcc</c> cannot be set this way); values must be one line.
    /// </summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();
}

/// <summary>One recipient: an optional display name and a single plain address (<c>name@example.be</c>).</summary>
/// <param name="Name">Display name, may contain quotes and non-ASCII characters (it is encoded); no line breaks.</param>
/// <param name="Address">A single addr-spec; lists, angle brackets, display names and line breaks are refused.</param>
public sealed record MailRecipient(string? Name, string Address)
{
    /// <summary>A recipient without a display name.</summary>
    public static MailRecipient Of(string address) => new(null, address);
}

/// <summary>A file attached to a message.</summary>
/// <param name="FileName">The name the recipient sees, without folders (e.g. <c>beslissing-2024-0042.pdf</c>).</param>
/// <param name="ContentType">A MIME type such as <c>application/pdf</c>.</param>
/// <param name="Content">The file's bytes, sent base64-encoded.</param>
public sealed record MailAttachment(string FileName, string ContentType, byte[] Content)
{
    /// <summary>A PDF attachment.</summary>
    public static MailAttachment Pdf(string fileName, byte[] content) => new(fileName, "application/pdf", content);
}
