using System.Globalization;
using System.Text.RegularExpressions;

namespace SubsidyEngine.Workflows.Expressions;

/// <summary>ISO-8601 durations such as <c>P30D</c>, <c>P1M</c>, <c>P2W</c>, <c>PT12H</c>, <c>-P7D</c>, added calendar-wise.</summary>
public static partial class IsoDuration
{
    [GeneratedRegex(@"^(?<neg>-)?P(?:(?<y>\d+)Y)?(?:(?<mo>\d+)M)?(?:(?<w>\d+)W)?(?:(?<d>\d+)D)?(?:T(?:(?<h>\d+)H)?(?:(?<mi>\d+)M)?(?:(?<s>\d+)S)?)?$")]
    private static partial Regex Pattern();

    public static bool IsValid(string text) => Pattern().IsMatch(text) && text.TrimStart('-') != "P" && !text.EndsWith('T');

    /// <summary>Adds the duration to <paramref name="start"/>; months and years by the calendar.</summary>
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
