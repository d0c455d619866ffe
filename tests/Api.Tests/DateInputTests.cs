using SubsidyEngine.Api.Ui;

namespace SubsidyEngine.Api.Tests;

/// <summary>Dates typed on the screens as day/month/year and shown in the page's language (issue 20).</summary>
public sealed class DateInputTests
{
    [Theory]
    [InlineData("28/12/2026", "2026-12-28")]
    [InlineData(" 1/2/2027 ", "2027-02-01")]
    [InlineData("28-12-2026", "2026-12-28")]
    [InlineData("28.12.2026", "2026-12-28")]
    [InlineData("2026-12-28", "2026-12-28")]
    public void A_day_month_year_date_or_an_iso_date_is_read(string typed, string iso)
    {
        Assert.True(DateInput.TryParseDate(typed, out var date));
        Assert.Equal(iso, date.ToString());
    }

    [Theory]
    [InlineData("12/28/2026")] // month first, as an en-US browser would show it
    [InlineData("31/02/2026")]
    [InlineData("28/12/26")]
    [InlineData("2026-6-3")]
    [InlineData("20261228")]
    [InlineData("")]
    [InlineData(null)]
    public void Anything_else_is_not_a_date(string? typed) => Assert.False(DateInput.TryParseDate(typed, out _));

    [Theory]
    [InlineData("28/12/2026", "2026-12-28T22:59:59Z")] // a date alone: the end of that day in Brussels (winter, UTC+1)
    [InlineData("28/06/2026", "2026-06-28T21:59:59Z")] // summer, UTC+2
    [InlineData("28/12/2026 14:30", "2026-12-28T13:30:00Z")]
    [InlineData("28/06/2026 9:05", "2026-06-28T07:05:00Z")]
    [InlineData("2023-06-01T12:00", "2023-06-01T10:00:00Z")]
    public void A_date_and_time_is_Belgian_time(string typed, string utc)
    {
        Assert.True(DateInput.TryParseDateTime(typed, out var at));
        Assert.Equal(DateTimeOffset.Parse(utc, System.Globalization.CultureInfo.InvariantCulture), at);
    }

    [Theory]
    [InlineData("32/13/2023 10:00")]
    [InlineData("28/12/2026 25:00")]
    [InlineData("tomorrow")]
    public void A_date_and_time_that_does_not_exist_is_refused(string typed) => Assert.False(DateInput.TryParseDateTime(typed, out _));

    [Fact]
    public void Pages_show_dates_in_their_language_in_Belgian_time()
    {
        var at = new DateTimeOffset(2026, 12, 7, 4, 14, 0, TimeSpan.Zero);
        Assert.Equal("7 december 2026 om 05:14", PageDates.DateTime(at, "nl"));
        Assert.Equal("7 December 2026 at 05:14", PageDates.DateTime(at, "en"));
        Assert.Equal("31 March 2028", PageDates.Date(new DateOnly(2028, 3, 31), "en"));
        Assert.Equal("2026-12-07T04:14:00Z", PageDates.Iso(at));
        Assert.Equal("28/12/2026", DateInput.Show(new DateOnly(2026, 12, 28)));
    }
}
