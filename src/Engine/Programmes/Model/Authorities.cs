#pragma warning disable CS1573 // Record parameters are documented only where the name does not say it all.
using System.Diagnostics.CodeAnalysis;

namespace SubsidyEngine.Engine.Programmes.Model;

/// <summary>What kind of local authority an applicant is.</summary>
public enum AuthorityKind
{
    /// <summary>A Flemish municipality (id = its NIS code).</summary>
    Municipality,

    /// <summary>The Flemish Community Commission in Brussels (id <c>VGC</c>), acting as a local authority.</summary>
    Vgc,

    /// <summary>vzw De Rand (id <c>DE-RAND</c>), which may apply together with the facility municipalities around Brussels.</summary>
    DeRand,
}

/// <summary>The data-file spelling of <see cref="AuthorityKind"/>: <c>municipality</c>, <c>vgc</c>, <c>de-rand</c>.</summary>
public static class AuthorityKinds
{
    /// <summary>The data-file spelling of a kind.</summary>
    public static string ToDataString(this AuthorityKind kind) => kind switch
    {
        AuthorityKind.Municipality => "municipality",
        AuthorityKind.Vgc => "vgc",
        AuthorityKind.DeRand => "de-rand",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>Parses the data-file spelling (case-sensitive).</summary>
    public static bool TryParse(string? text, out AuthorityKind kind)
    {
        switch (text)
        {
            case "municipality": kind = AuthorityKind.Municipality; return true;
            case "vgc": kind = AuthorityKind.Vgc; return true;
            case "de-rand": kind = AuthorityKind.DeRand; return true;
            default: kind = default; return false;
        }
    }
}

/// <summary>
/// A local authority that may apply or take part in a cooperation.
/// </summary>
/// <param name="Id">NIS code as a string (e.g. <c>11002</c>), or <c>VGC</c> / <c>DE-RAND</c>.</param>
/// <param name="Arrondissement">The reference region a cooperation must lie in (stand-in: the arrondissement).</param>
/// <param name="NonEu14OriginResidents">Residents of non-EU-14 origin (own or a parent's first nationality outside Belgium and the EU-14). In the demo file these counts are ILLUSTRATIVE.</param>
/// <param name="IsFacilityMunicipality">One of the six municipalities with language facilities around Brussels.</param>
/// <param name="Iban">The authority's bank account for subsidy payments (mod-97 checked by <see cref="Workflows.Formats.Iban"/>), grouped; null when the register does not give it. In the demo file these are ILLUSTRATIVE.</param>
public sealed record Authority(
    string Id,
    string Name,
    AuthorityKind Kind,
    string Arrondissement,
    string Province,
    long Inhabitants,
    long NonEu14OriginResidents,
    bool IsFacilityMunicipality,
    string ContactEmail,
    string Address,
    string? Iban = null);

/// <summary>The known authorities, by id. Immutable; build it with <see cref="AuthorityCsv"/> or from a list.</summary>
public sealed class AuthorityRegister
{
    private readonly Dictionary<string, Authority> _byId;

    /// <summary>Builds a register; throws <see cref="ArgumentException"/> on a duplicate id.</summary>
    public AuthorityRegister(IEnumerable<Authority> authorities)
    {
        ArgumentNullException.ThrowIfNull(authorities);
        _byId = new Dictionary<string, Authority>(StringComparer.Ordinal);
        foreach (var authority in authorities)
        {
            if (!_byId.TryAdd(authority.Id, authority))
            {
                throw new ArgumentException($"Authority id '{authority.Id}' appears twice.", nameof(authorities));
            }
        }
        All = _byId.Values.OrderBy(a => a.Id, StringComparer.Ordinal).ToList();
    }

    /// <summary>Every authority, ordered by id.</summary>
    public IReadOnlyList<Authority> All { get; }

    /// <summary>Number of authorities.</summary>
    public int Count => _byId.Count;

    /// <summary>The authority with this id, or null.</summary>
    public Authority? Find(string id) => _byId.GetValueOrDefault(id);

    /// <summary>Looks an authority up by id.</summary>
    public bool TryGet(string id, [NotNullWhen(true)] out Authority? authority) => _byId.TryGetValue(id, out authority);

    /// <summary>The authority with this id; throws <see cref="KeyNotFoundException"/> when unknown.</summary>
    public Authority Get(string id) =>
        Find(id) ?? throw new KeyNotFoundException($"Unknown authority '{id}'.");
}
