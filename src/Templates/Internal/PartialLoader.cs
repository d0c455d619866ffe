using Scriban;
using Scriban.Parsing;
using Scriban.Runtime;
using Scriban.Syntax;

namespace SubsidyEngine.Templates.Internal;

/// <summary>
/// The only template loader: resolves the versioned names of our embedded partials (<c>letterhead.v1</c>) and refuses
/// everything else (file paths, URLs, unknown names), so a template can never read from disk or the network.
/// </summary>
internal sealed class PartialLoader(LetterCatalog catalog) : ITemplateLoader
{
    private const string Scheme = "partial:";

    public string GetPath(TemplateContext context, SourceSpan callerSpan, string templateName)
    {
        if (!catalog.TryGetPartial(templateName, out _))
        {
            throw new ScriptRuntimeException(
                callerSpan,
                $"Partial '{templateName}' is not one of the embedded partials; only those can be included.");
        }

        return Scheme + templateName;
    }

    public string Load(TemplateContext context, SourceSpan callerSpan, string templatePath)
    {
        if (!templatePath.StartsWith(Scheme, StringComparison.Ordinal)
            || !catalog.TryGetPartial(templatePath[Scheme.Length..], out var partial))
        {
            throw new ScriptRuntimeException(callerSpan, $"Partial '{templatePath}' is refused.");
        }

        return partial.SourceText;
    }

    public ValueTask<string?> LoadAsync(TemplateContext context, SourceSpan callerSpan, string templatePath) =>
        new(Load(context, callerSpan, templatePath));
}
