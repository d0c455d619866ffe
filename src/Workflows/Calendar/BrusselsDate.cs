using System.Globalization;

namespace SubsidyEngine.Workflows.Calendar;

/// <summary>
/// A calendar date in Europe/Brussels: the one notion of a deadline date in SubsidyEngine. A date given as a deadline
/// ("uiterlijk op 28 december 2026") means the <b>end of that day in Brussels</b>, 23:59:59 local time, summer or
/// winter; day counts and day durations are Brussels calendar days. Definitions (<c>"type": "date"</c> parameters,
/// <c>deadline.at</c> on a date, <c>deadline.after</c> in days), the runtime, the sweeps, the letters, the calendar
/// feed and the date inputs of the web screens all go through this type.
/// </summary>
/// <remarks>
/// The time-zone rules come from the system's tz database (<see cref="TimeZoneInfo"/>), which follows the EU rule
/// (last Sunday of March and of October, 01:00 UTC). The end of a day is 23:59:59 local time (as the programme's
/// reporting deadlines always were): the service stores times to the microsecond, so the last second of the day is
/// inside the deadline, and the next day starts one second later.
/// </remarks>
public readonly record struct BrusselsDate : IComparable<BrusselsDate>
{
    /// <summary>The IANA id of the zone.</summary>
    public const string ZoneId = "Europe/Brussels";

    /// <summary>The ISO form of a date in arguments, data and the journal.</summary>
    public const string Format = "yyyy-MM-dd";

    private static readonly TimeOnly LastSecond = new(23, 59, 59);

    /// <summary>The Europe/Brussels zone.</summary>
    public static TimeZoneInfo Zone { get; } = TimeZoneInfo.FindSystemTimeZoneById(ZoneId);

    /// <summary>A Brussels calendar date.</summary>
    public BrusselsDate(DateOnly date) => Date = date;

    /// <summary>A Brussels calendar date.</summary>
    public BrusselsDate(int year, int month, int day) => Date = new DateOnly(year, month, day);

    /// <summary>The date.</summary>
    public DateOnly Date { get; }

    public int Year => Date.Year;

    public int Month => Date.Month;

    public int Day => Date.Day;

    public DayOfWeek DayOfWeek => Date.DayOfWeek;

    /// <summary>
    /// Parses a date written <c>yyyy-MM-dd</c> (a real calendar date: no 30 February, no other form, no time, no
    /// white space). This is the <c>date</c> format of definitions' parameters: a schema validator calls it (or
    /// <see cref="IsValid"/>) for every <c>"type": "date"</c> argument.
    /// </summary>
    public static bool TryParse(string? text, out BrusselsDate date)
    {
        if (text is { Length: 10 } && DateOnly.TryParseExact(text, Format, CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
        {
            date = new BrusselsDate(d);
            return true;
        }

        date = default;
        return false;
    }

    /// <summary>Whether <paramref name="text"/> is a date <c>yyyy-MM-dd</c> (see <see cref="TryParse"/>).</summary>
    public static bool IsValid(string? text) => TryParse(text, out _);

    /// <summary>Parses a date <c>yyyy-MM-dd</c>.</summary>
    /// <exception cref="FormatException">Not such a date.</exception>
    public static BrusselsDate Parse(string text) =>
        TryParse(text, out var date) ? date : throw new FormatException($"'{text}' is not a date like 2026-12-31.");

    /// <summary>The Brussels calendar date of an instant.</summary>
    public static BrusselsDate Of(DateTimeOffset instant) => new(DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, Zone).DateTime));

    /// <summary>Today in Brussels by <paramref name="clock"/>.</summary>
    public static BrusselsDate Today(TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(clock);
        return Of(clock.GetUtcNow());
    }

    /// <summary>23:59:59 Brussels time on this date, as a UTC instant: when a deadline on this date passes.</summary>
    public DateTimeOffset EndOfDay => AtLocal(Date.ToDateTime(LastSecond));

    /// <summary>00:00 Brussels time on this date, as a UTC instant.</summary>
    public DateTimeOffset StartOfDay => AtLocal(Date.ToDateTime(TimeOnly.MinValue));

    /// <summary>Brussels local time <paramref name="time"/> on this date, as a UTC instant (a skipped hour moves forward).</summary>
    public DateTimeOffset At(TimeOnly time) => AtLocal(Date.ToDateTime(time));

    public BrusselsDate AddDays(int days) => new(Date.AddDays(days));

    public BrusselsDate AddMonths(int months) => new(Date.AddMonths(months));

    public BrusselsDate AddYears(int years) => new(Date.AddYears(years));

    /// <summary>Calendar days from this date to <paramref name="later"/> (negative when it is earlier).</summary>
    public int DaysUntil(BrusselsDate later) => later.Date.DayNumber - Date.DayNumber;

    /// <summary>Brussels calendar days from the day of <paramref name="from"/> to the day of <paramref name="to"/>.</summary>
    public static int DaysBetween(DateTimeOffset from, DateTimeOffset to) => Of(from).DaysUntil(Of(to));

    /// <summary>
    /// The instant a deadline value means: a date <c>yyyy-MM-dd</c> is the end of that day in Brussels
    /// (<see cref="EndOfDay"/>); a date and time with an offset or <c>Z</c> is that instant. Anything else is not a
    /// deadline (false).
    /// </summary>
    public static bool TryParseDeadline(string? text, out DateTimeOffset due)
    {
        if (TryParse(text, out var date))
        {
            due = date.EndOfDay;
            return true;
        }

        if (text is { Length: >= 16 } && char.IsAsciiDigit(text[0])
            && DateTimeOffset.TryParseExact(text, InstantFormats, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out due))
        {
            return true;
        }

        due = default;
        return false;
    }

    /// <summary>Date-time forms with an explicit offset (or Z) accepted as an instant.</summary>
    private static readonly string[] InstantFormats =
    [
        "yyyy-MM-dd'T'HH:mmK", "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK",
    ];

    public int CompareTo(BrusselsDate other) => Date.CompareTo(other.Date);

    public static bool operator <(BrusselsDate left, BrusselsDate right) => left.CompareTo(right) < 0;

    public static bool operator >(BrusselsDate left, BrusselsDate right) => left.CompareTo(right) > 0;

    public static bool operator <=(BrusselsDate left, BrusselsDate right) => left.CompareTo(right) <= 0;

    public static bool operator >=(BrusselsDate left, BrusselsDate right) => left.CompareTo(right) >= 0;

    /// <summary>The ISO form <c>yyyy-MM-dd</c>.</summary>
    public override string ToString() => Date.ToString(Format, CultureInfo.InvariantCulture);

    private static DateTimeOffset AtLocal(DateTime local)
    {
        // In the hour skipped in spring a local time does not exist: take the instant an hour later on the clock.
        if (Zone.IsInvalidTime(local))
        {
            local = local.AddHours(1);
        }

        return new DateTimeOffset(local, Zone.GetUtcOffset(local)).ToUniversalTime();
    }
}
