using Npgsql;

namespace SubsidyEngine.Engine.Access;

/// <summary>One dossier's line in the portal's "Mijn dossiers": its nearest open deadline and its letters not yet opened.</summary>
public sealed record PortalLine(Guid DossierId, string? DeadlineKind, DateTimeOffset? DeadlineDue, int UnopenedLetters);

/// <summary>
/// What the municipality portal reads besides the dossiers themselves, in two indexed queries for a whole page of
/// dossiers (never one per row): the calls an officer has opened (call dossiers in state <c>open</c>), and per dossier
/// the nearest open deadline and the letters without a <c>letter.opened</c> record. The dossier ids come from
/// <see cref="DossierQueries.ListAsync"/>, which applied the caller's scope.
/// </summary>
public sealed class PortalQueries(NpgsqlDataSource dataSource)
{
    /// <summary>
    /// Which of <paramref name="callKeys"/> (unique keys <c>programme/call|callId</c>, the calls whose window is open)
    /// belong to a call dossier that is open for applications. Looked up by key (the unique index), so the cost follows
    /// the calls asked about, not the number of dossiers: the former filter <c>workflow_id LIKE '%/call'</c> read every
    /// dossier (docs/benchmarks.md, scale).
    /// </summary>
    public async Task<IReadOnlySet<string>> OpenCallKeysAsync(IReadOnlyCollection<string> callKeys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(callKeys);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        if (callKeys.Count == 0)
        {
            return keys;
        }

        await using var cmd = dataSource.CreateCommand(
            "SELECT u.key FROM dossier_unique u JOIN dossier d ON d.id = u.dossier_id WHERE u.key = ANY($1) AND d.state = 'open' AND d.workflow_id LIKE '%/call'");
        cmd.Parameters.AddWithValue(callKeys.ToArray());
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            keys.Add(reader.GetString(0));
        }

        return keys;
    }

    /// <summary>The dossiers that hold the given unique keys (e.g. <c>programme/dossier|callId|authority</c>: an authority's application for a call).</summary>
    public async Task<IReadOnlyDictionary<string, Guid>> DossiersByKeyAsync(IReadOnlyCollection<string> keys, CancellationToken cancellationToken = default)
    {
        var found = new Dictionary<string, Guid>(StringComparer.Ordinal);
        if (keys.Count == 0)
        {
            return found;
        }

        await using var cmd = dataSource.CreateCommand("SELECT key, dossier_id FROM dossier_unique WHERE key = ANY($1)");
        cmd.Parameters.AddWithValue(keys.ToArray());
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            found[reader.GetString(0)] = reader.GetGuid(1);
        }

        return found;
    }

    /// <summary>
    /// The portal lines of <paramref name="dossierIds"/> (dossiers the caller may see). Unread letters are counted on
    /// the dossiers <paramref name="authorityId"/> submitted: a letter is addressed to the submitting authority, and
    /// only its reading records <c>letter.opened</c> (a participating authority's line shows none).
    /// </summary>
    public async Task<IReadOnlyDictionary<Guid, PortalLine>> LinesAsync(IReadOnlyCollection<Guid> dossierIds, string authorityId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dossierIds);
        ArgumentNullException.ThrowIfNull(authorityId);
        var lines = new Dictionary<Guid, PortalLine>();
        if (dossierIds.Count == 0)
        {
            return lines;
        }

        await using var cmd = dataSource.CreateCommand(
            """
            SELECT i.id, dl.kind, dl.due_at,
                   (SELECT count(*) FROM notice n JOIN dossier d ON d.id = n.dossier_id AND d.owner = $2
                     WHERE n.dossier_id = i.id AND n.kind = 'letter'
                       AND NOT EXISTS (SELECT 1 FROM journal j WHERE j.dossier_id = n.dossier_id AND j.kind = 'letter.opened'
                                        AND (j.arguments::jsonb ->> 'notice') = n.id::text))::int
            FROM unnest($1::uuid[]) AS i(id)
            LEFT JOIN LATERAL (SELECT kind, due_at FROM deadline WHERE dossier_id = i.id AND status = 'open' ORDER BY due_at LIMIT 1) dl ON true
            """);
        cmd.Parameters.AddWithValue(dossierIds.ToArray());
        cmd.Parameters.AddWithValue(authorityId);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var id = reader.GetGuid(0);
            lines[id] = new PortalLine(id, reader.IsDBNull(1) ? null : reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetFieldValue<DateTimeOffset>(2), reader.GetInt32(3));
        }

        return lines;
    }
}
