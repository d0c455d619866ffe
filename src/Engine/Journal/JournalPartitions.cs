using Npgsql;

namespace SubsidyEngine.Engine.Journal;

/// <summary>
/// The journal is partitioned by year of <c>occurred_at</c> in Europe/Brussels (migration 0020,
/// docs/decisions/2026-12-07-journal-partitions.md). The yearly partitions are created ahead of time by the database
/// function <c>journal_ensure_partitions</c>: at every start (after the migrations) and by the daily checkpoint job,
/// always <see cref="YearsAhead"/> years beyond the current one, so the catch-all partition <c>journal_later</c> stays
/// empty in normal operation. The function runs as the journal's owner, so the service may call it as
/// <c>subsidy_app</c>.
/// </summary>
public static class JournalPartitions
{
    /// <summary>How many years beyond the current one have their partition ready.</summary>
    public const int YearsAhead = 3;

    /// <summary>Creates the missing yearly partitions up to <see cref="YearsAhead"/> years from the database's now; returns how many were created.</summary>
    public static async Task<int> EnsureAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand(
            "SELECT journal_ensure_partitions(extract(year FROM now() AT TIME ZONE 'Europe/Brussels')::integer + $1)");
        cmd.Parameters.AddWithValue(YearsAhead);
        return (int)(await cmd.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>The journal's partitions with their rows (estimated from the statistics) and total size in bytes, oldest first.</summary>
    public static async Task<IReadOnlyList<(string Name, string Bounds, long EstimatedRows, long Bytes)>> ListAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand(
            """
            SELECT c.relname, pg_get_expr(c.relpartbound, c.oid), greatest(c.reltuples, 0)::bigint, pg_total_relation_size(c.oid)
            FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'journal'::regclass
            ORDER BY c.relname ~ '^journal_before' DESC, c.relname = 'journal_later', c.relname
            """);
        var list = new List<(string, string, long, long)>();
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await r.ReadAsync(cancellationToken))
        {
            list.Add((r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetInt64(3)));
        }

        return list;
    }
}
