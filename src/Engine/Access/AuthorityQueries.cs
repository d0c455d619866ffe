using System.Text;
using Npgsql;
using SubsidyEngine.Engine.Programmes;
using SubsidyEngine.Engine.Programmes.Model;

namespace SubsidyEngine.Engine.Access;

/// <summary>One page of authorities and the number of authorities matching (within the scope).</summary>
public sealed record AuthorityPage(IReadOnlyList<Authority> Items, int Total);

/// <summary>
/// The authority register as a caller may see it. Officers, auditors and admins see every authority; a
/// municipality sees itself and the authorities it shares a dossier with (the owners and participants of the
/// cooperations it takes part in). That set is read with the scope's own dossier filter in SQL
/// (<see cref="AccessScope.AppendDossierFilter"/>), so it can never hold an authority of a dossier the caller
/// cannot see. The register itself is the versioned CSV file (<see cref="ProgrammeCatalog.Authorities"/>).
/// </summary>
public sealed class AuthorityQueries(NpgsqlDataSource dataSource, ProgrammeCatalog programmes)
{
    /// <summary>
    /// Authorities visible to <paramref name="scope"/> whose id, name, arrondissement or province contains
    /// <paramref name="text"/> (case-insensitive; null: all), ordered by id, <paramref name="limit"/> from
    /// <paramref name="offset"/>.
    /// </summary>
    public async Task<AuthorityPage> ListAsync(AccessScope scope, string? text, int limit, int offset, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        var visible = await VisibleIdsAsync(scope, cancellationToken);
        var matches = programmes.Authorities.All
            .Where(a => visible is null || visible.Contains(a.Id))
            .Where(a => text is null || Matches(a, text))
            .ToList();
        return new AuthorityPage(matches.Skip(offset).Take(limit).ToList(), matches.Count);
    }

    /// <summary>The authority when it exists and is visible to the scope; otherwise null (the caller answers 404 either way).</summary>
    public async Task<Authority?> GetAsync(AccessScope scope, string id, CancellationToken cancellationToken = default)
    {
        var authority = programmes.Authorities.Find(id);
        if (authority is null)
        {
            return null;
        }

        var visible = await VisibleIdsAsync(scope, cancellationToken);
        return visible is null || visible.Contains(authority.Id) ? authority : null;
    }

    /// <summary>The ids a municipality may see (null: everything; empty: nothing).</summary>
    private async Task<HashSet<string>?> VisibleIdsAsync(AccessScope scope, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scope);
        if (scope.SeesEverything)
        {
            return null;
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        if (!scope.IsMunicipality || string.IsNullOrEmpty(scope.AuthorityId))
        {
            return ids;
        }

        ids.Add(scope.AuthorityId);
        var parameters = new List<NpgsqlParameter>();
        var where = new StringBuilder(" WHERE true");
        scope.AppendDossierFilter(where, parameters);
        await using var cmd = dataSource.CreateCommand(
            $"""
            SELECT d.data ->> 'owner' FROM dossier d{where} AND d.data ? 'owner'
            UNION
            SELECT p.value FROM dossier d CROSS JOIN LATERAL jsonb_array_elements_text(CASE WHEN jsonb_typeof(d.data -> 'participants') = 'array' THEN d.data -> 'participants' ELSE '[]'::jsonb END) p(value){where}
            """);
        cmd.Parameters.AddRange(parameters.ToArray());
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            if (!reader.IsDBNull(0))
            {
                ids.Add(reader.GetString(0));
            }
        }

        return ids;
    }

    private static bool Matches(Authority a, string text) =>
        a.Id.Contains(text, StringComparison.OrdinalIgnoreCase) || a.Name.Contains(text, StringComparison.OrdinalIgnoreCase) ||
        a.Arrondissement.Contains(text, StringComparison.OrdinalIgnoreCase) || a.Province.Contains(text, StringComparison.OrdinalIgnoreCase);
}
