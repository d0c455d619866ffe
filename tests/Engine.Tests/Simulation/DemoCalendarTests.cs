using SubsidyEngine.Tools.Simulation;

namespace SubsidyEngine.Engine.Tests.Simulation;

/// <summary>The demo moves the programme data's dates by whole months; a period that ends on a month's last day keeps ending on one.</summary>
public sealed class DemoCalendarTests
{
    [Theory]
    [InlineData("2024-09-30", 39, "2027-12-31")] // the 2023 call's project end in the demo (it read 30 December 2027)
    [InlineData("2024-02-29", 12, "2025-02-28")]
    [InlineData("2023-02-28", 12, "2024-02-29")]
    [InlineData("2023-10-01", 39, "2027-01-01")]
    [InlineData("2023-09-22", 39, "2026-12-22")]
    [InlineData("2023-01-30", 1, "2023-02-28")]
    public void A_date_moves_by_whole_months_and_a_last_day_stays_a_last_day(string date, int months, string expected)
    {
        Assert.Equal(DateOnly.Parse(expected), DemoCalendar.ShiftDate(DateOnly.Parse(date), months));
    }

    [Fact]
    public void A_time_keeps_its_Brussels_wall_clock_and_a_last_day_stays_a_last_day()
    {
        // 30 September 2024 23:59:59 in Brussels (summer time) moved 39 months: 31 December 2027 23:59:59 (winter time).
        var moved = DemoCalendar.Shift(new DateTimeOffset(2024, 9, 30, 23, 59, 59, TimeSpan.FromHours(2)), 39);
        Assert.Equal(new DateTimeOffset(2027, 12, 31, 23, 59, 59, TimeSpan.FromHours(1)), moved);
        var noon = DemoCalendar.Shift(new DateTimeOffset(2023, 7, 10, 12, 0, 0, TimeSpan.FromHours(2)), 39);
        Assert.Equal(new DateTimeOffset(2026, 10, 10, 12, 0, 0, TimeSpan.FromHours(2)), noon);
    }
}
