using System.Security.Cryptography;
using System.Text;

namespace SubsidyEngine.Templates.Tests;

public class HashTests
{
    /// <summary>
    /// The hash of the acknowledgement sample with template v1. It must never change: a journal event that names
    /// acknowledgement v1 must reproduce this letter byte for byte on any machine.
    /// </summary>
    private const string AcknowledgementV1Sha256 = "2060b6586ece5d05cd96bcb1b185b807fa351aa94d246cdca86731f1332fb8a4";

    private readonly LetterRenderer _renderer = new();

    [Fact]
    public void Same_model_and_version_give_the_same_bytes()
    {
        var first = _renderer.Render("award-decision", 1, SampleModels.Load("award-decision"));
        var second = new LetterRenderer().Render("award-decision", 1, SampleModels.Load("award-decision"));

        Assert.Equal(first.Html, second.Html);
        Assert.Equal(first.Text, second.Text);
        Assert.Equal(first.HtmlSha256, second.HtmlSha256);
    }

    [Fact]
    public void Golden_hash_of_the_acknowledgement_letter_v1()
    {
        var letter = _renderer.Render("acknowledgement", 1, SampleModels.Load("acknowledgement"));
        Assert.Equal(AcknowledgementV1Sha256, letter.HtmlSha256);
    }

    [Theory]
    [MemberData(nameof(LetterSnapshotTests.Samples), MemberType = typeof(LetterSnapshotTests))]
    public void Html_is_canonical_and_HtmlSha256_is_the_hash_of_its_utf8_bytes(string sample)
    {
        var letter = _renderer.RenderLatest(SampleModels.TemplateId(sample), SampleModels.Load(sample));

        Assert.DoesNotContain('\r', letter.Html);
        Assert.DoesNotContain('\uFEFF', letter.Html);
        Assert.EndsWith("</html>\n", letter.Html, StringComparison.Ordinal);
        Assert.DoesNotContain(letter.Html.Split('\n'), line => line.EndsWith(' ') || line.EndsWith('\t'));
        Assert.DoesNotContain(letter.Text.Split('\n'), line => line.EndsWith(' ') || line.EndsWith('\t'));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(letter.Html))), letter.HtmlSha256);
        Assert.Matches("^[0-9a-f]{64}$", letter.HtmlSha256);
    }

    [Fact]
    public void Concurrent_renders_give_the_same_bytes_as_sequential_ones()
    {
        var expected = SampleModels.Names.ToDictionary(n => n, n => _renderer.RenderLatest(SampleModels.TemplateId(n), SampleModels.Load(n)).HtmlSha256);
        var work = Enumerable.Range(0, 200).Select(i => SampleModels.Names[i % SampleModels.Names.Count]).ToList();
        var results = new System.Collections.Concurrent.ConcurrentBag<(string Name, string Hash)>();

        Parallel.ForEach(work, new ParallelOptions { MaxDegreeOfParallelism = 8 }, name =>
            results.Add((name, _renderer.RenderLatest(SampleModels.TemplateId(name), SampleModels.Load(name)).HtmlSha256)));

        Assert.Equal(200, results.Count);
        Assert.All(results, r => Assert.Equal(expected[r.Name], r.Hash));
    }

    [Fact]
    public void Rendering_does_not_depend_on_the_current_culture()
    {
        var before = System.Globalization.CultureInfo.CurrentCulture;
        try
        {
            System.Globalization.CultureInfo.CurrentCulture = System.Globalization.CultureInfo.GetCultureInfo("nl-BE");
            var nl = _renderer.Render("award-decision", 1, SampleModels.Load("award-decision"));
            System.Globalization.CultureInfo.CurrentCulture = System.Globalization.CultureInfo.GetCultureInfo("en-US");
            var en = _renderer.Render("award-decision", 1, SampleModels.Load("award-decision"));
            Assert.Equal(nl.HtmlSha256, en.HtmlSha256);
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentCulture = before;
        }
    }

    [Fact]
    public void Canonical_form_normalises_line_endings_trailing_space_and_bom()
    {
        Assert.Equal("a\nb\n\nc\n", Canonical.Text("\uFEFFa  \r\nb\t\r\n\r\n\r\n\r\nc"));
    }
}
