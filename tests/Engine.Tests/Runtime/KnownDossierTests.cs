using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SubsidyEngine.Engine.Access;
using SubsidyEngine.Engine.Audit;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Testing;
using SubsidyEngine.Workflows.Expressions;
using SubsidyEngine.Workflows.Model;
using Xunit;

namespace SubsidyEngine.Engine.Tests.Runtime;

/// <summary>
/// A fire on a dossier this runtime committed last is decided on what it remembers and written in one round trip,
/// guarded by everything the decision read (docs/decisions/2026-11-23-fire-on-known-dossier.md). These tests hold it
/// to the contract of the locking path: same events, and whenever the row is not what was remembered (another
/// process, a hand edit, another caller's visibility) the answer comes from the locked row.
/// </summary>
public sealed class KnownDossierTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    private RuntimeHarness h = null!;

    public async Task InitializeAsync()
    {
        await db.ResetAsync();
        h = new RuntimeHarness(db, [TinyDefinitions.Abc, TinyDefinitions.Cycle, Bound]);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>A deadline set on entering B, bound to B (and so kept in its substates), and a way out of B that does not clear it itself.</summary>
    private const string Bound = """
    {
      "id": "test/bound", "version": 1, "initial": "A",
      "states": [ { "id": "A" }, { "id": "B" }, { "id": "B1", "parent": "B" }, { "id": "B2", "parent": "B" }, { "id": "C" } ],
      "triggers": [ { "id": "enter" }, { "id": "toggle" }, { "id": "leave" }, { "id": "back" } ],
      "transitions": [
        { "from": "A", "trigger": "enter", "to": "B1", "roles": ["officer"], "effects": [ { "deadline": { "kind": "review", "after": "P7D", "within": "B" } } ] },
        { "from": "B1", "trigger": "toggle", "to": "B2", "roles": ["officer"] },
        { "from": "B", "trigger": "leave", "to": "C", "roles": ["officer"] },
        { "from": "C", "trigger": "back", "to": "A", "roles": ["officer"] }
      ]
    }
    """;

    /// <summary>Another process on the same database: its own runtime, remembering nothing of this one's.</summary>
    private WorkflowRuntime OtherProcess(int knownCapacity = WorkflowRuntime.DefaultKnownDossierCapacity) =>
        new(db.DataSource, h.Catalog, h.Store, h.Clock, knownDossierCapacity: knownCapacity);

    [Fact]
    public async Task A_fire_on_a_known_dossier_writes_the_same_event_the_locking_path_writes()
    {
        var locking = OtherProcess(knownCapacity: 0); // remembers nothing: always the locking read
        var known = await h.CreateAsync("test/abc", new JsonObject { ["amount"] = 100 });
        var read = await locking.CreateAsync(new CreateRequest("test/abc", new JsonObject { ["amount"] = 100 }, RuntimeHarness.Officer));

        var a = await h.FireAsync(known.DossierId, "go", new JsonObject { ["note"] = "ok" }, key: "k-known");
        var b = await locking.FireAsync(new FireRequest(read.DossierId, "go", new JsonObject { ["note"] = "ok" }, RuntimeHarness.Officer) { IdempotencyKey = "k-locking" });

        Assert.Equal((1, 0), h.Runtime.KnownFires);
        Assert.Equal((0, 0), locking.KnownFires);
        Assert.Equal((a.FromState, a.ToState, a.Version, a.NoticeIds.Count), (b.FromState, b.ToState, b.Version, b.NoticeIds.Count));
        var ea = (await h.Journal.ForDossierAsync(known.DossierId))[^1];
        var eb = (await h.Journal.ForDossierAsync(read.DossierId))[^1];
        // The same effects but for the ids the effects generate (notice and deadline ids, random per fire).
        static string WithoutIds(string text) => Regex.Replace(text, "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "*");
        Assert.Equal(WithoutIds(eb.Effects), WithoutIds(ea.Effects));
        Assert.Equal(eb.Arguments, ea.Arguments);
        var sa = await h.Runtime.GetAsync(known.DossierId);
        var sb = await h.Runtime.GetAsync(read.DossierId);
        Assert.Equal(CanonicalJson.Serialize(sb!.Data), CanonicalJson.Serialize(sa!.Data));
        Assert.Equal(200m, sa.Data["doubled"]!.GetValue<decimal>());

        // The effect rows and the key are written as on the locking path.
        Assert.Equal(2, await h.CountAsync("SELECT count(*) FROM notice"));
        Assert.Equal(2, await h.CountAsync("SELECT count(*) FROM deadline WHERE status = 'open' AND kind = 'review'"));
        Assert.Equal(a.JournalSeq, await h.CountAsync($"SELECT (result->>'journalSeq')::bigint FROM idempotency_key WHERE key = 'k-known'"));
        Assert.Equal(a.JournalSeq, await h.CountAsync($"SELECT journal_seq FROM notice WHERE dossier_id = '{known.DossierId:D}'"));
        Assert.True((await h.Replayer.ReplayAsync(known.DossierId)).Ok);
        Assert.True((await h.Replayer.ReplayAsync(read.DossierId)).Ok);
    }

    [Fact]
    public async Task A_dossier_changed_by_another_process_is_decided_on_the_row_not_on_what_was_remembered()
    {
        var other = OtherProcess();
        var created = await h.CreateAsync("test/cycle"); // this runtime remembers version 1, state A
        var moved = await other.FireAsync(new FireRequest(created.DossierId, "next", null, RuntimeHarness.Officer));
        Assert.Equal("B", moved.ToState);

        var fired = await h.FireAsync(created.DossierId, "next");

        Assert.Equal(("B", "C", 3), (fired.FromState, fired.ToState, fired.Version));
        Assert.Equal((0, 1), h.Runtime.KnownFires);
        Assert.Equal(3, await h.CountAsync($"SELECT count(*) FROM journal WHERE dossier_id = '{created.DossierId:D}'"));
        Assert.True((await h.Replayer.ReplayAsync(created.DossierId)).Ok);

        // Having decided on the row, it remembers the row's successor and answers the next fire in one round trip.
        var next = await h.FireAsync(created.DossierId, "next");
        Assert.Equal(("C", "A", 4), (next.FromState, next.ToState, next.Version));
        Assert.Equal((1, 1), h.Runtime.KnownFires);
    }

    [Fact]
    public async Task A_hand_edit_of_the_projection_is_what_the_next_fire_decides_on()
    {
        var created = await h.CreateAsync("test/abc", new JsonObject { ["amount"] = 100 });

        // Version, chain head and state unchanged: only the data differs from what the runtime remembers.
        await h.ExecuteAsSuperuserBypassingTriggersAsync($"UPDATE dossier SET data = jsonb_set(data, '{{amount}}', '7') WHERE id = '{created.DossierId:D}'");
        var fired = await h.FireAsync(created.DossierId, "go");

        Assert.Equal((0, 1), h.Runtime.KnownFires);
        var snapshot = await h.Runtime.GetAsync(created.DossierId);
        Assert.Equal(14m, snapshot!.Data["doubled"]!.GetValue<decimal>());
        Assert.Equal("B1", fired.ToState);
    }

    [Fact]
    public async Task A_caller_outside_the_dossiers_visibility_learns_nothing_from_a_remembered_dossier()
    {
        var created = await h.CreateAsync("test/abc", new JsonObject { ["amount"] = 0, ["owner"] = "71016" });
        var foreign = new AccessScope("user-44021", Roles.Municipality, "44021");
        var own = new AccessScope("user-71016", Roles.Municipality, "71016");

        // A trigger the remembered state refuses (the refusal would name states and reasons), and one it permits:
        // both are "not found" for a foreign municipality, and neither writes anything.
        await Assert.ThrowsAsync<DossierNotFoundException>(() => h.Runtime.FireAsync(
            new FireRequest(created.DossierId, "go", null, foreign.Actor) { Scope = foreign }));
        await Assert.ThrowsAsync<DossierNotFoundException>(() => h.Runtime.FireAsync(
            new FireRequest(created.DossierId, "set-amount", new JsonObject { ["amount"] = 7 }, foreign.Actor) { Scope = foreign, IdempotencyKey = "k-foreign" }));
        Assert.Equal(1, await h.CountAsync("SELECT count(*) FROM journal"));
        Assert.Equal(0, await h.CountAsync("SELECT count(*) FROM idempotency_key"));
        Assert.Equal((0, 2), h.Runtime.KnownFires);

        var fired = await h.Runtime.FireAsync(
            new FireRequest(created.DossierId, "set-amount", new JsonObject { ["amount"] = 7 }, own.Actor) { Scope = own, IdempotencyKey = "k-own" });
        Assert.Equal(2, fired.Version);
        // The foreign caller was refused by the decision itself (it is not the owner), before anything was written,
        // so the snapshot is still what is stored and the owner's fire is answered on it.
        Assert.Equal((1, 2), h.Runtime.KnownFires);
    }

    [Fact]
    public async Task A_refusal_on_a_known_dossier_is_the_locking_paths_refusal_and_writes_nothing()
    {
        var created = await h.CreateAsync("test/abc", new JsonObject { ["amount"] = 0 });

        var e = await Assert.ThrowsAsync<TriggerNotPermittedException>(() => h.FireAsync(created.DossierId, "go", key: "k-refused"));

        Assert.Contains(e.Blocked, b => b.Trigger == "go" && b.Reasons.Any(r => r.Code == "amount.not-positive"));
        Assert.Equal((0, 1), h.Runtime.KnownFires);
        Assert.Equal(1, await h.CountAsync("SELECT count(*) FROM journal"));
        Assert.Equal(0, await h.CountAsync("SELECT count(*) FROM idempotency_key"));
    }

    [Fact]
    public async Task A_retry_on_a_known_dossier_returns_the_first_result_and_another_request_with_the_key_is_refused()
    {
        var created = await h.CreateAsync("test/cycle");
        var first = await h.FireAsync(created.DossierId, "next", key: "k-1");

        // The runtime now remembers version 2 (state B), on which "next" is permitted again: the write is tried and
        // the key's unique index turns it into the answer of a retry.
        var retry = await h.FireAsync(created.DossierId, "next", key: "k-1");
        Assert.True(retry.Replayed);
        Assert.Equal((first.Version, first.JournalSeq, first.Hash), (retry.Version, retry.JournalSeq, retry.Hash));
        await Assert.ThrowsAsync<IdempotencyConflictException>(() => h.FireAsync(created.DossierId, "next", new JsonObject { ["x"] = 1 }, key: "k-1"));

        Assert.Equal(2, await h.CountAsync("SELECT count(*) FROM journal"));
        Assert.Equal(2, await h.CountAsync($"SELECT version FROM dossier WHERE id = '{created.DossierId:D}'"));
        var next = await h.FireAsync(created.DossierId, "next", key: "k-2");
        Assert.Equal(3, next.Version);
        Assert.True((await h.Replayer.ReplayAsync(created.DossierId)).Ok);
    }

    [Fact]
    public async Task Two_processes_firing_one_dossier_keep_one_linear_chain()
    {
        var other = OtherProcess();
        var created = await h.CreateAsync("test/cycle"); // this runtime remembers version 1
        Task<FireResult> Here() => h.FireAsync(created.DossierId, "next");
        Task<FireResult> There() => other.FireAsync(new FireRequest(created.DossierId, "next", null, RuntimeHarness.Officer));

        // In turns of two: the first fire of each turn finds the other process's change, the second what it wrote itself.
        await There();
        foreach (var fire in new[] { Here, Here, There, There, Here, Here })
        {
            await fire();
        }

        Assert.Equal((2, 2), h.Runtime.KnownFires);
        Assert.Equal((1, 1), other.KnownFires); // its first fire had nothing to remember: the locking read

        // All at once: every fire applies exactly once, in one chain, whichever path it took.
        const int PerProcess = 30;
        var results = await Task.WhenAll(Enumerable.Range(0, PerProcess).Select(_ => Here()).Concat(Enumerable.Range(0, PerProcess).Select(_ => There())));

        Assert.Equal(Enumerable.Range(9, 2 * PerProcess), results.Select(r => r.Version).Order());
        Assert.Equal(8 + (2 * PerProcess), await h.CountAsync($"SELECT count(*) FROM journal WHERE dossier_id = '{created.DossierId:D}'"));
        Assert.Equal(8 + (2 * PerProcess), await h.CountAsync($"SELECT version FROM dossier WHERE id = '{created.DossierId:D}'"));
        var replay = await h.Replayer.ReplayAsync(created.DossierId);
        Assert.True(replay.Ok, string.Join("; ", replay.Divergences.Select(d => d.ToString())));
    }

    [Fact]
    public async Task Deadlines_bound_to_a_state_are_cleared_on_leaving_it_whichever_process_set_them()
    {
        var id = (await h.CreateAsync("test/bound")).DossierId;
        Task<long> Open() => h.CountAsync($"SELECT count(*) FROM deadline WHERE dossier_id = '{id:D}' AND status = 'open'");
        // The states this runtime knows open deadlines are bound to ("?": not known).
        string Known(WorkflowRuntime runtime) => runtime.Known(id)?.DeadlineStates is { } states ? string.Join(",", states.Order(StringComparer.Ordinal)) : "?";
        Assert.Equal("", Known(h.Runtime)); // a new dossier has no deadline

        await h.FireAsync(id, "enter"); // A -> B1 sets "review", bound to B
        Assert.Equal((1L, "B"), (await Open(), Known(h.Runtime)));
        await h.FireAsync(id, "toggle"); // B1 -> B2: still within B, the deadline stays
        Assert.Equal((1L, "B"), (await Open(), Known(h.Runtime)));
        await h.FireAsync(id, "leave"); // B -> C: cleared by the state it was bound to
        Assert.Equal((0L, ""), (await Open(), Known(h.Runtime)));
        Assert.Equal(1, await h.CountAsync($"SELECT count(*) FROM deadline WHERE dossier_id = '{id:D}' AND status = 'cleared'"));
        Assert.Equal((3, 0), h.Runtime.KnownFires);

        // Set by this process, cleared by another, which learns the deadline's state in its locking read.
        await h.FireAsync(id, "back");
        await h.FireAsync(id, "enter");
        var other = OtherProcess();
        await other.FireAsync(new FireRequest(id, "leave", null, RuntimeHarness.Officer));
        Assert.Equal((0L, ""), (await Open(), Known(other)));

        // Set by the other process; this one's memory is stale: the guard fails and the locking read sees the deadline.
        await other.FireAsync(new FireRequest(id, "back", null, RuntimeHarness.Officer));
        await other.FireAsync(new FireRequest(id, "enter", null, RuntimeHarness.Officer));
        Assert.Equal((1L, "B"), (await Open(), Known(other)));
        await h.FireAsync(id, "leave");
        Assert.Equal((0L, ""), (await Open(), Known(h.Runtime)));
        Assert.Equal((5, 1), h.Runtime.KnownFires);
        Assert.True((await h.Replayer.ReplayAsync(id)).Ok);
    }

    [Fact]
    public async Task A_record_keeps_what_the_runtime_knows_of_the_deadlines_and_a_runtime_that_knows_nothing_clears_them()
    {
        var id = (await h.CreateAsync("test/bound")).DossierId;
        await h.FireAsync(id, "enter");
        var record = await h.Runtime.AppendRecordAsync(id, "notice.sent", new JsonObject { ["notice"] = "n-1" }, Actor.System);
        Assert.Equal((record.Version, "B"), (h.Runtime.Known(id)!.Version, string.Join(",", h.Runtime.Known(id)!.DeadlineStates!)));
        await h.FireAsync(id, "leave");
        Assert.Equal(0, await h.CountAsync($"SELECT count(*) FROM deadline WHERE dossier_id = '{id:D}' AND status = 'open'"));

        // A runtime that remembers nothing (every fire on the locking path) clears as before.
        var locking = OtherProcess(knownCapacity: 0);
        await locking.FireAsync(new FireRequest(id, "back", null, RuntimeHarness.Officer));
        await locking.FireAsync(new FireRequest(id, "enter", null, RuntimeHarness.Officer));
        await locking.FireAsync(new FireRequest(id, "leave", null, RuntimeHarness.Officer));
        Assert.Equal(0, await h.CountAsync($"SELECT count(*) FROM deadline WHERE dossier_id = '{id:D}' AND status = 'open'"));
        Assert.Equal(2, await h.CountAsync($"SELECT count(*) FROM deadline WHERE dossier_id = '{id:D}' AND status = 'cleared'"));
    }

    [Fact]
    public void The_memory_keeps_the_newest_version_and_stays_bounded()
    {
        var memory = new KnownDossiers(capacity: 3);
        var id = Guid.NewGuid();
        KnownDossier At(int version) => new("test/cycle", 1, "A", version, "{}", $"h{version}", null);

        memory.Remember(id, At(5));
        memory.Remember(id, At(4)); // a commit that finished later but is older
        Assert.Equal(5, memory.Get(id)!.Version);
        memory.Remember(id, At(6));
        Assert.Equal(6, memory.Get(id)!.Version);

        memory.Forget(id);
        Assert.Null(memory.Get(id));

        var ids = Enumerable.Range(0, 4).Select(_ => Guid.NewGuid()).ToList();
        foreach (var d in ids)
        {
            memory.Remember(d, At(1));
        }

        Assert.True(ids.Count(d => memory.Get(d) is not null) <= 3);
        Assert.Null(new KnownDossiers(capacity: 0).Get(id));
    }
}
