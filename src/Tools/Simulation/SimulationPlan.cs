#pragma warning disable CS1573 // Record parameters are documented only where the name does not say it all.
using System.Globalization;

namespace SubsidyEngine.Tools.Simulation;

/// <summary>One row of a generated application table (planned reach never above the maximum, so funded = planned).</summary>
public sealed record PlannedRow(string Action, int Planned, int Priority, decimal Rate);

/// <summary>What one generated applicant does over its project year, decided up front from the seed.</summary>
/// <param name="InterimRealised">Realised reach per action at the interim report.</param>
/// <param name="MotivationsAccepted">Actions below the continuation threshold whose written motivation the officer accepts.</param>
/// <param name="FinalRealised">Realised reach per action at the final report (a stopped action keeps its interim figure).</param>
/// <param name="ReactionAfterDays">Days after the recovery pre-information the authority reacts, or null: it lets the 30-day period run out.</param>
public sealed record PlannedBehaviour(
    DateTimeOffset InterimAt,
    IReadOnlyDictionary<string, int> InterimRealised,
    DateTimeOffset ContinuationAt,
    IReadOnlyList<string> MotivationsAccepted,
    DateTimeOffset FinalAt,
    IReadOnlyDictionary<string, int> FinalRealised,
    int SettleAfterDays,
    int? ReactionAfterDays);

/// <summary>A generated application: who applies (submitter and participating authorities), the table and the behaviour.</summary>
/// <param name="RefusalComment">Set for an application the officer declares ineligible (with this comment).</param>
public sealed record PlannedApplication(
    string CallId,
    string Submitter,
    IReadOnlyList<string> Participants,
    bool CooperationBonus,
    string? RefusalComment,
    DateTimeOffset DraftAt,
    DateTimeOffset SubmitAt,
    IReadOnlyList<PlannedRow> Rows,
    PlannedBehaviour Behaviour)
{
    public bool Eligible => RefusalComment is null;

    public decimal RowsTotalEur => Rows.Sum(r => r.Planned * r.Rate);
}

/// <summary>The timeline of one call: the real dates of DOMAIN §6 plus the simulation's own office days.</summary>
public sealed record CallTimeline(
    string CallId,
    DateTimeOffset CreateCallAt,
    DateTimeOffset EligibilityAt,
    DateTimeOffset AllocationAt,
    DateTimeOffset AwardAt,
    DateOnly GovernmentDecision,
    DateTimeOffset ProjectStartAt);

/// <summary>Everything generated for one call.</summary>
public sealed record YearPlan(CallTimeline Timeline, IReadOnlyList<PlannedApplication> Applications, decimal TargetRequestedEur);

/// <summary>The generated programme: three calls, in order.</summary>
public sealed record SimulationPlan(int Seed, IReadOnlyList<YearPlan> Years);

/// <summary>Brussels wall-clock helpers (the programme's time zone).</summary>
public static class Brussels
{
    public static readonly TimeZoneInfo Zone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Brussels");

    /// <summary>The instant of a Brussels wall-clock time.</summary>
    public static DateTimeOffset At(int year, int month, int day, int hour = 0, int minute = 0, int second = 0)
    {
        var local = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Unspecified);
        return new DateTimeOffset(local, Zone.GetUtcOffset(local));
    }

    public static DateTimeOffset At(DateOnly date, int hour, int minute = 0) => At(date.Year, date.Month, date.Day, hour, minute);

    public static DateTimeOffset Local(DateTimeOffset instant) => TimeZoneInfo.ConvertTime(instant, Zone);

    public static DateOnly Date(DateTimeOffset instant) => DateOnly.FromDateTime(Local(instant).DateTime);

    public static string Iso(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
