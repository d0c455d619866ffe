using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace SubsidyEngine.Tools.Simulation;

/// <summary>
/// The demo's calendar: the shipped programme data moved forward by whole months so that <em>today</em> the Plan
/// Samenleven 2023 call is in allocation (with the 2022 call's project year running and its final reports due) and
/// the Oefenkansen Nederlands 2026 call is open for applications. The workflow definitions are not touched; only the
/// call files (<c>calls/*.json</c>) of a copy of the workflows folder get every date moved by the programme's months.
/// Whole months keep the programme's own rules intact (projects start on the first of a month, reports are due on the
/// 15th). Pure apart from <see cref="WriteShiftedCopy"/>.
/// </summary>
public static partial class DemoCalendar
{
    public const string PlanSamenleven = "plan-samenleven";
    public const string OefenkansenNederlands = "oefenkansen-nederlands";

    /// <summary>The months each programme's dates move so that today is where the demo wants it.</summary>
    public static IReadOnlyDictionary<string, int> MonthShifts(string sourceWorkflows, DateTimeOffset now)
    {
        var shifts = new Dictionary<string, int>(StringComparer.Ordinal);

        // Plan Samenleven: the 2023 call between its eligibility decisions and the Government decision (in allocation).
        var ps2023 = ReadCall(sourceWorkflows, PlanSamenleven, "2023");
        shifts[PlanSamenleven] = Pick(now, m =>
            Shift(DateTimeOffset.Parse(ps2023["applicationWindow"]!["deadline"]!.GetValue<string>(), CultureInfo.InvariantCulture), m).AddDays(21) <= now
            && Brussels.At(ShiftDate(DateOnly.Parse(ps2023["governmentDecision"]!.GetValue<string>(), CultureInfo.InvariantCulture), m), 0).AddDays(-7) >= now);

        // Oefenkansen Nederlands: the 2026 call open for applications, opened a few weeks ago.
        var on2026 = ReadCall(sourceWorkflows, OefenkansenNederlands, "2026");
        shifts[OefenkansenNederlands] = Pick(now, m =>
            Shift(DateTimeOffset.Parse(on2026["applicationWindow"]!["opens"]!.GetValue<string>(), CultureInfo.InvariantCulture), m).AddDays(12) <= now
            && Shift(DateTimeOffset.Parse(on2026["applicationWindow"]!["deadline"]!.GetValue<string>(), CultureInfo.InvariantCulture), m).AddDays(-14) >= now);
        return shifts;
    }

    /// <summary>
    /// Copies <paramref name="sourceWorkflows"/> to <paramref name="target"/> (which must not exist), moving every date
    /// in the call files of the programmes in <paramref name="shifts"/>. Written to a temporary folder and renamed, so a
    /// crash leaves no half copy.
    /// </summary>
    public static void WriteShiftedCopy(string sourceWorkflows, string target, IReadOnlyDictionary<string, int> shifts)
    {
        var temp = target + ".tmp-" + Guid.NewGuid().ToString("N")[..8];
        CopyDirectory(sourceWorkflows, temp);
        foreach (var (programme, months) in shifts)
        {
            var calls = Path.Combine(temp, programme, "calls");
            foreach (var file in Directory.GetFiles(calls, "*.json"))
            {
                var node = JsonNode.Parse(File.ReadAllText(file), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip })!;
                var shifted = ShiftDates(node, months);
                if (shifted is JsonObject o)
                {
                    o["$comment"] = $"DEMO COPY: every date of {Path.GetFileName(file)} moved forward by {months} months (the embedded default's demo, see README). {o["$comment"]?.GetValue<string>()}".TrimEnd();
                }

                File.WriteAllText(file, shifted!.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n");
            }
        }

        Directory.Move(temp, target);
    }

    /// <summary>Moves every ISO date (<c>yyyy-MM-dd</c>) and date-time with offset in <paramref name="node"/> by <paramref name="months"/>.</summary>
    public static JsonNode? ShiftDates(JsonNode? node, int months)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var key in o.Select(kv => kv.Key).ToList())
                {
                    o[key] = ShiftDates(o[key]?.DeepClone(), months);
                }

                return o;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    a[i] = ShiftDates(a[i]?.DeepClone(), months);
                }

                return a;
            case JsonValue v when v.TryGetValue<string>(out var s):
                if (DateOnlyPattern().IsMatch(s))
                {
                    return JsonValue.Create(ShiftDate(DateOnly.ParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture), months).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                }

                if (DateTimePattern().IsMatch(s))
                {
                    var t = Shift(DateTimeOffset.Parse(s, CultureInfo.InvariantCulture), months);
                    return JsonValue.Create(t.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture));
                }

                return JsonValue.Create(s);
            default:
                return node;
        }
    }

    /// <summary>
    /// A Brussels wall-clock time moved by whole months: the day kept, and a month's last day stays the last day
    /// (a window closing on 30 September closes on 31 December three months later, not on the 30th).
    /// </summary>
    public static DateTimeOffset Shift(DateTimeOffset instant, int months)
    {
        var local = Brussels.Local(instant).DateTime;
        var day = ShiftDate(DateOnly.FromDateTime(local), months);
        return Brussels.At(day.Year, day.Month, day.Day, local.Hour, local.Minute, local.Second);
    }

    /// <summary>A date moved by whole months; the last day of a month moves to the last day of the target month.</summary>
    public static DateOnly ShiftDate(DateOnly date, int months)
    {
        var moved = date.AddMonths(months);
        return date.Day == DateTime.DaysInMonth(date.Year, date.Month)
            ? new DateOnly(moved.Year, moved.Month, DateTime.DaysInMonth(moved.Year, moved.Month))
            : moved;
    }

    private static int Pick(DateTimeOffset now, Func<int, bool> fits)
    {
        for (var m = 0; m < 12 * 200; m++)
        {
            if (fits(m))
            {
                return m;
            }
        }

        throw new InvalidOperationException($"No month shift puts the demo's calls where they belong on {now:O}.");
    }

    private static JsonObject ReadCall(string workflows, string programme, string call) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(workflows, programme, "calls", call + ".json")), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip })!.AsObject();

    private static void CopyDirectory(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(source))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }

        foreach (var dir in Directory.GetDirectories(source))
        {
            CopyDirectory(dir, Path.Combine(target, Path.GetFileName(dir)));
        }
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}$")]
    private static partial Regex DateOnlyPattern();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?([+-]\d{2}:\d{2}|Z)$")]
    private static partial Regex DateTimePattern();
}
