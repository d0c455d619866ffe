using System.Security.Cryptography;
using System.Text;

namespace SubsidyEngine.Templates.Tests;

public class CatalogTests
{
    private static readonly string[] RequiredIds =
    [
        "acknowledgement", "information-request", "ineligibility-decision", "award-decision", "award-final",
        "report-reminder", "continuation-decision", "extension-notice", "recovery-preinformation",
        "settlement-decision", "closure", "checkpoint-digest", "deadline-timeout",
    ];

    private readonly LetterCatalog _catalog = LetterCatalog.Default;

    [Fact]
    public void Catalogue_holds_every_letter_of_the_programme()
    {
        Assert.Equal(RequiredIds.Order(StringComparer.Ordinal), _catalog.Ids.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Get_finds_a_version_and_Latest_finds_the_highest()
    {
        var v1 = _catalog.Get("award-decision", 1);
        Assert.Equal("award-decision", v1.Id);
        Assert.Equal(1, v1.Version);
        Assert.Equal("Letters/award-decision.v1.sbn", v1.ResourceName);
        Assert.Equal(_catalog.All.Where(t => t.Id == "award-decision").Max(t => t.Version), _catalog.Latest("award-decision").Version);
    }

    [Fact]
    public void A_new_version_becomes_Latest_while_the_old_one_keeps_rendering_the_same()
    {
        var catalog = TestCatalog.Instance;
        var renderer = new LetterRenderer(catalog);
        var model = new System.Text.Json.Nodes.JsonObject { ["name"] = "Gemeente As" };

        Assert.Equal(2, catalog.Latest("versioned").Version);
        Assert.Equal([1, 2], catalog.All.Where(t => t.Id == "versioned").Select(t => t.Version));
        var old = renderer.Render("versioned", 1, model);
        var latest = renderer.RenderLatest("versioned", model);

        Assert.Equal("Versie 1 voor Gemeente As", old.Subject);
        Assert.Contains("Eerste tekst voor Gemeente As.", old.Html, StringComparison.Ordinal);
        Assert.Equal(2, latest.TemplateVersion);
        Assert.Contains("Tweede, herwerkte tekst", latest.Html, StringComparison.Ordinal);
        Assert.Equal(old.HtmlSha256, renderer.Render("versioned", 1, model).HtmlSha256);
    }

    [Fact]
    public void Unknown_template_or_version_throws_a_clear_exception()
    {
        var e = Assert.Throws<LetterTemplateNotFoundException>(() => _catalog.Get("award-decision", 99));
        Assert.Contains("award-decision", e.Message, StringComparison.Ordinal);
        Assert.Throws<LetterTemplateNotFoundException>(() => _catalog.Latest("no-such-letter"));
        Assert.False(_catalog.TryGet("award-decision", 0, out _));
    }

    [Fact]
    public void Source_bytes_are_the_file_in_the_repository_and_hash_to_SourceSha256()
    {
        foreach (var file in _catalog.All.Cast<TemplateFile>().Concat(_catalog.Partials))
        {
            var bytes = file.GetSourceBytes();
            var onDisk = File.ReadAllBytes(Path.Combine(RepositoryRoot(), "src", "Templates", file.ResourceName));
            Assert.Equal(onDisk, bytes);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), file.SourceSha256);
            Assert.DoesNotContain((byte)'\r', bytes);
        }
    }

    [Fact]
    public void Source_bytes_are_a_copy_that_callers_cannot_change()
    {
        var template = _catalog.Get("closure", 1);
        template.GetSourceBytes()[0] = 0;
        Assert.NotEqual(0, template.GetSourceBytes()[0]);
    }

    /// <summary>
    /// Published templates are immutable: old journal events must render to the same bytes forever. This manifest
    /// pins the SHA-256 of every template file; a change to a published file fails here. Add a new version instead
    /// (and append its line to the manifest).
    /// </summary>
    [Fact]
    public void Published_template_files_never_change()
    {
        var manifest = new StringBuilder();
        foreach (var file in _catalog.All.Cast<TemplateFile>().Concat(_catalog.Partials).OrderBy(f => f.ResourceName, StringComparer.Ordinal))
        {
            manifest.Append(file.SourceSha256).Append("  ").Append(file.ResourceName).Append('\n');
        }

        var path = Path.Combine(ApprovedFile.Directory, "template-hashes.txt");
        if (File.Exists(path))
        {
            var approved = File.ReadAllLines(path).Where(l => l.Length > 0).ToDictionary(l => l[66..], l => l[..64]);
            var current = manifest.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).ToDictionary(l => l[66..], l => l[..64]);
            var changed = approved.Where(a => !current.TryGetValue(a.Key, out var h) || h != a.Value).Select(a => a.Key).ToList();
            Assert.True(changed.Count == 0, "Published template files were changed or removed (make a new version instead): " + string.Join(", ", changed));
        }

        ApprovedFile.Verify("template-hashes.txt", manifest.ToString());
    }

    [Fact]
    public void Every_letter_names_its_layout_and_dependencies_with_a_bundle_hash()
    {
        foreach (var letter in _catalog.All)
        {
            Assert.Contains(letter.Dependencies, d => d.Name == letter.Layout);
            Assert.Matches("^[0-9a-f]{64}$", letter.BundleSha256);
        }

        var award = _catalog.Get("award-decision", 1);
        Assert.Equal(
            ["addressee.v1", "cc.v1", "layout.v1", "letterhead.v1", "reference-line.v1", "signature.v1", "style.v1"],
            award.Dependencies.Select(d => d.Name));
    }

    internal static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(ApprovedFile.Directory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SubsidyEngine.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Repository root not found.");
    }
}
