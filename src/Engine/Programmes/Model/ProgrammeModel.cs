#pragma warning disable CS1573 // Record parameters are documented only where the name does not say it all.
namespace SubsidyEngine.Engine.Programmes.Model;

/// <summary>A text in Dutch (the language of the letters) and English (the language of the code and the docs).</summary>
public sealed record LocalizedText(string Nl, string En);

/// <summary>
/// Where a value comes from: <see cref="Configurable"/> is true when the value was not found in the sources and the
/// programme data only carries a default; <see cref="Note"/> says why or where from.
/// </summary>
public sealed record Provenance(bool Configurable, string? Note)
{
    /// <summary>A value taken from the sources, without a note.</summary>
    public static Provenance FromSources { get; } = new(false, null);
}

/// <summary>One data file a programme was loaded from, with the SHA-256 of its exact bytes (lowercase hex).</summary>
/// <param name="RelativePath">Path relative to the programme folder, with forward slashes, e.g. <c>calls/2023.json</c>.</param>
/// <param name="Sha256">SHA-256 of the file content, so the journal can record which data version a decision used.</param>
public sealed record DataFileVersion(string RelativePath, string Sha256);

/// <summary>
/// A grant programme: its programme-wide parameters, objectives and calls, loaded from versioned data files
/// (see <c>docs/programme-data.md</c>). The rules never look at the programme's id: everything that differs between
/// programmes is data.
/// </summary>
public sealed record Programme(
    string Id,
    LocalizedText Name,
    LocalizedText Administration,
    string TimeZoneId,
    IReadOnlyList<Objective> Objectives,
    ProgrammeParameters Parameters,
    IReadOnlyList<Call> Calls,
    DataFileVersion ProgrammeFile,
    string ContentSha256)
{
    /// <summary>The call with this id, or null.</summary>
    public Call? FindCall(string callId) => Calls.FirstOrDefault(c => string.Equals(c.Id, callId, StringComparison.Ordinal));

    /// <summary>The call with this id; throws <see cref="KeyNotFoundException"/> when unknown.</summary>
    public Call GetCall(string callId) =>
        FindCall(callId) ?? throw new KeyNotFoundException($"Programme '{Id}' has no call '{callId}'.");

    /// <summary>Every data file this programme was loaded from (programme file first, then the calls by id).</summary>
    public IReadOnlyList<DataFileVersion> Files => [ProgrammeFile, .. Calls.Select(c => c.File)];
}

/// <summary>A programme objective (e.g. "2 Dutch").</summary>
public sealed record Objective(int Number, LocalizedText Name);

/// <summary>
/// The parameters the rules read. Programme-wide in <c>programme.json</c>; a call file may replace any group
/// (<c>"parameters": { "coFinancing": { ... } }</c>), and <see cref="Call.Parameters"/> holds the effective set.
/// </summary>
public sealed record ProgrammeParameters(
    EligibilityParameters Eligibility,
    BonusDefinition CooperationBonus,
    IReadOnlyList<BonusDefinition> OtherBonuses,
    CoFinancingParameters CoFinancing,
    ContinuationParameters Continuation,
    PaymentScheduleParameters PaymentSchedule,
    RecoveryParameters Recovery,
    AllocationParameters Allocation)
{
    /// <summary>The bonus with this code among <see cref="OtherBonuses"/>, or null.</summary>
    public BonusDefinition? FindOtherBonus(string code) =>
        OtherBonuses.FirstOrDefault(b => string.Equals(b.Code, code, StringComparison.Ordinal));
}

/// <summary>
/// Eligibility threshold: an applicant (alone or a cooperation summed) must have <b>strictly more than</b>
/// <see cref="ThresholdNonEu14OriginResidents"/> residents of non-EU-14 origin.
/// </summary>
/// <param name="ReferenceRegion">Which authority attribute is the reference region; only <c>arrondissement</c> is supported.</param>
public sealed record EligibilityParameters(long ThresholdNonEu14OriginResidents, string ReferenceRegion, Provenance Provenance);

/// <summary>A bonus paid per project year without co-financing (the cooperation bonus, mentorship, ...).</summary>
/// <param name="Code">Stable code; the cooperation bonus is <c>cooperation</c>.</param>
/// <param name="EurPerProjectYear">Amount per project year; 0 with <c>Configurable</c> when the amount is unknown.</param>
public sealed record BonusDefinition(
    string Code, LocalizedText Name, decimal EurPerProjectYear, bool CoFinancingRequired, Provenance Provenance);

/// <summary>Where the co-financing check is applied.</summary>
public enum CoFinancingCheck
{
    /// <summary>Every action row must be matched on its own.</summary>
    Row,

    /// <summary>Only the application total must be matched.</summary>
    Total,
}

/// <summary>
/// Co-financing: the local contribution required for a row is
/// <c>LocalToFlemishRatio x Flemish amount + LocalEurPerUnit x funded units</c>. Plan Samenleven: ratio 1 (1:1),
/// 0 per unit. Oefenkansen Nederlands: ratio 0, a fixed amount per organised practice opportunity.
/// </summary>
public sealed record CoFinancingParameters(
    decimal LocalToFlemishRatio, decimal LocalEurPerUnit, CoFinancingCheck CheckedPer, Provenance Provenance);

/// <summary>Continuation at the interim review: realised >= <see cref="MinimumRealisedShare"/> x pledged, or an accepted motivation.</summary>
public sealed record ContinuationParameters(decimal MinimumRealisedShare, bool MotivationMayReplace, Provenance Provenance);

/// <summary>Payment schedule: an advance of <see cref="AdvanceShare"/> of the award, rounded down to a multiple of <see cref="AdvanceRoundingEur"/>; the balance after <see cref="BalanceAfter"/>.</summary>
public sealed record PaymentScheduleParameters(decimal AdvanceShare, decimal AdvanceRoundingEur, string BalanceAfter, Provenance Provenance);

/// <summary>Recovery: the authority gets <see cref="PreInformationDays"/> days after the pre-information letter to react.</summary>
public sealed record RecoveryParameters(int PreInformationDays, Provenance Provenance);

/// <summary>
/// Allocation when requests exceed the budget. Only <c>priority-rounds</c> is implemented (DOMAIN §5).
/// Pro-rata amounts are rounded down to a multiple of <see cref="RoundingEur"/> per row.
/// </summary>
/// <param name="BonusesFirst">True: bonuses are funded before the priority rounds (default); false: bonuses are funded after the last round, from what is left.</param>
public sealed record AllocationParameters(string Method, decimal RoundingEur, bool BonusesFirst, Provenance Provenance);

/// <summary>An application window; a submission is on time when <c>Opens &lt;= submittedAt &lt;= Deadline</c>.</summary>
/// <param name="OriginalDeadline">The deadline first announced, when it was moved (year 1: 31/05/2022 moved to 01/07/2022).</param>
public sealed record ApplicationWindow(DateTimeOffset Opens, DateTimeOffset Deadline, DateTimeOffset? OriginalDeadline, Provenance Provenance)
{
    /// <summary>True when <paramref name="instant"/> lies in the window (both ends included).</summary>
    public bool Contains(DateTimeOffset instant) => instant >= Opens && instant <= Deadline;
}

/// <summary>A date range with both ends included.</summary>
public sealed record DateRange(DateOnly Start, DateOnly End)
{
    /// <summary>True when <paramref name="date"/> lies in the range (both ends included).</summary>
    public bool Contains(DateOnly date) => date >= Start && date <= End;
}

/// <summary>An extension of the project period, possibly without new money (DOMAIN §6: to 31/12/2025, EUR 0).</summary>
public sealed record ProjectExtension(DateOnly End, decimal AdditionalBudgetEur, Provenance Provenance);

/// <summary>The call budget; <see cref="AwardedEur"/> is the awarded total where the sources give it.</summary>
public sealed record CallBudget(decimal Eur, decimal? AwardedEur, Provenance Provenance);

/// <summary>An authority excluded from a call, with the reason for the refusal letter.</summary>
public sealed record ExcludedAuthority(string AuthorityId, LocalizedText Reason);

/// <summary>How new authorities may take part in a call restricted to previous submitters.</summary>
public enum NewAuthorityPolicy
{
    /// <summary>New authorities may only join an application that was a cooperation in the previous call (the source text).</summary>
    ExistingCooperations,

    /// <summary>New authorities may join any application of a previous submitter.</summary>
    AnyPreviousApplication,
}

/// <summary>Who may apply to a call.</summary>
/// <param name="EligibleKinds">Authority kinds that may be members of an application.</param>
/// <param name="ExcludedAuthorities">Authorities refused whatever their figures (Oefenkansen: Antwerp, Ghent, VGC).</param>
/// <param name="RestrictedToPreviousSubmittersOf">Id of an earlier call: only its submitters may submit (year 3: "2023").</param>
public sealed record CallEligibility(
    IReadOnlyList<AuthorityKind> EligibleKinds,
    IReadOnlyList<ExcludedAuthority> ExcludedAuthorities,
    string? RestrictedToPreviousSubmittersOf,
    NewAuthorityPolicy NewAuthoritiesMayJoin,
    Provenance Provenance)
{
    /// <summary>The exclusion for this authority, or null.</summary>
    public ExcludedAuthority? FindExclusion(string authorityId) =>
        ExcludedAuthorities.FirstOrDefault(e => string.Equals(e.AuthorityId, authorityId, StringComparison.Ordinal));
}

/// <summary>A rate in EUR per KPI unit, valid from <see cref="From"/> (null: from the start) until the next rate.</summary>
public sealed record RateChange(DateOnly? From, decimal EurPerUnit, string? Note);

/// <summary>
/// One row of a call's action catalogue. Actions with several target groups are one row per target group, each with
/// its own code (e.g. <c>4.1a</c>), maximum and priority; <see cref="Group"/> names the action they belong to.
/// </summary>
public sealed record ActionDefinition(
    string Code,
    Objective Objective,
    string? Group,
    LocalizedText Name,
    LocalizedText? TargetGroup,
    LocalizedText KpiUnit,
    bool Funded,
    IReadOnlyList<RateChange> Rates,
    int? MaximumReach,
    Provenance Provenance)
{
    /// <summary>
    /// The rate in force on <paramref name="date"/>: the last rate whose <c>From</c> is on or before the date
    /// (rates are ordered by date; the first one has no <c>From</c>). Null for an unfunded action.
    /// </summary>
    public decimal? RateOn(DateOnly date)
    {
        decimal? rate = null;
        foreach (var change in Rates)
        {
            if (change.From is null || change.From.Value <= date)
            {
                rate = change.EurPerUnit;
            }
        }
        return rate;
    }
}

/// <summary>
/// A call for applications: one project year of a programme, with its window, periods, budget, eligibility
/// restrictions, action catalogue and effective parameters.
/// </summary>
/// <param name="Year">Project year number within the programme (1, 2, 3).</param>
/// <param name="ProjectYears">Number of project years the call covers (bonuses are paid per project year).</param>
public sealed record Call(
    string ProgrammeId,
    string Id,
    int Year,
    LocalizedText Name,
    ApplicationWindow Window,
    DateRange ProjectPeriod,
    IReadOnlyList<ProjectExtension> Extensions,
    int ProjectYears,
    CallBudget Budget,
    DateOnly? GovernmentDecision,
    CallEligibility Eligibility,
    IReadOnlyList<ActionDefinition> Actions,
    ProgrammeParameters Parameters,
    DataFileVersion File)
{
    /// <summary>The project end after the last extension.</summary>
    public DateOnly EffectiveProjectEnd => Extensions.Count == 0 ? ProjectPeriod.End : Extensions.Max(e => e.End);

    /// <summary>The catalogue row with this code, or null.</summary>
    public ActionDefinition? FindAction(string code) =>
        Actions.FirstOrDefault(a => string.Equals(a.Code, code, StringComparison.Ordinal));

    /// <summary>The funded catalogue rows.</summary>
    public IEnumerable<ActionDefinition> FundedActions => Actions.Where(a => a.Funded);
}
