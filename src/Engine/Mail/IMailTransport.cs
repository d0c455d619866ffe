namespace SubsidyEngine.Engine.Mail;

/// <summary>
/// Sends one composed notice. Implementations: <see cref="SmtpMailTransport"/> (a real relay through MailKit) and
/// <see cref="EmlFileMailTransport"/> (.eml files in the local outbox when no SMTP host is configured); pick one
/// with <see cref="MailTransport.Create"/>.
/// </summary>
/// <remarks>
/// A transport may hold a connection open between calls so a dispatcher batch reuses it; dispose the transport
/// when the batch (or the service) ends. Calls are serialised per instance.
/// </remarks>
public interface IMailTransport : IAsyncDisposable
{
    /// <summary>Sends (or writes) the message.</summary>
    /// <returns>What was sent and what the server said.</returns>
    /// <exception cref="InvalidMailException">The message is refused before sending (permanent).</exception>
    /// <exception cref="MailDeliveryException">Sending failed; <see cref="MailDeliveryException.Transient"/> says whether to retry.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled.</exception>
    Task<DeliveryReceipt> SendAsync(OutgoingMessage message, CancellationToken ct);
}

/// <summary>Proof that a message left the service.</summary>
/// <param name="MessageId">The Message-ID header, without angle brackets (derived from the notice id).</param>
/// <param name="SentAt">When the server accepted it (or the file was written), from the service's <see cref="TimeProvider"/>.</param>
/// <param name="ServerReply">The SMTP server's reply text to the end of DATA (e.g. <c>2.0.0 Ok: queued as 4F1A2</c>), or what the file transport did.</param>
/// <param name="Transport"><see cref="SmtpTransportName"/> or <see cref="EmlTransportName"/>.</param>
/// <param name="FilePath">The .eml file for the file transport; null for SMTP.</param>
public sealed record DeliveryReceipt(string MessageId, DateTimeOffset SentAt, string ServerReply, string Transport, string? FilePath = null)
{
    /// <summary>The <see cref="Transport"/> value of <see cref="SmtpMailTransport"/>.</summary>
    public const string SmtpTransportName = "smtp";

    /// <summary>The <see cref="Transport"/> value of <see cref="EmlFileMailTransport"/>.</summary>
    public const string EmlTransportName = "eml";
}
