using System.Text.Json;
using System.Text.Json.Nodes;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Workflows.Model;
using SubsidyEngine.Workflows.Schema;

namespace SubsidyEngine.Engine.Runtime;

/// <summary>
/// Checks trigger and creation arguments against the schemas of a definition (<see cref="ArgumentSchema"/>), reporting
/// every bad member with its JSON path, and bounds the size of the arguments document.
/// </summary>
public static class ArgumentValidator
{
    /// <summary>Free-text comment every trigger accepts (required where a transition says so).</summary>
    public const string CommentField = ArgumentSchema.CommentField;

    public const int MaxCommentLength = ArgumentSchema.MaxCommentLength;

    /// <summary>Largest accepted arguments document, in canonical UTF-8 bytes.</summary>
    public const int MaxArgumentBytes = 512 * 1024;

    /// <summary>Arguments the deadline sweep adds when it fires an automatic (timeout) trigger.</summary>
    public static IReadOnlySet<string> TimeoutFields => ArgumentSchema.TimeoutFields;

    public static IReadOnlyList<FieldError> Validate(IReadOnlyList<ParameterDefinition> parameters, JsonObject args, bool commentRequired, bool automatic = false)
    {
        var errors = ArgumentSchema.Validate(parameters, args, commentRequired, automatic);
        if (errors.Count == 0 && CanonicalJson.Utf8Length(args) > MaxArgumentBytes)
        {
            return [new FieldError("$", $"arguments are larger than {MaxArgumentBytes / 1024} KiB") { Rule = "too-large", Nl = $"De gegevens zijn groter dan {MaxArgumentBytes / 1024} KiB." }];
        }

        return errors.Count == 0 ? [] : errors.ConvertAll(FieldError.From);
    }

    /// <summary>
    /// The members of <paramref name="node"/> whose number the canonical form could not keep: a value that reads as 0
    /// in a decimal though its digits are not zero (<c>1e-400</c>), or one outside the decimal range. Arguments are
    /// refused with these (400) before anything is decided, since the journal would hold another number than was sent.
    /// </summary>
    public static IReadOnlyList<FieldError> LossyNumbers(JsonNode? node, string path = "$")
    {
        var errors = new List<FieldError>();
        Collect(node, path, errors);
        return errors;

        static void Collect(JsonNode? node, string path, List<FieldError> errors)
        {
            switch (node)
            {
                case JsonObject o:
                    foreach (var (k, v) in o)
                    {
                        Collect(v, path + "." + k, errors);
                    }

                    break;
                case JsonArray a:
                    for (var i = 0; i < a.Count; i++)
                    {
                        Collect(a[i], $"{path}[{i}]", errors);
                    }

                    break;
                case JsonValue v when v.GetValueKind() == JsonValueKind.Number:
                    var raw = Workflows.Expressions.ValueResolver.NumberText(v);
                    if (!decimal.TryParse(raw, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d))
                    {
                        errors.Add(new FieldError(path, "is too large for a decimal") { Rule = "type", Nl = $"{path[2..]}: is te groot om als getal te bewaren" });
                    }
                    else if (d == 0m && raw.Split('e', 'E')[0].Any(c => c is >= '1' and <= '9'))
                    {
                        errors.Add(new FieldError(path, "is too small for a decimal (at most 28 decimal places)") { Rule = "type", Nl = $"{path[2..]}: is te klein om als getal te bewaren" });
                    }

                    break;
            }
        }
    }
}
