using System.Text.Json.Nodes;
using SubsidyEngine.Engine.Runtime;

namespace SubsidyEngine.Engine.Audit;

/// <summary>What a journaled effects summary records that a re-execution must reuse: the template versions and the deadline rules.</summary>
internal static class RecordedEffects
{
    /// <summary>The template versions a recorded effects summary names (so replay uses the recorded ones).</summary>
    internal static IReadOnlyDictionary<string, int> TemplateVersionsOf(string effects) => RecordedTemplateVersions(effects);

    /// <summary>
    /// The deadline rules a recorded effects summary was computed with: <see cref="DeadlineRules.Legacy"/> when it sets
    /// a deadline without <c>calendar</c> (written before due times were Brussels days), otherwise the current rules.
    /// </summary>
    internal static DeadlineRules DeadlineRulesOf(string effects)
    {
        if (!effects.Contains("\"deadlines\"", StringComparison.Ordinal))
        {
            return DeadlineRules.BrusselsDays;
        }

        try
        {
            return JsonNode.Parse(effects) is JsonObject o && o["deadlines"] is JsonArray deadlines
                   && deadlines.OfType<JsonObject>().Any(d => d["calendar"] is null)
                ? DeadlineRules.Legacy
                : DeadlineRules.BrusselsDays;
        }
        catch (System.Text.Json.JsonException)
        {
            return DeadlineRules.BrusselsDays; // a broken summary diverges anyway
        }
    }

    private static readonly IReadOnlyDictionary<string, int> NoTemplateVersions = new Dictionary<string, int>(StringComparer.Ordinal);

    private static IReadOnlyDictionary<string, int> RecordedTemplateVersions(string effects)
    {
        if (!effects.Contains("\"notices\"", StringComparison.Ordinal))
        {
            return NoTemplateVersions;
        }

        var map = new Dictionary<string, int>(StringComparer.Ordinal);

        try
        {
            if (JsonNode.Parse(effects) is JsonObject o && o["notices"] is JsonArray notices)
            {
                foreach (var n in notices.OfType<JsonObject>())
                {
                    if (n["template"]?.GetValue<string>() is { } t && n["version"] is JsonValue v && v.TryGetValue<int>(out var ver))
                    {
                        map[t] = ver;
                    }
                }
            }
        }
        catch (System.Text.Json.JsonException)
        {
            // A tampered effects text is reported by the hash check.
        }

        return map;
    }
}
