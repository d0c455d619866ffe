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
}
