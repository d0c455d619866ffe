using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using SubsidyEngine.Engine.Audit;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Testing;
using SubsidyEngine.Workflows.Expressions;
using SubsidyEngine.Workflows.Loading;
using SubsidyEngine.Workflows.Model;

namespace SubsidyEngine.Engine.Tests.Runtime;

/// <summary>Letter templates for engine tests: a fixed set of ids, all at version 1.</summary>
public sealed class FixedTemplates(params string[] ids) : ILetterTemplates
{
    public bool Exists(string templateId) => ids.Contains(templateId);

    public int LatestVersion(string templateId) => Exists(templateId) ? 1 : throw new InvalidOperationException(templateId);
}

/// <summary>A runtime over a test database with tiny made-up definitions and a fake clock.</summary>
public sealed class RuntimeHarness
{
    public RuntimeHarness(PostgresDatabase db, string[] definitionsJson, RuleRegistry? rules = null, MigrationSpec[]? migrations = null)
        : this(db.DataSource, definitionsJson, rules, migrations)
    {
        Db = db;
    }

    /// <summary>A harness over any database (e.g. one migrated only up to a given migration).</summary>
    public RuntimeHarness(NpgsqlDataSource dataSource, string[] definitionsJson, RuleRegistry? rules = null, MigrationSpec[]? migrations = null, DateTimeOffset? start = null)
    {
        DataSource = dataSource;
        Clock = new FakeTimeProvider(start ?? new DateTimeOffset(2023, 5, 26, 9, 0, 0, TimeSpan.Zero));
        Rules = rules ?? DefaultRules();
        var problems = new List<LoadProblem>();
        var defs = definitionsJson.Select((json, i) => DefinitionLoader.LoadDefinition(Encoding.UTF8.GetBytes(json), $"test-{i}.json", problems)!).ToList();
        if (problems.Count > 0)
        {
            throw new LoadProblemsException(problems);
        }

        Catalog = WorkflowCatalog.FromDefinitions(defs, Rules, new FixedTemplates("letter-a", "notice-a"), migrations);
        Store = new DefinitionStore(dataSource, Clock);
        Runtime = new WorkflowRuntime(dataSource, Catalog, Store, Clock);
        Journal = new JournalStore(dataSource);
        Replayer = new Replayer(dataSource, Catalog, Journal);
        Sweeper = new DeadlineSweeper(dataSource, Runtime, Clock);
        Migrator = new DefinitionMigrator(dataSource, Catalog, Store, Clock);
    }

    /// <summary>The test class's database fixture (null for a harness made over a data source).</summary>
    public PostgresDatabase Db { get; } = null!;

    public NpgsqlDataSource DataSource { get; }

    public FakeTimeProvider Clock { get; }

    public RuleRegistry Rules { get; }

    public WorkflowCatalog Catalog { get; }

    public DefinitionStore Store { get; }

    public WorkflowRuntime Runtime { get; }

    public JournalStore Journal { get; }

    public Replayer Replayer { get; }

    public DeadlineSweeper Sweeper { get; }

    public DefinitionMigrator Migrator { get; }

    public static Actor Officer { get; } = new("officer-1", "officer");

    public static Actor Municipality { get; } = new("genk", "municipality");

    /// <summary>Rules used by the tiny test machines.</summary>
    public static RuleRegistry DefaultRules() => new RuleRegistry()
        .Guard("test.amount-positive", ctx =>
            ValueResolver.TryGetDecimal(ctx.Data["amount"], out var a) && a > 0
                ? RuleOutcome.Pass()
                : RuleOutcome.Fail(new Reason("amount.not-positive", "Het bedrag moet groter zijn dan nul.", "The amount must be greater than zero.")))
        .Guard("test.always", _ => RuleOutcome.Pass())
        .Computation("test.double", ctx => ValueResolver.TryGetDecimal(ctx.Data["amount"], out var a) ? JsonValue.Create(a * 2) : null);

    public Task<FireResult> CreateAsync(string workflow, JsonObject? data = null, Actor? actor = null) =>
        Runtime.CreateAsync(new CreateRequest(workflow, data ?? new JsonObject(), actor ?? Officer));

    public Task<FireResult> FireAsync(Guid id, string trigger, JsonObject? args = null, Actor? actor = null, string? key = null, int? expectedVersion = null) =>
        Runtime.FireAsync(new FireRequest(id, trigger, args, actor ?? Officer) { IdempotencyKey = key, ExpectedVersion = expectedVersion });

    public async Task<long> CountAsync(string sql)
    {
        await using var cmd = DataSource.CreateCommand(sql);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync());
    }

    public async Task ExecuteAsSuperuserBypassingTriggersAsync(string sql)
    {
        await using var conn = await DataSource.OpenConnectionAsync();
        await using var cmd = new NpgsqlCommand("SET session_replication_role = replica; " + sql + "; SET session_replication_role = origin;", conn);
        await cmd.ExecuteNonQueryAsync();
    }
}

/// <summary>The tiny made-up machines (states A, B, C) the engine tests run on.</summary>
public static class TinyDefinitions
{
    /// <summary>A -> B (go, guarded by amount > 0) -> C (finish); B has substates B1/B2; a deadline in B times out to C.</summary>
    public const string Abc = """
    {
      "id": "test/abc",
      "version": 1,
      "initial": "A",
      "creation": { "roles": ["officer", "municipality"], "parameters": [ { "name": "amount", "type": "decimal" }, { "name": "owner", "type": "string" } ] },
      "states": [
        { "id": "A" },
        { "id": "B" },
        { "id": "B1", "parent": "B" },
        { "id": "B2", "parent": "B" },
        { "id": "C", "terminal": true }
      ],
      "triggers": [
        { "id": "go", "parameters": [ { "name": "note", "type": "string", "maxLength": 20 }, { "name": "count", "type": "int", "min": 0, "max": 10 } ] },
        { "id": "set-amount", "parameters": [ { "name": "amount", "type": "decimal", "required": true, "min": 0 } ] },
        { "id": "toggle" },
        { "id": "finish" },
        { "id": "expire", "automatic": true },
        { "id": "reject" }
      ],
      "transitions": [
        { "from": "A", "trigger": "set-amount", "roles": ["officer", "municipality"], "assign": { "amount": "args.amount" } },
        { "from": "A", "trigger": "go", "to": "B1", "roles": ["officer"], "guard": { "all": ["test.amount-positive", { "compare": ["data.amount", "<=", 1000000] }] },
          "assign": { "wentAt": "now", "by": "actor" }, "compute": { "doubled": "test.double" },
          "effects": [ { "letter": "letter-a" }, { "deadline": { "kind": "review", "after": "P7D", "timeout": "expire", "remind": true, "within": "B" } } ] },
        { "from": "A", "trigger": "reject", "to": "C", "roles": ["officer"], "commentRequired": true },
        { "from": "B1", "trigger": "toggle", "to": "B2", "roles": ["officer"] },
        { "from": "B2", "trigger": "toggle", "to": "B1", "roles": ["officer"] },
        { "from": "B", "trigger": "finish", "to": "C", "roles": ["officer"], "effects": [ { "clearDeadline": "review" }, { "notice": "notice-a" } ] },
        { "from": "B", "trigger": "expire", "to": "C", "roles": ["system"] }
      ]
    }
    """;

    /// <summary>A cycle A -> B -> C -> A on one trigger, for concurrency tests.</summary>
    public const string Cycle = """
    {
      "id": "test/cycle",
      "version": 1,
      "initial": "A",
      "states": [ { "id": "A" }, { "id": "B" }, { "id": "C" } ],
      "triggers": [ { "id": "next" } ],
      "transitions": [
        { "from": "A", "trigger": "next", "to": "B", "roles": ["officer"] },
        { "from": "B", "trigger": "next", "to": "C", "roles": ["officer"] },
        { "from": "C", "trigger": "next", "to": "A", "roles": ["officer"] }
      ]
    }
    """;

    /// <summary>Version 2 of the cycle: B is renamed B-new, and D is added.</summary>
    public const string CycleV2 = """
    {
      "id": "test/cycle",
      "version": 2,
      "initial": "A",
      "states": [ { "id": "A" }, { "id": "B-new" }, { "id": "C" }, { "id": "D", "terminal": true } ],
      "triggers": [ { "id": "next" }, { "id": "stop" } ],
      "transitions": [
        { "from": "A", "trigger": "next", "to": "B-new", "roles": ["officer"] },
        { "from": "B-new", "trigger": "next", "to": "C", "roles": ["officer"] },
        { "from": "C", "trigger": "next", "to": "A", "roles": ["officer"] },
        { "from": "C", "trigger": "stop", "to": "D", "roles": ["officer"] }
      ]
    }
    """;
}
