namespace SubsidyEngine.Templates.Tests;

public class HtmlTextTests
{
    [Fact]
    public void Blocks_lists_tables_and_entities_become_plain_text()
    {
        const string Html = """
            <html><head><title>T</title><style>p { color: red; }</style></head><body>
            <p>Eerste   alinea
            met &amp; teken.</p>
            <div class="no-text">verborgen</div>
            <p>Regel 1<br>Regel 2</p>
            <ul><li>een</li><li>twee</li></ul>
            <ol><li>a</li><li>b</li></ol>
            <table><thead><tr><th>Actie</th><th class="num">Bedrag</th></tr></thead>
            <tbody><tr><td>Oefenkans</td><td class="num">€ 60,00</td></tr><tr><td>Brugfiguur</td><td class="num">€ 1.320,00</td></tr></tbody></table>
            </body></html>
            """;

        Assert.Equal(
            "Eerste alinea met & teken.\n\nRegel 1\nRegel 2\n\n- een\n- twee\n\n1. a\n2. b\n\n"
            + "Actie           Bedrag\n----------------------\nOefenkans      € 60,00\nBrugfiguur  € 1.320,00\n",
            HtmlText.ToPlainText(Html));
    }

    [Fact]
    public void Long_paragraphs_wrap_at_78_characters()
    {
        var text = HtmlText.ToPlainText("<p>" + string.Join(' ', Enumerable.Repeat("woord", 40)) + "</p>");
        Assert.All(text.TrimEnd('\n').Split('\n'), line => Assert.True(line.Length <= 78, line));
    }
}
