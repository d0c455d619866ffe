using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SubsidyEngine.Engine.Runtime;

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
        // One buffer and writer per thread (replay serialises every event's effects): reset, never shared.
        var (buffer, writer) = _cached ??= CreateWriter();
        _cached = null; // a nested or failed call gets its own writer
        buffer.ResetWrittenCount();
        writer.Reset(buffer);
        Write(writer, node);
        writer.Flush();
        var text = System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
        if (buffer.Capacity <= 64 * 1024)
        {
            _cached = (buffer, writer);
        }

        return text;
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
                var raw = Workflows.Expressions.ValueResolver.NumberText(v);
                if (decimal.TryParse(raw, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d))
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
