using System.Text.Json;
using System.Text.Json.Serialization;

namespace SubsidyEngine.Workflows.Model;

/// <summary>
/// Reads a JSON object into a dictionary that keeps the members in the order written (runtime 2 runs computations
/// and inputs in that order, so a computation may use one computed before it).
/// </summary>
public sealed class OrderedMapConverter<T> : JsonConverter<IReadOnlyDictionary<string, T>>
{
    public override IReadOnlyDictionary<string, T>? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("expected an object");
        }

        var map = new OrderedDictionary<string, T>(StringComparer.Ordinal);
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                return map;
            }

            var name = reader.GetString() ?? throw new JsonException("expected a member name");
            reader.Read();
            var value = JsonSerializer.Deserialize<T>(ref reader, options);
            if (!map.TryAdd(name, value!))
            {
                throw new JsonException($"member '{name}' appears twice");
            }
        }

        throw new JsonException("unterminated object");
    }

    public override void Write(Utf8JsonWriter writer, IReadOnlyDictionary<string, T> value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        writer.WriteStartObject();
        foreach (var (k, v) in value)
        {
            writer.WritePropertyName(k);
            JsonSerializer.Serialize(writer, v, options);
        }

        writer.WriteEndObject();
    }
}
