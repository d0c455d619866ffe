using System.Globalization;
using System.Net;
using System.Text;
using SubsidyEngine.Workflows.Model;

namespace SubsidyEngine.Engine.Diagrams;

/// <summary>A dossier's way through its definition: the states it was in and the transitions it took, in order.</summary>
/// <param name="States">Visited states, first to last (the last is the current state).</param>
/// <param name="Transitions">Transitions taken as (from, trigger, to).</param>
public sealed record DiagramPath(IReadOnlyList<string> States, IReadOnlyList<(string From, string Trigger, string To)> Transitions)
{
    public static DiagramPath None { get; } = new([], []);

    public string? Current => States.Count == 0 ? null : States[^1];
}

/// <summary>
/// Draws a workflow definition as an SVG state diagram on the server (no script, so it passes the pages'
/// Content-Security-Policy and renders in the generated docs): states in layers by their distance from the initial
/// state, transitions as arrows labelled with their trigger, a parent state as a frame label of its children. A
/// dossier's path so far and its current state are highlighted. The SVG carries a title and a description, and every
/// state and arrow a <c>title</c>; pages add a text alternative listing the states and the path.
/// </summary>
public static class StateDiagramSvg
{
    private const int NodeWidth = 190;
    private const int NodeHeight = 46;
    private const int GapX = 36;
    private const int GapY = 74;
    private const int Margin = 24;
    private const int MaxPerRow = 5;

    /// <summary>Width reserved per character of an arrow's label (font size 10; a conservative Arial average), for keeping labels apart.</summary>
    public const double LabelCharWidth = 6.0;

    private const double LabelHeight = 12;

    public static string Render(WorkflowDefinition definition, string language = "nl", DiagramPath? path = null, string id = "workflow-diagram")
    {
        ArgumentNullException.ThrowIfNull(definition);
        path ??= DiagramPath.None;
        string Label(StateDefinition s) => s.Label?.For(language) ?? s.Id;
        string TriggerLabel(string trigger) => definition.FindTrigger(trigger)?.Label?.For(language) ?? trigger;

        // Layers: breadth-first distance from the initial state; a transition out of a parent state leaves each child.
        var children = definition.States.Where(s => s.Parent is not null).GroupBy(s => s.Parent!).ToDictionary(g => g.Key, g => g.Select(s => s.Id).ToList(), StringComparer.Ordinal);
        var edges = definition.Transitions.Where(t => t.To is not null).Select(t => (t.From, t.Trigger, To: t.To!)).Distinct().ToList();
        var depth = new Dictionary<string, int>(StringComparer.Ordinal);
        var queue = new Queue<string>();
        var initial = string.IsNullOrEmpty(definition.Initial) ? definition.States.FirstOrDefault()?.Id ?? string.Empty : definition.Initial;
        depth[initial] = 0;
        queue.Enqueue(initial);
        while (queue.Count > 0)
        {
            var s = queue.Dequeue();
            var sources = new List<string> { s };
            for (var parent = definition.FindState(s)?.Parent; parent is not null; parent = definition.FindState(parent)?.Parent)
            {
                sources.Add(parent);
            }

            foreach (var e in edges.Where(e => sources.Contains(e.From)))
            {
                if (!depth.ContainsKey(e.To))
                {
                    depth[e.To] = depth[s] + 1;
                    queue.Enqueue(e.To);
                }
            }

            if (children.TryGetValue(s, out var kids))
            {
                foreach (var k in kids.Where(k => !depth.ContainsKey(k)))
                {
                    depth[k] = depth[s] + 1;
                    queue.Enqueue(k);
                }
            }
        }

        // A parent state (a group of states) stands beside its first child: its transitions leave from there.
        for (var pass = 0; pass < 3; pass++)
        {
            foreach (var (parent, kids) in children)
            {
                if (!depth.ContainsKey(parent) && kids.Where(depth.ContainsKey).Select(k => depth[k]).DefaultIfEmpty(-1).Min() is var min and >= 0)
                {
                    depth[parent] = min;
                }
            }
        }

        var maxDepth = depth.Count == 0 ? 0 : depth.Values.Max();
        foreach (var s in definition.States.Where(s => !depth.ContainsKey(s.Id)))
        {
            depth[s.Id] = maxDepth + 1; // unreachable from the initial state (e.g. only entered by a migration)
        }

        // Rows: each layer in definition order, wrapped at MaxPerRow.
        var rows = new List<List<StateDefinition>>();
        foreach (var layer in definition.States.GroupBy(s => depth[s.Id]).OrderBy(g => g.Key))
        {
            var list = layer.ToList();
            for (var i = 0; i < list.Count; i += MaxPerRow)
            {
                rows.Add(list.Skip(i).Take(MaxPerRow).ToList());
            }
        }

        var columns = Math.Max(1, rows.Max(r => r.Count));
        var width = (Margin * 2) + (columns * NodeWidth) + ((columns - 1) * GapX) + 140;
        var height = (Margin * 2) + (rows.Count * NodeHeight) + ((rows.Count - 1) * GapY);
        var pos = new Dictionary<string, (double X, double Y)>(StringComparer.Ordinal);
        for (var r = 0; r < rows.Count; r++)
        {
            var rowWidth = (rows[r].Count * NodeWidth) + ((rows[r].Count - 1) * GapX);
            var x0 = Margin + (((columns * NodeWidth) + ((columns - 1) * GapX) - rowWidth) / 2.0);
            for (var i = 0; i < rows[r].Count; i++)
            {
                pos[rows[r][i].Id] = (x0 + (i * (NodeWidth + GapX)), Margin + (r * (NodeHeight + GapY)));
            }
        }

        var visited = new HashSet<string>(path.States, StringComparer.Ordinal);
        var taken = new HashSet<(string, string, string)>(path.Transitions);
        var current = path.Current;
        var title = (definition.Title?.For(language) ?? definition.Id) + $" (v{definition.Version})";
        var desc = language == "en"
            ? $"State diagram with {definition.States.Count} states and {edges.Count} transitions." + (current is null ? string.Empty : $" Current state: {Label(definition.FindState(current)!)}.")
            : $"Toestandsdiagram met {definition.States.Count} statussen en {edges.Count} overgangen." + (current is null ? string.Empty : $" Huidige status: {Label(definition.FindState(current)!)}.");

        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"{E(id)}\" class=\"state-diagram\" role=\"img\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" aria-labelledby=\"{E(id)}-title {E(id)}-desc\" font-family=\"Arial, Helvetica, sans-serif\">\n");
        sb.Append(CultureInfo.InvariantCulture, $"<title id=\"{E(id)}-title\">{E(title)}</title>\n<desc id=\"{E(id)}-desc\">{E(desc)}</desc>\n");
        sb.Append("<defs>");
        sb.Append("<marker id=\"").Append(E(id)).Append("-arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#6b6b6b\"/></marker>");
        sb.Append("<marker id=\"").Append(E(id)).Append("-arrow-taken\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#0b6623\"/></marker>");
        sb.Append("</defs>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"0\" y=\"0\" width=\"{width}\" height=\"{height}\" fill=\"#ffffff\"/>\n");

        // Transitions first (under the states). Several transitions between the same pair share one arrow.
        var drawnFrom = new List<(string From, string To, List<string> Triggers)>();
        foreach (var e in edges)
        {
            var existing = drawnFrom.FirstOrDefault(d => d.From == e.From && d.To == e.To);
            if (existing.Triggers is null)
            {
                drawnFrom.Add((e.From, e.To, [e.Trigger]));
            }
            else if (!existing.Triggers.Contains(e.Trigger))
            {
                existing.Triggers.Add(e.Trigger);
            }
        }

        sb.Append("<g class=\"transitions\">\n");
        var labelNo = 0;
        var arrows = new List<(string From, string To, string Labels, bool IsTaken, string D, double Lx, double Ly)>();
        var downward = drawnFrom.Where(e => pos.ContainsKey(e.From) && pos.ContainsKey(e.To) && pos[e.To].Y > pos[e.From].Y).ToList();
        foreach (var (from, to, triggers) in drawnFrom)
        {
            if (!pos.TryGetValue(from, out var a) || !pos.TryGetValue(to, out var b))
            {
                continue;
            }

            var isTaken = triggers.Any(t => taken.Contains((from, t, to))) || (children.TryGetValue(from, out var kids) && taken.Any(x => kids.Contains(x.Item1) && triggers.Contains(x.Item2) && x.Item3 == to));
            string d;
            double lx, ly;
            if (from == to)
            {
                var x = a.X + NodeWidth;
                var y = a.Y + (NodeHeight / 2.0);
                d = F($"M{x},{y - 10} C{x + 40},{y - 30} {x + 40},{y + 30} {x},{y + 10}");
                lx = x + 44;
                ly = y;
            }
            else if (b.Y > a.Y)
            {
                var sx = a.X + (NodeWidth / 2.0);
                var sy = a.Y + NodeHeight;
                var tx = b.X + (NodeWidth / 2.0);
                var ty = b.Y;
                var dy = (ty - sy) / 2;
                d = F($"M{sx},{sy} C{sx},{sy + dy} {tx},{ty - dy} {tx},{ty}");
                lx = (sx + tx) / 2;
                // Labels of arrows fanning out of one state are staggered so they do not overlap.
                var siblings = downward.Where(e => e.From == from).ToList();
                var k = siblings.FindIndex(e => e.To == to);
                ly = ((sy + ty) / 2) + (siblings.Count > 1 ? (k * 13) - ((siblings.Count - 1) * 6.5) : 0);
            }
            else if (Math.Abs(b.Y - a.Y) < 1)
            {
                var leftToRight = b.X > a.X;
                var sx = leftToRight ? a.X + NodeWidth : a.X;
                var tx = leftToRight ? b.X : b.X + NodeWidth;
                var y = a.Y + (NodeHeight / 2.0) + (leftToRight ? -8 : 8);
                d = F($"M{sx},{y} L{tx},{y}");
                lx = (sx + tx) / 2;
                ly = y - 4;
            }
            else
            {
                // Back up the diagram: around the right-hand side.
                var sx = a.X + NodeWidth;
                var sy = a.Y + (NodeHeight / 2.0);
                var tx = b.X + NodeWidth;
                var ty = b.Y + (NodeHeight / 2.0);
                var bulge = Math.Max(sx, tx) + 60 + (labelNo % 3 * 16);
                d = F($"M{sx},{sy} C{bulge},{sy} {bulge},{ty} {tx},{ty}");
                lx = bulge - 14;
                ly = (sy + ty) / 2;
            }

            labelNo++;
            var labels = string.Join(" / ", triggers.Select(TriggerLabel));
            arrows.Add((from, to, labels, isTaken, d, lx, ly));
        }

        // Labels keep apart: each in turn moves to the nearest free place (up and down the arrow's middle, then
        // sideways) where its box crosses neither a state nor a label placed before it.
        var obstacles = pos.Values.Select(p => (X: p.X - 2, Y: p.Y - 2, W: NodeWidth + 4.0, H: NodeHeight + 4.0)).ToList();
        var placedLabels = new List<(double X, double Y, double W, double H)>();
        var maxX = width - 4.0;
        foreach (var (from, to, labels, isTaken, d, lx0, ly0) in arrows)
        {
            var text = Shorten(labels, 34);
            var w = (text.Length * LabelCharWidth) + 2;
            (double X, double Y, double W, double H) Box(double x, double y) => (x - (w / 2), y - 9 - 1, w, LabelHeight + 2);
            bool Free((double X, double Y, double W, double H) b) =>
                b.X >= 0 && b.X + b.W <= maxX && b.Y >= 0 && b.Y + b.H <= height + 200
                && !obstacles.Concat(placedLabels).Any(o => b.X < o.X + o.W && o.X < b.X + b.W && b.Y < o.Y + o.H && o.Y < b.Y + b.H);
            var (lx, ly) = (lx0, ly0);
            var found = false;
            foreach (var dx in new[] { 0.0, 40, -40, 80, -80, 120, -120, 160, -160 })
            {
                for (var step = 0; step <= 12 && !found; step++)
                {
                    var dy = (step % 2 == 0 ? 1 : -1) * ((step + 1) / 2) * (LabelHeight + 1);
                    if (Free(Box(lx0 + dx, ly0 + dy)))
                    {
                        (lx, ly, found) = (lx0 + dx, ly0 + dy, true);
                    }
                }

                if (found)
                {
                    break;
                }
            }

            placedLabels.Add(Box(lx, ly));
            sb.Append(CultureInfo.InvariantCulture, $"<g class=\"transition{(isTaken ? " taken" : string.Empty)}\" data-from=\"{E(from)}\" data-to=\"{E(to)}\"><title>{E(StateTitle(definition, from, language))} → {E(StateTitle(definition, to, language))}: {E(labels)}</title>");
            sb.Append(CultureInfo.InvariantCulture, $"<path d=\"{d}\" fill=\"none\" stroke=\"{(isTaken ? "#0b6623" : "#8a8a8a")}\" stroke-width=\"{(isTaken ? "3" : "1.3")}\" marker-end=\"url(#{E(id)}-arrow{(isTaken ? "-taken" : string.Empty)})\"/>");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{F(lx)}\" y=\"{F(ly)}\" font-size=\"10\" text-anchor=\"middle\" fill=\"{(isTaken ? "#0b4619" : "#3d3d3d")}\" stroke=\"#ffffff\" stroke-width=\"3\" paint-order=\"stroke\">{E(text)}</text></g>\n");
        }

        sb.Append("</g>\n<g class=\"states\">\n");
        foreach (var s in definition.States)
        {
            var (x, y) = pos[s.Id];
            var isCurrent = s.Id == current;
            var wasVisited = visited.Contains(s.Id);
            var isParent = children.ContainsKey(s.Id);
            var fill = isCurrent ? "#ffe615" : wasVisited ? "#dcefdc" : isParent ? "#eef1f6" : "#ffffff";
            var stroke = isCurrent ? "#1a1a1a" : wasVisited ? "#0b6623" : "#6b6b6b";
            var status = language == "en"
                ? isCurrent ? " (current state)" : wasVisited ? " (passed)" : string.Empty
                : isCurrent ? " (huidige status)" : wasVisited ? " (doorlopen)" : string.Empty;
            sb.Append(CultureInfo.InvariantCulture, $"<g class=\"state{(isCurrent ? " current" : string.Empty)}{(wasVisited ? " visited" : string.Empty)}\" data-state=\"{E(s.Id)}\"{(isCurrent ? " aria-current=\"step\"" : string.Empty)}><title>{E(StateTitle(definition, s.Id, language) + status)}</title>");
            sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{F(x)}\" y=\"{F(y)}\" width=\"{NodeWidth}\" height=\"{NodeHeight}\" rx=\"{(s.Terminal ? 22 : 8)}\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"{(isCurrent ? 3 : wasVisited ? 2 : 1.2)}\"{(isParent ? " stroke-dasharray=\"5 3\"" : string.Empty)}/>");
            var lines = Wrap(Label(s), 26);
            var baseY = y + (NodeHeight / 2.0) - ((lines.Count - 1) * 7) + 4;
            for (var i = 0; i < lines.Count; i++)
            {
                sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{F(x + (NodeWidth / 2.0))}\" y=\"{F(baseY + (i * 14))}\" font-size=\"12\" text-anchor=\"middle\" fill=\"#1a1a1a\"{(isCurrent ? " font-weight=\"bold\"" : string.Empty)}>{E(lines[i])}</text>");
            }

            if (s.Parent is not null && pos.ContainsKey(s.Parent))
            {
                sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{F(x + 6)}\" y=\"{F(y + NodeHeight - 4)}\" font-size=\"9\" fill=\"#4a4a4a\">↳ {E(Shorten(Label(definition.FindState(s.Parent)!), 30))}</text>");
            }

            sb.Append("</g>\n");
        }

        sb.Append("</g>\n</svg>\n");
        return sb.ToString();
    }

    private static string StateTitle(WorkflowDefinition d, string state, string language) => d.FindState(state)?.Label?.For(language) ?? state;

    private static List<string> Wrap(string text, int max)
    {
        var lines = new List<string>();
        var line = new StringBuilder();
        foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.Length > 0 && line.Length + 1 + word.Length > max)
            {
                lines.Add(line.ToString());
                line.Clear();
            }

            if (line.Length > 0)
            {
                line.Append(' ');
            }

            line.Append(word);
        }

        if (line.Length > 0)
        {
            lines.Add(line.ToString());
        }

        if (lines.Count > 2)
        {
            lines = [lines[0], Shorten(string.Join(' ', lines.Skip(1)), max)];
        }

        return lines;
    }

    private static string Shorten(string s, int max) => s.Length <= max ? s : s[..(max - 1)] + "…";

    private static string E(string s) => WebUtility.HtmlEncode(s);

    private static string F(double v) => v.ToString("0.#", CultureInfo.InvariantCulture);

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
