using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Npgsql;
using SubsidyEngine.Engine.Access;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Engine.Programmes;
using SubsidyEngine.Engine.Programmes.Model;
using SubsidyEngine.Workflows.Expressions;

namespace SubsidyEngine.Engine.Exports;

/// <summary>
/// The rows of the CSV/XLSX exports, read with the caller's <see cref="AccessScope"/> applied in SQL (a municipality
/// gets its own dossiers and those it participates in, exactly like the dossier list). Amounts come from the dossier
/// data the rules computed (<c>amounts</c>, <c>allocation</c>, <c>payment</c>, <c>settlement</c>), as decimals.
/// </summary>
/// <remarks>
/// Kinds: <c>dossiers</c> (every application dossier, calls and system dossiers left out), <c>awards</c> (dossiers
/// with an award), <c>payments</c> (one row per payment: the advance at the award, the balance after the
/// settlement), <c>recoveries</c> (settlements with an amount to recover). Column names are the CSV header and are
/// documented in docs/exports.md.
/// </remarks>
public sealed class ExportQueries(NpgsqlDataSource dataSource)
{
    /// <summary>The most rows one export holds; above it the caller must filter (the file is built in memory).</summary>
    public const int MaxRows = 100_000;

    private static readonly ExportColumn[] DossierColumns =
    [
        new("dossier_id", ExportColumnType.Text), new("reference", ExportColumnType.Text), new("title", ExportColumnType.Text),
        new("programme", ExportColumnType.Text), new("call", ExportColumnType.Text), new("owner", ExportColumnType.Text),
        new("participants", ExportColumnType.Text), new("workflow", ExportColumnType.Text), new("workflow_version", ExportColumnType.Integer),
        new("state", ExportColumnType.Text), new("requested_eur", ExportColumnType.Money), new("allocated_eur", ExportColumnType.Money),
        new("awarded_eur", ExportColumnType.Money), new("created_at", ExportColumnType.Moment), new("updated_at", ExportColumnType.Moment),
    ];

    private static readonly ExportColumn[] AwardColumns =
    [
        new("dossier_id", ExportColumnType.Text), new("reference", ExportColumnType.Text), new("title", ExportColumnType.Text),
        new("programme", ExportColumnType.Text), new("call", ExportColumnType.Text), new("owner", ExportColumnType.Text),
        new("state", ExportColumnType.Text), new("requested_eur", ExportColumnType.Money), new("awarded_eur", ExportColumnType.Money),
        new("advance_eur", ExportColumnType.Money), new("balance_at_most_eur", ExportColumnType.Money),
        new("awarded_at", ExportColumnType.Moment), new("government_decision_date", ExportColumnType.Text),
    ];

    private static readonly ExportColumn[] PaymentColumns =
    [
        new("dossier_id", ExportColumnType.Text), new("reference", ExportColumnType.Text), new("programme", ExportColumnType.Text),
        new("call", ExportColumnType.Text), new("owner", ExportColumnType.Text), new("payment", ExportColumnType.Text),
        new("amount_eur", ExportColumnType.Money), new("due_since", ExportColumnType.Moment),
    ];

    private static readonly ExportColumn[] RecoveryColumns =
    [
        new("dossier_id", ExportColumnType.Text), new("reference", ExportColumnType.Text), new("programme", ExportColumnType.Text),
        new("call", ExportColumnType.Text), new("owner", ExportColumnType.Text), new("state", ExportColumnType.Text),
        new("awarded_eur", ExportColumnType.Money), new("earned_eur", ExportColumnType.Money), new("paid_eur", ExportColumnType.Money),
        new("recovery_eur", ExportColumnType.Money), new("settled_at", ExportColumnType.Moment), new("recovery_decided_at", ExportColumnType.Moment),
    ];

    /// <summary>The columns of <paramref name="kind"/> (the documented CSV header).</summary>
    public static IReadOnlyList<ExportColumn> ColumnsOf(string kind) => kind switch
    {
        ExportKinds.Dossiers => DossierColumns,
        ExportKinds.Awards => AwardColumns,
        ExportKinds.Payments => PaymentColumns,
        ExportKinds.Recoveries => RecoveryColumns,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown export kind"),
    };

    /// <summary>Builds the export of <paramref name="kind"/> within <paramref name="scope"/>.</summary>
    /// <exception cref="ExportTooLargeException">More than <see cref="MaxRows"/> dossiers match.</exception>
    public async Task<ExportTable> BuildAsync(AccessScope scope, string kind, ExportFilter filter, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(filter);
        var columns = ColumnsOf(kind);
        var (sql, parameters) = Statement(scope, kind, filter);
        await using var cmd = dataSource.CreateCommand(sql);
        cmd.Parameters.AddRange(parameters.ToArray());
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var rows = new List<object?[]>();
        var count = 0;
        while (await reader.ReadAsync(cancellationToken))
        {
            if (++count > MaxRows)
            {
                throw new ExportTooLargeException(MaxRows);
            }

            var d = new Source(
                reader.GetGuid(0), reader.GetString(1), reader.GetInt32(2), reader.GetString(3), CanonicalJson.ParseObject(reader.GetString(4)),
                reader.GetFieldValue<DateTimeOffset>(5), reader.GetFieldValue<DateTimeOffset>(6), reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7));
            rows.AddRange(RowsOf(kind, d));
        }

        return new ExportTable(kind, columns, rows);
    }

    /// <summary>
    /// The statement of an export and its parameters. Programme, call and reference are the stored columns of
    /// migration 0031 (an index on call and reference), not expressions over the data of every dossier.
    /// </summary>
    internal static (string Sql, List<NpgsqlParameter> Parameters) Statement(AccessScope scope, string kind, ExportFilter filter)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(filter);
        var parameters = new List<NpgsqlParameter>();
        // The rows are chosen and sorted by id and reference alone (the inner select), and only the chosen rows'
        // data is read and their settle event looked up: sorting whole rows carried every dossier's data (about
        // 14.5 KB each) through the sort, which spilled to disk at 20,000 rows (docs/benchmarks.md, scale).
        var sql = new StringBuilder("SELECT d.id, d.reference FROM dossier d WHERE d.workflow_id NOT LIKE '%/call' AND d.workflow_id NOT LIKE 'system/%'");
        scope.AppendDossierFilter(sql, parameters);
        void Add(string clause, object value)
        {
            parameters.Add(new NpgsqlParameter { Value = value });
            sql.Append(" AND ").Append(clause.Replace("@", "$" + parameters.Count.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));
        }

        if (filter.Programme is not null)
        {
            Add("d.programme = @", filter.Programme);
        }

        if (filter.Call is not null)
        {
            Add("d.call_id = @", filter.Call);
        }

        if (filter.State is not null)
        {
            Add("d.state = @", filter.State);
        }

        switch (kind)
        {
            case ExportKinds.Awards:
                sql.Append(" AND d.data ? 'payment'");
                break;
            case ExportKinds.Payments:
                sql.Append(" AND (d.data ? 'payment' OR d.data ? 'settlement')");
                break;
            case ExportKinds.Recoveries:
                sql.Append(" AND (d.data #>> '{settlement,recoveryEur}')::numeric > 0");
                break;
        }

        sql.Append(CultureInfo.InvariantCulture, $" ORDER BY d.reference, d.id LIMIT {MaxRows + 1}");
        var statement =
            "SELECT d.id, d.workflow_id, d.workflow_version, d.state, d.data::text, d.created_at, d.updated_at, " +
            "(SELECT max(j.occurred_at) FROM journal j WHERE j.dossier_id = d.id AND j.kind = 'transition' AND j.trigger = 'settle') " +
            $"FROM ({sql}) page JOIN dossier d ON d.id = page.id ORDER BY page.reference, page.id";
        return (statement, parameters);
    }

    private sealed record Source(Guid Id, string Workflow, int WorkflowVersion, string State, JsonObject Data, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset? SettledAt);

    private static IEnumerable<object?[]> RowsOf(string kind, Source d)
    {
        var data = d.Data;
        var id = d.Id.ToString("D");
        switch (kind)
        {
            case ExportKinds.Dossiers:
                yield return
                [
                    id, Text(data, "reference"), Text(data, "title"), Text(data, "programme"), Text(data, "call.id"), Text(data, "owner"),
                    string.Join(',', (data["participants"] as JsonArray ?? []).Select(p => p?.ToString() ?? string.Empty)),
                    d.Workflow, d.WorkflowVersion, d.State, Money(data, "amounts.requestedTotalEur"), Money(data, "allocation.allocatedEur"),
                    Money(data, "payment.awardEur"), d.CreatedAt, d.UpdatedAt,
                ];
                break;
            case ExportKinds.Awards:
                yield return
                [
                    id, Text(data, "reference"), Text(data, "title"), Text(data, "programme"), Text(data, "call.id"), Text(data, "owner"), d.State,
                    Money(data, "amounts.requestedTotalEur"), Money(data, "payment.awardEur"), Money(data, "payment.advanceEur"),
                    Money(data, "payment.balanceAtMostEur"), Moment(data, "awardedAt"), Text(data, "governmentDecisionDate"),
                ];
                break;
            case ExportKinds.Payments:
                if (Money(data, "payment.advanceEur") is { } advance and > 0)
                {
                    yield return [id, Text(data, "reference"), Text(data, "programme"), Text(data, "call.id"), Text(data, "owner"), "advance", advance, Moment(data, "awardedAt")];
                }

                if (Money(data, "settlement.balancePayableEur") is { } balance and > 0)
                {
                    yield return [id, Text(data, "reference"), Text(data, "programme"), Text(data, "call.id"), Text(data, "owner"), "balance", balance, d.SettledAt];
                }

                break;
            case ExportKinds.Recoveries:
                yield return
                [
                    id, Text(data, "reference"), Text(data, "programme"), Text(data, "call.id"), Text(data, "owner"), d.State,
                    Money(data, "settlement.awardEur"), Money(data, "settlement.earnedEur"), Money(data, "settlement.paidEur"),
                    Money(data, "settlement.recoveryEur"), d.SettledAt, Moment(data, "recoveryDecidedAt"),
                ];
                break;
        }
    }

    private static string? Text(JsonObject data, string path) => ProgrammeGuards.Str(data, path);

    private static decimal? Money(JsonObject data, string path) =>
        ValueResolver.TryGetDecimal(ValueResolver.Navigate(data, path), out var m) ? m : null;

    private static DateTimeOffset? Moment(JsonObject data, string path) =>
        Text(data, path) is { } s && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.None, out var at) ? at : null;
}
