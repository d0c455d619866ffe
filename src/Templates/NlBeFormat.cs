using System.Globalization;
using System.Text;

namespace SubsidyEngine.Templates;

/// <summary>
/// nl-BE formatting of money, numbers, dates and times for letters, implemented by hand.
/// </summary>
/// <remarks>
/// Deliberately not <see cref="CultureInfo"/>: the nl-BE culture data comes from ICU, whose version differs between
/// machines (group separators and spaces have changed between releases), and any difference would change the hash of
/// a letter. The rules here are fixed:
/// <list type="bullet">
/// <item>money: <c>€ 1.234,56</c>; always two decimals; rounded half away from zero
/// (<see cref="MidpointRounding.AwayFromZero"/>: 1234567.895 gives <c>€ 1.234.567,90</c>); negative amounts as
/// <c>€ -1.234,56</c> (the CLDR nl pattern); a regular space (U+0020) after the euro sign.</item>
/// <item>numbers: <c>67.181</c>; "." groups thousands, "," separates decimals, which are printed as given (trailing
/// zeros dropped); negative as <c>-1.234</c>.</item>
/// <item>dates: <c>1 juli 2022</c> (day without leading zero, lower-case Dutch month name).</item>
/// <item>date and time: <c>1 juli 2022 om 12:00</c> (24-hour clock, Belgian local time).</item>
/// </list>
/// </remarks>
public static class NlBeFormat
{
    private static readonly string[] MonthNames =
    [
        "januari", "februari", "maart", "april", "mei", "juni",
        "juli", "augustus", "september", "oktober", "november", "december",
    ];

    /// <summary>
    /// <see cref="Money"/> with a no-break space (U+00A0) after <c>€</c>, so the sign and the amount never break onto
    /// two lines: the <c>euro</c> function of letter templates from version 2 on (<c>money</c> stays as it was for
    /// the letters already sent).
    /// </summary>
    public static string MoneyUnbroken(decimal amount) => "€\u00A0" + Money(amount)[2..];

    /// <summary>
    /// An account number (IBAN) in groups of four joined by no-break spaces (U+00A0), so it never breaks over two
    /// lines: <c>BE68 5390 0754 7034</c>. The <c>iban</c> function of letter templates from version 3 of
    /// <c>award-final</c> and <c>settlement-decision</c> on. Whether the check digits are right is the model's
    /// business (the register and the settings are validated with mod-97 where they are read); this refuses only
    /// what cannot be an account number at all.
    /// </summary>
    /// <exception cref="FormatException">Not two letters, two digits and 11 to 30 letters or digits (spaces between groups allowed).</exception>
    public static string IbanUnbroken(string iban)
    {
        var compact = iban.Replace(" ", string.Empty, StringComparison.Ordinal).Replace("\u00A0", string.Empty, StringComparison.Ordinal).ToUpperInvariant();
        if (compact.Length is < 15 or > 34 || !char.IsAsciiLetterUpper(compact[0]) || !char.IsAsciiLetterUpper(compact[1])
            || !char.IsAsciiDigit(compact[2]) || !char.IsAsciiDigit(compact[3]) || !compact.All(char.IsAsciiLetterOrDigit))
        {
            throw new FormatException($"'{iban}' is not an account number (IBAN).");
        }

        var sb = new StringBuilder(compact.Length + (compact.Length / 4));
        for (var i = 0; i < compact.Length; i++)
        {
            if (i > 0 && i % 4 == 0)
            {
                sb.Append('\u00A0');
            }

            sb.Append(compact[i]);
        }

        return sb.ToString();
    }

    /// <summary>Formats an amount in euro: <c>€ 1.234,56</c>, <c>€ -1.234,56</c>, <c>€ 0,00</c>.</summary>
    public static string Money(decimal amount)
    {
        var rounded = Math.Round(amount, 2, MidpointRounding.AwayFromZero);
        var negative = rounded < 0m;
        var abs = Math.Abs(rounded);
        var cents = (long)((abs - decimal.Truncate(abs)) * 100m);
        var euros = decimal.Truncate(abs);
        var sb = new StringBuilder("€ ");
        if (negative)
        {
            sb.Append('-');
        }

        sb.Append(GroupDigits(euros.ToString("0", CultureInfo.InvariantCulture)));
        sb.Append(',').Append(cents.ToString("00", CultureInfo.InvariantCulture));
        return sb.ToString();
    }

    /// <summary>Formats a number with "." as thousands separator: <c>67.181</c>; decimals after ",".</summary>
    public static string Number(decimal value)
    {
        var negative = value < 0m;
        var text = Math.Abs(value).ToString(CultureInfo.InvariantCulture);
        var dot = text.IndexOf('.', StringComparison.Ordinal);
        var integral = dot < 0 ? text : text[..dot];
        var fraction = dot < 0 ? string.Empty : text[(dot + 1)..].TrimEnd('0');
        var sb = new StringBuilder();
        if (negative)
        {
            sb.Append('-');
        }

        sb.Append(GroupDigits(integral));
        if (fraction.Length > 0)
        {
            sb.Append(',').Append(fraction);
        }

        return sb.ToString();
    }

    /// <summary>Formats a date: <c>1 juli 2022</c>.</summary>
    public static string Date(DateOnly date) =>
        string.Create(CultureInfo.InvariantCulture, $"{date.Day} {MonthNames[date.Month - 1]} {date.Year}");

    /// <summary>Formats a Belgian local date and time: <c>1 juli 2022 om 12:00</c>.</summary>
    public static string DateTime(System.DateTime localTime) =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"{Date(DateOnly.FromDateTime(localTime))} om {localTime.Hour:00}:{localTime.Minute:00}");

    /// <summary>
    /// Converts an instant to Belgian local time (CET/CEST) with the EU summer-time rule (last Sunday of March to
    /// last Sunday of October, switching at 01:00 UTC), computed here rather than read from the machine's tz data.
    /// Valid for instants from 1996 on.
    /// </summary>
    public static System.DateTime ToBelgianTime(DateTimeOffset instant)
    {
        var utc = instant.UtcDateTime;
        var start = LastSunday(utc.Year, 3).AddHours(1);
        var end = LastSunday(utc.Year, 10).AddHours(1);
        var offset = utc >= start && utc < end ? 2 : 1;
        return System.DateTime.SpecifyKind(utc.AddHours(offset), DateTimeKind.Unspecified);
    }

    private static System.DateTime LastSunday(int year, int month)
    {
        var last = new System.DateTime(year, month, System.DateTime.DaysInMonth(year, month), 0, 0, 0, DateTimeKind.Utc);
        return last.AddDays(-(int)last.DayOfWeek);
    }

    private static string GroupDigits(string digits)
    {
        var sb = new StringBuilder(digits.Length + (digits.Length / 3));
        var lead = digits.Length % 3;
        for (var i = 0; i < digits.Length; i++)
        {
            if (i > 0 && (i - lead) % 3 == 0)
            {
                sb.Append('.');
            }

            sb.Append(digits[i]);
        }

        return sb.ToString();
    }
}
