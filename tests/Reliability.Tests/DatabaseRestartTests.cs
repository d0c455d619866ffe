using System.Diagnostics;
using SubsidyEngine.Reliability.Tests.Infrastructure;
using Xunit.Abstractions;

namespace SubsidyEngine.Reliability.Tests;

/// <summary>
/// Scenario 2: <c>pg_ctl stop -m immediate</c> (a database crash) under load, a pause, start again; the service
/// is never restarted. See docs/reliability.md.
/// </summary>
public sealed class DatabaseRestartTests(ITestOutputHelper output)
{
    /// <summary>How long the database stays down.</summary>
    private static readonly TimeSpan Downtime = TimeSpan.FromSeconds(2);

    /// <summary>The issue's requirement: ready and working again this soon after the database is back.</summary>
    private static readonly TimeSpan RecoveryLimit = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task An_immediate_database_restart_under_load_answers_503_with_retry_after_and_the_service_recovers_by_itself()
    {
        await using var rig = await FaultRig.StartAsync(output);
        var service = await rig.StartServiceAsync("db-restart");
        using var http = rig.Client(service, TimeSpan.FromSeconds(30));
        var dossiers = new List<Guid>();
        for (var i = 0; i < 4; i++)
        {
            dossiers.Add(await FaultRig.CreateDossierAsync(http, "faults/cycle", new() { ["reference"] = $"DB-{i:D3}" }));
        }

        var load = new LoadClient(dossiers, () => http);
        using var stopNew = new CancellationTokenSource();
        using var giveUp = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var run = load.RunAsync(stopNew.Token, giveUp.Token);
        var ready = new List<TimeSpan>();
        var working = new List<TimeSpan>();
        for (var restart = 1; restart <= FaultSize.DatabaseRestarts; restart++)
        {
            await Task.Delay(1000);
            var acksBefore = load.Acks.Count;
            var outcomesBefore = load.Outcomes.GetValueOrDefault("503");
            await rig.RestartDatabaseImmediateAsync(Downtime);
            var back = Stopwatch.StartNew();

            // Health first, then a transition on a dossier of its own (not one of the load's).
            var readyAfter = await service.WaitReadyAsync(RecoveryLimit);
            ready.Add(readyAfter);
            using var probe = rig.Client(service, TimeSpan.FromSeconds(5));
            var probeDossier = Guid.Empty;
            while (true)
            {
                try
                {
                    if (probeDossier == Guid.Empty)
                    {
                        probeDossier = await FaultRig.CreateDossierAsync(probe, "faults/ring");
                    }

                    var answer = await FaultRig.FireAsync(probe, probeDossier, "next", $"probe-{restart}");
                    if (answer.Status == 200)
                    {
                        break;
                    }

                    Assert.True(answer.Status == 503, $"after the restart: {answer.Status} {answer.Body}");
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                }

                Assert.True(back.Elapsed < RecoveryLimit, $"no successful transition within {RecoveryLimit.TotalSeconds} s after the database came back:\n{service.LogTail()}");
                await Task.Delay(100);
            }

            working.Add(back.Elapsed);
            rig.Log($"restart {restart}: database down {Downtime.TotalSeconds} s; {load.Outcomes.GetValueOrDefault("503") - outcomesBefore} answers 503 meanwhile; " +
                    $"ready {readyAfter.TotalMilliseconds:F0} ms and first transition {back.ElapsedMilliseconds} ms after the database was back; {load.Acks.Count - acksBefore} acks in the round");
        }

        await Task.Delay(1000);
        await stopNew.CancelAsync();
        await run;
        rig.Log("load: " + load.Summary());
        Assert.False(service.HasExited, "the service died");
        Assert.True(load.Unexpected.IsEmpty, "answers other than 200 and 503 problem details with Retry-After:\n" + string.Join('\n', load.Unexpected.Take(10)));
        Assert.True(load.Unacknowledged.IsEmpty, $"{load.Unacknowledged.Count} request(s) never acknowledged");
        Assert.True(load.Outcomes.GetValueOrDefault("503") > 0, "no request hit the outage: the test proved nothing (" + load.Summary() + ")");

        var probes = await rig.ScalarAsync("SELECT count(*) FROM journal j JOIN dossier d ON d.id = j.dossier_id WHERE d.workflow_id = 'faults/ring' AND j.kind = 'transition'");
        Assert.Equal(FaultSize.DatabaseRestarts, (int)probes);
        var loadAcks = load.Acks.ToList();
        var ringSeqs = (await rig.QueryAsync("SELECT j.seq FROM journal j JOIN dossier d ON d.id = j.dossier_id WHERE d.workflow_id = 'faults/ring' AND j.kind = 'transition'", r => r.GetInt64(0))).ToHashSet();
        // The probes are acknowledged too: count them in as acks of their own.
        var probeAcks = (await rig.QueryAsync(
                "SELECT j.dossier_id, j.dossier_seq, j.seq FROM journal j JOIN dossier d ON d.id = j.dossier_id WHERE d.workflow_id = 'faults/ring' AND j.kind = 'transition'",
                r => new LoadClient.Ack(r.GetGuid(0), "probe", r.GetInt32(1), r.GetInt64(2), false, 1, DateTime.UtcNow)))
            .Where(a => ringSeqs.Contains(a.JournalSeq));
        await Checks.AssertAcknowledgedExactlyOnceAsync(rig, [.. loadAcks, .. probeAcks]);
        await rig.AssertLinearJournalsAsync();
        var settle = await rig.WaitForNoticesSettledAsync(TimeSpan.FromSeconds(60));
        await Checks.AssertChainsVerifyAsync(rig);
        var notices = await rig.AssertEveryNoticeDeliveredExactlyOnceAsync();
        rig.Log($"{notices} notices delivered exactly once (settled {settle.TotalSeconds:F1} s after the load); ready after {string.Join(", ", ready.Select(r => $"{r.TotalMilliseconds:F0}"))} ms; " +
                $"first transition after {string.Join(", ", working.Select(r => $"{r.TotalMilliseconds:F0}"))} ms");
    }
}
