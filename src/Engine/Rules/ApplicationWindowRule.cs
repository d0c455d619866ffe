using SubsidyEngine.Engine.Programmes.Model;

namespace SubsidyEngine.Engine.Rules;

/// <summary>The outcome of the on-time check.</summary>
public sealed record ApplicationWindowResult(bool Passed, IReadOnlyList<Reason> Reasons);

/// <summary>
/// Whether a submission is inside the call's application window (both ends included), pure: the submission instant
/// is a parameter, the rule reads no clock. Instants are compared as instants (offsets taken into account); the
/// messages show the Brussels wall-clock time written in the call file.
/// </summary>
public static class ApplicationWindowRule
{
    /// <summary>Checks <paramref name="submittedAt"/> against the window of <paramref name="call"/>.</summary>
    public static ApplicationWindowResult Evaluate(Call call, DateTimeOffset submittedAt)
    {
        ArgumentNullException.ThrowIfNull(call);
        var window = call.Window;
        var deadlineNl = $"{RuleText.DateNl(DateOnly.FromDateTime(window.Deadline.DateTime))} om {window.Deadline:HH:mm}";
        var deadlineEn = $"{RuleText.DateEn(DateOnly.FromDateTime(window.Deadline.DateTime))} at {window.Deadline:HH:mm}";
        if (submittedAt < window.Opens)
        {
            return new ApplicationWindowResult(false,
            [
                Reason.Error("window.not-open",
                    $"De oproep {call.Name.Nl} is nog niet open.", $"The call {call.Name.En} is not open yet."),
            ]);
        }
        if (submittedAt > window.Deadline)
        {
            return new ApplicationWindowResult(false,
            [
                Reason.Error("window.closed",
                    $"De aanvraag kwam na de uiterste indieningsdatum ({deadlineNl}).",
                    $"The application arrived after the deadline ({deadlineEn})."),
            ]);
        }
        return new ApplicationWindowResult(true,
        [
            Reason.Info("window.on-time",
                $"Tijdig ingediend (uiterste datum {deadlineNl}).", $"Submitted on time (deadline {deadlineEn})."),
        ]);
    }
}
