using System.Collections.Concurrent;

namespace SubsidyEngine.Reliability.Tests.Infrastructure;

/// <summary>
/// A load client like a careful integrator: one task per dossier fires <c>next</c> again and again, each request
/// with a fresh Idempotency-Key. An acknowledged request (200) is logged with the event it reports. A request
/// without an answer (connection refused or reset, time-out) or answered 503 is retried with the SAME key until
/// it is acknowledged, so a request the service applied before it died is answered from the idempotency record,
/// not applied twice. Any other answer is logged as unexpected.
/// </summary>
public sealed class LoadClient(IReadOnlyList<Guid> dossiers, Func<HttpClient> client, string trigger = "next")
{
    /// <summary>An acknowledged request.</summary>
    public sealed record Ack(Guid Dossier, string Key, int Version, long JournalSeq, bool Replayed, int Tries, DateTime At);

    public ConcurrentQueue<Ack> Acks { get; } = new();

    /// <summary>Pause after each acknowledged request (zero: as fast as the service answers).</summary>
    public TimeSpan Pause { get; init; } = TimeSpan.Zero;

    /// <summary>Answers other than 200 and 503, and 503s that are not problem details with Retry-After.</summary>
    public ConcurrentQueue<string> Unexpected { get; } = new();

    /// <summary>Counts per outcome: "200", "503", "no answer", ...</summary>
    public ConcurrentDictionary<string, int> Outcomes { get; } = new();

    /// <summary>Requests still without an acknowledgement when the client stopped.</summary>
    public ConcurrentQueue<(Guid Dossier, string Key)> Unacknowledged { get; } = new();

    /// <summary>
    /// Runs until <paramref name="stopNew"/> is cancelled, then finishes (acknowledges) the requests in flight and
    /// returns; <paramref name="giveUp"/> ends it even with requests unacknowledged.
    /// </summary>
    public Task RunAsync(CancellationToken stopNew, CancellationToken giveUp) =>
        Task.WhenAll(dossiers.Select(d => Task.Run(() => DriveAsync(d, stopNew, giveUp), CancellationToken.None)));

    private async Task DriveAsync(Guid dossier, CancellationToken stopNew, CancellationToken giveUp)
    {
        string? key = null;
        var tries = 0;
        while (true)
        {
            if (key is null)
            {
                if (stopNew.IsCancellationRequested)
                {
                    return;
                }

                key = $"load-{Guid.NewGuid():N}";
                tries = 0;
            }

            if (giveUp.IsCancellationRequested)
            {
                Unacknowledged.Enqueue((dossier, key));
                return;
            }

            tries++;
            string outcome;
            try
            {
                var answer = await FaultRig.FireAsync(client(), dossier, trigger, key, ct: giveUp);
                outcome = answer.Status.ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (answer.Status == 200)
                {
                    Acks.Enqueue(new Ack(dossier, key, answer.Version, answer.JournalSeq, answer.Replayed, tries, DateTime.UtcNow));
                    key = null;
                    if (Pause > TimeSpan.Zero)
                    {
                        await Task.Delay(Pause, CancellationToken.None);
                    }
                }
                else if (answer.Status == 503 && answer.ProblemStatus == 503 && answer.RetryAfter is not null)
                {
                    await Task.Delay(100, CancellationToken.None);
                }
                else
                {
                    Unexpected.Enqueue($"{dossier} key {key}: {answer.Status} {answer.ContentType} retry-after={answer.RetryAfter} {answer.Body}");
                    await Task.Delay(100, CancellationToken.None);
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
            {
                outcome = "no answer";
                await Task.Delay(50, CancellationToken.None);
            }

            Outcomes.AddOrUpdate(outcome, 1, (_, n) => n + 1);
        }
    }

    public string Summary() => $"{Acks.Count} acknowledged ({Acks.Count(a => a.Replayed)} answered from the idempotency record), " +
        string.Join(", ", Outcomes.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key}: {o.Value}"));
}
