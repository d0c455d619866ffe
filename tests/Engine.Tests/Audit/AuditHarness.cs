using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using SubsidyEngine.Engine.Audit;
using SubsidyEngine.Engine.Hosting;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Engine.Tests.Programmes;
using SubsidyEngine.Engine.Tests.Runtime;
using SubsidyEngine.Testing;
using SubsidyEngine.Workflows.Expressions;
using SubsidyEngine.Workflows.Loading;

namespace SubsidyEngine.Engine.Tests.Audit;

/// <summary>
/// A runtime with a tiny grant workflow that uses real letter templates, the tiny cycle, and the built-in
/// system/audit workflow (from workflows/system), plus the audit services.
/// </summary>
public sealed partial class AuditHarness
{
    /// <summary>submitted -> approved (letter, deadline) -> closed (deadline met, notice).</summary>
    public const string Grant = """
    {
      "id": "test/grant",
      "version": 1,
      "initial": "submitted",
      "creation": { "roles": ["officer", "municipality"], "parameters": [ { "name": "amount", "type": "decimal" }, { "name": "owner", "type": "string" }, { "name": "parent", "type": "string" } ] },
      "states": [ { "id": "submitted" }, { "id": "approved" }, { "id": "closed", "terminal": true } ],
      "triggers": [ { "id": "approve", "parameters": [ { "name": "amount", "type": "decimal", "required": true } ] }, { "id": "report" } ],
      "transitions": [
        { "from": "submitted", "trigger": "approve", "to": "approved", "roles": ["officer"], "assign": { "approvedAmount": "args.amount" },
          "effects": [ { "letter": "award-decision" }, { "deadline": { "kind": "report", "after": "P30D" } } ] },
        { "from": "approved", "trigger": "report", "to": "closed", "roles": ["officer", "municipality"], "effects": [ { "clearDeadline": "report" }, { "notice": "closure" } ] }
      ]
    }
    """;

    public AuditHarness(PostgresDatabase db)
    {
        Db = db;
        var problems = new List<LoadProblem>();
        var audit = File.ReadAllBytes(Path.Combine(ProgrammeHarness.RepoRoot, "workflows", "system", "audit.v1.json"));
        var defs = new[]
        {
            DefinitionLoader.LoadDefinition(Encoding.UTF8.GetBytes(Grant), "test/grant.v1.json", problems)!,
            DefinitionLoader.LoadDefinition(Encoding.UTF8.GetBytes(TinyDefinitions.Cycle), "test/cycle.v1.json", problems)!,
            DefinitionLoader.LoadDefinition(audit, "system/audit.v1.json", problems)!,
        };
        if (problems.Count > 0)
        {
            throw new LoadProblemsException(problems);
        }

        Catalog = WorkflowCatalog.FromDefinitions(defs, RuntimeHarness.DefaultRules(), LetterTemplateDirectory.Default);
        Runtime = new WorkflowRuntime(db.DataSource, Catalog, new DefinitionStore(db.DataSource, Clock), Clock);
        Journal = new JournalStore(db.DataSource);
        Replayer = new Replayer(db.DataSource, Catalog, Journal);
        TimeTravel = new TimeTravel(Catalog, Journal);
        Checkpoints = new CheckpointService(db.DataSource, Clock, Runtime) { AuditorsAddress = "audit@vlaanderen.example" };
        Export = new ExportBundle(db.DataSource, Clock);
    }

    public PostgresDatabase Db { get; }

    /// <summary>10:00 Brussels summer time.</summary>
    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 6, 1, 8, 0, 0, TimeSpan.Zero));

    public WorkflowCatalog Catalog { get; }

    public WorkflowRuntime Runtime { get; }

    public JournalStore Journal { get; }

    public Replayer Replayer { get; }

    public TimeTravel TimeTravel { get; }

    public CheckpointService Checkpoints { get; }

    public ExportBundle Export { get; }

    public static Actor Officer { get; } = new("officer-1", "officer");

    /// <summary>A call-like dossier (cycle), two grants under it, one unrelated grant; 10 events in all.</summary>
    public async Task<(Guid Call, Guid Grant1, Guid Grant2, Guid Other)> SeedAsync()
    {
        var call = (await Runtime.CreateAsync(new CreateRequest("test/cycle", new JsonObject(), Officer))).DossierId;
        Clock.Advance(TimeSpan.FromMinutes(5));
        await Runtime.FireAsync(new FireRequest(call, "next", null, Officer));
        var g1 = (await Runtime.CreateAsync(new CreateRequest("test/grant", new JsonObject { ["amount"] = 12.50m, ["owner"] = "Sint-Niklaas \"Ω\" \\ é", ["parent"] = call.ToString("D") }, Officer))).DossierId;
        var g2 = (await Runtime.CreateAsync(new CreateRequest("test/grant", new JsonObject { ["amount"] = 7000m, ["parent"] = call.ToString("D") }, Officer))).DossierId;
        var other = (await Runtime.CreateAsync(new CreateRequest("test/grant", new JsonObject { ["amount"] = 1m }, Officer))).DossierId;
        Clock.Advance(TimeSpan.FromHours(1));
        await Runtime.FireAsync(new FireRequest(g1, "approve", new JsonObject { ["amount"] = 12.50m }, Officer));
        await Runtime.FireAsync(new FireRequest(g2, "approve", new JsonObject { ["amount"] = 6500m }, Officer));
        Clock.Advance(TimeSpan.FromHours(1));
        await Runtime.FireAsync(new FireRequest(g1, "report", null, Officer));
        await Runtime.FireAsync(new FireRequest(call, "next", null, Officer));
        await Runtime.FireAsync(new FireRequest(call, "next", null, Officer));
        return (call, g1, g2, other);
    }

    public async Task ExecuteAsSuperuserBypassingTriggersAsync(string sql)
    {
        await using var conn = await Db.DataSource.OpenConnectionAsync();
        await using var cmd = new NpgsqlCommand("SET session_replication_role = replica; " + sql + "; SET session_replication_role = origin;", conn);
        await cmd.ExecuteNonQueryAsync();
    }

    public async Task<long> CountAsync(string sql)
    {
        await using var cmd = Db.DataSource.CreateCommand(sql);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    [GeneratedRegex("```(?<lang>bash|python)\\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex CodeBlock();

    /// <summary>The bundle recipe of docs/audit.md: its sha256sum command and its Python script, literally.</summary>
    public static (string ShaCommand, string Script) BundleRecipe()
    {
        var doc = File.ReadAllText(Path.Combine(ProgrammeHarness.RepoRoot, "docs", "audit.md"));
        var blocks = CodeBlock().Matches(doc).Select(m => (Lang: m.Groups["lang"].Value, Code: m.Groups["code"].Value)).ToList();
        var sha = blocks.Single(b => b.Lang == "bash" && b.Code.Contains("sha256sum -c", StringComparison.Ordinal)).Code;
        var script = blocks.Single(b => b.Lang == "python" && b.Code.Contains("checkpoint-heads.txt", StringComparison.Ordinal)).Code;
        return (sha, script);
    }

    public static (int Code, string Output) Run(string file, string workDir, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = workDir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result + stderr.Result);
    }
}
