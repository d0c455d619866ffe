using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;
using SubsidyEngine.Workflows.Compilation;
using SubsidyEngine.Workflows.Decisions;
using SubsidyEngine.Workflows.Expressions;
using SubsidyEngine.Workflows.Model;

namespace SubsidyEngine.Engine.Runtime;

/// <summary>A request to fire a trigger on a dossier.</summary>
public sealed record FireRequest(Guid DossierId, string Trigger, JsonObject? Arguments, Actor Actor)
{
    /// <summary>Same key + same request returns the first result and writes nothing; same key + other request is refused.</summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>Optimistic concurrency: the dossier version (ETag) the caller saw.</summary>
    public int? ExpectedVersion { get; init; }

    /// <summary>Optimistic concurrency: the state the caller saw.</summary>
    public string? ExpectedState { get; init; }

    /// <summary>Set by the deadline sweep: the deadline whose passing fires this trigger.</summary>
    public Guid? TimeoutDeadlineId { get; init; }

    /// <summary>
    /// The arguments come from a client (REST, a page): on a runtime 1 version, arguments that state a server-owned
    /// fact are refused (<see cref="Workflows.Expressions.RuleRegistry.ServerOwnedArguments"/>).
    /// </summary>
    public bool FromClient { get; init; }

    /// <summary>
    /// When set, only a dossier visible in this scope can be fired: the visibility filter is part of the locking
    /// read, so a dossier outside the scope is not found (inside the same transaction, no separate check).
    /// </summary>
    public Access.AccessScope? Scope { get; init; }
}

/// <summary>A request to start a dossier on the latest (or a given) version of a workflow.</summary>
public sealed record CreateRequest(string WorkflowId, JsonObject Data, Actor Actor)
{
    public Guid? DossierId { get; init; }

    public string? IdempotencyKey { get; init; }
}

/// <summary>What a fire (or create) did.</summary>
public sealed record FireResult(Guid DossierId, int Version, string FromState, string ToState, long JournalSeq, string Hash, bool Replayed, IReadOnlyList<Guid> NoticeIds)
{
    public JsonObject ToJson() => new()
    {
        ["dossierId"] = DossierId.ToString("D"),
        ["version"] = Version,
        ["from"] = FromState,
        ["to"] = ToState,
        ["journalSeq"] = JournalSeq,
        ["hash"] = Hash,
        ["notices"] = new JsonArray(NoticeIds.Select(n => (JsonNode)JsonValue.Create(n.ToString("D"))!).ToArray()),
    };

    public static FireResult FromJson(JsonObject o, bool replayed) => new(
        Guid.Parse(o["dossierId"]!.GetValue<string>()),
        o["version"]!.GetValue<int>(),
        o["from"]!.GetValue<string>(),
        o["to"]!.GetValue<string>(),
        o["journalSeq"]!.GetValue<long>(),
        o["hash"]!.GetValue<string>(),
        replayed,
        o["notices"]!.AsArray().Select(n => Guid.Parse(n!.GetValue<string>())).ToList());
}

/// <summary>One trigger as offered to an actor: permitted or not, and why not.</summary>
public sealed record TriggerOption(string Trigger, TriggerDefinition Definition, string? To, bool RoleAllowed, bool Permitted, IReadOnlyList<Reason> Reasons, bool CommentRequired);

/// <summary>The stored projection of a dossier.</summary>
public sealed record DossierSnapshot(Guid Id, string WorkflowId, int WorkflowVersion, string State, int Version, JsonObject Data, string HeadHash, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>Told after a commit that created notices or deadlines, so workers can wake up early.</summary>
public interface IWorkSignal
{
    void NoticesCreated();
}

/// <summary>
/// The transition contract. Every change of a dossier goes through here: one PostgreSQL transaction that locks
/// the dossier row, evaluates the pinned definition's guards, fires the Stateless machine, appends the
/// hash-chained journal event, updates the projection and writes the effect rows (notices, deadlines); side
/// effects happen only after commit. A fire on a dossier this runtime committed last skips the locking read: it is
/// decided on what the runtime remembers and written with a guard on everything the decision read
/// (<see cref="FireOnKnownAsync"/>, docs/decisions/2026-11-23-fire-on-known-dossier.md).
/// </summary>
public sealed class WorkflowRuntime(
    NpgsqlDataSource dataSource, WorkflowCatalog catalog, DefinitionStore definitions, TimeProvider clock, IWorkSignal? signal = null,
    int knownDossierCapacity = WorkflowRuntime.DefaultKnownDossierCapacity)
{
    /// <summary>How many dossiers a runtime remembers as it last committed them (<see cref="KnownDossiers"/>).</summary>
    public const int DefaultKnownDossierCapacity = 10_000;

    private readonly KnownDossiers _known = new(knownDossierCapacity);
    private long _knownAnswered;
    private long _knownFellBack;

    /// <summary>
    /// Fires this runtime answered on a known dossier (one round trip), and fires that tried and were decided on the
    /// locked row instead (<see cref="FireOnKnownAsync"/>).
    /// </summary>
    internal (long Answered, long FellBack) KnownFires => (Interlocked.Read(ref _knownAnswered), Interlocked.Read(ref _knownFellBack));

    /// <summary>What this runtime remembers of a dossier (<see cref="KnownDossiers"/>), null when nothing.</summary>
    internal KnownDossier? Known(Guid dossierId) => _known.Get(dossierId);

    public WorkflowCatalog Catalog => catalog;

    private DateTimeOffset Now() => JournalEvent.Truncate(clock.GetUtcNow());

    /// <summary>
    /// Starts a dossier in the initial state of the latest effective version of <see cref="CreateRequest.WorkflowId"/>.
    /// Runtime 1 copies every argument into the data. Runtime 2 checks the arguments against the creation's schema,
    /// reads its server-derived inputs inside the transaction, assigns the data as the creation says, checks the
    /// actor's relation and the creation guard on that data, and claims the dossier's unique key.
    /// </summary>
    public async Task<FireResult> CreateAsync(CreateRequest request, CancellationToken cancellationToken = default)
    {
        var wf = catalog.LatestEffective(request.WorkflowId, clock.GetUtcNow());
        var def = wf.Definition;
        var strict = def.Runtime >= 2;
        if (strict && def.Creation is { } declared)
        {
            var errors = ArgumentValidator.Validate(declared.Parameters, request.Data, commentRequired: false);
            if (errors.Count > 0)
            {
                throw new ArgumentValidationException(errors);
            }
        }

        if (!wf.MayCreate(request.Actor.Role))
        {
            throw new TransitionForbiddenException("create", request.Actor.Role);
        }

        if (!strict && def.Creation is { } creation)
        {
            var errors = ArgumentValidator.Validate(creation.Parameters, request.Data, commentRequired: false);
            if (errors.Count > 0)
            {
                throw new ArgumentValidationException(errors);
            }
        }

        JournalEvent.SingleLine(request.Actor.Id, "actor");
        await definitions.EnsureRecordedAsync(def, cancellationToken);
        var id = request.DossierId ?? Guid.CreateVersion7(clock.GetUtcNow());
        ThrowIfLossy(request.Data);
        var arguments = CanonicalJson.Serialize(request.Data);
        var args = CanonicalJson.ParseObject(arguments);
        var requestHash = RequestHash("create", request.DossierId ?? Guid.Empty, def.Id, arguments, request.Actor);

        await using var conn = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await conn.BeginTransactionAsync(cancellationToken);
        if (request.IdempotencyKey is not null)
        {
            var earlier = await ClaimIdempotencyAsync(conn, tx, request.IdempotencyKey, requestHash, id, cancellationToken);
            if (earlier is not null)
            {
                return earlier;
            }
        }

        var now = Now();
        JsonObject? inputs = null;
        string? uniqueKey = null;
        if (strict)
        {
            inputs = await ReadInputsAsync(
                [.. def.Creation!.Inputs ?? new Dictionary<string, string>()], new InputRequest(id, def.Id, def.Initial, [], args, request.Actor, now, conn, tx), cancellationToken);
        }

        var (outcome, proposed) = RuntimeDecider.Create(wf, id, args, request.Actor, now, inputs, catalog.Templates.LatestVersion);
        if (strict)
        {
            uniqueKey = UniqueKey(def, def.Creation!, proposed);
        }

        var ev = new JournalEvent
        {
            Format = JournalEvent.FormatTag2,
            DossierId = id,
            DossierSeq = 1,
            OccurredAt = now,
            Actor = request.Actor.Id,
            ActorRole = request.Actor.Role,
            Kind = "created",
            Trigger = "create",
            FromState = string.Empty,
            ToState = def.Initial,
            DefinitionId = def.Id,
            DefinitionVersion = def.Version,
            DefinitionHash = def.ContentHash,
            Arguments = arguments,
            Inputs = inputs is null ? "{}" : CanonicalJson.Serialize(inputs),
            Effects = CanonicalJson.Serialize(outcome.Summary),
            PrevHash = JournalEvent.GenesisHash,
        }.WithHash();

        await using (var insert = new NpgsqlCommand(
            "INSERT INTO dossier (id, workflow_id, workflow_version, state, version, data, head_hash, created_at, updated_at) VALUES ($1, $2, $3, $4, 1, $5::jsonb, $6, $7, $7)", conn, tx))
        {
            insert.Parameters.AddWithValue(id);
            insert.Parameters.AddWithValue(def.Id);
            insert.Parameters.AddWithValue(def.Version);
            insert.Parameters.AddWithValue(def.Initial);
            insert.Parameters.AddWithValue(CanonicalJson.Serialize(outcome.Data));
            insert.Parameters.AddWithValue(ev.Hash);
            insert.Parameters.AddWithValue(now);
            try
            {
                await insert.ExecuteNonQueryAsync(cancellationToken);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                throw new ConcurrencyConflictException(id, "a new dossier", "a dossier with this id already exists");
            }
        }

        if (uniqueKey is not null)
        {
            await ClaimUniqueKeyAsync(conn, tx, uniqueKey, id, cancellationToken);
        }

        var key = request.IdempotencyKey is null ? null : new KeyWrite(request.IdempotencyKey, requestHash, Claimed: true);
        var data = CanonicalJson.Serialize(outcome.Data);
        var result = await WriteEventAsync(conn, tx, ev, outcome, def, stateChanged: false, timeoutDeadline: null, key, updateDossier: false, commit: true, cancellationToken, data: data);
        Remember(ev, def.Id, data, DeadlineStatesAfter([], def, ev.ToState, stateChanged: false, outcome.Deadlines));
        AfterCommit(result);
        return result;
    }

    /// <summary>
    /// The key that identifies a dossier within its workflow (<c>creation.unique</c>): the workflow id and the
    /// values of the expressions, separated by '|' (the values are format-checked ids, which hold no '|').
    /// </summary>
    private static string? UniqueKey(Workflows.Model.WorkflowDefinition def, Workflows.Model.CreationDefinition creation, RuleContext context)
    {
        if (creation.Unique is not { Count: > 0 } expressions)
        {
            return null;
        }

        var parts = new List<string> { def.Id };
        foreach (var expression in expressions)
        {
            var value = ValueResolver.ResolvePath(expression, context);
            parts.Add(value is JsonValue v && v.TryGetValue<string>(out var text) ? text : value?.ToJsonString() ?? string.Empty);
        }

        return string.Join('|', parts);
    }

    /// <summary>Claims a dossier's unique key in the creation's transaction; refuses when another dossier holds it.</summary>
    private static async Task ClaimUniqueKeyAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string key, Guid dossierId, CancellationToken cancellationToken)
    {
        await using (var claim = new NpgsqlCommand("INSERT INTO dossier_unique (key, dossier_id) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING RETURNING 1", conn, tx))
        {
            claim.Parameters.AddWithValue(key);
            claim.Parameters.AddWithValue(dossierId);
            if (await claim.ExecuteScalarAsync(cancellationToken) is not null)
            {
                return;
            }
        }

        await using var read = new NpgsqlCommand("SELECT dossier_id FROM dossier_unique WHERE key = $1", conn, tx);
        read.Parameters.AddWithValue(key);
        var existing = await read.ExecuteScalarAsync(cancellationToken) is Guid g ? g : Guid.Empty;
        throw new DossierExistsException(existing, key);
    }

    /// <summary>
    /// Reads the server-derived inputs a decision needs, in order, inside the fire's transaction; adds the actor's
    /// authority (<see cref="RuntimeDecider.ActorInput"/>). Null when there is nothing to journal.
    /// </summary>
    private async Task<JsonObject?> ReadInputsAsync(IReadOnlyList<KeyValuePair<string, string>> inputs, InputRequest request, CancellationToken cancellationToken)
    {
        JsonObject? result = null;
        foreach (var (name, providerName) in inputs)
        {
            var provider = catalog.Rules.FindInput(providerName) as IInputProvider
                ?? throw new InvalidOperationException($"Input '{providerName}' is not registered.");
            var value = await provider.ReadAsync(request, cancellationToken);
            (result ??= [])[name] = value;
        }

        if (RuntimeDecider.ActorFacts(request.Actor) is { } actor)
        {
            (result ??= [])[RuntimeDecider.ActorInput] = actor;
        }

        // Decided on exactly what the journal will hold (and replay will read): the canonical text, parsed back.
        return result is null ? null : CanonicalJson.ParseObject(CanonicalJson.Serialize(result));
    }

    private static void ThrowIfLossy(JsonNode? arguments)
    {
        if (CanonicalJson.LossyNumbers(arguments) is { Count: > 0 } lossy)
        {
            throw new ArgumentValidationException(lossy);
        }
    }

    /// <summary>Fires a trigger (see the class summary for the contract).</summary>
    public async Task<FireResult> FireAsync(FireRequest request, CancellationToken cancellationToken = default)
    {
        JournalEvent.SingleLine(request.Actor.Id, "actor");
        JournalEvent.SingleLine(request.Trigger, "trigger");
        ThrowIfLossy(request.Arguments);
        var arguments = CanonicalJson.Serialize(request.Arguments ?? []);
        // Decided on exactly what the journal holds (and replay reads): the canonical text, parsed back.
        var args = CanonicalJson.ParseObject(arguments);
        var requestHash = RequestHash(request.Trigger, request.DossierId, string.Empty, arguments, request.Actor);
        if (_known.Get(request.DossierId) is { } known)
        {
            if (await FireOnKnownAsync(request, known, args, arguments, requestHash, cancellationToken) is { } done)
            {
                Interlocked.Increment(ref _knownAnswered);
                return done;
            }

            Interlocked.Increment(ref _knownFellBack);
        }

        await using var conn = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await conn.BeginTransactionAsync(cancellationToken);
        var (earlier, locked, deadlineStates) = await LockAndReadKeyAsync(conn, tx, request.IdempotencyKey, requestHash, request.DossierId, request.Scope, readDeadlineStates: true, cancellationToken);
        if (earlier is not null)
        {
            return earlier;
        }

        var dossier = locked ?? throw new DossierNotFoundException(request.DossierId);
        if (request.ExpectedVersion is { } ev && ev != dossier.Version &&
            !(ev < dossier.Version && await OnlyDeliveryRecordsSinceAsync(conn, tx, dossier.Id, ev, cancellationToken)))
        {
            throw new ConcurrencyConflictException(dossier.Id, $"version {ev}", $"version {dossier.Version}") { Precondition = true };
        }

        if (request.ExpectedState is { } es && es != dossier.State)
        {
            throw new ConcurrencyConflictException(dossier.Id, $"state {es}", $"state {dossier.State}");
        }

        var wf = catalog.Get(dossier.WorkflowId, dossier.WorkflowVersion);
        var now = Now();
        var plan = RuntimeDecider.Plan(wf, dossier.Id, dossier.State, dossier.Data, request.Trigger, args, request.Actor, now, request.FromClient);
        var inputs = wf.Definition.Runtime >= 2
            ? await ReadInputsAsync(plan.Inputs, new InputRequest(dossier.Id, dossier.WorkflowId, dossier.State, dossier.Data, args, request.Actor, now, conn, tx), cancellationToken)
            : null;
        var decision = RuntimeDecider.Decide(plan, dossier.Data, args, request.Actor, now, inputs);
        var outcome = RuntimeDecider.Effects(decision, catalog.Rules, dossier.Id, dossier.Version + 1, catalog.Templates.LatestVersion);

        var journalEvent = TransitionEvent(request, dossier.Version + 1, now, dossier.State, decision, wf, arguments, inputs, outcome, dossier.HeadHash);

        var key = request.IdempotencyKey is null ? null : new KeyWrite(request.IdempotencyKey, requestHash, Claimed: false);
        var data = CanonicalJson.Serialize(outcome.Data);
        FireResult result;
        try
        {
            result = await WriteEventAsync(conn, tx, journalEvent, outcome, wf.Definition, decision.ToState != dossier.State, request.TimeoutDeadlineId, key, updateDossier: true, commit: true, cancellationToken,
                data: data, deadlineStates: deadlineStates);
        }
        catch (PostgresException e) when (key is not null && IsKeyTaken(e))
        {
            return await EarlierAfterKeyRaceAsync(conn, tx, key, cancellationToken);
        }

        Remember(journalEvent, dossier.WorkflowId, data, DeadlineStatesAfter(deadlineStates, wf.Definition, decision.ToState, decision.ToState != dossier.State, outcome.Deadlines));
        AfterCommit(result);
        return result;
    }

    /// <summary>
    /// A fire decided on the dossier as this process last committed it (<see cref="KnownDossiers"/>): one round trip
    /// whose first statement updates the row only where it still holds exactly what the decision was made on
    /// (version, chain head, state, workflow version, data, and the caller's visibility), which also takes the row
    /// lock before anything else is written. Returns null, having written nothing, whenever the answer must come
    /// from the locked row instead: the row changed (another process, a concurrent request, a hand edit), the caller
    /// expects another version or state, or the decision on the known snapshot failed (refusals and their reasons
    /// are only ever given from the locked row, inside the caller's visibility). A used idempotency key is answered
    /// as on the locking path, from the key's stored result.
    /// </summary>
    private async Task<FireResult?> FireOnKnownAsync(FireRequest request, KnownDossier known, JsonObject args, string arguments, string requestHash, CancellationToken cancellationToken)
    {
        if (request.ExpectedVersion is { } version && version != known.Version || request.ExpectedState is { } state && state != known.State
            || request.IdempotencyKey is { } k && !IsUsableIdempotencyKey(k))
        {
            return null;
        }

        CompiledWorkflow wf;
        Decision decision;
        EffectOutcome outcome;
        JsonObject? inputs;
        var now = Now();
        try
        {
            wf = catalog.Get(known.WorkflowId, known.WorkflowVersion);
            var knownData = CanonicalJson.ParseObject(known.Data);
            var plan = RuntimeDecider.Plan(wf, request.DossierId, known.State, knownData, request.Trigger, args, request.Actor, now, request.FromClient);
            if (plan.Inputs.Count > 0)
            {
                return null; // server-derived inputs are read inside a transaction, after the row lock
            }

            inputs = wf.Definition.Runtime >= 2 ? RuntimeDecider.ActorFacts(request.Actor) is { } actor ? new JsonObject { [RuntimeDecider.ActorInput] = actor } : null : null;
            decision = RuntimeDecider.Decide(plan, knownData, args, request.Actor, now, inputs);
            outcome = RuntimeDecider.Effects(decision, catalog.Rules, request.DossierId, known.Version + 1, catalog.Templates.LatestVersion);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return null;
        }

        var journalEvent = TransitionEvent(request, known.Version + 1, now, known.State, decision, wf, arguments, inputs, outcome, known.HeadHash);

        var key = request.IdempotencyKey is null ? null : new KeyWrite(request.IdempotencyKey, requestHash, Claimed: false);
        var data = CanonicalJson.Serialize(outcome.Data);
        // No explicit transaction: the batch is one (BEGIN and COMMIT would be two more statements).
        await using var conn = await dataSource.OpenConnectionAsync(cancellationToken);
        FireResult result;
        try
        {
            result = await WriteEventAsync(conn, tx: null, journalEvent, outcome, wf.Definition, decision.ToState != known.State, request.TimeoutDeadlineId, key, updateDossier: true, commit: false, cancellationToken,
                decidedOn: (known, request.Scope), data: data, deadlineStates: known.DeadlineStates);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.SerializationFailure)
        {
            _known.Forget(request.DossierId);
            return null;
        }
        catch (PostgresException e) when (key is not null && IsKeyTaken(e))
        {
            return await EarlierAfterKeyRaceAsync(conn, tx: null, key, cancellationToken);
        }

        Remember(journalEvent, known.WorkflowId, data, DeadlineStatesAfter(known.DeadlineStates, wf.Definition, decision.ToState, decision.ToState != known.State, outcome.Deadlines));
        AfterCommit(result);
        return result;
    }

    /// <summary>The journal event of a transition decided on a dossier at <paramref name="fromState"/> and chain head <paramref name="prevHash"/>.</summary>
    private static JournalEvent TransitionEvent(
        FireRequest request, int dossierSeq, DateTimeOffset now, string fromState, Decision decision, CompiledWorkflow wf, string arguments, JsonObject? inputs, EffectOutcome outcome, string prevHash) =>
        new JournalEvent
        {
            Format = JournalEvent.FormatTag2,
            Inputs = inputs is null ? "{}" : CanonicalJson.Serialize(inputs),
            DossierId = request.DossierId,
            DossierSeq = dossierSeq,
            OccurredAt = now,
            Actor = request.Actor.Id,
            ActorRole = request.Actor.Role,
            Kind = "transition",
            Trigger = request.Trigger,
            FromState = fromState,
            ToState = decision.ToState,
            DefinitionId = wf.Definition.Id,
            DefinitionVersion = wf.Definition.Version,
            DefinitionHash = wf.Definition.ContentHash,
            Arguments = arguments,
            Effects = CanonicalJson.Serialize(outcome.Summary),
            PrevHash = prevHash,
        }.WithHash();

    /// <summary>Remembers what a committed event left in the dossier row (see <see cref="KnownDossiers"/>); <paramref name="data"/> is the canonical text written.</summary>
    private void Remember(JournalEvent ev, string workflowId, string data, IReadOnlyList<string>? deadlineStates) =>
        _known.Remember(ev.DossierId, new KnownDossier(workflowId, ev.DefinitionVersion, ev.ToState, ev.DossierSeq, data, ev.Hash, deadlineStates));

    /// <summary>
    /// The states the open deadlines of a dossier are bound to after an event (see <see cref="KnownDossier.DeadlineStates"/>):
    /// those before it that the new state keeps (it or a superstate; the others are cleared when the state changes),
    /// plus those of the deadlines the event sets. Null when the states before it were not known.
    /// </summary>
    private static IReadOnlyList<string>? DeadlineStatesAfter(
        IReadOnlyList<string>? before, WorkflowDefinition def, string toState, bool stateChanged, IReadOnlyList<DeadlineSet> set)
    {
        if (before is null)
        {
            return null;
        }

        var kept = stateChanged ? before.Intersect(def.SelfAndAncestors(toState), StringComparer.Ordinal) : before;
        return [.. kept.Concat(set.Select(d => d.BoundState).OfType<string>()).Distinct(StringComparer.Ordinal)];
    }

    /// <summary>
    /// Records of delivery that change neither state nor data and are not decisions anyone reviews before acting:
    /// a caller holding an older version (ETag) may still act when only these were appended since (a letter sent
    /// or opened while an officer had the page open is no conflict).
    /// </summary>
    public static readonly IReadOnlySet<string> DeliveryRecordKinds =
        new HashSet<string>(["notice.sent", "notice.failed", "notice.requeued", "letter.opened"], StringComparer.Ordinal);

    private static async Task<bool> OnlyDeliveryRecordsSinceAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid dossierId, int version, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand("SELECT NOT EXISTS (SELECT 1 FROM journal WHERE dossier_id = $1 AND dossier_seq > $2 AND kind <> ALL($3))", conn, tx);
        cmd.Parameters.AddWithValue(dossierId);
        cmd.Parameters.AddWithValue(version);
        cmd.Parameters.AddWithValue(DeliveryRecordKinds.ToArray());
        return (bool)(await cmd.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// Appends a record event that changes neither state nor data (e.g. <c>notice.sent</c>, <c>letter.opened</c>,
    /// <c>deadline.extended</c>) to the dossier's chain. <paramref name="alsoInTransaction"/> runs extra statements
    /// in the same transaction (e.g. marking the notice sent), so the record and its effect commit together.
    /// </summary>
    public async Task<FireResult> AppendRecordAsync(
        Guid dossierId, string kind, JsonObject arguments, Actor actor, string? idempotencyKey = null,
        Func<NpgsqlConnection, NpgsqlTransaction, long, Task>? alsoInTransaction = null, CancellationToken cancellationToken = default)
    {
        if (kind is "created" or "transition" or "migrated" || !kind.Contains('.', StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{kind}' is not a record kind (use a dotted name like notice.sent)", nameof(kind));
        }

        JournalEvent.SingleLine(kind, "kind");
        JournalEvent.SingleLine(actor.Id, "actor");
        var args = (JsonObject)arguments.DeepClone();
        await using var conn = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await conn.BeginTransactionAsync(cancellationToken);
        var argumentsText = CanonicalJson.Serialize(args);
        var requestHash = RequestHash(kind, dossierId, string.Empty, argumentsText, actor);
        var (earlier, locked, _) = await LockAndReadKeyAsync(conn, tx, idempotencyKey, requestHash, dossierId, scope: null, readDeadlineStates: false, cancellationToken);
        if (earlier is not null)
        {
            return earlier;
        }

        var dossier = locked ?? throw new DossierNotFoundException(dossierId);
        // A record sets no deadline: what this process knew of the row it locked still holds after it (any other
        // write to the dossier would have moved its version and chain head).
        var knew = _known.Get(dossierId);
        var def = catalog.Get(dossier.WorkflowId, dossier.WorkflowVersion).Definition;
        var ev = new JournalEvent
        {
            Format = JournalEvent.FormatTag2,
            DossierId = dossier.Id,
            DossierSeq = dossier.Version + 1,
            OccurredAt = Now(),
            Actor = actor.Id,
            ActorRole = actor.Role,
            Kind = kind,
            Trigger = string.Empty,
            FromState = dossier.State,
            ToState = dossier.State,
            DefinitionId = def.Id,
            DefinitionVersion = def.Version,
            DefinitionHash = def.ContentHash,
            Arguments = argumentsText,
            Effects = "{}",
            PrevHash = dossier.HeadHash,
        }.WithHash();
        var outcome = new EffectOutcome(dossier.Data, new JsonObject(), [], [], []);
        var data = CanonicalJson.Serialize(outcome.Data);
        var key = idempotencyKey is null ? null : new KeyWrite(idempotencyKey, requestHash, Claimed: false);
        FireResult result;
        try
        {
            result = await WriteEventAsync(conn, tx, ev, outcome, def, stateChanged: false, null, key, updateDossier: true, commit: false, cancellationToken, data: data);
        }
        catch (PostgresException e) when (key is not null && IsKeyTaken(e))
        {
            return await EarlierAfterKeyRaceAsync(conn, tx, key, cancellationToken);
        }

        if (alsoInTransaction is not null)
        {
            await alsoInTransaction(conn, tx, result.JournalSeq);
        }

        await tx.CommitAsync(cancellationToken);
        Remember(ev, dossier.WorkflowId, data, knew is not null && knew.Version == dossier.Version && knew.HeadHash == dossier.HeadHash ? knew.DeadlineStates : null);
        return result;
    }

    private void AfterCommit(FireResult result)
    {
        if (result.NoticeIds.Count > 0)
        {
            signal?.NoticesCreated();
        }
    }

    /// <summary>Every trigger of the dossier's current state as seen by <paramref name="actor"/>, with the reasons of failing guards.</summary>
    public async Task<IReadOnlyList<TriggerOption>> GetOptionsAsync(Guid dossierId, Actor actor, CancellationToken cancellationToken = default)
    {
        var dossier = await GetAsync(dossierId, cancellationToken) ?? throw new DossierNotFoundException(dossierId);
        var wf = catalog.Get(dossier.WorkflowId, dossier.WorkflowVersion);
        var now = Now();
        var rule = new RuleContext(dossier.Data, new JsonObject(), now, actor, dossier.State) { Runtime = wf.Definition.Runtime };
        var context = new DecisionContext(rule);
        if (wf.GuardsOnProposedData)
        {
            // Runtime 2: the guards judge what each transition would propose (without arguments: an argument not
            // given leaves its field as it is), with the server-derived inputs read as a fire would read them.
            var needed = Decider.TriggersFrom(wf, dossier.State)
                .SelectMany(trigger => wf.CandidateIndexes(dossier.State, trigger))
                .Where(i => wf.Allows(i, actor, dossier.Data))
                .SelectMany(i => wf.Definition.Transitions[i].Inputs ?? new Dictionary<string, string>())
                .GroupBy(e => e.Key, StringComparer.Ordinal).Select(g => g.First()).ToList();
            var inputs = new JsonObject();
            var unavailable = new Dictionary<string, Reason>(StringComparer.Ordinal);
            if (needed.Count > 0)
            {
                await using var conn = await dataSource.OpenConnectionAsync(cancellationToken);
                await using var tx = await conn.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
                var request = new InputRequest(dossier.Id, dossier.WorkflowId, dossier.State, dossier.Data, [], actor, now, conn, tx);
                foreach (var (name, providerName) in needed)
                {
                    try
                    {
                        inputs[name] = await ((IInputProvider)catalog.Rules.FindInput(providerName)!).ReadAsync(request, cancellationToken);
                    }
                    catch (ArgumentValidationException e)
                    {
                        unavailable[name] = new Reason("input.unavailable", string.Join(" ", e.Errors.Select(x => x.Nl ?? x.Message)), string.Join(" ", e.Errors.Select(x => x.Message)));
                    }
                }

                await tx.RollbackAsync(cancellationToken);
            }

            if (RuntimeDecider.ActorFacts(actor) is { } facts)
            {
                inputs[RuntimeDecider.ActorInput] = facts;
            }

            context = new DecisionContext(rule with { Inputs = inputs })
            {
                Adjust = c =>
                {
                    var missing = (c.Transition.Inputs ?? new Dictionary<string, string>()).Keys.Where(unavailable.ContainsKey).Select(k => unavailable[k]).ToList();
                    if (missing.Count > 0)
                    {
                        return new GuardResult(false, [new GuardCheck("inputs", false, missing)]);
                    }

                    // A guard that judges the request's own arguments (a date that must not lie in the future) cannot be
                    // decided before they are given: the option is offered and the fire decides, with the reason.
                    return !c.Guard.Passed && JudgesArguments(c.Transition.Guard) ? GuardResult.Always : c.Guard;
                },
            };
        }

        var options = Decider.Options(wf, dossier.State, context);
        return options
            .Select(o =>
            {
                var def = wf.Definition.FindTrigger(o.Trigger)!;
                var allowed = o.Candidates.Where(c => c.RoleAllowed).ToList();
                var best = o.Chosen ?? allowed.FirstOrDefault();
                return new TriggerOption(o.Trigger, def, best?.Transition.To ?? o.Candidates[0].Transition.To, allowed.Count > 0, best?.Permitted ?? false,
                    best is null || best.Permitted ? [] : best.Guard.FailureReasons.ToList(), best?.Transition.CommentRequired ?? false);
            })
            .ToList();
    }

    private static bool JudgesArguments(JsonNode? guard) => guard is not null && guard.ToJsonString().Contains("\"args.", StringComparison.Ordinal);

    /// <summary>The columns <see cref="ReadSnapshot"/> reads, in its order.</summary>
    internal const string SnapshotColumns = "id, workflow_id, workflow_version, state, version, data::text, head_hash, created_at, updated_at";

    public async Task<DossierSnapshot?> GetAsync(Guid dossierId, CancellationToken cancellationToken = default)
    {
        await using var conn = await dataSource.OpenConnectionAsync(cancellationToken);
        return await ReadSnapshotAsync(conn, null, dossierId, forUpdate: false, cancellationToken);
    }

    internal static DossierSnapshot ReadSnapshot(NpgsqlDataReader r) => new(
        r.GetGuid(0), r.GetString(1), r.GetInt32(2), r.GetString(3), r.GetInt32(4),
        CanonicalJson.ParseObject(r.GetString(5)), r.GetString(6), r.GetFieldValue<DateTimeOffset>(7), r.GetFieldValue<DateTimeOffset>(8));

    /// <summary>Reads one dossier's projection, optionally locking the row for the rest of the transaction.</summary>
    internal static async Task<DossierSnapshot?> ReadSnapshotAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, Guid id, bool forUpdate, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand($"SELECT {SnapshotColumns} FROM dossier WHERE id = $1" + (forUpdate ? " FOR UPDATE" : string.Empty), conn, tx);
        cmd.Parameters.AddWithValue(id);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadSnapshot(reader) : null;
    }

    /// <summary>What identifies a request for its idempotency key; <paramref name="arguments"/> is the canonical text of its arguments.</summary>
    private static string RequestHash(string trigger, Guid dossierId, string workflow, string arguments, Actor actor) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{trigger}\n{dossierId:D}\n{workflow}\n{actor.Id}\n{actor.Role}\n{arguments}")));

    /// <summary>
    /// The first round trip of a fire or record: locks the dossier row (within <paramref name="scope"/> when given)
    /// and, when a key is given, reads what the key already holds, in one batch. The lock comes first: a request
    /// with the same key on the same dossier waits for the first to commit and then, reading the key with a fresh
    /// snapshot (READ COMMITTED), finds its result. When the key was used, the earlier result is returned (or the
    /// request refused when it was another request) and the transaction writes nothing. A new key is written with
    /// the result in the same batch as the event (<see cref="WriteEventAsync"/>); a concurrent first use of the key
    /// on another dossier, which this lock does not serialize, is caught there by the key's unique index. With
    /// <paramref name="readDeadlineStates"/> the same round trip reads the states the dossier's open deadlines are
    /// bound to (<see cref="KnownDossier.DeadlineStates"/>).
    /// </summary>
    private static async Task<(FireResult? Earlier, DossierSnapshot? Dossier, IReadOnlyList<string>? DeadlineStates)> LockAndReadKeyAsync(
        NpgsqlConnection conn, NpgsqlTransaction tx, string? key, string requestHash, Guid dossierId, Access.AccessScope? scope, bool readDeadlineStates,
        CancellationToken cancellationToken)
    {
        if (key is not null)
        {
            CheckIdempotencyKey(key);
        }

        var parameters = new List<NpgsqlParameter> { new() { Value = dossierId } };
        var sql = new StringBuilder($"SELECT {SnapshotColumns} FROM dossier d WHERE d.id = $1");
        scope?.AppendDossierFilter(sql, parameters);
        sql.Append(" FOR UPDATE");
        var lockCommand = new NpgsqlBatchCommand(sql.ToString());
        lockCommand.Parameters.AddRange(parameters.ToArray());

        await using var batch = new NpgsqlBatch(conn, tx);
        batch.BatchCommands.Add(lockCommand);
        if (readDeadlineStates)
        {
            // After the lock, with the statement's own snapshot (READ COMMITTED): every deadline a committed write
            // set is seen, and no runtime write can set another before this transaction ends (it would lock the row).
            batch.BatchCommands.Add(Command(
                "SELECT ARRAY(SELECT DISTINCT bound_state FROM deadline WHERE dossier_id = $1 AND status = 'open' AND bound_state IS NOT NULL)", dossierId));
        }

        if (key is not null)
        {
            batch.BatchCommands.Add(Command(ReadKeySql, key));
        }

        DossierSnapshot? dossier;
        string[]? deadlineStates = null;
        FireResult? earlier = null;
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            dossier = await reader.ReadAsync(cancellationToken) ? ReadSnapshot(reader) : null;
            if (readDeadlineStates && await reader.NextResultAsync(cancellationToken) && await reader.ReadAsync(cancellationToken))
            {
                deadlineStates = reader.GetFieldValue<string[]>(0);
            }

            if (key is not null && await reader.NextResultAsync(cancellationToken) && await reader.ReadAsync(cancellationToken))
            {
                earlier = EarlierResult(key, requestHash, reader.GetString(0), reader.GetString(1));
            }
        }

        return earlier is not null ? (earlier, null, null) : (null, dossier, dossier is null ? null : deadlineStates);
    }

    /// <summary>What a key holds: the hash of the request that used it and that request's result.</summary>
    private const string ReadKeySql = "SELECT request_hash, result::text FROM idempotency_key WHERE key = $1";

    /// <summary>The earlier result of a used key; refused when the earlier request was a different one.</summary>
    private static FireResult EarlierResult(string key, string requestHash, string earlierHash, string result) =>
        earlierHash == requestHash
            ? FireResult.FromJson(CanonicalJson.ParseObject(result), replayed: true)
            : throw new IdempotencyConflictException(key);

    /// <summary>The key's unique index refused the key: a concurrent request used it first and committed.</summary>
    private static bool IsKeyTaken(PostgresException e) =>
        e.SqlState == PostgresErrorCodes.UniqueViolation && e.TableName == "idempotency_key";

    /// <summary>
    /// After <see cref="IsKeyTaken"/>: rolls this transaction back (nothing of it stays) and answers as a retry would,
    /// with the committed request's result, or refuses when that was another request.
    /// </summary>
    private static async Task<FireResult> EarlierAfterKeyRaceAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, KeyWrite key, CancellationToken cancellationToken)
    {
        if (tx is not null)
        {
            await tx.RollbackAsync(cancellationToken);
        }

        return await ReadEarlierResultAsync(conn, null, key.Key, key.RequestHash, cancellationToken);
    }

    /// <summary>How the write batch records an idempotency key: a key claimed earlier in the transaction gets its result; a new key is inserted with it.</summary>
    private sealed record KeyWrite(string Key, string RequestHash, bool Claimed);

    /// <summary>
    /// Claims an idempotency key for a creation; one row (<c>true</c>) when the key was new, none when it was taken.
    /// A creation claims first because it has no dossier row to lock: a concurrent creation with the same key (and
    /// perhaps the same dossier id) waits on the key until the first commits, then gets the first's result.
    /// </summary>
    private const string ClaimKeySql =
        "INSERT INTO idempotency_key (key, request_hash, dossier_id, result, created_at) VALUES ($1, $2, $3, '{}'::jsonb, now()) ON CONFLICT (key) DO NOTHING RETURNING true";

    /// <summary>An idempotency key is 1 to 200 characters.</summary>
    private static bool IsUsableIdempotencyKey(string key) => key.Length is > 0 and <= 200;

    private static void CheckIdempotencyKey(string key)
    {
        if (!IsUsableIdempotencyKey(key))
        {
            throw new ArgumentValidationException([new FieldError("Idempotency-Key", "must be 1 to 200 characters")]);
        }
    }

    /// <summary>
    /// Claims a creation's idempotency key inside the transaction (<see cref="ClaimKeySql"/>); the write batch then
    /// stores the result. Returns the earlier result, or null when the key is new.
    /// </summary>
    private static async Task<FireResult?> ClaimIdempotencyAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string key, string requestHash, Guid dossierId, CancellationToken cancellationToken)
    {
        CheckIdempotencyKey(key);
        await using (var claim = new NpgsqlCommand(
            ClaimKeySql, conn, tx))
        {
            claim.Parameters.AddWithValue(key);
            claim.Parameters.AddWithValue(requestHash);
            claim.Parameters.AddWithValue(dossierId);
            if (await claim.ExecuteNonQueryAsync(cancellationToken) == 1)
            {
                return null;
            }
        }

        return await ReadEarlierResultAsync(conn, tx, key, requestHash, cancellationToken);
    }

    /// <summary>The stored result of a key claimed earlier; refused when the earlier request was a different one.</summary>
    private static async Task<FireResult> ReadEarlierResultAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string key, string requestHash, CancellationToken cancellationToken)
    {
        await using var read = new NpgsqlCommand(ReadKeySql, conn, tx);
        read.Parameters.AddWithValue(key);
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            throw new IdempotencyConflictException(key);
        }

        return EarlierResult(key, requestHash, reader.GetString(0), reader.GetString(1));
    }

    /// <summary>
    /// Appends the event and writes the projection and effect rows in one round trip; with <paramref name="commit"/>
    /// the same round trip commits the transaction (the caller must not use it afterwards). Without a transaction
    /// (<paramref name="tx"/> null) the batch is its own transaction: all of it commits, or none of it.
    /// <paramref name="decidedOn"/> makes the write conditional (<see cref="FireOnKnownAsync"/>): its first statement
    /// updates the row only where it still holds what the event was decided on, appends the event and records the
    /// key, or fails the batch through <c>dossier_expect_unchanged</c> (0005) with SQLSTATE 40001.
    /// <paramref name="deadlineStates"/>, when known, are the states the dossier's open deadlines are bound to
    /// (<see cref="KnownDossier.DeadlineStates"/>).
    /// </summary>
    private static async Task<FireResult> WriteEventAsync(
        NpgsqlConnection conn, NpgsqlTransaction? tx, JournalEvent ev, EffectOutcome outcome, WorkflowDefinition def, bool stateChanged,
        Guid? timeoutDeadline, KeyWrite? key, bool updateDossier, bool commit, CancellationToken cancellationToken,
        (KnownDossier Dossier, Access.AccessScope? Scope)? decidedOn = null, string? data = null, IReadOnlyList<string>? deadlineStates = null)
    {
        await using var batch = new NpgsqlBatch(conn, tx);
        data ??= CanonicalJson.Serialize(outcome.Data);
        var noticeIds = outcome.Notices.Select(n => n.Id).ToList();
        object[] eventValues =
        [
            ev.DossierId, ev.DossierSeq, ev.OccurredAt, ev.Actor, ev.ActorRole, ev.Kind, ev.Trigger, ev.FromState, ev.ToState,
            ev.DefinitionId, ev.DefinitionVersion, ev.DefinitionHash, ev.Arguments, ev.Effects, ev.PrevHash, ev.Hash, ev.Format, ev.Inputs,
        ];
        const string EventColumns = "dossier_id, dossier_seq, occurred_at, actor, actor_role, kind, trigger, from_state, to_state, definition_id, definition_version, definition_hash, arguments, effects, prev_hash, hash, format, inputs";
        if (decidedOn is var (known, scope))
        {
            var parameters = new List<NpgsqlParameter>();
            string P(object value)
            {
                parameters.Add(new NpgsqlParameter { Value = value });
                return "$" + parameters.Count.ToString(CultureInfo.InvariantCulture);
            }

            var sql = new StringBuilder(
                $"WITH updated AS (UPDATE dossier d SET state = {P(ev.ToState)}, version = {P(ev.DossierSeq)}, data = {P(data)}::jsonb, head_hash = {P(ev.Hash)}, " +
                $"updated_at = {P(ev.OccurredAt)}, workflow_version = {P(ev.DefinitionVersion)} WHERE d.id = {P(ev.DossierId)} AND d.version = {P(known.Version)} " +
                $"AND d.head_hash = {P(known.HeadHash)} AND d.state = {P(known.State)} AND d.workflow_version = {P(known.WorkflowVersion)} AND d.data = {P(known.Data)}::jsonb");
            scope?.AppendDossierFilter(sql, parameters);
            sql.Append(CultureInfo.InvariantCulture, $" RETURNING 1), event AS (INSERT INTO journal ({EventColumns}) SELECT {string.Join(", ", eventValues.Select(P))} FROM updated RETURNING seq)");
            if (key is not null)
            {
                var pending = PendingResult(ev, noticeIds);
                sql.Append(CultureInfo.InvariantCulture,
                    $", key AS (INSERT INTO idempotency_key (key, result, dossier_id, request_hash, created_at) SELECT {P(key.Key)}, jsonb_set({P(pending)}::jsonb, '{{journalSeq}}', to_jsonb(event.seq)), {P(ev.DossierId)}, {P(key.RequestHash)}, now() FROM event)");
            }

            sql.Append(CultureInfo.InvariantCulture, $" SELECT (SELECT seq FROM event), dossier_expect_unchanged((SELECT count(*) FROM updated), {P(ev.DossierId)})");
            var guarded = new NpgsqlBatchCommand(sql.ToString());
            guarded.Parameters.AddRange(parameters.ToArray());
            batch.BatchCommands.Add(guarded);
        }
        else
        {
            var insert = new NpgsqlBatchCommand(
                $"INSERT INTO journal ({EventColumns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) RETURNING seq");
            foreach (var v in eventValues)
            {
                insert.Parameters.Add(new NpgsqlParameter { Value = v });
            }

            batch.BatchCommands.Add(insert);
            if (updateDossier)
            {
                batch.BatchCommands.Add(Command(
                    "UPDATE dossier SET state = $2, version = $3, data = $4::jsonb, head_hash = $5, updated_at = $6, workflow_version = $7 WHERE id = $1",
                    ev.DossierId, ev.ToState, ev.DossierSeq, data, ev.Hash, ev.OccurredAt, ev.DefinitionVersion));
            }
        }

        if (timeoutDeadline is { } fired)
        {
            batch.BatchCommands.Add(Command(
                "UPDATE deadline SET status = 'fired', closed_at = $3, closed_by_seq = $4 WHERE id = $1 AND dossier_id = $2 AND status = 'open'",
                fired, ev.DossierId, ev.OccurredAt, ev.DossierSeq));
        }

        if (outcome.MetDeadlines.Count > 0)
        {
            batch.BatchCommands.Add(Command(
                "UPDATE deadline SET status = 'met', closed_at = $3, closed_by_seq = $4 WHERE dossier_id = $1 AND status = 'open' AND kind = ANY($2)",
                ev.DossierId, outcome.MetDeadlines.ToArray(), ev.OccurredAt, ev.DossierSeq));
        }

        var within = stateChanged ? def.SelfAndAncestors(ev.ToState).ToArray() : [];
        if (stateChanged && (deadlineStates is null || deadlineStates.Any(s => !within.Contains(s, StringComparer.Ordinal))))
        {
            // Deadlines bound to a state the dossier leaves are cleared (the new state or its superstates keep theirs).
            // Skipped when the caller knows every state an open deadline is bound to and the new state keeps them all.
            batch.BatchCommands.Add(Command(
                "UPDATE deadline SET status = 'cleared', closed_at = $3, closed_by_seq = $4 WHERE dossier_id = $1 AND status = 'open' AND bound_state IS NOT NULL AND NOT (bound_state = ANY($2))",
                ev.DossierId, within, ev.OccurredAt, ev.DossierSeq));
        }

        foreach (var d in outcome.Deadlines)
        {
            batch.BatchCommands.Add(Command(
                "UPDATE deadline SET status = 'cleared', closed_at = $3, closed_by_seq = $4 WHERE dossier_id = $1 AND kind = $2 AND status = 'open'",
                ev.DossierId, d.Kind, ev.OccurredAt, ev.DossierSeq));
            batch.BatchCommands.Add(Command(
                "INSERT INTO deadline (id, dossier_id, kind, due_at, rule, timeout_trigger, bound_state, set_by_seq, remind) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                d.Id, ev.DossierId, d.Kind, d.Due, d.Rule, (object?)d.Timeout ?? DBNull.Value, (object?)d.BoundState ?? DBNull.Value, ev.DossierSeq, d.Remind));
        }

        foreach (var n in outcome.Notices)
        {
            batch.BatchCommands.Add(Command(
                """
                INSERT INTO notice (id, dossier_id, journal_seq, dossier_seq, kind, template_id, template_version, dedupe_key, next_attempt_at, created_at)
                VALUES ($1, $2, (SELECT seq FROM journal WHERE dossier_id = $2 AND dossier_seq = $3), $3, $4, $5, $6, $7, $8, $8)
                """,
                n.Id, ev.DossierId, ev.DossierSeq, n.Kind, n.TemplateId, n.TemplateVersion, $"event:{n.Id:D}", ev.OccurredAt));
        }

        if (key is not null && decidedOn is null)
        {
            // The stored result needs the global sequence the INSERT above assigns: read it back in the same batch.
            // A new key is inserted here, with its result; a key taken meanwhile by a concurrent request fails the
            // batch on the unique index (the caller answers with that request's result, see IsKeyTaken).
            var pending = PendingResult(ev, noticeIds);
            const string Result = "jsonb_set($2::jsonb, '{journalSeq}', to_jsonb((SELECT seq FROM journal WHERE dossier_id = $3 AND dossier_seq = $4)))";
            batch.BatchCommands.Add(key.Claimed
                ? Command($"UPDATE idempotency_key SET result = {Result} WHERE key = $1", key.Key, pending, ev.DossierId, ev.DossierSeq)
                : Command($"INSERT INTO idempotency_key (key, result, dossier_id, request_hash, created_at) VALUES ($1, {Result}, $3, $5, now())",
                    key.Key, pending, ev.DossierId, ev.DossierSeq, key.RequestHash));
        }

        if (commit)
        {
            // COMMIT travels with the writes (one round trip less). The batch runs until the first error, which
            // skips the rest, COMMIT included, and leaves the transaction failed: disposing it rolls everything back.
            batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
        }

        long seq;
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            seq = reader.GetInt64(0);

            // Every statement's outcome (an error in any of them throws here), up to and including COMMIT.
            while (await reader.NextResultAsync(cancellationToken))
            {
            }
        }

        return new FireResult(ev.DossierId, ev.DossierSeq, ev.FromState, ev.ToState, seq, ev.Hash, false, noticeIds);
    }

    /// <summary>The result stored with a new idempotency key, but for the journal sequence the write assigns (0 here).</summary>
    private static string PendingResult(JournalEvent ev, IReadOnlyList<Guid> noticeIds) =>
        CanonicalJson.Serialize(new FireResult(ev.DossierId, ev.DossierSeq, ev.FromState, ev.ToState, 0, ev.Hash, false, noticeIds).ToJson());

    /// <summary>Writes a non-trigger event (migration, record) with its effects, updating the projection.</summary>
    internal static Task<FireResult> WriteRecordAsync(NpgsqlConnection conn, NpgsqlTransaction tx, JournalEvent ev, EffectOutcome outcome, WorkflowDefinition def, bool stateChanged, CancellationToken cancellationToken) =>
        WriteEventAsync(conn, tx, ev, outcome, def, stateChanged, null, null, updateDossier: true, commit: false, cancellationToken);

    private static NpgsqlBatchCommand Command(string sql, params object[] values)
    {
        var cmd = new NpgsqlBatchCommand(sql);
        foreach (var v in values)
        {
            cmd.Parameters.Add(v is string[] arr ? new NpgsqlParameter { Value = arr, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text } : new NpgsqlParameter { Value = v });
        }

        return cmd;
    }
}
