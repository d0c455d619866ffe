using SubsidyEngine.Engine.Programmes;
using SubsidyEngine.Engine.Programmes.Model;
using SubsidyEngine.Engine.Rules;

namespace SubsidyEngine.Tools.Simulation;

/// <summary>The figures the generated programme must reproduce (DOMAIN §3 and §4); the defaults are the real ones.</summary>
public sealed record SimulationTargets
{
    public int Year1Submitters { get; init; } = 50;

    public int Year1Participants { get; init; } = 106;

    public int Year2Submitters { get; init; } = 59;

    public int Year2Participants { get; init; } = 149;

    /// <summary>Funded units of action 2.1 (Dutch practice) in year 2: 67,181 x EUR 60 = EUR 4,030,860.</summary>
    public int Year2DutchPracticeUnits { get; init; } = 67_181;

    /// <summary>Funded units of action 5.4 (bridging figures) in year 2: 12,240 x EUR 320 = EUR 3,916,800.</summary>
    public int Year2BridgingFamilies { get; init; } = 12_240;

    public static SimulationTargets Default { get; } = new();
}

/// <summary>
/// Generates applicants shaped like the real ones from the authority register and a seed: valid cooperations (one
/// reference region, together above the threshold, each authority in one application per call), application tables
/// within the maxima, and what every applicant reports later. Pure and deterministic: one <see cref="Random"/> with the
/// seed, consumed in a fixed order over lists sorted by id. Every generated composition is checked with the real
/// <see cref="EligibilityRule"/> before it is used.
/// </summary>
public sealed class ApplicantGenerator
{
    public const string DutchPractice = "2.1";
    public const string BridgingFigures = "5.4";

    private readonly ProgrammeCatalog _programmes;
    private readonly string _programmeId;
    private readonly Random _rng;
    private readonly int _seed;
    private readonly SimulationTargets _targets;
    private readonly long _threshold;

    public ApplicantGenerator(ProgrammeCatalog programmes, string programmeId, int seed, SimulationTargets? targets = null)
    {
        _programmes = programmes;
        _programmeId = programmeId;
        _seed = seed;
        _rng = new Random(seed);
        _targets = targets ?? SimulationTargets.Default;
        _threshold = programmes.Programme(programmeId).Calls[0].Parameters.Eligibility.ThresholdNonEu14OriginResidents;
    }

    private AuthorityRegister Register => _programmes.Authorities;

    /// <summary>The three calls of Plan Samenleven (2022, 2023, 2024) with their applicants.</summary>
    public SimulationPlan Generate()
    {
        var calls = _programmes.Programme(_programmeId).Calls.OrderBy(c => c.Year).ToList();
        if (calls.Count != 3 || calls[2].Eligibility.RestrictedToPreviousSubmittersOf != calls[1].Id)
        {
            throw new InvalidOperationException("The simulation expects three calls, the third restricted to the submitters of the second.");
        }

        var (c1, c2, c3) = (calls[0], calls[1], calls[2]);

        // Year 1: its own cooperations, over budget on purpose (the pro-rata round is part of the story), plus one
        // small municipality that applies alone and is refused.
        var comp1 = Compositions(c1, _targets.Year1Submitters, _targets.Year1Participants);
        var refused1 = UnusedAuthorities(comp1).Where(a => a.NonEu14OriginResidents <= _threshold).ToList();
        var y1Refused = refused1[_rng.Next(refused1.Count)];
        var target1 = Math.Round(c1.Budget.Eur * (1.02m + (decimal)_rng.NextDouble() * 0.04m), 0);
        var year1 = BuildYear(c1, Timeline(c1), comp1, target1, fixedUnits: null,
            refused: [(y1Refused.Id, "Het bestuur telt alleen niet meer dan 7.500 inwoners van niet-EU-14-herkomst en dient niet in als samenwerkingsverband.")]);

        // Year 2: calibrated (59 / 149, 67,181 Dutch-practice units, 12,240 bridging-figure families), within the budget.
        var comp2 = Compositions(c2, _targets.Year2Submitters, _targets.Year2Participants);
        var target2 = c2.Budget.Eur - 20_000m - _rng.Next(0, 250) * 1_000m;
        var year2 = BuildYear(c2, Timeline(c2), comp2, target2, fixedUnits: (_targets.Year2DutchPracticeUnits, _targets.Year2BridgingFamilies), refused: []);

        // Year 3: only year-2 submitters; a few new authorities join existing cooperations; one authority that did
        // not submit in year 2 tries and is refused by the call data.
        var comp3 = YearThreeCompositions(c3, comp2);
        var outsiders = UnusedAuthorities(comp2).Where(a => !comp3.Any(c => c.Includes(a.Id))).ToList();
        var y3Refused = outsiders.OrderByDescending(a => a.NonEu14OriginResidents).ThenBy(a => a.Id, StringComparer.Ordinal).First();
        var target3 = (c3.Budget.AwardedEur ?? c3.Budget.Eur) + _rng.Next(-60, 60) * 1_000m;
        var year3 = BuildYear(c3, Timeline(c3), comp3, Math.Min(target3, c3.Budget.Eur), fixedUnits: null,
            refused: [(y3Refused.Id, "Deze oproep staat alleen open voor de indieners van oproep 2023; het bestuur diende toen niet in.")], previous: comp2);
        return new SimulationPlan(_seed, [year1, year2, year3]);
    }

    private static CallTimeline Timeline(Call call)
    {
        var opens = call.Window.Opens;
        var deadline = Brussels.Date(call.Window.Deadline);
        var decision = call.GovernmentDecision ?? throw new InvalidOperationException($"call {call.Id} has no Government decision date");
        var eligibility = NextWorkday(deadline.AddDays(3));
        var allocation = NextWorkday(decision.AddDays(-25));
        var award = NextWorkday(decision.AddDays(-18));
        return new CallTimeline(call.Id, Brussels.At(Brussels.Date(opens).AddDays(-14), 10), Brussels.At(eligibility, 9),
            Brussels.At(allocation, 10), Brussels.At(award, 10), decision, Brussels.At(call.ProjectPeriod.Start, 0, 5));
    }

    private static DateOnly NextWorkday(DateOnly d)
    {
        while (d.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday)
        {
            d = d.AddDays(1);
        }

        return d;
    }

    // ---------------------------------------------------------------- compositions

    private IEnumerable<Authority> Municipalities => Register.All.Where(a => a.Kind == AuthorityKind.Municipality);

    private IEnumerable<Authority> UnusedAuthorities(IReadOnlyList<ApplicantComposition> compositions) =>
        Municipalities.Where(a => !a.IsFacilityMunicipality && !compositions.Any(c => c.Includes(a.Id)));

    /// <summary>
    /// Cooperations for a call: the VGC alone, vzw De Rand with the facility municipalities (the largest submits),
    /// then municipalities above the threshold (alone or taking in smaller ones of their arrondissement) and
    /// cooperations of small municipalities of one arrondissement that together exceed the threshold.
    /// </summary>
    private List<ApplicantComposition> Compositions(Call call, int submitters, int participants)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var result = TryCompositions(submitters, participants);
            if (result is not null)
            {
                Validate(call, result, []);
                return result;
            }
        }

        throw new InvalidOperationException($"Could not generate {submitters} submitters with {participants} participating authorities from the register.");
    }

    private List<ApplicantComposition>? TryCompositions(int submitters, int participants)
    {
        var coops = new List<(string Submitter, List<string> Members, string Region)>();
        var used = new HashSet<string>(StringComparer.Ordinal);

        var vgc = Register.All.FirstOrDefault(a => a.Kind == AuthorityKind.Vgc);
        if (vgc is not null)
        {
            coops.Add((vgc.Id, [], vgc.Arrondissement));
            used.Add(vgc.Id);
        }

        var deRand = Register.All.FirstOrDefault(a => a.Kind == AuthorityKind.DeRand);
        var facility = Municipalities.Where(a => a.IsFacilityMunicipality).OrderByDescending(a => a.NonEu14OriginResidents).ThenBy(a => a.Id, StringComparer.Ordinal).ToList();
        if (deRand is not null && facility.Count > 0)
        {
            coops.Add((facility[0].Id, [.. facility.Skip(1).Select(a => a.Id), deRand.Id], facility[0].Arrondissement));
            used.UnionWith(facility.Select(a => a.Id));
            used.Add(deRand.Id);
        }

        var big = Municipalities.Where(a => !a.IsFacilityMunicipality && a.NonEu14OriginResidents > _threshold).ToList();
        var small = Municipalities.Where(a => !a.IsFacilityMunicipality && a.NonEu14OriginResidents <= _threshold).ToList();
        var municipalSubmitters = submitters - coops.Count;
        var minSmallCoops = Math.Max(0, municipalSubmitters - big.Count);
        var smallCoops = minSmallCoops + _rng.Next(0, 3);
        if (smallCoops > municipalSubmitters)
        {
            return null;
        }

        foreach (var a in Shuffle(big).Take(municipalSubmitters - smallCoops).OrderBy(a => a.Id, StringComparer.Ordinal))
        {
            coops.Add((a.Id, [], a.Arrondissement));
            used.Add(a.Id);
        }

        // Cooperations of small municipalities: random members of one arrondissement until above the threshold.
        var regions = small.Select(a => a.Arrondissement).Distinct(StringComparer.Ordinal).OrderBy(r => r, StringComparer.Ordinal).ToList();
        for (var i = 0; i < smallCoops; i++)
        {
            var feasible = regions.Where(r => small.Where(a => a.Arrondissement == r && !used.Contains(a.Id)).Sum(a => a.NonEu14OriginResidents) > _threshold).ToList();
            if (feasible.Count == 0)
            {
                return null;
            }

            var region = feasible[_rng.Next(feasible.Count)];
            var members = new List<Authority>();
            foreach (var a in Shuffle(small.Where(a => a.Arrondissement == region && !used.Contains(a.Id)).ToList()))
            {
                members.Add(a);
                if (members.Sum(m => m.NonEu14OriginResidents) > _threshold)
                {
                    break;
                }
            }

            var lead = members.OrderByDescending(m => m.NonEu14OriginResidents).ThenBy(m => m.Id, StringComparer.Ordinal).First();
            coops.Add((lead.Id, members.Where(m => m != lead).Select(m => m.Id).ToList(), region));
            used.UnionWith(members.Select(m => m.Id));
        }

        // The other participating authorities join a cooperation of their arrondissement (bigger ones more often).
        var need = participants - coops.Sum(c => c.Members.Count);
        if (need < 0)
        {
            return null;
        }

        var coopRegions = coops.Select(c => c.Region).ToHashSet(StringComparer.Ordinal);
        var pool = Shuffle(Municipalities.Where(a => !a.IsFacilityMunicipality && !used.Contains(a.Id) && coopRegions.Contains(a.Arrondissement)).ToList());
        if (pool.Count < need)
        {
            return null;
        }

        foreach (var a in pool.Take(need).OrderBy(a => a.Id, StringComparer.Ordinal))
        {
            var candidates = coops.Select((c, index) => (c, index)).Where(x => x.c.Region == a.Arrondissement && Register.Get(x.c.Submitter).Kind == AuthorityKind.Municipality
                && !Register.Get(x.c.Submitter).IsFacilityMunicipality).ToList();
            if (candidates.Count == 0)
            {
                return null;
            }

            var pick = candidates[_rng.Next(candidates.Count)];
            pick.c.Members.Add(a.Id);
            used.Add(a.Id);
        }

        return coops
            .OrderBy(c => c.Submitter, StringComparer.Ordinal)
            .Select(c => new ApplicantComposition(c.Submitter, c.Submitter, c.Members.OrderBy(m => m, StringComparer.Ordinal).ToList()))
            .ToList();
    }

    /// <summary>Year 3: the year-2 submitters again; 2 to 5 authorities that were in no year-2 application join an existing cooperation.</summary>
    private List<ApplicantComposition> YearThreeCompositions(Call call, List<ApplicantComposition> year2)
    {
        var members = year2.ToDictionary(c => c.SubmitterId, c => c.ParticipantIds.ToList(), StringComparer.Ordinal);
        var cooperations = year2.Where(c => c.IsCooperation && Register.Get(c.SubmitterId).Kind == AuthorityKind.Municipality
            && !Register.Get(c.SubmitterId).IsFacilityMunicipality).ToList();
        var newcomers = Shuffle(UnusedAuthorities(year2).Where(a => cooperations.Any(c => Register.Get(c.SubmitterId).Arrondissement == a.Arrondissement)).ToList())
            .Take(2 + _rng.Next(0, 4)).OrderBy(a => a.Id, StringComparer.Ordinal).ToList();
        foreach (var a in newcomers)
        {
            var candidates = cooperations.Where(c => Register.Get(c.SubmitterId).Arrondissement == a.Arrondissement).ToList();
            members[candidates[_rng.Next(candidates.Count)].SubmitterId].Add(a.Id);
        }

        var result = members.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => new ApplicantComposition(kv.Key, kv.Key, kv.Value.OrderBy(m => m, StringComparer.Ordinal).ToList())).ToList();
        Validate(call, result, year2);
        return result;
    }

    private void Validate(Call call, List<ApplicantComposition> compositions, List<ApplicantComposition> previous)
    {
        foreach (var c in compositions)
        {
            var r = EligibilityRule.Evaluate(call, Register, new EligibilityInput(c, compositions, previous));
            if (!r.Passed)
            {
                throw new InvalidOperationException($"generated application {c.SubmitterId} for call {call.Id} is not eligible: {string.Join("; ", r.Reasons.Where(x => x.Severity == ReasonSeverity.Error).Select(x => x.En))}");
            }
        }
    }

    private bool Bonus(Call call, ApplicantComposition c, IReadOnlyList<ApplicantComposition> all, IReadOnlyList<ApplicantComposition> previous) =>
        EligibilityRule.Evaluate(call, Register, new EligibilityInput(c, all, previous)).CooperationBonus;

    // ---------------------------------------------------------------- tables and behaviour

    private YearPlan BuildYear(Call call, CallTimeline timeline, List<ApplicantComposition> compositions, decimal targetEur,
        (int Dutch, int Bridging)? fixedUnits, IReadOnlyList<(string Id, string Comment)> refused, IReadOnlyList<ApplicantComposition>? previous = null)
    {
        previous ??= [];
        var funded = call.FundedActions.OrderBy(a => a.Code, StringComparer.Ordinal).ToList();
        var submitTimes = compositions.Select(_ => SubmitTime(call)).ToList();
        var weight = compositions.Select(c => Math.Sqrt(Math.Min(16.0, c.MemberIds.Sum(id => Register.Get(id).NonEu14OriginResidents) / (double)_threshold))).ToList();

        // Which actions each applicant takes: 2.1 and 5.4 for most, plus 5 to 11 others.
        var chosen = new List<Dictionary<string, int>>();
        for (var i = 0; i < compositions.Count; i++)
        {
            var rows = new Dictionary<string, int>(StringComparer.Ordinal);
            var others = Shuffle(funded.Where(a => a.Code is not DutchPractice and not BridgingFigures).ToList()).Take(5 + _rng.Next(0, 7));
            foreach (var a in others.OrderBy(a => a.Code, StringComparer.Ordinal))
            {
                var max = a.MaximumReach ?? 1;
                rows[a.Code] = Math.Max(1, (int)Math.Round(max * (0.45 + 0.55 * _rng.NextDouble()) * Math.Min(1.0, weight[i] / 2.0)));
            }

            chosen.Add(rows);
        }

        // 2.1 and 5.4: fixed totals (year 2) split over most applicants within the maxima, or free.
        var dutchMax = call.FindAction(DutchPractice)?.MaximumReach ?? 0;
        var bridgingMax = call.FindAction(BridgingFigures)?.MaximumReach ?? 0;
        var fixedActions = new HashSet<string>(StringComparer.Ordinal);
        if (fixedUnits is { } units)
        {
            Split(chosen, weight, DutchPractice, units.Dutch, dutchMax, minTakers: Math.Max(compositions.Count - 10, (units.Dutch + dutchMax - 1) / dutchMax + 5));
            Split(chosen, weight, BridgingFigures, units.Bridging, bridgingMax, minTakers: Math.Max(compositions.Count - 12, (units.Bridging + bridgingMax - 1) / bridgingMax + 5));
            fixedActions.UnionWith([DutchPractice, BridgingFigures]);
        }
        else
        {
            for (var i = 0; i < chosen.Count; i++)
            {
                if (_rng.NextDouble() < 0.85)
                {
                    chosen[i][DutchPractice] = Math.Max(50, (int)(dutchMax * (0.3 + 0.7 * _rng.NextDouble()) * Math.Min(1.0, weight[i] / 1.5)));
                }

                if (_rng.NextDouble() < 0.8)
                {
                    chosen[i][BridgingFigures] = Math.Max(10, (int)(bridgingMax * (0.3 + 0.7 * _rng.NextDouble()) * Math.Min(1.0, weight[i] / 1.5)));
                }
            }
        }

        var bonuses = compositions.Select(c => Bonus(call, c, compositions, previous)).ToList();
        var bonusEur = call.Parameters.CooperationBonus.EurPerProjectYear * call.ProjectYears;
        decimal Rate(string code, int i) => call.FindAction(code)!.RateOn(Brussels.Date(submitTimes[i])) ?? 0m;
        decimal Total() => chosen.Select((rows, i) => rows.Sum(kv => kv.Value * Rate(kv.Key, i)) + (bonuses[i] ? bonusEur : 0m)).Sum();

        // Scale the free rows to the target, then trim until the total is at most the target.
        var fixedEur = chosen.Select((rows, i) => rows.Where(kv => fixedActions.Contains(kv.Key)).Sum(kv => kv.Value * Rate(kv.Key, i)) + (bonuses[i] ? bonusEur : 0m)).Sum();
        var freeEur = Total() - fixedEur;
        var factor = freeEur > 0 ? (double)((targetEur - fixedEur) / freeEur) : 1.0;
        for (var i = 0; i < chosen.Count; i++)
        {
            foreach (var code in chosen[i].Keys.Where(k => !fixedActions.Contains(k)).OrderBy(k => k, StringComparer.Ordinal).ToList())
            {
                var max = call.FindAction(code)!.MaximumReach ?? 1;
                chosen[i][code] = Math.Clamp((int)Math.Round(chosen[i][code] * factor), 1, max);
            }
        }

        var guard = 0;
        for (var excess = Total() - targetEur; excess > 0 && guard < 100_000; excess = Total() - targetEur, guard++)
        {
            var i = _rng.Next(chosen.Count);
            var reducible = chosen[i].Keys.Where(k => !fixedActions.Contains(k) && chosen[i][k] > 1).OrderBy(k => k, StringComparer.Ordinal).ToList();
            if (reducible.Count == 0)
            {
                continue;
            }

            var code = reducible[_rng.Next(reducible.Count)];
            var rate = Rate(code, i);
            var cut = (int)Math.Min(chosen[i][code] - 1, Math.Ceiling(excess / rate));
            chosen[i][code] -= Math.Max(1, cut);
        }

        var applications = new List<PlannedApplication>();
        for (var i = 0; i < compositions.Count; i++)
        {
            var codes = Shuffle(chosen[i].Keys.OrderBy(k => k, StringComparer.Ordinal).ToList());
            var rows = codes.Select((code, p) => new PlannedRow(code, chosen[i][code], p + 1, Rate(code, i))).OrderBy(r => r.Priority).ToList();
            var c = compositions[i];
            applications.Add(new PlannedApplication(call.Id, c.SubmitterId, c.ParticipantIds, bonuses[i], null,
                DraftTime(call, submitTimes[i]), submitTimes[i], rows, Behaviour(call, rows)));
        }

        foreach (var (id, comment) in refused)
        {
            var submit = SubmitTime(call);
            var rows = new List<PlannedRow> { new(DutchPractice, 100 + _rng.Next(0, 400), 1, call.FindAction(DutchPractice)!.RateOn(Brussels.Date(submit)) ?? 0m) };
            applications.Add(new PlannedApplication(call.Id, id, [], false, comment, DraftTime(call, submit), submit, rows, Behaviour(call, rows)));
        }

        return new YearPlan(timeline, applications.OrderBy(a => a.Submitter, StringComparer.Ordinal).ToList(), targetEur);
    }

    /// <summary>Splits <paramref name="total"/> units of an action over most applicants, each at most <paramref name="max"/>.</summary>
    private void Split(List<Dictionary<string, int>> chosen, List<double> weight, string code, int total, int max, int minTakers)
    {
        var takers = Shuffle(Enumerable.Range(0, chosen.Count).ToList()).Take(Math.Min(chosen.Count, minTakers + _rng.Next(0, Math.Max(1, chosen.Count - minTakers + 1)))).OrderBy(i => i).ToList();
        if (takers.Count * max < total)
        {
            throw new InvalidOperationException($"{takers.Count} applicants cannot reach {total} units of {code} with a maximum of {max}");
        }

        var w = takers.Select(i => weight[i] * (0.6 + 0.8 * _rng.NextDouble())).ToList();
        var sum = w.Sum();
        var x = w.Select(v => Math.Min(max, Math.Max(1, (int)Math.Floor(total * v / sum)))).ToList();
        var assigned = x.Sum();
        while (assigned > total)
        {
            var k = _rng.Next(x.Count);
            if (x[k] > 1)
            {
                x[k]--;
                assigned--;
            }
        }

        while (assigned < total)
        {
            var k = _rng.Next(x.Count);
            var add = Math.Min(max - x[k], Math.Min(total - assigned, 1 + _rng.Next(0, 25)));
            x[k] += add;
            assigned += add;
        }

        for (var j = 0; j < takers.Count; j++)
        {
            chosen[takers[j]][code] = x[j];
        }
    }

    private DateTimeOffset SubmitTime(Call call)
    {
        var first = Brussels.Date(call.Window.Opens).AddDays(call.Year == 1 ? 6 : 3);
        var last = Brussels.Date(call.Window.Deadline);
        var day = first.AddDays(_rng.Next(0, last.DayNumber - first.DayNumber + 1));
        var at = Brussels.At(day, 8 + _rng.Next(0, 9), _rng.Next(0, 60));
        return at < call.Window.Deadline ? at : call.Window.Deadline.AddHours(-1 - _rng.Next(0, 3));
    }

    private DateTimeOffset DraftTime(Call call, DateTimeOffset submit)
    {
        var draft = submit.AddDays(-1 - _rng.Next(0, 10)).AddMinutes(-_rng.Next(0, 300));
        return draft > call.Window.Opens ? draft : call.Window.Opens.AddHours(9);
    }

    /// <summary>
    /// Reports: at the interim most rows are 30-60% on the way and a few below 25% (half of those get their
    /// motivation accepted, the others stop); at the end most rows reach 80-110%, some fall short, and about one
    /// applicant in ten performs weakly (which leads to a recovery, the advance being 60%).
    /// </summary>
    private PlannedBehaviour Behaviour(Call call, List<PlannedRow> rows)
    {
        var start = call.ProjectPeriod.Start;
        var interimDue = new DateOnly(start.Year, start.Month, 15).AddMonths(6);
        var extended = call.Extensions.Count > 0;
        var end = call.ProjectPeriod.End;
        var interimAt = Brussels.At(interimDue.AddDays(-_rng.Next(0, 28)), 9 + _rng.Next(0, 8), _rng.Next(0, 60));
        var continuationAt = Brussels.At(NextWorkday(interimDue.AddDays(14 + _rng.Next(0, 21))), 10 + _rng.Next(0, 6), _rng.Next(0, 60));
        var finalAt = extended
            ? Brussels.At(new DateOnly(2026, 1, 5).AddDays(_rng.Next(0, 26)), 9 + _rng.Next(0, 8), _rng.Next(0, 60))
            : Brussels.At(end.AddDays(1 + _rng.Next(0, 15)), 9 + _rng.Next(0, 8), _rng.Next(0, 60));
        var weak = _rng.NextDouble() < 0.1;
        var interim = new Dictionary<string, int>(StringComparer.Ordinal);
        var final = new Dictionary<string, int>(StringComparer.Ordinal);
        var accepted = new List<string>();
        foreach (var r in rows.OrderBy(r => r.Action, StringComparer.Ordinal))
        {
            var low = _rng.NextDouble() < (weak ? 0.3 : 0.05);
            var interimShare = low ? 0.05 + 0.19 * _rng.NextDouble() : (weak ? 0.25 : 0.3) + 0.3 * _rng.NextDouble();
            // Small counts (one action plan, a few "pleinmakers") are rounded at random, so a plan is either there or not.
            var i = Units(r.Planned * interimShare);
            interim[r.Action] = i;
            var below = i * 4 < r.Planned;
            var motivationAccepted = below && _rng.NextDouble() < (r.Planned <= 4 ? 0.9 : 0.5);
            if (motivationAccepted)
            {
                accepted.Add(r.Action);
            }

            double finalShare;
            var roll = _rng.NextDouble();
            if (weak)
            {
                finalShare = 0.15 + 0.4 * roll;
            }
            else if (roll < 0.8)
            {
                finalShare = 0.8 + 0.3 * _rng.NextDouble();
            }
            else
            {
                finalShare = 0.4 + 0.4 * _rng.NextDouble();
            }

            final[r.Action] = below && !motivationAccepted ? i : Math.Max(i, Units(r.Planned * finalShare));
        }

        var settleAfter = extended ? 10 + _rng.Next(0, 20) : 14 + _rng.Next(0, 27);
        int? reaction = _rng.NextDouble() < 0.4 ? 5 + _rng.Next(0, 20) : null;
        return new PlannedBehaviour(interimAt, interim, continuationAt, accepted, finalAt, final, settleAfter, reaction);
    }

    private int Units(double expected) => (int)Math.Floor(expected + (expected < 10 ? _rng.NextDouble() : 0.0));

    private List<T> Shuffle<T>(List<T> items)
    {
        var list = items.ToList();
        for (var i = list.Count - 1; i > 0; i--)
        {
            var j = _rng.Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }

        return list;
    }
}
