using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SubsidyEngine.Engine.Journal;

/// <summary>
/// The canonical JSON text stored in the journal: object keys sorted by ordinal (UTF-16) order, no whitespace,
/// numbers written as given, strings with minimal escaping (UTF-8, only what JSON requires plus control
/// characters). The text is stored as is and hashed as stored, so auditors never need to re-canonicalise.
/// </summary>
public static class CanonicalJson
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Indented = false,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = false,
    };

    [ThreadStatic]
    private static (System.Buffers.ArrayBufferWriter<byte> Buffer, Utf8JsonWriter Writer)? _cached;

    public static string Serialize(JsonNode? node)
    {
        var (buffer, writer) = Rent(node);
        var text = System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
        Return(buffer, writer);
        return text;
    }

    /// <summary>The length in UTF-8 bytes of <see cref="Serialize"/>'s text, without building the string.</summary>
    public static int Utf8Length(JsonNode? node)
    {
        var (buffer, writer) = Rent(node);
        var length = buffer.WrittenCount;
        Return(buffer, writer);
        return length;
    }

    /// <summary>
    /// Whether <see cref="Serialize"/> of <paramref name="node"/> equals <paramref name="text"/> (ordinal), without
    /// building the string when the text is ASCII (replay compares every recomputed effects summary this way).
    /// </summary>
    public static bool Matches(JsonNode? node, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var (buffer, writer) = Rent(node);
        var written = buffer.WrittenSpan;
        var same = written.Length == text.Length && System.Text.Ascii.Equals(written, text)
            || (!System.Text.Ascii.IsValid(written) && System.Text.Encoding.UTF8.GetString(written) == text);
        Return(buffer, writer);
        return same;
    }

    /// <summary>Writes the canonical form into this thread's buffer (one per thread: replay writes per event).</summary>
    private static (System.Buffers.ArrayBufferWriter<byte> Buffer, Utf8JsonWriter Writer) Rent(JsonNode? node)
    {
        var (buffer, writer) = _cached ??= CreateWriter();
        _cached = null; // a nested or failed call gets its own writer
        buffer.ResetWrittenCount();
        writer.Reset(buffer);
        Write(writer, node);
        writer.Flush();
        return (buffer, writer);
    }

    private static void Return(System.Buffers.ArrayBufferWriter<byte> buffer, Utf8JsonWriter writer)
    {
        if (buffer.Capacity <= 64 * 1024)
        {
            _cached = (buffer, writer);
        }
    }

    private static (System.Buffers.ArrayBufferWriter<byte>, Utf8JsonWriter) CreateWriter()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(1024);
        return (buffer, new Utf8JsonWriter(buffer, WriterOptions));
    }

    private static void Write(Utf8JsonWriter writer, JsonNode? node)
    {
        switch (node)
        {
            case null:
                writer.WriteNullValue();
                break;
            case JsonObject o:
                writer.WriteStartObject();
                if (IsOrdered(o))
                {
                    foreach (var (key, value) in o)
                    {
                        writer.WritePropertyName(key);
                        Write(writer, value);
                    }
                }
                else
                {
                    foreach (var (key, value) in o.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                    {
                        writer.WritePropertyName(key);
                        Write(writer, value);
                    }
                }

                writer.WriteEndObject();
                break;
            case JsonArray a:
                writer.WriteStartArray();
                foreach (var item in a)
                {
                    Write(writer, item);
                }

                writer.WriteEndArray();
                break;
            case JsonValue v when v.GetValueKind() == JsonValueKind.Number:
                // Numbers are written in one normal form (as PostgreSQL's jsonb keeps them): 1e3 -> 1000, 1.50 stays 1.50.
                if (v.TryGetValue<JsonElement>(out var element) && IsNormalNumber(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(element)))
                {
                    // A parsed number (arguments, data): its UTF-8 text as is, without a string.
                    writer.WriteRawValue(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(element), skipInputValidation: true);
                    break;
                }

                var raw = Workflows.Expressions.ValueResolver.NumberText(v);
                if (IsNormalNumber(raw.AsSpan()))
                {
                    writer.WriteRawValue(raw, skipInputValidation: true);
                }
                else if (decimal.TryParse(raw, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d))
                {
                    writer.WriteNumberValue(d);
                }
                else
                {
                    writer.WriteRawValue(raw);
                }

                break;
            default:
                node.WriteTo(writer);
                break;
        }
    }

    /// <summary>
    /// Whether <paramref name="raw"/> is already what the decimal round trip below writes: an optional minus, an
    /// integer part without leading zeros of at most 18 digits, an optional fraction of 1 to 9 digits, no exponent,
    /// and not a negative zero. Such a number is exact in a decimal and formatted back digit for digit (the scale is
    /// kept), so writing it as is gives the same bytes without parsing and formatting it.
    /// </summary>
    private static bool IsNormalNumber<T>(ReadOnlySpan<T> raw)
        where T : unmanaged, System.Numerics.IBinaryInteger<T>
    {
        var i = 0;
        var negative = raw.Length > 0 && C(raw[0]) == '-';
        if (negative)
        {
            i = 1;
        }

        var intStart = i;
        while (i < raw.Length && char.IsAsciiDigit(C(raw[i])))
        {
            i++;
        }

        var intDigits = i - intStart;
        if (intDigits is 0 or > 18 || (intDigits > 1 && C(raw[intStart]) == '0'))
        {
            return false;
        }

        var nonZero = intDigits > 1 || C(raw[intStart]) != '0';
        if (i < raw.Length)
        {
            if (C(raw[i]) != '.')
            {
                return false;
            }

            var fracStart = ++i;
            while (i < raw.Length && char.IsAsciiDigit(C(raw[i])))
            {
                nonZero |= C(raw[i]) != '0';
                i++;
            }

            if (i != raw.Length || i - fracStart is 0 or > 9)
            {
                return false;
            }
        }

        return !negative || nonZero;

        static char C(T unit) => (char)ushort.CreateTruncating(unit);
    }

    /// <summary>Whether the keys are already in ordinal order (then sorting them would change nothing).</summary>
    private static bool IsOrdered(JsonObject o)
    {
        string? previous = null;
        foreach (var (key, _) in o)
        {
            if (previous is not null && string.CompareOrdinal(previous, key) > 0)
            {
                return false;
            }

            previous = key;
        }

        return true;
    }

    /// <summary>Parses stored canonical text back into a node.</summary>
    public static JsonNode? Parse(string text) => JsonNode.Parse(text);

    public static JsonObject ParseObject(string text) => JsonNode.Parse(text) as JsonObject ?? throw new JsonException("expected a JSON object");
}
