using System.Text.Json.Nodes;
using Npgsql;
using SubsidyEngine.Testing;

namespace SubsidyEngine.Engine.Tests.Audit;

/// <summary>
/// A database written by an earlier build of the service, kept as JSON (<c>Audit/Fixtures/*.json</c>): the rows of
/// every table a replay reads. Loading one into a fresh database and replaying it is how the tests hold the
/// service to its promise that journals and letters already written keep replaying and re-rendering byte for byte
/// after the engine, the letter models or the templates change.
/// </summary>
public static class LegacyJournal
{
    /// <summary>The tables of a fixture, in an order that satisfies the foreign keys.</summary>
    public static readonly string[] Tables =
        ["workflow_definition", "dossier", "journal", "deadline", "notice", "letter", "reminder", "deadline_extension", "journal_checkpoint"];

    public static string FixturePath(string name) => Path.Combine(AppContext.BaseDirectory, "Audit", "Fixtures", name + ".json");

    /// <summary>
    /// The authorities register as it stood when the fixture was written (<c>Audit/Fixtures/authorities-{name}.csv</c>):
    /// the fixture's dossiers predate the journaled postal address, so their letters re-render only from that register.
    /// </summary>
    public static string RegisterPath(string name) => Path.Combine(AppContext.BaseDirectory, "Audit", "Fixtures", $"authorities-{name}.csv");

    /// <summary>Every row of <see cref="Tables"/> as JSON (generated columns and PDFs left out).</summary>
    public static async Task<JsonObject> DumpAsync(NpgsqlDataSource dataSource)
    {
        var dump = new JsonObject();
        foreach (var table in Tables)
        {
            var columns = await InsertableColumnsAsync(dataSource, table);
            var select = string.Join(", ", columns.Select(c => c == "pdf" ? "NULL::bytea AS pdf" : c));
            await using var cmd = dataSource.CreateCommand(
                $"SELECT coalesce(json_agg(t ORDER BY t.ord), '[]')::text FROM (SELECT {select}, row_number() OVER () AS ord FROM {table}) t");
            var rows = JsonNode.Parse((string)(await cmd.ExecuteScalarAsync())!)!.AsArray();
            foreach (var row in rows.OfType<JsonObject>())
            {
                row.Remove("ord");
            }

            dump[table] = rows;
        }

        return dump;
    }

    /// <summary>Inserts the rows of a fixture into an empty, migrated database.</summary>
    public static async Task LoadAsync(NpgsqlDataSource dataSource, string name)
    {
        var dump = JsonNode.Parse(await File.ReadAllTextAsync(FixturePath(name)))!.AsObject();
        await using var conn = await dataSource.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        foreach (var table in Tables)
        {
            if (dump[table] is not JsonArray rows || rows.Count == 0)
            {
                continue;
            }

            // The columns the fixture has: columns added since (with their defaults) keep their defaults.
            var present = rows.OfType<JsonObject>().First().Select(kv => kv.Key).ToHashSet(StringComparer.Ordinal);
            var columns = string.Join(", ", (await InsertableColumnsAsync(dataSource, table)).Where(present.Contains));
            await using var cmd = new NpgsqlCommand(
                $"INSERT INTO {table} ({columns}) OVERRIDING SYSTEM VALUE SELECT {columns} FROM json_populate_recordset(NULL::{table}, $1::json)", conn, tx);
            cmd.Parameters.AddWithValue(rows.ToJsonString());
            await cmd.ExecuteNonQueryAsync();
        }

        await tx.CommitAsync();
    }

    private static async Task<List<string>> InsertableColumnsAsync(NpgsqlDataSource dataSource, string table)
    {
        await using var cmd = dataSource.CreateCommand(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 AND is_generated = 'NEVER' ORDER BY ordinal_position");
        cmd.Parameters.AddWithValue(table);
        var list = new List<string>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            list.Add(reader.GetString(0));
        }

        return list;
    }
}
