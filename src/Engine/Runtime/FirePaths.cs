using System.Text;
using System.Text.Json.Nodes;
using Npgsql;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Workflows.Compilation;
using SubsidyEngine.Workflows.Expressions;
using SubsidyEngine.Workflows.Model;

namespace SubsidyEngine.Engine.Runtime;

/// <summary>A fire request as both paths use it: the arguments in their canonical text and parsed back from it, and the request's hash.</summary>
internal sealed record PreparedFire(FireRequest Request, JsonObject Args, string Arguments, string RequestHash);

/// <summary>What a path did: the result, and (after a commit of this fire) what the dossier row now holds.</summary>
internal sealed record Fired(FireResult Result, KnownDossier? Committed);

/// <summary>
/// One way of firing a trigger (as Marten's event appenders are ways of appending): both decide with
/// <see cref="RuntimeDecider"/> and write with <see cref="EventWrite"/>; they differ in how they learn what the
/// dossier row holds. Null: this path cannot answer, and writes nothing; the next path must.
/// </summary>
internal interface IFirePath
{
    Task<Fired?> FireAsync(PreparedFire fire, CancellationToken cancellationToken);
}

/// <summary>The decision of a fire and the server-derived inputs it was made on (journaled with the event).</summary>
internal sealed record DecidedFire(Decision Decision, JsonObject? Inputs);

/// <summary>What the fire paths share with the runtime.</summary>
internal sealed record FireParts(NpgsqlDataSource DataSource, WorkflowCatalog Catalog, Func<DateTimeOffset> Now);

/// <summary>
/// The dossier as the fire decides on it: from the locked row, or as this process last committed it.
/// <see cref="DeadlineStates"/>: see <see cref="KnownDossier.DeadlineStates"/>.
/// </summary>
internal sealed record FireBasis(string WorkflowId, int WorkflowVersion, string State, int Version, JsonObject Data, string HeadHash, IReadOnlyList<string>? DeadlineStates);

/// <summary>The decision and the write of a transition on a <see cref="FireBasis"/>; the same for both paths.</summary>
internal static class TransitionWrite
{
    /// <summary>
    /// Decides the fire on <paramref name="basis"/> and prepares its write (event, projection, effects, key). The
    /// caller adds how the projection is written (<see cref="EventWrite.SetProjection"/> or
    /// <see cref="EventWrite.GuardedBy"/>) and executes it.
    /// </summary>
    public static (EventWrite Write, KeyWrite? Key, Func<KnownDossier> Committed) Prepare(
        FireParts parts, PreparedFire fire, FireBasis basis, CompiledWorkflow wf, DecidedFire decided, DateTimeOffset now)
    {
        var request = fire.Request;
        var outcome = RuntimeDecider.Effects(decided.Decision, parts.Catalog.Rules, request.DossierId, basis.Version + 1, parts.Catalog.Templates.LatestVersion);
        RequestDeadlines.Check(wf.Definition.FindTrigger(request.Trigger), decided.Decision.Transition, outcome.Deadlines, now);
        var ev = new JournalEvent
        {
            Format = JournalEvent.FormatTag2,
            Inputs = decided.Inputs is null ? "{}" : CanonicalJson.Serialize(decided.Inputs),
            DossierId = request.DossierId,
            DossierSeq = basis.Version + 1,
            OccurredAt = now,
            Actor = request.Actor.Id,
            ActorRole = request.Actor.Role,
            Kind = "transition",
            Trigger = request.Trigger,
            FromState = basis.State,
            ToState = decided.Decision.ToState,
            DefinitionId = wf.Definition.Id,
            DefinitionVersion = wf.Definition.Version,
            DefinitionHash = wf.Definition.ContentHash,
            Arguments = fire.Arguments,
            Effects = CanonicalJson.Serialize(outcome.Summary),
            PrevHash = basis.HeadHash,
        }.WithHash();

        var key = request.IdempotencyKey is null ? null : new KeyWrite(request.IdempotencyKey, fire.RequestHash, Claimed: false);
        var stateChanged = ev.ToState != basis.State;
        var write = new EventWrite(ev, CanonicalJson.Serialize(outcome.Data))
            .AppendEvent()
            .Effects(outcome, wf.Definition, stateChanged, request.TimeoutDeadlineId, basis.DeadlineStates)
            .StoreIdempotencyKey(key);
        return (write, key, () => Committed.Of(ev, basis.WorkflowId, write.Data, Committed.DeadlineStatesAfter(basis.DeadlineStates, wf.Definition, ev.ToState, stateChanged, outcome.Deadlines)));
    }
}

/// <summary>
/// The locking read: one transaction that locks the dossier row (within the caller's scope) and reads the
/// idempotency key and the states of the open deadlines in one round trip, decides on the locked row (reading the
/// server-derived inputs inside the transaction), and writes with COMMIT in the second round trip. Always answers.
/// </summary>
internal sealed class LockingReadPath(FireParts parts) : IFirePath
{
    public async Task<Fired?> FireAsync(PreparedFire fire, CancellationToken cancellationToken)
    {
        var request = fire.Request;
        await using var conn = await parts.DataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await conn.BeginTransactionAsync(cancellationToken);
        var (earlier, locked, deadlineStates) = await LockAsync(conn, tx, request.IdempotencyKey, fire.RequestHash, request.DossierId, request.Scope, readDeadlineStates: true, cancellationToken);
        if (earlier is not null)
        {
            return new Fired(earlier, null);
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

        var wf = parts.Catalog.Get(dossier.WorkflowId, dossier.WorkflowVersion);
        var now = parts.Now();
        var plan = RuntimeDecider.Plan(wf, dossier.Id, dossier.State, dossier.Data, request.Trigger, fire.Args, request.Actor, now, request.FromClient);
        var inputs = wf.Definition.Runtime >= 2
            ? await ServerInputs.ReadAsync(parts.Catalog, plan.Inputs, new InputRequest(dossier.Id, dossier.WorkflowId, dossier.State, dossier.Data, fire.Args, request.Actor, now, conn, tx), cancellationToken)
            : null;
        var decision = RuntimeDecider.Decide(plan, dossier.Data, fire.Args, request.Actor, now, inputs);
        var basis = new FireBasis(dossier.WorkflowId, dossier.WorkflowVersion, dossier.State, dossier.Version, dossier.Data, dossier.HeadHash, deadlineStates);
        var (write, key, committed) = TransitionWrite.Prepare(parts, fire, basis, wf, new(decision, inputs), now);
        try
        {
            var result = await write.SetProjection().ExecuteAsync(conn, tx, commit: true, cancellationToken);
            return new Fired(result, committed());
        }
        catch (PostgresException e) when (key is not null && Idempotency.IsKeyTaken(e))
        {
            return new Fired(await Idempotency.EarlierAfterKeyRaceAsync(conn, tx, key, cancellationToken), null);
        }
    }

    /// <summary>
    /// Records of delivery that change neither state nor data and are not decisions anyone reviews before acting:
    /// a caller holding an older version (ETag) may still act when only these were appended since.
    /// </summary>
    private static async Task<bool> OnlyDeliveryRecordsSinceAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid dossierId, int version, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand("SELECT NOT EXISTS (SELECT 1 FROM journal WHERE dossier_id = $1 AND dossier_seq > $2 AND kind <> ALL($3))", conn, tx);
        cmd.Parameters.AddWithValue(dossierId);
        cmd.Parameters.AddWithValue(version);
        cmd.Parameters.AddWithValue(WorkflowRuntime.DeliveryRecordKinds.ToArray());
        return (bool)(await cmd.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// The first round trip of a fire or record: locks the dossier row (within <paramref name="scope"/> when given)
    /// and, when a key is given, reads what the key already holds, in one batch. The lock comes first: a request
    /// with the same key on the same dossier waits for the first to commit and then, reading the key with a fresh
    /// snapshot (READ COMMITTED), finds its result. When the key was used, the earlier result is returned (or the
    /// request refused when it was another request) and the transaction writes nothing. A new key is written with
    /// the result in the same batch as the event (<see cref="EventWrite"/>); a concurrent first use of the key
    /// on another dossier, which this lock does not serialize, is caught there by the key's unique index. With
    /// <paramref name="readDeadlineStates"/> the same round trip reads the states the dossier's open deadlines are
    /// bound to (<see cref="KnownDossier.DeadlineStates"/>).
    /// </summary>
    public static async Task<(FireResult? Earlier, DossierSnapshot? Dossier, IReadOnlyList<string>? DeadlineStates)> LockAsync(
        NpgsqlConnection conn, NpgsqlTransaction tx, string? key, string requestHash, Guid dossierId, Access.AccessScope? scope, bool readDeadlineStates,
        CancellationToken cancellationToken)
    {
        if (key is not null)
        {
            Idempotency.Check(key);
        }

        var parameters = new List<NpgsqlParameter> { new() { Value = dossierId } };
        var sql = new StringBuilder($"SELECT {WorkflowRuntime.SnapshotColumns} FROM dossier d WHERE d.id = $1");
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
            batch.BatchCommands.Add(EventWrite.Command(
                "SELECT ARRAY(SELECT DISTINCT bound_state FROM deadline WHERE dossier_id = $1 AND status = 'open' AND bound_state IS NOT NULL)", dossierId));
        }

        if (key is not null)
        {
            batch.BatchCommands.Add(EventWrite.Command(Idempotency.ReadKeySql, key));
        }

        DossierSnapshot? dossier;
        string[]? deadlineStates = null;
        FireResult? earlier = null;
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            dossier = await reader.ReadAsync(cancellationToken) ? WorkflowRuntime.ReadSnapshot(reader) : null;
            if (readDeadlineStates && await reader.NextResultAsync(cancellationToken) && await reader.ReadAsync(cancellationToken))
            {
                deadlineStates = reader.GetFieldValue<string[]>(0);
            }

            if (key is not null && await reader.NextResultAsync(cancellationToken) && await reader.ReadAsync(cancellationToken))
            {
                earlier = Idempotency.EarlierResult(key, requestHash, reader.GetString(0), reader.GetString(1));
            }
        }

        return earlier is not null ? (earlier, null, null) : (null, dossier, dossier is null ? null : deadlineStates);
    }
}

/// <summary>
/// The known dossier (docs/decisions/2026-11-23-fire-on-known-dossier.md): decided on the dossier as this process
/// last committed it, written in one round trip whose first statement updates the row only where it still holds
/// exactly what the decision was made on (<see cref="EventWrite.GuardedBy"/>). Answers null, having written
/// nothing, whenever the answer must come from the locked row instead: nothing remembered, the row changed, the
/// caller expects another version or state, the decision needs inputs read in a transaction, or the decision on the
/// known snapshot failed (refusals and their reasons are only ever given from the locked row, inside the caller's
/// visibility). A used idempotency key is answered as on the locking path, from the key's stored result.
/// </summary>
internal sealed class KnownDossierPath(FireParts parts, KnownDossiers known) : IFirePath
{
    private long _answered;
    private long _fellBack;

    /// <summary>Fires answered here, and fires that tried and went on to the locking read.</summary>
    public (long Answered, long FellBack) Counts => (Interlocked.Read(ref _answered), Interlocked.Read(ref _fellBack));

    public async Task<Fired?> FireAsync(PreparedFire fire, CancellationToken cancellationToken)
    {
        if (known.Get(fire.Request.DossierId) is not { } remembered)
        {
            return null;
        }

        var fired = await TryAsync(fire, remembered, cancellationToken);
        Interlocked.Increment(ref fired is null ? ref _fellBack : ref _answered);
        return fired;
    }

    private async Task<Fired?> TryAsync(PreparedFire fire, KnownDossier remembered, CancellationToken cancellationToken)
    {
        var request = fire.Request;
        if (request.ExpectedVersion is { } version && version != remembered.Version || request.ExpectedState is { } state && state != remembered.State
            || request.IdempotencyKey is { } k && !IdempotencyKeys.IsStorable(k))
        {
            return null;
        }

        EventWrite write;
        KeyWrite? key;
        Func<KnownDossier> committed;
        try
        {
            var wf = parts.Catalog.Get(remembered.WorkflowId, remembered.WorkflowVersion);
            var now = parts.Now();
            var data = CanonicalJson.ParseObject(remembered.Data);
            var plan = RuntimeDecider.Plan(wf, request.DossierId, remembered.State, data, request.Trigger, fire.Args, request.Actor, now, request.FromClient);
            if (plan.Inputs.Count > 0)
            {
                return null; // server-derived inputs are read inside a transaction, after the row lock
            }

            var inputs = wf.Definition.Runtime >= 2 && RuntimeDecider.ActorFacts(request.Actor) is { } actor ? new JsonObject { [RuntimeDecider.ActorInput] = actor } : null;
            var decision = RuntimeDecider.Decide(plan, data, fire.Args, request.Actor, now, inputs);
            var basis = new FireBasis(remembered.WorkflowId, remembered.WorkflowVersion, remembered.State, remembered.Version, data, remembered.HeadHash, remembered.DeadlineStates);
            (write, key, committed) = TransitionWrite.Prepare(parts, fire, basis, wf, new(decision, inputs), now);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return null;
        }

        // No explicit transaction: the batch is one (BEGIN and COMMIT would be two more statements).
        await using var conn = await parts.DataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            var result = await write.GuardedBy(remembered, request.Scope).ExecuteAsync(conn, tx: null, commit: false, cancellationToken);
            return new Fired(result, committed());
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.SerializationFailure)
        {
            known.Forget(request.DossierId);
            return null;
        }
        catch (PostgresException e) when (key is not null && Idempotency.IsKeyTaken(e))
        {
            return new Fired(await Idempotency.EarlierAfterKeyRaceAsync(conn, tx: null, key, cancellationToken), null);
        }
    }
}

/// <summary>What a committed event left in the dossier row, as <see cref="KnownDossiers"/> remembers it.</summary>
internal static class Committed
{
    /// <summary>The row after <paramref name="ev"/>; <paramref name="data"/> is the canonical text written.</summary>
    public static KnownDossier Of(JournalEvent ev, string workflowId, string data, IReadOnlyList<string>? deadlineStates) =>
        new(workflowId, ev.DefinitionVersion, ev.ToState, ev.DossierSeq, data, ev.Hash, deadlineStates);

    /// <summary>
    /// The states the open deadlines of a dossier are bound to after an event (see <see cref="KnownDossier.DeadlineStates"/>):
    /// those before it that the new state keeps (it or a superstate; the others are cleared when the state changes),
    /// plus those of the deadlines the event sets. Null when the states before it were not known.
    /// </summary>
    public static IReadOnlyList<string>? DeadlineStatesAfter(
        IReadOnlyList<string>? before, WorkflowDefinition def, string toState, bool stateChanged, IReadOnlyList<DeadlineSet> set)
    {
        if (before is null)
        {
            return null;
        }

        var kept = stateChanged ? before.Intersect(def.SelfAndAncestors(toState), StringComparer.Ordinal) : before;
        return [.. kept.Concat(set.Select(d => d.BoundState).OfType<string>()).Distinct(StringComparer.Ordinal)];
    }
}

/// <summary>Reads the server-derived inputs a decision needs (runtime 2), inside the fire's transaction.</summary>
internal static class ServerInputs
{
    /// <summary>
    /// The inputs, in order, plus the actor's authority (<see cref="RuntimeDecider.ActorInput"/>); null when there is
    /// nothing to journal. Returned as the canonical text parsed back: decided on exactly what the journal will hold
    /// (and replay will read).
    /// </summary>
    public static async Task<JsonObject?> ReadAsync(WorkflowCatalog catalog, IReadOnlyList<KeyValuePair<string, string>> inputs, InputRequest request, CancellationToken cancellationToken)
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

        return result is null ? null : CanonicalJson.ParseObject(CanonicalJson.Serialize(result));
    }
}
