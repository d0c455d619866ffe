using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Scriban.Runtime;

namespace SubsidyEngine.Templates.Internal;

/// <summary>
/// Turns the JSON model into read-only Scriban values. Numbers become <see cref="long"/> when written without a
/// fraction or exponent, otherwise <see cref="decimal"/>, both parsed from the JSON text: never a double.
/// </summary>
internal static class ModelConverter
{
    public static ScriptObject ToScriptObject(JsonObject model)
    {
        var result = new ScriptObject();
        foreach (var (key, value) in model)
        {
            result[key] = Convert(value);
        }

        result.IsReadOnly = true;
        return result;
    }

    private static object? Convert(JsonNode? node)
    {
        switch (node)
        {
            case null:
                return null;
            case JsonObject obj:
                return ToScriptObject(obj);
            case JsonArray array:
                var list = new ScriptArray(array.Select(Convert));
                list.IsReadOnly = true;
                return list;
            case JsonValue value:
                return value.GetValueKind() switch
                {
                    JsonValueKind.String => value.GetValue<string>(),
                    JsonValueKind.True => true,
                    JsonValueKind.False => false,
                    JsonValueKind.Number => ToNumber(value.ToJsonString()),
                    _ => null,
                };
            default:
                throw new InvalidOperationException($"Unsupported JSON node {node.GetType().Name}.");
        }
    }

    private static object ToNumber(string text)
    {
        if (text.AsSpan().IndexOfAny(".eE") < 0 && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return integer;
        }

        return decimal.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
    }
}
