using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Workflows.Loading;

namespace SubsidyEngine.Engine.Tests.Programmes;

public sealed class WorkflowFilesTests
{
    [Fact]
    public void Every_workflow_file_loads_and_validates_with_all_problems_reported_at_once()
    {
        var result = DefinitionLoader.LoadFolder(Path.Combine(ProgrammeHarness.RepoRoot, "workflows"),
            WorkflowCatalog.Validator(Hosting.ProgrammeRules.Create(ProgrammeHarness.Programmes), Hosting.LetterTemplateDirectory.Default));

        Assert.True(result.Problems.Count == 0, string.Join("\n", result.Problems));
        Assert.Contains(result.Definitions, d => d.Key == "plan-samenleven/dossier@v1");
        Assert.Contains(result.Definitions, d => d.Key == "plan-samenleven/dossier@v2");
        Assert.Contains(result.Definitions, d => d.Key == "plan-samenleven/call@v1");
        Assert.Contains(result.Definitions, d => d.Key == "oefenkansen-nederlands/dossier@v1");
        Assert.Contains(result.Migrations, m => m.Id == "plan-samenleven-extension-2025");
    }

    [Fact]
    public void The_committed_workflow_diagrams_are_up_to_date()
    {
        var catalog = ProgrammeHarness.LoadCatalog();
        var folder = Path.Combine(ProgrammeHarness.RepoRoot, "docs", "workflows");
        if (Environment.GetEnvironmentVariable("UPDATE_DIAGRAMS") == "1")
        {
            DiagramWriter.WriteAll(catalog, folder);
        }

        var stale = new List<string>();
        foreach (var wf in catalog.All)
        {
            var path = Path.Combine(folder, DiagramWriter.FileName(wf));
            if (!File.Exists(path) || File.ReadAllText(path) != DiagramWriter.Render(wf))
            {
                stale.Add(DiagramWriter.FileName(wf));
            }
        }

        Assert.True(stale.Count == 0,
            $"Stale or missing diagrams in docs/workflows: {string.Join(", ", stale)}. Regenerate with `UPDATE_DIAGRAMS=1 dotnet test tests/Engine.Tests --filter The_committed_workflow_diagrams_are_up_to_date` or `dotnet run --project src/Api -- diagrams`.");
    }
}
