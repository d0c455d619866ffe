using System.Collections.Frozen;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Scriban;
using Scriban.Parsing;

namespace SubsidyEngine.Templates;

/// <summary>
/// The letter templates embedded in this assembly, keyed by (id, version). A published version is never edited:
/// a change is a new file <c>id.vN+1.sbn</c>, and every older version stays loadable so that a journal event naming
/// (id, version) renders to the same bytes forever. Partials (layouts, letterhead, ...) are versioned the same way
/// (<c>letterhead.v1</c>) and named with their version by the templates that include them.
/// </summary>
public sealed partial class LetterCatalog
{
    internal const string LetterPrefix = "Letters/";
    internal const string PartialPrefix = "Letters/Partials/";

    private static readonly Lazy<LetterCatalog> DefaultCatalog = new(() => Load(typeof(LetterCatalog).Assembly));

    private readonly FrozenDictionary<(string Id, int Version), LetterTemplate> _letters;
    private readonly FrozenDictionary<string, TemplateFile> _partials;

    private LetterCatalog(IEnumerable<LetterTemplate> letters, IEnumerable<TemplateFile> partials)
    {
        _partials = partials.ToFrozenDictionary(p => p.Name, StringComparer.Ordinal);
        _letters = letters.ToFrozenDictionary(l => (l.Id, l.Version));
        All = [.. _letters.Values.OrderBy(l => l.Id, StringComparer.Ordinal).ThenBy(l => l.Version)];
        Partials = [.. _partials.Values.OrderBy(p => p.Name, StringComparer.Ordinal)];
        foreach (var letter in All)
        {
            letter.ResolveDependencies(this);
        }
    }

    /// <summary>The catalogue of the templates embedded in this assembly (loaded once).</summary>
    public static LetterCatalog Default => DefaultCatalog.Value;

    /// <summary>Every letter template, every version, ordered by id then version.</summary>
    public IReadOnlyList<LetterTemplate> All { get; }

    /// <summary>Every partial (layouts and blocks), ordered by name.</summary>
    public IReadOnlyList<TemplateFile> Partials { get; }

    /// <summary>The distinct letter ids.</summary>
    public IReadOnlyList<string> Ids => [.. All.Select(l => l.Id).Distinct()];

    /// <summary>Gets one version of a letter template.</summary>
    /// <exception cref="LetterTemplateNotFoundException">No such id or version.</exception>
    public LetterTemplate Get(string id, int version) =>
        TryGet(id, version, out var template)
            ? template
            : throw new LetterTemplateNotFoundException($"Letter template '{id}' version {version} does not exist.");

    /// <summary>Gets one version of a letter template, or returns false.</summary>
    public bool TryGet(string id, int version, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out LetterTemplate? template) =>
        _letters.TryGetValue((id, version), out template);

    /// <summary>The highest version of a letter template: what a new letter uses.</summary>
    /// <exception cref="LetterTemplateNotFoundException">No template with that id.</exception>
    public LetterTemplate Latest(string id) =>
        All.LastOrDefault(l => l.Id == id)
        ?? throw new LetterTemplateNotFoundException($"Letter template '{id}' does not exist.");

    /// <summary>Gets a partial by its versioned name, e.g. <c>letterhead.v1</c>.</summary>
    /// <exception cref="LetterTemplateNotFoundException">No such partial.</exception>
    public TemplateFile GetPartial(string name) =>
        _partials.TryGetValue(name, out var partial)
            ? partial
            : throw new LetterTemplateNotFoundException($"Partial '{name}' does not exist.");

    internal bool TryGetPartial(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TemplateFile? partial) =>
        _partials.TryGetValue(name, out partial);

    /// <summary>Loads the templates embedded in an assembly (resources named <c>Letters/...sbn</c>).</summary>
    internal static LetterCatalog Load(Assembly assembly) => FromAssemblies(assembly);

    /// <summary>
    /// One catalogue from the templates embedded in several assemblies, e.g. the shipped letters plus a later version
    /// of one of them delivered separately. The same id and version (or partial) twice is an error: a published
    /// version is never replaced.
    /// </summary>
    public static LetterCatalog FromAssemblies(params Assembly[] assemblies)
    {
        var letters = new List<LetterTemplate>();
        var partials = new List<TemplateFile>();
        foreach (var assembly in assemblies)
        {
            Collect(assembly, letters, partials);
        }

        var twice = letters.GroupBy(l => $"{l.Id}.v{l.Version}").Concat(partials.GroupBy(p => p.Name)).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null)
        {
            throw new InvalidOperationException($"Template '{twice.Key}' is embedded more than once: a published version is never replaced.");
        }

        return new LetterCatalog(letters, partials);
    }

    private static void Collect(Assembly assembly, List<LetterTemplate> letters, List<TemplateFile> partials)
    {
        foreach (var resource in assembly.GetManifestResourceNames().Order(StringComparer.Ordinal))
        {
            if (resource.StartsWith(PartialPrefix, StringComparison.Ordinal))
            {
                var (name, version) = ParseFileName(resource, resource[PartialPrefix.Length..]);
                partials.Add(new TemplateFile($"{name}.v{version}", name, version, resource, ReadAll(assembly, resource)));
            }
            else if (resource.StartsWith(LetterPrefix, StringComparison.Ordinal))
            {
                var (id, version) = ParseFileName(resource, resource[LetterPrefix.Length..]);
                letters.Add(new LetterTemplate(id, version, resource, ReadAll(assembly, resource)));
            }
        }
    }

    private static (string Name, int Version) ParseFileName(string resource, string fileName)
    {
        var match = FileNamePattern().Match(fileName);
        if (!match.Success)
        {
            throw new InvalidOperationException(
                $"Embedded template '{resource}' is not named '<id>.v<version>.sbn' (lower-case id, version from 1).");
        }

        return (match.Groups["id"].Value, int.Parse(match.Groups["version"].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    private static byte[] ReadAll(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"Embedded resource '{resource}' cannot be read.");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }

    [GeneratedRegex(@"^(?<id>[a-z][a-z0-9]*(-[a-z0-9]+)*)\.v(?<version>[1-9][0-9]{0,3})\.sbn$", RegexOptions.CultureInvariant)]
    private static partial Regex FileNamePattern();
}

/// <summary>One embedded template file: its exact bytes and their SHA-256.</summary>
public class TemplateFile
{
    private readonly byte[] _source;

    internal TemplateFile(string name, string id, int version, string resourceName, byte[] source)
    {
        Name = name;
        BaseName = id;
        FileVersion = version;
        ResourceName = resourceName;
        _source = source;
        SourceSha256 = Convert.ToHexStringLower(SHA256.HashData(source));
        if (source.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            throw new InvalidOperationException($"Template '{resourceName}' starts with a UTF-8 byte order mark; save it without.");
        }

        SourceText = new UTF8Encoding(false, true).GetString(source);
    }

    /// <summary>The versioned name, e.g. <c>award-decision.v1</c> or <c>letterhead.v1</c>.</summary>
    public string Name { get; }

    /// <summary>The embedded resource name, e.g. <c>Letters/award-decision.v1.sbn</c> (also the path below src/Templates).</summary>
    public string ResourceName { get; }

    /// <summary>Lower-case hex SHA-256 of <see cref="GetSourceBytes"/>.</summary>
    public string SourceSha256 { get; }

    internal string BaseName { get; }

    internal int FileVersion { get; }

    internal string SourceText { get; }

    /// <summary>A copy of the exact template bytes as embedded (UTF-8, no BOM), for export to auditors.</summary>
    public byte[] GetSourceBytes() => (byte[])_source.Clone();
}

/// <summary>
/// One version of one letter: front matter (subject line, layout) and HTML body in a single Scriban file.
/// </summary>
public sealed partial class LetterTemplate : TemplateFile
{
    private IReadOnlyList<TemplateFile> _dependencies = [];

    internal LetterTemplate(string id, int version, string resourceName, byte[] source)
        : base($"{id}.v{version}", id, version, resourceName, source)
    {
        Parsed = Template.Parse(
            SourceText,
            Name + ".sbn",
            lexerOptions: new LexerOptions { Mode = ScriptMode.FrontMatterAndContent, FrontMatterMarker = "+++" });
        if (Parsed.HasErrors)
        {
            throw new InvalidOperationException($"Letter template '{Name}' does not parse: {string.Join("; ", Parsed.Messages)}");
        }

        var layout = LayoutPattern().Match(SourceText);
        if (!layout.Success)
        {
            throw new InvalidOperationException($"Letter template '{Name}' names no layout (front matter line: layout = \"layout.v1\").");
        }

        Layout = layout.Groups["name"].Value;
    }

    /// <summary>The template id, e.g. <c>award-decision</c>.</summary>
    public string Id => BaseName;

    /// <summary>The template version (1, 2, ...).</summary>
    public int Version => FileVersion;

    /// <summary>The versioned layout partial this letter is rendered in, e.g. <c>layout.v1</c>.</summary>
    public string Layout { get; }

    /// <summary>
    /// The partials this letter uses (its layout and everything included from there), ordered by name.
    /// Together with the letter itself they determine the output.
    /// </summary>
    public IReadOnlyList<TemplateFile> Dependencies => _dependencies;

    /// <summary>
    /// SHA-256 over the manifest of the letter and its dependencies: one line <c>sha256 name\n</c> per file, the
    /// letter first, then the dependencies by name. Reproducible with <c>sha256sum</c>.
    /// </summary>
    public string BundleSha256 { get; private set; } = string.Empty;

    internal Template Parsed { get; }

    internal void ResolveDependencies(LetterCatalog catalog)
    {
        var found = new SortedDictionary<string, TemplateFile>(StringComparer.Ordinal);
        var pending = new Stack<string>();
        pending.Push(Layout);
        foreach (Match m in IncludePattern().Matches(SourceText))
        {
            pending.Push(m.Groups["name"].Value);
        }

        while (pending.Count > 0)
        {
            var name = pending.Pop();
            if (found.ContainsKey(name))
            {
                continue;
            }

            if (!catalog.TryGetPartial(name, out var partial))
            {
                throw new InvalidOperationException($"Letter template '{Name}' uses partial '{name}', which does not exist.");
            }

            found[name] = partial;
            foreach (Match m in IncludePattern().Matches(partial.SourceText))
            {
                pending.Push(m.Groups["name"].Value);
            }
        }

        _dependencies = [.. found.Values];
        var manifest = new StringBuilder();
        foreach (var file in new TemplateFile[] { this }.Concat(_dependencies))
        {
            manifest.Append(file.SourceSha256).Append(' ').Append(file.Name).Append('\n');
        }

        BundleSha256 = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(manifest.ToString())));
    }

    [GeneratedRegex(@"^layout\s*=\s*""(?<name>[a-z0-9-]+\.v[0-9]+)""\s*$", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex LayoutPattern();

    [GeneratedRegex(@"include\s+'(?<name>[a-z0-9-]+\.v[0-9]+)'", RegexOptions.CultureInvariant)]
    internal static partial Regex IncludePattern();
}

/// <summary>Thrown when a letter template or partial is not in the catalogue.</summary>
public sealed class LetterTemplateNotFoundException : Exception
{
    /// <summary>Creates the exception.</summary>
    public LetterTemplateNotFoundException(string message)
        : base(message)
    {
    }
}
