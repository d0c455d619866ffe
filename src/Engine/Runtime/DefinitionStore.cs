using System.Collections.Concurrent;
using Npgsql;
using SubsidyEngine.Workflows.Model;

namespace SubsidyEngine.Engine.Runtime;

/// <summary>
/// Records each definition version's content hash the first time it is used, and refuses a definition file
/// whose content changed after that: a published version is immutable.
/// </summary>
public sealed class DefinitionStore(NpgsqlDataSource dataSource, TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, bool> _checked = new(StringComparer.Ordinal);

    /// <summary>At start-up: every file already known to the database must still have its recorded hash.</summary>
    public async Task VerifyAllAsync(WorkflowCatalog catalog, CancellationToken cancellationToken)
    {
        var stored = new Dictionary<(string, int), string>();
        await using (var cmd = dataSource.CreateCommand("SELECT workflow_id, version, content_hash FROM workflow_definition"))
        await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                stored[(reader.GetString(0), reader.GetInt32(1))] = reader.GetString(2);
            }
        }

        var changed = catalog.All
            .Where(c => stored.TryGetValue((c.Definition.Id, c.Definition.Version), out var h) && h != c.Definition.ContentHash)
            .Select(c => c.Definition)
            .ToList();
        if (changed.Count > 0)
        {
            throw new DefinitionChangedException(
                "Published workflow definitions were changed after first use, which would rewrite history; restore them and publish a new version instead: " +
                string.Join(", ", changed.Select(d => $"{d.SourcePath} ({d.Key})")));
        }

        var missing = stored.Keys.Where(k => !catalog.All.Any(c => c.Definition.Id == k.Item1 && c.Definition.Version == k.Item2)).ToList();
        if (missing.Count > 0)
        {
            throw new DefinitionChangedException(
                "Workflow definitions in use by dossiers are missing from the workflows folder: " + string.Join(", ", missing.Select(k => $"{k.Item1}@v{k.Item2}")));
        }
    }

    /// <summary>Makes sure the definition is recorded (committed on its own, before any dossier uses it) and unchanged.</summary>
    public async Task EnsureRecordedAsync(WorkflowDefinition definition, CancellationToken cancellationToken)
    {
        if (_checked.ContainsKey(definition.Key))
        {
            return;
        }

        await using var conn = await dataSource.OpenConnectionAsync(cancellationToken);
        NpgsqlTransaction? tx = null;

        await using (var insert = new NpgsqlCommand(
            "INSERT INTO workflow_definition (workflow_id, version, content_hash, source_path, content, registered_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING", conn, tx))
        {
            insert.Parameters.AddWithValue(definition.Id);
            insert.Parameters.AddWithValue(definition.Version);
            insert.Parameters.AddWithValue(definition.ContentHash);
            insert.Parameters.AddWithValue(definition.SourcePath);
            insert.Parameters.AddWithValue(definition.Content);
            insert.Parameters.AddWithValue(clock.GetUtcNow().ToUniversalTime());
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var check = new NpgsqlCommand("SELECT content_hash FROM workflow_definition WHERE workflow_id = $1 AND version = $2", conn, tx);
        check.Parameters.AddWithValue(definition.Id);
        check.Parameters.AddWithValue(definition.Version);
        var hash = (string?)await check.ExecuteScalarAsync(cancellationToken);
        if (hash != definition.ContentHash)
        {
            throw new DefinitionChangedException($"{definition.SourcePath} ({definition.Key}) differs from the version first used (hash {hash}); publish a new version instead.");
        }

        _checked[definition.Key] = true;
    }
}
