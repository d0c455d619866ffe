using System.Globalization;
using System.Net.Sockets;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using SubsidyEngine.Engine.Configuration;

namespace SubsidyEngine.Engine.Mail;

/// <summary>
/// Sends notices through an SMTP relay with MailKit, keeping one connection open across calls (a dispatcher
/// batch) and classifying every failure as transient or permanent (<see cref="MailDeliveryException"/>).
/// </summary>
/// <remarks>
/// <para>
/// Connection reuse: before reusing an open connection it is probed with <c>NOOP</c>; a dead or idle-closed
/// connection (the relay restarted, a load balancer timed it out) is replaced by a fresh one, so a message is
/// never resent over a half-broken connection. After any failure the connection is dropped.
/// </para>
/// <para>
/// Classification: 4xx replies, refused or lost connections, timeouts, TLS and login failures are transient
/// (the message may go through later; login and TLS failures are configuration problems, not the message's).
/// 5xx replies (unknown mailbox, message refused, sender refused) are permanent. Network timeouts use real time
/// (<see cref="Timeout"/>), not the service clock, because they measure the network.
/// </para>
/// </remarks>
public sealed class SmtpMailTransport : IMailTransport, IDisposable
{
    /// <summary>Default timeout for connecting and for each SMTP command.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private readonly SmtpOptions _options;
    private readonly string _host;
    private readonly TimeProvider _clock;
    private readonly MessageComposer _composer;
    private readonly SecureSocketOptions _security;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private SmtpClient? _client;
    private Socket? _socket;
    private bool _disposed;

    /// <summary>Creates the transport; no connection is opened until the first message.</summary>
    /// <param name="options">Host, port, security, credentials and sender.</param>
    /// <param name="clock">The service clock: Date headers and <see cref="DeliveryReceipt.SentAt"/>.</param>
    /// <param name="composer">The composer; by default one built from <paramref name="options"/>.</param>
    /// <param name="timeout">Connect and per-command timeout; <see cref="DefaultTimeout"/> when null.</param>
    /// <exception cref="ArgumentException">No host, or an unknown <see cref="SmtpOptions.Security"/> value.</exception>
    public SmtpMailTransport(SmtpOptions options, TimeProvider clock, MessageComposer? composer = null, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(clock);
        if (string.IsNullOrWhiteSpace(options.Host))
        {
            throw new ArgumentException("Subsidy:Smtp:Host is empty; use EmlFileMailTransport (MailTransport.Create) instead", nameof(options));
        }

        _options = options;
        _host = options.Host.Trim();
        _clock = clock;
        _composer = composer ?? new MessageComposer(options);
        _security = ParseSecurity(options.Security);
        Timeout = timeout ?? DefaultTimeout;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Timeout, TimeSpan.Zero, nameof(timeout));
    }

    /// <summary>Timeout for connecting (including TLS and login) and for each SMTP command.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>True while a connection is held open for the next message.</summary>
    public bool IsConnected => _client?.IsConnected == true;

    /// <summary>Whether the held connection sends without Nagle's delay (<see cref="Socket.NoDelay"/>); null without one.</summary>
    internal bool? NoDelay => IsConnected ? _socket?.NoDelay : null;

    /// <summary>
    /// Maps <c>Subsidy:Smtp:Security</c> (<c>None</c>, <c>StartTls</c>, <c>StartTlsWhenAvailable</c>,
    /// <c>SslOnConnect</c>, <c>Auto</c>; case-insensitive) to MailKit's option.
    /// </summary>
    /// <exception cref="ArgumentException">Any other value.</exception>
    public static SecureSocketOptions ParseSecurity(string? value) => value?.Trim().ToUpperInvariant() switch
    {
        null or "" or "AUTO" => SecureSocketOptions.Auto,
        "NONE" => SecureSocketOptions.None,
        "STARTTLS" => SecureSocketOptions.StartTls,
        "STARTTLSWHENAVAILABLE" => SecureSocketOptions.StartTlsWhenAvailable,
        "SSLONCONNECT" or "SSL" or "TLS" => SecureSocketOptions.SslOnConnect,
        _ => throw new ArgumentException(
            $"Subsidy:Smtp:Security '{value}' is not one of None, StartTls, StartTlsWhenAvailable, SslOnConnect, Auto", nameof(value)),
    };

    /// <inheritdoc />
    public async Task<DeliveryReceipt> SendAsync(OutgoingMessage message, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(message);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var mime = _composer.Compose(message, _clock.GetUtcNow());

        await _gate.WaitAsync(ct);
        try
        {
            var client = await ConnectAsync(ct);
            var reply = await client.SendAsync(mime, ct);
            return new DeliveryReceipt(_composer.MessageIdFor(message.NoticeId), _clock.GetUtcNow(), reply, DeliveryReceipt.SmtpTransportName);
        }
        catch (Exception e) when (Classify(e, ct) is { } failure)
        {
            DropConnection();
            throw failure;
        }
        catch
        {
            DropConnection();
            throw;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Closes the held connection politely (QUIT), e.g. at the end of a dispatcher batch.</summary>
    public async Task DisconnectAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            await QuitAsync(ct);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        await _gate.WaitAsync();
        try
        {
            _disposed = true;
            using var quit = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await QuitAsync(quit.Token);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _disposed = true;
        DropConnection();
    }

    private async Task<SmtpClient> ConnectAsync(CancellationToken ct)
    {
        if (_client is { IsConnected: true } open)
        {
            try
            {
                await open.NoOpAsync(ct);
                return open;
            }
            catch (Exception e) when (!ct.IsCancellationRequested && Classify(e, ct) is not null)
            {
                // The relay closed the connection since the last message: open a new one below.
                DropConnection();
            }
        }

        DropConnection();
        var client = new SmtpClient { Timeout = (int)Math.Min(int.MaxValue, Timeout.TotalMilliseconds) };
        using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        connectTimeout.CancelAfter(Timeout);
        Socket? socket = null;
        try
        {
            // Our own socket, so that Nagle's algorithm can be switched off (MailKit leaves it on). With it on, the
            // last segment of a message larger than one segment waits for the relay's (delayed) acknowledgement of the
            // one before, about 40 ms on Linux, and the relay only answers once the whole message is in: every letter
            // of a few kilobytes cost 40 ms of waiting, 20 letters a second on one connection (docs/reliability.md).
            socket = await OpenSocketAsync(connectTimeout.Token);
            await client.ConnectAsync(socket, _host, _options.Port, _security, connectTimeout.Token);
            if (!string.IsNullOrEmpty(_options.UserName))
            {
                await client.AuthenticateAsync(_options.UserName, _options.Password ?? string.Empty, connectTimeout.Token);
            }
        }
        catch
        {
            client.Dispose();
            socket?.Dispose();
            throw;
        }

        _client = client;
        _socket = socket;
        return client;
    }

    /// <summary>A TCP connection to the relay with <see cref="Socket.NoDelay"/> set (see <see cref="ConnectAsync(CancellationToken)"/>).</summary>
    private async Task<Socket> OpenSocketAsync(CancellationToken ct)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(_host, _options.Port, ct);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private async Task QuitAsync(CancellationToken ct)
    {
        var client = _client;
        _client = null;
        _socket = null;
        if (client is null)
        {
            return;
        }

        try
        {
            if (client.IsConnected)
            {
                await client.DisconnectAsync(quit: true, ct);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ProtocolException or SmtpCommandException)
        {
            // Closing a connection the relay already dropped: nothing to do.
        }
        finally
        {
            client.Dispose();
        }
    }

    private void DropConnection()
    {
        var client = _client;
        _client = null;
        _socket = null;
        client?.Dispose();
    }

    /// <summary>
    /// The delivery failure for a transport exception, or null for exceptions that are not delivery failures
    /// (programming errors, and cancellation requested by the caller, which propagate unchanged).
    /// </summary>
    internal MailDeliveryException? Classify(Exception e, CancellationToken ct)
    {
        var where = string.Create(CultureInfo.InvariantCulture, $"{_host}:{_options.Port}");
        switch (e)
        {
            case MailDeliveryException:
                return null;
            case OperationCanceledException when ct.IsCancellationRequested:
                return null;
            case OperationCanceledException or TimeoutException:
                return new MailDeliveryException($"SMTP server {where} did not answer within {Timeout.TotalSeconds:0.#} s", transient: true, innerException: e);
            case SmtpCommandException command:
            {
                var code = (int)command.StatusCode;
                var subject = command.ErrorCode switch
                {
                    SmtpErrorCode.RecipientNotAccepted => $"recipient {command.Mailbox?.Address} refused",
                    SmtpErrorCode.SenderNotAccepted => $"sender {command.Mailbox?.Address} refused",
                    SmtpErrorCode.MessageNotAccepted => "message refused",
                    _ => "unexpected reply",
                };
                return new MailDeliveryException(
                    string.Create(CultureInfo.InvariantCulture, $"SMTP server {where}: {subject}: {code} {command.Message}"),
                    transient: code < 500, smtpStatusCode: code, innerException: e);
            }

            case AuthenticationException:
                return new MailDeliveryException($"SMTP server {where} refused the login of Subsidy:Smtp:UserName: {e.Message}", transient: true, innerException: e);
            case SslHandshakeException:
                return new MailDeliveryException($"TLS with SMTP server {where} failed (Subsidy:Smtp:Security): {e.Message}", transient: true, innerException: e);
            case SocketException socket:
                return new MailDeliveryException($"SMTP server {where} unreachable: {socket.SocketErrorCode}: {e.Message}", transient: true, innerException: e);
            case SmtpProtocolException or ServiceNotConnectedException or ServiceNotAuthenticatedException or IOException:
                return new MailDeliveryException($"SMTP connection to {where} failed: {e.Message}", transient: true, innerException: e);
            default:
                return null;
        }
    }
}
