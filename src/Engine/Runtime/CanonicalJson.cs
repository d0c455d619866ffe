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

    public static string Serialize(JsonNode? node)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            Write(writer, node);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
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
                foreach (var (key, value) in o.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(key);
                    Write(writer, value);
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
                var raw = v.ToJsonString();
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

    /// <summary>Parses stored canonical text back into a node.</summary>
    public static JsonNode? Parse(string text) => JsonNode.Parse(text);

    public static JsonObject ParseObject(string text) => JsonNode.Parse(text) as JsonObject ?? throw new JsonException("expected a JSON object");
}
