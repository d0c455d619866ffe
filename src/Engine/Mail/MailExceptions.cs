namespace SubsidyEngine.Engine.Mail;

/// <summary>
/// Sending a message failed. <see cref="Transient"/> tells the dispatcher what to do: retry later with backoff
/// (<see cref="RetryPolicy"/>) or mark the notice <c>failed</c>.
/// </summary>
/// <remarks>
/// Transient: the server could not be reached, timed out, dropped the connection, refused the login or answered
/// with a 4xx reply. Permanent: the server answered with a 5xx reply (unknown mailbox, message refused) or the
/// message itself is invalid (<see cref="InvalidMailException"/>): sending it again cannot succeed.
/// </remarks>
public class MailDeliveryException : Exception
{
    public MailDeliveryException()
        : this("mail delivery failed", transient: true)
    {
    }

    public MailDeliveryException(string message)
        : this(message, transient: true)
    {
    }

    public MailDeliveryException(string message, Exception innerException)
        : this(message, transient: true, innerException: innerException)
    {
    }

    /// <summary>Creates a delivery failure.</summary>
    /// <param name="message">What failed, in one sentence, including the server's reply when there was one.</param>
    /// <param name="transient">True when a later attempt may succeed.</param>
    /// <param name="smtpStatusCode">The SMTP reply code (e.g. 451, 550) when the server answered.</param>
    /// <param name="innerException">The transport's exception.</param>
    public MailDeliveryException(string message, bool transient, int? smtpStatusCode = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Transient = transient;
        SmtpStatusCode = smtpStatusCode;
    }

    /// <summary>True when a later attempt may succeed (retry with backoff); false when it cannot (mark failed).</summary>
    public bool Transient { get; }

    /// <summary>The SMTP reply code when the failure was a server reply, otherwise null.</summary>
    public int? SmtpStatusCode { get; }
}

/// <summary>
/// The message cannot be composed: a field would be ambiguous or could inject headers or recipients (an address
/// that is not exactly one mailbox, a line break in a name or header value, ...). Always permanent.
/// </summary>
public sealed class InvalidMailException : MailDeliveryException
{
    public InvalidMailException()
        : this("(unknown)", "is invalid")
    {
    }

    public InvalidMailException(string message)
        : this("(unknown)", message)
    {
    }

    public InvalidMailException(string message, Exception innerException)
        : base(message, transient: false, innerException: innerException)
    {
        Field = "(unknown)";
    }

    /// <summary>Creates the exception for one field.</summary>
    /// <param name="field">The field, e.g. <c>To[1].Address</c>, <c>Subject</c>, <c>Headers[X-Foo]</c>.</param>
    /// <param name="reason">Why it is refused, e.g. "contains a line break".</param>
    public InvalidMailException(string field, string reason)
        : base($"Invalid mail field {field}: {reason}", transient: false)
    {
        Field = field;
    }

    /// <summary>The refused field, e.g. <c>To[1].Address</c>.</summary>
    public string Field { get; }
}
