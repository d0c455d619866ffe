using System.Text.Json.Nodes;
using Npgsql;
using SubsidyEngine.Engine.Programmes;
using SubsidyEngine.Engine.Programmes.Model;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Workflows.Expressions;

namespace SubsidyEngine.Tools.Simulation;

/// <summary>Who acts in the demo: the journal names these users (the seeded development users of the service).</summary>
/// <param name="OfficerUserId">The officer's user id.</param>
/// <param name="MunicipalityUserIds">Authority id (NIS code) to the user id of its municipality user.</param>
public sealed record DemoCast(string OfficerUserId, IReadOnlyDictionary<string, string> MunicipalityUserIds);

/// <summary>What the demo loaded.</summary>
public sealed record DemoSummary(int Dossiers, int Transitions, int TimeoutsFired, int Notices, TimeSpan Elapsed);

/// <summary>
/// Loads the demo of the embedded default into an empty database through the real runtime: the same machinery as
/// <see cref="ProgrammeSimulation"/> (a <see cref="SimulationClock"/> moved step by step from the past to now, the
/// deadline sweep firing every timeout on the way at its due time, <see cref="ProgrammeService"/> and the workflow
/// runtime for every change, so every dossier has its journal, deadlines and letters), over the programme data moved
/// by <see cref="DemoCalendar"/>. A small cast (the seeded development authorities) instead of the generator's full
/// programme, so the first start stays within seconds. What a newcomer finds today:
/// <list type="bullet">
/// <item>Plan Samenleven 2022: the project year runs; Genk (with As) and Gent had their continuation decided and have
/// the final report due, Turnhout's interim report waits for the officer's continuation decision, Antwerpen's interim
/// report is overdue.</item>
/// <item>Plan Samenleven 2023: in allocation (the officer confirms it on the call page); Genk (with As), Gent,
/// Sint-Niklaas and Turnhout declared eligible.</item>
/// <item>Oefenkansen Nederlands 2026: open for applications; Turnhout submitted, Sint-Niklaas must answer the officer's
/// questions, As has a draft, Genk has not applied yet.</item>
/// </list>
/// </summary>
public sealed class DemoScenario
{
    private const string Genk = "71016";
    private const string As = "71002";
    private const string Antwerpen = "11002";
    private const string Gent = "44021";
    private const string SintNiklaas = "46021";
    private const string Turnhout = "13040";

    private readonly NpgsqlDataSource _dataSource;
    private readonly ProgrammeCatalog _programmes;
    private readonly DemoCast _cast;
    private readonly DateTimeOffset _now;
    private readonly SimulationClock _clock;
    private readonly List<(DateTimeOffset When, string Label, Func<Task> Run)> _steps = [];
    private readonly Dictionary<string, Guid> _dossiers = new(StringComparer.Ordinal);
    private int _transitions;
    private int _timeouts;

    public DemoScenario(NpgsqlDataSource dataSource, WorkflowCatalog catalog, ProgrammeCatalog programmes, DemoCast cast, DateTimeOffset now)
    {
        _dataSource = dataSource;
        _programmes = programmes;
        _cast = cast;
        _now = now;
        var ps2022 = programmes.Call(DemoCalendar.PlanSamenleven, "2022");
        _clock = new SimulationClock(Brussels.At(Brussels.Date(ps2022.Window.Opens).AddDays(-15), 9));
        var definitions = new DefinitionStore(dataSource, _clock);
        Runtime = new WorkflowRuntime(dataSource, catalog, definitions, _clock);
        Service = new ProgrammeService(Runtime, programmes, dataSource);
        Sweeper = new DeadlineSweeper(dataSource, Runtime, _clock);
    }

    public WorkflowRuntime Runtime { get; }

    public ProgrammeService Service { get; }

    public DeadlineSweeper Sweeper { get; }

    private Actor Officer => new(_cast.OfficerUserId, "officer");

    private Actor Municipality(string authority) => new(_cast.MunicipalityUserIds[authority], "municipality") { Authority = authority };

    /// <summary>Runs every step in date order; the clock ends a minute before <c>now</c>.</summary>
    public async Task<DemoSummary> RunAsync(CancellationToken ct = default)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        SchedulePlanSamenleven2022();
        SchedulePlanSamenleven2023();
        ScheduleOefenkansen2026();
        foreach (var step in _steps.OrderBy(s => s.When))
        {
            ct.ThrowIfCancellationRequested();
            if (step.When >= _now)
            {
                throw new InvalidOperationException($"demo step '{step.Label}' at {step.When:O} is not in the past ({_now:O})");
            }

            await AdvanceToAsync(step.When, ct);
            await step.Run();
        }

        await AdvanceToAsync(_now.AddMinutes(-1), ct);
        int notices;
        await using (var cmd = _dataSource.CreateCommand("SELECT count(*) FROM notice"))
        {
            notices = Convert.ToInt32(await cmd.ExecuteScalarAsync(ct));
        }

        return new DemoSummary(_dossiers.Count, _transitions, _timeouts, notices, watch.Elapsed);
    }

    // ------------------------------------------------------------------ the three calls

    private void SchedulePlanSamenleven2022()
    {
        const string p = DemoCalendar.PlanSamenleven;
        var call = _programmes.Call(p, "2022");
        var opens = Brussels.Date(call.Window.Opens);
        var decision = call.GovernmentDecision!.Value;
        OpenCall(p, call, opens);
        var applicants = new (string Owner, string[] Participants, (string Action, int Planned)[] Rows)[]
        {
            (Genk, [As], [("2.1", 900), ("3.2", 40)]),
            (Antwerpen, [], [("2.1", 2000), ("4.1a", 120)]),
            (Gent, [], [("2.1", 1500), ("3.2", 80)]),
            (Turnhout, [], [("2.1", 400)]),
        };
        var day = opens.AddDays(10);
        foreach (var a in applicants)
        {
            Apply(p, call, a.Owner, a.Participants, a.Rows, Brussels.At(day, 10), Brussels.At(day.AddDays(2), 11));
            day = day.AddDays(3);
        }

        At(Brussels.At(Workday(Brussels.Date(call.Window.Deadline).AddDays(3)), 9), "2022: eligibility", async () =>
        {
            foreach (var a in applicants)
            {
                await Count(Service.DecideEligibilityAsync(_dossiers[Key(call, a.Owner)], true, null, Officer));
            }
        });
        At(Brussels.At(Workday(decision.AddDays(-25)), 10), "2022: allocation", async () =>
        {
            await Fire(_dossiers[CallKey(call)], "start-allocation", null, Officer);
            await Service.ConfirmAllocationAsync(_dossiers[CallKey(call)], Officer);
        });
        At(Brussels.At(Workday(decision.AddDays(-18)), 10), "2022: awards", async () =>
        {
            foreach (var a in applicants)
            {
                await Fire(_dossiers[Key(call, a.Owner)], "award", null, Officer);
            }
        });
        At(Brussels.At(decision, 14), "2022: Government decision", () =>
            Fire(_dossiers[CallKey(call)], "record-government-decision", new JsonObject { ["date"] = Brussels.Iso(decision) }, Officer));
        At(Brussels.At(decision, 15), "2022: awards confirmed", async () =>
        {
            foreach (var a in applicants)
            {
                await Fire(_dossiers[Key(call, a.Owner)], "confirm-award", null, Officer);
            }
        });
        At(Brussels.At(call.ProjectPeriod.Start, 0, 5), "2022: project year starts", () => Fire(_dossiers[CallKey(call)], "start-project", null, Actor.System));

        // Interim reports (due the 15th of the project's seventh month): Antwerpen's is left overdue.
        var interimDue = new DateOnly(call.ProjectPeriod.Start.Year, call.ProjectPeriod.Start.Month, 15).AddMonths(6);
        var reporting = applicants.Where(a => a.Owner != Antwerpen).ToList();
        var reportDay = interimDue.AddDays(-12);
        foreach (var a in reporting)
        {
            var owner = a.Owner;
            var realised = new JsonObject();
            foreach (var (action, planned) in a.Rows)
            {
                realised[action] = planned * 6 / 10;
            }

            At(Brussels.At(Workday(reportDay), 11), $"2022/{owner}: interim report", () =>
                Fire(_dossiers[Key(call, owner)], "report-interim", new JsonObject { ["realised"] = realised.DeepClone() }, Municipality(owner)));
            reportDay = reportDay.AddDays(4);
        }

        // Continuation decided for Genk and Gent; Turnhout's report waits for the officer.
        At(Brussels.At(Workday(interimDue.AddDays(20)), 10), "2022: continuation", async () =>
        {
            foreach (var owner in new[] { Genk, Gent })
            {
                await Fire(_dossiers[Key(call, owner)], "decide-continuation", new JsonObject { ["motivationsAccepted"] = new JsonArray() }, Officer);
            }
        });
    }

    private void SchedulePlanSamenleven2023()
    {
        const string p = DemoCalendar.PlanSamenleven;
        var call = _programmes.Call(p, "2023");
        var opens = Brussels.Date(call.Window.Opens);
        OpenCall(p, call, opens);
        var applicants = new (string Owner, string[] Participants, (string Action, int Planned)[] Rows)[]
        {
            (Genk, [As], [("2.1", 1000), ("3.2", 50), ("4.1a", 30)]),
            (Gent, [], [("2.1", 1800), ("3.2", 100)]),
            (SintNiklaas, [], [("2.1", 600), ("4.1a", 40)]),
            (Turnhout, [], [("2.1", 450)]),
        };
        var day = opens.AddDays(4);
        foreach (var a in applicants)
        {
            Apply(p, call, a.Owner, a.Participants, a.Rows, Brussels.At(day, 10), Brussels.At(day.AddDays(3), 11));
            day = day.AddDays(4);
        }

        At(Brussels.At(Workday(Brussels.Date(call.Window.Deadline).AddDays(3)), 9), "2023: eligibility", async () =>
        {
            foreach (var a in applicants)
            {
                await Count(Service.DecideEligibilityAsync(_dossiers[Key(call, a.Owner)], true, null, Officer));
            }
        });

        // In allocation since yesterday: the officer previews and confirms it on the call page.
        At(Brussels.At(Brussels.Date(_now).AddDays(-1), 10), "2023: allocation started", () =>
            Fire(_dossiers[CallKey(call)], "start-allocation", null, Officer));
    }

    private void ScheduleOefenkansen2026()
    {
        const string p = DemoCalendar.OefenkansenNederlands;
        var call = _programmes.Call(p, "2026");
        var opens = Brussels.Date(call.Window.Opens);
        OpenCall(p, call, opens);
        Apply(p, call, Turnhout, [], [("ON.1", 12)], Brussels.At(opens.AddDays(2), 10), Brussels.At(opens.AddDays(3), 11));
        Apply(p, call, SintNiklaas, [], [("ON.1", 20)], Brussels.At(opens.AddDays(4), 10), Brussels.At(opens.AddDays(5), 11));
        Apply(p, call, As, [], [("ON.1", 4)], Brussels.At(Brussels.Date(_now).AddDays(-1), 11), submitAt: null);

        var today = Brussels.Date(_now);
        At(Brussels.At(today.AddDays(-2), 14), "2026/Sint-Niklaas: information requested", () =>
            Fire(_dossiers[Key(call, SintNiklaas)], "request-information", new JsonObject
            {
                ["questions"] = "Met welke partners organiseert u de oefenkansen, en op welke locaties gaan ze door?",
                ["deadline"] = Brussels.Iso(today.AddDays(14)),
            }, Officer));
    }

    // ------------------------------------------------------------------ steps

    private void OpenCall(string programmeId, Call call, DateOnly opens) =>
        At(Brussels.At(opens.AddDays(-14), 10), $"{programmeId} {call.Id}: call created", async () =>
        {
            var created = await Service.OpenCallAsync(programmeId, call.Id, Officer);
            _transitions++;
            _dossiers[CallKey(call)] = created.DossierId;
        });

    private void Apply(string programmeId, Call call, string owner, string[] participants, (string Action, int Planned)[] rows, DateTimeOffset draftAt, DateTimeOffset? submitAt)
    {
        At(draftAt, $"{programmeId} {call.Id}/{owner}: draft", async () =>
        {
            var table = new JsonArray();
            var priority = 1;
            foreach (var (action, planned) in rows)
            {
                var rate = call.FindAction(action)?.Rates.LastOrDefault()?.EurPerUnit
                    ?? throw new InvalidOperationException($"call {call.Id} has no rate for action {action}");
                table.Add(new JsonObject
                {
                    ["action"] = action,
                    ["currentReach"] = 0,
                    ["plannedAdditionalReach"] = planned,
                    ["priority"] = priority++,
                    ["localContributionEur"] = planned * rate,
                });
            }

            var created = await Service.StartApplicationAsync(programmeId, call.Id, owner, participants, Municipality(owner), new JsonObject { ["rows"] = table });
            _transitions += 2;
            _dossiers[Key(call, owner)] = created.DossierId;
        });
        if (submitAt is { } at)
        {
            At(at, $"{programmeId} {call.Id}/{owner}: submit", () => Fire(_dossiers[Key(call, owner)], "submit", null, Municipality(owner)));
        }
    }

    private void At(DateTimeOffset when, string label, Func<Task> run) => _steps.Add((when, label, run));

    private async Task Fire(Guid id, string trigger, JsonObject? args, Actor actor)
    {
        await Runtime.FireAsync(new FireRequest(id, trigger, args ?? [], actor));
        _transitions++;
    }

    private async Task Count(Task<FireResult> fire)
    {
        await fire;
        _transitions++;
    }

    /// <summary>Moves the clock to <paramref name="when"/>, stopping at every timeout due on the way so the sweep fires it on time.</summary>
    private async Task AdvanceToAsync(DateTimeOffset when, CancellationToken ct)
    {
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
            if (fired == 0)
            {
                throw new InvalidOperationException($"The deadline due at {next:O} stays open after the sweep.");
            }

            _timeouts += fired;
            _transitions += fired;
        }

        if (when > _clock.GetUtcNow())
        {
            _clock.MoveTo(when);
        }
    }

    private static string CallKey(Call call) => $"{call.ProgrammeId}/{call.Id}";

    private static string Key(Call call, string owner) => $"{call.ProgrammeId}/{call.Id}/{owner}";

    private static DateOnly Workday(DateOnly d)
    {
        while (d.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday)
        {
            d = d.AddDays(1);
        }

        return d;
    }
}
