using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Workflows.Calendar;
using SubsidyEngine.Workflows.Decisions;
using SubsidyEngine.Workflows.Expressions;
using SubsidyEngine.Workflows.Model;

namespace SubsidyEngine.Engine.Runtime;

/// <summary>A notice (letter or short notice) to put in the outbox.</summary>
public sealed record NoticeEffect(Guid Id, string Kind, string TemplateId, int TemplateVersion);

/// <summary>A deadline to set.</summary>
public sealed record DeadlineSet(Guid Id, string Kind, DateTimeOffset Due, string Rule, string? Timeout, string? BoundState, bool Remind);

/// <summary>
/// The rules that turned a deadline effect into a due time. The journal records which (a deadline of the effects
/// summary carries <c>"calendar": "Europe/Brussels"</c> under <see cref="BrusselsDays"/>), and replay uses the recorded
/// rules, so journals written before a change of these rules keep replaying. New events always use
/// <see cref="BrusselsDays"/>.
/// </summary>
public enum DeadlineRules
{
    /// <summary>
    /// Brussels calendar days: a date means the end of that day in Brussels; a duration in days (weeks, months,
    /// years) counts Brussels calendar days and ends at the end of the last one (<see cref="IsoDuration.AddToDeadline"/>).
    /// </summary>
    BrusselsDays,

    /// <summary>
    /// The rules before: a date at <c>deadline.at</c> read as 00:00 UTC, durations added as exact time. Only to replay
    /// events recorded so (their deadlines carry no <c>calendar</c>).
    /// </summary>
    Legacy,
}

/// <summary>The outcome of a transition's assignments, computations and effects: new data, rows to write, and the journal summary.</summary>
public sealed record EffectOutcome(
    JsonObject Data,
    JsonObject Summary,
    IReadOnlyList<NoticeEffect> Notices,
    IReadOnlyList<DeadlineSet> Deadlines,
    IReadOnlyList<string> MetDeadlines);

/// <summary>
/// Computes what a transition does besides changing state. Pure: the same event inputs (data before, arguments,
/// time, actor, definition, template versions) give the same outcome, which is how replay checks the journal.
/// </summary>
public static class TransitionEffects
{
    /// <summary>The value of a deadline's <c>calendar</c> in the effects summary under <see cref="DeadlineRules.BrusselsDays"/>.</summary>
    public const string DeadlineCalendar = BrusselsDate.ZoneId;

    public static EffectOutcome Apply(
        RuleRegistry rules,
        IReadOnlyDictionary<string, JsonNode?>? assign,
        IReadOnlyDictionary<string, string>? compute,
        IReadOnlyList<EffectDefinition> effects,
        RuleContext context,
        string toState,
        Guid dossierId,
        int dossierSeq,
        Func<string, int> templateVersion,
        IReadOnlyList<GuardCheck>? guardChecks,
        DeadlineRules deadlineRules = DeadlineRules.BrusselsDays) =>
        Complete(rules, Assign(assign, context), compute, computeInOrder: false, effects, context, toState, dossierId, dossierSeq, templateVersion, guardChecks, deadlineRules);

    /// <summary>The data a transition proposes (<see cref="Decider.Assign"/>).</summary>
    public static Assignment Assign(IReadOnlyDictionary<string, JsonNode?>? assign, RuleContext context) => Decider.Assign(assign, context);

    /// <summary>
    /// The rest of a transition after its assignments: computations (in key order, or with
    /// <paramref name="computeInOrder"/> in the order written), then effects, on the assigned data.
    /// </summary>
    public static EffectOutcome Complete(
        RuleRegistry rules,
        Assignment assignment,
        IReadOnlyDictionary<string, string>? compute,
        bool computeInOrder,
        IReadOnlyList<EffectDefinition> effects,
        RuleContext context,
        string toState,
        Guid dossierId,
        int dossierSeq,
        Func<string, int> templateVersion,
        IReadOnlyList<GuardCheck>? guardChecks,
        DeadlineRules deadlineRules = DeadlineRules.BrusselsDays)
    {
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(assignment);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(effects);
        var data = assignment.Data;
        var summary = new JsonObject();
        if (assignment.Assigned is not null)
        {
            summary["assign"] = assignment.Assigned;
        }

        if (compute is { Count: > 0 })
        {
            // Computations see the data after the assignments of the same transition (and, in order, the
            // computations before them).
            var computeContext = context with { Data = data };
            var computed = new JsonObject();
            foreach (var (field, name) in computeInOrder ? compute.ToArray() : Ordered(compute))
            {
                var fn = rules.FindComputation(name) ?? throw new InvalidOperationException($"Computation '{name}' is not registered.");
                var value = fn.Compute(computeContext);
                ValueResolver.Set(data, field, value?.DeepClone());
                computed[field] = new JsonObject { ["rule"] = name, ["result"] = value?.DeepClone() };
            }

            summary["computed"] = computed;
        }

        // Effects (deadline times) see the data after the assignments and computations of the same transition.
        var effectContext = context with { Data = data };
        var notices = new List<NoticeEffect>();
        var deadlines = new List<DeadlineSet>();
        var met = new List<string>();
        var index = 0;
        foreach (var effect in effects)
        {
            index++;
            if (effect.Letter is not null || effect.Notice is not null)
            {
                var template = effect.Letter ?? effect.Notice!;
                notices.Add(new NoticeEffect(DeterministicId(dossierId, dossierSeq, "notice", index), effect.Letter is not null ? "letter" : "notice", template, templateVersion(template)));
            }
            else if (effect.Deadline is { } d)
            {
                var (due, rule) = deadlineRules == DeadlineRules.Legacy ? LegacyDue(d, effectContext) : Due(d, effectContext);
                deadlines.Add(new DeadlineSet(DeterministicId(dossierId, dossierSeq, "deadline", index), d.Kind, due, rule, d.Timeout, d.Keep ? null : d.Within ?? toState, d.Remind));
            }
            else if (effect.ClearDeadline is not null)
            {
                met.Add(effect.ClearDeadline);
            }
        }

        if (notices.Count > 0)
        {
            summary["notices"] = new JsonArray(notices.Select(n => (JsonNode)new JsonObject
            {
                ["id"] = n.Id.ToString("D"),
                ["kind"] = n.Kind,
                ["template"] = n.TemplateId,
                ["version"] = n.TemplateVersion,
            }).ToArray());
        }

        if (deadlines.Count > 0)
        {
            summary["deadlines"] = new JsonArray(deadlines.Select(d =>
            {
                var entry = new JsonObject
                {
                    ["id"] = d.Id.ToString("D"),
                    ["kind"] = d.Kind,
                    ["due"] = JournalEvent.FormatTime(d.Due),
                    ["rule"] = d.Rule,
                    ["timeout"] = d.Timeout,
                    ["boundState"] = d.BoundState,
                    ["remind"] = d.Remind,
                };
                if (deadlineRules == DeadlineRules.BrusselsDays)
                {
                    entry["calendar"] = DeadlineCalendar;
                }

                return (JsonNode)entry;
            }).ToArray());
        }

        if (met.Count > 0)
        {
            summary["met"] = new JsonArray(met.Select(m => (JsonNode)JsonValue.Create(m)!).ToArray());
        }

        if (guardChecks is { Count: > 0 })
        {
            summary["guards"] = new JsonArray(guardChecks.Select(c => (JsonNode)new JsonObject
            {
                ["check"] = c.Name,
                ["passed"] = c.Passed,
                ["reasons"] = new JsonArray(c.Reasons.Select(r => (JsonNode)JsonValue.Create(r.Code)!).ToArray()),
            }).ToArray());
        }

        return new EffectOutcome(data, summary, notices, deadlines, met);
    }

    /// <summary>The entries by key in ordinal order (keys are unique): what OrderBy gave, without its machinery per event.</summary>
    private static KeyValuePair<string, T>[] Ordered<T>(IReadOnlyDictionary<string, T> map)
    {
        var entries = new KeyValuePair<string, T>[map.Count];
        var i = 0;
        foreach (var entry in map)
        {
            entries[i++] = entry;
        }

        if (entries.Length > 1)
        {
            Array.Sort(entries, static (x, y) => string.CompareOrdinal(x.Key, y.Key));
        }

        return entries;
    }

    /// <summary>
    /// The due time under <see cref="DeadlineRules.BrusselsDays"/>: <c>at</c> a date is the end of that day in Brussels,
    /// <c>at</c> a date and time is that instant, no <c>at</c> is now; <c>after</c> in days counts Brussels calendar days
    /// from the day of that start and ends at the end of the last one.
    /// </summary>
    private static (DateTimeOffset Due, string Rule) Due(DeadlineEffect d, RuleContext context)
    {
        DateTimeOffset start;
        string rule;
        if (d.At is not null)
        {
            if (!ValueResolver.TryGetTime(ValueResolver.ResolvePath(d.At, context), out start))
            {
                throw new ArgumentValidationException([new FieldError(d.At.Replace("args.", string.Empty, StringComparison.Ordinal), "must be a date or date and time for the deadline")]);
            }

            rule = d.At;
        }
        else
        {
            start = context.Now;
            rule = "now";
        }

        if (d.After is not null)
        {
            start = IsoDuration.AddToDeadline(start, d.After);
            rule += " + " + d.After;
        }

        return (JournalEvent.Truncate(start), rule);
    }

    /// <summary>The due time under <see cref="DeadlineRules.Legacy"/>, exactly as events recorded before were computed.</summary>
    private static (DateTimeOffset Due, string Rule) LegacyDue(DeadlineEffect d, RuleContext context)
    {
        DateTimeOffset start;
        string rule;
        if (d.At is not null)
        {
            var node = ValueResolver.ResolvePath(d.At, context);
            if (!(node is JsonValue tv && tv.TryGetValue<string>(out var text)
                  && DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal, out start)))
            {
                throw new ArgumentValidationException([new FieldError(d.At.Replace("args.", string.Empty, StringComparison.Ordinal), "must be a date or date and time for the deadline")]);
            }

            rule = d.At;
        }
        else
        {
            start = context.Now;
            rule = "now";
        }

        if (d.After is not null)
        {
            start = IsoDuration.Add(start, d.After);
            rule += " + " + d.After;
        }

        return (JournalEvent.Truncate(start), rule);
    }

    /// <summary>23:59:59 on <paramref name="date"/> in Europe/Brussels (<see cref="BrusselsDate.EndOfDay"/>).</summary>
    public static DateTimeOffset BrusselsEndOfDay(DateOnly date) => new BrusselsDate(date).EndOfDay;

    /// <summary>A stable id derived from the event, so replay recomputes the same notice and deadline ids.</summary>
    public static Guid DeterministicId(Guid dossierId, int dossierSeq, string purpose, int index)
    {
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes($"{dossierId:D}/{dossierSeq}/{purpose}/{index}"));
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80); // version 8 (custom), as RFC 9562 allows
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes.AsSpan(0, 16), bigEndian: true);
    }
}
