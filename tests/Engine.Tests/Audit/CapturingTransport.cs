using System.Collections.Concurrent;
using SubsidyEngine.Engine.Mail;

namespace SubsidyEngine.Engine.Tests.Audit;

/// <summary>Accepts every message and keeps it by notice id.</summary>
internal sealed class CapturingTransport : IMailTransport
{
    public ConcurrentDictionary<Guid, OutgoingMessage> Sent { get; } = new();

    public Task<DeliveryReceipt> SendAsync(OutgoingMessage message, CancellationToken ct)
    {
        Sent[message.NoticeId] = message;
        return Task.FromResult(new DeliveryReceipt($"<notice-{message.NoticeId:D}@test>", DateTimeOffset.UtcNow, "250 OK", DeliveryReceipt.EmlTransportName));
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
