#pragma warning disable CS1573 // Record parameters are documented only where the name does not say it all.
using SubsidyEngine.Engine.Programmes.Model;

namespace SubsidyEngine.Engine.Rules;

/// <summary>A row to allocate: the action, its priority within the application, and the requested Flemish amount.</summary>
public sealed record AllocationRowRequest(string ActionCode, int Priority, decimal RequestedEur);

/// <summary>An eligible application to allocate: its rows and its bonus total (no co-financing).</summary>
public sealed record AllocationRequest(string ApplicationId, IReadOnlyList<AllocationRowRequest> Rows, decimal BonusEur)
{
    /// <summary>The allocation request of an evaluated application table.</summary>
    public static AllocationRequest From(ApplicationTableResult table)
    {
        ArgumentNullException.ThrowIfNull(table);
        return new AllocationRequest(table.ApplicationId,
            table.Rows.Select(r => new AllocationRowRequest(r.ActionCode, r.Priority, r.RequestedEur)).ToList(), table.BonusTotalEur);
    }
}

/// <summary>How a row (or a bonus) was funded.</summary>
public enum Funding
{
    /// <summary>The full request.</summary>
    Full,

    /// <summary>Part of the request: its round was funded pro rata.</summary>
    ProRata,

    /// <summary>Nothing: the budget was used up by earlier rounds.</summary>
    None,
}

/// <summary>The allocation of one row.</summary>
/// <param name="Round">The round the row was funded in: its priority rank.</param>
public sealed record RowAllocation(string ActionCode, int Priority, decimal RequestedEur, decimal AllocatedEur, int Round, Funding Funding);

/// <summary>The allocation of one application.</summary>
public sealed record ApplicationAllocation(
    string ApplicationId,
    IReadOnlyList<RowAllocation> Rows,
    decimal BonusRequestedEur,
    decimal BonusAllocatedEur,
    Funding BonusFunding,
    decimal RequestedEur,
    decimal AllocatedEur);

/// <summary>One round: the bonus round (<see cref="IsBonusRound"/>) or a priority rank.</summary>
public sealed record AllocationRound(int Round, bool IsBonusRound, decimal RequestedEur, decimal AllocatedEur, Funding Funding);

/// <summary>The allocation of a call.</summary>
/// <param name="RemainderEur">Budget minus allocated: what pro-rata rounding down (or an under-subscribed call) leaves unspent.</param>
/// <param name="ProRataRound">The priority rank funded pro rata (0 for the bonus round), or null.</param>
/// <param name="ProRataFactor">What was left divided by what the pro-rata round requested, rounded to 10 decimals for display; amounts are computed from the exact fraction.</param>
public sealed record AllocationResult(
    decimal BudgetEur,
    decimal RequestedEur,
    decimal AllocatedEur,
    decimal RemainderEur,
    bool FitsBudget,
    int? ProRataRound,
    decimal? ProRataFactor,
    IReadOnlyList<AllocationRound> Rounds,
    IReadOnlyList<ApplicationAllocation> Applications,
    IReadOnlyList<Reason> Explanations);

/// <summary>
/// Allocation of a call budget over all eligible applications (DOMAIN §5), pure and deterministic.
/// <list type="bullet">
/// <item>If everything requested fits the budget, every application gets its request.</item>
/// <item>Otherwise, bonuses first (parameter <c>bonusesFirst</c>, default true: they are a flat amount per project year
/// that the programme promised for cooperation, not a ranked action); then rounds by priority rank: round 1 funds every
/// applicant's priority-1 row, round 2 every priority-2 row, and so on.</item>
/// <item>The first round that does not fit is funded pro rata to what is left: each row gets
/// requested x left / round total, <b>rounded down</b> to a multiple of <c>roundingEur</c> (1: whole euros), computed
/// exactly; the remainder (budget - allocated) is recorded; later rounds get nothing.</item>
/// <item>Applications are processed ordered by application id (ordinal), rows by priority then action code, so the
/// euros do not depend on the order of the input list.</item>
/// </list>
/// </summary>
public static class AllocationRule
{
    /// <summary>Allocates <paramref name="budgetEur"/> over <paramref name="applications"/>.</summary>
    /// <exception cref="ArgumentException">Duplicate application ids, a negative amount or a negative budget.</exception>
    public static AllocationResult Allocate(decimal budgetEur, AllocationParameters parameters, IReadOnlyList<AllocationRequest> applications)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(applications);
        if (budgetEur < 0) throw new ArgumentException("The budget must not be negative.", nameof(budgetEur));
        var unit = parameters.RoundingEur;

        var ordered = applications.OrderBy(a => a.ApplicationId, StringComparer.Ordinal).ToArray();
        for (var i = 1; i < ordered.Length; i++)
        {
            if (ordered[i].ApplicationId == ordered[i - 1].ApplicationId)
            {
                throw new ArgumentException($"Application '{ordered[i].ApplicationId}' appears twice.", nameof(applications));
            }
        }

        // Flatten rows: per application, sorted by priority then code. The amounts and fundings live in arrays
        // filled by the rounds; the RowAllocation records are built once at the end.
        var rows = new AllocationRowRequest[ordered.Length][];
        var rowAllocated = new decimal[ordered.Length][];
        var rowFunding = new Funding[ordered.Length][];
        var rowsByRank = new Dictionary<int, RankBucket>();
        decimal requestedRows = 0, requestedBonus = 0;
        for (var a = 0; a < ordered.Length; a++)
        {
            var app = ordered[a];
            if (app.BonusEur < 0) throw new ArgumentException($"Application '{app.ApplicationId}' has a negative bonus.", nameof(applications));
            requestedBonus += app.BonusEur;
            var sorted = app.Rows.ToArray();
            Array.Sort(sorted, static (x, y) => x.Priority != y.Priority ? x.Priority.CompareTo(y.Priority) : string.CompareOrdinal(x.ActionCode, y.ActionCode));
            rows[a] = sorted;
            rowAllocated[a] = new decimal[sorted.Length];
            rowFunding[a] = new Funding[sorted.Length];
            Array.Fill(rowFunding[a], Funding.None); // until a round funds the row
            for (var r = 0; r < sorted.Length; r++)
            {
                var row = sorted[r];
                if (row.RequestedEur < 0)
                {
                    throw new ArgumentException($"Application '{app.ApplicationId}' row {row.ActionCode} has a negative request.", nameof(applications));
                }
                requestedRows += row.RequestedEur;
                if (!rowsByRank.TryGetValue(row.Priority, out var bucket)) rowsByRank[row.Priority] = bucket = new RankBucket();
                bucket.Total += row.RequestedEur;
                bucket.Rows.Add((a, r));
            }
        }
        var rowTotalsByRank = new SortedDictionary<int, decimal>(rowsByRank.ToDictionary(kv => kv.Key, kv => kv.Value.Total));
        var requested = requestedRows + requestedBonus;
        var explanations = new List<Reason>();
        var rounds = new List<AllocationRound>();
        var bonusAllocated = new decimal[ordered.Length];
        var bonusFunding = Funding.None;
        int? proRataRound = null;
        decimal? factor = null;

        if (requested <= budgetEur)
        {
            for (var a = 0; a < ordered.Length; a++)
            {
                bonusAllocated[a] = ordered[a].BonusEur;
                for (var r = 0; r < rows[a].Length; r++)
                {
                    rowAllocated[a][r] = rows[a][r].RequestedEur;
                    rowFunding[a][r] = Funding.Full;
                }
            }
            bonusFunding = Funding.Full;
            if (requestedBonus > 0) rounds.Add(new AllocationRound(0, true, requestedBonus, requestedBonus, Funding.Full));
            rounds.AddRange(rowTotalsByRank.Select(kv => new AllocationRound(kv.Key, false, kv.Value, kv.Value, Funding.Full)));
            explanations.Add(Reason.Info("allocation.fits-budget",
                $"Het totaal gevraagde bedrag {RuleText.EurNl(requested)} past in het budget {RuleText.EurNl(budgetEur)}: elke aanvraag krijgt wat ze vroeg.",
                $"The total requested {RuleText.EurEn(requested)} fits the budget {RuleText.EurEn(budgetEur)}: every application gets its request."));
        }
        else
        {
            explanations.Add(Reason.Info("allocation.over-budget",
                $"Het totaal gevraagde bedrag {RuleText.EurNl(requested)} overschrijdt het budget {RuleText.EurNl(budgetEur)}: toekenning in rondes volgens prioriteit.",
                $"The total requested {RuleText.EurEn(requested)} exceeds the budget {RuleText.EurEn(budgetEur)}: allocation in rounds by priority."));
            var left = budgetEur;
            var exhausted = false;

            void FundBonuses(int roundNumber)
            {
                if (requestedBonus == 0) return;
                if (!exhausted && requestedBonus <= left)
                {
                    for (var a = 0; a < ordered.Length; a++) bonusAllocated[a] = ordered[a].BonusEur;
                    left -= requestedBonus;
                    bonusFunding = Funding.Full;
                    rounds.Add(new AllocationRound(roundNumber, true, requestedBonus, requestedBonus, Funding.Full));
                    explanations.Add(Reason.Info("allocation.bonuses-funded",
                        $"Bonussen volledig toegekend: {RuleText.EurNl(requestedBonus)}.", $"Bonuses funded in full: {RuleText.EurEn(requestedBonus)}."));
                }
                else if (!exhausted)
                {
                    decimal allocated = 0;
                    for (var a = 0; a < ordered.Length; a++)
                    {
                        bonusAllocated[a] = ProRata(ordered[a].BonusEur, left, requestedBonus, unit);
                        allocated += bonusAllocated[a];
                    }
                    factor = Math.Round(left / requestedBonus, 10);
                    proRataRound = roundNumber;
                    bonusFunding = Funding.ProRata;
                    rounds.Add(new AllocationRound(roundNumber, true, requestedBonus, allocated, Funding.ProRata));
                    explanations.Add(Reason.Info("allocation.bonuses-pro-rata",
                        $"De bonussen ({RuleText.EurNl(requestedBonus)}) passen niet in wat overblijft ({RuleText.EurNl(left)}): pro rata toegekend, afgerond naar beneden.",
                        $"The bonuses ({RuleText.EurEn(requestedBonus)}) do not fit what is left ({RuleText.EurEn(left)}): funded pro rata, rounded down."));
                    left -= allocated;
                    exhausted = true;
                }
                else
                {
                    rounds.Add(new AllocationRound(roundNumber, true, requestedBonus, 0, Funding.None));
                }
            }

            if (parameters.BonusesFirst) FundBonuses(0);
            foreach (var (rank, total) in rowTotalsByRank)
            {
                if (!exhausted && left == 0 && total > 0)
                {
                    exhausted = true; // the previous round used the budget up exactly
                }
                if (exhausted)
                {
                    rounds.Add(new AllocationRound(rank, false, total, 0, Funding.None));
                    continue;
                }
                if (total <= left)
                {
                    foreach (var (a, r) in rowsByRank[rank].Rows)
                    {
                        rowAllocated[a][r] = rows[a][r].RequestedEur;
                        rowFunding[a][r] = Funding.Full;
                    }
                    left -= total;
                    rounds.Add(new AllocationRound(rank, false, total, total, Funding.Full));
                    continue;
                }
                decimal allocated = 0;
                foreach (var (a, r) in rowsByRank[rank].Rows)
                {
                    var amount = ProRata(rows[a][r].RequestedEur, left, total, unit);
                    rowAllocated[a][r] = amount;
                    rowFunding[a][r] = Funding.ProRata;
                    allocated += amount;
                }
                factor = Math.Round(left / total, 10);
                proRataRound = rank;
                rounds.Add(new AllocationRound(rank, false, total, allocated, Funding.ProRata));
                explanations.Add(Reason.Info("allocation.pro-rata-round",
                    $"Ronde {rank} (prioriteit {rank}) vraagt {RuleText.EurNl(total)} maar er blijft {RuleText.EurNl(left)}: elke rij krijgt {RuleText.NumNl(factor.Value * 100)}% van haar vraag, afgerond naar beneden; toegekend {RuleText.EurNl(allocated)}.",
                    $"Round {rank} (priority {rank}) requests {RuleText.EurEn(total)} but {RuleText.EurEn(left)} is left: each row gets {RuleText.NumEn(factor.Value * 100)}% of its request, rounded down; allocated {RuleText.EurEn(allocated)}."));
                left -= allocated;
                exhausted = true;
            }
            if (!parameters.BonusesFirst) FundBonuses(rowTotalsByRank.Count == 0 ? 1 : rowTotalsByRank.Keys.Max() + 1);

            var fullRounds = rounds.Where(x => !x.IsBonusRound && x.Funding == Funding.Full).Select(x => x.Round).ToList();
            if (fullRounds.Count > 0)
            {
                explanations.Add(Reason.Info("allocation.full-rounds",
                    $"Volledig toegekend: prioriteiten {fullRounds.Min()} tot {fullRounds.Max()}.",
                    $"Funded in full: priorities {fullRounds.Min()} to {fullRounds.Max()}."));
            }
            var noneRounds = rounds.Where(x => !x.IsBonusRound && x.Funding == Funding.None).Select(x => x.Round).ToList();
            if (noneRounds.Count > 0)
            {
                explanations.Add(Reason.Info("allocation.unfunded-rounds",
                    $"Niet toegekend (budget op): prioriteiten {noneRounds.Min()} tot {noneRounds.Max()}.",
                    $"Not funded (budget used up): priorities {noneRounds.Min()} to {noneRounds.Max()}."));
            }
        }

        var result = new ApplicationAllocation[ordered.Length];
        decimal allocatedTotal = 0;
        for (var a = 0; a < ordered.Length; a++)
        {
            var rowSum = 0m;
            var rowRequested = 0m;
            var appRows = new RowAllocation[rows[a].Length];
            for (var r = 0; r < appRows.Length; r++)
            {
                var row = rows[a][r];
                appRows[r] = new RowAllocation(row.ActionCode, row.Priority, row.RequestedEur, rowAllocated[a][r], row.Priority, rowFunding[a][r]);
                rowSum += rowAllocated[a][r];
                rowRequested += row.RequestedEur;
            }
            var appFunding = ordered[a].BonusEur == 0 ? Funding.None : bonusFunding;
            result[a] = new ApplicationAllocation(ordered[a].ApplicationId, appRows, ordered[a].BonusEur, bonusAllocated[a], appFunding,
                rowRequested + ordered[a].BonusEur, rowSum + bonusAllocated[a]);
            allocatedTotal += rowSum + bonusAllocated[a];
        }
        var remainder = budgetEur - allocatedTotal;
        explanations.Add(Reason.Info("allocation.remainder",
            $"Toegekend {RuleText.EurNl(allocatedTotal)} van {RuleText.EurNl(budgetEur)}; niet toegekend restbedrag {RuleText.EurNl(remainder)}.",
            $"Allocated {RuleText.EurEn(allocatedTotal)} of {RuleText.EurEn(budgetEur)}; unallocated remainder {RuleText.EurEn(remainder)}."));
        return new AllocationResult(budgetEur, requested, allocatedTotal, remainder, requested <= budgetEur, proRataRound, factor,
            rounds, result, explanations);
    }

    /// <summary>
    /// One application's share of a confirmed allocation, from its own request and the call's rounds alone: a row of
    /// a fully funded round gets its request, a row of the pro-rata round <see cref="ProRata"/> of what was left
    /// before that round over the round's total, a row of an unfunded round nothing; the bonus likewise. The rounds
    /// are in the order <see cref="Allocate"/> funded them (its <see cref="AllocationResult.Rounds"/>), so what was
    /// left before a round is the budget minus what the rounds before it allocated. Gives exactly the application's
    /// entry of <see cref="Allocate"/>'s result (a property test holds it to that), without reading the other
    /// applications: each application records its own allocation in constant time.
    /// </summary>
    public static ApplicationAllocation ForApplication(decimal budgetEur, AllocationParameters parameters, IReadOnlyList<AllocationRound> rounds, AllocationRequest application)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(rounds);
        ArgumentNullException.ThrowIfNull(application);
        var unit = parameters.RoundingEur;
        var leftBefore = new Dictionary<(bool Bonus, int Round), (decimal Left, AllocationRound Round)>();
        var left = budgetEur;
        foreach (var round in rounds)
        {
            leftBefore[(round.IsBonusRound, round.Round)] = (left, round);
            left -= round.AllocatedEur;
        }

        decimal Share(bool bonus, int rank, decimal requested)
        {
            if (requested == 0 || !leftBefore.TryGetValue((bonus, rank), out var at))
            {
                return 0;
            }

            return at.Round.Funding switch
            {
                Funding.Full => requested,
                Funding.ProRata => ProRata(requested, at.Left, at.Round.RequestedEur, unit),
                _ => 0,
            };
        }

        Funding FundingOf(bool bonus, int rank) => leftBefore.TryGetValue((bonus, rank), out var at) ? at.Round.Funding : Funding.None;

        var sorted = application.Rows.ToArray();
        Array.Sort(sorted, static (x, y) => x.Priority != y.Priority ? x.Priority.CompareTo(y.Priority) : string.CompareOrdinal(x.ActionCode, y.ActionCode));
        var rows = sorted.Select(r => new RowAllocation(r.ActionCode, r.Priority, r.RequestedEur, Share(false, r.Priority, r.RequestedEur), r.Priority, FundingOf(false, r.Priority))).ToList();
        var bonusRound = rounds.FirstOrDefault(r => r.IsBonusRound);
        var bonus = bonusRound is null ? 0 : Share(true, bonusRound.Round, application.BonusEur);
        var bonusFunding = application.BonusEur == 0 || bonusRound is null ? Funding.None : bonusRound.Funding;
        return new ApplicationAllocation(application.ApplicationId, rows, application.BonusEur, bonus, bonusFunding,
            rows.Sum(r => r.RequestedEur) + application.BonusEur, rows.Sum(r => r.AllocatedEur) + bonus);
    }

    /// <summary>The rows of one priority rank (application index, row index) and what they request together.</summary>
    private sealed class RankBucket
    {
        public decimal Total;
        public readonly List<(int App, int Row)> Rows = [];
    }

    /// <summary>
    /// floor(requested x available / total / unit) x unit, computed exactly: the decimal quotient is corrected so that a
    /// last-digit rounding of the division can never round up.
    /// </summary>
    public static decimal ProRata(decimal requested, decimal available, decimal total, decimal unit)
    {
        if (requested == 0 || total == 0) return 0;
        var numerator = requested * available;
        var denominator = total * unit;
        var q = decimal.Floor(numerator / denominator);
        while (q > 0 && q * denominator > numerator) q -= 1;
        while ((q + 1) * denominator <= numerator) q += 1;
        return q * unit;
    }
}
