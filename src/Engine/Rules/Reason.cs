using System.Globalization;
using System.Text.Json.Serialization;

namespace SubsidyEngine.Engine.Rules;

/// <summary>How much a reason weighs: an <see cref="Error"/> makes the rule fail; the others explain.</summary>
public enum ReasonSeverity
{
    /// <summary>Explains a passed check or a computed value.</summary>
    Info,

    /// <summary>Worth telling the applicant or officer, but not blocking (e.g. reach above the maximum is capped).</summary>
    Warning,

    /// <summary>Blocks: the rule does not pass.</summary>
    Error,
}

/// <summary>
/// One reason in a rule result: a stable machine code (e.g. <c>cooperation.below-threshold</c>) and the same
/// sentence in Dutch (for letters) and English (for logs and officers), with the amounts filled in.
/// </summary>
public sealed record Reason(string Code, ReasonSeverity Severity, string Nl, string En)
{
    /// <summary>
    /// Where in the dossier data the reason points, when it is one field (<c>application.rows[2].action</c>), so a
    /// refusal can name it. Not serialized: results that carry reasons are journaled, and their form stays as it was.
    /// </summary>
    [JsonIgnore]
    public string? Field { get; init; }

    internal static Reason Error(string code, string nl, string en) => new(code, ReasonSeverity.Error, nl, en);

    internal static Reason Warning(string code, string nl, string en) => new(code, ReasonSeverity.Warning, nl, en);

    internal static Reason Info(string code, string nl, string en) => new(code, ReasonSeverity.Info, nl, en);
}

/// <summary>Helpers shared by the rules: reason lists and amount formatting for the messages.</summary>
internal static class RuleText
{
    private static readonly CultureInfo Dutch = CultureInfo.GetCultureInfo("nl-BE");

    private static readonly TimeZoneInfo Brussels = TimeZoneInfo.FindSystemTimeZoneById("Europe/Brussels");

    /// <summary>EUR 1.234,56 (Dutch) — whole euros without decimals.</summary>
    public static string EurNl(decimal amount) =>
        "EUR " + amount.ToString(decimal.Truncate(amount) == amount ? "#,##0" : "#,##0.00", Dutch);

    /// <summary>EUR 1,234.56 (English) — whole euros without decimals.</summary>
    public static string EurEn(decimal amount) =>
        "EUR " + amount.ToString(decimal.Truncate(amount) == amount ? "#,##0" : "#,##0.00", CultureInfo.InvariantCulture);

    public static string NumNl(decimal number) => number.ToString("#,##0.##", Dutch);

    public static string NumEn(decimal number) => number.ToString("#,##0.##", CultureInfo.InvariantCulture);

    public static string DateNl(DateOnly date) => date.ToString("d MMMM yyyy", Dutch);

    public static string DateEn(DateOnly date) => date.ToString("d MMMM yyyy", CultureInfo.InvariantCulture);

    /// <summary>"10 juli 2023 om 12:00": an instant as Brussels wall-clock time.</summary>
    public static string MomentNl(DateTimeOffset instant)
    {
        var local = TimeZoneInfo.ConvertTime(instant, Brussels);
        return $"{DateNl(DateOnly.FromDateTime(local.DateTime))} om {local:HH:mm}";
    }

    /// <summary>"10 July 2023 at 12:00 (Brussels time)".</summary>
    public static string MomentEn(DateTimeOffset instant)
    {
        var local = TimeZoneInfo.ConvertTime(instant, Brussels);
        return $"{DateEn(DateOnly.FromDateTime(local.DateTime))} at {local:HH:mm} (Brussels time)";
    }

    public static bool HasErrors(IEnumerable<Reason> reasons) => reasons.Any(r => r.Severity == ReasonSeverity.Error);

    /// <summary>Rounds down (towards zero for amounts >= 0) to a multiple of <paramref name="unit"/> (e.g. 0.01, 1).</summary>
    public static decimal FloorTo(decimal amount, decimal unit) => decimal.Floor(amount / unit) * unit;
}
