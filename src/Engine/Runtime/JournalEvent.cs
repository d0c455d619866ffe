using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace SubsidyEngine.Engine.Runtime;

/// <summary>
/// One journal event. <see cref="ComputeHash"/> implements canonical form <c>sej1</c>, documented byte for byte
/// in docs/audit.md: the UTF-8 bytes of the fields below, each followed by one LF (0x0A), SHA-256, lowercase hex.
/// </summary>
public sealed record JournalEvent
{
    /// <summary>Hash of the (absent) event before a dossier's first event.</summary>
    public const string GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000";

    public const string FormatTag = "sej1";

    public long Seq { get; init; }

    public Guid DossierId { get; init; }

    public int DossierSeq { get; init; }

    public DateTimeOffset OccurredAt { get; init; }

    public string Actor { get; init; } = string.Empty;

    public string ActorRole { get; init; } = string.Empty;

    /// <summary><c>created</c>, <c>transition</c>, <c>migrated</c>, or a record such as <c>notice.sent</c>.</summary>
    public string Kind { get; init; } = string.Empty;

    public string Trigger { get; init; } = string.Empty;

    public string FromState { get; init; } = string.Empty;

    public string ToState { get; init; } = string.Empty;

    public string DefinitionId { get; init; } = string.Empty;

    public int DefinitionVersion { get; init; }

    public string DefinitionHash { get; init; } = string.Empty;

    /// <summary>Canonical JSON text of the arguments.</summary>
    public string Arguments { get; init; } = "{}";

    /// <summary>Canonical JSON text of the effects summary.</summary>
    public string Effects { get; init; } = "{}";

    public string PrevHash { get; init; } = GenesisHash;

    public string Hash { get; init; } = string.Empty;

    /// <summary>Times are stored and hashed with microsecond precision, as PostgreSQL keeps them.</summary>
    public static DateTimeOffset Truncate(DateTimeOffset t) => new(t.UtcTicks - (t.UtcTicks % 10), TimeSpan.Zero);

    public static string FormatTime(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    /// <summary>The exact bytes that are hashed (see docs/audit.md, "canonical form sej1").</summary>
    public byte[] CanonicalBytes()
    {
        var sb = new StringBuilder(256 + Arguments.Length + Effects.Length);
        void Line(string value) => sb.Append(value).Append('\n');
        Line(FormatTag);
        Line(DossierId.ToString("D"));
        Line(DossierSeq.ToString(CultureInfo.InvariantCulture));
        Line(FormatTime(OccurredAt));
        Line(Actor);
        Line(ActorRole);
        Line(Kind);
        Line(Trigger);
        Line(FromState);
        Line(ToState);
        Line(DefinitionId);
        Line(DefinitionVersion.ToString(CultureInfo.InvariantCulture));
        Line(DefinitionHash);
        Line(Arguments);
        Line(Effects);
        Line(PrevHash);
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    public string ComputeHash() => Convert.ToHexStringLower(SHA256.HashData(CanonicalBytes()));

    public JournalEvent WithHash() => this with { Hash = ComputeHash() };

    /// <summary>Single-line fields must not contain a line feed, or the canonical form would be ambiguous.</summary>
    public static string SingleLine(string value, string field) =>
        value.Contains('\n', StringComparison.Ordinal) || value.Contains('\r', StringComparison.Ordinal)
            ? throw new ArgumentException($"{field} must not contain line breaks", field)
            : value;
}
