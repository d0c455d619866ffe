#pragma warning disable CS1573 // Record parameters are documented only where the name does not say it all.
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Npgsql;
using SubsidyEngine.Engine.Programmes;
using SubsidyEngine.Engine.Programmes.Model;
using SubsidyEngine.Engine.Runtime;

namespace SubsidyEngine.Tools.Simulation;

/// <summary>Totals of one action in one call.</summary>
/// <param name="Applicants">Applications (eligible) with the action in their table.</param>
/// <param name="FundedUnits">Units of the allocated rows: the funded reach of a fully funded row, allocated / rate (rounded down) of a pro-rata row.</param>
/// <param name="RealisedUnits">Counted reach at settlement: min(realised, pledged).</param>
public sealed record ActionTotals(string Code, int Applicants, long RequestedUnits, decimal RequestedEur, long FundedUnits, decimal AllocatedEur, long RealisedUnits, decimal EarnedEur);

/// <summary>The summary of one call (project year), read back from the dossiers at the end of the run.</summary>
public sealed record YearSummary(
    string CallId,
    int Year,
    string Period,
    string? GovernmentDecision,
    string CallState,
    int ApplicationsSubmitted,
    int Refused,
    int Submitters,
    string SubmitterKinds,
    int Participants,
    string ParticipantKinds,
    int Cooperations,
    int CooperationBonuses,
    decimal BudgetEur,
    decimal RequestedEur,
    decimal AllocatedEur,
    decimal RemainderEur,
    int? ProRataRound,
    decimal? ProRataFactor,
    decimal BonusRequestedEur,
    decimal BonusAllocatedEur,
    IReadOnlyList<ActionTotals> Actions,
    int RowsContinuedOnThreshold,
    int RowsContinuedOnMotivation,
    int RowsStopped,
    IReadOnlyList<KeyValuePair<string, int>> FinalStates,
    int DossiersExtended,
    decimal AdvancesPaidEur,
    decimal EarnedEur,
    decimal BalancePaidEur,
    decimal RecoveredEur,
    int Recoveries,
    int RecoveryReactions,
    int ReactionPeriodsEnded)
{
    public ActionTotals? Action(string code) => Actions.FirstOrDefault(a => a.Code == code);
}

/// <summary>The printed result of a simulation: per call, then the programme (journal, sweep, migration, replay).</summary>
public sealed record SimulationSummary(
    int Seed,
    int FromYear,
    int ToYear,
    string ClockFrom,
    string ClockTo,
    IReadOnlyList<YearSummary> Years,
    int Dossiers,
    long JournalEvents,
    long Notices,
    IReadOnlyList<KeyValuePair<string, long>> TimeoutsByTrigger,
    string ExtensionDryRun,
    string ExtensionApplied,
    int ReplayDivergences,
    string Replay)
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public YearSummary? Year(string callId) => Years.FirstOrDefault(y => y.CallId == callId);

    public static async Task<SimulationSummary> CollectAsync(NpgsqlDataSource dataSource, ProgrammeCatalog programmes, SimulationOptions options, SimulationPlan plan, SimulationLog log, CancellationToken ct)
    {
        var dossiers = new List<(string Workflow, int Version, string State, JsonObject Data)>();
        await using (var cmd = dataSource.CreateCommand("SELECT workflow_id, workflow_version, state, data::text FROM dossier ORDER BY workflow_id, data->>'reference'"))
        {
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                dossiers.Add((reader.GetString(0), reader.GetInt32(1), reader.GetString(2), JsonNode.Parse(reader.GetString(3))!.AsObject()));
            }
        }

        var years = new List<YearSummary>();
        foreach (var yearPlan in plan.Years)
        {
            var call = programmes.Call(options.ProgrammeId, yearPlan.Timeline.CallId);
            var callDossier = dossiers.FirstOrDefault(d => d.Workflow == ProgrammeService.CallWorkflow(options.ProgrammeId) && Str(d.Data, "call.id") == call.Id);
            if (callDossier.Data is null)
            {
                continue; // not reached within the simulated years
            }

            var apps = dossiers.Where(d => d.Workflow == ProgrammeService.DossierWorkflow(options.ProgrammeId) && Str(d.Data, "call.id") == call.Id).ToList();
            years.Add(Year(call, callDossier.State, callDossier.Data, apps));
        }

        async Task<long> Count(string sql)
        {
            await using var cmd = dataSource.CreateCommand(sql);
            return Convert.ToInt64(await cmd.ExecuteScalarAsync(ct), Inv);
        }

        var timeouts = new List<KeyValuePair<string, long>>();
        await using (var cmd = dataSource.CreateCommand("SELECT trigger, count(*) FROM journal WHERE actor_role = 'system' AND arguments LIKE '%\"deadlineId\"%' GROUP BY trigger ORDER BY trigger"))
        {
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                timeouts.Add(new(reader.GetString(0), reader.GetInt64(1)));
            }
        }

        return new SimulationSummary(
            options.Seed, options.FromYear, options.ToYear,
            Brussels.Local(log.StartedAt).ToString("yyyy-MM-dd HH:mm", Inv), Brussels.Local(log.EndedAt).ToString("yyyy-MM-dd HH:mm", Inv),
            years, dossiers.Count, await Count("SELECT count(*) FROM journal"), await Count("SELECT count(*) FROM notice"), timeouts,
            Migration(log.ExtensionDryRun, log.ExtensionDryRunAt, dryRun: true), Migration(log.ExtensionApplied, log.ExtensionAppliedAt, dryRun: false),
            log.Replay?.DivergentDossiers ?? -1, log.Replay?.OneLine ?? "not run");
    }

    private static string Migration(MigrationPlan? plan, DateTimeOffset? at, bool dryRun)
    {
        if (plan is null)
        {
            return "not reached";
        }

        var moves = string.Join(", ", plan.Movable.GroupBy(m => $"{m.FromState} -> {m.ToState}").OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key}: {g.Count()}"));
        var blocked = string.Join(", ", plan.Blocked.GroupBy(m => m.FromState).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key}: {g.Count()}"));
        var date = at is { } a ? Brussels.Local(a).ToString("yyyy-MM-dd", Inv) : "?";
        return dryRun
            ? $"{date} {plan.MigrationId} v{plan.FromVersion} -> v{plan.ToVersion}: {plan.Movable.Count()} movable ({moves}); {plan.Blocked.Count()} stay on v{plan.FromVersion} ({blocked})"
            : $"{date} {plan.Movable.Count()} dossiers moved to v{plan.ToVersion} ({moves}), {plan.Blocked.Count()} not moved";
    }

    private static YearSummary Year(Call call, string callState, JsonObject callData, List<(string Workflow, int Version, string State, JsonObject Data)> apps)
    {
        var submitted = apps.Where(a => a.Data["submittedAt"] is not null).ToList();
        var eligible = submitted.Where(a => a.Data["eligibility"]?["passed"]?.GetValue<bool>() == true).ToList();
        var allocation = callData["allocation"] as JsonObject;
        var actions = new SortedDictionary<string, (int Apps, long ReqUnits, decimal ReqEur, long FundedUnits, decimal AllocEur, long Realised, decimal Earned)>(StringComparer.Ordinal);
        int onThreshold = 0, onMotivation = 0, stopped = 0;
        foreach (var (_, _, _, data) in eligible)
        {
            var alloc = (data["allocation"]?["rows"] as JsonArray ?? []).OfType<JsonObject>().ToDictionary(r => Str(r, "actionCode")!, r => r, StringComparer.Ordinal);
            var settled = (data["settlement"]?["rows"] as JsonArray ?? []).OfType<JsonObject>().ToDictionary(r => Str(r, "actionCode")!, r => r, StringComparer.Ordinal);
            foreach (var row in (data["amounts"]?["rows"] as JsonArray ?? []).OfType<JsonObject>())
            {
                var code = Str(row, "actionCode")!;
                var reach = ProgrammeGuards.Int(row, "fundedReach");
                var rate = ProgrammeGuards.Dec(row, "rateEur");
                var allocated = alloc.TryGetValue(code, out var a) ? ProgrammeGuards.Dec(a, "allocatedEur") : 0m;
                var funding = a is null ? "none" : Str(a, "funding");
                long fundedUnits = funding == "full" ? reach : rate > 0 ? (long)decimal.Floor(allocated / rate) : 0;
                var s = settled.GetValueOrDefault(code);
                var t = actions.GetValueOrDefault(code);
                actions[code] = (t.Apps + 1, t.ReqUnits + reach, t.ReqEur + ProgrammeGuards.Dec(row, "requestedEur"), t.FundedUnits + fundedUnits, t.AllocEur + allocated,
                    t.Realised + (s is null ? 0 : ProgrammeGuards.Int(s, "countedReach")), t.Earned + (s is null ? 0m : ProgrammeGuards.Dec(s, "earnedEur")));
            }

            foreach (var row in (data["continuation"]?["rows"] as JsonArray ?? []).OfType<JsonObject>())
            {
                if (!alloc.TryGetValue(Str(row, "actionCode")!, out var a) || ProgrammeGuards.Dec(a, "allocatedEur") <= 0)
                {
                    continue;
                }

                if (!ProgrammeGuards.Bool(row, "continued"))
                {
                    stopped++;
                }
                else if (Str(row, "basis") == "motivation-accepted")
                {
                    onMotivation++;
                }
                else
                {
                    onThreshold++;
                }
            }
        }

        static string Kinds(IEnumerable<string?> kinds) =>
            string.Join(", ", kinds.GroupBy(k => k ?? "?").OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}"));

        var participants = eligible.SelectMany(a => (a.Data["applicant"]?["participants"] as JsonArray ?? []).OfType<JsonObject>()).ToList();
        var recoveries = eligible.Where(a => a.Data["settlement"] is not null && ProgrammeGuards.Dec(a.Data, "settlement.recoveryEur") > 0).ToList();
        return new YearSummary(
            call.Id, call.Year,
            $"{Brussels.Iso(call.ProjectPeriod.Start)} .. {Brussels.Iso(call.EffectiveProjectEnd)}",
            Str(callData, "governmentDecisionDate"),
            callState,
            submitted.Count,
            submitted.Count(a => a.State == "ineligible"),
            eligible.Count,
            Kinds(eligible.Select(a => Str(a.Data, "applicant.submitter.kind"))),
            participants.Count,
            Kinds(participants.Select(p => Str(p, "kind"))),
            eligible.Count(a => (a.Data["participants"] as JsonArray)?.Count > 0),
            eligible.Count(a => ProgrammeGuards.Bool(a.Data, "eligibility.cooperationBonus")),
            call.Budget.Eur,
            ProgrammeGuards.Dec(allocation, "requestedEur"),
            ProgrammeGuards.Dec(allocation, "allocatedEur"),
            ProgrammeGuards.Dec(allocation, "remainderEur"),
            allocation?["proRataRound"] is JsonValue r ? r.GetValue<int>() : null,
            allocation?["proRataFactor"] is JsonValue f ? f.GetValue<decimal>() : null,
            eligible.Sum(a => ProgrammeGuards.Dec(a.Data, "amounts.bonusTotalEur")),
            eligible.Sum(a => ProgrammeGuards.Dec(a.Data, "allocation.bonusAllocatedEur")),
            actions.Select(kv => new ActionTotals(kv.Key, kv.Value.Apps, kv.Value.ReqUnits, kv.Value.ReqEur, kv.Value.FundedUnits, kv.Value.AllocEur, kv.Value.Realised, kv.Value.Earned)).ToList(),
            onThreshold, onMotivation, stopped,
            apps.GroupBy(a => a.State).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => new KeyValuePair<string, int>(g.Key, g.Count())).ToList(),
            apps.Count(a => a.Data["extension"] is JsonObject),
            eligible.Sum(a => ProgrammeGuards.Dec(a.Data, "payment.advanceEur")),
            eligible.Sum(a => ProgrammeGuards.Dec(a.Data, "settlement.earnedEur")),
            eligible.Sum(a => ProgrammeGuards.Dec(a.Data, "settlement.balancePayableEur")),
            eligible.Sum(a => ProgrammeGuards.Dec(a.Data, "settlement.recoveryEur")),
            recoveries.Count,
            recoveries.Count(a => a.Data["recoveryReaction"] is not null),
            recoveries.Count(a => a.Data["recoveryReaction"] is null && a.Data["reactionPeriodEndedAt"] is not null));
    }

    private static string? Str(JsonNode? node, string path) => ProgrammeGuards.Str(node, path);

    private static string Eur(decimal d) => "EUR " + d.ToString("N2", Inv);

    private static string Num(long n) => n.ToString("N0", Inv);

    /// <summary>The text printed on standard output: no ids, no wall-clock times, the same for the same seed.</summary>
    public string Render()
    {
        var sb = new StringBuilder();
        void Line(string label, string value) => sb.Append("  ").Append(label.PadRight(28)).Append(value).Append('\n');
        sb.Append(CultureInfo.InvariantCulture, $"Plan Samenleven simulation: seed {Seed}, years {FromYear}-{ToYear}, simulated clock {ClockFrom} .. {ClockTo} (Europe/Brussels)\n");
        foreach (var y in Years)
        {
            sb.Append('\n').Append(CultureInfo.InvariantCulture, $"== Call {y.CallId} (project year {y.Year}: {y.Period}; Government decision {y.GovernmentDecision ?? "-"}) ==\n");
            Line("call dossier", y.CallState);
            Line("applications submitted", $"{y.ApplicationsSubmitted} ({y.Submitters} eligible, {y.Refused} refused)");
            Line("submitters", $"{y.Submitters} ({y.SubmitterKinds})");
            Line("participating authorities", $"{y.Participants} ({y.ParticipantKinds})");
            Line("cooperations", $"{y.Cooperations} ({y.CooperationBonuses} with the cooperation bonus)");
            Line("budget", Eur(y.BudgetEur));
            Line("requested", Eur(y.RequestedEur));
            Line("allocated", Eur(y.AllocatedEur));
            Line("remainder", Eur(y.RemainderEur));
            Line("pro-rata round", y.ProRataRound is { } round
                ? $"round {round}, factor {y.ProRataFactor?.ToString("0.0000000000", Inv)}"
                : "none (everything requested fits the budget)");
            Line("bonuses", $"requested {Eur(y.BonusRequestedEur)}, allocated {Eur(y.BonusAllocatedEur)}");
            sb.Append("  per action:  code  applicants  requested units  requested EUR  funded units  allocated EUR  realised units  earned EUR\n");
            foreach (var a in y.Actions)
            {
                sb.Append(CultureInfo.InvariantCulture,
                    $"                {a.Code,-5}{a.Applicants,10}{Num(a.RequestedUnits),17}{a.RequestedEur.ToString("N2", Inv),15}{Num(a.FundedUnits),14}{a.AllocatedEur.ToString("N2", Inv),15}{Num(a.RealisedUnits),16}{a.EarnedEur.ToString("N2", Inv),16}\n");
            }

            sb.Append(CultureInfo.InvariantCulture,
                $"                {"all",-5}{y.Actions.Sum(a => a.Applicants),10}{Num(y.Actions.Sum(a => a.RequestedUnits)),17}{y.Actions.Sum(a => a.RequestedEur).ToString("N2", Inv),15}{Num(y.Actions.Sum(a => a.FundedUnits)),14}{y.Actions.Sum(a => a.AllocatedEur).ToString("N2", Inv),15}{Num(y.Actions.Sum(a => a.RealisedUnits)),16}{y.Actions.Sum(a => a.EarnedEur).ToString("N2", Inv),16}\n");
            Line("continuation (funded rows)", $"{y.RowsContinuedOnThreshold} reached 25%, {y.RowsContinuedOnMotivation} on an accepted motivation, {y.RowsStopped} stopped");
            Line("dossiers per final state", string.Join(", ", y.FinalStates.Select(kv => $"{kv.Key} {kv.Value}")) + (y.DossiersExtended > 0 ? $" ({y.DossiersExtended} extended by the migration)" : string.Empty));
            Line("advances paid", Eur(y.AdvancesPaidEur));
            Line("earned", Eur(y.EarnedEur));
            Line("balance paid", Eur(y.BalancePaidEur));
            Line("recovered", $"{Eur(y.RecoveredEur)} from {y.Recoveries} dossiers ({y.RecoveryReactions} reacted, {y.ReactionPeriodsEnded} did not and the 30-day period ended)");
        }

        sb.Append("\n== Programme ==\n");
        Line("extension dry run", ExtensionDryRun);
        Line("extension applied", ExtensionApplied);
        Line("dossiers", $"{Dossiers} (calls and applications)");
        Line("journal events", Num(JournalEvents));
        Line("notices", Num(Notices));
        Line("timeouts fired by the sweep", TimeoutsByTrigger.Count == 0 ? "0" : string.Join(", ", TimeoutsByTrigger.Select(kv => $"{kv.Key} {kv.Value}")));
        Line("replay", Replay);
        return sb.ToString();
    }
}
