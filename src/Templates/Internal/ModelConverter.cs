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
    /// <exception cref="FormatException">A number does not fit a decimal; the message names its path.</exception>
    public static ScriptObject ToScriptObject(JsonObject model, string path = "")
    {
        var result = new ScriptObject();
        foreach (var (key, value) in model)
        {
            result[key] = Convert(value, path.Length == 0 ? key : path + "." + key);
        }

        result.IsReadOnly = true;
        return result;
    }

    private static object? Convert(JsonNode? node, string path)
    {
        switch (node)
        {
            case null:
                return null;
            case JsonObject obj:
                return ToScriptObject(obj, path);
            case JsonArray array:
                var list = new ScriptArray(array.Select((item, i) => Convert(item, $"{path}[{i}]")));
                list.IsReadOnly = true;
                return list;
            case JsonValue value:
                return value.GetValueKind() switch
                {
                    JsonValueKind.String => value.GetValue<string>(),
                    JsonValueKind.True => true,
                    JsonValueKind.False => false,
                    JsonValueKind.Number => ToNumber(value.ToJsonString(), path),
                    _ => null,
                };
            default:
                throw new InvalidOperationException($"Unsupported JSON node {node.GetType().Name}.");
        }
    }

    private static object ToNumber(string text, string path)
    {
        if (text.AsSpan().IndexOfAny(".eE") < 0 && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return integer;
        }

        if (decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var exact))
        {
            return exact;
        }

        throw new FormatException($"the model number {text} at `{path}` does not fit an exact decimal");
    }
}
