using SubsidyEngine.Engine.Diagrams;
using SubsidyEngine.Engine.Runtime;

namespace SubsidyEngine.Engine.Tests.Runtime;

public sealed class DiagramTests
{
    [Fact]
    public void A_generated_diagram_holds_every_state_and_transition()
    {
        var catalog = WorkflowCatalog.FromDefinitions(
            [Workflows.Loading.DefinitionLoader.LoadDefinition(System.Text.Encoding.UTF8.GetBytes(TinyDefinitions.Abc), "test/abc.v1.json", [])!],
            RuntimeHarness.DefaultRules(), new FixedTemplates("letter-a", "notice-a"));

        var text = DiagramWriter.Render(catalog.Latest("test/abc"));

        Assert.Contains("```mermaid", text, StringComparison.Ordinal);
        Assert.Contains("stateDiagram-v2", text, StringComparison.Ordinal);
        Assert.Contains("A --> B1", text, StringComparison.Ordinal);
        Assert.Contains("B --> C", text, StringComparison.Ordinal);
        Assert.Contains("state B {", text, StringComparison.Ordinal);
    }
}

public sealed class StateDiagramSvgTests
{
    private static Workflows.Model.WorkflowDefinition Load(string programme, string file) =>
        Workflows.Loading.DefinitionLoader.LoadDefinition(File.ReadAllBytes(Path.Combine(Programmes.ProgrammeHarness.RepoRoot, "workflows", programme, file)), $"{programme}/{file}", [])!;

    [Fact]
    public void The_svg_draws_every_state_with_its_label_and_highlights_the_path_and_the_current_state()
    {
        var d = Load("plan-samenleven", "dossier.v4.json");
        var path = new DiagramPath(["draft", "submitted", "eligible"], [("draft", "submit", "submitted"), ("submitted", "declare-eligible", "eligible")]);

        var svg = StateDiagramSvg.Render(d, "nl", path);

        var xml = System.Xml.Linq.XDocument.Parse(svg); // well-formed XML
        var ns = (System.Xml.Linq.XNamespace)"http://www.w3.org/2000/svg";
        Assert.Equal("img", xml.Root!.Attribute("role")!.Value);
        var states = xml.Descendants(ns + "g").Where(g => (string?)g.Attribute("class") is { } c && (c == "state" || c.StartsWith("state ", StringComparison.Ordinal))).ToList();
        Assert.Equal(d.States.Count, states.Count);
        Assert.Contains("Ingediend", svg, StringComparison.Ordinal);
        var current = Assert.Single(states, g => ((string)g.Attribute("class")!).Contains("current", StringComparison.Ordinal));
        Assert.Equal("eligible", current.Attribute("data-state")!.Value);
        Assert.Equal(3, states.Count(g => ((string)g.Attribute("class")!).Contains("visited", StringComparison.Ordinal)));
        var taken = xml.Descendants(ns + "g").Where(g => (string?)g.Attribute("class") == "transition taken").ToList();
        Assert.Equal(2, taken.Count);
        Assert.Contains(taken, g => g.Attribute("data-from")!.Value == "submitted" && g.Attribute("data-to")!.Value == "eligible");
    }

    [Fact]
    public void The_diff_of_two_versions_names_the_states_and_transitions_added_removed_and_changed()
    {
        var v2 = Load("plan-samenleven", "dossier.v2.json");
        var v4 = Load("plan-samenleven", "dossier.v4.json");

        var diff = DefinitionDiff.Compare(v2, v4);
        var same = DefinitionDiff.Compare(v4, v4);

        Assert.True(same.IsEmpty);
        Assert.False(diff.IsEmpty);
        // The extension's label lost its fixed date (the page renders the dossier's own date instead).
        var extended = Assert.Single(diff.States, c => c.Subject == "extended");
        Assert.Equal("changed", extended.Kind);
        Assert.Contains(extended.Details, x => x.StartsWith("label: Verlengd tot 31 december 2025", StringComparison.Ordinal));
        Assert.All(diff.Transitions, c => Assert.Contains(c.Kind, new[] { "added", "removed", "changed" }));
        var markdown = DefinitionDiff.Markdown([diff], v4.Id);
        Assert.Contains("## v2 → v4", markdown, StringComparison.Ordinal);
    }

    /// <summary>
    /// Issue 20: the arrows' labels of every shipped definition, in both languages, keep apart: no two label boxes
    /// intersect, and no label lies on a state. A label's box is its text's width (<see cref="StateDiagramSvg.LabelCharWidth"/>
    /// per character at font size 10, a conservative Arial average) by its line height, around its anchor.
    /// </summary>
    [Theory]
    [InlineData("nl")]
    [InlineData("en")]
    public void No_two_labels_of_a_shipped_diagram_overlap_and_no_label_covers_a_state(string language)
    {
        var ns = (System.Xml.Linq.XNamespace)"http://www.w3.org/2000/svg";
        static double D(System.Xml.Linq.XElement e, string a) => double.Parse(e.Attribute(a)!.Value, System.Globalization.CultureInfo.InvariantCulture);
        var problems = new List<string>();
        var files = Directory.GetFiles(Path.Combine(Programmes.ProgrammeHarness.RepoRoot, "workflows"), "*.v*.json", SearchOption.AllDirectories)
            .Where(f => !f.Contains(Path.DirectorySeparatorChar + "migrations" + Path.DirectorySeparatorChar, StringComparison.Ordinal)
                        && !f.Contains(Path.DirectorySeparatorChar + "calls" + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            .ToList();
        Assert.True(files.Count >= 6, "shipped definitions found: " + files.Count);
        foreach (var file in files)
        {
            var programme = Path.GetFileName(Path.GetDirectoryName(file)!);
            var d = Load(programme, Path.GetFileName(file));
            var xml = System.Xml.Linq.XDocument.Parse(StateDiagramSvg.Render(d, language));
            var labels = xml.Descendants(ns + "g").Where(g => (string?)g.Attribute("class") is { } c && (c == "transition" || c.StartsWith("transition ", StringComparison.Ordinal)))
                .Select(g => (Name: (string)g.Attribute("data-from")! + "->" + (string)g.Attribute("data-to")!, Text: g.Element(ns + "text")!))
                .Select(l =>
                {
                    var w = l.Text.Value.Length * StateDiagramSvg.LabelCharWidth;
                    return (l.Name, X: D(l.Text, "x") - (w / 2), Y: D(l.Text, "y") - 9, W: w, H: 12.0);
                })
                .ToList();
            var states = xml.Descendants(ns + "g").Where(g => (string?)g.Attribute("class") is { } c && (c == "state" || c.StartsWith("state ", StringComparison.Ordinal)))
                .Select(g => (Name: (string)g.Attribute("data-state")!, Rect: g.Element(ns + "rect")!))
                .Select(s => (s.Name, X: D(s.Rect, "x"), Y: D(s.Rect, "y"), W: D(s.Rect, "width"), H: D(s.Rect, "height")))
                .ToList();
            static bool Cross((string, double X, double Y, double W, double H) a, (string, double X, double Y, double W, double H) b) =>
                a.X < b.X + b.W && b.X < a.X + a.W && a.Y < b.Y + b.H && b.Y < a.Y + a.H;
            for (var i = 0; i < labels.Count; i++)
            {
                for (var j = i + 1; j < labels.Count; j++)
                {
                    if (Cross(labels[i], labels[j]))
                    {
                        problems.Add($"{programme}/{Path.GetFileName(file)} ({language}): label {labels[i].Name} overlaps label {labels[j].Name}");
                    }
                }

                foreach (var s in states.Where(s => Cross(labels[i], s)))
                {
                    problems.Add($"{programme}/{Path.GetFileName(file)} ({language}): label {labels[i].Name} covers state {s.Name}");
                }
            }
        }

        Assert.True(problems.Count == 0, $"{problems.Count} overlaps:\n" + string.Join("\n", problems));
    }
}
