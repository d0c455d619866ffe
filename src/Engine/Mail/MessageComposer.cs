using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using MimeKit;
using MimeKit.Text;
using SubsidyEngine.Engine.Configuration;

namespace SubsidyEngine.Engine.Mail;

/// <summary>
/// Turns an <see cref="OutgoingMessage"/> into a <see cref="MimeMessage"/>:
/// <c>multipart/mixed</c> ( <c>multipart/alternative</c> ( text/plain, text/html ), attachments... ), UTF-8,
/// quoted-printable text and base64 attachments.
/// </summary>
/// <remarks>
/// <para>
/// Deterministic: the Message-ID (<see cref="MessageIdFor(Guid, string)"/>) and the MIME boundaries are derived from the notice
/// id and the Date header is the time passed in (the service clock), so the same notice composed at the same
/// time gives the same bytes, and a resend carries the same Message-ID.
/// </para>
/// <para>
/// Header injection: addresses must be exactly one plain addr-spec (<c>name@example.be</c>): line breaks, commas,
/// semicolons, angle brackets, quotes, spaces and other list or display-name syntax are refused with an
/// <see cref="InvalidMailException"/> naming the field. Display names and extra header values with line breaks
/// are refused too. The subject is <b>sanitised</b>, not refused: every run of control characters (CR, LF, TAB,
/// ...) and Unicode line/paragraph separators becomes one space, because subjects are rendered from dossier data
/// and a stray newline in a municipality name should not block a legal letter. MimeKit then encodes and folds
/// every header itself (RFC 2047 for non-ASCII subjects and names, quoting for names with specials).
/// </para>
/// </remarks>
public sealed partial class MessageComposer
{
    private static readonly FormatOptions CanonicalFormat = CreateCanonicalFormat();
    private readonly string? _fromName;
    private readonly string _fromAddress;

    /// <summary>Creates a composer sending as <see cref="SmtpOptions.From"/> / <see cref="SmtpOptions.FromName"/>.</summary>
    /// <exception cref="InvalidMailException">The configured From address is not a single plain address.</exception>
    public MessageComposer(SmtpOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var from = ToMailbox("From", options.FromName, options.From);
        _fromName = from.Name;
        _fromAddress = from.Address;
    }

    /// <summary>The sender mailbox used for every message (a new instance on each call).</summary>
    // A new MailboxAddress per message: MimeKit's address lists subscribe to the address's Changed event, so one
    // shared instance would keep every message ever composed reachable.
    public MailboxAddress From => new(string.IsNullOrEmpty(_fromName) ? null : _fromName, _fromAddress);

    /// <summary>
    /// Format used to write messages to files: CRLF line endings on every platform (the canonical form of
    /// RFC 5322), so .eml files and hashes do not depend on the operating system.
    /// </summary>
    public static FormatOptions Format => CanonicalFormat;

    /// <summary>
    /// The Message-ID (without angle brackets, as <see cref="MimeMessage.MessageId"/> holds it) for a notice:
    /// <c>notice-{id:N}@subsidy-engine.{domain of From}</c>.
    /// </summary>
    public static string MessageIdFor(Guid noticeId, string fromAddress)
    {
        ArgumentNullException.ThrowIfNull(fromAddress);
        var at = fromAddress.LastIndexOf('@');
        var domain = at >= 0 ? fromAddress[(at + 1)..] : fromAddress;
        return string.Create(CultureInfo.InvariantCulture, $"notice-{noticeId:N}@subsidy-engine.{domain.ToLowerInvariant()}");
    }

    /// <summary>The Message-ID this composer gives the notice (see <see cref="MessageIdFor(Guid, string)"/>).</summary>
    public string MessageIdFor(Guid noticeId) => MessageIdFor(noticeId, _fromAddress);

    /// <summary>Builds the MIME message.</summary>
    /// <param name="message">The rendered message.</param>
    /// <param name="date">The Date header: the service clock's current time, never <c>DateTime.Now</c>.</param>
    /// <exception cref="InvalidMailException">A field is refused; the exception names it.</exception>
    public MimeMessage Compose(OutgoingMessage message, DateTimeOffset date)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.NoticeId == Guid.Empty)
        {
            throw new InvalidMailException(nameof(OutgoingMessage.NoticeId), "is empty");
        }

        var mime = new MimeMessage();
        mime.From.Add(From);

        if (message.To is null || message.To.Count == 0)
        {
            throw new InvalidMailException("To", "has no recipient");
        }

        AddRecipients(mime.To, "To", message.To);
        AddRecipients(mime.Cc, "Cc", message.Cc ?? []);

        mime.Subject = SanitiseSubject(message.Subject);
        mime.Date = date;
        mime.MessageId = MessageIdFor(message.NoticeId);

        // RFC 3834: tells vacation responders not to answer the agency's robot.
        mime.Headers.Add("Auto-Submitted", "auto-generated");
        mime.Headers.Add(OutgoingMessage.NoticeHeader, message.NoticeId.ToString("D"));
        foreach (var (name, value) in message.Headers ?? new Dictionary<string, string>())
        {
            AddExtraHeader(mime, name, value);
        }

        mime.Body = BuildBody(message);
        return mime;
    }

    /// <summary>Writes the composed message in its canonical form (CRLF), e.g. to hash it or store it.</summary>
    public static async Task<byte[]> ToBytesAsync(MimeMessage message, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(message);
        using var buffer = new MemoryStream();
        await message.WriteToAsync(CanonicalFormat, buffer, ct);
        return buffer.ToArray();
    }

    private static MimeEntity BuildBody(OutgoingMessage message)
    {
        if (message.TextBody is null)
        {
            throw new InvalidMailException(nameof(OutgoingMessage.TextBody), "is missing");
        }

        var text = new TextPart(TextFormat.Plain) { ContentTransferEncoding = ContentEncoding.QuotedPrintable };
        text.SetText(Encoding.UTF8, message.TextBody);

        MimeEntity content = text;
        if (message.HtmlBody is not null)
        {
            var html = new TextPart(TextFormat.Html) { ContentTransferEncoding = ContentEncoding.QuotedPrintable };
            html.SetText(Encoding.UTF8, message.HtmlBody);
            content = new MultipartAlternative { text, html };
            ((Multipart)content).Boundary = Boundary("alt", message.NoticeId);
        }

        var attachments = message.Attachments ?? [];
        if (attachments.Count == 0)
        {
            return content;
        }

        var mixed = new Multipart("mixed") { content };
        mixed.Boundary = Boundary("mixed", message.NoticeId);
        for (var i = 0; i < attachments.Count; i++)
        {
            mixed.Add(BuildAttachment($"Attachments[{i}]", attachments[i]));
        }

        return mixed;
    }

    private static MimePart BuildAttachment(string field, MailAttachment attachment)
    {
        if (attachment is null)
        {
            throw new InvalidMailException(field, "is null");
        }

        if (string.IsNullOrWhiteSpace(attachment.FileName))
        {
            throw new InvalidMailException(field + ".FileName", "is empty");
        }

        if (HasLineBreakOrControl(attachment.FileName) || attachment.FileName.IndexOfAny(['/', '\\']) >= 0)
        {
            throw new InvalidMailException(field + ".FileName", "must be a bare file name without folders or control characters");
        }

        if (string.IsNullOrWhiteSpace(attachment.ContentType) || HasLineBreakOrControl(attachment.ContentType)
            || !ContentType.TryParse(attachment.ContentType, out var contentType))
        {
            throw new InvalidMailException(field + ".ContentType", "is not a MIME type such as application/pdf");
        }

        if (attachment.Content is null)
        {
            throw new InvalidMailException(field + ".Content", "is missing");
        }

        return new MimePart(contentType)
        {
            Content = new MimeContent(new MemoryStream(attachment.Content, writable: false)),
            ContentDisposition = new ContentDisposition(ContentDisposition.Attachment),
            ContentTransferEncoding = ContentEncoding.Base64,
            FileName = attachment.FileName,
        };
    }

    // Boundaries derived from the notice id keep the output deterministic; a 32-hex-digit id cannot occur in
    // quoted-printable or base64 content by accident.
    private static string Boundary(string kind, Guid noticeId) =>
        string.Create(CultureInfo.InvariantCulture, $"=-{kind}-{noticeId:N}");

    private static void AddRecipients(InternetAddressList list, string field, IReadOnlyList<MailRecipient> recipients)
    {
        for (var i = 0; i < recipients.Count; i++)
        {
            var recipient = recipients[i] ?? throw new InvalidMailException($"{field}[{i}]", "is null");
            list.Add(ToMailbox($"{field}[{i}]", recipient.Name, recipient.Address));
        }
    }

    /// <summary>Validates one display name + address pair; see the class remarks for the rules.</summary>
    internal static MailboxAddress ToMailbox(string field, string? name, string? address)
    {
        if (string.IsNullOrWhiteSpace(address))
        {
            throw new InvalidMailException(field + (field == "From" ? string.Empty : ".Address"), "is empty");
        }

        var addressField = field == "From" ? "From" : field + ".Address";
        if (HasLineBreakOrControl(address))
        {
            throw new InvalidMailException(addressField, "contains a line break or control character");
        }

        if (address.IndexOfAny(AddressSpecials) >= 0 || address.Any(char.IsWhiteSpace))
        {
            throw new InvalidMailException(addressField, "must be exactly one plain address like name@example.be (no lists, display names, brackets, quotes or spaces)");
        }

        var at = address.IndexOf('@', StringComparison.Ordinal);
        if (at <= 0 || at != address.LastIndexOf('@') || at == address.Length - 1)
        {
            throw new InvalidMailException(addressField, "must contain exactly one @ between a local part and a domain");
        }

        if (!MailboxAddress.TryParse(ParserOptions.Default, address, out var parsed)
            || !string.Equals(parsed.Address, address, StringComparison.Ordinal))
        {
            throw new InvalidMailException(addressField, "does not parse as a single mailbox");
        }

        var displayName = name?.Trim();
        if (displayName is not null && HasLineBreakOrControl(displayName))
        {
            throw new InvalidMailException(field + ".Name", "contains a line break or control character");
        }

        return new MailboxAddress(string.IsNullOrEmpty(displayName) ? null : displayName, address);
    }

    private static readonly char[] AddressSpecials = [',', ';', '<', '>', '"', '(', ')', '[', ']', '\\', ':'];

    private static string SanitiseSubject(string? subject)
    {
        if (subject is null)
        {
            throw new InvalidMailException(nameof(OutgoingMessage.Subject), "is missing");
        }

        var clean = ControlRuns().Replace(subject, " ").Trim();
        if (clean.Length == 0)
        {
            throw new InvalidMailException(nameof(OutgoingMessage.Subject), "is empty");
        }

        return clean;
    }

    private static void AddExtraHeader(MimeMessage mime, string name, string value)
    {
        var field = $"Headers[{name}]";
        if (string.IsNullOrEmpty(name) || !ExtraHeaderName().IsMatch(name))
        {
            throw new InvalidMailException(field, "the name must be X- followed by letters, digits and hyphens");
        }

        if (string.Equals(name, OutgoingMessage.NoticeHeader, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidMailException(field, "is set by the composer itself");
        }

        if (value is null || HasLineBreakOrControl(value))
        {
            throw new InvalidMailException(field, "the value must be one line without control characters");
        }

        mime.Headers.Add(name, value);
    }

    private static bool HasLineBreakOrControl(string value)
    {
        foreach (var c in value)
        {
            if (char.IsControl(c) || c is '\u2028' or '\u2029')
            {
                return true;
            }
        }

        return false;
    }

    private static FormatOptions CreateCanonicalFormat()
    {
        var format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Dos;
        return format;
    }

    [GeneratedRegex(@"[\p{Cc}\u2028\u2029]+")]
    private static partial Regex ControlRuns();

    [GeneratedRegex("^X-[A-Za-z0-9][A-Za-z0-9-]*$")]
    private static partial Regex ExtraHeaderName();
}
