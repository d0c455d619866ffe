using System.Text.Json.Nodes;
using Npgsql;
using SubsidyEngine.Workflows.Expressions;

namespace SubsidyEngine.Engine.Runtime;

/// <summary>Where a replay found the record and the recomputation to differ.</summary>
public sealed record Divergence(Guid DossierId, int DossierSeq, long Seq, string Field, string Expected, string Found)
{
    public override string ToString() => $"dossier {DossierId} event {DossierSeq} (seq {Seq}): {Field}: expected {Expected}, found {Found}";
}

/// <summary>The replay of one dossier: how many events, and every divergence (the first one first).</summary>
public sealed record ReplayReport(Guid DossierId, int Events, IReadOnlyList<Divergence> Divergences, string? State, JsonObject? Data)
{
    public bool Ok => Divergences.Count == 0;

    public Divergence? First => Divergences.Count > 0 ? Divergences[0] : null;

    /// <summary>The workflow version of the last event (0 without events).</summary>
    public int WorkflowVersion { get; init; }

    /// <summary>
    /// Compact per-event view: only the events where something differs, each with only the differing fields
    /// (recomputed value as <see cref="Divergence.Expected"/>, recorded value as <see cref="Divergence.Found"/>).
    /// </summary>
    public IReadOnlyList<EventDifferences> DivergentEvents =>
        Divergences.GroupBy(d => (d.DossierSeq, d.Seq)).Select(g => new EventDifferences(g.Key.DossierSeq, g.Key.Seq, g.ToList())).ToList();
}

/// <summary>One event of a replay where recorded and recomputed values differ: only the fields that differ.</summary>
public sealed record EventDifferences(int DossierSeq, long Seq, IReadOnlyList<Divergence> Fields)
{
    public override string ToString() =>
        $"event {DossierSeq} (seq {Seq}): " + string.Join("; ", Fields.Select(f => $"{f.Field}: recomputed {Shorten(f.Expected)}, recorded {Shorten(f.Found)}"));

    private static string Shorten(string s) => s.Length <= 120 ? s : s[..117] + "...";
}

/// <summary>A problem found while checking the journal against the recorded checkpoints.</summary>
public sealed record CheckpointProblem(long CheckpointSeq, string Field, string Expected, string Found)
{
    public override string ToString() => $"checkpoint {CheckpointSeq}: {Field}: expected {Expected}, found {Found}";
}

/// <summary>Totals of a replay over many dossiers.</summary>
public sealed record ReplaySummary(int Dossiers, long Events, int DivergentDossiers, IReadOnlyList<ReplayReport> Failures)
{
    /// <summary>Problems of the checkpoint verification (a rewritten journal whose chains are consistent again).</summary>
    public IReadOnlyList<CheckpointProblem> CheckpointProblems { get; init; } = [];

    /// <summary>Stored letters re-rendered from the journal (null when the letters were not checked).</summary>
    public int? Letters { get; init; }

    /// <summary>Divergences of the letter check (re-rendered hash versus stored and journaled hashes).</summary>
    public IReadOnlyList<Divergence> LetterDivergences { get; init; } = [];

    /// <summary>Every divergent dossier plus every checkpoint problem plus every letter divergence.</summary>
    public int Divergences => DivergentDossiers + CheckpointProblems.Count + LetterDivergences.Count;

    public bool Ok => Divergences == 0;

    public string OneLine => Letters is { } letters
        ? $"replayed {Dossiers} dossiers, {Events} events, {letters} letters, {Divergences} divergences"
        : $"replayed {Dossiers} dossiers, {Events} events, {Divergences} divergences";
}

/// <summary>Progress of a replay of everything.</summary>
public readonly record struct ReplayProgress(int Dossiers, int TotalDossiers, long Events);

/// <summary>Options of <see cref="Replayer.ReplayAllAsync(ReplayAllOptions, CancellationToken)"/>.</summary>
public sealed record ReplayAllOptions
{
    /// <summary>Told now and then (at most every 250 dossiers) and at the end.</summary>
    public IProgress<ReplayProgress>? Progress { get; init; }

    /// <summary>Called for every dossier's report (from worker threads; keep it cheap and thread-safe).</summary>
    public Action<ReplayReport>? OnReport { get; init; }

    /// <summary>Also verify every recorded checkpoint's head digest in the same pass (default true).</summary>
    public bool VerifyCheckpoints { get; init; } = true;

    /// <summary>Parallel replay workers; the journal is still read once, in order.</summary>
    public int Workers { get; init; } = Math.Clamp(Environment.ProcessorCount - 1, 1, 8);

    /// <summary>At most this many failing reports are kept in the summary (all are counted).</summary>
    public int MaxFailuresKept { get; init; } = 10_000;
}

/// <summary>
/// Re-fires a dossier's journal on its pinned definitions (and through recorded migrations), verifying the hash
/// chain, every recorded effect and the stored projection. The journal is the truth: anything else that
/// disagrees with it is reported.
/// </summary>
public sealed class Replayer(NpgsqlDataSource dataSource, WorkflowCatalog catalog, JournalStore journal)
{
    private const string SnapshotColumns = WorkflowRuntime.SnapshotColumns;

    /// <summary>
    /// Replays one dossier. Its journal and its projection are read in one snapshot (a read-only REPEATABLE READ
    /// transaction): read one after the other, an event committed in between (a transition, the outbox's
    /// <c>notice.sent</c> record) made an untampered dossier of a running service look divergent.
    /// </summary>
    public async Task<ReplayReport> ReplayAsync(Guid dossierId, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<JournalEvent> events;
        DossierSnapshot? stored;
        await using (var conn = await dataSource.OpenConnectionAsync(cancellationToken))
        await using (var tx = await conn.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken))
        {
            await using (var readOnly = new NpgsqlCommand("SET TRANSACTION READ ONLY", conn, tx))
            {
                await readOnly.ExecuteNonQueryAsync(cancellationToken);
            }

            events = await journal.ForDossierAsync(conn, tx, dossierId, 0, int.MaxValue, cancellationToken);
            await using (var cmd = new NpgsqlCommand($"SELECT {SnapshotColumns} FROM dossier WHERE id = $1", conn, tx))
            {
                cmd.Parameters.AddWithValue(dossierId);
                await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
                stored = await reader.ReadAsync(cancellationToken) ? WorkflowRuntime.ReadSnapshot(reader) : null;
            }

            await tx.CommitAsync(cancellationToken);
        }

        if (stored is null && events.Count == 0)
        {
            throw new DossierNotFoundException(dossierId);
        }

        return Replay(dossierId, events, stored, catalog);
    }

    /// <summary>Replays every dossier; <paramref name="progress"/> is told now and then.</summary>
    public Task<ReplaySummary> ReplayAllAsync(IProgress<(int Done, int Total)>? progress = null, CancellationToken cancellationToken = default) =>
        ReplayAllAsync(
            new ReplayAllOptions { Progress = progress is null ? null : new SyncProgress<ReplayProgress>(p => progress.Report((p.Dossiers, p.TotalDossiers))) },
            cancellationToken);

    /// <summary>
    /// Replays every dossier by reading the journal once, ordered by (dossier_id, dossier_seq), merged with the
    /// dossier projections ordered by id (two ordered streams on two connections). Memory holds one dossier's
    /// events per worker and a bounded queue, whatever the size of the journal. Recorded checkpoints are verified
    /// in the same pass (their head digests are recomputed from the streamed chain heads).
    /// </summary>
    public async Task<ReplaySummary> ReplayAllAsync(ReplayAllOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var checkpoints = options.VerifyCheckpoints ? await CheckpointService.ReadAllAsync(dataSource, cancellationToken) : [];
        var heads = new CheckpointHeads(checkpoints);
        int total;
        await using (var count = dataSource.CreateCommand("SELECT count(*) FROM dossier"))
        {
            total = Convert.ToInt32(await count.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
        }

        var queue = System.Threading.Channels.Channel.CreateBounded<(Guid Id, List<JournalEvent> Events, DossierSnapshot? Stored)>(
            new System.Threading.Channels.BoundedChannelOptions(options.Workers * 64) { SingleWriter = true, FullMode = System.Threading.Channels.BoundedChannelFullMode.Wait });
        var failures = new System.Collections.Concurrent.ConcurrentBag<ReplayReport>();
        var divergent = 0;
        var done = 0;
        long events = 0;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        async Task ConsumeAsync()
        {
            await foreach (var item in queue.Reader.ReadAllAsync(cts.Token))
            {
                var report = Replay(item.Id, item.Events, item.Stored, catalog);
                options.OnReport?.Invoke(report);
                if (!report.Ok && Interlocked.Increment(ref divergent) <= options.MaxFailuresKept)
                {
                    failures.Add(report);
                }

                var d = Interlocked.Increment(ref done);
                var ev = Interlocked.Add(ref events, report.Events);
                if (d % 250 == 0)
                {
                    options.Progress?.Report(new ReplayProgress(d, Math.Max(total, d), ev));
                }
            }
        }

        var workers = Enumerable.Range(0, Math.Max(1, options.Workers)).Select(_ => Task.Run(async () =>
        {
            try
            {
                await ConsumeAsync();
            }
            catch
            {
                await cts.CancelAsync(); // unblock the reader
                throw;
            }
        }, cts.Token)).ToList();

        try
        {
            // The two streams read one snapshot of the database: the journal's transaction exports it and the
            // projections' transaction imports it, so a transition or record committed while the replay runs is in
            // neither stream (read apart, it was in one and not the other, and an untampered dossier looked divergent).
            await using var journalConn = await dataSource.OpenConnectionAsync(cts.Token);
            await using var dossierConn = await dataSource.OpenConnectionAsync(cts.Token);
            await using var journalTx = await journalConn.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cts.Token);
            string exported;
            await using (var export = new NpgsqlCommand("SET TRANSACTION READ ONLY; SELECT pg_export_snapshot()", journalConn, journalTx))
            {
                exported = (string)(await export.ExecuteScalarAsync(cts.Token))!;
            }

            await using var dossierTx = await dossierConn.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cts.Token);
            await using (var import = new NpgsqlCommand($"SET TRANSACTION READ ONLY; SET TRANSACTION SNAPSHOT '{exported.Replace("'", "''", StringComparison.Ordinal)}'", dossierConn, dossierTx))
            {
                await import.ExecuteNonQueryAsync(cts.Token);
            }

            await using var journalCmd = new NpgsqlCommand($"SELECT {JournalStore.Columns} FROM journal ORDER BY dossier_id, dossier_seq, seq", journalConn, journalTx);
            await using var dossierCmd = new NpgsqlCommand($"SELECT {SnapshotColumns} FROM dossier ORDER BY id", dossierConn, dossierTx);
            await using var journalReader = await journalCmd.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, cts.Token);
            await using var dossierReader = await dossierCmd.ExecuteReaderAsync(cts.Token);

            DossierSnapshot? snapshot = await dossierReader.ReadAsync(cts.Token) ? WorkflowRuntime.ReadSnapshot(dossierReader) : null;
            async Task Flush(Guid id, List<JournalEvent> group)
            {
                // Projections without any journal event sort before this dossier: report them on their own.
                while (snapshot is not null && CompareUuid(snapshot.Id, id) < 0)
                {
                    await queue.Writer.WriteAsync((snapshot.Id, [], snapshot), cts.Token);
                    snapshot = await dossierReader.ReadAsync(cts.Token) ? WorkflowRuntime.ReadSnapshot(dossierReader) : null;
                }

                DossierSnapshot? paired = null;
                if (snapshot is not null && snapshot.Id == id)
                {
                    paired = snapshot;
                    snapshot = await dossierReader.ReadAsync(cts.Token) ? WorkflowRuntime.ReadSnapshot(dossierReader) : null;
                }

                heads.Add(id, group);
                await queue.Writer.WriteAsync((id, group, paired), cts.Token);
            }

            List<JournalEvent>? current = null;
            var currentId = Guid.Empty;
            while (await journalReader.ReadAsync(cts.Token))
            {
                var e = JournalStore.Read(journalReader);
                if (current is not null && e.DossierId != currentId)
                {
                    await Flush(currentId, current);
                    current = null;
                }

                if (current is null)
                {
                    current = [];
                    currentId = e.DossierId;
                }

                current.Add(e);
            }

            if (current is not null)
            {
                await Flush(currentId, current);
            }

            while (snapshot is not null)
            {
                await queue.Writer.WriteAsync((snapshot.Id, [], snapshot), cts.Token);
                snapshot = await dossierReader.ReadAsync(cts.Token) ? WorkflowRuntime.ReadSnapshot(dossierReader) : null;
            }

            queue.Writer.Complete();
        }
        catch (Exception e)
        {
            queue.Writer.TryComplete(e);
            await cts.CancelAsync();
            throw;
        }
        finally
        {
            try
            {
                await Task.WhenAll(workers);
            }
            catch (OperationCanceledException) when (cts.IsCancellationRequested)
            {
            }
        }

        options.Progress?.Report(new ReplayProgress(done, Math.Max(total, done), events));
        var kept = failures.OrderBy(f => f.DossierId.ToString("D"), StringComparer.Ordinal).ToList();
        return new ReplaySummary(done, events, divergent, kept) { CheckpointProblems = heads.Verify() };
    }

    /// <summary>Orders UUIDs as PostgreSQL does (by their 16 bytes, big-endian: the order of their text).</summary>
    public static int CompareUuid(Guid a, Guid b)
    {
        Span<byte> x = stackalloc byte[16];
        Span<byte> y = stackalloc byte[16];
        a.TryWriteBytes(x, bigEndian: true, out _);
        b.TryWriteBytes(y, bigEndian: true, out _);
        return x.SequenceCompareTo(y);
    }

    /// <summary>Pure replay of a list of events against an optional stored projection.</summary>
    public static ReplayReport Replay(Guid dossierId, IReadOnlyList<JournalEvent> events, DossierSnapshot? stored, WorkflowCatalog catalog)
    {
        var replay = new DossierReplay(dossierId, catalog);
        foreach (var e in events)
        {
            replay.Apply(e);
        }

        replay.CheckProjection(stored);
        return replay.Report();
    }

    /// <summary>The template versions a recorded effects summary names (so replay uses the recorded ones).</summary>
    internal static IReadOnlyDictionary<string, int> TemplateVersionsOf(string effects) => RecordedTemplateVersions(effects);

    /// <summary>
    /// The deadline rules a recorded effects summary was computed with: <see cref="DeadlineRules.Legacy"/> when it sets
    /// a deadline without <c>calendar</c> (written before due times were Brussels days), otherwise the current rules.
    /// </summary>
    internal static DeadlineRules DeadlineRulesOf(string effects)
    {
        if (!effects.Contains("\"deadlines\"", StringComparison.Ordinal))
        {
            return DeadlineRules.BrusselsDays;
        }

        try
        {
            return JsonNode.Parse(effects) is JsonObject o && o["deadlines"] is JsonArray deadlines
                   && deadlines.OfType<JsonObject>().Any(d => d["calendar"] is null)
                ? DeadlineRules.Legacy
                : DeadlineRules.BrusselsDays;
        }
        catch (System.Text.Json.JsonException)
        {
            return DeadlineRules.BrusselsDays; // a broken summary diverges anyway
        }
    }

    /// <summary>Recomputes the head digests of the checkpoints from the streamed chains (sorted by dossier id).</summary>
    private sealed class CheckpointHeads(IReadOnlyList<JournalCheckpoint> checkpoints)
    {
        private readonly (JournalCheckpoint C, System.Security.Cryptography.IncrementalHash Hash, long[] Counts)[] _state =
            checkpoints.Select(c => (c, System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256), new long[2])).ToArray();

        public void Add(Guid id, List<JournalEvent> chain)
        {
            foreach (var (c, hash, counts) in _state)
            {
                JournalEvent? head = null;
                var n = 0;
                foreach (var e in chain)
                {
                    if (e.Seq <= c.MaxJournalSeq)
                    {
                        n++;
                        head = e;
                    }
                }

                if (head is not null)
                {
                    hash.AppendData(System.Text.Encoding.UTF8.GetBytes(JournalCheckpoint.HeadLine(id, head.DossierSeq, head.Hash)));
                    counts[0]++;
                    counts[1] += n;
                }
            }
        }

        public List<CheckpointProblem> Verify()
        {
            var problems = new List<CheckpointProblem>();
            var prev = JournalEvent.GenesisHash;
            var expectedSeq = 1L;
            foreach (var (c, hash, counts) in _state)
            {
                var digest = Convert.ToHexStringLower(hash.GetHashAndReset());
                hash.Dispose();
                problems.AddRange(c.Verify(expectedSeq, prev));
                if (digest != c.HeadDigest)
                {
                    problems.Add(new CheckpointProblem(c.Seq, "head_digest (the journal's chain heads differ from those certified)", c.HeadDigest, digest));
                }

                if (counts[0] != c.DossierCount)
                {
                    problems.Add(new CheckpointProblem(c.Seq, "dossier_count", c.DossierCount.ToString(System.Globalization.CultureInfo.InvariantCulture), counts[0].ToString(System.Globalization.CultureInfo.InvariantCulture)));
                }

                if (counts[1] != c.EventCount)
                {
                    problems.Add(new CheckpointProblem(c.Seq, "event_count", c.EventCount.ToString(System.Globalization.CultureInfo.InvariantCulture), counts[1].ToString(System.Globalization.CultureInfo.InvariantCulture)));
                }

                prev = c.Hash;
                expectedSeq = c.Seq + 1;
            }

            return problems;
        }
    }

    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }

    private static readonly IReadOnlyDictionary<string, int> NoTemplateVersions = new Dictionary<string, int>(StringComparer.Ordinal);

    private static IReadOnlyDictionary<string, int> RecordedTemplateVersions(string effects)
    {
        if (!effects.Contains("\"notices\"", StringComparison.Ordinal))
        {
            return NoTemplateVersions;
        }

        var map = new Dictionary<string, int>(StringComparer.Ordinal);

        try
        {
            if (JsonNode.Parse(effects) is JsonObject o && o["notices"] is JsonArray notices)
            {
                foreach (var n in notices.OfType<JsonObject>())
                {
                    if (n["template"]?.GetValue<string>() is { } t && n["version"] is JsonValue v && v.TryGetValue<int>(out var ver))
                    {
                        map[t] = ver;
                    }
                }
            }
        }
        catch (System.Text.Json.JsonException)
        {
            // A tampered effects text is reported by the hash check.
        }

        return map;
    }
}

/// <summary>
/// The incremental replay of one dossier: apply its events in chain order, then check the stored projection.
/// Pure (no database); used by <see cref="Replayer"/> and <see cref="TimeTravel"/>.
/// </summary>
public sealed class DossierReplay(Guid dossierId, WorkflowCatalog catalog)
{
    private static readonly System.Globalization.CultureInfo Inv = System.Globalization.CultureInfo.InvariantCulture;
    private readonly List<Divergence> _divergences = [];
    private JournalEvent? _last;
    private IReadOnlyDictionary<string, int> _recordedTemplates = new Dictionary<string, int>();
    private Func<string, int>? _templateVersion;

    public Guid DossierId => dossierId;

    public string State { get; private set; } = string.Empty;

    public JsonObject Data { get; private set; } = new();

    /// <summary>The chain head so far.</summary>
    public string HeadHash { get; private set; } = JournalEvent.GenesisHash;

    /// <summary>The dossier_seq of the last event applied.</summary>
    public int Version { get; private set; }

    public string WorkflowId { get; private set; } = string.Empty;

    public int WorkflowVersion { get; private set; }

    public int Events { get; private set; }

    public IReadOnlyList<Divergence> Divergences => _divergences;

    /// <summary>The effects summary recomputed for the last event (null for records and on errors).</summary>
    public JsonObject? LastEffects { get; private set; }

    public void Apply(JournalEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        Events++;
        LastEffects = null;
        void Diverge(string field, string expected, string found) => AddDivergence(e, field, expected, found);

        if (e.DossierId != dossierId)
        {
            Diverge("dossier_id", dossierId.ToString("D"), e.DossierId.ToString("D"));
        }

        if (e.DossierSeq != Version + 1)
        {
            Diverge("dossier_seq", (Version + 1).ToString(Inv), e.DossierSeq.ToString(Inv));
        }

        if (e.PrevHash != HeadHash)
        {
            Diverge("prev_hash", HeadHash, e.PrevHash);
        }

        if (!e.HashMatches())
        {
            Diverge("hash", e.ComputeHash(), e.Hash);
        }

        Workflows.Compilation.CompiledWorkflow? wf = null;
        try
        {
            wf = catalog.Get(e.DefinitionId, e.DefinitionVersion);
            if (wf.Definition.ContentHash != e.DefinitionHash)
            {
                Diverge("definition_hash", wf.Definition.ContentHash, e.DefinitionHash);
            }
        }
        catch (WorkflowNotFoundException)
        {
            Diverge("definition", "a known definition", $"{e.DefinitionId}@v{e.DefinitionVersion}");
        }

        if (e.FromState != State)
        {
            Diverge("from_state", State, e.FromState);
        }

        JsonObject args;
        try
        {
            args = CanonicalJson.ParseObject(e.Arguments);
        }
        catch (System.Text.Json.JsonException)
        {
            Diverge("arguments", "a JSON object", e.Arguments);
            args = new JsonObject();
        }

        JsonObject? inputs = null;
        if (e.Format == JournalEvent.FormatTag && e.Inputs != "{}")
        {
            Diverge("inputs", "{} (an sej1 event has no inputs)", e.Inputs);
        }
        else if (e.Inputs != "{}")
        {
            try
            {
                inputs = CanonicalJson.ParseObject(e.Inputs);
            }
            catch (System.Text.Json.JsonException)
            {
                Diverge("inputs", "a JSON object", e.Inputs);
            }
        }

        _recordedTemplates = Replayer.TemplateVersionsOf(e.Effects);
        var templateVersion = _templateVersion ??= RecordedOrLatestTemplateVersion;
        var deadlineRules = Replayer.DeadlineRulesOf(e.Effects);
        var actor = RuntimeDecider.RecordedActor(e.Actor, e.ActorRole, inputs);

        if (wf is not null)
        {
            try
            {
                EffectOutcome? outcome = null;
                string to;
                switch (e.Kind)
                {
                    case "created":
                        to = wf.Definition.Initial;
                        outcome = RuntimeDecider.Create(wf, dossierId, args, actor, e.OccurredAt, inputs, templateVersion, deadlineRules).Outcome;
                        break;

                    case "transition":
                    {
                        // The same decision as the live fire, on the journaled inputs (runtime 2) instead of a database.
                        var decision = RuntimeDecider.Decide(RuntimeDecider.Plan(wf, dossierId, State, Data, e.Trigger, args, actor, e.OccurredAt), Data, args, actor, e.OccurredAt, inputs);
                        to = decision.ToState;
                        outcome = RuntimeDecider.Effects(decision, catalog.Rules, dossierId, e.DossierSeq, templateVersion, deadlineRules);
                        break;
                    }

                    case "migrated":
                        outcome = DefinitionMigrator.Outcome(catalog, args, State, Data, e.OccurredAt, actor, dossierId, e.DossierSeq, templateVersion, out to, deadlineRules);
                        break;

                    default:
                        // Records such as notice.sent change neither state nor data; their effects are empty.
                        to = State;
                        if (e.Effects != "{}")
                        {
                            Diverge("effects", "{}", e.Effects);
                        }

                        break;
                }

                if (to != e.ToState)
                {
                    Diverge("to_state", to, e.ToState);
                }

                if (outcome is not null)
                {
                    if (!CanonicalJson.Matches(outcome.Summary, e.Effects))
                    {
                        Diverge("effects", CanonicalJson.Serialize(outcome.Summary), e.Effects);
                    }

                    Data = outcome.Data;
                    LastEffects = outcome.Summary;
                }
            }
            catch (WorkflowException ex)
            {
                Diverge("trigger", $"'{e.Trigger}' permitted from '{State}'", ex.Message);
            }
#pragma warning disable CA1031 // A tampered event may make a rule or effect throw anything: report it, keep replaying.
            catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
            {
                Diverge("replay", "a successful re-execution", $"{ex.GetType().Name}: {ex.Message}");
            }
        }

        State = e.ToState;
        HeadHash = e.Hash;
        Version = e.DossierSeq;
        WorkflowId = e.DefinitionId;
        WorkflowVersion = e.DefinitionVersion;
        _last = e;
    }

    // Apply's local Diverge forwards here; the template-version delegate below is created once per dossier instead of
    // a capturing closure per event.
    private void AddDivergence(JournalEvent e, string field, string expected, string found) =>
        _divergences.Add(new Divergence(dossierId, e.DossierSeq, e.Seq, field, expected, found));

    /// <summary>The template version the event's recorded effects name, else the latest (one delegate per dossier).</summary>
    private int RecordedOrLatestTemplateVersion(string id) => _recordedTemplates.TryGetValue(id, out var v) ? v : catalog.Templates.LatestVersion(id);

    /// <summary>Compares the stored projection (null: none) with the replayed one.</summary>
    public void CheckProjection(DossierSnapshot? stored)
    {
        var last = _last;
        void Projection(string field, string expected, string found) =>
            _divergences.Add(new Divergence(dossierId, last?.DossierSeq ?? 0, last?.Seq ?? 0, "projection." + field, expected, found));

        if (stored is null)
        {
            _divergences.Add(new Divergence(dossierId, Version, 0, "projection", "a dossier row", "none"));
            return;
        }

        if (last is null)
        {
            Projection("journal", "the dossier's events", "none");
        }

        if (stored.State != State)
        {
            Projection("state", State, stored.State);
        }

        if (stored.Version != Version)
        {
            Projection("version", Version.ToString(Inv), stored.Version.ToString(Inv));
        }

        if (stored.HeadHash != HeadHash)
        {
            Projection("head_hash", HeadHash, stored.HeadHash);
        }

        if (last is not null && stored.WorkflowVersion != WorkflowVersion)
        {
            Projection("workflow_version", WorkflowVersion.ToString(Inv), stored.WorkflowVersion.ToString(Inv));
        }

        var expectedData = CanonicalJson.Serialize(Data);
        var foundData = CanonicalJson.Serialize(stored.Data);
        if (expectedData != foundData)
        {
            Projection("data", expectedData, foundData);
        }
    }

    public ReplayReport Report() => new(dossierId, Events, _divergences.ToList(), State, Data) { WorkflowVersion = WorkflowVersion };
}
