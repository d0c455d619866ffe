using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace SubsidyEngine.Engine.Journal;

/// <summary>
/// One journal event. <see cref="ComputeHash"/> implements the canonical forms documented byte for byte in
/// docs/audit.md: the UTF-8 bytes of the fields below, each followed by one LF (0x0A), SHA-256, lowercase hex.
/// <c>sej1</c> (events written before the server-derived inputs) has 16 fields; <c>sej2</c> adds the
/// <see cref="Inputs"/> text after the arguments (17 fields). The form is stored with each event (<see cref="Format"/>),
/// so every chain keeps verifying across the change.
/// </summary>
public sealed record JournalEvent
{
    /// <summary>Hash of the (absent) event before a dossier's first event.</summary>
    public const string GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000";

    /// <summary>The first canonical form (16 fields).</summary>
    public const string FormatTag = "sej1";

    /// <summary>The canonical form with the server-derived inputs (17 fields); every event the runtime writes now.</summary>
    public const string FormatTag2 = "sej2";

    /// <summary>The canonical form of this event: <see cref="FormatTag"/> or <see cref="FormatTag2"/>.</summary>
    public string Format { get; init; } = FormatTag;

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

    /// <summary>Canonical JSON text of the arguments: what the actor stated.</summary>
    public string Arguments { get; init; } = "{}";

    /// <summary>
    /// Canonical JSON text of the server-derived inputs (sej2): the facts the server read for the decision (the
    /// call, the register, other dossiers, the actor's authority), kept apart from what the actor stated.
    /// </summary>
    public string Inputs { get; init; } = "{}";

    /// <summary>Canonical JSON text of the effects summary.</summary>
    public string Effects { get; init; } = "{}";

    public string PrevHash { get; init; } = GenesisHash;

    public string Hash { get; init; } = string.Empty;

    /// <summary>Times are stored and hashed with microsecond precision, as PostgreSQL keeps them.</summary>
    public static DateTimeOffset Truncate(DateTimeOffset t) => new(t.UtcTicks - (t.UtcTicks % 10), TimeSpan.Zero);

    public static string FormatTime(DateTimeOffset t) => t.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture);

    private const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'";

    /// <summary>The exact bytes that are hashed (see docs/audit.md, "canonical form sej1").</summary>
    public byte[] CanonicalBytes()
    {
        var buffer = ArrayPool<byte>.Shared.Rent(MaxCanonicalLength());
        try
        {
            return buffer.AsSpan(0, WriteCanonical(buffer)).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public string ComputeHash()
    {
        Span<byte> digest = stackalloc byte[32];
        HashInto(digest);
        return Convert.ToHexStringLower(digest);
    }

    /// <summary>
    /// Whether <see cref="Hash"/> is the sej1 hash of the other fields: the canonical bytes are written into a pooled
    /// buffer and the digest compared as hex, without intermediate strings.
    /// </summary>
    public bool HashMatches()
    {
        if (Hash.Length != 64)
        {
            return false;
        }

        Span<byte> digest = stackalloc byte[32];
        HashInto(digest);
        Span<char> hex = stackalloc char[64];
        Convert.TryToHexStringLower(digest, hex, out _);
        return hex.SequenceEqual(Hash.AsSpan());
    }

    // One reusable SHA-256 context per thread: replay hashes every event, and a one-shot hash sets up and frees an
    // OpenSSL context per call (about a quarter of the cost of hashing an event, measured).
    [ThreadStatic]
    private static IncrementalHash? _sha256;

    private void HashInto(Span<byte> digest)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(MaxCanonicalLength());
        try
        {
            var length = WriteCanonical(buffer);
            var sha256 = _sha256 ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            sha256.AppendData(buffer.AsSpan(0, length));
            sha256.GetHashAndReset(digest);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private int MaxCanonicalLength() =>
        128 + Encoding.UTF8.GetMaxByteCount(
            Actor.Length + ActorRole.Length + Kind.Length + Trigger.Length + FromState.Length + ToState.Length + DefinitionId.Length
            + DefinitionHash.Length + Arguments.Length + Inputs.Length + Effects.Length + PrevHash.Length);

    /// <summary>Writes the canonical form (sej1 or sej2): every field's UTF-8 bytes followed by one LF.</summary>
    private int WriteCanonical(Span<byte> buffer)
    {
        var n = 0;
        void Text(string value, Span<byte> b)
        {
            n += Encoding.UTF8.GetBytes(value, b[n..]);
            b[n++] = (byte)'\n';
        }

        void Formatted<T>(T value, string? format, Span<byte> b)
            where T : IUtf8SpanFormattable
        {
            if (!value.TryFormat(b[n..], out var written, format, CultureInfo.InvariantCulture))
            {
                throw new InvalidOperationException("canonical buffer too small");
            }

            n += written;
            b[n++] = (byte)'\n';
        }

        // Anything but sej1 is hashed in the sej2 layout with its own tag: an altered form cannot match the stored hash.
        var sej2 = !string.Equals(Format, FormatTag, StringComparison.Ordinal);
        Text(Format, buffer);
        Formatted(DossierId, "D", buffer);
        Formatted(DossierSeq, null, buffer);
        n += WriteTime(OccurredAt.UtcDateTime, buffer[n..]);
        buffer[n++] = (byte)'\n';
        Text(Actor, buffer);
        Text(ActorRole, buffer);
        Text(Kind, buffer);
        Text(Trigger, buffer);
        Text(FromState, buffer);
        Text(ToState, buffer);
        Text(DefinitionId, buffer);
        Formatted(DefinitionVersion, null, buffer);
        Text(DefinitionHash, buffer);
        Text(Arguments, buffer);
        if (sej2)
        {
            Text(Inputs, buffer);
        }

        Text(Effects, buffer);
        Text(PrevHash, buffer);
        return n;
    }

    /// <summary>
    /// Writes <paramref name="t"/> as <see cref="TimeFormat"/> (<c>yyyy-MM-ddTHH:mm:ss.ffffffZ</c>, 27 ASCII bytes)
    /// without the general date formatter, which showed in replay profiles; the bytes are the same.
    /// </summary>
    private static int WriteTime(DateTime t, Span<byte> b)
    {
        static void Digits(Span<byte> b, int at, int value, int width)
        {
            for (var i = at + width - 1; i >= at; i--)
            {
                b[i] = (byte)('0' + (value % 10));
                value /= 10;
            }
        }

        b[26] = (byte)'Z';
        Digits(b, 0, t.Year, 4);
        b[4] = (byte)'-';
        Digits(b, 5, t.Month, 2);
        b[7] = (byte)'-';
        Digits(b, 8, t.Day, 2);
        b[10] = (byte)'T';
        Digits(b, 11, t.Hour, 2);
        b[13] = (byte)':';
        Digits(b, 14, t.Minute, 2);
        b[16] = (byte)':';
        Digits(b, 17, t.Second, 2);
        b[19] = (byte)'.';
        Digits(b, 20, (int)(t.Ticks % TimeSpan.TicksPerSecond / 10), 6);
        return 27;
    }

    public JournalEvent WithHash() => this with { Hash = ComputeHash() };

    /// <summary>Single-line fields must not contain a line feed, or the canonical form would be ambiguous.</summary>
    public static string SingleLine(string value, string field) =>
        value.Contains('\n', StringComparison.Ordinal) || value.Contains('\r', StringComparison.Ordinal)
            ? throw new ArgumentException($"{field} must not contain line breaks", field)
            : value;
}
