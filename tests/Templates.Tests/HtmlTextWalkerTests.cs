using SubsidyEngine.Templates.Tests.Reference;

namespace SubsidyEngine.Templates.Tests;

/// <summary>
/// The walker over AngleSharp's DOM (measured for issue 21, not used by the renderer): the same text as the frozen
/// reference for every approved letter, and where an HTML5 tree differs from the hand-built one on odd markup.
/// </summary>
public class HtmlTextWalkerTests
{
    [Fact]
    public void Every_approved_letter_gives_the_reference_text()
    {
        var letters = Directory.GetFiles(ApprovedFile.Directory, "*.html").Order(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(letters);
        foreach (var file in letters)
        {
            var html = File.ReadAllText(file);
            Assert.Equal(ReferenceHtmlText.ToPlainText(html), HtmlTextWalker.ToPlainText(html));
        }
    }

    [Theory]
    [InlineData("<p>a</p><p data-class=\"no-text\">b</p>")] // the reference's class pattern also matches data-class
    [InlineData("<td class=\"n<p>um\">")] // the reference ends a tag at the first '>', HTML5 not inside quotes
    [InlineData("<p class='no-text'>a</p>")] // the reference reads only double-quoted class attributes
    [InlineData("<ul><li>a<li>b</ul>")] // HTML5 closes an open li at the next li, the reference nests it
    public void Malformed_markup_is_where_an_html5_tree_differs(string html) =>
        Assert.NotEqual(ReferenceHtmlText.ToPlainText(html), HtmlTextWalker.ToPlainText(html));
}
