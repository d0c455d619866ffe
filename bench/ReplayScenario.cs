using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;
using SubsidyEngine.Engine.Audit;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Workflows.Expressions;
using SubsidyEngine.Workflows.Loading;

namespace SubsidyEngine.Bench;

/// <summary>
/// Replay + verification throughput of <see cref="Replayer.ReplayAllAsync(ReplayAllOptions, CancellationToken)"/> on a
/// generated journal (full: 1,000,000 events over 10,000 dossiers; quick: 100,000 over 1,000), and the peak working
/// set, which must not grow with the journal. Setup inserts valid chains with binary COPY (events computed in C#
/// with the same pure functions the runtime uses), then takes a checkpoint, so the replay verifies hashes, chains,
/// effects, projections and the checkpoint's head digest. Quick mode first runs one replay that is reported but not
/// counted (JIT warm-up, see REPLAY_WARMUP below and docs/benchmarks.md).
/// </summary>
public static class ReplayScenario
{
    private const string Definition = """
    {
      "id": "bench/cycle", "version": 1, "initial": "A",
      "states": [ { "id": "A" }, { "id": "B" }, { "id": "C" } ],
      "triggers": [ { "id": "next", "parameters": [ { "name": "n", "type": "int" }, { "name": "amount", "type": "decimal" } ] } ],
      "transitions": [
        { "from": "A", "trigger": "next", "to": "B", "roles": ["officer"], "assign": { "last": "args.n", "amount": "args.amount" } },
        { "from": "B", "trigger": "next", "to": "C", "roles": ["officer"], "assign": { "last": "args.n" } },
        { "from": "C", "trigger": "next", "to": "A", "roles": ["officer"], "assign": { "last": "args.n" } }
      ]
    }
    """;

    private sealed class NoTemplates : ILetterTemplates
    {
        public bool Exists(string templateId) => false;

        public int LatestVersion(string templateId) => throw new InvalidOperationException();
    }

    public static async Task<IReadOnlyList<string>> RunAsync(bool quick)
    {
        var dossiers = quick ? 1_000 : 10_000;
        const int perDossier = 100;
        await using var cluster = await BenchCluster.StartAsync();
        var ds = cluster.DataSource;
        var problems = new List<LoadProblem>();
        var def = DefinitionLoader.LoadDefinition(Encoding.UTF8.GetBytes(Definition), "bench/cycle.v1.json", problems)!;
        var catalog = WorkflowCatalog.FromDefinitions([def], new RuleRegistry(), new NoTemplates());
        var clock = TimeProvider.System;
        await new DefinitionStore(ds, clock).EnsureRecordedAsync(def, CancellationToken.None);

        var setup = Stopwatch.StartNew();
        await GenerateAsync(ds, catalog, dossiers, perDossier);
        await using (var analyze = ds.CreateCommand("ANALYZE journal; ANALYZE dossier"))
        {
            await analyze.ExecuteNonQueryAsync();
        }

        var (checkpoint, _) = await new CheckpointService(ds, clock).TakeAsync();
        Console.WriteLine($"setup: {checkpoint.EventCount:N0} events in {checkpoint.DossierCount:N0} dossiers generated and checkpointed in {setup.Elapsed.TotalSeconds:F1} s");

        if (Environment.GetEnvironmentVariable("REPLAY_PROFILE") == "1")
        {
            await ProfileAsync(ds, catalog);
        }

        // REPLAY_WORKERS overrides the default worker count; REPLAY_ROUNDS > 1 repeats the replay and reports every
        // round, the RESULT line taking the best. REPLAY_WARMUP rounds (default 1 in quick mode, 0 in the full run) run
        // first and are reported but not counted: in a fresh process the first replay spends about a third of its CPU
        // in the JIT (tiered compilation of the replay path and Npgsql), which 100,000 events do not amortise and
        // 1,000,000 mostly do. A long-running service or CLI replays warm after its first dossiers.
        var options = int.TryParse(Environment.GetEnvironmentVariable("REPLAY_WORKERS"), out var w) ? new ReplayAllOptions { Workers = w } : new ReplayAllOptions();
        var rounds = int.TryParse(Environment.GetEnvironmentVariable("REPLAY_ROUNDS"), out var r) ? Math.Max(1, r) : 1;
        var warmups = int.TryParse(Environment.GetEnvironmentVariable("REPLAY_WARMUP"), out var wu) ? Math.Max(0, wu) : quick ? 1 : 0;
        for (var warm = 1; warm <= warmups; warm++)
        {
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            var summary = await new Replayer(ds, catalog, new JournalStore(ds)).ReplayAllAsync(options);
            var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
            Console.WriteLine($"warm-up {warm} (not counted): {summary.OneLine} in {watch.Elapsed.TotalSeconds:F2} s = {summary.Events / watch.Elapsed.TotalSeconds:F0} events/s, client CPU {cpu * 1e6 / Math.Max(1, summary.Events):F1} us per event (JIT included)");
        }

        var bestRate = 0.0;
        var bestCpu = double.MaxValue;
        long peakDuring = 0;
        for (var round = 1; round <= rounds; round++)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            var before = Environment.WorkingSet;
            peakDuring = Math.Max(peakDuring, before);
            using var sampler = new Timer(_ => InterlockedMax(ref peakDuring, Environment.WorkingSet), null, 0, 50);
            var replayer = new Replayer(ds, catalog, new JournalStore(ds));
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            var summary = await replayer.ReplayAllAsync(options);
            watch.Stop();
            var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
            InterlockedMax(ref peakDuring, Environment.WorkingSet);
            Console.WriteLine(summary.OneLine);
            if (!summary.Ok || summary.Events != (long)dossiers * perDossier)
            {
                throw new InvalidOperationException("replay found divergences or missed events: " + string.Join("; ", summary.Failures.Take(3).Select(f => f.First?.ToString()).Concat(summary.CheckpointProblems.Select(p => p.ToString()))));
            }

            var rate = summary.Events / watch.Elapsed.TotalSeconds;
            bestRate = Math.Max(bestRate, rate);
            bestCpu = Math.Min(bestCpu, cpu);
            var peakProcess = Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024.0);
            Console.WriteLine($"round {round}: replay + verification: {summary.Events:N0} events in {watch.Elapsed.TotalSeconds:F2} s = {rate:F0} events/s ({Environment.ProcessorCount} cores, {options.Workers} workers)");
            Console.WriteLine($"round {round}: client CPU: {cpu:F2} s = {summary.Events / cpu:F0} events per CPU-second = {cpu * 1e6 / summary.Events:F1} us CPU per event; load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]} (shared machine)");
            Console.WriteLine($"round {round}: working set: {before / 1048576.0:F0} MB before replay, peak during replay {peakDuring / 1048576.0:F0} MB, process peak (incl. setup) {peakProcess:F0} MB");
        }

        var cpuPerEvent = bestCpu * 1e6 / ((long)dossiers * perDossier);
        return [$"RESULT replay events_per_s={bestRate:F0} cpu_us_per_event={cpuPerEvent:F1} peak_mb={peakDuring / 1048576.0:F0} warmup_rounds={warmups}"];
    }

    /// <summary>
    /// REPLAY_PROFILE=1: a per-phase breakdown on one thread, best of several rounds (a loaded machine inflates single
    /// rounds): reading the rows, the hash check, parsing the arguments, the whole re-fire (which includes the hash
    /// check and the parse) and serialising the recomputed effects.
    /// </summary>
    private static async Task ProfileAsync(NpgsqlDataSource ds, WorkflowCatalog catalog)
    {
        const int rounds = 5;
        var js = new JournalStore(ds);
        var list = new List<JournalEvent>();
        var best = TimeSpan.MaxValue;
        for (var r = 0; r < 3; r++)
        {
            list.Clear();
            var w = Stopwatch.StartNew();
            await foreach (var e in js.StreamAllAsync())
            {
                if (list.Count < 200_000)
                {
                    list.Add(e);
                }
            }

            best = w.Elapsed < best ? w.Elapsed : best;
        }

        await using (var explain = ds.CreateCommand("EXPLAIN (ANALYZE, BUFFERS) SELECT * FROM journal ORDER BY dossier_id, dossier_seq, seq"))
        await using (var plan = await explain.ExecuteReaderAsync())
        {
            while (await plan.ReadAsync())
            {
                Console.WriteLine("profile: plan: " + plan.GetString(0));
            }
        }

        void Report(string phase, TimeSpan t) => Console.WriteLine($"profile: {phase,-28} {t.TotalSeconds,6:F3} s = {t.TotalMilliseconds * 1000 / list.Count,5:F2} us/event");
        Report("read rows (DB + materialise)", best);
        var groups = list.GroupBy(e => e.DossierId).Select(g => g.ToList()).ToList();
        var summaries = new List<JsonObject>();
        foreach (var g in groups)
        {
            var rp = new DossierReplay(g[0].DossierId, catalog);
            foreach (var e in g)
            {
                rp.Apply(e);
                if (rp.LastEffects is { } fx)
                {
                    summaries.Add(fx);
                }
            }
        }

        var parsed = list.Select(e => CanonicalJson.ParseObject(e.Arguments)).ToList();
        var phases = new (string Name, Action Run)[]
        {
            ("hash check", () => list.ForEach(e => e.HashMatches())),
            ("arguments parse", () => list.ForEach(e => CanonicalJson.ParseObject(e.Arguments))),
            ("effects serialise", () => summaries.ForEach(fx => CanonicalJson.Serialize(fx))),
            ("candidates + validation", () =>
            {
                var wf = catalog.Get("bench/cycle", 1);
                var data = new JsonObject();
                var trig = wf.Definition.FindTrigger("next")!;
                foreach (var (e, a) in list.Zip(parsed))
                {
                    var ctx = new SubsidyEngine.Workflows.Decisions.DecisionContext(new RuleContext(data, a, e.OccurredAt, new Actor(e.Actor, e.ActorRole), e.FromState));
                    if (e.Kind == "transition")
                    {
                        var c = SubsidyEngine.Workflows.Decisions.Decider.Candidates(wf, e.FromState, "next", ctx).Candidates;
                        _ = ArgumentValidator.Validate(trig.Parameters, a, c.Any(x => x.Transition.CommentRequired), false);
                    }
                }
            }),
            ("effects apply (assignments)", () =>
            {
                var wf = catalog.Get("bench/cycle", 1);
                var data = new JsonObject { ["last"] = 1, ["amount"] = 12.5m };
                foreach (var (e, a) in list.Zip(parsed))
                {
                    if (e.Kind == "transition")
                    {
                        var t = wf.Definition.Transitions.First(t => t.From == e.FromState);
                        _ = TransitionEffects.Apply(catalog.Rules, t.Assign, t.Compute, t.Effects, new RuleContext(data, a, e.OccurredAt, new Actor(e.Actor, e.ActorRole), e.FromState), e.ToState, e.DossierId, e.DossierSeq, _ => 1, null);
                    }
                }
            }),
            ("re-fire (all of Apply)", () =>
            {
                foreach (var g in groups)
                {
                    var rp = new DossierReplay(g[0].DossierId, catalog);
                    g.ForEach(rp.Apply);
                }
            }),
        };
        foreach (var (name, run) in phases)
        {
            best = TimeSpan.MaxValue;
            for (var r = 0; r < rounds; r++)
            {
                var w = Stopwatch.StartNew();
                run();
                best = w.Elapsed < best ? w.Elapsed : best;
            }

            Report(name, best);
        }
    }

    private static void InterlockedMax(ref long target, long value)
    {
        long current;
        while (value > (current = Interlocked.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }

    /// <summary>Streams valid chains into journal and dossier with binary COPY; nothing is kept in memory.</summary>
    private static async Task GenerateAsync(NpgsqlDataSource ds, WorkflowCatalog catalog, int dossiers, int perDossier)
    {
        var wf = catalog.Get("bench/cycle", 1);
        var d = wf.Definition;
        var actor = new Actor("bench", "officer");
        var start = new DateTimeOffset(2025, 1, 1, 8, 0, 0, TimeSpan.Zero);
        await using var journalConn = await ds.OpenConnectionAsync();
        await using var dossierConn = await ds.OpenConnectionAsync();
        // A bulk load as the cluster's superuser: without the journal's triggers (the append guard would look for
        // dossier rows that the other COPY has not committed yet); replay verifies what was loaded.
        await using (var bulk = new NpgsqlCommand("SET session_replication_role = replica", journalConn))
        {
            await bulk.ExecuteNonQueryAsync();
        }

        await using var journal = await journalConn.BeginBinaryImportAsync(
            "COPY journal (dossier_id, dossier_seq, occurred_at, actor, actor_role, kind, trigger, from_state, to_state, definition_id, definition_version, definition_hash, arguments, effects, prev_hash, hash) FROM STDIN (FORMAT BINARY)");
        await using var dossier = await dossierConn.BeginBinaryImportAsync(
            "COPY dossier (id, workflow_id, workflow_version, state, version, data, head_hash, created_at, updated_at) FROM STDIN (FORMAT BINARY)");
        var random = new Random(42);
        for (var i = 0; i < dossiers; i++)
        {
            var id = Guid.CreateVersion7(start.AddSeconds(i));
            var state = d.Initial;
            var data = new JsonObject();
            var prev = JournalEvent.GenesisHash;
            var t = start.AddSeconds(i);
            for (var seq = 1; seq <= perDossier; seq++)
            {
                t = t.AddMinutes(1);
                JournalEvent e;
                if (seq == 1)
                {
                    var outcome = TransitionEffects.Apply(catalog.Rules, new Dictionary<string, JsonNode?>(), null, [], new RuleContext(new JsonObject(), new JsonObject(), t, actor, state), state, id, 1, _ => 1, null);
                    data = outcome.Data;
                    e = new JournalEvent { Kind = "created", Trigger = "create", FromState = string.Empty, ToState = state, Arguments = "{}", Effects = CanonicalJson.Serialize(outcome.Summary) };
                }
                else
                {
                    var args = new JsonObject { ["n"] = seq, ["amount"] = Math.Round((decimal)random.NextDouble() * 100_000m, 2) };
                    var decision = RuntimeDecider.Decide(wf, id, state, data, "next", args, actor, t);
                    var outcome = TransitionEffects.Apply(catalog.Rules, decision.Transition.Assign, decision.Transition.Compute, decision.Transition.Effects, decision.Rule, decision.ToState, id, seq, _ => 1, decision.Checks);
                    e = new JournalEvent { Kind = "transition", Trigger = "next", FromState = state, ToState = decision.ToState, Arguments = CanonicalJson.Serialize(args), Effects = CanonicalJson.Serialize(outcome.Summary) };
                    data = outcome.Data;
                    state = decision.ToState;
                }

                e = (e with
                {
                    DossierId = id, DossierSeq = seq, OccurredAt = JournalEvent.Truncate(t), Actor = actor.Id, ActorRole = actor.Role,
                    DefinitionId = d.Id, DefinitionVersion = d.Version, DefinitionHash = d.ContentHash, PrevHash = prev,
                }).WithHash();
                prev = e.Hash;
                await journal.StartRowAsync();
                await journal.WriteAsync(e.DossierId, NpgsqlDbType.Uuid);
                await journal.WriteAsync(e.DossierSeq, NpgsqlDbType.Integer);
                await journal.WriteAsync(e.OccurredAt, NpgsqlDbType.TimestampTz);
                await journal.WriteAsync(e.Actor, NpgsqlDbType.Text);
                await journal.WriteAsync(e.ActorRole, NpgsqlDbType.Text);
                await journal.WriteAsync(e.Kind, NpgsqlDbType.Text);
                await journal.WriteAsync(e.Trigger, NpgsqlDbType.Text);
                await journal.WriteAsync(e.FromState, NpgsqlDbType.Text);
                await journal.WriteAsync(e.ToState, NpgsqlDbType.Text);
                await journal.WriteAsync(e.DefinitionId, NpgsqlDbType.Text);
                await journal.WriteAsync(e.DefinitionVersion, NpgsqlDbType.Integer);
                await journal.WriteAsync(e.DefinitionHash, NpgsqlDbType.Text);
                await journal.WriteAsync(e.Arguments, NpgsqlDbType.Text);
                await journal.WriteAsync(e.Effects, NpgsqlDbType.Text);
                await journal.WriteAsync(e.PrevHash, NpgsqlDbType.Text);
                await journal.WriteAsync(e.Hash, NpgsqlDbType.Text);
            }

            await dossier.StartRowAsync();
            await dossier.WriteAsync(id, NpgsqlDbType.Uuid);
            await dossier.WriteAsync(d.Id, NpgsqlDbType.Text);
            await dossier.WriteAsync(d.Version, NpgsqlDbType.Integer);
            await dossier.WriteAsync(state, NpgsqlDbType.Text);
            await dossier.WriteAsync(perDossier, NpgsqlDbType.Integer);
            await dossier.WriteAsync(CanonicalJson.Serialize(data), NpgsqlDbType.Jsonb);
            await dossier.WriteAsync(prev, NpgsqlDbType.Text);
            await dossier.WriteAsync(start, NpgsqlDbType.TimestampTz);
            await dossier.WriteAsync(t, NpgsqlDbType.TimestampTz);
        }

        await journal.CompleteAsync();
        await dossier.CompleteAsync();
        await journal.DisposeAsync();
        await using var reset = new NpgsqlCommand("RESET session_replication_role", journalConn); // pooled, not reset on close
        await reset.ExecuteNonQueryAsync();
    }
}
