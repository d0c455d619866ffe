using Npgsql;
using SubsidyEngine.Engine.Configuration;
using SubsidyEngine.Engine.Journal;

namespace SubsidyEngine.Engine.Notices;

/// <summary>
/// The claims and leases of <see cref="NoticeDispatcher"/> and its retry bookkeeping: claiming due notices
/// (<c>FOR UPDATE SKIP LOCKED</c>), keeping the claims of a batch alive, checking a claim right before a send,
/// putting a transiently failed notice back to <c>pending</c>, and cancelling reminders whose deadline closed.
/// A claim is identified by the notice and the attempt count it set: a later claim by another sender changes it.
/// </summary>
internal sealed class NoticeClaims
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly TimeProvider _clock;
    private readonly NoticeOptions _options;

    internal NoticeClaims(NpgsqlDataSource dataSource, TimeProvider clock, NoticeOptions options)
    {
        _dataSource = dataSource;
        _clock = clock;
        _options = options;
    }

    private DateTimeOffset Now() => JournalEvent.Truncate(_clock.GetUtcNow());

    /// <summary>Cancels the pending reminders whose deadline is no longer open; returns how many.</summary>
    internal async Task<int> CancelStaleRemindersAsync(CancellationToken cancellationToken)
    {
        // A reminder created before its deadline was met, cleared or fired must not go out afterwards.
        await using var cmd = _dataSource.CreateCommand(
            """
            UPDATE notice n SET status = 'cancelled', last_error = 'deadline ' || d.status || ' before the reminder was sent'
            FROM reminder r JOIN deadline d ON d.id = r.deadline_id
            WHERE r.id = n.id AND n.status = 'pending' AND n.kind = 'reminder' AND d.status <> 'open'
            """);
        return await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Claims up to <paramref name="limit"/> due notices and reads what sending them needs, in one statement.</summary>
    internal async Task<List<ClaimedNotice>> ClaimAsync(int limit, CancellationToken cancellationToken)
    {
        var now = Now();
        await using var cmd = _dataSource.CreateCommand(
            $"""
            WITH due AS (
                SELECT id FROM notice
                WHERE status IN ('pending', 'sending') AND next_attempt_at <= $1
                ORDER BY next_attempt_at, id
                LIMIT $2
                FOR UPDATE SKIP LOCKED
            ), claimed AS (
                UPDATE notice n SET status = 'sending', attempts = n.attempts + 1, last_attempt_at = $1, next_attempt_at = $3
                FROM due WHERE n.id = due.id
                RETURNING n.*
            )
            {NoticeRows.DetailsSelect("claimed")}
            """);
        cmd.Parameters.AddWithValue(now);
        cmd.Parameters.AddWithValue(limit);
        cmd.Parameters.AddWithValue(now + TimeSpan.FromSeconds(_options.LeaseSeconds));
        var list = new List<ClaimedNotice>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(ClaimedNotice.Read(reader));
        }

        return list;
    }

    /// <summary>
    /// Restarts the lease of every notice of <paramref name="rest"/> whose claim this sender still holds (the notice
    /// is <c>sending</c> with the attempt count this claim set), in one statement, and returns how many it renewed;
    /// notices claimed by someone else meanwhile are left alone (and skipped later by <see cref="RenewLeaseAsync"/>).
    /// </summary>
    internal async Task<int> KeepClaimsAsync(List<ClaimedNotice> rest, CancellationToken cancellationToken)
    {
        await using var cmd = _dataSource.CreateCommand(
            """
            UPDATE notice n SET next_attempt_at = $3
            FROM unnest($1::uuid[], $2::int[]) AS c(id, attempts)
            WHERE n.id = c.id AND n.status = 'sending' AND n.attempts = c.attempts
            """);
        cmd.Parameters.AddWithValue(rest.Select(c => c.Notice.NoticeId).ToArray());
        cmd.Parameters.AddWithValue(rest.Select(c => c.Attempts).ToArray());
        cmd.Parameters.AddWithValue(Now() + TimeSpan.FromSeconds(_options.LeaseSeconds));
        return await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Right before a message goes out: checks that this sender's claim still holds (the notice is <c>sending</c> and
    /// nobody claimed it since: <c>attempts</c> is still the number this claim set) and starts the lease again from
    /// now. A batch is claimed at once but sent one message after the other, so without this a slow batch (a slow
    /// relay, 30 s time-outs) outlives the lease of its last notices, another sender claims them, and both send them.
    /// </summary>
    internal async Task<bool> RenewLeaseAsync(ClaimedNotice c, CancellationToken cancellationToken) =>
        await KeepClaimsAsync([c], cancellationToken) == 1;

    /// <summary>
    /// Puts a claimed notice back to <c>pending</c> until <paramref name="nextAttemptAt"/> after a transient failure,
    /// when this sender's claim still holds.
    /// </summary>
    internal async Task ReleaseForRetryAsync(ClaimedNotice c, DateTimeOffset nextAttemptAt, string reason, CancellationToken cancellationToken)
    {
        await using var cmd = _dataSource.CreateCommand(
            "UPDATE notice SET status = 'pending', next_attempt_at = $2, last_error = $3 WHERE id = $1 AND status = 'sending' AND attempts = $4");
        cmd.Parameters.AddWithValue(c.Notice.NoticeId);
        cmd.Parameters.AddWithValue(JournalEvent.Truncate(nextAttemptAt));
        cmd.Parameters.AddWithValue(reason);
        cmd.Parameters.AddWithValue(c.Attempts);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }
}

/// <summary>A notice claimed (or read for pre-rendering) with the attempt count its claim set.</summary>
internal sealed record ClaimedNotice(NoticeToCompose Notice, int Attempts, DateTimeOffset? LastAttemptAt)
{
    /// <summary>Reads a row of <see cref="NoticeRows.DetailsSelect"/>.</summary>
    internal static ClaimedNotice Read(NpgsqlDataReader r) =>
        new(NoticeRows.ReadNotice(r), r.GetInt32(8), r.IsDBNull(9) ? null : r.GetFieldValue<DateTimeOffset>(9));
}
