using System.Globalization;
using SubsidyEngine.Workflows.Calendar;
using SubsidyEngine.Workflows.Expressions;
using SubsidyEngine.Workflows.Formats;

namespace SubsidyEngine.Engine.Tests.Foundation;

/// <summary>
/// The one notion of a deadline date: a date is the end of that day in Brussels, day durations count Brussels
/// calendar days, across both DST changes, month and year ends, and on the day itself. Expected values are computed
/// here from fixed UTC offsets (CET +01:00, CEST +02:00), not by the type under test.
/// </summary>
public sealed class BrusselsDateTests
{
    [Theory]
    [InlineData("2026-12-28", "2026-12-28T22:59:59Z")] // winter
    [InlineData("2027-03-27", "2027-03-27T22:59:59Z")] // the day before summer time
    [InlineData("2027-03-28", "2027-03-28T21:59:59Z")] // summer time starts at 02:00 that night
    [InlineData("2027-10-30", "2027-10-30T21:59:59Z")]
    [InlineData("2027-10-31", "2027-10-31T22:59:59Z")] // winter time again from 03:00
    [InlineData("2027-12-31", "2027-12-31T22:59:59Z")] // year end
    [InlineData("2028-02-29", "2028-02-29T22:59:59Z")] // leap day, month end
    [InlineData("2028-06-30", "2028-06-30T21:59:59Z")]
    public void A_date_ends_at_the_end_of_that_day_in_Brussels(string date, string expected)
    {
        var due = DateTimeOffset.Parse(expected, CultureInfo.InvariantCulture);
        Assert.True(BrusselsDate.TryParseDeadline(date, out var parsed));
        Assert.Equal(due, parsed);
        Assert.Equal(due, BrusselsDate.Parse(date).EndOfDay);
        Assert.True(ValueResolver.TryGetTime(System.Text.Json.Nodes.JsonValue.Create(date), out var resolved));
        Assert.Equal(due, resolved);
        Assert.Equal(date, BrusselsDate.Of(due).ToString());
        Assert.Equal(BrusselsDate.Parse(date).AddDays(1), BrusselsDate.Of(due.AddSeconds(1))); // the next second is the next day
    }

    [Theory]
    [InlineData("2027-03-10T09:30:00+01:00", "P30D", "2027-04-09T21:59:59Z")] // across the change to summer time
    [InlineData("2027-10-20T16:00:00+02:00", "P14D", "2027-11-03T22:59:59Z")] // across the change to winter time
    [InlineData("2027-12-20T23:30:00+01:00", "P14D", "2028-01-03T22:59:59Z")] // late evening counts as that Brussels day, over the year end
    [InlineData("2028-01-31T10:00:00+01:00", "P1M", "2028-02-29T22:59:59Z")] // a month from 31 January in a leap year
    [InlineData("2028-06-30T08:00:00+02:00", "P0D", "2028-06-30T21:59:59Z")] // the day itself
    [InlineData("2028-06-30T08:00:00+02:00", "PT12H", "2028-06-30T18:00:00Z")] // a time part is exact time
    public void A_duration_in_days_counts_Brussels_calendar_days_and_ends_at_the_end_of_the_last(string start, string duration, string expected)
    {
        var due = IsoDuration.AddToDeadline(DateTimeOffset.Parse(start, CultureInfo.InvariantCulture), duration);
        Assert.Equal(DateTimeOffset.Parse(expected, CultureInfo.InvariantCulture), due);
    }

    [Theory]
    [InlineData("2024-04-15", "2026-12-07T07:00:00Z", 966)] // the overdue reminder of issue 19
    [InlineData("2027-03-28", "2027-03-27T23:30:00Z", 0)] // 00:30 on the 28th in Brussels is that day
    [InlineData("2026-12-28", "2026-12-07T10:00:00Z", -21)]
    public void Days_between_a_due_date_and_a_moment_are_Brussels_calendar_days(string dueDate, string at, int daysAfter)
    {
        var due = BrusselsDate.Parse(dueDate).EndOfDay;
        Assert.Equal(daysAfter, BrusselsDate.DaysBetween(due, DateTimeOffset.Parse(at, CultureInfo.InvariantCulture)));
    }

    [Theory]
    [InlineData("2026-02-30")]
    [InlineData("2026-2-3")]
    [InlineData(" 2026-02-03")]
    [InlineData("2026-02-03T00:00")]
    [InlineData("03/02/2026")]
    [InlineData("")]
    public void Anything_but_a_real_date_like_2026_12_31_is_refused(string text) => Assert.False(BrusselsDate.IsValid(text));

    [Theory]
    [InlineData("BE68 5390 0754 7034", true)]
    [InlineData("BE68539007547034", true)]
    [InlineData("BE69 5390 0754 7034", false)] // check digits off by one
    [InlineData("BE00 0000 0000 0000", false)]
    [InlineData("BE68 5390 0754 703", false)] // too short for Belgium
    [InlineData("NL91 ABNA 0417 1643 00", true)]
    [InlineData("NL91 ABNA 0417 1643 01", false)]
    [InlineData("BE68  5390 0754 7034", false)]
    public void An_iban_is_valid_only_with_its_mod_97_check_digits(string iban, bool valid) => Assert.Equal(valid, Iban.IsValid(iban));

    [Fact]
    public void The_illustrative_belgian_ibans_of_the_register_are_valid() =>
        Assert.All(new[] { 0L, 71016L, 11002L, 9_999_999_999L }, n => Assert.True(Iban.IsValid(Iban.Belgian(n)), Iban.Belgian(n)));
}
