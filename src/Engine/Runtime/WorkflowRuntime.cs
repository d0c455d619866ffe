using System.Text.Json.Nodes;
using Npgsql;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Workflows.Expressions;

namespace SubsidyEngine.Engine.Runtime;

/// <summary>
/// The transition contract, as an orchestrator. Every change of a dossier goes through here and is one PostgreSQL
/// transaction: decided by the workflow decider (<see cref="RuntimeDecider"/>) on the pinned definition, written by
/// <see cref="EventWrite"/> (journal event, projection, deadlines, notices, idempotency key, in one round trip);
/// side effects happen only after commit. A fire takes one of two paths (<see cref="IFirePath"/>): on a dossier this
/// runtime committed last, the known-dossier path decides on what it remembers and writes with a guard on
/// everything the decision read (docs/decisions/2026-11-23-fire-on-known-dossier.md); otherwise, or when that path
/// cannot answer, the locking read. Contracts: FireContracts.cs.
/// </summary>
public sealed class WorkflowRuntime
{
    /// <summary>How many dossiers a runtime remembers as it last committed them (<see cref="KnownDossiers"/>).</summary>
    public const int DefaultKnownDossierCapacity = 10_000;

    /// <summary>
    /// Records of delivery that change neither state nor data and are not decisions anyone reviews before acting:
    /// a caller holding an older version (ETag) may still act when only these were appended since (a letter sent
    /// or opened while an officer had the page open is no conflict).
    /// </summary>
    public static readonly IReadOnlySet<string> DeliveryRecordKinds =
        new HashSet<string>(["notice.sent", "notice.failed", "notice.requeued", "letter.opened"], StringComparer.Ordinal);

    /// <summary>The columns <see cref="ReadSnapshot"/> reads, in its order.</summary>
    internal const string SnapshotColumns = "id, workflow_id, workflow_version, state, version, data::text, head_hash, created_at, updated_at";

    private readonly NpgsqlDataSource dataSource;
    private readonly WorkflowCatalog catalog;
    private readonly TimeProvider clock;
    private readonly IWorkSignal? signal;
    private readonly KnownDossiers _known;
    private readonly FireParts _parts;
    private readonly KnownDossierPath _knownPath;
    private readonly LockingReadPath _lockingPath;
    private readonly DossierCreation _creation;
    private readonly RecordAppender _records;

    public WorkflowRuntime(
        NpgsqlDataSource dataSource, WorkflowCatalog catalog, DefinitionStore definitions, TimeProvider clock, IWorkSignal? signal = null,
        int knownDossierCapacity = DefaultKnownDossierCapacity)
    {
        this.dataSource = dataSource;
        this.catalog = catalog;
        this.clock = clock;
        this.signal = signal;
        _known = new KnownDossiers(knownDossierCapacity);
        _parts = new FireParts(dataSource, catalog, Now);
        _knownPath = new KnownDossierPath(_parts, _known);
        _lockingPath = new LockingReadPath(_parts);
        _creation = new DossierCreation(_parts, definitions, clock);
        _records = new RecordAppender(_parts, _known);
    }

    /// <summary>
    /// Fires this runtime answered on a known dossier (one round trip), and fires that tried and were decided on the
    /// locked row instead (<see cref="KnownDossierPath"/>).
    /// </summary>
    internal (long Answered, long FellBack) KnownFires => _knownPath.Counts;

    /// <summary>What this runtime remembers of a dossier (<see cref="KnownDossiers"/>), null when nothing.</summary>
    internal KnownDossier? Known(Guid dossierId) => _known.Get(dossierId);

    public WorkflowCatalog Catalog => catalog;

    private DateTimeOffset Now() => JournalEvent.Truncate(clock.GetUtcNow());

    /// <summary>
    /// Starts a dossier in the initial state of the latest effective version of <see cref="CreateRequest.WorkflowId"/>
    /// (<see cref="DossierCreation"/>).
    /// </summary>
    public async Task<FireResult> CreateAsync(CreateRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (result, committed) = await _creation.CreateAsync(request, cancellationToken);
        return AfterCommit(result, committed);
    }

    /// <summary>Fires a trigger: the known-dossier path when it can answer, else the locking read (see the class summary).</summary>
    public async Task<FireResult> FireAsync(FireRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        JournalEvent.SingleLine(request.Actor.Id, "actor");
        JournalEvent.SingleLine(request.Trigger, "trigger");
        ThrowIfLossy(request.Arguments);
        var arguments = CanonicalJson.Serialize(request.Arguments ?? []);
        // Decided on exactly what the journal holds (and replay reads): the canonical text, parsed back.
        var fire = new PreparedFire(request, CanonicalJson.ParseObject(arguments), arguments, Idempotency.RequestHash(request.Trigger, request.DossierId, string.Empty, arguments, request.Actor));
        var fired = await _knownPath.FireAsync(fire, cancellationToken) ?? (await _lockingPath.FireAsync(fire, cancellationToken))!;
        return AfterCommit(fired.Result, fired.Committed);
    }

    /// <summary>
    /// Appends a record event that changes neither state nor data (e.g. <c>notice.sent</c>, <c>letter.opened</c>,
    /// <c>deadline.extended</c>) to the dossier's chain (<see cref="RecordAppender"/>). <paramref name="alsoInTransaction"/>
    /// runs extra statements in the same transaction (e.g. marking the notice sent), so the record and its effect commit together.
    /// </summary>
    public async Task<FireResult> AppendRecordAsync(
        Guid dossierId, string kind, JsonObject arguments, Actor actor, string? idempotencyKey = null,
        Func<NpgsqlConnection, NpgsqlTransaction, long, Task>? alsoInTransaction = null, CancellationToken cancellationToken = default)
    {
        var (result, committed) = await _records.AppendAsync(dossierId, kind, arguments, actor, idempotencyKey, alsoInTransaction, cancellationToken);
        return AfterCommit(result, committed);
    }

    /// <summary>Whether a request with this (stored, namespaced) idempotency key has committed.</summary>
    public async Task<bool> IdempotencyKeyUsedAsync(string key, CancellationToken cancellationToken = default)
    {
        await using var cmd = _parts.DataSource.CreateCommand("SELECT EXISTS (SELECT 1 FROM idempotency_key WHERE key = $1)");
        cmd.Parameters.AddWithValue(key);
        return await cmd.ExecuteScalarAsync(cancellationToken) is true;
    }

    /// <summary>Every trigger of the dossier's current state as seen by <paramref name="actor"/>, with the reasons of failing guards.</summary>
    public async Task<IReadOnlyList<TriggerOption>> GetOptionsAsync(Guid dossierId, Actor actor, CancellationToken cancellationToken = default)
    {
        var dossier = await GetAsync(dossierId, cancellationToken) ?? throw new DossierNotFoundException(dossierId);
        return await TriggerOptions.ForAsync(_parts, dossier, actor, cancellationToken);
    }

    /// <summary>Remembers what a committed write left in the row, and wakes the dispatcher when it created notices.</summary>
    private FireResult AfterCommit(FireResult result, KnownDossier? committed)
    {
        if (committed is not null)
        {
            _known.Remember(result.DossierId, committed);
            if (result.NoticeIds.Count > 0)
            {
                signal?.NoticesCreated();
            }
        }

        return result;
    }

    internal static void ThrowIfLossy(JsonNode? arguments)
    {
        if (ArgumentValidator.LossyNumbers(arguments) is { Count: > 0 } lossy)
        {
            throw new ArgumentValidationException(lossy);
        }
    }

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
}
