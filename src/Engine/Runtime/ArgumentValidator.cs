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
}
