using SubsidyEngine.Engine.Diagrams;
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
    public void Every_deadline_kind_of_every_shipped_definition_has_a_Dutch_and_English_name_for_people()
    {
        var catalog = ProgrammeHarness.LoadCatalog();
        var unnamed = new List<string>();
        foreach (var wf in catalog.All)
        {
            var kinds = wf.Definition.Transitions.SelectMany(t => t.Effects).Concat(wf.Definition.Creation?.Effects ?? [])
                .Where(e => e.Deadline is not null).Select(e => e.Deadline!.Kind).Distinct(StringComparer.Ordinal);
            foreach (var kind in kinds)
            {
                var label = Workflows.Calendar.DeadlineLabels.For(kind, wf.Definition);
                if (ReferenceEquals(label, Workflows.Calendar.DeadlineLabels.Unnamed) || label.Nl.Contains(kind, StringComparison.Ordinal)
                    || string.IsNullOrWhiteSpace(label.En))
                {
                    unnamed.Add($"{wf.Definition.Id} v{wf.Definition.Version}: {kind}");
                }
            }
        }

        Assert.True(unnamed.Count == 0, "Deadline kinds without a name for people: " + string.Join(", ", unnamed));
    }

    [Fact]
    public void A_new_definition_with_a_deadline_kind_nobody_named_is_refused_at_load()
    {
        var root = Path.Combine(Path.GetTempPath(), "subsidy-wf-" + Guid.NewGuid().ToString("N"));
        try
        {
            CopyFolder(Path.Combine(ProgrammeHarness.RepoRoot, "workflows"), root);
            var v4 = Path.Combine(root, "plan-samenleven", "dossier.v4.json");
            var text = File.ReadAllText(v4);
            const string Reaction = "{\"deadline\": {\"kind\": \"reaction\",";
            Assert.Contains(Reaction, text, StringComparison.Ordinal);
            File.WriteAllText(v4, text.Replace(Reaction, "{\"deadline\": {\"kind\": \"site-visit\",", StringComparison.Ordinal));

            var result = DefinitionLoader.LoadFolder(root,
                WorkflowCatalog.Validator(Hosting.ProgrammeRules.Create(ProgrammeHarness.Programmes), Hosting.LetterTemplateDirectory.Default));

            Assert.Contains(result.Problems, p => p.ToString().Contains("deadline.label", StringComparison.Ordinal) && p.ToString().Contains("site-visit", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void A_broken_definition_and_a_broken_programme_file_in_one_folder_are_reported_together_in_the_same_shape()
    {
        var root = Path.Combine(Path.GetTempPath(), "subsidy-wf-" + Guid.NewGuid().ToString("N"));
        try
        {
            CopyFolder(Path.Combine(ProgrammeHarness.RepoRoot, "workflows"), root);
            var v4 = Path.Combine(root, "plan-samenleven", "dossier.v4.json");
            var definition = File.ReadAllText(v4);
            const string Reaction = "{\"deadline\": {\"kind\": \"reaction\",";
            Assert.Contains(Reaction, definition, StringComparison.Ordinal);
            File.WriteAllText(v4, definition.Replace(Reaction, "{\"deadline\": {\"kind\": \"site-visit\",", StringComparison.Ordinal));
            var call = Path.Combine(root, "plan-samenleven", "calls", "2023.json");
            var data = File.ReadAllText(call);
            const string Budget = "\"budget\": {";
            Assert.Contains(Budget, data, StringComparison.Ordinal);
            File.WriteAllText(call, data.Replace(Budget, "\"budget\": { \"colour\": \"red\",", StringComparison.Ordinal));

            var thrown = Assert.Throws<LoadProblemsException>(() => Hosting.WorkflowFiles.Load(root,
                Path.Combine(ProgrammeHarness.RepoRoot, "data", "authorities", "flemish-authorities-demo.csv"), Hosting.LetterTemplateDirectory.Default));

            // One list, one shape: the file relative to the workflows folder, a JSON path, a message.
            Assert.Contains(thrown.Problems, p => p.File == "plan-samenleven/calls/2023.json" && p.Path == "$.budget.colour"
                                                  && p.Message == "is not a known property here");
            Assert.Contains(thrown.Problems, p => p.File == "plan-samenleven/dossier.v4.json" && p.Path.StartsWith("$.", StringComparison.Ordinal)
                                                  && p.Message.Contains("site-visit", StringComparison.Ordinal));
            Assert.Contains("plan-samenleven/calls/2023.json: $.budget.colour: is not a known property here", thrown.Message, StringComparison.Ordinal);
            Assert.Contains("plan-samenleven/dossier.v4.json: $.", thrown.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(dir.Replace(from, to, StringComparison.Ordinal));
        }

        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, file.Replace(from, to, StringComparison.Ordinal));
        }
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

        // Every generated file: the Markdown page and the SVG diagram of each version, the changes between versions.
        var stale = new List<string>();
        foreach (var (name, content) in DiagramWriter.Files(catalog))
        {
            var path = Path.Combine(folder, name);
            if (!File.Exists(path) || File.ReadAllText(path) != content)
            {
                stale.Add(name);
            }
        }

        Assert.True(stale.Count == 0,
            $"Stale or missing diagrams in docs/workflows: {string.Join(", ", stale)}. Regenerate with `UPDATE_DIAGRAMS=1 dotnet test tests/Engine.Tests --filter The_committed_workflow_diagrams_are_up_to_date` or `dotnet run --project src/Api -- diagrams`.");
    }

    [Fact]
    public void The_committed_permission_table_is_up_to_date()
    {
        var catalog = ProgrammeHarness.LoadCatalog();
        var path = Path.Combine(ProgrammeHarness.RepoRoot, "docs", "workflows", PermissionTable.FileName);
        if (Environment.GetEnvironmentVariable("UPDATE_DIAGRAMS") == "1")
        {
            DiagramWriter.WriteAll(catalog, Path.GetDirectoryName(path)!);
        }

        Assert.True(File.Exists(path) && File.ReadAllText(path) == PermissionTable.Render(catalog),
            $"docs/workflows/{PermissionTable.FileName} is stale or missing. Regenerate with `UPDATE_DIAGRAMS=1 dotnet test tests/Engine.Tests --filter The_committed_permission_table_is_up_to_date` or `dotnet run --project src/Api -- diagrams`.");
    }

    [Fact]
    public void The_permission_table_is_the_runtimes_answer_participants_fire_nothing_and_the_owner_acts_on_the_latest_application()
    {
        var catalog = ProgrammeHarness.LoadCatalog();
        var column = PermissionTable.Columns.Select(c => c.Header).ToList();
        int participant = column.IndexOf("municipality: participant"), owner = column.IndexOf("municipality: owner"),
            other = column.IndexOf("other municipality"), auditor = column.IndexOf("auditor"), officer = column.IndexOf("officer, admin");
        foreach (var wf in catalog.All)
        {
            for (var i = 0; i < wf.Definition.Transitions.Count; i++)
            {
                var t = wf.Definition.Transitions[i];
                Assert.False(PermissionTable.Allows(wf, i, participant), $"{wf.Definition.Key} {t.Trigger}: a participant may not fire (DOMAIN.md §2-3)");
                Assert.False(PermissionTable.Allows(wf, i, other), $"{wf.Definition.Key} {t.Trigger}: an unrelated municipality may not fire");
                Assert.False(PermissionTable.Allows(wf, i, auditor), $"{wf.Definition.Key} {t.Trigger}: an auditor changes nothing");
            }
        }

        // What the submitting authority and the officer may do on the latest application dossier, as the runtime says.
        var latest = catalog.Latest("plan-samenleven/dossier");
        bool May(string trigger, int c) => latest.Definition.Transitions.Select((t, i) => (t, i)).Where(x => x.t.Trigger == trigger).Any(x => PermissionTable.Allows(latest, x.i, c));
        foreach (var trigger in new[] { "save-draft", "submit", "withdraw", "answer-information", "report-interim", "report-final", "react" })
        {
            Assert.True(May(trigger, owner), $"the owner fires {trigger}");
        }

        foreach (var trigger in new[] { "declare-eligible", "award", "settle", "close", "extend" })
        {
            Assert.False(May(trigger, owner), $"the owner does not fire {trigger}");
            Assert.True(May(trigger, officer), $"the officer fires {trigger}");
        }

        Assert.True(PermissionTable.MayCreate(latest, owner));
        Assert.False(PermissionTable.MayCreate(latest, auditor));
        Assert.False(PermissionTable.MayCreate(latest, participant)); // not a dossier owned by another authority

        var text = PermissionTable.Render(catalog);
        Assert.Contains("| `save-draft` | `draft` → · | `municipality:owner`, `officer` | yes | yes | - | - | - | - |", text, StringComparison.Ordinal);
    }
}
