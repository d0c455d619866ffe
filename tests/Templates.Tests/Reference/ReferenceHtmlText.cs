using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace SubsidyEngine.Templates.Tests.Reference;

/// <summary>
/// FROZEN COPY of <c>SubsidyEngine.Templates.HtmlText</c> as of commit 02e84cd (before the allocation-free rewrite), kept
/// only as the oracle of a differential test: the production class must give the same text for every input. Do not
/// change it.
/// </summary>
/// <remarks>
/// Rules: <c>head</c>, <c>style</c>, <c>script</c> and elements with class <c>no-text</c> are dropped; whitespace
/// collapses as in HTML; <c>p</c>, <c>div</c>, headings, lists, tables and <c>hr</c> are blocks separated by one empty
/// line; <c>br</c> is a line break; list items start with "- " (or "1. " in an <c>ol</c>); a table becomes aligned
/// columns (two spaces apart, cells with class <c>num</c> right-aligned, a dashed line under the header row);
/// paragraphs wrap at 78 characters (never between "€" and its amount); entities are decoded; lines end with LF, no trailing spaces.
/// </remarks>
internal static partial class ReferenceHtmlText
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
        var converter = new Converter(html);
        var output = new StringBuilder(html.Length);
        var blocks = new Blocks(output, "\n\n", skipEmpty: true);
        var inline = converter.Rent();
        converter.RenderChildren(Parse(html), blocks, inline);
        converter.Flush(blocks, inline);
        return Canonical.Text(output.ToString());
    }

    /// <summary>An element, or (without a name) a run of text between tags.</summary>
    private sealed class Node(string? name, string attributes, int textStart = 0, int textLength = 0)
    {
        private List<Node>? _children;

        public string? Name { get; } = name;

        public string Attributes { get; } = attributes;

        public int TextStart { get; } = textStart;

        public int TextLength { get; } = textLength;

        public List<Node> Children => _children ??= [];

        public bool HasChildren => _children is { Count: > 0 };

        public bool HasClass(string cls) =>
            Attributes.Contains("class", StringComparison.Ordinal)
            && ClassAttribute().Match(Attributes) is { Success: true } m
            && m.Groups["v"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains(cls, StringComparer.Ordinal);
    }

    private static Node Parse(string html)
    {
        var root = new Node("#root", string.Empty);
        var stack = new List<Node> { root };
        var pos = 0;
        var from = 0;
        while (NextTag(html, from) is { } tag)
        {
            if (tag.Index > pos)
            {
                stack[^1].Children.Add(new Node(null, string.Empty, pos, tag.Index - pos));
            }

            pos = from = tag.End;
            if (tag.Kind == TagKind.Skipped)
            {
                continue;
            }

            var name = tag.Name!;
            if (tag.Kind == TagKind.Close)
            {
                // Close the innermost open element of that name and everything opened inside it; ignore a stray close.
                var open = stack.FindLastIndex(n => n.Name == name);
                if (open >= 0)
                {
                    stack.RemoveRange(open, stack.Count - open);
                }

                continue;
            }

            var node = new Node(name, tag.Attributes);
            stack[^1].Children.Add(node);
            if (!VoidElements.Contains(name) && tag.Kind != TagKind.SelfClosing)
            {
                stack.Add(node);
            }
        }

        if (pos < html.Length)
        {
            stack[^1].Children.Add(new Node(null, string.Empty, pos, html.Length - pos));
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

    /// <summary>The lower-case element name; the names our templates use come from a table, without allocating.</summary>
    private static string LowerName(ReadOnlySpan<char> name)
    {
        if (!name.ContainsAnyInRange('A', 'Z') && KnownNameLookup.TryGetValue(name, out var known))
        {
            return known;
        }

        return name.ToString().ToLowerInvariant();
    }

    private static readonly string[] KnownNames =
    [
        "p", "td", "tr", "th", "div", "span", "br", "strong", "li", "a", "em", "table", "tbody", "thead", "tfoot", "ul", "ol",
        "h1", "h2", "h3", "h4", "hr", "section", "header", "footer", "address", "body", "html", "head", "meta", "title",
        "style", "script", "b", "i", "small", "col", "colgroup", "img", "link", "dl", "dt", "dd", "blockquote",
    ];

    // After KnownNames: static fields are initialised in textual order.
    private static readonly System.Collections.Frozen.FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> KnownNameLookup =
        System.Collections.Frozen.FrozenSet.ToFrozenSet(KnownNames, StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>Where finished blocks go: appended to one builder, <paramref name="separator"/> between them.</summary>
    private sealed class Blocks(StringBuilder target, string separator, bool skipEmpty)
    {
        private bool _any;

        /// <summary>Starts a block (writes the separator if one came before) and returns the builder to write it to.</summary>
        public StringBuilder Begin()
        {
            if (_any)
            {
                target.Append(separator);
            }

            _any = true;
            return target;
        }

        public void Add(StringBuilder block)
        {
            if (!skipEmpty || block.Length > 0)
            {
                Begin().Append(block);
            }
        }
    }

    /// <summary>One conversion: the HTML and a few reusable builders.</summary>
    private sealed class Converter(string html)
    {
        private readonly Stack<StringBuilder> _pool = new();

        public StringBuilder Rent() => _pool.TryPop(out var sb) ? sb.Clear() : new StringBuilder(256);

        public void Return(StringBuilder sb) => _pool.Push(sb);

        public void RenderChildren(Node node, Blocks blocks, StringBuilder inline)
        {
            if (!node.HasChildren)
            {
                return;
            }

            foreach (var child in node.Children)
            {
                if (child.Name is null)
                {
                    AppendCollapsed(inline, html.AsSpan(child.TextStart, child.TextLength));
                }
                else
                {
                    Render(child, blocks, inline);
                }
            }
        }

        /// <summary>Appends text with each run of HTML white space as one space, entities decoded.</summary>
        private void AppendCollapsed(StringBuilder inline, ReadOnlySpan<char> text)
        {
            if (text.Contains('&'))
            {
                var collapsed = Rent();
                AppendCollapsedRaw(collapsed, text);
                inline.Append(WebUtility.HtmlDecode(collapsed.ToString()));
                Return(collapsed);
                return;
            }

            AppendCollapsedRaw(inline, text);
        }

        private static void AppendCollapsedRaw(StringBuilder target, ReadOnlySpan<char> rest)
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

        private void Render(Node node, Blocks blocks, StringBuilder inline)
        {
            var name = node.Name!;
            if (SkippedElements.Contains(name) || node.HasClass("no-text"))
            {
                return;
            }

            switch (name)
            {
                case "br":
                    inline.Append('\n');
                    return;
                case "hr":
                    Flush(blocks, inline);
                    blocks.Begin().Append('-', 40);
                    return;
                case "table":
                    Flush(blocks, inline);
                    AddBlock(blocks, sb => RenderTable(node, sb));
                    return;
                case "ul":
                case "ol":
                    Flush(blocks, inline);
                    AddBlock(blocks, sb => RenderList(node, name == "ol", sb));
                    return;
            }

            var isBlock = BlockElements.Contains(name);
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

        private void AddBlock(Blocks blocks, Action<StringBuilder> write)
        {
            var block = Rent();
            write(block);
            blocks.Add(block);
            Return(block);
        }

        private void RenderList(Node list, bool ordered, StringBuilder sb)
        {
            var number = 0;
            foreach (var item in list.Children)
            {
                if (item.Name != "li")
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

        private void RenderTable(Node table, StringBuilder sb)
        {
            var rows = new List<(List<(string Text, bool Right)> Cells, bool Header)>();
            Collect(table);
            var columns = 0;
            foreach (var (cells, _) in rows)
            {
                columns = Math.Max(columns, cells.Count);
            }

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
                    var lineStart = sb.Length;
                    for (var i = 0; i < columns; i++)
                    {
                        if (i > 0)
                        {
                            sb.Append("  ");
                        }

                        var (text, right) = i == 0 ? (first[lineIndex], false)
                            : lineIndex == 0 && i < cells.Count ? cells[i] : (string.Empty, false);
                        var padding = Math.Max(0, widths[i] - text.Length);
                        if (right)
                        {
                            sb.Append(' ', padding).Append(text);
                        }
                        else
                        {
                            sb.Append(text).Append(' ', padding);
                        }
                    }

                    // As string.TrimEnd(): every kind of white space.
                    var end = sb.Length;
                    while (end > lineStart && char.IsWhiteSpace(sb[end - 1]))
                    {
                        end--;
                    }

                    sb.Length = end;
                }

                if (header)
                {
                    sb.Append('\n').Append('-', widths.Sum() + (2 * Math.Max(0, columns - 1)));
                }
            }

            void Collect(Node n)
            {
                if (!n.HasChildren)
                {
                    return;
                }

                foreach (var child in n.Children)
                {
                    if (child.Name == "tr")
                    {
                        var cells = new List<(string Text, bool Right)>();
                        var anyTh = false;
                        if (child.HasChildren)
                        {
                            foreach (var cell in child.Children)
                            {
                                if (cell.Name is "td" or "th")
                                {
                                    cells.Add((InlineText(cell).Replace('\n', ' '), cell.HasClass("num")));
                                }

                                anyTh |= cell.Name == "th";
                            }
                        }

                        rows.Add((cells, anyTh && n.Name == "thead"));
                    }
                    else if (child.Name is "thead" or "tbody" or "tfoot")
                    {
                        Collect(child);
                    }
                }
            }
        }

        /// <summary>The text of an element on its own: its blocks one line apart, the last one not wrapped.</summary>
        private string InlineText(Node node)
        {
            var target = Rent();
            var inline = Rent();
            var blocks = new Blocks(target, "\n", skipEmpty: false);
            RenderChildren(node, blocks, inline);
            Flush(blocks, inline, wrap: false);
            var text = target.ToString();
            Return(inline);
            Return(target);
            return text;
        }

        /// <summary>
        /// Ends the current inline run: its lines trimmed of spaces, without leading and trailing empty lines, each
        /// wrapped (unless <paramref name="wrap"/> is false), become one block.
        /// </summary>
        public void Flush(Blocks blocks, StringBuilder inline, bool wrap = true)
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
    }

    private static readonly System.Buffers.SearchValues<char> HtmlWhiteSpace = System.Buffers.SearchValues.Create(" \t\r\n\f");

    /// <summary>
    /// The words of a text for wrapping: split at spaces, and "€" joined to the word after it by one space, so
    /// "€ 1.234,56" is never split.
    /// </summary>
    private ref struct Words(ReadOnlySpan<char> text)
    {
        private readonly ReadOnlySpan<char> _text = text;
        private MemoryExtensions.SpanSplitEnumerator<char> _parts = text.Split(' ');
        private bool _heldEuro;

        /// <summary>The current word is "€ " followed by <see cref="Text"/>.</summary>
        public bool Euro { get; private set; }

        public ReadOnlySpan<char> Text { get; private set; }

        public readonly int Length => Euro ? Text.Length + 2 : Text.Length;

        public bool MoveNext()
        {
            while (_parts.MoveNext())
            {
                var token = _text[_parts.Current];
                if (token.IsEmpty)
                {
                    continue;
                }

                if (_heldEuro)
                {
                    _heldEuro = false;
                    Euro = true;
                    Text = token;
                    return true;
                }

                if (token is "€")
                {
                    _heldEuro = true;
                    continue;
                }

                Euro = false;
                Text = token;
                return true;
            }

            if (_heldEuro)
            {
                _heldEuro = false;
                Euro = false;
                Text = "€";
                return true;
            }

            return false;
        }

        public readonly void AppendTo(StringBuilder sb)
        {
            if (Euro)
            {
                sb.Append("€ ");
            }

            sb.Append(Text);
        }
    }

    /// <summary>The first column of a table: words one space apart in lines of at most <paramref name="width"/> (a longer word stands alone).</summary>
    private static List<string> WrapToLines(string text, int width)
    {
        var lines = new List<string>();
        var current = new StringBuilder();
        var words = new Words(text);
        while (words.MoveNext())
        {
            if (current.Length > 0 && current.Length + 1 + words.Length > width)
            {
                lines.Add(current.ToString());
                current.Clear();
            }

            if (current.Length > 0)
            {
                current.Append(' ');
            }

            words.AppendTo(current);
        }

        lines.Add(current.ToString());
        return lines;
    }

    /// <summary>
    /// Appends <paramref name="line"/> wrapped at <see cref="Width"/>: its <see cref="Words"/> one space apart, the
    /// first output line starting with <paramref name="firstPrefix"/> and the others with <paramref name="nextPrefix"/>;
    /// a word longer than the width stands alone on its line.
    /// </summary>
    private static void AppendWrapped(StringBuilder sb, ReadOnlySpan<char> line, string firstPrefix, string nextPrefix)
    {
        var lineStart = sb.Length;
        sb.Append(firstPrefix);
        var prefixLength = firstPrefix.Length;
        var words = new Words(line);
        while (words.MoveNext())
        {
            var current = sb.Length - lineStart;
            if (current > prefixLength && current + 1 + words.Length > Width)
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

            words.AppendTo(sb);
        }
    }

    [GeneratedRegex(@"[ \t\r\n\f]+", RegexOptions.CultureInvariant)]
    private static partial Regex WhitespaceRun();

    [GeneratedRegex(@"\bclass\s*=\s*""(?<v>[^""]*)""", RegexOptions.CultureInvariant)]
    private static partial Regex ClassAttribute();
}
