using SubsidyEngine.Engine.Runtime;

namespace SubsidyEngine.Engine.Hosting;

/// <summary>The letter templates the definitions may name, with their latest versions.</summary>
public sealed class LetterTemplateDirectory(IReadOnlyDictionary<string, int> latest) : ILetterTemplates
{
    /// <summary>The letters shipped in SubsidyEngine.Templates, each at its latest version.</summary>
    public static LetterTemplateDirectory Default { get; } = From(SubsidyEngine.Templates.LetterCatalog.Default);

    /// <summary>The letters of a catalogue, each at its latest version (what a new notice names).</summary>
    public static LetterTemplateDirectory From(SubsidyEngine.Templates.LetterCatalog catalog) =>
        new(catalog.Ids.ToDictionary(id => id, id => catalog.Latest(id).Version, StringComparer.Ordinal));

    public bool Exists(string templateId) => latest.ContainsKey(templateId);

    public int LatestVersion(string templateId) =>
        latest.TryGetValue(templateId, out var v) ? v : throw new KeyNotFoundException($"Letter template '{templateId}' does not exist.");
}
