using System.Globalization;

namespace SubsidyEngine.Engine.Mail;

/// <summary>
/// The transport of the embedded default (no SMTP host configured): writes each message as
/// <c>&lt;outbox&gt;/&lt;yyyyMMdd&gt;/&lt;noticeId&gt;.eml</c>, a complete RFC 5322 file any mail client opens.
/// </summary>
/// <remarks>
/// Atomic: the message is written to a temporary file in the same folder, flushed, then moved into place without
/// overwriting, so a reader never sees half a file. Idempotent: when a file for the notice already exists in any
/// day folder (a job ran twice, or a retry on a later day) nothing is written and the receipt names the existing
/// file. The day folder is the UTC date of the service clock.
/// </remarks>
public sealed class EmlFileMailTransport : IMailTransport
{
    private readonly TimeProvider _clock;
    private readonly MessageComposer _composer;
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Creates the transport.</summary>
    /// <param name="outboxDirectory">The outbox folder (<c>&lt;DataDirectory&gt;/outbox</c>); created when missing.</param>
    /// <param name="clock">The service clock: Date header, day folder and <see cref="DeliveryReceipt.SentAt"/>.</param>
    /// <param name="composer">Builds the MIME message.</param>
    public EmlFileMailTransport(string outboxDirectory, TimeProvider clock, MessageComposer composer)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(outboxDirectory);
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentNullException.ThrowIfNull(composer);
        OutboxDirectory = Path.GetFullPath(outboxDirectory);
        _clock = clock;
        _composer = composer;
    }

    /// <summary>The absolute outbox folder.</summary>
    public string OutboxDirectory { get; }

    /// <summary>The file already written for a notice, or null.</summary>
    public string? FindExisting(Guid noticeId)
    {
        if (!Directory.Exists(OutboxDirectory))
        {
            return null;
        }

        return Directory.EnumerateFiles(OutboxDirectory, FileName(noticeId), SearchOption.AllDirectories).FirstOrDefault();
    }

    /// <inheritdoc />
    public async Task<DeliveryReceipt> SendAsync(OutgoingMessage message, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(message);
        var now = _clock.GetUtcNow();
        var mime = _composer.Compose(message, now);

        await _gate.WaitAsync(ct);
        try
        {
            if (FindExisting(message.NoticeId) is { } existing)
            {
                return AlreadyWritten(_composer.MessageIdFor(message.NoticeId), existing);
            }

            var folder = Path.Combine(OutboxDirectory, now.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture));
            Directory.CreateDirectory(folder);
            var path = Path.Combine(folder, FileName(message.NoticeId));
            var temp = Path.Combine(folder, $".{message.NoticeId:N}.{Guid.NewGuid():N}.tmp");
            try
            {
                await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 16 * 1024, FileOptions.Asynchronous))
                {
                    await mime.WriteToAsync(MessageComposer.Format, file, ct);
                    await file.FlushAsync(ct);
                    file.Flush(flushToDisk: true);
                }

                try
                {
                    // No overwrite: if another process wrote the same notice meanwhile, its file wins.
                    File.Move(temp, path, overwrite: false);
                }
                catch (IOException) when (File.Exists(path))
                {
                    return AlreadyWritten(_composer.MessageIdFor(message.NoticeId), path);
                }

                return new DeliveryReceipt(_composer.MessageIdFor(message.NoticeId), _clock.GetUtcNow(), "written", DeliveryReceipt.EmlTransportName, path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new MailDeliveryException($"could not write {path}: {e.Message}", transient: true, innerException: e);
            }
            finally
            {
                TryDelete(temp);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static string FileName(Guid noticeId) => noticeId.ToString("D") + ".eml";

    private DeliveryReceipt AlreadyWritten(string messageId, string path) =>
        new(messageId, _clock.GetUtcNow(), "already written; not rewritten", DeliveryReceipt.EmlTransportName, path);

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
