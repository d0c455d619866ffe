using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using SubsidyEngine.Engine.Programmes.Model;
using SubsidyEngine.Engine.Rules;
using SubsidyEngine.Workflows.Expressions;
using Reason = SubsidyEngine.Engine.Rules.Reason;
using WfReason = SubsidyEngine.Workflows.Expressions.Reason;

namespace SubsidyEngine.Engine.Programmes;

/// <summary>
/// Registers the programme rules as guards and computations that workflow definitions name. Each adapter reads
/// its inputs from the dossier data (snapshots taken at creation and by earlier transitions) and the trigger
/// arguments, calls the pure rule, and returns the result with its reasons; the runtime journals both.
/// Nothing here is specific to one programme: the programme and call come from the dossier data.
/// </summary>
public static class ProgrammeGuards
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static RuleRegistry Register(RuleRegistry registry, ProgrammeCatalog programmes)
    {
        registry
            .Guard("application.valid", ctx => Outcome(Table(ctx, programmes)))
            .Guard("cofinancing.sufficient", ctx => Outcome(CoFinancing(ctx, programmes)))
            .Computation("application.amounts", ctx => Amounts(ctx, programmes))
            .Guard("eligibility.passes", ctx => Outcome(Eligibility(ctx, programmes)))
            .Computation("eligibility.evaluate", ctx => JsonSerializer.SerializeToNode(Eligibility(ctx, programmes), Json))
            .Guard("allocation.consistent", AllocationConsistent)
            .Guard("allocation.funds-something", ctx => Dec(ctx.Data, "allocation.allocatedEur") > 0
                ? RuleOutcome.Pass()
                : RuleOutcome.Fail(new WfReason("allocation.nothing-funded", "De toewijzing kent geen bedrag toe: er valt niets toe te kennen.", "The allocation grants no amount: there is nothing to award.")))
            .Computation("payment.schedule", ctx => JsonSerializer.SerializeToNode(Schedule(ctx, programmes), Json))
            .Guard("report.valid", ReportValid)
            .Guard("report.complete", ReportComplete)
            .Guard("continuation.motivations-known", MotivationsKnown)
            .Computation("continuation.evaluate", ctx => JsonSerializer.SerializeToNode(Continuation(ctx, programmes), Json))
            .Guard("settlement.recovery-due", ctx =>
            {
                var s = Settlement(ctx, programmes);
                return s.RecoveryEur > 0
                    ? RuleOutcome.Pass(new WfReason("settlement.recovery", $"Terug te vorderen: {RuleText.EurNl(s.RecoveryEur)}.", $"To recover: {RuleText.EurEn(s.RecoveryEur)}."))
                    : RuleOutcome.Fail(new WfReason("settlement.no-recovery", "Er valt niets terug te vorderen.", "There is nothing to recover."));
            })
            .Computation("settlement.compute", ctx => JsonSerializer.SerializeToNode(Settlement(ctx, programmes), Json))
            .Guard("application.well-formed", ctx => WellFormed(ctx, programmes))
            .Guard("application.window-open", ctx => WindowOpen(ctx, "call", forStart: false))
            .Guard("application.may-start", MayStart)
            .Guard("call.allocation-open", AllocationOpen)
            .Guard("allocation.confirmed", AllocationConfirmed)
            .Guard("report.in-period", ReportInPeriod)
            .Computation("allocation.compute", ctx => CallAllocation(ctx, programmes))
            .Computation("allocation.of-application", ctx => AllocationOfApplication(ctx, programmes))
            .Computation("programme.reference", ctx => JsonValue.Create(Reference(ctx.Data)))
            .Computation("application.title", ctx => JsonValue.Create($"{Str(ctx.Data, "call.name")} - {Str(ctx.Data, "applicant.submitter.name") ?? Str(ctx.Data, "owner")}"))
            .Guard("call.allocation-within-budget", ctx =>
            {
                var allocated = Dec(ctx.Args, "allocation.allocatedEur");
                var budget = Dec(ctx.Data, "call.budgetEur");
                return allocated >= 0 && allocated <= budget
                    ? RuleOutcome.Pass()
                    : RuleOutcome.Fail(new WfReason("call.over-budget", $"De toewijzing ({RuleText.EurNl(allocated)}) overschrijdt het budget van de oproep ({RuleText.EurNl(budget)}).", $"The allocation ({RuleText.EurEn(allocated)}) exceeds the call budget ({RuleText.EurEn(budget)})."));
            });
        // Runtime 1 versions took these facts as arguments; no client may state them (docs/decisions/2026-12-07-trust-boundary.md).
        registry
            .ServerOwned("save-draft", "application.cooperationBonus")
            .ServerOwned("update-application", "application.cooperationBonus")
            .ServerOwned("declare-eligible", "otherApplications", "previousSubmitters")
            .ServerOwned("declare-ineligible", "otherApplications", "previousSubmitters")
            .ServerOwned("allocate", "allocation")
            .ServerOwned("confirm-allocation", "allocation")
            .ServerOwned("close", "openDossiers");
        return ProgrammeInputs.Register(registry, programmes);
    }

    /// <summary>"PS-2023" for a call dossier, "PS-2023-71016" for an application: programme initials, call, owner.</summary>
    public static string Reference(JsonObject data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var programme = Str(data, "programme") ?? string.Empty;
        var initials = string.Concat(programme.Split('-', StringSplitOptions.RemoveEmptyEntries).Select(w => char.ToUpperInvariant(w[0])));
        var owner = Str(data, "owner");
        return owner is null ? $"{initials}-{Str(data, "call.id")}" : $"{initials}-{Str(data, "call.id")}-{owner}";
    }

    /// <summary>
    /// A draft's table may be unfinished (gaps in the priorities, nothing planned yet) but every row must name a funded
    /// action of the call once, and every bonus must exist: what the schema cannot know because the catalogue is per call.
    /// </summary>
    private static RuleOutcome WellFormed(RuleContext ctx, ProgrammeCatalog programmes)
    {
        var table = Table(ctx, programmes);
        string[] structural = ["row.unknown-action", "row.action-not-funded", "row.duplicate-action", "bonus.unknown"];
        var problems = table.Reasons.Where(r => r.Severity == ReasonSeverity.Error && structural.Contains(r.Code)).ToList();
        var co = CoFinancing(ctx, programmes);
        problems.AddRange(co.Reasons.Where(r => r.Severity == ReasonSeverity.Error && r.Code is "cofinancing.unknown-row" or "cofinancing.negative"));
        return new RuleOutcome(problems.Count == 0, Convert(problems));
    }

    /// <summary>The application window of the call in <c>inputs.&lt;input&gt;</c> (the call as the server holds it) contains now.</summary>
    private static RuleOutcome WindowOpen(RuleContext ctx, string input, bool forStart)
    {
        var call = ctx.Inputs?[input] as JsonObject;
        if (!ValueResolver.TryGetTime(call?["opens"], out var opens) || !ValueResolver.TryGetTime(call?["deadline"], out var deadline))
        {
            return RuleOutcome.Fail(new WfReason("call.unknown", "De oproep van dit dossier is niet gekend.", "The call of this dossier is not known."));
        }

        if (ctx.Now < opens)
        {
            return RuleOutcome.Fail(new WfReason("call.window-not-open",
                $"De indieningstermijn van deze oproep begint pas op {RuleText.MomentNl(opens)}.",
                $"The application window of this call opens only on {RuleText.MomentEn(opens)}."));
        }

        return ctx.Now <= deadline
            ? RuleOutcome.Pass()
            : RuleOutcome.Fail(new WfReason("call.deadline-passed",
                forStart
                    ? $"De indieningstermijn van deze oproep verstreek op {RuleText.MomentNl(deadline)}: er kan geen aanvraag meer worden gestart."
                    : $"De indieningstermijn van deze oproep verstreek op {RuleText.MomentNl(deadline)}.",
                forStart
                    ? $"The application window of this call closed on {RuleText.MomentEn(deadline)}: no application can be started any more."
                    : $"The application window of this call closed on {RuleText.MomentEn(deadline)}."));
    }

    /// <summary>An application can be started while the call's window is open and the officers opened the call.</summary>
    private static RuleOutcome MayStart(RuleContext ctx)
    {
        var window = WindowOpen(ctx, "call", forStart: true);
        if (!window.Passed)
        {
            return window;
        }

        return ctx.Inputs?["callDossier"] is JsonObject callDossier && Str(callDossier, "state") == "open"
            ? RuleOutcome.Pass()
            : RuleOutcome.Fail(new WfReason("call.not-opened", "Deze oproep werd nog niet geopend door het agentschap: aanvragen kunnen nog niet worden gestart.",
                "This call has not been opened by the agency yet: applications cannot be started."));
    }

    /// <summary>Eligibility can be decided until the call's allocation is confirmed (the allocation reads the eligible applications).</summary>
    private static RuleOutcome AllocationOpen(RuleContext ctx)
    {
        var state = Str(ctx.Inputs?["callDossier"], "state");
        return state is null or "draft" or "open" or "submissions-closed" or "allocating"
            ? RuleOutcome.Pass()
            : RuleOutcome.Fail(new WfReason("call.allocation-confirmed",
                "De toewijzing van deze oproep werd al bevestigd: een aanvraag kan niet meer ontvankelijk worden verklaard.",
                "The allocation of this call has been confirmed: no application can be declared eligible any more."));
    }

    /// <summary>The application's call dossier (its parent) holds a confirmed allocation.</summary>
    private static RuleOutcome AllocationConfirmed(RuleContext ctx)
    {
        var callDossier = ctx.Inputs?["callDossier"] as JsonObject;
        return callDossier?["allocation"] is JsonObject && Str(callDossier, "id") == Str(ctx.Data, "parent")
            ? RuleOutcome.Pass()
            : RuleOutcome.Fail(new WfReason("allocation.not-confirmed", "De toewijzing van de oproep is nog niet bevestigd.", "The allocation of the call has not been confirmed yet."));
    }

    /// <summary>A report can be submitted once the project period has started.</summary>
    private static RuleOutcome ReportInPeriod(RuleContext ctx)
    {
        if (Str(ctx.Data, "call.projectStart") is not { } start || !DateOnly.TryParseExact(start, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var startDate))
        {
            return RuleOutcome.Fail(new WfReason("call.unknown", "De projectperiode van dit dossier is niet gekend.", "The project period of this dossier is not known."));
        }

        var today = DateOnly.FromDateTime(BrusselsTime(ctx.Now).DateTime);
        return today >= startDate
            ? RuleOutcome.Pass()
            : RuleOutcome.Fail(new WfReason("report.before-project",
                $"De projectperiode begint pas op {RuleText.DateNl(startDate)}: er valt nog niets te rapporteren.",
                $"The project period starts only on {RuleText.DateEn(startDate)}: there is nothing to report yet."));
    }

    /// <summary>
    /// The allocation of a call's budget over its eligible applications (<c>inputs.requests</c>, read by the server),
    /// with the call's budget and parameters from the catalogue: the summary and the rounds (from which every
    /// application then records its own share, <see cref="AllocationRule.ForApplication"/>).
    /// </summary>
    private static JsonNode CallAllocation(RuleContext ctx, ProgrammeCatalog programmes)
    {
        var call = CallOf(ctx, programmes);
        var requests = AllocationRequests(ctx.Inputs?["requests"]);
        var result = AllocationRule.Allocate(call.Budget.Eur, call.Parameters.Allocation, requests);
        return AllocationSummary(result, call.Parameters.Allocation, requests);
    }

    /// <summary>The allocation requests of <c>programme.eligible-requests</c>.</summary>
    public static List<AllocationRequest> AllocationRequests(JsonNode? node) =>
        (node as JsonArray ?? []).OfType<JsonObject>()
            .Select(a => new AllocationRequest(Str(a, "id") ?? string.Empty,
                (a["rows"] as JsonArray ?? []).OfType<JsonObject>().Select(r => new AllocationRowRequest(Str(r, "actionCode") ?? string.Empty, Int(r, "priority"), Dec(r, "requestedEur"))).ToList(),
                Dec(a, "bonusEur")))
            .ToList();

    /// <summary>What a call records of its allocation: the totals, the rounds, and the SHA-256 of the inputs.</summary>
    public static JsonObject AllocationSummary(AllocationResult result, AllocationParameters parameters, IReadOnlyList<AllocationRequest> requests)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(parameters);
        var inputs = JsonSerializer.Serialize(result.Applications.Select(a => new { a.ApplicationId, a.RequestedEur, Rows = a.Rows.Select(r => new { r.ActionCode, r.Priority, r.RequestedEur }) }), Json);
        _ = requests;
        return new JsonObject
        {
            ["budgetEur"] = result.BudgetEur,
            ["requestedEur"] = result.RequestedEur,
            ["allocatedEur"] = result.AllocatedEur,
            ["remainderEur"] = result.RemainderEur,
            ["fitsBudget"] = result.FitsBudget,
            ["proRataRound"] = result.ProRataRound,
            ["proRataFactor"] = result.ProRataFactor,
            ["applications"] = result.Applications.Count,
            ["inputsSha256"] = System.Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(inputs))),
            ["rounds"] = JsonSerializer.SerializeToNode(result.Rounds, Json),
        };
    }

    /// <summary>
    /// This application's share of its call's confirmed allocation (<c>inputs.callDossier.allocation</c>): computed
    /// from its own amounts and the call's rounds (<see cref="AllocationRule.ForApplication"/>).
    /// </summary>
    private static JsonNode? AllocationOfApplication(RuleContext ctx, ProgrammeCatalog programmes)
    {
        var call = CallOf(ctx, programmes);
        var summary = ctx.Inputs?["callDossier"]?["allocation"] as JsonObject ?? [];
        var rounds = JsonSerializer.Deserialize<List<AllocationRound>>(summary["rounds"]?.ToJsonString() ?? "[]", Json) ?? [];
        var amounts = ctx.Data["amounts"] as JsonObject;
        var request = new AllocationRequest(ctx.Data["id"]?.GetValue<string>() ?? string.Empty,
            (amounts?["rows"] as JsonArray ?? []).OfType<JsonObject>().Where(r => Dec(r, "requestedEur") > 0)
                .Select(r => new AllocationRowRequest(Str(r, "actionCode")!, Int(r, "priority"), Dec(r, "requestedEur"))).ToList(),
            Dec(amounts, "bonusTotalEur"));
        var share = AllocationRule.ForApplication(Dec(summary, "budgetEur"), call.Parameters.Allocation, rounds, request);
        var allocation = JsonSerializer.SerializeToNode(share, Json)!.AsObject();
        allocation.Remove("applicationId");
        allocation["inputsSha256"] = Str(summary, "inputsSha256");
        return allocation;
    }

    private static RuleOutcome Outcome(ApplicationTableResult r) => new(r.Passed, Convert(r.Reasons));

    private static RuleOutcome Outcome(CoFinancingResult r) => new(r.Passed, Convert(r.Reasons));

    private static RuleOutcome Outcome(EligibilityResult r) => new(r.Passed, Convert(r.Reasons));

    private static List<WfReason> Convert(IEnumerable<Reason> reasons) =>
        reasons.Where(r => r.Severity == ReasonSeverity.Error).Select(r => new WfReason(r.Code, r.Nl, r.En) { Field = r.Field is null ? null : "$." + r.Field }).ToList();

    /// <summary>The call a dossier belongs to: <c>data.programme</c> and <c>data.call.id</c>.</summary>
    public static Call CallOf(RuleContext ctx, ProgrammeCatalog programmes) =>
        programmes.Call(Str(ctx.Data, "programme") ?? throw Missing("programme"), Str(ctx.Data, "call.id") ?? throw Missing("call.id"));

    private static InvalidOperationException Missing(string field) => new($"The dossier data has no '{field}'.");

    /// <summary>The application table rule over <c>data.application</c>; rates of the submission date (Brussels).</summary>
    public static ApplicationTableResult Table(RuleContext ctx, ProgrammeCatalog programmes)
    {
        var call = CallOf(ctx, programmes);
        var app = ctx.Data["application"] as JsonObject ?? new JsonObject();
        var rows = (app["rows"] as JsonArray ?? []).OfType<JsonObject>()
            .Select(r => new ApplicationRowInput(Str(r, "action") ?? string.Empty, Int(r, "currentReach"), Int(r, "plannedAdditionalReach"), Int(r, "priority")))
            .ToList();
        var bonuses = (app["otherBonuses"] as JsonArray ?? []).Select(b => b is JsonValue v && v.TryGetValue<string>(out var code) ? code : string.Empty).ToList();
        // Runtime 2: the rates of the submission date (once submitted), and the cooperation bonus as the eligibility
        // decision found it, never a flag of the applicant's. Runtime 1 read the applicant's flag and the fire's date.
        var rateMoment = ctx.Runtime >= 2 && ValueResolver.TryGetTime(ctx.Data["submittedAt"], out var submitted) ? submitted : ctx.Now;
        var rateDate = DateOnly.FromDateTime(BrusselsTime(rateMoment).DateTime);
        var bonus = ctx.Runtime >= 2 ? Bool(ctx.Data, "eligibility.cooperationBonus") : Bool(app, "cooperationBonus");
        return ApplicationTableRule.Evaluate(call, new ApplicationTableInput(Str(ctx.Data, "reference") ?? "application", rows, rateDate, bonus, bonuses));
    }

    public static CoFinancingResult CoFinancing(RuleContext ctx, ProgrammeCatalog programmes)
    {
        var call = CallOf(ctx, programmes);
        var table = Table(ctx, programmes);
        var declared = ((ctx.Data["application"] as JsonObject)?["rows"] as JsonArray ?? []).OfType<JsonObject>()
            .Select(r => new DeclaredContribution(Str(r, "action") ?? string.Empty, Dec(r, "localContributionEur")))
            .ToList();
        return CoFinancingRule.Evaluate(call.Parameters.CoFinancing, table, declared);
    }

    private static JsonNode Amounts(RuleContext ctx, ProgrammeCatalog programmes) => Amounts(ctx, programmes, keepReasons: false);

    /// <summary>
    /// The <c>application.amounts</c> computation: the application table with its co-financing check. The workflow
    /// records it without the reasons; a preview (<see cref="ApplicationTableView"/>) keeps them.
    /// </summary>
    public static JsonObject Amounts(RuleContext ctx, ProgrammeCatalog programmes, bool keepReasons)
    {
        var table = Table(ctx, programmes);
        var co = CoFinancing(ctx, programmes);
        var node = JsonSerializer.SerializeToNode(table, Json)!.AsObject();
        if (!keepReasons)
        {
            node.Remove("reasons");
        }

        node["coFinancing"] = JsonSerializer.SerializeToNode(co, Json);
        return node;
    }

    /// <summary>
    /// Eligibility over the dossier's composition (<c>owner</c>, <c>participants</c>) and the other applications of
    /// the call: read by the server (<c>inputs.otherApplications</c>, <c>inputs.previousApplications</c>) in runtime 2,
    /// given as arguments (<c>args.otherApplications</c>, <c>args.previousSubmitters</c>) in runtime 1.
    /// </summary>
    public static EligibilityResult Eligibility(RuleContext ctx, ProgrammeCatalog programmes)
    {
        var call = CallOf(ctx, programmes);
        var me = new ApplicantComposition(Str(ctx.Data, "reference") ?? "application", Str(ctx.Data, "owner") ?? string.Empty, Strings(ctx.Data["participants"]));
        static ApplicantComposition Other(JsonObject o) => new(Str(o, "id") ?? string.Empty, Str(o, "owner") ?? string.Empty, Strings(o["participants"]));
        // Runtime 2: the other applications are read by the server (inputs); runtime 1 took them as arguments.
        var source = ctx.Runtime >= 2 ? ctx.Inputs ?? [] : ctx.Args;
        var others = (source["otherApplications"] as JsonArray ?? []).OfType<JsonObject>().Select(Other).ToList();
        var previous = (source[ctx.Runtime >= 2 ? "previousApplications" : "previousSubmitters"] as JsonArray ?? []).OfType<JsonObject>().Select(Other).ToList();
        return EligibilityRule.Evaluate(call, programmes.Authorities, new EligibilityInput(me, others, previous));
    }

    private static RuleOutcome AllocationConsistent(RuleContext ctx)
    {
        var allocation = ctx.Args["allocation"] as JsonObject;
        var requested = (ctx.Data["amounts"] as JsonObject)?["rows"] as JsonArray ?? [];
        var problems = new List<WfReason>();
        if (allocation?["rows"] is not JsonArray rows)
        {
            return RuleOutcome.Fail(new WfReason("allocation.missing-rows", "De toewijzing bevat geen rijen.", "The allocation has no rows."));
        }

        decimal sum = 0;
        foreach (var row in rows.OfType<JsonObject>())
        {
            var action = Str(row, "actionCode");
            var req = requested.OfType<JsonObject>().FirstOrDefault(r => Str(r, "actionCode") == action);
            var allocated = Dec(row, "allocatedEur");
            sum += allocated;
            if (req is null)
            {
                problems.Add(new WfReason("allocation.unknown-row", $"Actie {action} staat niet in de aanvraag.", $"Action {action} is not in the application."));
            }
            else if (allocated < 0 || allocated > Dec(req, "requestedEur"))
            {
                problems.Add(new WfReason("allocation.row-out-of-range", $"Het toegewezen bedrag voor actie {action} ligt niet tussen 0 en het gevraagde bedrag.", $"The amount allocated to action {action} is not between 0 and the requested amount."));
            }
        }

        sum += Dec(allocation, "bonusAllocatedEur");
        if (sum != Dec(allocation, "allocatedEur"))
        {
            problems.Add(new WfReason("allocation.sum", "De som van de rijen klopt niet met het totaal.", "The rows do not add up to the total."));
        }

        return problems.Count == 0 ? RuleOutcome.Pass() : new RuleOutcome(false, problems);
    }

    public static PaymentSchedule Schedule(RuleContext ctx, ProgrammeCatalog programmes) =>
        SettlementRule.Schedule(CallOf(ctx, programmes).Parameters.PaymentSchedule, Dec(ctx.Data, "allocation.allocatedEur"));

    private static RuleOutcome ReportValid(RuleContext ctx)
    {
        if (ctx.Args["realised"] is not JsonObject realised)
        {
            return RuleOutcome.Fail(new WfReason("report.missing", "Het rapport bevat geen gerealiseerd bereik.", "The report holds no realised reach."));
        }

        var actions = ((ctx.Data["amounts"] as JsonObject)?["rows"] as JsonArray ?? []).OfType<JsonObject>().Select(r => Str(r, "actionCode")).ToHashSet();
        var problems = new List<WfReason>();
        foreach (var (action, value) in realised)
        {
            if (!actions.Contains(action))
            {
                problems.Add(new WfReason("report.unknown-action", $"Actie {action} staat niet in de aanvraag.", $"Action {action} is not in the application."));
            }
            else if (value is not JsonValue v || !v.TryGetValue<int>(out var n) || n < 0)
            {
                problems.Add(new WfReason("report.bad-count", $"Het bereik voor actie {action} moet een geheel getal van 0 of meer zijn.", $"The reach for action {action} must be a whole number of 0 or more."));
            }
        }

        return problems.Count == 0 ? RuleOutcome.Pass() : new RuleOutcome(false, problems);
    }

    /// <summary>
    /// A report states the realised reach of every action of the application (0 when nothing was realised): an
    /// action left out would be counted as 0 without the authority having said so, and settle a recovery on it.
    /// </summary>
    private static RuleOutcome ReportComplete(RuleContext ctx)
    {
        var realised = ctx.Args["realised"] as JsonObject ?? [];
        var missing = ApplicationActions(ctx).Where(a => realised[a] is null)
            .Select(a => new WfReason("report.action-missing",
                $"Het rapport vermeldt geen gerealiseerd bereik voor actie {a}; vul 0 in als er niets gerealiseerd werd.",
                $"The report states no realised reach for action {a}; enter 0 when nothing was realised.") { Field = $"$.realised['{a}']" })
            .ToList();
        return missing.Count == 0 ? RuleOutcome.Pass() : new RuleOutcome(false, missing);
    }

    /// <summary>The officer accepts written motivations only for actions of the application.</summary>
    private static RuleOutcome MotivationsKnown(RuleContext ctx)
    {
        var actions = ApplicationActions(ctx).ToHashSet(StringComparer.Ordinal);
        var unknown = Strings(ctx.Args["motivationsAccepted"]).Select((code, i) => (code, i)).Where(x => !actions.Contains(x.code))
            .Select(x => new WfReason("continuation.unknown-action", $"Actie {x.code} staat niet in de aanvraag.", $"Action {x.code} is not in the application.")
            { Field = $"$.motivationsAccepted[{x.i}]" })
            .ToList();
        return unknown.Count == 0 ? RuleOutcome.Pass() : new RuleOutcome(false, unknown);
    }

    /// <summary>The action codes of the application's recorded amounts.</summary>
    private static IEnumerable<string> ApplicationActions(RuleContext ctx) =>
        ((ctx.Data["amounts"] as JsonObject)?["rows"] as JsonArray ?? []).OfType<JsonObject>().Select(r => Str(r, "actionCode")).OfType<string>();

    public static ContinuationResult Continuation(RuleContext ctx, ProgrammeCatalog programmes)
    {
        var call = CallOf(ctx, programmes);
        var realised = ctx.Data["interimReport"]?["realised"] as JsonObject ?? [];
        var accepted = Strings(ctx.Data["continuationInput"]?["motivationsAccepted"]).ToHashSet(StringComparer.Ordinal);
        var rows = ((ctx.Data["amounts"] as JsonObject)?["rows"] as JsonArray ?? []).OfType<JsonObject>()
            .Where(r => Int(r, "fundedReach") > 0)
            .Select(r =>
            {
                var code = Str(r, "actionCode") ?? string.Empty;
                return new ContinuationRowInput(code, Int(r, "fundedReach"), realised[code] is JsonValue v && v.TryGetValue<int>(out var n) ? n : 0,
                    accepted.Contains(code) ? MotivationDecision.Accepted : MotivationDecision.None);
            })
            .ToList();
        return ContinuationRule.Evaluate(call.Parameters.Continuation, rows);
    }

    public static SettlementResult Settlement(RuleContext ctx, ProgrammeCatalog programmes)
    {
        var call = CallOf(ctx, programmes);
        var realised = ctx.Data["finalReport"]?["realised"] as JsonObject ?? [];
        var allocated = (ctx.Data["allocation"]?["rows"] as JsonArray ?? []).OfType<JsonObject>().ToDictionary(r => Str(r, "actionCode") ?? string.Empty, r => Dec(r, "allocatedEur"));
        var rows = ((ctx.Data["amounts"] as JsonObject)?["rows"] as JsonArray ?? []).OfType<JsonObject>()
            .Where(r => Int(r, "fundedReach") > 0)
            .Select(r =>
            {
                var code = Str(r, "actionCode") ?? string.Empty;
                return new SettlementRowInput(code, Int(r, "fundedReach"), Dec(r, "rateEur"), allocated.GetValueOrDefault(code),
                    realised[code] is JsonValue v && v.TryGetValue<int>(out var n) ? n : 0);
            })
            .ToList();
        var bonus = Dec(ctx.Data, "allocation.bonusAllocatedEur");
        var paid = Dec(ctx.Data, "payment.advanceEur");
        return SettlementRule.Settle(call.Parameters.Recovery, new SettlementInput(rows, bonus, bonus > 0, paid, DateOnly.FromDateTime(BrusselsTime(ctx.Now).DateTime)));
    }

    /// <summary>Belgian wall-clock time of an instant.</summary>
    public static DateTimeOffset BrusselsTime(DateTimeOffset t) => TimeZoneInfo.ConvertTime(t, TimeZoneInfo.FindSystemTimeZoneById("Europe/Brussels"));

    public static string? Str(JsonNode? root, string path) =>
        ValueResolver.Navigate(root, path) is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public static int Int(JsonNode? root, string path) =>
        ValueResolver.Navigate(root, path) is JsonValue v && v.TryGetValue<decimal>(out var d) && d == decimal.Truncate(d) && d is >= int.MinValue and <= int.MaxValue ? (int)d : 0;

    public static decimal Dec(JsonNode? root, string path) =>
        ValueResolver.TryGetDecimal(ValueResolver.Navigate(root, path), out var d) ? d : 0m;

    public static bool Bool(JsonNode? root, string path) =>
        ValueResolver.Navigate(root, path) is JsonValue v && v.TryGetValue<bool>(out var b) && b;

    public static List<string> Strings(JsonNode? node) =>
        (node as JsonArray ?? []).Select(x => x is JsonValue v && v.TryGetValue<string>(out var s) ? s : null).Where(s => s is not null).Cast<string>().ToList();

    internal static string Invariant(decimal d) => d.ToString(CultureInfo.InvariantCulture);
}
