using System.Text.Json.Nodes;
using Npgsql;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Workflows.Expressions;

namespace SubsidyEngine.Engine.Runtime;

/// <summary>
/// Records: events that change neither state nor data, appended to a dossier's chain after the locking read
/// (<see cref="LockingReadPath.LockAsync"/>) and written by <see cref="EventWrite"/> like every other event.
/// </summary>
internal sealed class RecordAppender(FireParts parts, KnownDossiers known)
{
    /// <summary>
    /// Appends a record event that changes neither state nor data (e.g. <c>notice.sent</c>, <c>letter.opened</c>,
    /// <c>deadline.extended</c>) to the dossier's chain. <paramref name="alsoInTransaction"/> runs extra statements
    /// in the same transaction (e.g. marking the notice sent), so the record and its effect commit together.
    /// </summary>
    public async Task<(FireResult Result, KnownDossier? Committed)> AppendAsync(
        Guid dossierId, string kind, JsonObject arguments, Actor actor, string? idempotencyKey,
        Func<NpgsqlConnection, NpgsqlTransaction, long, Task>? alsoInTransaction, CancellationToken cancellationToken)
    {
        if (kind is "created" or "transition" or "migrated" || !kind.Contains('.', StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{kind}' is not a record kind (use a dotted name like notice.sent)", nameof(kind));
        }

        JournalEvent.SingleLine(kind, "kind");
        JournalEvent.SingleLine(actor.Id, "actor");
        var args = (JsonObject)arguments.DeepClone();
        await using var conn = await parts.DataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await conn.BeginTransactionAsync(cancellationToken);
        var argumentsText = CanonicalJson.Serialize(args);
        var requestHash = Idempotency.RequestHash(kind, dossierId, string.Empty, argumentsText, actor);
        var (earlier, locked, _) = await LockingReadPath.LockAsync(conn, tx, idempotencyKey, requestHash, dossierId, scope: null, readDeadlineStates: false, cancellationToken);
        if (earlier is not null)
        {
            return (earlier, null);
        }

        var dossier = locked ?? throw new DossierNotFoundException(dossierId);
        // A record sets no deadline: what this process knew of the row it locked still holds after it (any other
        // write to the dossier would have moved its version and chain head).
        var knew = known.Get(dossierId);
        var def = parts.Catalog.Get(dossier.WorkflowId, dossier.WorkflowVersion).Definition;
        var ev = new JournalEvent
        {
            Format = JournalEvent.FormatTag2,
            DossierId = dossier.Id,
            DossierSeq = dossier.Version + 1,
            OccurredAt = parts.Now(),
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
        var key = idempotencyKey is null ? null : new KeyWrite(idempotencyKey, requestHash, Claimed: false);
        var write = new EventWrite(ev, CanonicalJson.Serialize(dossier.Data)).AppendEvent().SetProjection().StoreIdempotencyKey(key);
        FireResult result;
        try
        {
            result = await write.ExecuteAsync(conn, tx, commit: false, cancellationToken);
        }
        catch (PostgresException e) when (key is not null && Idempotency.IsKeyTaken(e))
        {
            return (await Idempotency.EarlierAfterKeyRaceAsync(conn, tx, key, cancellationToken), null);
        }

        if (alsoInTransaction is not null)
        {
            await alsoInTransaction(conn, tx, result.JournalSeq);
        }

        await tx.CommitAsync(cancellationToken);
        return (result, Committed.Of(ev, dossier.WorkflowId, write.Data, knew is not null && knew.Version == dossier.Version && knew.HeadHash == dossier.HeadHash ? knew.DeadlineStates : null));
    }
}
