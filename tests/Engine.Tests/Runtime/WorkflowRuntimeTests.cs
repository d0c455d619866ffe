using System.Text.Json.Nodes;
using SubsidyEngine.Engine.Access;
using SubsidyEngine.Engine.Audit;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Testing;
using SubsidyEngine.Workflows.Expressions;

namespace SubsidyEngine.Engine.Tests.Runtime;

public sealed class WorkflowRuntimeTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    private RuntimeHarness h = null!;

    public async Task InitializeAsync()
    {
        await db.ResetAsync();
        h = new RuntimeHarness(db, [TinyDefinitions.Abc, TinyDefinitions.Cycle]);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_fire_moves_the_state_appends_a_chained_event_and_replays_cleanly()
    {
        var created = await h.CreateAsync("test/abc", new JsonObject { ["amount"] = 100 });
        var fired = await h.FireAsync(created.DossierId, "go", new JsonObject { ["note"] = "ok" });

        Assert.Equal("A", fired.FromState);
        Assert.Equal("B1", fired.ToState);
        Assert.Equal(2, fired.Version);
        var events = await h.Journal.ForDossierAsync(created.DossierId);
        Assert.Equal(2, events.Count);
        Assert.Equal(JournalEvent.GenesisHash, events[0].PrevHash);
        Assert.Equal(events[0].Hash, events[1].PrevHash);
        Assert.All(events, e => Assert.Equal(e.ComputeHash(), e.Hash));
        var snapshot = await h.Runtime.GetAsync(created.DossierId);
        Assert.Equal(200m, snapshot!.Data["doubled"]!.GetValue<decimal>());
        Assert.Equal("officer-1", snapshot.Data["by"]!.GetValue<string>());
        Assert.True((await h.Replayer.ReplayAsync(created.DossierId)).Ok);
    }

    [Fact]
    public async Task A_failing_guard_is_refused_with_its_reason_and_the_permitted_triggers()
    {
        var created = await h.CreateAsync("test/abc", new JsonObject { ["amount"] = 0 });

        var e = await Assert.ThrowsAsync<TriggerNotPermittedException>(() => h.FireAsync(created.DossierId, "go"));

        Assert.Contains(e.Blocked, b => b.Trigger == "go" && b.Reasons.Any(r => r.Code == "amount.not-positive"));
        Assert.Contains("set-amount", e.Permitted);
        Assert.Contains("reject", e.Permitted);
        Assert.DoesNotContain("go", e.Permitted);
        Assert.Equal(1, await h.CountAsync("SELECT count(*) FROM journal"));
    }

    [Fact]
    public async Task Permitted_options_show_why_a_trigger_is_blocked()
    {
        var created = await h.CreateAsync("test/abc", new JsonObject { ["amount"] = 0 });

        var options = await h.Runtime.GetOptionsAsync(created.DossierId, RuntimeHarness.Officer);

        var go = Assert.Single(options, o => o.Trigger == "go");
        Assert.False(go.Permitted);
        Assert.Equal("amount.not-positive", Assert.Single(go.Reasons).Code);
        Assert.True(Assert.Single(options, o => o.Trigger == "reject").CommentRequired);
    }

    [Fact]
    public async Task Bad_arguments_name_every_field_and_change_nothing()
    {
        var created = await h.CreateAsync("test/abc", new JsonObject { ["amount"] = 5 });

        var e = await Assert.ThrowsAsync<ArgumentValidationException>(() => h.FireAsync(created.DossierId, "go",
            new JsonObject { ["note"] = new string('x', 21), ["count"] = 1.5, ["unknown"] = true }));

        Assert.Equal(["$.count", "$.note", "$.unknown"], e.Errors.Select(x => x.Field).Order());
        Assert.Equal(1, await h.CountAsync("SELECT count(*) FROM journal"));
        Assert.Equal("A", (await h.Runtime.GetAsync(created.DossierId))!.State);
    }

    [Fact]
    public async Task A_required_comment_is_enforced()
    {
        var created = await h.CreateAsync("test/abc");

        var e = await Assert.ThrowsAsync<ArgumentValidationException>(() => h.FireAsync(created.DossierId, "reject"));
        Assert.Equal("$.comment", Assert.Single(e.Errors).Field);

        var ok = await h.FireAsync(created.DossierId, "reject", new JsonObject { ["comment"] = "Dubbele aanvraag" });
        Assert.Equal("C", ok.ToState);
    }

    [Fact]
    public async Task A_role_that_may_not_fire_is_forbidden_and_an_unknown_trigger_is_not_permitted()
    {
        var created = await h.CreateAsync("test/abc", new JsonObject { ["amount"] = 5 });

        await Assert.ThrowsAsync<TransitionForbiddenException>(() => h.FireAsync(created.DossierId, "go", actor: RuntimeHarness.Municipality));
        await Assert.ThrowsAsync<TriggerNotPermittedException>(() => h.FireAsync(created.DossierId, "no-such-trigger"));
        await Assert.ThrowsAsync<TriggerNotPermittedException>(() => h.FireAsync(created.DossierId, "finish"));
        await Assert.ThrowsAsync<DossierNotFoundException>(() => h.FireAsync(Guid.NewGuid(), "go"));
    }

    [Fact]
    public async Task A_superstate_transition_applies_in_every_substate_and_keeps_its_deadline_between_substates()
    {
        var created = await h.CreateAsync("test/abc", new JsonObject { ["amount"] = 5 });
        await h.FireAsync(created.DossierId, "go");
        await h.FireAsync(created.DossierId, "toggle");

        Assert.Equal(1, await h.CountAsync("SELECT count(*) FROM deadline WHERE status = 'open'"));
        var done = await h.FireAsync(created.DossierId, "finish");

        Assert.Equal("C", done.ToState);
        Assert.Equal(1, await h.CountAsync("SELECT count(*) FROM deadline WHERE status = 'met' AND kind = 'review'"));
        Assert.Equal(2, await h.CountAsync("SELECT count(*) FROM notice"));
    }

    [Fact]
    public async Task A_passed_deadline_fires_its_timeout_once_as_the_system()
    {
        var created = await h.CreateAsync("test/abc", new JsonObject { ["amount"] = 5 });
        await h.FireAsync(created.DossierId, "go");

        // P7D from Friday 26 May 2023 11:00 in Brussels: Brussels calendar days, so it runs to the end of Friday 2 June.
        h.Clock.Advance(TimeSpan.FromDays(7) + TimeSpan.FromMinutes(1));
        Assert.Equal(0, await h.Sweeper.FireDueTimeoutsAsync());
        h.Clock.SetUtcNow(new DateTimeOffset(2023, 6, 2, 21, 59, 58, TimeSpan.Zero));
        Assert.Equal(0, await h.Sweeper.FireDueTimeoutsAsync());
        h.Clock.SetUtcNow(new DateTimeOffset(2023, 6, 2, 22, 0, 1, TimeSpan.Zero)); // 00:00:01 on 3 June in Brussels
        var first = await h.Sweeper.FireDueTimeoutsAsync();
        var second = await h.Sweeper.FireDueTimeoutsAsync();

        Assert.Equal(1, first);
        Assert.Equal(0, second);
        var last = (await h.Journal.ForDossierAsync(created.DossierId))[^1];
        Assert.Equal(("system", "expire", "C"), (last.Actor, last.Trigger, last.ToState));
        Assert.Equal(1, await h.CountAsync("SELECT count(*) FROM deadline WHERE status = 'fired'"));
    }

    [Fact]
    public async Task Two_sweepers_racing_fire_each_timeout_once()
    {
        var ids = new List<Guid>();
        for (var i = 0; i < 20; i++)
        {
            var c = await h.CreateAsync("test/abc", new JsonObject { ["amount"] = 5 });
            await h.FireAsync(c.DossierId, "go");
            ids.Add(c.DossierId);
        }

        h.Clock.Advance(TimeSpan.FromDays(8));
        var counts = await Task.WhenAll(h.Sweeper.FireDueTimeoutsAsync(5), new DeadlineSweeper(db.DataSource, h.Runtime, h.Clock).FireDueTimeoutsAsync(5));

        Assert.Equal(20, counts.Sum());
        Assert.Equal(20, await h.CountAsync("SELECT count(*) FROM journal WHERE trigger = 'expire'"));
    }

    [Fact]
    public async Task The_same_idempotency_key_returns_the_first_result_and_writes_nothing_more()
    {
        var created = await h.CreateAsync("test/abc", new JsonObject { ["amount"] = 5 });

        var first = await h.FireAsync(created.DossierId, "go", new JsonObject { ["note"] = "x" }, key: "k-1");
        var again = await h.FireAsync(created.DossierId, "go", new JsonObject { ["note"] = "x" }, key: "k-1");

        Assert.False(first.Replayed);
        Assert.True(again.Replayed);
        Assert.Equal(first with { Replayed = true }, again with { NoticeIds = first.NoticeIds });
        Assert.Equal(first.NoticeIds, again.NoticeIds);
        Assert.Equal(2, await h.CountAsync("SELECT count(*) FROM journal"));
        await Assert.ThrowsAsync<IdempotencyConflictException>(() => h.FireAsync(created.DossierId, "go", new JsonObject { ["note"] = "other" }, key: "k-1"));
    }

    [Fact]
    public async Task Parallel_fires_with_one_idempotency_key_write_one_event_and_all_get_its_result()
    {
        var created = await h.CreateAsync("test/cycle");

        var results = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => Task.Run(() => h.FireAsync(created.DossierId, "next", key: "k-par"))));

        Assert.Single(results, r => !r.Replayed);
        Assert.All(results, r => Assert.Equal((results[0].Version, results[0].ToState, results[0].JournalSeq, results[0].Hash), (r.Version, r.ToState, r.JournalSeq, r.Hash)));
        Assert.Equal(2, await h.CountAsync($"SELECT count(*) FROM journal WHERE dossier_id = '{created.DossierId}'"));
        Assert.True((await h.Replayer.ReplayAsync(created.DossierId)).Ok);
    }

    [Fact]
    public async Task One_idempotency_key_fired_at_once_on_different_dossiers_applies_once_and_refuses_the_rest_unchanged()
    {
        // The dossier lock does not serialize these: the key's unique index does, when the write batch inserts it.
        var dossiers = new List<Guid>();
        for (var i = 0; i < 8; i++)
        {
            dossiers.Add((await h.CreateAsync("test/cycle")).DossierId);
        }

        var outcomes = await Task.WhenAll(dossiers.Select(d => Task.Run(async () =>
        {
            try
            {
                return (Dossier: d, Result: (FireResult?)await h.FireAsync(d, "next", key: "k-shared"), Refused: false);
            }
            catch (IdempotencyConflictException)
            {
                return (Dossier: d, Result: null, Refused: true);
            }
        })));

        var winner = Assert.Single(outcomes, o => !o.Refused);
        Assert.False(winner.Result!.Replayed);
        Assert.Equal(7, outcomes.Count(o => o.Refused));
        Assert.Equal(1, await h.CountAsync("SELECT count(*) FROM idempotency_key WHERE key = 'k-shared'"));
        Assert.Equal(8 + 1, await h.CountAsync("SELECT count(*) FROM journal"));
        foreach (var o in outcomes.Where(o => o.Refused))
        {
            Assert.Equal(1, (await h.Runtime.GetAsync(o.Dossier))!.Version);
        }

        // A retry of the winning request is answered from the key; on a refused dossier the key stays refused.
        Assert.True((await h.FireAsync(winner.Dossier, "next", key: "k-shared")).Replayed);
        await Assert.ThrowsAsync<IdempotencyConflictException>(() => h.FireAsync(outcomes.First(o => o.Refused).Dossier, "next", key: "k-shared"));
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(false, false)]
    public async Task A_fire_whose_new_key_is_being_written_by_another_transaction_waits_for_it(bool otherCommits, bool knownDossier)
    {
        // Deterministic form of the race above: another transaction holds the key, not yet committed, when the fire
        // reads the key (absent for it) and then inserts it with its result. Both write paths: the one round trip on a
        // dossier the runtime committed last (KnownDossierTests), and the locking read (a runtime remembering nothing).
        var runtime = knownDossier ? h.Runtime : new WorkflowRuntime(db.DataSource, h.Catalog, h.Store, h.Clock, knownDossierCapacity: 0);
        var created = await runtime.CreateAsync(new CreateRequest("test/cycle", [], RuntimeHarness.Officer));
        await using var other = await db.DataSource.OpenConnectionAsync();
        await using var otherTx = await other.BeginTransactionAsync();
        await using (var hold = new Npgsql.NpgsqlCommand(
            "INSERT INTO idempotency_key (key, request_hash, dossier_id, result, created_at) VALUES ('k-held', 'another request', gen_random_uuid(), '{}', now())", other, otherTx))
        {
            await hold.ExecuteNonQueryAsync();
        }

        Task<FireResult> Fire() => runtime.FireAsync(new FireRequest(created.DossierId, "next", null, RuntimeHarness.Officer) { IdempotencyKey = "k-held" });
        var fire = Task.Run(Fire);
        await WaitUntilBlockedOnTheKeyAsync();
        Assert.False(fire.IsCompleted);

        if (otherCommits)
        {
            await otherTx.CommitAsync();
            await Assert.ThrowsAsync<IdempotencyConflictException>(() => fire);
            Assert.Equal(1, (await h.Runtime.GetAsync(created.DossierId))!.Version);
            Assert.Equal(1, await h.CountAsync($"SELECT count(*) FROM journal WHERE dossier_id = '{created.DossierId}'"));
        }
        else
        {
            await otherTx.RollbackAsync();
            var fired = await fire;
            Assert.False(fired.Replayed);
            Assert.Equal(2, fired.Version);
            Assert.True((await Fire()).Replayed);
        }

        Assert.True((await h.Replayer.ReplayAsync(created.DossierId)).Ok);

        async Task WaitUntilBlockedOnTheKeyAsync()
        {
            for (var i = 0; i < 200; i++)
            {
                if (await h.CountAsync("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%INSERT INTO idempotency_key%'") >= 1)
                {
                    return;
                }

                await Task.Delay(50);
            }

            throw new TimeoutException("the fire never waited on the held key");
        }
    }

    [Fact]
    public async Task An_error_in_the_write_batch_rolls_back_the_event_the_projection_and_the_idempotency_claim()
    {
        var created = await h.CreateAsync("test/cycle");

        // A real error inside the write batch, after the journal INSERT and before COMMIT: a trigger refuses the
        // projection update.
        await using (var create = db.DataSource.CreateCommand(
            "CREATE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$; " +
            "CREATE TRIGGER test_refuse BEFORE UPDATE ON dossier FOR EACH ROW EXECUTE FUNCTION test_refuse()"))
        {
            await create.ExecuteNonQueryAsync();
        }

        try
        {
            var e = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => h.FireAsync(created.DossierId, "next", key: "k-err"));
            Assert.Contains("refused by the test", e.MessageText, StringComparison.Ordinal);
        }
        finally
        {
            await using var drop = db.DataSource.CreateCommand("DROP TRIGGER test_refuse ON dossier; DROP FUNCTION test_refuse()");
            await drop.ExecuteNonQueryAsync();
        }

        Assert.Equal(1, await h.CountAsync($"SELECT count(*) FROM journal WHERE dossier_id = '{created.DossierId}'"));
        Assert.Equal(0, await h.CountAsync("SELECT count(*) FROM idempotency_key WHERE key = 'k-err'"));
        Assert.Equal(1, (await h.Runtime.GetAsync(created.DossierId))!.Version);

        // The key was not used up: the retry is a first fire, not a replay.
        var retried = await h.FireAsync(created.DossierId, "next", key: "k-err");
        Assert.False(retried.Replayed);
        Assert.Equal(2, retried.Version);
        Assert.True((await h.Replayer.ReplayAsync(created.DossierId)).Ok);
    }

    [Fact]
    public async Task A_scoped_fire_on_a_dossier_outside_the_scope_is_not_found_and_writes_nothing()
    {
        var created = await h.CreateAsync("test/abc", new JsonObject { ["amount"] = 5, ["owner"] = "71016" });
        var foreign = new AccessScope("user-44021", Roles.Municipality, "44021");
        var own = new AccessScope("user-71016", Roles.Municipality, "71016");
        FireRequest SetAmount(AccessScope scope) =>
            new(created.DossierId, "set-amount", new JsonObject { ["amount"] = 7 }, scope.Actor) { Scope = scope, IdempotencyKey = "k-scope" };

        await Assert.ThrowsAsync<DossierNotFoundException>(() => h.Runtime.FireAsync(SetAmount(foreign)));
        Assert.Equal(1, await h.CountAsync("SELECT count(*) FROM journal"));
        Assert.Equal(0, await h.CountAsync("SELECT count(*) FROM idempotency_key"));

        var fired = await h.Runtime.FireAsync(SetAmount(own));
        Assert.Equal(2, fired.Version);
        Assert.False(fired.Replayed);
    }

    [Fact]
    public async Task A_stale_expected_version_is_a_conflict()
    {
        var created = await h.CreateAsync("test/cycle");
        await h.FireAsync(created.DossierId, "next", expectedVersion: 1);

        var e = await Assert.ThrowsAsync<ConcurrencyConflictException>(() => h.FireAsync(created.DossierId, "next", expectedVersion: 1));

        Assert.Contains("version 2", e.Actual, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fifty_parallel_fires_with_the_same_expected_version_have_one_winner()
    {
        var created = await h.CreateAsync("test/cycle");

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 50).Select(async _ =>
        {
            try
            {
                await h.FireAsync(created.DossierId, "next", expectedVersion: 1);
                return "won";
            }
            catch (ConcurrencyConflictException)
            {
                return "conflict";
            }
        }));

        Assert.Equal(1, outcomes.Count(o => o == "won"));
        Assert.Equal(49, outcomes.Count(o => o == "conflict"));
        Assert.Equal(2, await h.CountAsync($"SELECT count(*) FROM journal WHERE dossier_id = '{created.DossierId}'"));
    }

    [Fact]
    public async Task Fifty_parallel_fires_without_expectations_produce_a_linear_verified_journal()
    {
        var created = await h.CreateAsync("test/cycle");

        await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => h.FireAsync(created.DossierId, "next")));

        var events = await h.Journal.ForDossierAsync(created.DossierId);
        Assert.Equal(Enumerable.Range(1, 51), events.Select(e => e.DossierSeq));
        for (var i = 1; i < events.Count; i++)
        {
            Assert.Equal(events[i - 1].Hash, events[i].PrevHash);
            Assert.Equal(events[i - 1].ToState, events[i].FromState);
        }

        var report = await h.Replayer.ReplayAsync(created.DossierId);
        Assert.True(report.Ok, string.Join("\n", report.Divergences));
        Assert.Equal("C", report.State); // 50 steps around a 3-cycle from A
    }

    [Fact]
    public async Task The_journal_refuses_update_and_delete()
    {
        var created = await h.CreateAsync("test/cycle");

        var update = await Assert.ThrowsAsync<Npgsql.PostgresException>(async () =>
        {
            await using var cmd = db.DataSource.CreateCommand("UPDATE journal SET actor = 'mallory'");
            await cmd.ExecuteNonQueryAsync();
        });
        var delete = await Assert.ThrowsAsync<Npgsql.PostgresException>(async () =>
        {
            await using var cmd = db.DataSource.CreateCommand("DELETE FROM journal");
            await cmd.ExecuteNonQueryAsync();
        });

        Assert.Contains("append-only", update.MessageText, StringComparison.Ordinal);
        Assert.Contains("append-only", delete.MessageText, StringComparison.Ordinal);
        Assert.True((await h.Replayer.ReplayAsync(created.DossierId)).Ok);
    }

    [Fact]
    public async Task A_municipality_can_create_where_the_definition_allows_and_not_elsewhere()
    {
        var ok = await h.CreateAsync("test/abc", new JsonObject { ["owner"] = "genk" }, RuntimeHarness.Municipality);
        Assert.Equal("A", ok.ToState);

        await Assert.ThrowsAsync<TransitionForbiddenException>(() => h.CreateAsync("test/cycle", actor: RuntimeHarness.Municipality));
        await Assert.ThrowsAsync<ArgumentValidationException>(() => h.CreateAsync("test/abc", new JsonObject { ["amount"] = "veel" }));
    }
}

public sealed class RecordEventTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>
{
    [Fact]
    public async Task A_record_event_joins_the_chain_without_changing_state_and_replays()
    {
        await db.ResetAsync();
        var h = new RuntimeHarness(db, [TinyDefinitions.Cycle]);
        var id = (await h.CreateAsync("test/cycle")).DossierId;
        var ran = false;

        var record = await h.Runtime.AppendRecordAsync(id, "notice.sent", new JsonObject { ["notice"] = "n-1", ["reply"] = "250 OK" }, Actor.System,
            alsoInTransaction: (_, _, _) => { ran = true; return Task.CompletedTask; });
        await h.FireAsync(id, "next");

        Assert.True(ran);
        Assert.Equal(("A", "A", 2), (record.FromState, record.ToState, record.Version));
        Assert.True((await h.Replayer.ReplayAsync(id)).Ok);
        await Assert.ThrowsAsync<ArgumentException>(() => h.Runtime.AppendRecordAsync(id, "transition", new JsonObject(), Actor.System));
    }

    [Fact]
    public async Task Replaying_a_dossier_while_records_are_appended_to_it_never_reports_a_divergence()
    {
        // The auditor replays a running service: the outbox appends notice.sent records meanwhile. The journal and the
        // projection are read in one snapshot; read one after the other, a record committed in between made the
        // untampered dossier look divergent (seen in the Api tests' full run).
        await db.ResetAsync();
        var h = new RuntimeHarness(db, [TinyDefinitions.Cycle]);
        var id = (await h.CreateAsync("test/cycle")).DossierId;
        using var stop = new CancellationTokenSource();
        var appended = 0;
        var writer = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await h.Runtime.AppendRecordAsync(id, "notice.sent", new JsonObject { ["notice"] = $"n-{appended}" }, Actor.System);
                appended++;
            }
        });

        var reports = new List<ReplayReport>();
        var all = new List<ReplaySummary>();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(4) || appended < 50)
        {
            reports.Add(await h.Replayer.ReplayAsync(id));
            // Replay of everything reads the journal and the projections as two streams: one snapshot for both.
            all.Add(await h.Replayer.ReplayAllAsync(new ReplayAllOptions { VerifyCheckpoints = false }));
        }

        await stop.CancelAsync();
        await writer;
        Assert.True(appended >= 50, $"only {appended} records appended");
        Assert.All(reports, r => Assert.True(r.Ok, string.Join("; ", r.Divergences.Select(d => d.ToString()))));
        Assert.All(all, r => Assert.Equal(0, r.DivergentDossiers));
    }

    [Fact]
    public async Task Delivery_records_since_the_callers_version_are_no_conflict_but_other_records_and_transitions_are()
    {
        await db.ResetAsync();
        var h = new RuntimeHarness(db, [TinyDefinitions.Cycle]);
        var id = (await h.CreateAsync("test/cycle")).DossierId; // version 1: the page an officer has open

        // A letter is sent and opened meanwhile: the officer's action on version 1 still goes through.
        await h.Runtime.AppendRecordAsync(id, "notice.sent", new JsonObject { ["notice"] = "n-1" }, Actor.System);
        await h.Runtime.AppendRecordAsync(id, "letter.opened", new JsonObject { ["notice"] = "n-1" }, new Actor("user-71016", "municipality"));
        var fired = await h.FireAsync(id, "next", expectedVersion: 1);
        Assert.Equal(4, fired.Version);

        // A transition since version 1 (the one just fired) is a conflict, and so is a deadline extension.
        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => h.FireAsync(id, "next", expectedVersion: 1));
        await h.Runtime.AppendRecordAsync(id, "deadline.extended", new JsonObject { ["deadline"] = "d-1" }, new Actor("officer-anna", "officer"));
        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => h.FireAsync(id, "next", expectedVersion: 4));
        Assert.Equal(6, (await h.FireAsync(id, "next", expectedVersion: 5)).Version);
        Assert.True((await h.Replayer.ReplayAsync(id)).Ok);
    }
}
