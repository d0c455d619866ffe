using System.Diagnostics;
using System.Text.Json.Nodes;
using Npgsql;
using SubsidyEngine.Engine.Audit;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Engine.Programmes;
using SubsidyEngine.Engine.Programmes.Model;
using SubsidyEngine.Engine.Rules;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Workflows.Expressions;

namespace SubsidyEngine.Tools.Simulation;

/// <summary>Options of a simulation run.</summary>
public sealed record SimulationOptions
{
    public string ProgrammeId { get; init; } = "plan-samenleven";

    public int Seed { get; init; } = 1;

    /// <summary>First calendar year (the programme starts in 2022; only 2022 is supported).</summary>
    public int FromYear { get; init; } = 2022;

    /// <summary>Last calendar year simulated: steps after 31/12 of this year are not run.</summary>
    public int ToYear { get; init; } = 2026;

    /// <summary>Fires on different dossiers at the same step run with this degree of parallelism.</summary>
    public int Parallelism { get; init; } = 4;

    public SimulationTargets Targets { get; init; } = SimulationTargets.Default;

    /// <summary>When set, the simulation stops at this moment instead of at the end of <see cref="ToYear"/> (e.g. with calls in their windows).</summary>
    public DateTimeOffset? EndAt { get; init; }

    /// <summary>
    /// Called after every step with the simulation's clock (e.g. the scale benchmark delivers the notices due then, so
    /// their <c>notice.sent</c> records carry the time they would have been sent). Not used by the verb.
    /// </summary>
    public Func<DateTimeOffset, CancellationToken, Task>? AfterStep { get; init; }
}

/// <summary>What happened besides what the dossiers themselves show (kept for the summary).</summary>
public sealed class SimulationLog
{
    public MigrationPlan? ExtensionDryRun { get; set; }

    public DateTimeOffset? ExtensionDryRunAt { get; set; }

    public MigrationPlan? ExtensionApplied { get; set; }

    public DateTimeOffset? ExtensionAppliedAt { get; set; }

    public int TimeoutsFired { get; set; }

    public int StepsRun { get; set; }

    public int StepsSkipped { get; set; }

    public DateTimeOffset StartedAt { get; set; }

    public DateTimeOffset EndedAt { get; set; }

    public ReplaySummary? Replay { get; set; }
}

/// <summary>
/// Runs a whole grant programme (Plan Samenleven 2022-2026) on a moving clock through the real runtime, the real
/// workflow definitions, <see cref="ProgrammeService"/> and the deadline sweep, on an empty database: calls open and
/// close by their deadlines, generated applicants (<see cref="ApplicantGenerator"/>) save and submit their tables,
/// officers decide eligibility, allocate, award and confirm with the Government decision dates, authorities report,
/// officers decide continuation and settle (recoveries with the 30-day reaction period), the year-3 dossiers move to
/// the extension (dossier v2) after a dry run, and the calls wind down and close. Steps are ordered by their date; the
/// clock stops at every timeout on the way, so the sweep fires it at its due time. Same seed, same history.
/// </summary>
public sealed class ProgrammeSimulation
{
    private static readonly Actor Officer = new("officer-sim", "officer");

    private readonly NpgsqlDataSource _dataSource;
    private readonly ProgrammeCatalog _programmes;
    private readonly SimulationClock _clock;
    private readonly SimulationOptions _options;
    private readonly TextWriter _progress;
    private readonly PriorityQueue<(DateTimeOffset When, string Label, Func<Task> Run), (long Ticks, long Seq)> _steps = new();
    private readonly Dictionary<string, Guid> _callDossiers = new(StringComparer.Ordinal);
    private readonly Dictionary<PlannedApplication, Guid> _dossiers = new(ReferenceEqualityComparer.Instance);
    private readonly DateTimeOffset _end;
    private long _seq;

    public ProgrammeSimulation(NpgsqlDataSource dataSource, WorkflowCatalog catalog, ProgrammeCatalog programmes, SimulationClock clock, SimulationOptions options, TextWriter? progress = null)
    {
        if (options.FromYear != 2022 || options.ToYear < options.FromYear)
        {
            throw new ArgumentException("The simulation starts in 2022 (the first call); --years must be 2022-<end year>.", nameof(options));
        }

        _dataSource = dataSource;
        _programmes = programmes;
        _clock = clock;
        _options = options;
        _progress = progress ?? TextWriter.Null;
        _end = options.EndAt ?? Brussels.At(options.ToYear, 12, 31, 23, 59, 59);
        var definitions = new DefinitionStore(dataSource, clock);
        Runtime = new WorkflowRuntime(dataSource, catalog, definitions, clock);
        Service = new ProgrammeService(Runtime, programmes, dataSource);
        Sweeper = new DeadlineSweeper(dataSource, Runtime, clock);
        Migrator = new DefinitionMigrator(dataSource, catalog, definitions, clock);
        Replayer = new Replayer(dataSource, catalog, new JournalStore(dataSource));
    }

    public WorkflowRuntime Runtime { get; }

    public ProgrammeService Service { get; }

    public DeadlineSweeper Sweeper { get; }

    public DefinitionMigrator Migrator { get; }

    public Replayer Replayer { get; }

    public SimulationLog Log { get; } = new();

    /// <summary>The clock the simulation starts on: a month before the first call opens.</summary>
    public static DateTimeOffset StartTime { get; } = Brussels.At(2022, 2, 1, 9);

    /// <summary>Generates the applicants, runs the programme, replays every dossier and returns the summary.</summary>
    public async Task<SimulationSummary> RunAsync(CancellationToken ct = default)
    {
        var watch = Stopwatch.StartNew();
        var plan = new ApplicantGenerator(_programmes, _options.ProgrammeId, _options.Seed, _options.Targets).Generate();
        Log.StartedAt = _clock.GetUtcNow();
        foreach (var year in plan.Years)
        {
            ScheduleYear(year);
        }

        ScheduleExtension(plan.Years[2]);
        ScheduleWindDown(plan);

        while (_steps.TryDequeue(out var step, out _))
        {
            ct.ThrowIfCancellationRequested();
            if (step.When > _end)
            {
                Log.StepsSkipped++;
                continue;
            }

            await AdvanceToAsync(step.When, ct);
            await step.Run();
            if (_options.AfterStep is { } after)
            {
                await after(_clock.GetUtcNow(), ct);
            }

            Log.StepsRun++;
            if (Log.StepsRun % 250 == 0)
            {
                await _progress.WriteLineAsync($"[{watch.Elapsed.TotalSeconds,6:0.0}s] {Brussels.Local(step.When):yyyy-MM-dd} {Log.StepsRun} steps, {step.Label}");
            }
        }

        Log.EndedAt = _clock.GetUtcNow();
        await _progress.WriteLineAsync($"[{watch.Elapsed.TotalSeconds,6:0.0}s] programme run: {Log.StepsRun} steps, {Log.TimeoutsFired} timeouts fired; replaying the journal");
        Log.Replay = await Replayer.ReplayAllAsync(cancellationToken: ct);
        await _progress.WriteLineAsync($"[{watch.Elapsed.TotalSeconds,6:0.0}s] {Log.Replay.OneLine}");
        var summary = await SimulationSummary.CollectAsync(_dataSource, _programmes, _options, plan, Log, ct);
        await _progress.WriteLineAsync($"[{watch.Elapsed.TotalSeconds,6:0.0}s] summary collected");
        return summary;
    }

    // ------------------------------------------------------------------ the clock

    /// <summary>Moves the clock to <paramref name="when"/>, stopping at every timeout due on the way so the sweep fires it on time.</summary>
    private async Task AdvanceToAsync(DateTimeOffset when, CancellationToken ct)
    {
        DateTimeOffset? previous = null;
        while (true)
        {
            DateTimeOffset? next;
            await using (var cmd = _dataSource.CreateCommand("SELECT min(due_at) FROM deadline WHERE status = 'open' AND timeout_trigger IS NOT NULL"))
            {
                next = await cmd.ExecuteScalarAsync(ct) is DateTime dt ? new DateTimeOffset(DateTime.SpecifyKind(dt, DateTimeKind.Utc)) : null;
            }

            if (next is null || next > when)
            {
                break;
            }

            if (next > _clock.GetUtcNow())
            {
                _clock.MoveTo(next.Value);
            }

            var fired = await Sweeper.FireDueTimeoutsAsync(cancellationToken: ct);
            Log.TimeoutsFired += fired;
            if (fired == 0 && previous == next)
            {
                throw new InvalidOperationException($"The deadline due at {next:O} stays open after the sweep.");
            }

            previous = next;
        }

        if (when > _clock.GetUtcNow())
        {
            _clock.MoveTo(when);
        }
    }

    private void At(DateTimeOffset when, string label, Func<Task> run) => _steps.Enqueue((when, label, run), (when.UtcTicks, _seq++));

    private Task<FireResult> Fire(Guid id, string trigger, JsonObject? args, Actor actor) =>
        Runtime.FireAsync(new FireRequest(id, trigger, args ?? [], actor));

    private async Task ForEachAsync<T>(IEnumerable<T> items, Func<T, Task> body)
    {
        await Parallel.ForEachAsync(items.ToList(), new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _options.Parallelism) }, async (item, _) => await body(item));
    }

    private static Actor Municipality(string authority) => new($"user-{authority}", "municipality") { Authority = authority };

    // ------------------------------------------------------------------ one call

    private void ScheduleYear(YearPlan year)
    {
        var t = year.Timeline;
        var call = _programmes.Call(_options.ProgrammeId, t.CallId);
        var eligible = year.Applications.Where(a => a.Eligible).ToList();

        At(t.CreateCallAt, $"call {call.Id}: created", async () =>
            _callDossiers[call.Id] = (await Service.OpenCallAsync(_options.ProgrammeId, call.Id, Officer)).DossierId);

        foreach (var app in year.Applications)
        {
            At(app.DraftAt, $"{call.Id}/{app.Submitter}: draft", async () =>
            {
                var actor = Municipality(app.Submitter);
                var created = await Service.StartApplicationAsync(_options.ProgrammeId, call.Id, app.Submitter, app.Participants, actor);
                lock (_dossiers)
                {
                    _dossiers[app] = created.DossierId;
                }

                await Fire(created.DossierId, "save-draft", new JsonObject { ["application"] = Table(app), ["participants"] = Strings(app.Participants) }, actor);
            });
            At(app.SubmitAt, $"{call.Id}/{app.Submitter}: submit", () => Fire(_dossiers[app], "submit", null, Municipality(app.Submitter)));
        }

        // After the deadline (the sweep closes the window): eligibility, in the order of the register.
        At(t.EligibilityAt, $"call {call.Id}: eligibility", async () =>
        {
            foreach (var app in year.Applications.Where(a => !a.Eligible))
            {
                await Service.DecideEligibilityAsync(_dossiers[app], false, app.RefusalComment, Officer);
            }

            foreach (var app in eligible)
            {
                await Service.DecideEligibilityAsync(_dossiers[app], true, null, Officer);
            }
        });

        At(t.AllocationAt, $"call {call.Id}: allocation", async () =>
        {
            await Fire(_callDossiers[call.Id], "start-allocation", null, Officer);
            await Service.ConfirmAllocationAsync(_callDossiers[call.Id], Officer);
        });

        At(t.AwardAt, $"call {call.Id}: awards", () => ForEachAsync(eligible, app => Fire(_dossiers[app], "award", null, Officer)));

        var decision = Brussels.Iso(t.GovernmentDecision);
        At(Brussels.At(t.GovernmentDecision, 14), $"call {call.Id}: Government decision", () =>
            Fire(_callDossiers[call.Id], "record-government-decision", new JsonObject { ["date"] = decision }, Officer));
        At(Brussels.At(t.GovernmentDecision, 15), $"call {call.Id}: awards confirmed", () =>
            ForEachAsync(eligible, app => Fire(_dossiers[app], "confirm-award", null, Officer)));
        At(t.ProjectStartAt, $"call {call.Id}: project year starts", () => Fire(_callDossiers[call.Id], "start-project", null, Actor.System));

        foreach (var app in eligible)
        {
            ScheduleProjectYear(call, app);
        }
    }

    private void ScheduleProjectYear(Call call, PlannedApplication app)
    {
        var b = app.Behaviour;
        var actor = Municipality(app.Submitter);
        At(b.InterimAt, $"{call.Id}/{app.Submitter}: interim report", async () =>
        {
            var funded = await FundedActionsAsync(app);
            await Fire(_dossiers[app], "report-interim", new JsonObject { ["realised"] = Realised(b.InterimRealised, funded) }, actor);
        });
        At(b.ContinuationAt, $"{call.Id}/{app.Submitter}: continuation", async () =>
        {
            var funded = await FundedActionsAsync(app);
            await Fire(_dossiers[app], "decide-continuation", new JsonObject { ["motivationsAccepted"] = Strings(b.MotivationsAccepted.Where(funded.Contains)) }, Officer);
        });
        At(b.FinalAt, $"{call.Id}/{app.Submitter}: final report", async () =>
        {
            var funded = await FundedActionsAsync(app);
            var args = new JsonObject { ["realised"] = Realised(b.FinalRealised, funded) };
            var short_ = app.Rows.Where(r => funded.Contains(r.Action) && b.FinalRealised[r.Action] < r.Planned).Select(r => r.Action).ToList();
            if (short_.Count > 0)
            {
                args["motivation"] = $"Het beoogde bereik werd niet volledig gehaald voor actie(s) {string.Join(", ", short_)}.";
            }

            await Fire(_dossiers[app], "report-final", args, actor);
        });

        var settleAt = Brussels.At(Brussels.Date(b.FinalAt).AddDays(b.SettleAfterDays), 11);
        At(settleAt, $"{call.Id}/{app.Submitter}: settlement", async () =>
        {
            var settled = await Fire(_dossiers[app], "settle", null, Officer);
            if (settled.ToState == "pre-information")
            {
                DateTimeOffset decideAt;
                if (b.ReactionAfterDays is { } days)
                {
                    At(settleAt.AddDays(days).AddHours(-1), $"{call.Id}/{app.Submitter}: reaction", () =>
                        Fire(_dossiers[app], "react", new JsonObject { ["reaction"] = "Wij nemen kennis van de voorgenomen terugvordering en lichten de gerealiseerde acties toe." }, actor));
                    decideAt = settleAt.AddDays(days + 7);
                }
                else
                {
                    decideAt = settleAt.AddDays(31); // after the 30-day reaction period, which the sweep closes
                }

                At(decideAt, $"{call.Id}/{app.Submitter}: recovery decision", () => Fire(_dossiers[app], "decide-recovery", null, Officer));
                At(decideAt.AddDays(7), $"{call.Id}/{app.Submitter}: closure", () => Fire(_dossiers[app], "close", null, Officer));
            }
            else
            {
                At(settleAt.AddDays(10), $"{call.Id}/{app.Submitter}: closure", () => Fire(_dossiers[app], "close", null, Officer));
            }
        });
    }

    // ------------------------------------------------------------------ extension and wind-down

    private void ScheduleExtension(YearPlan year3)
    {
        var call = _programmes.Call(_options.ProgrammeId, year3.Timeline.CallId);
        var extension = call.Extensions.OrderBy(e => e.End).LastOrDefault();
        if (extension is null)
        {
            return;
        }

        // The extension migration of the version the year-3 dossiers started on (the latest effective before the
        // extension's version took effect): the one that moves a running project into "extended" (identity migrations
        // to later versions also reach a version with that state).
        var dossierWorkflow = ProgrammeService.DossierWorkflow(_options.ProgrammeId);
        var startedOn = Runtime.Catalog.LatestEffective(dossierWorkflow, year3.Timeline.CreateCallAt).Definition.Version;
        var migration = Runtime.Catalog.Migrations
            .Where(m => m.Workflow == dossierWorkflow && m.FromVersion == startedOn && m.StateMap.Any(kv => kv.Key != "extended" && kv.Value == "extended")
                        && Runtime.Catalog.Get(m.Workflow, m.ToVersion).Definition.States.Any(st => st.Id == "extended"))
            .Select(m => m.Id).OrderBy(id => id, StringComparer.Ordinal).LastOrDefault();
        if (migration is null)
        {
            return;
        }

        At(Brussels.At(2025, 6, 2, 10), $"call {call.Id}: extended", () =>
            Fire(_callDossiers[call.Id], "extend", new JsonObject
            {
                ["until"] = Brussels.Iso(extension.End),
                ["comment"] = "Verlenging van de projectperiode tot 31 december 2025, zonder nieuwe middelen (beslissing Vlaamse Regering).",
            }, Officer));
        At(Brussels.At(2025, 6, 2, 11), "extension: dry run", async () =>
        {
            Log.ExtensionDryRun = await Migrator.DryRunAsync(migration);
            Log.ExtensionDryRunAt = _clock.GetUtcNow();
        });
        At(Brussels.At(2025, 6, 3, 10), "extension: apply", async () =>
        {
            Log.ExtensionApplied = await Migrator.ApplyAsync(migration, Officer);
            Log.ExtensionAppliedAt = _clock.GetUtcNow();
        });
    }

    private void ScheduleWindDown(SimulationPlan plan)
    {
        At(Brussels.At(2026, 2, 2, 9), "calls: winding down", async () =>
        {
            foreach (var year in plan.Years)
            {
                await Fire(_callDossiers[year.Timeline.CallId], "wind-down", null, Officer);
            }
        });
        ScheduleCloseCalls(plan, Brussels.At(2026, 4, 15, 10));
    }

    private void ScheduleCloseCalls(SimulationPlan plan, DateTimeOffset when) => At(when, "calls: closing", async () =>
    {
        var retry = false;
        foreach (var year in plan.Years)
        {
            var id = _callDossiers[year.Timeline.CallId];
            if ((await Runtime.GetAsync(id))!.State != "winding-down")
            {
                continue;
            }

            var open = await OpenDossiersAsync(year.Timeline.CallId);
            if (open == 0)
            {
                await Fire(id, "close", null, Officer);
            }
            else
            {
                retry = true;
            }
        }

        if (retry)
        {
            ScheduleCloseCalls(plan, when.AddDays(14));
        }
    });

    private async Task<int> OpenDossiersAsync(string callId)
    {
        await using var cmd = _dataSource.CreateCommand(
            "SELECT count(*) FROM dossier WHERE workflow_id = $1 AND data->'call'->>'id' = $2 AND NOT (state = ANY($3))");
        cmd.Parameters.AddWithValue(ProgrammeService.DossierWorkflow(_options.ProgrammeId));
        cmd.Parameters.AddWithValue(callId);
        cmd.Parameters.AddWithValue(new[] { "closed", "ineligible", "withdrawn" });
        return Convert.ToInt32(await cmd.ExecuteScalarAsync());
    }

    // ------------------------------------------------------------------ helpers

    /// <summary>The actions of a dossier that received money in the allocation (only those are reported).</summary>
    private async Task<HashSet<string>> FundedActionsAsync(PlannedApplication app)
    {
        var d = await Runtime.GetAsync(_dossiers[app]) ?? throw new DossierNotFoundException(_dossiers[app]);
        return (d.Data["allocation"]?["rows"] as JsonArray ?? []).OfType<JsonObject>()
            .Where(r => ProgrammeGuards.Dec(r, "allocatedEur") > 0)
            .Select(r => ProgrammeGuards.Str(r, "actionCode")!)
            .ToHashSet(StringComparer.Ordinal);
    }

    private static JsonObject Realised(IReadOnlyDictionary<string, int> realised, HashSet<string> funded)
    {
        var o = new JsonObject();
        foreach (var (action, n) in realised.Where(kv => funded.Contains(kv.Key)).OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            o[action] = n;
        }

        return o;
    }

    private static JsonArray Strings(IEnumerable<string> items) => new(items.Select(s => (JsonNode)JsonValue.Create(s)!).ToArray());

    /// <summary>
    /// The application table as the municipality enters it: current reach, planned reach, priority, 1:1 local money.
    /// The cooperation bonus is not the applicant's to state: the eligibility decision derives it.
    /// </summary>
    public static JsonObject Table(PlannedApplication app)
    {
        var table = new JsonObject
        {
            ["rows"] = new JsonArray(app.Rows.OrderBy(r => r.Priority).Select(r => (JsonNode)new JsonObject
            {
                ["action"] = r.Action,
                ["currentReach"] = 0,
                ["plannedAdditionalReach"] = r.Planned,
                ["priority"] = r.Priority,
                ["localContributionEur"] = r.Planned * r.Rate,
            }).ToArray()),
        };
        return table;
    }
}
