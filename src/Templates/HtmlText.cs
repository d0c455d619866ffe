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
            ClassAttribute().Match(Attributes) is { Success: true } m
            && m.Groups["v"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains(cls, StringComparer.Ordinal);
    }

    private static Node Parse(string html)
    {
        var root = new Node("#root", string.Empty);
        var stack = new Stack<Node>();
        stack.Push(root);
        var pos = 0;
        foreach (Match m in TagPattern().Matches(html))
        {
            if (m.Index > pos)
            {
                stack.Peek().Children.Add(html[pos..m.Index]);
            }

            pos = m.Index + m.Length;
            if (m.Groups["comment"].Success || m.Groups["decl"].Success)
            {
                continue;
            }

            var name = m.Groups["name"].Value.ToLowerInvariant();
            if (m.Groups["close"].Success)
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

            var node = new Node(name, m.Groups["attrs"].Value);
            stack.Peek().Children.Add(node);
            if (!VoidElements.Contains(name) && !m.Groups["self"].Success)
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

    private static void RenderChildren(Node node, List<string> blocks, StringBuilder inline)
    {
        foreach (var child in node.Children)
        {
            if (child is string text)
            {
                inline.Append(WebUtility.HtmlDecode(WhitespaceRun().Replace(text, " ")));
            }
            else
            {
                Render((Node)child, blocks, inline);
            }
        }
    }

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

    private static void Flush(List<string> blocks, StringBuilder inline, bool wrap = true)
    {
        var lines = inline.ToString().Split('\n').Select(l => l.Trim(' ')).ToList();
        inline.Clear();
        while (lines.Count > 0 && lines[0].Length == 0)
        {
            lines.RemoveAt(0);
        }

        while (lines.Count > 0 && lines[^1].Length == 0)
        {
            lines.RemoveAt(lines.Count - 1);
        }

        if (lines.Count > 0)
        {
            blocks.Add(string.Join("\n", wrap ? lines.Select(l => Wrap(l, string.Empty, string.Empty)) : lines));
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
        var sb = new StringBuilder();
        var current = new StringBuilder(firstPrefix);
        var prefixLength = firstPrefix.Length;
        foreach (var word in Words(line))
        {
            if (current.Length > prefixLength && current.Length + 1 + word.Length > Width)
            {
                sb.Append(current).Append('\n');
                current.Clear().Append(nextPrefix);
                prefixLength = nextPrefix.Length;
            }

            if (current.Length > prefixLength)
            {
                current.Append(' ');
            }

            current.Append(word);
        }

        sb.Append(current);
        return sb.ToString();
    }

    [GeneratedRegex(@"<(?:(?<comment>!--[\s\S]*?--)|(?<decl>![^>]*)|(?<close>/)?(?<name>[a-zA-Z][a-zA-Z0-9]*)(?<attrs>(?:\s+[^>]*?)?)(?<self>/)?)>", RegexOptions.CultureInvariant)]
    private static partial Regex TagPattern();

    [GeneratedRegex(@"[ \t\r\n\f]+", RegexOptions.CultureInvariant)]
    private static partial Regex WhitespaceRun();

    [GeneratedRegex(@"\bclass\s*=\s*""(?<v>[^""]*)""", RegexOptions.CultureInvariant)]
    private static partial Regex ClassAttribute();
}
