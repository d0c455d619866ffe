using System.Text.Json.Nodes;
using Hangfire;
using Hangfire.PostgreSql;
using SubsidyEngine.Reliability.Tests.Infrastructure;
using Xunit.Abstractions;

namespace SubsidyEngine.Reliability.Tests;

/// <summary>
/// Scenario 4: two service processes on one database, both running the Hangfire sweeps and the dispatcher, under
/// load. Time is driven by deadlines that are already due when they are set. See docs/reliability.md.
/// </summary>
public sealed class TwoProcessTests(ITestOutputHelper output)
{
    private static readonly string[] Jobs = ["reminders", "deadline-timeouts", "notice-dispatch"];

    [Fact]
    public async Task Two_processes_on_one_database_fire_each_timeout_once_and_send_each_reminder_and_letter_once()
    {
        await using var rig = await FaultRig.StartAsync(output);
        var a = await rig.StartServiceAsync("two-a");
        var b = await rig.StartServiceAsync("two-b");
        using var httpA = rig.Client(a);
        using var httpB = rig.Client(b);
        HttpClient[] clients = [httpA, httpB];

        // Overdue by a week (stage overdue-1, and the timeout is due) and due at the end of today in Brussels (stage
        // due, no timeout). Not "in two hours": from 21:00 UTC in winter that is tomorrow in Brussels, a deadline set a
        // day before its due day has no current stage yet (before-7 was never current), and no reminder was due.
        var overdue = DateTimeOffset.UtcNow.AddDays(-7).ToString("O");
        var brussels = TimeZoneInfo.FindSystemTimeZoneById("Europe/Brussels");
        var todayInBrussels = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, brussels).Date;
        var endOfToday = todayInBrussels.AddDays(1).AddSeconds(-1);
        var soon = new DateTimeOffset(endOfToday, brussels.GetUtcOffset(endOfToday)).ToUniversalTime().ToString("O");
        var timed = new List<Guid>();
        var remind = new List<Guid>();
        var gate = new SemaphoreSlim(8);
        await Task.WhenAll(Enumerable.Range(0, FaultSize.TimedDossiers).Select(async i =>
        {
            await gate.WaitAsync();
            try
            {
                var http = clients[i % 2];
                var t = await FaultRig.CreateDossierAsync(http, "faults/timed", new JsonObject { ["reference"] = $"T-{i:D4}", ["due"] = overdue });
                var r = await FaultRig.CreateDossierAsync(http, "faults/remind", new JsonObject { ["reference"] = $"R-{i:D4}", ["due"] = soon });
                lock (timed)
                {
                    timed.Add(t);
                    remind.Add(r);
                }
            }
            finally
            {
                gate.Release();
            }
        }));

        // Letters from transitions, through both processes alternately, while the sweeps run.
        var cycle = new List<Guid>();
        for (var i = 0; i < 4; i++)
        {
            cycle.Add(await FaultRig.CreateDossierAsync(clients[i % 2], "faults/cycle", new() { ["reference"] = $"C-{i:D3}" }));
        }

        var turn = 0;
        var load = new LoadClient(cycle, () => clients[Interlocked.Increment(ref turn) % 2]);
        using var stopNew = new CancellationTokenSource();
        using var giveUp = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var run = load.RunAsync(stopNew.Token, giveUp.Token);

        // The recurring jobs run every minute; trigger them now, several times, so both servers' workers run them concurrently.
        var options = new PostgreSqlStorageOptions { SchemaName = "hangfire", PrepareSchemaIfNecessary = false };
        var storage = GlobalConfiguration.Configuration.UsePostgreSqlStorage(c => c.UseNpgsqlConnection(rig.ConnectionString), options).Entry;
        var manager = new RecurringJobManager(storage);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var triggered = 0;
        while (true)
        {
            foreach (var job in Jobs)
            {
                manager.Trigger(job);
                manager.Trigger(job);
                triggered += 2;
            }

            await Task.Delay(1500);
            var expired = await rig.ScalarAsync("SELECT count(*) FROM dossier WHERE workflow_id = 'faults/timed' AND state = 'Expired'");
            var reminded = await rig.ScalarAsync("SELECT count(DISTINCT r.deadline_id) FROM reminder r JOIN dossier d ON d.id = r.dossier_id WHERE d.workflow_id = 'faults/remind'");
            if (expired == timed.Count && reminded == remind.Count)
            {
                break;
            }

            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(90), $"after 90 s: {expired}/{timed.Count} expired, {reminded}/{remind.Count} reminded\n{a.LogTail(15)}\n{b.LogTail(15)}");
        }

        await stopNew.CancelAsync();
        await run;
        rig.Log($"sweeps done after {watch.Elapsed.TotalSeconds:F1} s ({triggered} job runs triggered); load: {load.Summary()}");
        Assert.True(load.Unexpected.IsEmpty, string.Join('\n', load.Unexpected.Take(10)));
        Assert.True(load.Unacknowledged.IsEmpty);
        Assert.False(a.HasExited || b.HasExited, "a service process died");

        var settle = await rig.WaitForNoticesSettledAsync(TimeSpan.FromSeconds(60));

        // Each timeout fired once.
        var expireCounts = await rig.QueryAsync("SELECT dossier_id, count(*) FROM journal WHERE trigger = 'expire' GROUP BY dossier_id", r => r.GetInt64(1));
        Assert.Equal(timed.Count, expireCounts.Count);
        Assert.All(expireCounts, c => Assert.Equal(1, c));
        // One reminder per deadline and stage; one letter per expiry.
        Assert.Equal(0, await rig.ScalarAsync("SELECT count(*) FROM (SELECT dedupe_key FROM notice GROUP BY dedupe_key HAVING count(*) > 1) x"));
        Assert.Equal(0, await rig.ScalarAsync("SELECT count(*) FROM (SELECT deadline_id, offset_code FROM reminder GROUP BY 1, 2 HAVING count(*) > 1) x"));
        Assert.Equal(remind.Count, (int)await rig.ScalarAsync("SELECT count(*) FROM notice n JOIN dossier d ON d.id = n.dossier_id WHERE d.workflow_id = 'faults/remind' AND n.kind = 'reminder' AND n.status = 'sent'"));
        Assert.Equal(timed.Count, (int)await rig.ScalarAsync("SELECT count(*) FROM notice n JOIN dossier d ON d.id = n.dossier_id WHERE d.workflow_id = 'faults/timed' AND n.kind = 'letter' AND n.status = 'sent'"));

        await Checks.AssertAcknowledgedExactlyOnceAsync(rig, [.. load.Acks, .. await TimeoutsAsAcksAsync(rig)]);
        await rig.AssertLinearJournalsAsync();
        var notices = await rig.AssertEveryNoticeDeliveredExactlyOnceAsync("cancelled");
        await Checks.AssertChainsVerifyAsync(rig);

        var servers = await rig.QueryAsync(
            "SELECT coalesce(data::jsonb->>'ServerId', '?') AS server, count(*) FROM hangfire.state WHERE name = 'Processing' GROUP BY server ORDER BY server",
            r => $"{r.GetString(0)}: {r.GetInt64(1)}");
        var byKind = await rig.QueryAsync("SELECT kind, status, count(*) FROM notice GROUP BY kind, status ORDER BY 1, 2", r => $"{r.GetString(0)}/{r.GetString(1)}: {r.GetInt64(2)}");
        rig.Log($"{notices} notices ({string.Join(", ", byKind)}), settled {settle.TotalSeconds:F1} s after the load; job runs per server: {string.Join("; ", servers)}");
    }

    /// <summary>The timeout fires are transitions too (by the system, not the load client): count them in.</summary>
    private static async Task<List<LoadClient.Ack>> TimeoutsAsAcksAsync(FaultRig rig) =>
        await rig.QueryAsync(
            "SELECT dossier_id, dossier_seq, seq FROM journal WHERE kind = 'transition' AND trigger = 'expire'",
            r => new LoadClient.Ack(r.GetGuid(0), "timeout", r.GetInt32(1), r.GetInt64(2), false, 1, DateTime.UtcNow));
}
