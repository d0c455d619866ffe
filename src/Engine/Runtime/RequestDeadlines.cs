using System.Globalization;
using System.Text.Json.Nodes;
using SubsidyEngine.Workflows.Calendar;
using SubsidyEngine.Workflows.Model;

namespace SubsidyEngine.Engine.Runtime;

/// <summary>
/// A deadline a request sets cannot have passed already. A transition's deadline whose time comes from the request's
/// arguments (<c>"at": "args.deadline"</c>, or <c>"at": "data.x"</c> where the same transition assigns
/// <c>"x": "args.y"</c>) must fall after the time of the fire: a deadline in the past would be overdue at once (the
/// sweep fires its timeout, a letter asks for an answer by a date gone by). Checked on live fires, before the write,
/// as a 400 naming the argument; replay re-decides recorded events and does not judge this again.
/// </summary>
public static class RequestDeadlines
{
    private static readonly CultureInfo Dutch = CultureInfo.GetCultureInfo("nl-BE");

    /// <summary>
    /// Throws <see cref="ArgumentValidationException"/> when a deadline of <paramref name="deadlines"/> that
    /// <paramref name="transition"/> takes from an argument is due at or before <paramref name="now"/>.
    /// </summary>
    public static void Check(TriggerDefinition? trigger, TransitionDefinition transition, IReadOnlyList<DeadlineSet> deadlines, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(transition);
        ArgumentNullException.ThrowIfNull(deadlines);
        var errors = new List<FieldError>();
        foreach (var effect in transition.Effects)
        {
            if (effect.Deadline is not { At: { } at } d || ArgumentOf(transition, at) is not { } argument)
            {
                continue;
            }

            foreach (var set in deadlines)
            {
                if (set.Kind != d.Kind || set.Due > now || errors.Exists(e => e.Field == "$." + argument))
                {
                    continue;
                }

                var label = trigger?.Parameters.FirstOrDefault(p => p.Name == argument)?.Label;
                var local = TimeZoneInfo.ConvertTime(set.Due, BrusselsDate.Zone);
                var endOfDay = local.TimeOfDay >= new TimeSpan(23, 59, 0);
                var nl = local.ToString(endOfDay ? "d MMMM yyyy" : "d MMMM yyyy 'om' HH:mm", Dutch);
                var en = local.ToString(endOfDay ? "d MMMM yyyy" : "d MMMM yyyy 'at' HH:mm", CultureInfo.InvariantCulture);
                errors.Add(new FieldError("$." + argument, $"{label?.En ?? argument}: {en} (Brussels time) has already passed; choose a later moment")
                {
                    Rule = "deadline-passed",
                    Nl = $"{label?.Nl ?? argument}: {nl} is al voorbij; kies een later tijdstip",
                });
            }
        }

        if (errors.Count > 0)
        {
            throw new ArgumentValidationException(errors);
        }
    }

    /// <summary>The argument a deadline's <c>at</c> takes its time from in <paramref name="transition"/>, or null.</summary>
    private static string? ArgumentOf(TransitionDefinition transition, string at)
    {
        const string Args = "args.";
        const string Data = "data.";
        if (at.StartsWith(Args, StringComparison.Ordinal))
        {
            return at[Args.Length..];
        }

        if (at.StartsWith(Data, StringComparison.Ordinal)
            && transition.Assign is { } assign
            && assign.TryGetValue(at[Data.Length..], out var source)
            && source is JsonValue value && value.TryGetValue<string>(out var expression)
            && expression.StartsWith(Args, StringComparison.Ordinal))
        {
            return expression[Args.Length..];
        }

        return null;
    }
}
