using System.Globalization;
using SubsidyEngine.Templates;
using SubsidyEngine.Workflows.Calendar;

namespace SubsidyEngine.Api.Ui;

/// <summary>
/// Dates on the screens, in the page's language and Belgian time: "7 december 2026 om 05:14" in Dutch (the letters'
/// <see cref="NlBeFormat"/>), "7 December 2026 at 05:14" in English. Letters stay Dutch: they are formal documents
/// and format through <see cref="NlBeFormat"/> themselves. Month names are fixed here, not read from ICU, as
/// <see cref="NlBeFormat"/> does for the same reason.
/// </summary>
public static class PageDates
{
    private static readonly string[] EnglishMonths =
    [
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ];

    /// <summary>A calendar date: "28 december 2026" / "28 December 2026".</summary>
    public static string Date(DateOnly date, string lang) => lang == "en"
        ? string.Create(CultureInfo.InvariantCulture, $"{date.Day} {EnglishMonths[date.Month - 1]} {date.Year}")
        : NlBeFormat.Date(date);

    /// <summary>An instant in Belgian time: "28 december 2026 om 23:59" / "28 December 2026 at 23:59".</summary>
    public static string DateTime(DateTimeOffset at, string lang)
    {
        var local = TimeZoneInfo.ConvertTime(at, BrusselsDate.Zone).DateTime;
        return string.Create(CultureInfo.InvariantCulture, $"{Date(DateOnly.FromDateTime(local), lang)} {(lang == "en" ? "at" : "om")} {local.Hour:00}:{local.Minute:00}");
    }

    /// <summary>The exact instant for auditors (a tooltip or <c>&lt;time datetime&gt;</c>): ISO 8601 in UTC.</summary>
    public static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);
}

/// <summary>
/// Dates typed on the screens as day/month/year (<c>28/12/2026</c>) in text inputs, whatever the browser's locale
/// (a <c>type=date</c> input follows the browser: mm/dd/yyyy in an en-US browser). Parsed on the server as a
/// Brussels date (<see cref="BrusselsDate"/>: a deadline on a date is the end of that day in Brussels). The ISO form
/// <c>2026-12-28</c> is accepted too (scripts and older forms post it).
/// </summary>
public static class DateInput
{
    /// <summary>The HTML pattern of a date field (the server is the judge: 31/02 passes the pattern and is refused there).</summary>
    public const string DatePattern = @"\s*[0-9]{1,2}[\/.\-][0-9]{1,2}[\/.\-][0-9]{4}\s*";

    /// <summary>The HTML pattern of a date-and-time field: a date, optionally followed by a time <c>14:30</c>.</summary>
    public const string DateTimePattern = @"\s*[0-9]{1,2}[\/.\-][0-9]{1,2}[\/.\-][0-9]{4}(\s+[0-9]{1,2}[:.][0-9]{2})?\s*";

    private static readonly string[] DateForms = ["d/M/yyyy", "d-M-yyyy", "d.M.yyyy"];

    private static readonly string[] TimeForms = ["H:mm", "H.mm"];

    public static string Placeholder(string lang) => lang == "en" ? "dd/mm/yyyy" : "dd/mm/jjjj";

    public static string DateTimePlaceholder(string lang) => lang == "en" ? "dd/mm/yyyy hh:mm" : "dd/mm/jjjj uu:mm";

    /// <summary>Parses <c>28/12/2026</c> (also with '-' or '.') or <c>2026-12-28</c>.</summary>
    public static bool TryParseDate(string? text, out BrusselsDate date)
    {
        var t = text?.Trim();
        if (BrusselsDate.TryParse(t, out date))
        {
            return true;
        }

        if (t is { Length: >= 8 and <= 10 } && DateOnly.TryParseExact(t, DateForms, CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
        {
            date = new BrusselsDate(d);
            return true;
        }

        date = default;
        return false;
    }

    /// <summary>
    /// Parses a date and an optional time in Belgian local time (<c>28/12/2026 14:30</c>); a date alone is the end of
    /// that day in Brussels, as a deadline date is. The ISO forms <c>2026-12-28T14:30</c> (Belgian time) and an
    /// instant with an offset are accepted too.
    /// </summary>
    public static bool TryParseDateTime(string? text, out DateTimeOffset at)
    {
        at = default;
        var t = text?.Trim();
        if (string.IsNullOrEmpty(t) || t.Length > 40)
        {
            return false;
        }

        if (TryParseDate(t, out var dateOnly))
        {
            at = dateOnly.EndOfDay;
            return true;
        }

        if (System.DateTime.TryParseExact(t, ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var isoLocal))
        {
            at = new BrusselsDate(DateOnly.FromDateTime(isoLocal)).At(TimeOnly.FromDateTime(isoLocal));
            return true;
        }

        if (BrusselsDate.TryParseDeadline(t, out at))
        {
            return true;
        }

        var parts = t.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 2 && TryParseDate(parts[0], out var date)
            && TimeOnly.TryParseExact(parts[1], TimeForms, CultureInfo.InvariantCulture, DateTimeStyles.None, out var time))
        {
            at = date.At(time);
            return true;
        }

        at = default;
        return false;
    }

    /// <summary>A date as typed: <c>28/12/2026</c>.</summary>
    public static string Show(DateOnly date) => date.ToString("dd/MM/yyyy", CultureInfo.InvariantCulture);

    /// <summary>An instant as typed, in Belgian time: <c>28/12/2026 14:30</c>.</summary>
    public static string Show(DateTimeOffset at) =>
        TimeZoneInfo.ConvertTime(at, BrusselsDate.Zone).ToString("dd/MM/yyyy HH:mm", CultureInfo.InvariantCulture);
}
