using System.Diagnostics;
using SubsidyEngine.Reliability.Tests.Infrastructure;
using Xunit.Abstractions;

namespace SubsidyEngine.Reliability.Tests;

/// <summary>Scenario 3: the SMTP server is killed during notice dispatch and started again later. See docs/reliability.md.</summary>
public sealed class SmtpOutageTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task An_smtp_outage_during_dispatch_delays_notices_and_afterwards_each_arrives_exactly_once()
    {
        await using var rig = await FaultRig.StartAsync(output);
        var service = await rig.StartServiceAsync("smtp-outage");
        using var http = rig.Client(service);
        var dossiers = new List<Guid>();
        for (var i = 0; i < 4; i++)
        {
            dossiers.Add(await FaultRig.CreateDossierAsync(http, "faults/cycle", new() { ["reference"] = $"SMTP-{i:D3}" }));
        }

        var acks = new List<LoadClient.Ack>();
        var catchUp = new List<TimeSpan>();
        for (var outage = 1; outage <= FaultSize.SmtpOutages; outage++)
        {
            // Load (a notice every third transition) before and during the outage; it stops when the server comes back.
            var load = new LoadClient(dossiers, () => http) { Pause = TimeSpan.FromMilliseconds(50) };
            using var stopNew = new CancellationTokenSource();
            using var giveUp = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            var run = load.RunAsync(stopNew.Token, giveUp.Token);
            await Task.Delay(700);
            await rig.Smtp.StopAsync();
            var messagesAtStop = (await rig.Smtp.ReadMessagesAsync()).Count;
            await Task.Delay(Outage);
            // The outage lasts until the dispatcher has met it at least once (on a slow machine it may still be rendering).
            var down = Stopwatch.StartNew();
            while (await rig.ScalarAsync("SELECT count(*) FROM notice WHERE last_error IS NOT NULL AND status <> 'sent'") == 0)
            {
                Assert.True(down.Elapsed < TimeSpan.FromSeconds(30), "no delivery attempt met the outage within 30 s:\n" + service.LogTail());
                await Task.Delay(100);
            }

            await stopNew.CancelAsync();
            await run;
            rig.Log("load: " + load.Summary());
            Assert.True(load.Unexpected.IsEmpty, string.Join('\n', load.Unexpected.Take(10)));
            Assert.True(load.Unacknowledged.IsEmpty);
            acks.AddRange(load.Acks);

            var created = await rig.ScalarAsync("SELECT count(*) FROM notice");
            var waitingIds = (await rig.QueryAsync("SELECT id FROM notice WHERE status <> 'sent'", r => r.GetGuid(0))).ToArray();
            var failedAttempts = await rig.ScalarAsync("SELECT count(*) FROM notice WHERE last_error IS NOT NULL AND status <> 'sent'");
            await rig.Smtp.StartAsync();
            var back = Stopwatch.StartNew();
            while (await rig.ScalarAsync("SELECT count(*) FROM notice WHERE status <> 'sent' AND id = ANY($1)", waitingIds) > 0)
            {
                Assert.True(back.Elapsed < TimeSpan.FromSeconds(60), "notices from before the SMTP restart still not sent after 60 s:\n" + service.LogTail());
                await Task.Delay(100);
            }

            catchUp.Add(back.Elapsed);
            rig.Log($"outage {outage}: SMTP down {Outage.TotalSeconds} s ({messagesAtStop} messages before), {created} notices so far, {waitingIds.Length} waiting at the restart ({failedAttempts} with a failed attempt); " +
                    $"all of them sent {back.ElapsedMilliseconds} ms after the restart");
        }

        await Checks.AssertAcknowledgedExactlyOnceAsync(rig, acks);
        await rig.WaitForNoticesSettledAsync(TimeSpan.FromSeconds(60));
        var notices = await rig.AssertEveryNoticeDeliveredExactlyOnceAsync();
        var retried = await rig.ScalarAsync("SELECT count(*) FROM notice WHERE attempts > 1");
        await Checks.AssertChainsVerifyAsync(rig);
        rig.Log($"{notices} notices delivered exactly once, {retried} of them after more than one attempt; caught up {string.Join(", ", catchUp.Select(c => $"{c.TotalMilliseconds:F0}"))} ms after the SMTP restart");
        Assert.True(retried > 0, "no notice needed a second attempt");
    }
}
