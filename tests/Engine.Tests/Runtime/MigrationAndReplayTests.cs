using System.Text;
using System.Text.Json.Nodes;
using SubsidyEngine.Engine.Audit;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Testing;
using SubsidyEngine.Workflows.Loading;
using SubsidyEngine.Workflows.Model;

namespace SubsidyEngine.Engine.Tests.Runtime;

public sealed class MigrationAndReplayTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    private static readonly MigrationSpec CycleV1ToV2 = new()
    {
        Id = "cycle-v1-v2",
        Workflow = "test/cycle",
        FromVersion = 1,
        ToVersion = 2,
        StateMap = new Dictionary<string, string> { ["A"] = "A", ["B"] = "B-new" }, // C is deliberately unmapped
        Assign = new Dictionary<string, JsonNode?> { ["migratedAt"] = JsonValue.Create("now") },
    };

    public async Task InitializeAsync() => await db.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_migration_dry_run_lists_moves_and_blockers_and_apply_writes_one_event_per_moved_dossier()
    {
        var h = new RuntimeHarness(db, [TinyDefinitions.Abc, TinyDefinitions.Cycle, TinyDefinitions.CycleV2], migrations: [CycleV1ToV2]);
        // New dossiers take the latest version: create the v1 ones by pinning through a v1-only catalogue first.
        var v1 = new RuntimeHarness(db, [TinyDefinitions.Cycle]);
        var inA = await v1.CreateAsync("test/cycle");
        var inB = await v1.CreateAsync("test/cycle");
        await v1.FireAsync(inB.DossierId, "next");
        var inC = await v1.CreateAsync("test/cycle");
        await v1.FireAsync(inC.DossierId, "next");
        await v1.FireAsync(inC.DossierId, "next");
        var fresh = await h.CreateAsync("test/cycle");

        var plan = await h.Migrator.DryRunAsync("cycle-v1-v2");

        Assert.Equal(3, plan.Moves.Count);
        Assert.Equal("B-new", plan.Moves.Single(m => m.DossierId == inB.DossierId).ToState);
        Assert.Contains("'C' has no mapping", plan.Moves.Single(m => m.DossierId == inC.DossierId).Blocker, StringComparison.Ordinal);
        Assert.DoesNotContain(plan.Moves, m => m.DossierId == fresh.DossierId);
        Assert.Equal(0, await h.CountAsync("SELECT count(*) FROM journal WHERE kind = 'migrated'"));

        var applied = await h.Migrator.ApplyAsync("cycle-v1-v2", RuntimeHarness.Officer);

        Assert.Equal(2, applied.Movable.Count());
        Assert.Equal(2, await h.CountAsync("SELECT count(*) FROM journal WHERE kind = 'migrated'"));
        var moved = await h.Runtime.GetAsync(inB.DossierId);
        Assert.Equal((2, "B-new"), (moved!.WorkflowVersion, moved.State));
        Assert.NotNull(moved.Data["migratedAt"]);
        Assert.Equal(1, (await h.Runtime.GetAsync(inC.DossierId))!.WorkflowVersion);

        // After the move the dossier runs on v2, and its replay goes through the migration.
        await h.FireAsync(inB.DossierId, "next");
        await h.FireAsync(inB.DossierId, "stop");
        foreach (var id in new[] { inA.DossierId, inB.DossierId, inC.DossierId, fresh.DossierId })
        {
            var report = await h.Replayer.ReplayAsync(id);
            Assert.True(report.Ok, string.Join("\n", report.Divergences));
        }

        Assert.Equal("D", (await h.Runtime.GetAsync(inB.DossierId))!.State);
    }

    [Fact]
    public async Task Random_fires_replay_to_the_projection_and_a_tampered_column_is_found_at_exactly_that_event()
    {
        var h = new RuntimeHarness(db, [TinyDefinitions.Abc, TinyDefinitions.Cycle]);
        var random = new Random(20260522);
        var dossiers = new List<Guid>();
        for (var i = 0; i < 12; i++)
        {
            dossiers.Add((await h.CreateAsync(i % 2 == 0 ? "test/abc" : "test/cycle", i % 2 == 0 ? new JsonObject { ["amount"] = random.Next(0, 3) } : null)).DossierId);
        }

        string[] triggers = ["go", "set-amount", "toggle", "finish", "reject", "next", "next", "next"];
        var fired = 0;
        for (var step = 0; step < 300; step++)
        {
            var id = dossiers[random.Next(dossiers.Count)];
            var trigger = triggers[random.Next(triggers.Length)];
            var args = trigger switch
            {
                "set-amount" => new JsonObject { ["amount"] = random.Next(0, 5) },
                "reject" => new JsonObject { ["comment"] = $"reden {step}" },
                _ => new JsonObject(),
            };
            h.Clock.Advance(TimeSpan.FromHours(random.Next(1, 30)));
            try
            {
                await h.FireAsync(id, trigger, args);
                fired++;
            }
            catch (WorkflowException)
            {
                // Not permitted in the current state: the point is a random walk.
            }

            if (step % 50 == 0)
            {
                await h.Sweeper.FireDueTimeoutsAsync();
            }
        }

        Assert.True(fired > 50, $"only {fired} fires succeeded");
        var all = await h.Replayer.ReplayAllAsync();
        Assert.Equal(0, all.DivergentDossiers);
        Assert.Equal(12, all.Dossiers);

        // Tamper with one column of one event (as a superuser, bypassing the append-only trigger).
        var target = await h.CountAsync("SELECT seq FROM journal WHERE kind = 'transition' ORDER BY seq OFFSET 17 LIMIT 1");
        var dossier = Guid.Parse((await ScalarAsync($"SELECT dossier_id::text FROM journal WHERE seq = {target}"))!);
        var dossierSeq = await h.CountAsync($"SELECT dossier_seq FROM journal WHERE seq = {target}");
        await h.ExecuteAsSuperuserBypassingTriggersAsync($"UPDATE journal SET actor = 'mallory' WHERE seq = {target}");

        var report = await h.Replayer.ReplayAsync(dossier);

        Assert.False(report.Ok);
        Assert.Equal((int)dossierSeq, report.First!.DossierSeq);
        Assert.Equal("hash", report.First.Field);
        var summary = await h.Replayer.ReplayAllAsync();
        Assert.Equal(1, summary.DivergentDossiers);
        Assert.Equal(dossier, Assert.Single(summary.Failures).DossierId);
    }

    [Fact]
    public async Task A_deleted_event_is_found_by_the_chain()
    {
        var h = new RuntimeHarness(db, [TinyDefinitions.Cycle]);
        var id = (await h.CreateAsync("test/cycle")).DossierId;
        for (var i = 0; i < 5; i++)
        {
            await h.FireAsync(id, "next");
        }

        await h.ExecuteAsSuperuserBypassingTriggersAsync($"DELETE FROM journal WHERE dossier_id = '{id}' AND dossier_seq = 3");

        var report = await h.Replayer.ReplayAsync(id);

        Assert.Equal((4, "dossier_seq"), (report.First!.DossierSeq, report.First.Field));
    }

    [Fact]
    public async Task A_changed_published_definition_is_refused_naming_the_file()
    {
        var h = new RuntimeHarness(db, [TinyDefinitions.Cycle]);
        await h.CreateAsync("test/cycle");
        var edited = new RuntimeHarness(db, [TinyDefinitions.Cycle.Replace("\"initial\": \"A\",", "\"initial\": \"A\", \"title\": { \"nl\": \"gewijzigd\" },", StringComparison.Ordinal)]);

        var e = await Assert.ThrowsAsync<DefinitionChangedException>(() => edited.Store.VerifyAllAsync(edited.Catalog, CancellationToken.None));

        Assert.Contains("test-0.json", e.Message, StringComparison.Ordinal);
        Assert.Contains("test/cycle@v1", e.Message, StringComparison.Ordinal);
        await h.Store.VerifyAllAsync(h.Catalog, CancellationToken.None); // the original still passes
    }

    private async Task<string?> ScalarAsync(string sql)
    {
        await using var cmd = db.DataSource.CreateCommand(sql);
        return (string?)await cmd.ExecuteScalarAsync();
    }
}

public sealed class DefinitionValidatorTests
{
    [Fact]
    public void Every_problem_of_a_broken_definition_is_reported_at_once_with_its_path()
    {
        const string broken = """
        {
          "id": "test/broken",
          "version": 1,
          "initial": "start",
          "states": [ { "id": "A" }, { "id": "A" }, { "id": "lonely" }, { "id": "stuck" }, { "id": "end", "terminal": true } ],
          "triggers": [ { "id": "go" }, { "id": "unused" }, { "id": "bad", "parameters": [ { "name": "x", "type": "money" } ] } ],
          "transitions": [
            { "from": "A", "trigger": "go", "to": "stuck", "roles": ["officer"], "guard": "no.such.rule" },
            { "from": "A", "trigger": "go", "to": "end", "roles": ["officer"] },
            { "from": "A", "trigger": "bad", "to": "nowhere", "roles": ["wizard"], "effects": [ { "letter": "no-such-letter" }, { "deadline": { "kind": "k", "after": "30 days" } } ] },
            { "from": "end", "trigger": "go", "to": "A", "roles": ["officer"] }
          ]
        }
        """;
        var problems = new List<LoadProblem>();
        var def = DefinitionLoader.LoadDefinition(Encoding.UTF8.GetBytes(broken), "broken.v1.json", problems)!;
        var validator = WorkflowCatalog.Validator(RuntimeHarness.DefaultRules(), new FixedTemplates("letter-a"));

        problems.AddRange(validator.Validate(def));
        var text = string.Join("\n", problems);

        Assert.All(problems, p => Assert.Equal("broken.v1.json", p.File));
        Assert.Contains("$.states[1].id: duplicate state 'A'", text, StringComparison.Ordinal);
        Assert.Contains("$.initial: unknown state 'start'", text, StringComparison.Ordinal);
        Assert.Contains("unknown guard rule 'no.such.rule'", text, StringComparison.Ordinal);
        Assert.Contains("$.transitions[2].to: unknown state 'nowhere'", text, StringComparison.Ordinal);
        Assert.Contains("unknown role 'wizard'", text, StringComparison.Ordinal);
        Assert.Contains("unknown letter template 'no-such-letter'", text, StringComparison.Ordinal);
        Assert.Contains("'30 days' is not an ISO-8601 duration", text, StringComparison.Ordinal);
        Assert.Contains("unknown parameter type 'money'", text, StringComparison.Ordinal);
        Assert.Contains("trigger 'unused' is used by no transition", text, StringComparison.Ordinal);
        Assert.Contains("'end' is terminal and cannot have outgoing transitions", text, StringComparison.Ordinal);
        Assert.Contains("ambiguous", text, StringComparison.Ordinal);
        Assert.True(problems.Count >= 11, text);
    }

    [Fact]
    public void Unreachable_states_and_dead_ends_are_reported()
    {
        const string json = """
        {
          "id": "test/graph", "version": 1, "initial": "A",
          "states": [ { "id": "A" }, { "id": "B" }, { "id": "island" }, { "id": "Z", "terminal": true } ],
          "triggers": [ { "id": "go" }, { "id": "away" } ],
          "transitions": [
            { "from": "A", "trigger": "go", "to": "B", "roles": ["officer"] },
            { "from": "island", "trigger": "away", "to": "Z", "roles": ["officer"] }
          ]
        }
        """;
        var problems = new List<LoadProblem>();
        var def = DefinitionLoader.LoadDefinition(Encoding.UTF8.GetBytes(json), "graph.v1.json", problems)!;

        problems.AddRange(WorkflowCatalog.Validator(RuntimeHarness.DefaultRules(), new FixedTemplates()).Validate(def));
        var text = string.Join("\n", problems);

        Assert.Contains("state 'island' is unreachable", text, StringComparison.Ordinal);
        Assert.Contains("state 'Z' is unreachable", text, StringComparison.Ordinal);
        Assert.Contains("state 'B' is a dead end", text, StringComparison.Ordinal);
    }
}

public sealed class DefinitionValidatorCycleTests
{
    [Fact]
    public async Task A_parent_cycle_is_reported_and_does_not_hang_the_validator()
    {
        const string json = """
        {
          "id": "test/cycle-parents", "version": 1, "initial": "A",
          "states": [ { "id": "A", "parent": "B" }, { "id": "B", "parent": "A" }, { "id": "Z", "terminal": true } ],
          "triggers": [ { "id": "go" } ],
          "transitions": [ { "from": "A", "trigger": "go", "to": "Z", "roles": ["officer"] } ]
        }
        """;
        var problems = new List<LoadProblem>();
        var def = DefinitionLoader.LoadDefinition(Encoding.UTF8.GetBytes(json), "cycle.v1.json", problems)!;

        var result = await Task.Run(() => WorkflowCatalog.Validator(RuntimeHarness.DefaultRules(), new FixedTemplates()).Validate(def))
            .WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Contains(result, p => p.Message.Contains("is its own ancestor", StringComparison.Ordinal));
    }
}
