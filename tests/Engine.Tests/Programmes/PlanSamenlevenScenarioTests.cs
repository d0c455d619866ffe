using System.Text.Json.Nodes;
using SubsidyEngine.Engine.Audit;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Testing;

namespace SubsidyEngine.Engine.Tests.Programmes;

/// <summary>Scenario tests named after the business path, on the real definitions, data and register.</summary>
public sealed class PlanSamenlevenScenarioTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    private static readonly DateTimeOffset BeforeYear2Window = new(2023, 5, 20, 9, 0, 0, TimeSpan.FromHours(2));

    public async Task InitializeAsync() => await db.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<long> CountAsync(string sql)
    {
        await using var cmd = db.DataSource.CreateCommand(sql);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Year2_application_goes_from_draft_to_closure_with_recovery_and_replays_exactly()
    {
        var h = new ProgrammeHarness(db, BeforeYear2Window);
        var officer = ProgrammeHarness.Officer;
        var genk = ProgrammeHarness.Municipality("71016");

        var call = await h.Service.OpenCallAsync("plan-samenleven", "2023", officer);
        h.Clock.SetUtcNow(new DateTimeOffset(2023, 5, 26, 8, 0, 0, TimeSpan.FromHours(2)));
        Assert.Equal(1, await h.Sweeper.FireDueTimeoutsAsync());
        Assert.Equal("open", (await h.Runtime.GetAsync(call.DossierId))!.State);

        var app = await h.Service.StartApplicationAsync("plan-samenleven", "2023", "71016", [], genk);
        var table = ProgrammeHarness.Application(("2.1", 500, 1, 60m), ("5.4", 100, 2, 320m));
        await h.FireAsync(app.DossierId, "save-draft", new JsonObject { ["application"] = table }, genk);
        var submitted = await h.FireAsync(app.DossierId, "submit", null, genk);
        Assert.Equal("submitted", submitted.ToState);
        Assert.Single(submitted.NoticeIds); // acknowledgement of receipt

        var snapshot = await h.Runtime.GetAsync(app.DossierId);
        Assert.Equal(62_000m, snapshot!.Data["amounts"]!["requestedTotalEur"]!.GetValue<decimal>()); // 500 x 60 + 100 x 320

        await h.Service.DecideEligibilityAsync(app.DossierId, eligible: true, null, officer);
        h.Clock.SetUtcNow(new DateTimeOffset(2023, 7, 10, 12, 0, 1, TimeSpan.FromHours(2)));
        await h.Sweeper.FireDueTimeoutsAsync();
        Assert.Equal("submissions-closed", (await h.Runtime.GetAsync(call.DossierId))!.State);
        await h.FireAsync(call.DossierId, "start-allocation", null, officer);

        var allocation = await h.Service.ConfirmAllocationAsync(call.DossierId, officer);
        Assert.True(allocation.FitsBudget);
        Assert.Equal(62_000m, allocation.AllocatedEur);

        var awarded = await h.FireAsync(app.DossierId, "award", null, officer);
        Assert.Equal("awarded", awarded.ToState);
        Assert.Equal(37_200m, (await h.Runtime.GetAsync(app.DossierId))!.Data["payment"]!["advanceEur"]!.GetValue<decimal>()); // 60 %
        // The award is confirmed with the Government decision recorded on the call, not a date the officer types.
        await Assert.ThrowsAsync<TriggerNotPermittedException>(() => h.FireAsync(app.DossierId, "confirm-award", null, officer));
        h.Clock.SetUtcNow(new DateTimeOffset(2023, 9, 22, 15, 0, 0, TimeSpan.FromHours(2)));
        await h.FireAsync(call.DossierId, "record-government-decision", new JsonObject { ["date"] = "2023-09-22" }, officer);
        await h.FireAsync(app.DossierId, "confirm-award", null, officer);
        Assert.Equal("2023-09-22", (await h.Runtime.GetAsync(app.DossierId))!.Data["governmentDecisionDate"]!.GetValue<string>());
        Assert.Equal(2, await CountAsync($"SELECT count(*) FROM deadline WHERE dossier_id = '{app.DossierId}' AND status = 'open'"));

        h.Clock.SetUtcNow(new DateTimeOffset(2024, 4, 10, 10, 0, 0, TimeSpan.FromHours(2)));
        await h.FireAsync(app.DossierId, "report-interim", new JsonObject { ["realised"] = new JsonObject { ["2.1"] = 60, ["5.4"] = 10 } }, genk);
        await h.FireAsync(app.DossierId, "decide-continuation", new JsonObject { ["motivationsAccepted"] = new JsonArray("5.4") }, officer);
        var continuation = (await h.Runtime.GetAsync(app.DossierId))!.Data["continuation"]!;
        Assert.False(continuation["rows"]![0]!["continued"]!.GetValue<bool>() && continuation["rows"]![0]!["actionCode"]!.GetValue<string>() == "2.1"); // 60/500 = 12 % < 25 %

        h.Clock.SetUtcNow(new DateTimeOffset(2024, 10, 10, 10, 0, 0, TimeSpan.FromHours(2)));
        await h.FireAsync(app.DossierId, "report-final", new JsonObject { ["realised"] = new JsonObject { ["2.1"] = 100, ["5.4"] = 20 } }, genk);
        var settle = await h.FireAsync(app.DossierId, "settle", null, officer);
        Assert.Equal("pre-information", settle.ToState);
        var settlement = (await h.Runtime.GetAsync(app.DossierId))!.Data["settlement"]!;
        Assert.Equal(12_400m, settlement["earnedEur"]!.GetValue<decimal>()); // 100 x 60 + 20 x 320
        Assert.Equal(24_800m, settlement["recoveryEur"]!.GetValue<decimal>()); // 37,200 paid - 12,400 earned

        await Assert.ThrowsAsync<TriggerNotPermittedException>(() => h.FireAsync(app.DossierId, "decide-recovery", null, officer));
        h.Clock.Advance(TimeSpan.FromDays(31));
        await h.Sweeper.FireDueTimeoutsAsync(); // the 30-day reaction period ends
        await h.FireAsync(app.DossierId, "decide-recovery", null, officer);
        var closed = await h.FireAsync(app.DossierId, "close", null, officer);
        Assert.Equal("closed", closed.ToState);

        Assert.Equal(0, (await h.Replayer.ReplayAllAsync()).DivergentDossiers);
        Assert.Equal(7, await CountAsync($"SELECT count(*) FROM notice WHERE dossier_id = '{app.DossierId}'"));

        // Every letter of the path renders from the journal alone, with the amounts in nl-BE format, and the
        // same notice renders to the same bytes twice.
        var letters = new Letters.NoticeLetters(new JournalStore(db.DataSource), h.Catalog,
            new Letters.LetterModelBuilder(ProgrammeHarness.Programmes, Letters.LetterSettings.Default("http://127.0.0.1:5080")), new Templates.LetterRenderer());
        var rendered = new Dictionary<string, Templates.RenderedLetter>();
        await using (var cmd = db.DataSource.CreateCommand($"SELECT template_id, template_version, dossier_seq FROM notice WHERE dossier_id = '{app.DossierId}' ORDER BY dossier_seq"))
        await using (var reader = await cmd.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                rendered[reader.GetString(0)] = await letters.RenderAsync(app.DossierId, reader.GetInt32(2), reader.GetString(0), reader.GetInt32(1));
            }
        }

        Assert.Equal(["acknowledgement", "award-decision", "award-final", "closure", "continuation-decision", "recovery-preinformation", "settlement-decision"], rendered.Keys.Order());
        Assert.Contains("€\u00A062.000,00", rendered["award-decision"].Html, StringComparison.Ordinal);
        Assert.Contains("€\u00A037.200,00", rendered["award-decision"].Html, StringComparison.Ordinal);
        Assert.Contains("onder voorbehoud", rendered["award-decision"].Html, StringComparison.Ordinal);
        Assert.Contains("€\u00A024.800,00", rendered["recovery-preinformation"].Html, StringComparison.Ordinal);
        Assert.Contains("22 september 2023", rendered["award-final"].Html, StringComparison.Ordinal);
        // The continuation decision prints the realised reach of each action (60 of 500 for 2.1, 10 of 100 for 5.4),
        // beside its share; version 2 printed 0 for every action code with a dot.
        Assert.Equal(3, (int)await CountAsync($"SELECT template_version FROM notice WHERE dossier_id = '{app.DossierId}' AND template_id = 'continuation-decision'"));
        Assert.Contains("<td class=\"num\">500</td><td class=\"num\">60</td><td class=\"num\">12%</td>", rendered["continuation-decision"].Html, StringComparison.Ordinal);
        Assert.Contains("<td class=\"num\">100</td><td class=\"num\">10</td><td class=\"num\">10%</td>", rendered["continuation-decision"].Html, StringComparison.Ordinal);
        var again = await letters.RenderAsync(app.DossierId, (int)await CountAsync($"SELECT dossier_seq FROM notice WHERE dossier_id = '{app.DossierId}' AND template_id = 'award-decision'"), "award-decision",
            (int)await CountAsync($"SELECT template_version FROM notice WHERE dossier_id = '{app.DossierId}' AND template_id = 'award-decision'"));
        Assert.Equal(rendered["award-decision"].HtmlSha256, again.HtmlSha256);
    }

    [Fact]
    public async Task A_late_submission_is_refused_unless_an_officer_accepts_it_with_a_reason()
    {
        var h = new ProgrammeHarness(db, new DateTimeOffset(2023, 7, 10, 11, 0, 0, TimeSpan.FromHours(2)));
        var genk = ProgrammeHarness.Municipality("71016");
        await h.OpenCallWindowAsync("plan-samenleven", "2023");
        var app = await h.Service.StartApplicationAsync("plan-samenleven", "2023", "71016", [], genk);
        await h.FireAsync(app.DossierId, "save-draft", new JsonObject { ["application"] = ProgrammeHarness.Application(("2.1", 100, 1, 60m)) }, genk);
        h.Clock.SetUtcNow(new DateTimeOffset(2023, 7, 10, 12, 5, 0, TimeSpan.FromHours(2)));

        // The deadline is the call's, as the server holds it, and the refusal says it in the programme's words.
        var late = await Assert.ThrowsAsync<TriggerNotPermittedException>(() => h.FireAsync(app.DossierId, "submit", null, genk));
        var reason = Assert.Single(late.Blocked.Where(b => b.Trigger == "submit").SelectMany(b => b.Reasons));
        Assert.Equal("call.deadline-passed", reason.Code);
        Assert.Equal("De indieningstermijn van deze oproep verstreek op 10 juli 2023 om 12:00.", reason.Nl);
        // Starting a new application is refused too.
        var start = await Assert.ThrowsAsync<TriggerNotPermittedException>(() => h.Service.StartApplicationAsync("plan-samenleven", "2023", "13040", [], ProgrammeHarness.Municipality("13040")));
        Assert.Contains(start.Blocked.SelectMany(b => b.Reasons), r => r.Code == "call.deadline-passed");
        await Assert.ThrowsAsync<ArgumentValidationException>(() => h.FireAsync(app.DossierId, "accept-late", null, ProgrammeHarness.Officer));

        var accepted = await h.FireAsync(app.DossierId, "accept-late", new JsonObject { ["comment"] = "Technisch probleem in het loket op 10 juli" }, ProgrammeHarness.Officer);
        Assert.Equal("submitted", accepted.ToState);
    }

    [Fact]
    public async Task A_small_municipality_alone_is_not_eligible_and_gets_the_reason()
    {
        var h = new ProgrammeHarness(db, BeforeYear2Window.AddDays(7));
        await h.OpenCallWindowAsync("plan-samenleven", "2023");
        var @as = ProgrammeHarness.Municipality("71002");
        var app = await h.Service.StartApplicationAsync("plan-samenleven", "2023", "71002", [], @as);
        await h.FireAsync(app.DossierId, "save-draft", new JsonObject { ["application"] = ProgrammeHarness.Application(("2.1", 100, 1, 60m)) }, @as);
        await h.FireAsync(app.DossierId, "submit", null, @as);

        var refused = await Assert.ThrowsAsync<TriggerNotPermittedException>(() => h.Service.DecideEligibilityAsync(app.DossierId, true, null, ProgrammeHarness.Officer));
        Assert.NotEmpty(refused.Blocked.Single(b => b.Trigger == "declare-eligible").Reasons);

        var decided = await h.Service.DecideEligibilityAsync(app.DossierId, false, "Minder dan 7.500 inwoners van niet-EU-14-herkomst", ProgrammeHarness.Officer);
        Assert.Equal("ineligible", decided.ToState);
        var eligibility = (await h.Runtime.GetAsync(app.DossierId))!.Data["eligibility"]!;
        Assert.False(eligibility["passed"]!.GetValue<bool>());
    }

    [Fact]
    public async Task An_invalid_application_table_cannot_be_submitted_and_names_the_problem()
    {
        var h = new ProgrammeHarness(db, BeforeYear2Window.AddDays(7));
        await h.OpenCallWindowAsync("plan-samenleven", "2023");
        var genk = ProgrammeHarness.Municipality("71016");
        var app = await h.Service.StartApplicationAsync("plan-samenleven", "2023", "71016", [], genk);
        var version = (await h.Runtime.GetAsync(app.DossierId))!.Version;

        // A duplicate priority is refused by the schema, naming the row; an action the call does not fund by the
        // draft's guard. Neither is stored.
        var duplicate = await Assert.ThrowsAsync<ArgumentValidationException>(() => h.FireAsync(app.DossierId, "save-draft",
            new JsonObject { ["application"] = ProgrammeHarness.Application(("2.1", 100, 1, 60m), ("5.4", 5, 1, 320m)) }, genk));
        Assert.Equal("$.application.rows[1].priority", Assert.Single(duplicate.Errors).Field);
        var unknown = await Assert.ThrowsAsync<TriggerNotPermittedException>(() => h.FireAsync(app.DossierId, "save-draft",
            new JsonObject { ["application"] = ProgrammeHarness.Application(("2.1", 100, 1, 60m), ("9.9", 5, 2, 10m)) }, genk));
        Assert.Contains(unknown.Blocked.SelectMany(b => b.Reasons), r => r.Code == "row.unknown-action");
        Assert.Equal(version, (await h.Runtime.GetAsync(app.DossierId))!.Version);

        // A draft may have gaps in its priorities; submitting it is refused with the reason.
        await h.FireAsync(app.DossierId, "save-draft", new JsonObject { ["application"] = ProgrammeHarness.Application(("2.1", 100, 1, 60m), ("5.4", 5, 3, 320m)) }, genk);
        var e = await Assert.ThrowsAsync<TriggerNotPermittedException>(() => h.FireAsync(app.DossierId, "submit", null, genk));
        Assert.Contains(e.Blocked.SelectMany(b => b.Reasons), r => r.Code == "priority.not-consecutive");
        Assert.Equal("draft", (await h.Runtime.GetAsync(app.DossierId))!.State);
    }

    [Fact]
    public async Task The_extension_moves_running_dossiers_to_v4_after_a_dry_run_with_a_new_final_report_deadline()
    {
        var h = new ProgrammeHarness(db, BeforeYear2Window.AddDays(7));
        var officer = ProgrammeHarness.Officer;
        var genk = ProgrammeHarness.Municipality("71016");
        // Year 3 is open only to year-2 submitters: Genk submitted in year 2.
        await h.OpenCallWindowAsync("plan-samenleven", "2023");
        var year2 = await h.Service.StartApplicationAsync("plan-samenleven", "2023", "71016", [], genk);
        await h.FireAsync(year2.DossierId, "save-draft", new JsonObject { ["application"] = ProgrammeHarness.Application(("2.1", 300, 1, 60m)) }, genk);
        await h.FireAsync(year2.DossierId, "submit", null, genk);
        h.Clock.SetUtcNow(new DateTimeOffset(2024, 4, 25, 9, 0, 0, TimeSpan.FromHours(2)));
        var call = await h.Service.OpenCallAsync("plan-samenleven", "2024", officer);
        await h.FireAsync(call.DossierId, "open-window", null, officer);
        var app = await h.Service.StartApplicationAsync("plan-samenleven", "2024", "71016", [], genk);
        await h.FireAsync(app.DossierId, "save-draft", new JsonObject { ["application"] = ProgrammeHarness.Application(("2.1", 300, 1, 60m)) }, genk);
        await h.FireAsync(app.DossierId, "submit", null, genk);
        await h.Service.DecideEligibilityAsync(app.DossierId, true, null, officer);
        await h.FireAsync(call.DossierId, "close-window", null, officer);
        await h.FireAsync(call.DossierId, "start-allocation", null, officer);
        await h.Service.ConfirmAllocationAsync(call.DossierId, officer);
        await h.FireAsync(app.DossierId, "award", null, officer);
        h.Clock.SetUtcNow(new DateTimeOffset(2024, 7, 5, 15, 0, 0, TimeSpan.FromHours(2)));
        await h.FireAsync(call.DossierId, "record-government-decision", new JsonObject { ["date"] = "2024-07-05" }, officer);
        await h.FireAsync(app.DossierId, "confirm-award", null, officer);

        Assert.Equal(3, (await h.Runtime.GetAsync(app.DossierId))!.WorkflowVersion);
        var plan = await h.Migrator.DryRunAsync("plan-samenleven-extension-2025-v3");
        Assert.Equal("extended", Assert.Single(plan.Movable).ToState);
        var applied = await h.Migrator.ApplyAsync("plan-samenleven-extension-2025-v3", officer);

        Assert.Single(applied.Movable);
        var moved = await h.Runtime.GetAsync(app.DossierId);
        Assert.Equal((4, "extended"), (moved!.WorkflowVersion, moved.State));
        Assert.Equal(1, await CountAsync($"SELECT count(*) FROM deadline WHERE dossier_id = '{app.DossierId}' AND kind = 'final-report' AND status = 'open' AND due_at = '2026-01-31T23:59:59+01:00'"));
        Assert.Equal(1, await CountAsync($"SELECT count(*) FROM notice WHERE dossier_id = '{app.DossierId}' AND template_id = 'extension-notice'"));
        Assert.Equal(0, (await h.Replayer.ReplayAllAsync()).DivergentDossiers);
    }

    [Fact]
    public async Task Version_5_extends_a_running_project_to_the_end_the_call_data_set_and_refuses_an_end_stated_by_the_officer()
    {
        var h = new ProgrammeHarness(db, BeforeYear2Window.AddDays(7));
        var officer = ProgrammeHarness.Officer;
        var genk = ProgrammeHarness.Municipality("71016");
        await h.OpenCallWindowAsync("plan-samenleven", "2023");
        var year2 = await h.Service.StartApplicationAsync("plan-samenleven", "2023", "71016", [], genk);
        await h.FireAsync(year2.DossierId, "save-draft", new JsonObject { ["application"] = ProgrammeHarness.Application(("2.1", 300, 1, 60m)) }, genk);
        await h.FireAsync(year2.DossierId, "submit", null, genk);
        h.Clock.SetUtcNow(new DateTimeOffset(2024, 4, 25, 9, 0, 0, TimeSpan.FromHours(2)));
        var call = await h.Service.OpenCallAsync("plan-samenleven", "2024", officer);
        await h.FireAsync(call.DossierId, "open-window", null, officer);
        var app = await h.Service.StartApplicationAsync("plan-samenleven", "2024", "71016", [], genk);
        await h.FireAsync(app.DossierId, "save-draft", new JsonObject { ["application"] = ProgrammeHarness.Application(("2.1", 300, 1, 60m)) }, genk);
        await h.FireAsync(app.DossierId, "submit", null, genk);
        await h.Service.DecideEligibilityAsync(app.DossierId, true, null, officer);
        await h.FireAsync(call.DossierId, "close-window", null, officer);
        await h.FireAsync(call.DossierId, "start-allocation", null, officer);
        await h.Service.ConfirmAllocationAsync(call.DossierId, officer);
        await h.FireAsync(app.DossierId, "award", null, officer);
        h.Clock.SetUtcNow(new DateTimeOffset(2024, 7, 5, 15, 0, 0, TimeSpan.FromHours(2)));
        await h.FireAsync(call.DossierId, "record-government-decision", new JsonObject { ["date"] = "2024-07-05" }, officer);
        await h.FireAsync(app.DossierId, "confirm-award", null, officer);
        Assert.Contains((await h.Migrator.ApplyAsync("plan-samenleven-call-extension-v3-to-v5", officer)).Movable, m => m.DossierId == app.DossierId && m.ToState == "running");
        Assert.Equal((5, "running"), ((await h.Runtime.GetAsync(app.DossierId))!.WorkflowVersion, (await h.Runtime.GetAsync(app.DossierId))!.State));

        // A report states every action of the application (an action left out is not a 0 the authority said), and
        // the officer accepts motivations only for actions of the application.
        h.Clock.SetUtcNow(new DateTimeOffset(2025, 4, 2, 10, 0, 0, TimeSpan.FromHours(2)));
        var empty = await Assert.ThrowsAsync<TriggerNotPermittedException>(() => h.FireAsync(app.DossierId, "report-interim", new JsonObject { ["realised"] = new JsonObject() }, genk));
        Assert.Contains(empty.Blocked.SelectMany(b => b.Reasons), r => r.Code == "report.action-missing" && r.Field == "$.realised['2.1']");
        await h.FireAsync(app.DossierId, "report-interim", new JsonObject { ["realised"] = new JsonObject { ["2.1"] = 100 } }, genk);
        var unknown = await Assert.ThrowsAsync<TriggerNotPermittedException>(() => h.FireAsync(app.DossierId, "decide-continuation", new JsonObject { ["motivationsAccepted"] = new JsonArray("9.9") }, officer));
        Assert.Contains(unknown.Blocked.SelectMany(b => b.Reasons), r => r.Code == "continuation.unknown-action" && r.Field == "$.motivationsAccepted[0]");
        await h.FireAsync(app.DossierId, "decide-continuation", new JsonObject { ["motivationsAccepted"] = new JsonArray("2.1") }, officer);
        Assert.Equal("continued", (await h.Runtime.GetAsync(app.DossierId))!.State);

        h.Clock.SetUtcNow(new DateTimeOffset(2025, 6, 2, 10, 0, 0, TimeSpan.FromHours(2)));
        var stated = await Assert.ThrowsAsync<ArgumentValidationException>(() => h.FireAsync(app.DossierId, "extend",
            new JsonObject { ["projectEnd"] = "2030-12-31", ["finalReportDue"] = "2031-01-31T23:59:59+01:00", ["comment"] = "verlenging" }, officer));
        Assert.Contains(stated.Errors, e => e.Field == "$.projectEnd");
        var early = await Assert.ThrowsAsync<TriggerNotPermittedException>(() => h.FireAsync(app.DossierId, "extend",
            new JsonObject { ["finalReportDue"] = "2025-12-15T12:00:00+01:00", ["comment"] = "verlenging" }, officer));
        Assert.Contains(early.Blocked.SelectMany(b => b.Reasons), r => r.Code == "extension.report-before-end");

        await h.FireAsync(app.DossierId, "extend", new JsonObject { ["finalReportDue"] = "2026-01-31T23:59:59+01:00", ["comment"] = "verlenging" }, officer);
        var extended = await h.Runtime.GetAsync(app.DossierId);
        Assert.Equal("extended", extended!.State);
        Assert.Equal("2025-12-31", extended.Data["extension"]!["projectEnd"]!.GetValue<string>());
        Assert.Equal(0, extended.Data["extension"]!["additionalBudgetEur"]!.GetValue<int>());
        h.Clock.SetUtcNow(new DateTimeOffset(2026, 1, 5, 10, 0, 0, TimeSpan.FromHours(1)));
        await Assert.ThrowsAsync<TriggerNotPermittedException>(() => h.FireAsync(app.DossierId, "report-final", new JsonObject { ["realised"] = new JsonObject() }, genk));
        await h.FireAsync(app.DossierId, "report-final", new JsonObject { ["realised"] = new JsonObject { ["2.1"] = 250 } }, genk);
        Assert.Equal("final-review", (await h.Runtime.GetAsync(app.DossierId))!.State);
        Assert.Equal(0, (await h.Replayer.ReplayAllAsync()).DivergentDossiers);
    }

    [Fact]
    public async Task The_second_programme_runs_on_the_same_engine_and_excludes_Antwerp_by_data()
    {
        var h = new ProgrammeHarness(db, new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.FromHours(1)));
        var callId = ProgrammeHarness.Programmes.Programme("oefenkansen-nederlands").Calls[0].Id;
        await h.OpenCallWindowAsync("oefenkansen-nederlands", callId);
        // Co-financing per organised practice opportunity: the local share is EUR 1,000 per unit (data, not code).
        var table = ProgrammeHarness.Application(("ON.1", 12, 1, 1000m));

        async Task<Guid> SubmitAsync(string authority)
        {
            var actor = ProgrammeHarness.Municipality(authority);
            var app = await h.Service.StartApplicationAsync("oefenkansen-nederlands", callId, authority, [], actor);
            await h.FireAsync(app.DossierId, "save-draft", new JsonObject { ["application"] = table.DeepClone() }, actor);
            await h.FireAsync(app.DossierId, "submit", null, actor);
            return app.DossierId;
        }

        var antwerp = await SubmitAsync("11002");
        var genk = await SubmitAsync("71016");

        Assert.Equal("oefenkansen-nederlands/dossier", (await h.Runtime.GetAsync(antwerp))!.WorkflowId);
        Assert.Equal(12_000m, (await h.Runtime.GetAsync(genk))!.Data["amounts"]!["requestedTotalEur"]!.GetValue<decimal>());
        var refused = await Assert.ThrowsAsync<TriggerNotPermittedException>(() => h.Service.DecideEligibilityAsync(antwerp, true, null, ProgrammeHarness.Officer));
        Assert.Contains("eigen agentschap", string.Join(" ", refused.Blocked.SelectMany(b => b.Reasons).Select(r => r.Nl)), StringComparison.Ordinal);
        Assert.Equal("eligible", (await h.Service.DecideEligibilityAsync(genk, true, null, ProgrammeHarness.Officer)).ToState);
    }

    [Fact]
    public async Task Oefenkansen_version_3_refuses_a_report_that_leaves_an_action_out_and_a_motivation_for_an_action_not_applied_for()
    {
        var h = new ProgrammeHarness(db, new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.FromHours(1)));
        var officer = ProgrammeHarness.Officer;
        var genk = ProgrammeHarness.Municipality("71016");
        var callId = ProgrammeHarness.Programmes.Programme("oefenkansen-nederlands").Calls[0].Id;
        var call = await h.OpenCallWindowAsync("oefenkansen-nederlands", callId);
        var app = await h.Service.StartApplicationAsync("oefenkansen-nederlands", callId, "71016", [], genk);
        await h.FireAsync(app.DossierId, "save-draft", new JsonObject { ["application"] = ProgrammeHarness.Application(("ON.1", 12, 1, 12000m)) }, genk);
        await h.FireAsync(app.DossierId, "submit", null, genk);
        await h.Service.DecideEligibilityAsync(app.DossierId, true, null, officer);
        await h.FireAsync(call, "close-window", null, officer);
        await h.FireAsync(call, "start-allocation", null, officer);
        await h.Service.ConfirmAllocationAsync(call, officer);
        await h.FireAsync(app.DossierId, "award", null, officer);
        h.Clock.SetUtcNow(new DateTimeOffset(2026, 6, 12, 15, 0, 0, TimeSpan.FromHours(2)));
        await h.FireAsync(call, "record-government-decision", new JsonObject { ["date"] = "2026-06-12" }, officer);
        await h.FireAsync(app.DossierId, "confirm-award", null, officer);
        Assert.Contains((await h.Migrator.ApplyAsync("oefenkansen-nederlands-complete-reports-v2-to-v3", officer)).Movable, m => m.DossierId == app.DossierId);
        Assert.Equal(3, (await h.Runtime.GetAsync(app.DossierId))!.WorkflowVersion);

        h.Clock.SetUtcNow(new DateTimeOffset(2027, 1, 5, 10, 0, 0, TimeSpan.FromHours(1)));
        var empty = await Assert.ThrowsAsync<TriggerNotPermittedException>(() => h.FireAsync(app.DossierId, "report-interim", new JsonObject { ["realised"] = new JsonObject() }, genk));
        Assert.Contains(empty.Blocked.SelectMany(b => b.Reasons), r => r.Code == "report.action-missing" && r.Field == "$.realised['ON.1']");
        await h.FireAsync(app.DossierId, "report-interim", new JsonObject { ["realised"] = new JsonObject { ["ON.1"] = 6 } }, genk);
        var unknown = await Assert.ThrowsAsync<TriggerNotPermittedException>(() => h.FireAsync(app.DossierId, "decide-continuation", new JsonObject { ["motivationsAccepted"] = new JsonArray("9.9") }, officer));
        Assert.Contains(unknown.Blocked.SelectMany(b => b.Reasons), r => r.Code == "continuation.unknown-action");
        await h.FireAsync(app.DossierId, "decide-continuation", new JsonObject { ["motivationsAccepted"] = new JsonArray() }, officer);
        Assert.Equal("continued", (await h.Runtime.GetAsync(app.DossierId))!.State);
        Assert.Equal(0, (await h.Replayer.ReplayAllAsync()).DivergentDossiers);
    }
}
