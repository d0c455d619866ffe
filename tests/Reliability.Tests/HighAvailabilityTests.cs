using System.Diagnostics;
using System.Globalization;
using SubsidyEngine.Engine.Access;
using SubsidyEngine.Reliability.Tests.Infrastructure;
using SubsidyEngine.Engine.Runtime;
using Xunit.Abstractions;

namespace SubsidyEngine.Reliability.Tests;

/// <summary>
/// Scenario 7: beyond one machine (issue 22, docs/deployment.md). A primary and a synchronous standby under
/// pg_auto_failover, three service processes behind HAProxy, each with the multi-host connection string
/// (<c>Target Session Attributes=read-write</c>) and the standby for stale reads (<c>prefer-standby</c>). Under a load
/// of transitions and notices through HAProxy, the primary's machine is lost (kill -9 of its keeper and postmaster),
/// later one service process is killed with SIGKILL. The bench's <c>failover</c> scenario runs this test at full size
/// and reads its <c>HA RESULT</c> line.
/// </summary>
public sealed class HighAvailabilityTests(ITestOutputHelper output)
{
    private const string StaleReadsSetting = "ConnectionStrings__SubsidyStaleReads";

    [Fact]
    public async Task Losing_the_primary_and_a_service_process_under_load_fails_over_by_itself_and_loses_or_repeats_nothing()
    {
        var log = new Action<string>(line => output.WriteLine($"{DateTime.Now:HH:mm:ss.fff} {line}"));
        var formation = await HaFormation.StartAsync(log);
        FaultRig started;
        try
        {
            started = await FaultRig.StartOnAsync(formation.ConnectionString("read-write"), output, formation);
        }
        catch
        {
            await formation.DisposeAsync();
            throw;
        }

        await using var rig = started;
        // The dispatcher retries a record the database did not take for 80 % of the lease: longer than a failover here.
        rig.Settings["Subsidy__Notices__LeaseSeconds"] = "30";
        rig.Settings[StaleReadsSetting] = formation.ConnectionString("prefer-standby");
        // Three processes behind the proxy, and one without the stale-reads setting for the comparison below.
        var starting = Enumerable.Range(1, 3).Select(i => rig.StartServiceAsync($"ha-{i}")).ToList();
        var referenceStart = rig.StartServiceAsync("ha-primary-reads", overrides: new Dictionary<string, string> { [StaleReadsSetting] = string.Empty });
        var services = (await Task.WhenAll(starting)).ToList();
        var reference = await referenceStart;

        using var proxy = await HaProxy.StartAsync(services.Select(s => s.Port).ToList(), Path.Combine(rig.Root, "haproxy"));
        rig.Log($"haproxy on port {proxy.Port} over {string.Join(", ", services.Select(s => s.Port))}");
        using var http = rig.Client(proxy.BaseAddress, TimeSpan.FromSeconds(20));
        var dossiers = new List<Guid>();
        for (var i = 0; i < FaultSize.HaLoadDossiers; i++)
        {
            dossiers.Add(await FaultRig.CreateDossierAsync(http, "faults/cycle", new() { ["reference"] = $"HA-{i:D3}" }));
        }

        var probeDossier = await FaultRig.CreateDossierAsync(http, "faults/ring");

        // Commits wait for the standby: pg_auto_failover set synchronous_standby_names on the primary.
        var primary = formation.Nodes[0];
        var standby = formation.Nodes[1];
        var sync = await formation.QueryNodeAsync(primary, "SELECT current_setting('synchronous_standby_names'), string_agg(sync_state, ',') FROM pg_stat_replication");
        Assert.NotNull(sync);
        Assert.StartsWith("ANY 1", sync[0][0], StringComparison.Ordinal);
        Assert.Contains(sync[0][1], new[] { "quorum", "sync" });
        rig.Log($"synchronous_standby_names = {sync[0][0]}, standby sync_state {sync[0][1]}");

        // Stale reads (auditor replay, exports) from a process without the setting (on the primary), then through the
        // proxy (on the standby): the primary's CPU and rows read during each phase. Measured before the transition
        // load starts, so the primary's figures are the reads' own (with the load running, its share varies with the
        // machine's load from one phase to the next and hides the difference).
        var auditor = await AuditorKeyAsync(rig);
        var onPrimary = await ReadPhaseAsync(rig, formation, primary, standby, reference.BaseAddress, auditor, "reads on the primary");
        var onStandby = await ReadPhaseAsync(rig, formation, primary, standby, proxy.BaseAddress, auditor, "reads on the standby");
        reference.Kill();
        Assert.True(onStandby.StandbyRows > onPrimary.StandbyRows, $"the stale reads did not reach the standby: {onPrimary} / {onStandby}");
        Assert.True(onStandby.PrimaryRows * onPrimary.Requests < onPrimary.PrimaryRows * onStandby.Requests,
            $"the stale reads still read the primary (rows per request): {onPrimary} / {onStandby}");

        var load = new LoadClient(dossiers, () => http);
        using var stopNew = new CancellationTokenSource();
        using var giveUp = new CancellationTokenSource(TimeSpan.FromMinutes(FaultSize.Full ? 10 : 4));
        var run = load.RunAsync(stopNew.Token, giveUp.Token);

        // The primary's machine is lost.
        await Task.Delay(FaultSize.HaRunBeforeKill);
        var acksBeforeKill = load.Acks.Count;
        var killedAt = Stopwatch.StartNew();
        formation.KillNode(primary);

        // Time to the first successful transition, on a dossier of its own, retried with one key until it is acknowledged.
        using var probe = rig.Client(proxy.BaseAddress, TimeSpan.FromSeconds(10));
        var probeAnswers = new Dictionary<int, int>();
        while (true)
        {
            try
            {
                var answer = await FaultRig.FireAsync(probe, probeDossier, "next", "probe-failover");
                probeAnswers[answer.Status] = probeAnswers.GetValueOrDefault(answer.Status) + 1;
                if (answer.Status == 200)
                {
                    break;
                }

                Assert.True(answer.Status == 503 && answer.IsProblem && answer.RetryAfter is not null, $"during the failover: {answer.Status} {answer.ContentType} {answer.Body}");
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                probeAnswers[0] = probeAnswers.GetValueOrDefault(0) + 1;
            }

            Assert.True(killedAt.Elapsed < TimeSpan.FromSeconds(90), $"no transition succeeded within 90 s of the kill; formation: {await formation.DescribeAsync()}\n{formation.KeeperLogTail("monitor")}\n{services[0].LogTail(15)}");
            await Task.Delay(100);
        }

        var failover = killedAt.Elapsed;
        // The transition succeeded on the promoted node; the monitor's view (reported state of the keeper) may lag a
        // moment behind (e.g. still stop_replication on the way to wait_primary).
        await formation.WaitForStatesAsync(
            s => s.GetValueOrDefault(standby.Name) is ("primary", "primary") or ("wait_primary", "wait_primary"), TimeSpan.FromSeconds(60), $"{standby.Name} primary");
        Assert.Equal(standby, await formation.PrimaryAsync());
        rig.Log($"failover: first transition {failover.TotalSeconds:F1} s after the kill ({string.Join(", ", probeAnswers.Select(a => $"{a.Key}: {a.Value}"))}); formation: {await formation.DescribeAsync()}");

        // The lost machine comes back and rejoins as the standby (pg_rewind), by itself.
        formation.RestartNode(primary);
        await formation.WaitForStatesAsync(
            s => s.GetValueOrDefault(primary.Name) == ("secondary", "secondary") && s.GetValueOrDefault(standby.Name) == ("primary", "primary"),
            TimeSpan.FromSeconds(120), $"{primary.Name} back as secondary");
        var recovered = killedAt.Elapsed;
        rig.Log($"recovered: {primary.Name} secondary again {recovered.TotalSeconds:F1} s after the kill; {load.Acks.Count - acksBeforeKill} acks since the kill");

        // One service process is killed; HAProxy takes it out and the other two carry on.
        await Task.Delay(TimeSpan.FromSeconds(2));
        services[0].Kill();
        var claimedAtKill = (await rig.QueryAsync("SELECT id FROM notice WHERE status = 'sending'", r => r.GetGuid(0))).ToHashSet();
        rig.Log($"{services[0].Name} (pid {services[0].Pid}) killed with SIGKILL, {claimedAtKill.Count} notice(s) claimed at the kill");
        await Task.Delay(TimeSpan.FromSeconds(3));
        await stopNew.CancelAsync();
        await run;
        rig.Log("load: " + load.Summary());
        Assert.True(load.Unexpected.IsEmpty, "answers other than 200 and 503 problem details with Retry-After:\n" + string.Join('\n', load.Unexpected.Take(10)));
        Assert.True(load.Unacknowledged.IsEmpty, $"{load.Unacknowledged.Count} request(s) never acknowledged");
        Assert.True(load.Outcomes.GetValueOrDefault("503") + load.Outcomes.GetValueOrDefault("no answer") > 0, "no request met the failover: the test proved nothing (" + load.Summary() + ")");
        Assert.False(services.Skip(1).Any(s => s.HasExited), "a surviving service process died");

        // Nothing acknowledged lost, nothing applied twice (the probe's one transition counted in).
        var acks = load.Acks.ToList();
        var probeAcks = await rig.QueryAsync(
            "SELECT j.dossier_id, j.dossier_seq, j.seq FROM journal j WHERE j.dossier_id = $1 AND j.kind = 'transition'",
            r => new LoadClient.Ack(r.GetGuid(0), "probe", r.GetInt32(1), r.GetInt64(2), false, 1, DateTime.UtcNow), probeDossier);
        Assert.Single(probeAcks);
        var (lost, appliedTwice) = await CountLostAndRepeatedAsync(rig, [.. acks, .. probeAcks]);
        await Checks.AssertAcknowledgedExactlyOnceAsync(rig, [.. acks, .. probeAcks]);
        await rig.AssertLinearJournalsAsync();

        var settle = await rig.WaitForNoticesSettledAsync(TimeSpan.FromMinutes(3), services[1], stall: TimeSpan.FromSeconds(60));
        await Checks.AssertChainsVerifyAsync(rig);
        var notices = await rig.NoticesAsync();
        var deliveries = await rig.DeliveriesAsync();
        var records = await rig.RecordsPerNoticeAsync();
        var problems = new List<string>();
        var duplicated = 0;
        foreach (var n in notices)
        {
            var got = deliveries.GetValueOrDefault(n.Id);
            if (n.Status != "sent" || records.GetValueOrDefault(n.Id) != 1 || got == 0)
            {
                problems.Add($"{n.Id}: status {n.Status}, {records.GetValueOrDefault(n.Id)} record(s), {got} message(s)");
            }
            else if (got > 1)
            {
                duplicated++;
                // The documented at-least-once window (a sender killed between the relay's 250 and its record).
                if (!claimedAtKill.Contains(n.Id) || n.Attempts < 2 || (await rig.BodiesOfAsync(n.Id)).Distinct(StringComparer.Ordinal).Count() != 1)
                {
                    problems.Add($"{n.Id}: {got} messages, {n.Attempts} attempt(s), {(claimedAtKill.Contains(n.Id) ? "claimed" : "NOT claimed")} at the service kill");
                }
            }
        }

        problems.AddRange(deliveries.Keys.Except(notices.Select(n => n.Id)).Select(u => $"message for unknown notice {u}"));
        Assert.True(problems.Count == 0, $"{problems.Count} delivery problem(s):\n" + string.Join('\n', problems.Take(30)));
        Assert.True(notices.Count > 0, "the load created no notices");

        rig.Log($"{notices.Count} notices, {deliveries.Values.Sum()} messages, {duplicated} delivered twice (claimed by the killed process); settled {settle.TotalSeconds:F1} s after the load");
        rig.Log(string.Create(CultureInfo.InvariantCulture,
            $"HA RESULT acknowledged={acks.Count} lost={lost} applied_twice={appliedTwice} duplicate_mails={duplicated} failover_s={failover.TotalSeconds:F1} recovered_s={recovered.TotalSeconds:F1} " +
            $"notices={notices.Count} primary_cpu_s_reads_on_primary={onPrimary.PrimaryCpu:F2} primary_cpu_s_reads_on_standby={onStandby.PrimaryCpu:F2} " +
            $"primary_rows_reads_on_primary={onPrimary.PrimaryRows} primary_rows_reads_on_standby={onStandby.PrimaryRows} standby_cpu_s_reads_on_standby={onStandby.StandbyCpu:F2} " +
            $"read_requests={onPrimary.Requests}/{onStandby.Requests} phase_s={FaultSize.StaleReadPhase.TotalSeconds:F0}"));
    }

    /// <summary>What one read phase cost each node: CPU seconds of its processes and journal rows it read (pg_stat_user_tables).</summary>
    private sealed record ReadPhase(int Requests, double PrimaryCpu, double StandbyCpu, long PrimaryRows, long StandbyRows);

    /// <summary>
    /// For <see cref="FaultSize.StaleReadPhase"/>: two readers, each repeating the auditor's replay of everything
    /// (without letters) and a CSV export through <paramref name="target"/>.
    /// </summary>
    private static async Task<ReadPhase> ReadPhaseAsync(FaultRig rig, HaFormation formation, HaFormation.Node primary, HaFormation.Node standby, Uri target, string auditorKey, string name)
    {
        // Journal rows read on a node (every partition; sequential and index reads): what a replay costs. Rows of the
        // whole database would mostly count the background work of the four service processes (Hangfire's polling,
        // the notice dispatcher), which runs on the primary in both phases and varies with the machine's load.
        async Task<long> RowsAsync(HaFormation.Node node) =>
            long.Parse((await formation.QueryNodeAsync(node,
                "SELECT coalesce(sum(coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0)), 0) FROM pg_stat_user_tables WHERE relname LIKE 'journal%'"))![0][0], CultureInfo.InvariantCulture);

        using var auditor = new HttpClient { BaseAddress = target, Timeout = TimeSpan.FromSeconds(60) };
        auditor.DefaultRequestHeaders.Add("X-Api-Key", auditorKey);
        var (cpuP, cpuS, rowsP, rowsS) = (HaFormation.CpuSeconds(primary), HaFormation.CpuSeconds(standby), await RowsAsync(primary), await RowsAsync(standby));
        var requests = 0;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 2).Select(async _ =>
        {
            while (watch.Elapsed < FaultSize.StaleReadPhase)
            {
                using var replay = await auditor.PostAsync(new Uri("/api/audit/replay?letters=false", UriKind.Relative), null);
                Assert.True(replay.IsSuccessStatusCode, $"{name}: replay {(int)replay.StatusCode} {await replay.Content.ReadAsStringAsync()}");
                using var export = await auditor.GetAsync(new Uri("/api/exports/dossiers.csv", UriKind.Relative));
                Assert.True(export.IsSuccessStatusCode, $"{name}: export {(int)export.StatusCode} {await export.Content.ReadAsStringAsync()}");
                Interlocked.Add(ref requests, 2);
            }
        }));
        var (cpuPrimary, cpuStandby, seconds) = (HaFormation.CpuSeconds(primary) - cpuP, HaFormation.CpuSeconds(standby) - cpuS, watch.Elapsed.TotalSeconds);
        await Task.Delay(TimeSpan.FromSeconds(11)); // an idle backend flushes its pending statistics within PGSTAT_IDLE_INTERVAL (10 s)
        var phase = new ReadPhase(requests, cpuPrimary, cpuStandby, await RowsAsync(primary) - rowsP, await RowsAsync(standby) - rowsS);
        rig.Log($"{name}: {phase.Requests} requests in {seconds:F1} s; primary {phase.PrimaryCpu:F2} CPU-s, {phase.PrimaryRows} rows; standby {phase.StandbyCpu:F2} CPU-s, {phase.StandbyRows} rows");
        return phase;
    }

    private static async Task<string> AuditorKeyAsync(FaultRig rig)
    {
        var users = new UserDirectory(rig.DataSource, TimeProvider.System);
        var auditor = await users.CreateUserAsync("HA auditor", "auditor@faults.invalid", Roles.Auditor, null);
        return (await users.CreateKeyAsync(auditor.Id, "ha tests")).Secret;
    }

    /// <summary>Acknowledged requests whose event is not in the journal, and transitions in the journal that no acknowledgement names.</summary>
    private static async Task<(int Lost, int AppliedTwice)> CountLostAndRepeatedAsync(FaultRig rig, IReadOnlyCollection<LoadClient.Ack> acks)
    {
        var events = (await rig.QueryAsync("SELECT seq, dossier_id, dossier_seq FROM journal WHERE kind = 'transition'", r => (r.GetInt64(0), r.GetGuid(1), r.GetInt32(2))))
            .ToDictionary(e => e.Item1, e => (e.Item2, e.Item3));
        var named = acks.Where(a => events.TryGetValue(a.JournalSeq, out var e) && e == (a.Dossier, a.Version)).Select(a => a.JournalSeq).ToHashSet();
        return (acks.Count(a => !named.Contains(a.JournalSeq)), events.Count - named.Count);
    }
}
