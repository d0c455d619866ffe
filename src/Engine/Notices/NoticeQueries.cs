using Npgsql;

namespace SubsidyEngine.Engine.Notices;

/// <summary>
/// The officers' reads of the outbox: the failed notices (the banner on the board, the list of undelivered mail),
/// the delivery state of one notice, and one notice as the dispatcher would send it (the preview). Read-only; shares
/// no state with <see cref="NoticeDispatcher"/>.
/// </summary>
public sealed class NoticeQueries
{
    private readonly NpgsqlDataSource _dataSource;

    /// <summary>Creates the queries over <paramref name="dataSource"/>.</summary>
    public NoticeQueries(NpgsqlDataSource dataSource)
    {
        _dataSource = dataSource ?? throw new ArgumentNullException(nameof(dataSource));
    }

    /// <summary>How many notices failed permanently and wait for an officer (the banner on the board).</summary>
    public async Task<long> CountFailedAsync(CancellationToken cancellationToken = default)
    {
        await using var cmd = _dataSource.CreateCommand("SELECT count(*) FROM notice WHERE status = 'failed'");
        return (long)(await cmd.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Notices that failed permanently, newest first: the officers' list of undelivered mail.</summary>
    public async Task<IReadOnlyList<FailedNotice>> ListFailedAsync(int limit = 100, CancellationToken cancellationToken = default)
    {
        await using var cmd = _dataSource.CreateCommand(
            """
            SELECT n.id, n.dossier_id, n.kind, n.template_id, n.attempts, n.last_error, n.failed_at, l.to_recipients::text
            FROM notice n LEFT JOIN letter l ON l.notice_id = n.id
            WHERE n.status = 'failed'
            ORDER BY n.failed_at DESC NULLS LAST, n.id
            LIMIT $1
            """);
        cmd.Parameters.AddWithValue(limit);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var list = new List<FailedNotice>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new FailedNotice(
                reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3), reader.GetInt32(4),
                reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6),
                reader.IsDBNull(7) ? [] : NoticeRows.ParseRecipients(reader.GetString(7))));
        }

        return list;
    }

    /// <summary>The delivery state of one notice, or null when it does not exist.</summary>
    public async Task<NoticeStatus?> GetStatusAsync(Guid noticeId, CancellationToken cancellationToken = default)
    {
        await using var cmd = _dataSource.CreateCommand(
            "SELECT id, dossier_id, kind, status, attempts, next_attempt_at, last_error, message_id, sent_at FROM notice WHERE id = $1");
        cmd.Parameters.AddWithValue(noticeId);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new NoticeStatus(
            reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3), reader.GetInt32(4),
            reader.GetFieldValue<DateTimeOffset>(5), reader.IsDBNull(6) ? null : reader.GetString(6),
            reader.IsDBNull(7) ? null : reader.GetString(7), reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8));
    }

    /// <summary>
    /// One notice as the dispatcher reads it to send it (<see cref="NoticeRows.DetailsSelect"/>: its snapshot, its reminder),
    /// without claiming it; null when there is no such notice. The preview of a letter not sent yet renders this.
    /// </summary>
    internal static async Task<NoticeToCompose?> ReadNoticeAsync(NpgsqlDataSource dataSource, Guid noticeId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var cmd = dataSource.CreateCommand(NoticeRows.DetailsSelect("(SELECT * FROM notice WHERE id = $1)"));
        cmd.Parameters.AddWithValue(noticeId);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? NoticeRows.ReadNotice(reader) : null;
    }
}
