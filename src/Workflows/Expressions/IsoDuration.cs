using System.Globalization;
using System.Text.RegularExpressions;
using SubsidyEngine.Workflows.Calendar;

namespace SubsidyEngine.Workflows.Expressions;

/// <summary>
/// ISO-8601 durations such as <c>P30D</c>, <c>P1M</c>, <c>P2W</c>, <c>PT12H</c>, <c>-P7D</c>, added calendar-wise. For
/// deadlines (<see cref="AddToDeadline"/>) a duration in days, weeks, months or years counts Brussels calendar days and
/// ends at the end of the last day; one with hours, minutes or seconds is exact time.
/// </summary>
public static partial class IsoDuration
{
    [GeneratedRegex(@"^(?<neg>-)?P(?:(?<y>\d+)Y)?(?:(?<mo>\d+)M)?(?:(?<w>\d+)W)?(?:(?<d>\d+)D)?(?:T(?:(?<h>\d+)H)?(?:(?<mi>\d+)M)?(?:(?<s>\d+)S)?)?$")]
    private static partial Regex Pattern();

    public static bool IsValid(string text) => Pattern().IsMatch(text) && text.TrimStart('-') != "P" && !text.EndsWith('T');

    /// <summary>True when the duration has no time part (only years, months, weeks and days): a number of calendar days.</summary>
    public static bool IsCalendarDays(string duration) => IsValid(duration) && !duration.Contains('T', StringComparison.Ordinal);

    /// <summary>
    /// The due time of a deadline <paramref name="duration"/> after <paramref name="start"/>: for a duration in days
    /// (weeks, months, years) the end of the Brussels calendar day that many days after the Brussels day of
    /// <paramref name="start"/> ("binnen 30 dagen" from 10 March ends at the end of 9 April, across a change to summer
    /// time); for a duration with a time part, exactly that much later.
    /// </summary>
    public static DateTimeOffset AddToDeadline(DateTimeOffset start, string duration)
    {
        if (!IsCalendarDays(duration))
        {
            return Add(start, duration);
        }

        var (sign, years, months, days, _, _, _) = Parts(duration);
        return BrusselsDate.Of(start).AddYears(sign * years).AddMonths(sign * months).AddDays(sign * days).EndOfDay;
    }

    private static (int Sign, int Years, int Months, int Days, int Hours, int Minutes, int Seconds) Parts(string duration)
    {
        var m = Pattern().Match(duration);
        if (!m.Success || !IsValid(duration))
        {
            throw new FormatException($"'{duration}' is not an ISO-8601 duration like P30D.");
        }

        int Get(string g) => m.Groups[g].Success ? int.Parse(m.Groups[g].Value, CultureInfo.InvariantCulture) : 0;
        return (m.Groups["neg"].Success ? -1 : 1, Get("y"), Get("mo"), (7 * Get("w")) + Get("d"), Get("h"), Get("mi"), Get("s"));
    }

    /// <summary>Adds the duration to <paramref name="start"/> as exact time; months and years by the (UTC) calendar.</summary>
    public static DateTimeOffset Add(DateTimeOffset start, string duration)
    {
        var m = Pattern().Match(duration);
        if (!m.Success || !IsValid(duration))
        {
            throw new FormatException($"'{duration}' is not an ISO-8601 duration like P30D.");
        }

        int Get(string g) => m.Groups[g].Success ? int.Parse(m.Groups[g].Value, CultureInfo.InvariantCulture) : 0;
        var sign = m.Groups["neg"].Success ? -1 : 1;
        return start
            .AddYears(sign * Get("y"))
            .AddMonths(sign * Get("mo"))
            .AddDays(sign * ((7 * Get("w")) + Get("d")))
            .AddHours(sign * Get("h"))
            .AddMinutes(sign * Get("mi"))
            .AddSeconds(sign * Get("s"));
    }
}
