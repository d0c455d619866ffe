using System.Text;
using System.Text.Json.Nodes;
using Npgsql;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Engine.Runtime;

namespace SubsidyEngine.Engine.Access;

/// <summary>Filters of the dossier list; null means "any".</summary>
public sealed record DossierFilter
{
    public string? Workflow { get; init; }

    public string? State { get; init; }

    public string? Owner { get; init; }

    public string? Parent { get; init; }

    /// <summary>Case-insensitive substring of <c>data.reference</c> or <c>data.title</c>.</summary>
    public string? Text { get; init; }

    public DateTimeOffset? UpdatedSince { get; init; }

    /// <summary>Leaves out call dossiers (<c>*/call</c>) and system dossiers (<c>system/*</c>): the applications only.</summary>
    public bool ApplicationsOnly { get; init; }
}

/// <summary>How many dossiers of a workflow are in a state (within the scope and filter).</summary>
public sealed record StateCount(string WorkflowId, int WorkflowVersion, string State, long Count);

/// <summary>One page of dossiers and the number of dossiers matching the filter (within the scope).</summary>
public sealed record DossierPage(IReadOnlyList<DossierSnapshot> Items, long Total);

/// <summary>A deadline row of a dossier.</summary>
public sealed record DeadlineRecord(Guid Id, string Kind, DateTimeOffset DueAt, string Rule, string? TimeoutTrigger, string? BoundState, int SetBySeq, string Status, DateTimeOffset? ClosedAt, int? ClosedBySeq);

/// <summary>A notice (outbox) row of a dossier.</summary>
public sealed record NoticeRecord(Guid Id, long JournalSeq, int DossierSeq, string Kind, string TemplateId, int TemplateVersion, string Status, int Attempts, DateTimeOffset CreatedAt, DateTimeOffset? SentAt);

/// <summary>
/// Read queries over dossiers with the caller's <see cref="AccessScope"/> applied in SQL. A dossier outside the
/// scope is indistinguishable from one that does not exist.
/// </summary>
public sealed class DossierQueries(NpgsqlDataSource dataSource)
{
    private const string Columns = "d.id, d.workflow_id, d.workflow_version, d.state, d.version, d.data::text, d.head_hash, d.created_at, d.updated_at";

    /// <summary>
    /// One page of the dossiers the scope may see, newest first. With <c>dataKeys</c>, each snapshot's <see cref="DossierSnapshot.Data"/> holds only these top-level keys of the data: a
    /// list page that shows a reference and a title then reads and parses a few hundred bytes per dossier instead of
    /// its whole data (about 17 KB for a Plan Samenleven application; 8.5 MB for the board's 500 rows, most of its
    /// time at 10,000 dossiers, docs/benchmarks.md "pages").
    /// </summary>
    public async Task<DossierPage> ListAsync(AccessScope scope, DossierFilter filter, int page, int pageSize, CancellationToken cancellationToken = default, IReadOnlyList<string>? dataKeys = null)
    {
        var (where, parameters) = Where(scope, filter);
        await using var batch = dataSource.CreateBatch();
        var count = new NpgsqlBatchCommand("SELECT count(*) FROM dossier d" + where);
        var list = new NpgsqlBatchCommand(PageSql(where, page, pageSize, dataKeys));
        foreach (var p in parameters)
        {
            count.Parameters.Add(new NpgsqlParameter { Value = p.Value });
            list.Parameters.Add(new NpgsqlParameter { Value = p.Value });
        }

        batch.BatchCommands.Add(count);
        batch.BatchCommands.Add(list);
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var total = reader.GetInt64(0);
        await reader.NextResultAsync(cancellationToken);
        return new DossierPage(await ReadAllAsync(reader, cancellationToken), total);
    }

    /// <summary>
    /// <see cref="ListAsync"/>'s page without its count: for a caller that counts otherwise (the board sums
    /// <see cref="StateCountsAsync"/>, which reads the same rows; a separate <c>count(*)</c> read every matching
    /// dossier once more, docs/benchmarks.md scale).
    /// </summary>
    public async Task<IReadOnlyList<DossierSnapshot>> PageAsync(AccessScope scope, DossierFilter filter, int page, int pageSize, CancellationToken cancellationToken = default, IReadOnlyList<string>? dataKeys = null)
    {
        var (where, parameters) = Where(scope, filter);
        await using var cmd = dataSource.CreateCommand(PageSql(where, page, pageSize, dataKeys));
        cmd.Parameters.AddRange(parameters.ToArray());
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        return await ReadAllAsync(reader, cancellationToken);
    }

    private static string PageSql(StringBuilder where, int page, int pageSize, IReadOnlyList<string>? dataKeys)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(page, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        var columns = Columns;
        if (dataKeys is not null)
        {
            if (dataKeys.Count == 0 || dataKeys.Any(k => !System.Text.RegularExpressions.Regex.IsMatch(k, "^[A-Za-z][A-Za-z0-9_]{0,62}$")))
            {
                throw new ArgumentException("data keys must be plain identifiers", nameof(dataKeys));
            }

            // The data is read (de-TOASTed, decompressed) once per row: `d.data -> 'k'` once per key decompressed the
            // whole data once per key (the board's two keys doubled its rows' time, docs/benchmarks.md scale). The
            // concatenation with an empty object yields the same object in memory; OFFSET 0 keeps the subquery from
            // being pulled up, which would repeat the expression per key.
            columns = columns.Replace("d.data::text", "(SELECT jsonb_strip_nulls(jsonb_build_object(" + string.Join(", ", dataKeys.Select(k => $"'{k}', x -> '{k}'")) +
                                                      ")) FROM (SELECT d.data || '{}'::jsonb AS x OFFSET 0) one)::text", StringComparison.Ordinal);
        }

        // The page's ids first, then their rows: with the columns in one query, PostgreSQL computed data::text (and
        // read the TOASTed data) of every matching dossier below the sort, not of the page's only (docs/benchmarks.md,
        // scale: the board's first page at 100,000 dossiers went from 22 s to 0.5 s in EXPLAIN ANALYZE).
        return $"SELECT {columns} FROM (SELECT d.id FROM dossier d{where} ORDER BY d.updated_at DESC, d.id LIMIT {pageSize} OFFSET {(long)(page - 1) * pageSize}) page " +
               "JOIN dossier d ON d.id = page.id ORDER BY d.updated_at DESC, d.id";
    }

    private static async Task<IReadOnlyList<DossierSnapshot>> ReadAllAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        var items = new List<DossierSnapshot>();
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(Read(reader));
        }

        return items;
    }

    /// <summary>
    /// Dossier counts per workflow, version and state for the whole filter (not one page), so a paged board shows
    /// correct totals.
    /// </summary>
    public async Task<IReadOnlyList<StateCount>> StateCountsAsync(AccessScope scope, DossierFilter filter, CancellationToken cancellationToken = default)
    {
        var (where, parameters) = Where(scope, filter);
        await using var cmd = dataSource.CreateCommand("SELECT d.workflow_id, d.workflow_version, d.state, count(*) FROM dossier d" + where + " GROUP BY 1, 2, 3 ORDER BY 1, 3, 2");
        cmd.Parameters.AddRange(parameters.ToArray());
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var list = new List<StateCount>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new StateCount(reader.GetString(0), reader.GetInt32(1), reader.GetString(2), reader.GetInt64(3)));
        }

        return list;
    }

    private static (StringBuilder Where, List<NpgsqlParameter> Parameters) Where(AccessScope scope, DossierFilter filter)
    {
        var parameters = new List<NpgsqlParameter>();
        var where = new StringBuilder(" WHERE true");
        scope.AppendDossierFilter(where, parameters);
        void Add(string clause, object value)
        {
            parameters.Add(new NpgsqlParameter { Value = value });
            where.Append(" AND ").Append(clause.Replace("@", "$" + parameters.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
        }

        if (filter.Workflow is not null)
        {
            Add("d.workflow_id = @", filter.Workflow);
        }

        if (filter.State is not null)
        {
            Add("d.state = @", filter.State);
        }

        if (filter.Owner is not null)
        {
            Add("d.owner = @", filter.Owner);
        }

        if (filter.Parent is not null)
        {
            Add("d.parent = @", filter.Parent);
        }

        if (filter.Text is not null)
        {
            var pattern = "%" + filter.Text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal) + "%";
            Add("(d.data ->> 'reference' ILIKE @ OR d.data ->> 'title' ILIKE @)", pattern);
        }

        if (filter.UpdatedSince is { } since)
        {
            Add("d.updated_at >= @", since);
        }

        if (filter.ApplicationsOnly)
        {
            where.Append(" AND d.workflow_id NOT LIKE '%/call' AND d.workflow_id NOT LIKE 'system/%'");
        }

        return (where, parameters);
    }

    /// <summary>The dossier when it exists and is within the scope; otherwise null (the caller answers 404 either way).</summary>
    public async Task<DossierSnapshot?> GetAsync(AccessScope scope, Guid id, CancellationToken cancellationToken = default)
    {
        var parameters = new List<NpgsqlParameter> { new() { Value = id } };
        var sql = new StringBuilder($"SELECT {Columns} FROM dossier d WHERE d.id = $1");
        scope.AppendDossierFilter(sql, parameters);
        await using var cmd = dataSource.CreateCommand(sql.ToString());
        cmd.Parameters.AddRange(parameters.ToArray());
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    /// <summary>
    /// The dossier's journal in chain order, or null when the dossier is not visible (every dossier has at least its
    /// creation event, so an empty answer means "not visible or not there").
    /// </summary>
    public async Task<IReadOnlyList<JournalEvent>?> JournalAsync(AccessScope scope, Guid id, CancellationToken cancellationToken = default)
    {
        var parameters = new List<NpgsqlParameter> { new() { Value = id } };
        var sql = new StringBuilder(
            "SELECT j.seq, j.dossier_id, j.dossier_seq, j.occurred_at, j.actor, j.actor_role, j.kind, j.trigger, j.from_state, j.to_state, j.definition_id, " +
            "j.definition_version, j.definition_hash, j.arguments, j.effects, j.prev_hash, j.hash, j.format, j.inputs FROM journal j JOIN dossier d ON d.id = j.dossier_id WHERE j.dossier_id = $1");
        scope.AppendDossierFilter(sql, parameters);
        sql.Append(" ORDER BY j.dossier_seq, j.seq");
        await using var cmd = dataSource.CreateCommand(sql.ToString());
        cmd.Parameters.AddRange(parameters.ToArray());
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var events = new List<JournalEvent>();
        while (await reader.ReadAsync(cancellationToken))
        {
            events.Add(JournalStore.Read(reader));
        }

        return events.Count > 0 ? events : null;
    }

    /// <summary>The dossier's deadlines (open first, then by due time), or null when the dossier is not visible.</summary>
    public async Task<IReadOnlyList<DeadlineRecord>?> DeadlinesAsync(AccessScope scope, Guid id, CancellationToken cancellationToken = default)
    {
        if (await GetAsync(scope, id, cancellationToken) is null)
        {
            return null;
        }

        await using var cmd = dataSource.CreateCommand(
            "SELECT id, kind, due_at, rule, timeout_trigger, bound_state, set_by_seq, status, closed_at, closed_by_seq FROM deadline WHERE dossier_id = $1 ORDER BY (status = 'open') DESC, due_at, id");
        cmd.Parameters.AddWithValue(id);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var list = new List<DeadlineRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new DeadlineRecord(reader.GetGuid(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5), reader.GetInt32(6), reader.GetString(7),
                reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8), reader.IsDBNull(9) ? null : reader.GetInt32(9)));
        }

        return list;
    }

    /// <summary>The dossier's notices in creation order, or null when the dossier is not visible.</summary>
    public async Task<IReadOnlyList<NoticeRecord>?> NoticesAsync(AccessScope scope, Guid id, CancellationToken cancellationToken = default)
    {
        if (await GetAsync(scope, id, cancellationToken) is null)
        {
            return null;
        }

        await using var cmd = dataSource.CreateCommand(
            "SELECT id, journal_seq, dossier_seq, kind, template_id, template_version, status, attempts, created_at, sent_at FROM notice WHERE dossier_id = $1 ORDER BY created_at, id");
        cmd.Parameters.AddWithValue(id);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var list = new List<NoticeRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new NoticeRecord(reader.GetGuid(0), reader.GetInt64(1), reader.GetInt32(2), reader.GetString(3), reader.GetString(4), reader.GetInt32(5),
                reader.GetString(6), reader.GetInt32(7), reader.GetFieldValue<DateTimeOffset>(8), reader.IsDBNull(9) ? null : reader.GetFieldValue<DateTimeOffset>(9)));
        }

        return list;
    }

    private static DossierSnapshot Read(NpgsqlDataReader r) => new(
        r.GetGuid(0), r.GetString(1), r.GetInt32(2), r.GetString(3), r.GetInt32(4),
        CanonicalJson.ParseObject(r.GetString(5)), r.GetString(6), r.GetFieldValue<DateTimeOffset>(7), r.GetFieldValue<DateTimeOffset>(8));
}
