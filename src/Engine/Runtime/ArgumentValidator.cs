using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using SubsidyEngine.Workflows.Model;

namespace SubsidyEngine.Engine.Runtime;

/// <summary>Checks trigger arguments against the typed parameters of a definition, reporting every bad field.</summary>
public static class ArgumentValidator
{
    /// <summary>Free-text comment every trigger accepts (required where a transition says so).</summary>
    public const string CommentField = "comment";

    public const int MaxCommentLength = 4000;

    /// <summary>Largest accepted arguments document, in canonical UTF-8 bytes.</summary>
    public const int MaxArgumentBytes = 512 * 1024;

    /// <summary>Arguments the deadline sweep adds when it fires an automatic (timeout) trigger.</summary>
    public static readonly IReadOnlySet<string> TimeoutFields = new HashSet<string>(["deadline", "deadlineId"], StringComparer.Ordinal);

    public static IReadOnlyList<FieldError> Validate(IReadOnlyList<ParameterDefinition> parameters, JsonObject args, bool commentRequired, bool automatic = false)
    {
        var errors = new List<FieldError>();
        foreach (var (name, value) in args)
        {
            if (name == CommentField)
            {
                if (value is not JsonValue cv || !cv.TryGetValue<string>(out var comment))
                {
                    errors.Add(new FieldError(name, "must be a string"));
                }
                else if (comment.Length > MaxCommentLength)
                {
                    errors.Add(new FieldError(name, $"must be at most {MaxCommentLength} characters"));
                }
                else if (HasControlCharacters(comment, allowNewlines: true))
                {
                    errors.Add(new FieldError(name, "contains control characters"));
                }

                continue;
            }

            if (automatic && TimeoutFields.Contains(name) && value is JsonValue tv && tv.TryGetValue<string>(out _))
            {
                continue;
            }

            if (Find(parameters, name) is not { } p)
            {
                errors.Add(new FieldError(name, "is not a parameter of this trigger"));
                continue;
            }

            var error = Check(p, value);
            if (error is not null)
            {
                errors.Add(new FieldError(name, error));
            }
        }

        for (var i = 0; i < parameters.Count; i++)
        {
            var p = parameters[i];
            if (p.Required && (!args.TryGetPropertyValue(p.Name, out var v) || v is null))
            {
                errors.Add(new FieldError(p.Name, "is required"));
            }
        }

        if (commentRequired && (!args.TryGetPropertyValue(CommentField, out var c) || c is not JsonValue cj || !cj.TryGetValue<string>(out var text) || string.IsNullOrWhiteSpace(text)))
        {
            errors.Add(new FieldError(CommentField, "is required for this transition"));
        }

        if (errors.Count == 0 && CanonicalJson.Utf8Length(args) > MaxArgumentBytes)
        {
            errors.Add(new FieldError("$", $"arguments are larger than {MaxArgumentBytes / 1024} KiB"));
        }

        return errors;
    }

    /// <summary>A trigger has a handful of parameters: a scan beats building a dictionary per validation.</summary>
    private static ParameterDefinition? Find(IReadOnlyList<ParameterDefinition> parameters, string name)
    {
        for (var i = 0; i < parameters.Count; i++)
        {
            if (string.Equals(parameters[i].Name, name, StringComparison.Ordinal))
            {
                return parameters[i];
            }
        }

        return null;
    }

    private static string? Check(ParameterDefinition p, JsonNode? value)
    {
        if (value is null)
        {
            return p.Required ? "is required" : null;
        }

        switch (p.Type)
        {
            case "string" or "text":
                if (value is not JsonValue sv || sv.GetValueKind() != JsonValueKind.String)
                {
                    return "must be a string";
                }

                var s = sv.GetValue<string>();
                var max = p.MaxLength ?? (p.Type == "string" ? 400 : 20000);
                if (s.Length > max)
                {
                    return $"must be at most {max} characters";
                }

                if (HasControlCharacters(s, allowNewlines: p.Type == "text"))
                {
                    return "contains control characters";
                }

                if (p.Required && string.IsNullOrWhiteSpace(s))
                {
                    return "must not be empty";
                }

                if (p.Values is { Count: > 0 } allowed && !allowed.Contains(s, StringComparer.Ordinal))
                {
                    return $"must be one of {string.Join(", ", allowed)}";
                }

                return null;
            case "int" or "decimal":
                if (value is not JsonValue nv || nv.GetValueKind() != JsonValueKind.Number
                    || !TryParseNumber(nv, out var d))
                {
                    return p.Type == "int" ? "must be a whole number" : "must be a number";
                }

                if (d == 0m && Workflows.Expressions.ValueResolver.NumberText(nv).Split('e', 'E')[0].Any(c => c is >= '1' and <= '9'))
                {
                    return "is too small for a decimal (at most 28 decimal places)"; // 1e-400 would read as 0 but be stored as sent
                }

                if (p.Type == "int" && d != decimal.Truncate(d))
                {
                    return "must be a whole number";
                }

                if (p.Min is { } min && d < min)
                {
                    return $"must be at least {min.ToString(CultureInfo.InvariantCulture)}";
                }

                if (p.Max is { } mx && d > mx)
                {
                    return $"must be at most {mx.ToString(CultureInfo.InvariantCulture)}";
                }

                return null;
            case "bool":
                return value.GetValueKind() is JsonValueKind.True or JsonValueKind.False ? null : "must be true or false";
            case "date":
                // A deadline date: the end of that day in Brussels (Workflows.Calendar.BrusselsDate).
                return value is JsonValue dv && dv.TryGetValue<string>(out var ds) && Workflows.Calendar.BrusselsDate.IsValid(ds)
                    ? null : "must be a date like 2025-12-31";
            case "datetime":
                return value is JsonValue tv && tv.TryGetValue<string>(out var ts)
                    && DateTimeOffset.TryParseExact(ts, ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK"], CultureInfo.InvariantCulture, DateTimeStyles.None, out _)
                    ? null : "must be a date and time with offset like 2025-12-31T12:00:00+01:00";
            case "object":
                return value is JsonObject ? null : "must be an object";
            case "array":
                return value is JsonArray ? null : "must be an array";
            default:
                return $"has unknown type {p.Type}";
        }
    }

    /// <summary>
    /// decimal.TryParse of the number's JSON text (NumberStyles.Float, invariant); a parsed value's UTF-8 text is parsed
    /// as is, without a string per argument (the same parser, so the same results).
    /// </summary>
    private static bool TryParseNumber(JsonValue value, out decimal d) =>
        value.TryGetValue<JsonElement>(out var element)
            ? decimal.TryParse(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(element), NumberStyles.Float, CultureInfo.InvariantCulture, out d)
            : decimal.TryParse(Workflows.Expressions.ValueResolver.NumberText(value), NumberStyles.Float, CultureInfo.InvariantCulture, out d);

    private static bool HasControlCharacters(string s, bool allowNewlines) => TextRules.HasUnsafeCharacters(s, allowNewlines);
}
