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

        var load = new LoadClient(dossiers, () => http);
        using var stopNew = new CancellationTokenSource();
        using var giveUp = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var run = load.RunAsync(stopNew.Token, giveUp.Token);
        var catchUp = new List<TimeSpan>();
        for (var outage = 1; outage <= FaultSize.SmtpOutages; outage++)
        {
            await Task.Delay(700);
            await rig.Smtp.StopAsync();
            var messagesAtStop = (await rig.Smtp.ReadMessagesAsync()).Count;
            await Task.Delay(Outage);
            var created = await rig.ScalarAsync("SELECT count(*) FROM notice");
            var waitingIds = (await rig.QueryAsync("SELECT id FROM notice WHERE status <> 'sent'", r => r.GetGuid(0))).ToArray();
            var waiting = waitingIds.Length;
            var failedAttempts = await rig.ScalarAsync("SELECT count(*) FROM notice WHERE last_error IS NOT NULL AND status <> 'sent'");
            await rig.Smtp.StartAsync();
            var back = Stopwatch.StartNew();
            // Everything that waited for the server must arrive (the load keeps adding more meanwhile).
            while (await rig.ScalarAsync("SELECT count(*) FROM notice WHERE status <> 'sent' AND id = ANY($1)", waitingIds) > 0)
            {
                Assert.True(back.Elapsed < TimeSpan.FromSeconds(60), "notices from before the SMTP restart still not sent after 60 s:\n" + service.LogTail());
                await Task.Delay(100);
            }

            catchUp.Add(back.Elapsed);
            rig.Log($"outage {outage}: SMTP down {Outage.TotalSeconds} s ({messagesAtStop} messages before), {created} notices so far, {waiting} waiting at the restart ({failedAttempts} with a failed attempt); " +
                    $"all of them sent {back.ElapsedMilliseconds} ms after the restart");
            Assert.True(waiting > 0, "no notice was waiting for the SMTP server: the outage tested nothing");
        }

        await Task.Delay(500);
        await stopNew.CancelAsync();
        await run;
        rig.Log("load: " + load.Summary());
        Assert.True(load.Unexpected.IsEmpty, string.Join('\n', load.Unexpected.Take(10)));
        Assert.True(load.Unacknowledged.IsEmpty);
        await Checks.AssertAcknowledgedExactlyOnceAsync(rig, load.Acks.ToList());
        await rig.WaitForNoticesSettledAsync(TimeSpan.FromSeconds(60));
        var notices = await rig.AssertEveryNoticeDeliveredExactlyOnceAsync();
        var retried = await rig.ScalarAsync("SELECT count(*) FROM notice WHERE attempts > 1");
        await Checks.AssertChainsVerifyAsync(rig);
        rig.Log($"{notices} notices delivered exactly once, {retried} of them after more than one attempt; caught up {string.Join(", ", catchUp.Select(c => $"{c.TotalMilliseconds:F0}"))} ms after the SMTP restart");
        Assert.True(retried > 0, "no notice needed a second attempt");
    }
}
