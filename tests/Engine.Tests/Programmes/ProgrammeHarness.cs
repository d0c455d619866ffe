using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using SubsidyEngine.Engine.Hosting;
using SubsidyEngine.Engine.Programmes;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Testing;
using SubsidyEngine.Workflows.Expressions;

namespace SubsidyEngine.Engine.Tests.Programmes;

/// <summary>The real workflows, programme data, authority register and letter templates over a test database.</summary>
public sealed class ProgrammeHarness
{
    public static string RepoRoot { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SubsidyEngine.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("repository root");
    }

    public static ProgrammeCatalog Programmes { get; } = ProgrammeCatalog.Load(
        Path.Combine(RepoRoot, "workflows"), Path.Combine(RepoRoot, "data", "authorities", "flemish-authorities-demo.csv"));

    public static WorkflowCatalog LoadCatalog() =>
        WorkflowCatalog.Load(Path.Combine(RepoRoot, "workflows"), ProgrammeRules.Create(Programmes), LetterTemplateDirectory.Default);

    public ProgrammeHarness(PostgresDatabase db, DateTimeOffset start)
    {
        Clock = new FakeTimeProvider(start);
        Catalog = LoadCatalog();
        Runtime = new WorkflowRuntime(db.DataSource, Catalog, new DefinitionStore(db.DataSource, Clock), Clock);
        Service = new ProgrammeService(Runtime, Programmes, db.DataSource);
        Replayer = new Replayer(db.DataSource, Catalog, new JournalStore(db.DataSource));
        Migrator = new DefinitionMigrator(db.DataSource, Catalog, new DefinitionStore(db.DataSource, Clock), Clock);
        Sweeper = new DeadlineSweeper(db.DataSource, Runtime, Clock);
    }

    public FakeTimeProvider Clock { get; }

    public WorkflowCatalog Catalog { get; }

    public WorkflowRuntime Runtime { get; }

    public ProgrammeService Service { get; }

    public Replayer Replayer { get; }

    public DefinitionMigrator Migrator { get; }

    public DeadlineSweeper Sweeper { get; }

    public static Actor Officer { get; } = new("officer-anna", "officer");

    public static Actor Municipality(string authority) => new($"user-{authority}", "municipality");

    /// <summary>An application table: (action code, planned reach, priority), with 1:1 local contribution.</summary>
    public static JsonObject Application(params (string Action, int Planned, int Priority, decimal Rate)[] rows) => new()
    {
        ["rows"] = new JsonArray(rows.Select(r => (JsonNode)new JsonObject
        {
            ["action"] = r.Action,
            ["currentReach"] = 0,
            ["plannedAdditionalReach"] = r.Planned,
            ["priority"] = r.Priority,
            ["localContributionEur"] = r.Planned * r.Rate,
        }).ToArray()),
    };

    public Task<FireResult> FireAsync(Guid id, string trigger, JsonObject? args, Actor actor) =>
        Runtime.FireAsync(new FireRequest(id, trigger, args ?? [], actor));
}
