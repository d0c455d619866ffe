using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using SubsidyEngine.Engine.Audit;
using SubsidyEngine.Engine.Hosting;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Engine.Programmes;
using SubsidyEngine.Engine.Programmes.Model;
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

    public static WorkflowCatalog LoadCatalog(Templates.LetterCatalog? letters = null) =>
        WorkflowCatalog.Load(Path.Combine(RepoRoot, "workflows"), ProgrammeRules.Create(Programmes),
            letters is null ? LetterTemplateDirectory.Default : LetterTemplateDirectory.From(letters));

    /// <param name="db">The test database.</param>
    /// <param name="start">The fake clock's start.</param>
    /// <param name="letters">The letter templates new notices may name (default: the shipped ones).</param>
    public ProgrammeHarness(PostgresDatabase db, DateTimeOffset start, Templates.LetterCatalog? letters = null)
    {
        Clock = new FakeTimeProvider(start);
        Catalog = LoadCatalog(letters);
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

    public static Actor Municipality(string authority) => new($"user-{authority}", "municipality") { Authority = authority };

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

    /// <summary>The officer opens the call's dossier and its application window (as the sweep would on the opening date).</summary>
    public async Task<Guid> OpenCallWindowAsync(string programme, string callId)
    {
        var call = await Service.OpenCallAsync(programme, callId, Officer);
        await FireAsync(call.DossierId, "open-window", null, Officer);
        return call.DossierId;
    }

    /// <summary>
    /// The 2023 call opened, Genk (71016) applying in cooperation with As (71002) for two actions, found eligible,
    /// allocated and awarded: an acknowledgement and an award decision are waiting in the outbox.
    /// </summary>
    public async Task<(Guid Call, Guid Application)> AwardedCooperationAsync(Func<Task>? whileOpen = null)
    {
        var officer = Officer;
        var genk = Municipality("71016");
        var call = await Service.OpenCallAsync("plan-samenleven", "2023", officer);
        await FireAsync(call.DossierId, "open-window", null, officer);
        var app = await Service.StartApplicationAsync("plan-samenleven", "2023", "71016", ["71002"], genk);
        await FireAsync(app.DossierId, "save-draft", new JsonObject { ["application"] = Application(("2.1", 500, 1, 60m), ("5.4", 100, 2, 320m)), ["participants"] = new JsonArray("71002") }, genk);
        await FireAsync(app.DossierId, "submit", null, genk);
        await Service.DecideEligibilityAsync(app.DossierId, true, null, officer);
        if (whileOpen is not null)
        {
            await whileOpen(); // other applications, while the window is open
        }

        await FireAsync(call.DossierId, "close-window", null, officer);
        await FireAsync(call.DossierId, "start-allocation", null, officer);
        await Service.ConfirmAllocationAsync(call.DossierId, officer);
        await FireAsync(app.DossierId, "award", null, officer);
        return (call.DossierId, app.DossierId);
    }
}
