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

        // One converter per thread, reused: its node arena, builders and buffers keep their capacity between letters,
        // so a conversion allocates little beyond the strings of table cells and the result.
        var converter = t_converter ?? new Converter();
        t_converter = null; // not reentrant: a nested call (there is none) would get its own
        try
        {
            return converter.Convert(html);
        }
        finally
        {
            converter.Release();
            t_converter = converter;
        }
    }

    [ThreadStatic]
    private static Converter? t_converter;

    /// <summary>
    /// An element, or (without a name) a run of text between tags, in the converter's node arena: children are linked
    /// by index (<see cref="FirstChild"/>, <see cref="NextSibling"/>; -1 for none); attributes and text are offsets
    /// into the HTML.
    /// </summary>
    private struct Node
    {
        public string? Name;
        public int AttributesStart;
        public int AttributesLength;
        public int TextStart;
        public int TextLength;
        public int FirstChild;
        public int LastChild;
        public int NextSibling;
    }

    private enum TagKind
    {
        Skipped,
        Open,
        SelfClosing,
        Close,
    }

    private readonly record struct Tag(int Index, int End, TagKind Kind, string? Name, int AttributesStart, int AttributesLength);

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
                        return new Tag(lt, close + 3, TagKind.Skipped, null, 0, 0);
                    }
                }

                var gt = html.IndexOf('>', i);
                if (gt >= 0)
                {
                    return new Tag(lt, gt + 1, TagKind.Skipped, null, 0, 0);
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
                attrsEnd > attrsStart ? attrsStart : 0,
                attrsEnd > attrsStart ? attrsEnd - attrsStart : 0);

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

    /// <summary>Where finished blocks go: appended to one builder, <see cref="_separator"/> between them.</summary>
    private struct Blocks(StringBuilder target, string separator, bool skipEmpty)
    {
        private readonly StringBuilder _target = target;
        private readonly string _separator = separator;
        private readonly bool _skipEmpty = skipEmpty;
        private bool _any;

        /// <summary>Starts a block (writes the separator if one came before) and returns the builder to write it to.</summary>
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

    /// <summary>One conversion at a time: the HTML, its node arena and a few reusable builders and buffers.</summary>
    private sealed class Converter
    {
        private readonly Stack<StringBuilder> _pool = new();
        private readonly List<int> _open = [];
        private readonly StringBuilder _output = new(8192);
        private string _html = string.Empty;
        private Node[] _nodes = new Node[256];
        private int _count;
        private char[] _buffer = new char[1024];

        public string Convert(string html)
        {
            _html = html;
            Parse();
            var blocks = new Blocks(_output, "\n\n", skipEmpty: true);
            var inline = Rent();
            RenderChildren(0, ref blocks, inline);
            Flush(ref blocks, inline);
            Return(inline);
            return Canonical.Text(Buffered(_output));
        }

        /// <summary>Forgets the HTML and the nodes (keeping the capacity); builders that grew too large are dropped.</summary>
        public void Release()
        {
            _html = string.Empty;
            Array.Clear(_nodes, 0, _count);
            _count = 0;
            _open.Clear();
            _output.Clear();
            if (_output.Capacity > 1 << 20)
            {
                _output.Capacity = 8192;
            }

            if (_buffer.Length > 1 << 20)
            {
                _buffer = new char[1024];
            }

            if (_nodes.Length > 1 << 16)
            {
                _nodes = new Node[256];
            }

            // The pooled builders stay (a builder rented by a conversion that threw is simply not returned): they have
            // grown to what a letter needs, and a builder that is cleared as one chunk allocates nothing.
        }

        private StringBuilder Rent() => _pool.TryPop(out var sb) ? sb.Clear() : new StringBuilder(1024);

        private void Return(StringBuilder sb)
        {
            if (sb.Capacity <= 1 << 16)
            {
                _pool.Push(sb);
            }
        }

        /// <summary>The builder's text in the reusable buffer (valid until the next call).</summary>
        private ReadOnlySpan<char> Buffered(StringBuilder sb)
        {
            if (_buffer.Length < sb.Length)
            {
                _buffer = new char[Math.Max(sb.Length, _buffer.Length * 2)];
            }

            sb.CopyTo(0, _buffer, sb.Length);
            return _buffer.AsSpan(0, sb.Length);
        }

        private int Add(string? name, int attributesStart, int attributesLength, int textStart, int textLength)
        {
            if (_count == _nodes.Length)
            {
                Array.Resize(ref _nodes, _nodes.Length * 2);
            }

            _nodes[_count] = new Node
            {
                Name = name,
                AttributesStart = attributesStart,
                AttributesLength = attributesLength,
                TextStart = textStart,
                TextLength = textLength,
                FirstChild = -1,
                LastChild = -1,
                NextSibling = -1,
            };
            return _count++;
        }

        private void AddChild(int parent, int child)
        {
            ref var p = ref _nodes[parent];
            if (p.LastChild < 0)
            {
                p.FirstChild = child;
            }
            else
            {
                _nodes[p.LastChild].NextSibling = child;
            }

            p.LastChild = child;
        }

        /// <summary>Builds the tree into the arena: node 0 is the root.</summary>
        private void Parse()
        {
            var html = _html;
            var root = Add("#root", 0, 0, 0, 0);
            _open.Add(root);
            var pos = 0;
            var from = 0;
            while (NextTag(html, from) is { } tag)
            {
                if (tag.Index > pos)
                {
                    AddChild(_open[^1], Add(null, 0, 0, pos, tag.Index - pos));
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
                    var open = _open.Count - 1;
                    while (open >= 0 && !string.Equals(_nodes[_open[open]].Name, name, StringComparison.Ordinal))
                    {
                        open--;
                    }

                    if (open >= 0)
                    {
                        _open.RemoveRange(open, _open.Count - open);
                    }

                    continue;
                }

                var node = Add(name, tag.AttributesStart, tag.AttributesLength, 0, 0);
                AddChild(_open[^1], node);
                if (!VoidElements.Contains(name) && tag.Kind != TagKind.SelfClosing)
                {
                    _open.Add(node);
                }
            }

            if (pos < html.Length)
            {
                AddChild(_open[^1], Add(null, 0, 0, pos, html.Length - pos));
            }
        }

        /// <summary>Whether the element's class attribute (the first match of <c>\bclass\s*=\s*"..."</c>) lists <paramref name="cls"/>.</summary>
        private bool HasClass(int node, string cls)
        {
            var attributes = _html.AsSpan(_nodes[node].AttributesStart, _nodes[node].AttributesLength);
            if (!attributes.Contains("class", StringComparison.Ordinal))
            {
                return false;
            }

            foreach (var match in ClassAttribute().EnumerateMatches(attributes))
            {
                // The match ends with the closing quote; the value starts after the first quote (the name, the white
                // space and '=' before it contain none).
                var text = attributes.Slice(match.Index, match.Length);
                var value = text[(text.IndexOf('"') + 1)..^1];
                foreach (var range in value.Split(' '))
                {
                    if (value[range] is { IsEmpty: false } token && token.SequenceEqual(cls))
                    {
                        return true;
                    }
                }

                return false; // only the first match counts, as Regex.Match did
            }

            return false;
        }

        private void RenderChildren(int node, ref Blocks blocks, StringBuilder inline)
        {
            for (var child = _nodes[node].FirstChild; child >= 0; child = _nodes[child].NextSibling)
            {
                if (_nodes[child].Name is null)
                {
                    AppendCollapsed(inline, _html.AsSpan(_nodes[child].TextStart, _nodes[child].TextLength));
                }
                else
                {
                    Render(child, ref blocks, inline);
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

        private void Render(int node, ref Blocks blocks, StringBuilder inline)
        {
            var name = _nodes[node].Name!;
            if (SkippedElements.Contains(name) || HasClass(node, "no-text"))
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
                    var block = Rent();
                    RenderTable(node, block);
                    blocks.Add(block);
                    Return(block);
                    return;
                }

                case "ul":
                case "ol":
                {
                    Flush(ref blocks, inline);
                    var block = Rent();
                    RenderList(node, name == "ol", block);
                    blocks.Add(block);
                    Return(block);
                    return;
                }
            }

            var isBlock = BlockElements.Contains(name);
            if (isBlock)
            {
                Flush(ref blocks, inline);
            }

            RenderChildren(node, ref blocks, inline);
            if (isBlock)
            {
                Flush(ref blocks, inline);
            }
        }

        private void RenderList(int list, bool ordered, StringBuilder sb)
        {
            var number = 0;
            for (var item = _nodes[list].FirstChild; item >= 0; item = _nodes[item].NextSibling)
            {
                if (_nodes[item].Name != "li")
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

        private void RenderTable(int table, StringBuilder sb)
        {
            // Rows as ranges of one flat list of cells (per table: a cell may hold a table of its own).
            var cells = new List<(string Text, bool Right)>(64);
            var rows = new List<(int First, int Count, bool Header)>(16);
            Collect(table);
            var columns = 0;
            foreach (var (_, count, _) in rows)
            {
                columns = Math.Max(columns, count);
            }

            var widths = new int[columns];
            foreach (var (first, count, _) in rows)
            {
                for (var i = 0; i < count; i++)
                {
                    widths[i] = Math.Max(widths[i], cells[first + i].Text.Length);
                }
            }

            // Too wide for a plain-text mail: the first column (the description) wraps within what the others leave.
            var total = widths.Sum() + (2 * Math.Max(0, columns - 1));
            if (total > Width && columns > 1)
            {
                widths[0] = Math.Max(20, widths[0] - (total - Width));
            }

            var anyLine = false;
            foreach (var (firstCell, count, header) in rows)
            {
                var first = count > 0 ? WrapToLines(cells[firstCell].Text, widths[0]) : [string.Empty];
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
                            : lineIndex == 0 && i < count ? cells[firstCell + i] : (string.Empty, false);
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

            void Collect(int n)
            {
                for (var child = _nodes[n].FirstChild; child >= 0; child = _nodes[child].NextSibling)
                {
                    var childName = _nodes[child].Name;
                    if (childName == "tr")
                    {
                        var first = cells.Count;
                        var anyTh = false;
                        for (var cell = _nodes[child].FirstChild; cell >= 0; cell = _nodes[cell].NextSibling)
                        {
                            var cellName = _nodes[cell].Name;
                            if (cellName is "td" or "th")
                            {
                                cells.Add((InlineText(cell).Replace('\n', ' '), HasClass(cell, "num")));
                            }

                            anyTh |= cellName == "th";
                        }

                        rows.Add((first, cells.Count - first, anyTh && _nodes[n].Name == "thead"));
                    }
                    else if (childName is "thead" or "tbody" or "tfoot")
                    {
                        Collect(child);
                    }
                }
            }
        }

        /// <summary>The text of an element on its own: its blocks one line apart, the last one not wrapped.</summary>
        private string InlineText(int node)
        {
            var target = Rent();
            var inline = Rent();
            var blocks = new Blocks(target, "\n", skipEmpty: false);
            RenderChildren(node, ref blocks, inline);
            Flush(ref blocks, inline, wrap: false);
            var text = target.ToString();
            Return(inline);
            Return(target);
            return text;
        }

        /// <summary>
        /// Ends the current inline run: its lines trimmed of spaces, without leading and trailing empty lines, each
        /// wrapped (unless <paramref name="wrap"/> is false), become one block.
        /// </summary>
        private void Flush(ref Blocks blocks, StringBuilder inline, bool wrap = true)
        {
            if (inline.Length == 0)
            {
                return;
            }

            var content = Buffered(inline);
            inline.Clear();
            StringBuilder? block = null;
            var emptyLinesBefore = 0;
            foreach (var range in content.Split('\n'))
            {
                var line = content[range].Trim(' ');
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
