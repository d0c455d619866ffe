using System.Globalization;
using System.Text;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;
using SubsidyEngine.Templates;

namespace SubsidyEngine.Bench;

/// <summary>
/// The plain-text derivation of <see cref="HtmlText"/> as a walker over the DOM of a maintained HTML5 parser
/// (AngleSharp 1.10.4): the same rules, the tree built by the parser instead of by hand. Kept in the bench only, for
/// the <c>plaintext</c> scenario: issue 21 asked to replace <see cref="HtmlText"/> with it if the letters stayed as
/// fast, and they did not (docs/decisions/2026-12-07-one-loader-and-plain-text.md).
/// </summary>
/// <remarks>
/// It gives the same text for every approved letter, but not for odd markup: an HTML5 tree closes an open
/// <c>li</c> or <c>p</c> where the hand-built tree nests, implies <c>tbody</c>, reads single-quoted class attributes
/// and attribute values that contain a '&gt;'.
/// </remarks>
public static class PlainTextWalker
{
    private const int Width = 78;

    private static readonly HashSet<string> BlockElements = new(StringComparer.Ordinal)
    {
        "p", "div", "h1", "h2", "h3", "h4", "ul", "ol", "li", "table", "hr", "section", "header", "footer", "address", "body", "html", "dl", "dt", "dd", "blockquote",
    };

    private static readonly HashSet<string> SkippedElements = new(StringComparer.Ordinal) { "head", "style", "script", "title" };

    [ThreadStatic]
    private static HtmlParser? t_parser;

    /// <summary>Converts letter HTML to plain text.</summary>
    public static string ToPlainText(string html)
    {
        ArgumentNullException.ThrowIfNull(html);
        var parser = t_parser ??= new HtmlParser();
        using var document = parser.ParseDocument(html);
        var output = new StringBuilder(8192);
        var blocks = new Blocks(output, "\n\n", skipEmpty: true);
        var inline = new StringBuilder(1024);
        RenderChildren(document, ref blocks, inline);
        Flush(ref blocks, inline);
        return Canonical.Text(output.ToString());
    }

    private struct Blocks(StringBuilder target, string separator, bool skipEmpty)
    {
        private readonly StringBuilder _target = target;
        private readonly string _separator = separator;
        private readonly bool _skipEmpty = skipEmpty;
        private bool _any;

        public StringBuilder Begin()
        {
            if (_any)
            {
                _target.Append(_separator);
            }

            _any = true;
            return _target;
        }

        public void Add(StringBuilder block)
        {
            if (!_skipEmpty || block.Length > 0)
            {
                Begin().Append(block);
            }
        }
    }

    private static void RenderChildren(INode node, ref Blocks blocks, StringBuilder inline)
    {
        for (var child = node.FirstChild; child is not null; child = child.NextSibling)
        {
            switch (child)
            {
                case IText text:
                    AppendCollapsed(inline, text.Data);
                    break;
                case IElement element:
                    Render(element, ref blocks, inline);
                    break;
            }
        }
    }

    private static void AppendCollapsed(StringBuilder target, ReadOnlySpan<char> rest)
    {
        while (rest.Length > 0)
        {
            var space = rest.IndexOfAny(HtmlWhiteSpace);
            if (space < 0)
            {
                target.Append(rest);
                return;
            }

            target.Append(rest[..space]).Append(' ');
            rest = rest[space..];
            var next = rest.IndexOfAnyExcept(HtmlWhiteSpace);
            rest = next < 0 ? [] : rest[next..];
        }
    }

    private static void Render(IElement element, ref Blocks blocks, StringBuilder inline)
    {
        var name = element.LocalName;
        if (SkippedElements.Contains(name) || element.ClassList.Contains("no-text"))
        {
            return;
        }

        switch (name)
        {
            case "br":
                inline.Append('\n');
                return;
            case "hr":
                Flush(ref blocks, inline);
                blocks.Begin().Append('-', 40);
                return;
            case "table":
            {
                Flush(ref blocks, inline);
                var block = new StringBuilder();
                RenderTable(element, block);
                blocks.Add(block);
                return;
            }

            case "ul":
            case "ol":
            {
                Flush(ref blocks, inline);
                var block = new StringBuilder();
                RenderList(element, name == "ol", block);
                blocks.Add(block);
                return;
            }
        }

        var isBlock = BlockElements.Contains(name);
        if (isBlock)
        {
            Flush(ref blocks, inline);
        }

        RenderChildren(element, ref blocks, inline);
        if (isBlock)
        {
            Flush(ref blocks, inline);
        }
    }

    private static void RenderList(IElement list, bool ordered, StringBuilder sb)
    {
        var number = 0;
        foreach (var item in list.Children)
        {
            if (item.LocalName != "li")
            {
                continue;
            }

            number++;
            var prefix = ordered ? string.Create(CultureInfo.InvariantCulture, $"{number}. ") : "- ";
            var indent = ordered ? new string(' ', prefix.Length) : "  ";
            if (number > 1)
            {
                sb.Append('\n');
            }

            var text = InlineText(item);
            var lineIndex = 0;
            foreach (var range in text.AsSpan().Split('\n'))
            {
                if (lineIndex > 0)
                {
                    sb.Append('\n');
                }

                AppendWrapped(sb, text.AsSpan(range), lineIndex == 0 ? prefix : indent, indent);
                lineIndex++;
            }
        }
    }

    private static void RenderTable(IElement table, StringBuilder sb)
    {
        var rows = new List<(List<(string Text, bool Right)> Cells, bool Header)>();
        Collect(table);
        var columns = rows.Count == 0 ? 0 : rows.Max(r => r.Cells.Count);
        var widths = new int[columns];
        foreach (var (cells, _) in rows)
        {
            for (var i = 0; i < cells.Count; i++)
            {
                widths[i] = Math.Max(widths[i], cells[i].Text.Length);
            }
        }

        // Too wide for a plain-text mail: the first column (the description) wraps within what the others leave.
        var total = widths.Sum() + (2 * Math.Max(0, columns - 1));
        if (total > Width && columns > 1)
        {
            widths[0] = Math.Max(20, widths[0] - (total - Width));
        }

        var anyLine = false;
        foreach (var (cells, header) in rows)
        {
            var first = cells.Count > 0 ? WrapToLines(cells[0].Text, widths[0]) : [string.Empty];
            for (var lineIndex = 0; lineIndex < first.Count; lineIndex++)
            {
                if (anyLine)
                {
                    sb.Append('\n');
                }

                anyLine = true;
                var line = new StringBuilder();
                for (var i = 0; i < columns; i++)
                {
                    if (i > 0)
                    {
                        line.Append("  ");
                    }

                    var (text, right) = i == 0 ? (first[lineIndex], false)
                        : lineIndex == 0 && i < cells.Count ? cells[i] : (string.Empty, false);
                    var padding = Math.Max(0, widths[i] - text.Length);
                    if (right)
                    {
                        line.Append(' ', padding).Append(text);
                    }
                    else
                    {
                        line.Append(text).Append(' ', padding);
                    }
                }

                sb.Append(line.ToString().TrimEnd());
            }

            if (header)
            {
                sb.Append('\n').Append('-', widths.Sum() + (2 * Math.Max(0, columns - 1)));
            }
        }

        void Collect(IElement parent)
        {
            foreach (var child in parent.Children)
            {
                if (child.LocalName == "tr")
                {
                    var cells = new List<(string Text, bool Right)>();
                    var anyTh = false;
                    foreach (var cell in child.Children)
                    {
                        if (cell.LocalName is "td" or "th")
                        {
                            cells.Add((InlineText(cell).Replace('\n', ' '), cell.ClassList.Contains("num")));
                        }

                        anyTh |= cell.LocalName == "th";
                    }

                    rows.Add((cells, anyTh && parent.LocalName == "thead"));
                }
                else if (child.LocalName is "thead" or "tbody" or "tfoot")
                {
                    Collect(child);
                }
            }
        }
    }

    /// <summary>The text of an element on its own: its blocks one line apart, the last one not wrapped.</summary>
    private static string InlineText(IElement element)
    {
        var target = new StringBuilder();
        var inline = new StringBuilder();
        var blocks = new Blocks(target, "\n", skipEmpty: false);
        RenderChildren(element, ref blocks, inline);
        Flush(ref blocks, inline, wrap: false);
        return target.ToString();
    }

    /// <summary>
    /// Ends the current inline run: its lines trimmed of spaces, without leading and trailing empty lines, each
    /// wrapped (unless <paramref name="wrap"/> is false), become one block.
    /// </summary>
    private static void Flush(ref Blocks blocks, StringBuilder inline, bool wrap = true)
    {
        if (inline.Length == 0)
        {
            return;
        }

        var content = inline.ToString();
        inline.Clear();
        StringBuilder? block = null;
        var emptyLinesBefore = 0;
        foreach (var range in content.AsSpan().Split('\n'))
        {
            var line = content.AsSpan(range).Trim(' ');
            if (line.IsEmpty)
            {
                emptyLinesBefore++;
                continue;
            }

            if (block is null)
            {
                block = blocks.Begin();
            }
            else
            {
                block.Append('\n', emptyLinesBefore + 1);
            }

            emptyLinesBefore = 0;
            if (wrap)
            {
                AppendWrapped(block, line, string.Empty, string.Empty);
            }
            else
            {
                block.Append(line);
            }
        }
    }

    private static readonly System.Buffers.SearchValues<char> HtmlWhiteSpace = System.Buffers.SearchValues.Create(" \t\r\n\f");

    /// <summary>The words of a text for wrapping: "€" joined to the word after it by one space, so an amount is never split.</summary>
    private static List<string> Words(ReadOnlySpan<char> text)
    {
        var words = new List<string>();
        var heldEuro = false;
        foreach (var range in text.Split(' '))
        {
            var token = text[range];
            if (token.IsEmpty)
            {
                continue;
            }

            if (heldEuro)
            {
                heldEuro = false;
                words.Add("€ " + token.ToString());
                continue;
            }

            if (token is "€")
            {
                heldEuro = true;
                continue;
            }

            words.Add(token.ToString());
        }

        if (heldEuro)
        {
            words.Add("€");
        }

        return words;
    }

    private static List<string> WrapToLines(string text, int width)
    {
        var lines = new List<string>();
        var current = new StringBuilder();
        foreach (var word in Words(text))
        {
            if (current.Length > 0 && current.Length + 1 + word.Length > width)
            {
                lines.Add(current.ToString());
                current.Clear();
            }

            if (current.Length > 0)
            {
                current.Append(' ');
            }

            current.Append(word);
        }

        lines.Add(current.ToString());
        return lines;
    }

    private static void AppendWrapped(StringBuilder sb, ReadOnlySpan<char> line, string firstPrefix, string nextPrefix)
    {
        var lineStart = sb.Length;
        sb.Append(firstPrefix);
        var prefixLength = firstPrefix.Length;
        foreach (var word in Words(line))
        {
            var current = sb.Length - lineStart;
            if (current > prefixLength && current + 1 + word.Length > Width)
            {
                sb.Append('\n');
                lineStart = sb.Length;
                sb.Append(nextPrefix);
                prefixLength = nextPrefix.Length;
                current = nextPrefix.Length;
            }

            if (current > prefixLength)
            {
                sb.Append(' ');
            }

            sb.Append(word);
        }
    }
}
