using SubsidyEngine.Engine.Hosting;

namespace SubsidyEngine.Tools.Simulation;

/// <summary>The Engine's <see cref="IDemoWorkflows"/>: the shipped call files moved by <see cref="DemoCalendar"/>.</summary>
public sealed class DemoWorkflows : IDemoWorkflows
{
    /// <inheritdoc />
    public string WriteCopy(string sourceWorkflows, string target, DateTimeOffset now)
    {
        var shifts = DemoCalendar.MonthShifts(sourceWorkflows, now);
        DemoCalendar.WriteShiftedCopy(sourceWorkflows, target, shifts);
        return string.Join(", ", shifts.Select(s => $"{s.Key} {s.Value}"));
    }
}
