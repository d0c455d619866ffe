using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using SubsidyEngine.Engine.Configuration;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Workflows.Expressions;
using SubsidyEngine.Workflows.Schema;

namespace SubsidyEngine.Engine.Notices;

/// <summary>An extension of a deadline, as recorded.</summary>
public sealed record DeadlineExtension(
    Guid Id,
    Guid DeadlineId,
    Guid DossierId,
    string AuthorityId,
    DateTimeOffset PreviousDue,
    DateTimeOffset NewDue,
    string Reason,
    string GrantedBy,
    DateTimeOffset GrantedAt,
    long JournalSeq);

/// <summary>
/// Creates reminder notices for open deadlines that ask for them (<c>"remind": true</c>), set-based and
/// idempotent, and grants deadline extensions.
/// </summary>
/// <remarks>
/// <para>
/// Stages follow calendar days in <see cref="NoticeOptions.TimeZone"/>: <c>before-N</c> on the day N days before the
/// due day (<see cref="NoticeOptions.ReminderDaysBefore"/>, default 30 and 7), <c>due</c> on the due day, and
/// <c>overdue-K</c> every <see cref="NoticeOptions.OverdueEveryDays"/> days after the due day while the deadline
/// stays open. A sweep creates the <em>current</em> stage of each deadline only: a stage that was not reached
/// while it was current (the deadline was set late, or the sweep did not run) is skipped, never sent late. A stage
/// whose day came before the day the deadline was set (or extended) was never current: an information request due
/// in 21 days gets its 7-day reminder 14 days later, not a "30 days" one seconds after the request.
/// </para>
/// <para>
/// Exactly once per deadline and stage, however many sweepers run: the <c>reminder</c> row's unique key
/// <c>(deadline_id, offset_code)</c> and the notice's deterministic id and <c>dedupe_key</c>. Reminders are not
/// journaled when created: a reminder is derived from the deadline (journaled when set or extended) and the
/// clock; what reaches the journal is the delivery, as <c>notice.sent</c> with the stage. See
/// docs/decisions/2026-11-22-outbox-delivery.md.
/// </para>
/// <para>
/// The effective due time is the newest extension's; <see cref="ExtendAsync"/> keeps it in <c>deadline.due_at</c>
/// (history in <c>deadline_extension</c>), so the timeout sweep (<see cref="DeadlineSweeper"/>) and the reminders
/// both follow extensions.
/// </para>
/// </remarks>
public sealed class ReminderSweeper
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly WorkflowRuntime _runtime;
    private readonly TimeProvider _clock;
    private readonly NoticeOptions _options;
    private readonly IWorkSignal? _signal;
    private readonly ILogger _logger;
    private readonly int[] _daysBefore;

    /// <summary>Creates the sweeper.</summary>
    public ReminderSweeper(NpgsqlDataSource dataSource, WorkflowRuntime runtime, TimeProvider clock, NoticeOptions options, IWorkSignal? signal = null, ILogger<ReminderSweeper>? logger = null)
    {
        _dataSource = dataSource ?? throw new ArgumentNullException(nameof(dataSource));
        _runtime = runtime ?? throw new ArgumentNullException(nameof(runtime));
        _clock = clock ?? throw new ArgumentNullException(nameof(clock));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _signal = signal;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _daysBefore = [.. options.ParseReminderDaysBefore()];
    }

    /// <summary>The template version of reminder notices: the catalogue's latest, or 1 while the template is not published yet.</summary>
    private int TemplateVersion() =>
        _runtime.Catalog.Templates.Exists(_options.ReminderTemplate) ? _runtime.Catalog.Templates.LatestVersion(_options.ReminderTemplate) : 1;

    /// <summary>Creates the reminders due now; returns how many notices were created.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken = default)
    {
        var now = _clock.GetUtcNow();
        var created = 0;
        var version = TemplateVersion();
        // Keyset over the open reminding deadlines in (due_at, id) order: every deadline is looked at once per sweep,
        // batch after batch, whatever the number of deadlines.
        var afterDue = DateTimeOffset.MinValue;
        var afterId = Guid.Empty;
        while (true)
        {
            await using var cmd = _dataSource.CreateCommand(
                """
                WITH params AS (
                    SELECT ($1::timestamptz AT TIME ZONE $2)::date AS today
                ), open AS (
                    SELECT d.id, d.dossier_id, d.due_at, d.set_by_seq,
                           (d.due_at AT TIME ZONE $2)::date - p.today AS days_left,
                           -- Days left on the day the deadline was set or last extended: a stage whose day came before
                           -- was never current, so it is skipped (no "30 days" reminder for a request due in 21 days).
                           (d.due_at AT TIME ZONE $2)::date - (greatest(
                               (SELECT j.occurred_at FROM journal j WHERE j.dossier_id = d.dossier_id AND j.dossier_seq = d.set_by_seq),
                               (SELECT max(x.granted_at) FROM deadline_extension x WHERE x.deadline_id = d.id)) AT TIME ZONE $2)::date AS days_left_when_set
                    FROM deadline d CROSS JOIN params p
                    WHERE d.status = 'open' AND d.remind
                      AND d.due_at < $1::timestamptz + make_interval(days => $3 + 2)
                      AND (d.due_at, d.id) > ($9::timestamptz, $10::uuid)
                    ORDER BY d.due_at, d.id
                    LIMIT $6
                ), staged AS MATERIALIZED (
                    SELECT o.id, o.dossier_id, o.due_at, o.set_by_seq,
                           CASE WHEN o.days_left >= 0 THEN
                               (SELECT CASE WHEN min(x) = 0 THEN 'due' ELSE 'before-' || min(x) END
                                FROM unnest($4::int[]) AS x WHERE x >= o.days_left
                                HAVING min(x) <= coalesce(o.days_left_when_set, 2147483647))
                           WHEN -o.days_left >= $5 THEN
                               'overdue-' || ((-o.days_left) / $5)
                           END AS code
                    FROM open o
                ), new_reminder AS (
                    -- The unique key (deadline_id, offset_code) decides: a stage that exists is skipped, also when
                    -- another sweeper inserts it at the same moment (it waits for that commit, then skips).
                    INSERT INTO reminder (id, deadline_id, dossier_id, offset_code, due_at, created_at)
                    SELECT md5(s.id::text || '/' || s.code)::uuid, s.id, s.dossier_id, s.code, s.due_at, $1
                    FROM staged s WHERE s.code IS NOT NULL
                    ON CONFLICT DO NOTHING  -- id is derived from (deadline, offset): any unique conflict is the same reminder
                    RETURNING id, deadline_id, dossier_id, offset_code
                ), new_notice AS (
                    -- The reminder's snapshot (migration 0030) is the dossier row as this statement reads it: the
                    -- letter shows and is addressed with the dossier as it is at the sweep, not as it was when the
                    -- deadline was set; data_seq records that version, so the audit replays up to it.
                    INSERT INTO notice (id, dossier_id, journal_seq, dossier_seq, kind, template_id, template_version, dedupe_key, next_attempt_at, created_at,
                                        data, state, data_seq, caused_at)
                    SELECT r.id, r.dossier_id, j.seq, d.set_by_seq, 'reminder', $7, $8,
                           'reminder:' || r.deadline_id::text || ':' || r.offset_code, $1, $1,
                           x.data, x.state, x.version, j.occurred_at
                    FROM new_reminder r
                    JOIN deadline d ON d.id = r.deadline_id
                    JOIN journal j ON j.dossier_id = r.dossier_id AND j.dossier_seq = d.set_by_seq
                    JOIN dossier x ON x.id = r.dossier_id
                    RETURNING id
                ), last AS (
                    SELECT due_at, id FROM open ORDER BY due_at DESC, id DESC LIMIT 1
                )
                SELECT (SELECT count(*) FROM open), (SELECT count(*) FROM new_notice), (SELECT due_at FROM last), (SELECT id FROM last)
                """);
            cmd.CommandTimeout = 300;
            cmd.Parameters.AddWithValue(now);
            cmd.Parameters.AddWithValue(_options.TimeZone);
            cmd.Parameters.AddWithValue(_daysBefore.Length == 0 ? 0 : _daysBefore.Max());
            cmd.Parameters.AddWithValue(_daysBefore);
            cmd.Parameters.AddWithValue(_options.OverdueEveryDays);
            cmd.Parameters.AddWithValue(_options.SweepBatchSize);
            cmd.Parameters.AddWithValue(_options.ReminderTemplate);
            cmd.Parameters.AddWithValue(version);
            cmd.Parameters.AddWithValue(afterDue);
            cmd.Parameters.AddWithValue(afterId);
            long scanned, inserted;
            await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken))
            {
                await reader.ReadAsync(cancellationToken);
                scanned = reader.GetInt64(0);
                inserted = reader.GetInt64(1);
                if (scanned > 0)
                {
                    afterDue = reader.GetFieldValue<DateTimeOffset>(2);
                    afterId = reader.GetGuid(3);
                }
            }

            created += (int)inserted;
            if (scanned < _options.SweepBatchSize)
            {
                break;
            }
        }

        if (created > 0)
        {
            _logger.LogInformation("Created {Count} reminder notices", created);
            _signal?.NoticesCreated();
        }

        return created;
    }

    /// <summary>
    /// Extends an open deadline to <paramref name="newDue"/> for the dossier's authority (<c>owner</c> in the
    /// dossier data): a <c>deadline.extended</c> record event, the extension row and the new due time commit
    /// together. Unsent reminders of the old due time are cancelled; the stages restart from the new due time
    /// (a stage already sent is not sent again).
    /// </summary>
    /// <exception cref="ArgumentValidationException">No reason, an unsafe reason (control characters, bidi overrides), or <paramref name="newDue"/> not later than the current due time.</exception>
    /// <exception cref="DeadlineNotOpenException">The deadline does not exist or is closed.</exception>
    /// <exception cref="TransitionForbiddenException">The actor is not an officer (or the system).</exception>
    /// <exception cref="ConcurrencyConflictException">The deadline changed meanwhile; try again.</exception>
    public async Task<DeadlineExtension> ExtendAsync(Guid deadlineId, DateTimeOffset newDue, string reason, Actor actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (actor.Role is not (Roles.Officer or Roles.System))
        {
            throw new TransitionForbiddenException("extend-deadline", actor.Role);
        }

        Guid dossierId;
        string kind, status, authority;
        DateTimeOffset currentDue;
        await using (var read = _dataSource.CreateCommand(
            "SELECT d.dossier_id, d.kind, d.status, d.due_at, COALESCE(s.data ->> 'owner', '') FROM deadline d JOIN dossier s ON s.id = d.dossier_id WHERE d.id = $1"))
        {
            read.Parameters.AddWithValue(deadlineId);
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                throw new DeadlineNotOpenException(deadlineId, null);
            }

            (dossierId, kind, status, currentDue, authority) =
                (reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3), reader.GetString(4));
        }

        if (status != "open")
        {
            throw new DeadlineNotOpenException(deadlineId, status);
        }

        var due = JournalEvent.Truncate(newDue);
        var errors = new List<FieldError>();
        if (string.IsNullOrWhiteSpace(reason))
        {
            errors.Add(new FieldError("reason", "is required: say why the deadline is extended"));
        }
        else if (reason.Length > 2000)
        {
            errors.Add(new FieldError("reason", "must be at most 2000 characters"));
        }
        else if (TextRules.HasUnsafeCharacters(reason))
        {
            // As the API's body check: every caller (the follow-up page too) stores only single-line, unambiguous text.
            errors.Add(new FieldError("reason", "must not contain control characters, line breaks or bidirectional overrides"));
        }

        if (due <= currentDue)
        {
            errors.Add(new FieldError("newDue", $"must be later than the current due time {JournalEvent.FormatTime(currentDue)}"));
        }

        if (errors.Count > 0)
        {
            throw new ArgumentValidationException(errors);
        }

        var extensionId = Guid.CreateVersion7(_clock.GetUtcNow());
        var grantedAt = JournalEvent.Truncate(_clock.GetUtcNow());
        var trimmed = reason.Trim();
        var result = await _runtime.AppendRecordAsync(
            dossierId,
            "deadline.extended",
            new JsonObject
            {
                ["deadline"] = deadlineId.ToString("D"),
                ["kind"] = kind,
                ["authority"] = authority,
                ["previousDue"] = JournalEvent.FormatTime(currentDue),
                ["newDue"] = JournalEvent.FormatTime(due),
                ["reason"] = trimmed,
                ["extension"] = extensionId.ToString("D"),
            },
            actor,
            idempotencyKey: null,
            alsoInTransaction: async (conn, tx, seq) =>
            {
                await using var batch = new NpgsqlBatch(conn, tx);
                var move = new NpgsqlBatchCommand("UPDATE deadline SET due_at = $2 WHERE id = $1 AND status = 'open' AND due_at = $3");
                move.Parameters.Add(new NpgsqlParameter { Value = deadlineId });
                move.Parameters.Add(new NpgsqlParameter { Value = due });
                move.Parameters.Add(new NpgsqlParameter { Value = currentDue });
                batch.BatchCommands.Add(move);
                var insert = new NpgsqlBatchCommand(
                    """
                    INSERT INTO deadline_extension (id, deadline_id, dossier_id, authority_id, previous_due, new_due, reason, granted_by, granted_at, journal_seq)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                    """);
                foreach (var v in new object[] { extensionId, deadlineId, dossierId, authority, currentDue, due, trimmed, actor.Id, grantedAt, seq })
                {
                    insert.Parameters.Add(new NpgsqlParameter { Value = v });
                }

                batch.BatchCommands.Add(insert);
                var cancel = new NpgsqlBatchCommand(
                    """
                    UPDATE notice SET status = 'cancelled', last_error = 'deadline extended before the reminder was sent'
                    WHERE id IN (SELECT id FROM reminder WHERE deadline_id = $1) AND status = 'pending'
                    """);
                cancel.Parameters.Add(new NpgsqlParameter { Value = deadlineId });
                batch.BatchCommands.Add(cancel);
                await batch.ExecuteNonQueryAsync(cancellationToken);
                if (move.RecordsAffected != 1)
                {
                    throw new ConcurrencyConflictException(dossierId, $"deadline {deadlineId} open and due {JournalEvent.FormatTime(currentDue)}", "it changed meanwhile");
                }
            },
            cancellationToken);

        return new DeadlineExtension(extensionId, deadlineId, dossierId, authority, currentDue, due, trimmed, actor.Id, grantedAt, result.JournalSeq);
    }

    /// <summary>The extensions of a deadline, oldest first.</summary>
    public async Task<IReadOnlyList<DeadlineExtension>> ExtensionsAsync(Guid deadlineId, CancellationToken cancellationToken = default)
    {
        await using var cmd = _dataSource.CreateCommand(
            "SELECT id, deadline_id, dossier_id, authority_id, previous_due, new_due, reason, granted_by, granted_at, journal_seq FROM deadline_extension WHERE deadline_id = $1 ORDER BY granted_at, id");
        cmd.Parameters.AddWithValue(deadlineId);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var list = new List<DeadlineExtension>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new DeadlineExtension(
                reader.GetGuid(0), reader.GetGuid(1), reader.GetGuid(2), reader.GetString(3), reader.GetFieldValue<DateTimeOffset>(4),
                reader.GetFieldValue<DateTimeOffset>(5), reader.GetString(6), reader.GetString(7), reader.GetFieldValue<DateTimeOffset>(8), reader.GetInt64(9)));
        }

        return list;
    }
}
