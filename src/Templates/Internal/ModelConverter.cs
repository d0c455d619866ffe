using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Scriban.Runtime;

namespace SubsidyEngine.Templates.Internal;

/// <summary>
/// Turns the JSON model into read-only Scriban values. Numbers become <see cref="long"/> when written without a
/// fraction or exponent, otherwise <see cref="decimal"/>, both parsed from the JSON text: never a double.
/// </summary>
/// <remarks>
/// One pass without intermediate objects: a number parsed from JSON text is read from its UTF-8 bytes in the parsed
/// document (no string, no writer); other values (a model built in code) go through their JSON text as before. The
/// path of a value is only built for an error message.
/// </remarks>
internal static class ModelConverter
{
    /// <exception cref="FormatException">A number does not fit a decimal; the message names its path.</exception>
    public static ScriptObject ToScriptObject(JsonObject model) => ToScriptObject(model, model);

    private static ScriptObject ToScriptObject(JsonObject obj, JsonObject root)
    {
        var result = new ScriptObject(obj.Count);
        foreach (var (key, value) in obj)
        {
            result[key] = Convert(value, root);
        }

        result.IsReadOnly = true;
        return result;
    }

    private static object? Convert(JsonNode? node, JsonObject root)
    {
        switch (node)
        {
            case null:
                return null;
            case JsonObject obj:
                return ToScriptObject(obj, root);
            case JsonArray array:
                var list = new ScriptArray(array.Count);
                foreach (var item in array)
                {
                    list.Add(Convert(item, root));
                }

                list.IsReadOnly = true;
                return list;
            case JsonValue value:
                switch (value.GetValueKind())
                {
                    case JsonValueKind.String:
                        return value.GetValue<string>();
                    case JsonValueKind.True:
                        return true;
                    case JsonValueKind.False:
                        return false;
                    case JsonValueKind.Number:
                        var number = value.TryGetValue<JsonElement>(out var element)
                            ? ToNumber(JsonMarshal.GetRawUtf8Value(element))
                            : ToNumber(value.ToJsonString());
                        return number ?? throw new FormatException(
                            $"the model number {value.ToJsonString()} at `{PathOf(value, root)}` does not fit an exact decimal");
                    default:
                        return null;
                }

            default:
                throw new InvalidOperationException($"Unsupported JSON node {node.GetType().Name}.");
        }
    }

    /// <summary>A number from its JSON text: a <see cref="long"/> without fraction or exponent, else a decimal; null if neither fits.</summary>
    internal static object? ToNumber(string text)
    {
        if (text.AsSpan().IndexOfAny(".eE") < 0 && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return integer;
        }

        if (decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var exact))
        {
            return exact;
        }

        return null;
    }

    /// <summary>The same as <see cref="ToNumber(string)"/>, from the UTF-8 bytes of the JSON text.</summary>
    internal static object? ToNumber(ReadOnlySpan<byte> utf8)
    {
        if (utf8.IndexOfAny((byte)'.', (byte)'e', (byte)'E') < 0 && long.TryParse(utf8, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return integer;
        }

        if (decimal.TryParse(utf8, NumberStyles.Float, CultureInfo.InvariantCulture, out var exact))
        {
            return exact;
        }

        return null;
    }

    /// <summary>The path of a value below the model, as <c>rows[0].amount</c>.</summary>
    private static string PathOf(JsonNode node, JsonObject root)
    {
        var segments = new List<JsonNode>();
        for (var n = node; n is not null && !ReferenceEquals(n, root); n = n.Parent)
        {
            segments.Add(n);
        }

        var path = new StringBuilder();
        for (var i = segments.Count - 1; i >= 0; i--)
        {
            var segment = segments[i];
            if (segment.Parent is JsonArray)
            {
                path.Append('[').Append(segment.GetElementIndex().ToString(CultureInfo.InvariantCulture)).Append(']');
            }
            else if (path.Length > 0)
            {
                path.Append('.').Append(segment.GetPropertyName());
            }
            else
            {
                path.Append(segment.GetPropertyName());
            }
        }

        return path.ToString();
    }
}
