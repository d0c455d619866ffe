using System.Globalization;
using System.Text;
using Npgsql;
using NpgsqlTypes;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Workflows.Model;

namespace SubsidyEngine.Engine.Runtime;

/// <summary>How the write records an idempotency key: a key claimed earlier in the transaction gets its result; a new key is inserted with it.</summary>
internal sealed record KeyWrite(string Key, string RequestHash, bool Claimed);

/// <summary>
/// The one write path of a journal event and everything it changes: named steps collected first, then sent as one
/// batch in one round trip (in the spirit of Hangfire's write-only transaction). Every change of a dossier goes
/// through here: fires on both paths (<see cref="IFirePath"/>), creations, records and migrations.
/// <list type="number">
/// <item><see cref="AppendEvent"/> (always): the hash-chained journal row;</item>
/// <item><see cref="SetProjection"/>: the dossier row, optionally guarded by what the decision read
/// (<see cref="GuardedBy"/>; docs/decisions/2026-11-23-fire-on-known-dossier.md);</item>
/// <item><see cref="CloseDeadlines"/> and <see cref="OpenDeadlines"/>;</item>
/// <item><see cref="AddNotices"/>: the outbox rows the dispatcher sends after commit, with the data their letters are rendered from;</item>
/// <item><see cref="StoreIdempotencyKey"/>: the key with the result;</item>
/// <item><see cref="ExecuteAsync"/>: one round trip, with COMMIT when asked.</item>
/// </list>
/// </summary>
internal sealed class EventWrite(JournalEvent ev, string data)
{
    private const string EventColumns = "dossier_id, dossier_seq, occurred_at, actor, actor_role, kind, trigger, from_state, to_state, definition_id, definition_version, definition_hash, arguments, effects, prev_hash, hash, format, inputs";

    private readonly List<NpgsqlBatchCommand> _effects = [];
    private bool _projection;
    private (KnownDossier Dossier, Access.AccessScope? Scope)? _guard;
    private KeyWrite? _key;
    private IReadOnlyList<Guid> _noticeIds = [];

    public JournalEvent Event => ev;

    /// <summary>The canonical text of the data the projection holds after the event.</summary>
    public string Data => data;

    /// <summary>Appends the event to the journal (always part of the write; named for the reader).</summary>
    public EventWrite AppendEvent() => this;

    /// <summary>Updates the dossier row (state, version, data, chain head, workflow version) to what the event leaves.</summary>
    public EventWrite SetProjection()
    {
        _projection = true;
        return this;
    }

    /// <summary>
    /// Makes the projection's update conditional: the row is updated only where it still holds exactly what the
    /// decision was made on (version, chain head, state, workflow version, data) and the caller's visibility filter
    /// holds; the event and the key are inserted from that update, and <c>dossier_expect_unchanged</c> (0005) fails
    /// the batch with SQLSTATE 40001 unless one row was updated.
    /// </summary>
    public EventWrite GuardedBy(KnownDossier decidedOn, Access.AccessScope? scope)
    {
        _guard = (decidedOn, scope);
        _projection = true;
        return this;
    }

    /// <summary>
    /// Closes the deadlines the event ends: the one whose passing fired it (<paramref name="timeoutDeadline"/>), those
    /// its effects meet, and (when the state changes) those bound to a state the dossier leaves. The last statement is
    /// skipped when <paramref name="deadlineStates"/> (every state an open deadline is bound to) are known and the new
    /// state keeps them all.
    /// </summary>
    public EventWrite CloseDeadlines(Guid? timeoutDeadline, IReadOnlyList<string> met, WorkflowDefinition def, bool stateChanged, IReadOnlyList<string>? deadlineStates)
    {
        ArgumentNullException.ThrowIfNull(met);
        ArgumentNullException.ThrowIfNull(def);
        if (timeoutDeadline is { } fired)
        {
            _effects.Add(Command(
                "UPDATE deadline SET status = 'fired', closed_at = $3, closed_by_seq = $4 WHERE id = $1 AND dossier_id = $2 AND status = 'open'",
                fired, ev.DossierId, ev.OccurredAt, ev.DossierSeq));
        }

        if (met.Count > 0)
        {
            _effects.Add(Command(
                "UPDATE deadline SET status = 'met', closed_at = $3, closed_by_seq = $4 WHERE dossier_id = $1 AND status = 'open' AND kind = ANY($2)",
                ev.DossierId, met.ToArray(), ev.OccurredAt, ev.DossierSeq));
        }

        var within = stateChanged ? def.SelfAndAncestors(ev.ToState).ToArray() : [];
        if (stateChanged && (deadlineStates is null || deadlineStates.Any(s => !within.Contains(s, StringComparer.Ordinal))))
        {
            // Deadlines bound to a state the dossier leaves are cleared (the new state or its superstates keep theirs).
            _effects.Add(Command(
                "UPDATE deadline SET status = 'cleared', closed_at = $3, closed_by_seq = $4 WHERE dossier_id = $1 AND status = 'open' AND bound_state IS NOT NULL AND NOT (bound_state = ANY($2))",
                ev.DossierId, within, ev.OccurredAt, ev.DossierSeq));
        }

        return this;
    }

    /// <summary>Sets the event's deadlines, each replacing an open one of the same kind.</summary>
    public EventWrite OpenDeadlines(IReadOnlyList<DeadlineSet> deadlines)
    {
        ArgumentNullException.ThrowIfNull(deadlines);
        foreach (var d in deadlines)
        {
            _effects.Add(Command(
                "UPDATE deadline SET status = 'cleared', closed_at = $3, closed_by_seq = $4 WHERE dossier_id = $1 AND kind = $2 AND status = 'open'",
                ev.DossierId, d.Kind, ev.OccurredAt, ev.DossierSeq));
            _effects.Add(Command(
                "INSERT INTO deadline (id, dossier_id, kind, due_at, rule, timeout_trigger, bound_state, set_by_seq, remind) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                d.Id, ev.DossierId, d.Kind, d.Due, d.Rule, (object?)d.Timeout ?? DBNull.Value, (object?)d.BoundState ?? DBNull.Value, ev.DossierSeq, d.Remind));
        }

        return this;
    }

    /// <summary>
    /// Puts the event's notices in the outbox, each with the snapshot its letter is rendered from: the data and state
    /// the event leaves (<see cref="Data"/>, the event's target state), as of this event (migration 0030). The
    /// dispatcher renders and addresses the letter from that snapshot alone, so a later change of the dossier does
    /// not reach a letter already caused; the audit re-renders it from the journal and must find the same bytes.
    /// </summary>
    public EventWrite AddNotices(IReadOnlyList<NoticeEffect> notices)
    {
        ArgumentNullException.ThrowIfNull(notices);
        _noticeIds = notices.Select(n => n.Id).ToList();
        foreach (var n in notices)
        {
            _effects.Add(Command(
                """
                INSERT INTO notice (id, dossier_id, journal_seq, dossier_seq, kind, template_id, template_version, dedupe_key, next_attempt_at, created_at,
                                    data, state, data_seq, caused_at)
                VALUES ($1, $2, (SELECT seq FROM journal WHERE dossier_id = $2 AND dossier_seq = $3), $3, $4, $5, $6, $7, $8, $8, $9::jsonb, $10, $3, $8)
                """,
                n.Id, ev.DossierId, ev.DossierSeq, n.Kind, n.TemplateId, n.TemplateVersion, $"event:{n.Id:D}", ev.OccurredAt, data, ev.ToState));
        }

        return this;
    }

    /// <summary>
    /// Stores the idempotency key with the write's result. A key taken meanwhile by a concurrent request fails the
    /// batch on the key's unique index (<see cref="Idempotency.IsKeyTaken"/>).
    /// </summary>
    public EventWrite StoreIdempotencyKey(KeyWrite? key)
    {
        _key = key;
        return this;
    }

    /// <summary>All of the effects at once (the outcome's deadlines, notices), as a fire, creation or migration has them.</summary>
    public EventWrite Effects(EffectOutcome outcome, WorkflowDefinition def, bool stateChanged, Guid? timeoutDeadline, IReadOnlyList<string>? deadlineStates)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        return CloseDeadlines(timeoutDeadline, outcome.MetDeadlines, def, stateChanged, deadlineStates).OpenDeadlines(outcome.Deadlines).AddNotices(outcome.Notices);
    }

    /// <summary>
    /// Sends the steps in one round trip; with <paramref name="commit"/> the same round trip commits the transaction
    /// (the caller must not use it afterwards). Without a transaction (<paramref name="tx"/> null) the batch is its
    /// own transaction: all of it commits, or none of it.
    /// </summary>
    public async Task<FireResult> ExecuteAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, bool commit, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(conn, tx);
        object[] eventValues =
        [
            ev.DossierId, ev.DossierSeq, ev.OccurredAt, ev.Actor, ev.ActorRole, ev.Kind, ev.Trigger, ev.FromState, ev.ToState,
            ev.DefinitionId, ev.DefinitionVersion, ev.DefinitionHash, ev.Arguments, ev.Effects, ev.PrevHash, ev.Hash, ev.Format, ev.Inputs,
        ];
        if (_guard is var (known, scope))
        {
            batch.BatchCommands.Add(GuardedEvent(known, scope, eventValues));
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
            if (_projection)
            {
                batch.BatchCommands.Add(Command(
                    "UPDATE dossier SET state = $2, version = $3, data = $4::jsonb, head_hash = $5, updated_at = $6, workflow_version = $7 WHERE id = $1",
                    ev.DossierId, ev.ToState, ev.DossierSeq, data, ev.Hash, ev.OccurredAt, ev.DefinitionVersion));
            }
        }

        foreach (var c in _effects)
        {
            batch.BatchCommands.Add(c);
        }

        if (_key is { } key && _guard is null)
        {
            // The stored result needs the global sequence the INSERT above assigns: read it back in the same batch.
            var pending = PendingResult();
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

        return new FireResult(ev.DossierId, ev.DossierSeq, ev.FromState, ev.ToState, seq, ev.Hash, false, _noticeIds);
    }

    /// <summary>
    /// The guarded first statement (<see cref="GuardedBy"/>): a CTE that updates the row only where it holds what the
    /// decision read, inserts the event and the key from that update, and checks that one row was updated.
    /// </summary>
    private NpgsqlBatchCommand GuardedEvent(KnownDossier known, Access.AccessScope? scope, object[] eventValues)
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
        if (_key is { } key)
        {
            sql.Append(CultureInfo.InvariantCulture,
                $", key AS (INSERT INTO idempotency_key (key, result, dossier_id, request_hash, created_at) SELECT {P(key.Key)}, jsonb_set({P(PendingResult())}::jsonb, '{{journalSeq}}', to_jsonb(event.seq)), {P(ev.DossierId)}, {P(key.RequestHash)}, now() FROM event)");
        }

        sql.Append(CultureInfo.InvariantCulture, $" SELECT (SELECT seq FROM event), dossier_expect_unchanged((SELECT count(*) FROM updated), {P(ev.DossierId)})");
        var guarded = new NpgsqlBatchCommand(sql.ToString());
        guarded.Parameters.AddRange(parameters.ToArray());
        return guarded;
    }

    /// <summary>The result stored with a new idempotency key, but for the journal sequence the write assigns (0 here).</summary>
    private string PendingResult() =>
        CanonicalJson.Serialize(new FireResult(ev.DossierId, ev.DossierSeq, ev.FromState, ev.ToState, 0, ev.Hash, false, _noticeIds).ToJson());

    internal static NpgsqlBatchCommand Command(string sql, params object[] values)
    {
        var cmd = new NpgsqlBatchCommand(sql);
        foreach (var v in values)
        {
            cmd.Parameters.Add(v is string[] arr ? new NpgsqlParameter { Value = arr, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text } : new NpgsqlParameter { Value = v });
        }

        return cmd;
    }
}
