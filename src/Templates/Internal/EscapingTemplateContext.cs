using System.Globalization;
using System.Text;
using Scriban;
using Scriban.Parsing;
using Scriban.Runtime;

namespace SubsidyEngine.Templates.Internal;

/// <summary>
/// A template context that HTML-escapes every value a template writes (<c>{{ x }}</c>). Literal template text is
/// written as is, and <see cref="SafeHtml"/> (partials, the body inside its layout) passes through unchanged.
/// Escaping is automatic, so a template cannot forget it; there is no way to write a model value unescaped.
/// </summary>
internal sealed class EscapingTemplateContext(ScriptObject builtins) : TemplateContext(builtins)
{
    /// <summary>Whether written values are escaped (off only while a letter's front matter computes its plain-text subject).</summary>
    public bool Escape { get; set; } = true;

    public override TemplateContext Write(SourceSpan span, object? textAsObject)
    {
        if (textAsObject is SafeHtml safe)
        {
            return base.Write(span, safe.Html);
        }

        if (textAsObject is null)
        {
            return this;
        }

        var text = ObjectToString(textAsObject) ?? string.Empty;
        return base.Write(span, Escape ? HtmlEscape(text) : text);
    }

    /// <summary>Escapes the five characters that matter in HTML text and attribute values; nothing else.</summary>
    internal static string HtmlEscape(string text)
    {
        if (text.AsSpan().IndexOfAny("<>&\"'") < 0)
        {
            return text;
        }

        var sb = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            sb.Append(c switch
            {
                '<' => "&lt;",
                '>' => "&gt;",
                '&' => "&amp;",
                '"' => "&quot;",
                '\'' => "&#39;",
                _ => c.ToString(CultureInfo.InvariantCulture),
            });
        }

        return sb.ToString();
    }
}
