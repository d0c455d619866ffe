using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace SubsidyEngine.Templates;

/// <summary>
/// Deterministic conversion of a rendered letter's HTML to its plain-text version (the mail's text part), so the
/// text can never drift from the HTML. Written for the markup our templates produce, not for arbitrary HTML.
/// </summary>
/// <remarks>
/// Rules: <c>head</c>, <c>style</c>, <c>script</c> and elements with class <c>no-text</c> are dropped; whitespace
/// collapses as in HTML; <c>p</c>, <c>div</c>, headings, lists, tables and <c>hr</c> are blocks separated by one empty
/// line; <c>br</c> is a line break; list items start with "- " (or "1. " in an <c>ol</c>); a table becomes aligned
/// columns (two spaces apart, cells with class <c>num</c> right-aligned, a dashed line under the header row);
/// paragraphs wrap at 78 characters (never between "€" and its amount); entities are decoded; lines end with LF, no trailing spaces.
/// </remarks>
public static partial class HtmlText
{
    private const int Width = 78;

    private static readonly HashSet<string> VoidElements = new(StringComparer.Ordinal) { "br", "hr", "meta", "img", "col", "link", "input", "wbr" };

    private static readonly HashSet<string> BlockElements = new(StringComparer.Ordinal)
    {
        "p", "div", "h1", "h2", "h3", "h4", "ul", "ol", "li", "table", "hr", "section", "header", "footer", "address", "body", "html", "dl", "dt", "dd", "blockquote",
    };

    private static readonly HashSet<string> SkippedElements = new(StringComparer.Ordinal) { "head", "style", "script", "title" };

    /// <summary>Converts letter HTML to plain text.</summary>
    public static string ToPlainText(string html)
    {
        ArgumentNullException.ThrowIfNull(html);
        var root = Parse(html);
        var blocks = new List<string>();
        var inline = new StringBuilder();
        RenderChildren(root, blocks, inline);
        Flush(blocks, inline);
        var text = string.Join("\n\n", blocks.Where(b => b.Length > 0));
        return Canonical.Text(text);
    }

    private sealed class Node(string name, string attributes)
    {
        public string Name { get; } = name;

        public string Attributes { get; } = attributes;

        public List<object> Children { get; } = [];

        public bool HasClass(string cls) =>
            Attributes.Contains("class", StringComparison.Ordinal)
            && ClassAttribute().Match(Attributes) is { Success: true } m
            && m.Groups["v"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains(cls, StringComparer.Ordinal);
    }

    private static Node Parse(string html)
    {
        var root = new Node("#root", string.Empty);
        var stack = new Stack<Node>();
        stack.Push(root);
        var pos = 0;
        var from = 0;
        while (NextTag(html, from) is { } tag)
        {
            if (tag.Index > pos)
            {
                stack.Peek().Children.Add(html[pos..tag.Index]);
            }

            pos = from = tag.End;
            if (tag.Kind == TagKind.Skipped)
            {
                continue;
            }

            var name = tag.Name!;
            if (tag.Kind == TagKind.Close)
            {
                if (stack.Any(n => n.Name == name))
                {
                    while (stack.Peek().Name != name)
                    {
                        stack.Pop();
                    }

                    stack.Pop();
                }

                continue;
            }

            var node = new Node(name, tag.Attributes);
            stack.Peek().Children.Add(node);
            if (!VoidElements.Contains(name) && tag.Kind != TagKind.SelfClosing)
            {
                stack.Push(node);
            }
        }

        if (pos < html.Length)
        {
            stack.Peek().Children.Add(html[pos..]);
        }

        return root;
    }

    private enum TagKind
    {
        Skipped,
        Open,
        SelfClosing,
        Close,
    }

    private readonly record struct Tag(int Index, int End, TagKind Kind, string? Name, string Attributes);

    /// <summary>
    /// The next tag at or after <paramref name="from"/>, matched exactly as the regular expression
    /// <c>&lt;(?:(?&lt;comment&gt;!--[\s\S]*?--)|(?&lt;decl&gt;![^&gt;]*)|(?&lt;close&gt;/)?(?&lt;name&gt;[a-zA-Z][a-zA-Z0-9]*)(?&lt;attrs&gt;(?:\s+[^&gt;]*?)?)(?&lt;self&gt;/)?)&gt;</c>
    /// would (a '&lt;' that starts no tag is text), without its allocations.
    /// </summary>
    private static Tag? NextTag(string html, int from)
    {
        while (true)
        {
            var lt = html.IndexOf('<', from);
            if (lt < 0)
            {
                return null;
            }

            from = lt + 1;
            var i = lt + 1;
            if (i < html.Length && html[i] == '!')
            {
                // A comment up to the first "-->", else a declaration up to the first '>'.
                if (html.AsSpan(i).StartsWith("!--", StringComparison.Ordinal))
                {
                    var close = html.IndexOf("-->", i + 3, StringComparison.Ordinal);
                    if (close >= 0)
                    {
                        return new Tag(lt, close + 3, TagKind.Skipped, null, string.Empty);
                    }
                }

                var gt = html.IndexOf('>', i);
                if (gt >= 0)
                {
                    return new Tag(lt, gt + 1, TagKind.Skipped, null, string.Empty);
                }

                continue;
            }

            var isClose = i < html.Length && html[i] == '/';
            if (isClose)
            {
                i++;
            }

            var nameStart = i;
            if (i >= html.Length || !char.IsAsciiLetter(html[i]))
            {
                continue;
            }

            while (i < html.Length && char.IsAsciiLetterOrDigit(html[i]))
            {
                i++;
            }

            var nameEnd = i;
            if (i >= html.Length)
            {
                continue;
            }

            var c = html[i];
            Tag Make(int end, bool self, int attrsStart, int attrsEnd) => new(
                lt,
                end,
                isClose ? TagKind.Close : self ? TagKind.SelfClosing : TagKind.Open,
                LowerName(html.AsSpan(nameStart, nameEnd - nameStart)),
                attrsEnd > attrsStart ? html[attrsStart..attrsEnd] : string.Empty);

            if (c == '>')
            {
                return Make(i + 1, false, i, i);
            }

            if (c == '/')
            {
                if (i + 1 < html.Length && html[i + 1] == '>')
                {
                    return Make(i + 2, true, i, i);
                }

                continue;
            }

            if (!char.IsWhiteSpace(c))
            {
                continue;
            }

            // Attributes: the white space, then the shortest run up to "/>" or ">".
            var attrsStart = i;
            while (i < html.Length && char.IsWhiteSpace(html[i]))
            {
                i++;
            }

            var gtAfter = html.IndexOf('>', i);
            if (gtAfter < 0)
            {
                continue;
            }

            return gtAfter - 1 >= i && html[gtAfter - 1] == '/'
                ? Make(gtAfter + 1, true, attrsStart, gtAfter - 1)
                : Make(gtAfter + 1, false, attrsStart, gtAfter);
        }
    }

    private static string LowerName(ReadOnlySpan<char> name)
    {
        foreach (var known in KnownNames)
        {
            if (name.Equals(known, StringComparison.OrdinalIgnoreCase))
            {
                return known;
            }
        }

        return name.ToString().ToLowerInvariant();
    }

    private static readonly string[] KnownNames =
    [
        "p", "td", "tr", "th", "div", "span", "br", "strong", "li", "a", "em", "table", "tbody", "thead", "tfoot", "ul", "ol",
        "h1", "h2", "h3", "h4", "hr", "section", "header", "footer", "address", "body", "html", "head", "meta", "title",
        "style", "script", "b", "i", "small", "col", "colgroup", "img", "link", "dl", "dt", "dd", "blockquote",
    ];

    private static void RenderChildren(Node node, List<string> blocks, StringBuilder inline)
    {
        foreach (var child in node.Children)
        {
            if (child is string text)
            {
                AppendCollapsed(inline, text);
            }
            else
            {
                Render((Node)child, blocks, inline);
            }
        }
    }

    /// <summary>Appends text with each run of HTML white space as one space, entities decoded.</summary>
    private static void AppendCollapsed(StringBuilder inline, string text)
    {
        if (text.Contains('&', StringComparison.Ordinal))
        {
            inline.Append(WebUtility.HtmlDecode(WhitespaceRun().Replace(text, " ")));
            return;
        }

        var rest = text.AsSpan();
        while (rest.Length > 0)
        {
            var space = rest.IndexOfAny(HtmlWhiteSpace);
            if (space < 0)
            {
                inline.Append(rest);
                return;
            }

            inline.Append(rest[..space]).Append(' ');
            rest = rest[space..];
            var next = rest.IndexOfAnyExcept(HtmlWhiteSpace);
            rest = next < 0 ? [] : rest[next..];
        }
    }

    private static readonly System.Buffers.SearchValues<char> HtmlWhiteSpace = System.Buffers.SearchValues.Create(" \t\r\n\f");

    private static void Render(Node node, List<string> blocks, StringBuilder inline)
    {
        if (SkippedElements.Contains(node.Name) || node.HasClass("no-text"))
        {
            return;
        }

        switch (node.Name)
        {
            case "br":
                inline.Append('\n');
                return;
            case "hr":
                Flush(blocks, inline);
                blocks.Add(new string('-', 40));
                return;
            case "table":
                Flush(blocks, inline);
                blocks.Add(RenderTable(node));
                return;
            case "ul":
            case "ol":
                Flush(blocks, inline);
                blocks.Add(RenderList(node, node.Name == "ol"));
                return;
        }

        var isBlock = BlockElements.Contains(node.Name);
        if (isBlock)
        {
            Flush(blocks, inline);
        }

        RenderChildren(node, blocks, inline);
        if (isBlock)
        {
            Flush(blocks, inline);
        }
    }

    private static string RenderList(Node list, bool ordered)
    {
        var lines = new List<string>();
        var number = 0;
        foreach (var item in list.Children.OfType<Node>().Where(n => n.Name == "li"))
        {
            number++;
            var prefix = ordered ? string.Create(CultureInfo.InvariantCulture, $"{number}. ") : "- ";
            var indent = new string(' ', prefix.Length);
            var itemLines = InlineText(item).Split('\n');
            lines.Add(string.Join("\n", itemLines.Select((l, i) => Wrap(l, i == 0 ? prefix : indent, indent))));
        }

        return string.Join("\n", lines);
    }

    private static string RenderTable(Node table)
    {
        var rows = new List<(List<(string Text, bool Right)> Cells, bool Header)>();
        void Collect(Node n)
        {
            foreach (var child in n.Children.OfType<Node>())
            {
                if (child.Name == "tr")
                {
                    var cells = child.Children.OfType<Node>().Where(c => c.Name is "td" or "th")
                        .Select(c => (InlineText(c).Replace('\n', ' '), c.HasClass("num"))).ToList();
                    var header = child.Children.OfType<Node>().Any(c => c.Name == "th") && n.Name == "thead";
                    rows.Add((cells, header));
                }
                else if (child.Name is "thead" or "tbody" or "tfoot")
                {
                    Collect(child);
                }
            }
        }

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

        var lines = new List<string>();
        foreach (var (cells, header) in rows)
        {
            var first = cells.Count > 0 ? WrapToLines(cells[0].Text, widths[0]) : [string.Empty];
            for (var lineIndex = 0; lineIndex < first.Count; lineIndex++)
            {
                var parts = new List<string>();
                for (var i = 0; i < columns; i++)
                {
                    var (text, right) = i == 0 ? (first[lineIndex], false)
                        : lineIndex == 0 && i < cells.Count ? cells[i] : (string.Empty, false);
                    parts.Add(right ? text.PadLeft(widths[i]) : text.PadRight(widths[i]));
                }

                lines.Add(string.Join("  ", parts).TrimEnd());
            }

            if (header)
            {
                lines.Add(new string('-', widths.Sum() + (2 * Math.Max(0, columns - 1))));
            }
        }

        return string.Join("\n", lines);
    }

    private static string InlineText(Node node)
    {
        var blocks = new List<string>();
        var inline = new StringBuilder();
        RenderChildren(node, blocks, inline);
        Flush(blocks, inline, wrap: false);
        return string.Join("\n", blocks);
    }

    /// <summary>
    /// Ends the current inline run: its lines trimmed of spaces, without leading and trailing empty lines, each
    /// wrapped (unless <paramref name="wrap"/> is false), become one block.
    /// </summary>
    private static void Flush(List<string> blocks, StringBuilder inline, bool wrap = true)
    {
        if (inline.Length == 0)
        {
            return;
        }

        var content = inline.ToString();
        inline.Clear();
        var block = new StringBuilder(content.Length + 8);
        var emptyLinesBefore = 0;
        var any = false;
        foreach (var range in content.AsSpan().Split('\n'))
        {
            var line = content.AsSpan(range).Trim(' ');
            if (line.IsEmpty)
            {
                emptyLinesBefore++;
                continue;
            }

            if (any)
            {
                block.Append('\n', emptyLinesBefore + 1);
            }

            any = true;
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

        if (any)
        {
            blocks.Add(block.ToString());
        }
    }

    /// <summary>Words for wrapping; "€" stays with the amount after it, so "€ 1.234,56" is never split.</summary>
    private static List<string> Words(string text)
    {
        var words = new List<string>();
        foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (words.Count > 0 && words[^1] == "€")
            {
                words[^1] = "€ " + word;
            }
            else
            {
                words.Add(word);
            }
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

    private static string Wrap(string line, string firstPrefix, string nextPrefix)
    {
        var sb = new StringBuilder(line.Length + firstPrefix.Length + 8);
        AppendWrapped(sb, line, firstPrefix, nextPrefix);
        return sb.ToString();
    }

    /// <summary>
    /// Appends <paramref name="line"/> wrapped at <see cref="Width"/>: the words of <see cref="Words"/> (split at
    /// spaces, "€" joined to the word after it by one space), one space apart, the first output line starting with
    /// <paramref name="firstPrefix"/> and the others with <paramref name="nextPrefix"/>; a word longer than the
    /// width stands alone on its line.
    /// </summary>
    private static void AppendWrapped(StringBuilder sb, ReadOnlySpan<char> line, string firstPrefix, string nextPrefix)
    {
        var lineStart = sb.Length;
        sb.Append(firstPrefix);
        var prefixLength = firstPrefix.Length;
        var heldEuro = false;
        foreach (var range in line.Split(' '))
        {
            var token = line[range];
            if (token.IsEmpty)
            {
                continue;
            }

            if (heldEuro)
            {
                heldEuro = false;
                AppendWord(sb, ref lineStart, ref prefixLength, nextPrefix, "€", token);
            }
            else if (token is "€")
            {
                heldEuro = true;
            }
            else
            {
                AppendWord(sb, ref lineStart, ref prefixLength, nextPrefix, default, token);
            }
        }

        if (heldEuro)
        {
            AppendWord(sb, ref lineStart, ref prefixLength, nextPrefix, default, "€");
        }
    }

    /// <summary>Appends one word (<paramref name="euro"/> + " " + <paramref name="word"/> when joined), breaking the line before it if it does not fit.</summary>
    private static void AppendWord(StringBuilder sb, ref int lineStart, ref int prefixLength, string nextPrefix, ReadOnlySpan<char> euro, ReadOnlySpan<char> word)
    {
        var wordLength = euro.IsEmpty ? word.Length : euro.Length + 1 + word.Length;
        var current = sb.Length - lineStart;
        if (current > prefixLength && current + 1 + wordLength > Width)
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

        if (!euro.IsEmpty)
        {
            sb.Append(euro).Append(' ');
        }

        sb.Append(word);
    }

    [GeneratedRegex(@"[ \t\r\n\f]+", RegexOptions.CultureInvariant)]
    private static partial Regex WhitespaceRun();

    [GeneratedRegex(@"\bclass\s*=\s*""(?<v>[^""]*)""", RegexOptions.CultureInvariant)]
    private static partial Regex ClassAttribute();
}
