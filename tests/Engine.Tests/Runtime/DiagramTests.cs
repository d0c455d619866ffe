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
