namespace SubsidyEngine.Templates.Tests;

/// <summary>Every sample model rendered with the latest version of its template, compared with approved files.</summary>
public class LetterSnapshotTests
{
    private readonly LetterRenderer _renderer = new();

    public static TheoryData<string> Samples() => SampleModels.All();

    [Theory]
    [MemberData(nameof(Samples))]
    public void Sample_letter_matches_the_approved_html_and_text(string sample)
    {
        var template = LetterCatalog.Default.Latest(SampleModels.TemplateId(sample));
        var letter = _renderer.Render(template.Id, template.Version, SampleModels.Load(sample));

        ApprovedFile.Verify($"{sample}.v{template.Version}.html", letter.Html);
        ApprovedFile.Verify($"{sample}.v{template.Version}.txt", $"Onderwerp: {letter.Subject}\n\n{letter.Text}");
    }

    [Fact]
    public void Every_letter_in_the_catalogue_has_a_sample_model()
    {
        var withSample = SampleModels.Names.Select(SampleModels.TemplateId).ToHashSet();
        var missing = LetterCatalog.Default.Ids.Where(id => !withSample.Contains(id)).ToList();
        Assert.True(missing.Count == 0, "No sample model for: " + string.Join(", ", missing));
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Every_sample_renders_to_subject_html_and_text(string sample)
    {
        var letter = _renderer.RenderLatest(SampleModels.TemplateId(sample), SampleModels.Load(sample));

        Assert.False(string.IsNullOrWhiteSpace(letter.Subject));
        Assert.DoesNotContain('\n', letter.Subject);
        Assert.StartsWith("<!DOCTYPE html>", letter.Html, StringComparison.Ordinal);
        Assert.Contains(EscapeForHtml(letter.Subject), letter.Html, StringComparison.Ordinal);
        Assert.Contains("Agentschap Binnenlands Bestuur", letter.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("{{", letter.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("<", letter.Text, StringComparison.Ordinal);
    }

    private static string EscapeForHtml(string s) =>
        s.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal)
            .Replace(">", "&gt;", StringComparison.Ordinal).Replace("\"", "&quot;", StringComparison.Ordinal)
            .Replace("'", "&#39;", StringComparison.Ordinal);
}
