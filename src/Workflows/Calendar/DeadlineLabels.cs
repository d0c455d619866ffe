using SubsidyEngine.Workflows.Model;

namespace SubsidyEngine.Workflows.Calendar;

/// <summary>
/// The Dutch (and English) name of a deadline kind, for people: the <c>label</c> of the deadline effect in the
/// dossier's workflow definition, or, for definitions published before deadline effects had labels, the catalogue
/// below. Never the kind's id.
/// </summary>
public static class DeadlineLabels
{
    /// <summary>
    /// The labels of the deadline kinds of the definitions published before deadline effects had labels
    /// (plan-samenleven dossier v1-v4 and call v1-v2, oefenkansen-nederlands v1-v2). A published definition is never
    /// edited (its hash is in the journal), so these stay here; a definition that brings a new kind must label it
    /// (the loader refuses it otherwise).
    /// </summary>
    public static IReadOnlyDictionary<string, LocalizedText> Known { get; } = new Dictionary<string, LocalizedText>(StringComparer.Ordinal)
    {
        ["interim-report"] = new("Tussentijdse rapportering", "Interim report"),
        ["final-report"] = new("Eindrapportering", "Final report"),
        ["information"] = new("Aanvullende informatie bezorgen", "Additional information"),
        ["reaction"] = new("Reactie op de voorafgaande kennisgeving van terugvordering", "Reaction to the recovery pre-notice"),
        ["window-opens"] = new("Begin van de indieningsperiode", "Application window opens"),
        ["window-closes"] = new("Einde van de indieningsperiode", "Application window closes"),
    };

    /// <summary>The generic label for a kind nobody named.</summary>
    public static LocalizedText Unnamed { get; } = new("Termijn", "Deadline");

    /// <summary>The label of <paramref name="kind"/>: from <paramref name="definition"/> when it names it, else the catalogue, else "Termijn".</summary>
    public static LocalizedText For(string kind, WorkflowDefinition? definition)
    {
        if (definition is not null)
        {
            var effects = definition.Transitions.SelectMany(t => t.Effects ?? [])
                .Concat(definition.Creation?.Effects ?? []);
            if (effects.Select(e => e.Deadline).FirstOrDefault(d => d is not null && d.Kind == kind && d.Label is not null) is { } named)
            {
                return named.Label!;
            }
        }

        return Known.TryGetValue(kind, out var known) ? known : Unnamed;
    }
}
