using System.Text;
using SubsidyEngine.Templates.Tests.Reference;

namespace SubsidyEngine.Templates.Tests;

/// <summary>
/// The plain-text derivation against a frozen copy of its previous implementation (<see cref="ReferenceHtmlText"/>):
/// the approved letters and a few thousand generated variants of them (seeded, so a failure repeats) must give the
/// same text, character for character. The letter snapshots cover the markup our templates produce; this covers the
/// odd markup a template change could introduce.
/// </summary>
public class HtmlTextDifferentialTests
{
    private static readonly string[] Fragments =
    [
        "<p>", "</p>", "<div>", "</div>", "<br>", "<br/>", "<hr>", "<ul>", "</ul>", "<ol>", "</ol>", "<li>", "</li>",
        "<table>", "</table>", "<thead>", "</thead>", "<tbody>", "</tbody>", "<tr>", "</tr>", "<td>", "</td>", "<th>", "</th>",
        "<td class=\"num\">", "<td class = \"x num\">", "<th class=\"num\">", "<p class=\"no-text\">", "<div class='no-text'>",
        "<span class=\"subclass no-text\">", "<p data-class=\"no-text\">", "<p class=\"no-textual\">", "<P>", "</P>", "<TD class=\"num\">",
        "<strong>", "</strong>", "<em>", "</em>", "<a href=\"x\">", "</a>", "<style>p{}</style>", "<script>x<y</script>", "<title>t</title>",
        "<!-- comment <p> -->", "<!DOCTYPE html>", "<!x>", "<", ">", "< p>", "</ p>", "<p/>", "<img src=\"a\"/>", "<h1>", "</h1>", "<h2>", "</h2>",
        "&amp;", "&lt;", "&gt;", "&#39;", "&quot;", "&euro;", "&nbsp;", "&unknown;", "&", "€", "€ 1.234,56", " € ", "€\n1,00",
        " ", "  ", "\t", "\n", "\r\n", "\r", "\f", "\uFEFF", "-", "1.", "woord", "Volwassen anderstaligen nemen deel aan een oefenkans Nederlands",
        new string('x', 90), string.Join(' ', Enumerable.Repeat("lang", 30)),
    ];

    [Fact]
    public void Approved_letters_and_generated_variants_give_the_reference_text()
    {
        var letters = Directory.GetFiles(ApprovedFile.Directory, "*.html").Order(StringComparer.Ordinal).Select(File.ReadAllText).ToList();
        Assert.NotEmpty(letters);
        var random = new Random(20261123);
        var checkedInputs = 0;
        foreach (var letter in letters)
        {
            Check(letter);
            checkedInputs++;
        }

        for (var i = 0; i < 3_000; i++)
        {
            var input = i % 3 == 0 ? Fragment(random) : Mutate(letters[random.Next(letters.Count)], random);
            Check(input);
            checkedInputs++;
        }

        Assert.Equal(letters.Count + 3_000, checkedInputs);
    }

    [Fact]
    public void Repeated_conversions_on_one_thread_do_not_leak_state()
    {
        // The converter is reused per thread: a conversion must not see anything of the one before.
        var letters = Directory.GetFiles(ApprovedFile.Directory, "*.html").Order(StringComparer.Ordinal).Select(File.ReadAllText).ToList();
        var expected = letters.Select(ReferenceHtmlText.ToPlainText).ToList();
        for (var round = 0; round < 3; round++)
        {
            for (var i = letters.Count - 1; i >= 0; i--)
            {
                Assert.Equal(expected[i], HtmlText.ToPlainText(letters[i]));
                HtmlText.ToPlainText("<table><tr><td>" + new string('y', 5_000) + "</td></tr></table><ul><li>z"); // unbalanced, large
            }
        }
    }

    private static void Check(string html)
    {
        var expected = ReferenceHtmlText.ToPlainText(html);
        var actual = HtmlText.ToPlainText(html);
        if (expected != actual)
        {
            Assert.Fail($"plain text differs from the reference for input ({html.Length} chars):\n{html}\n--- expected\n{expected}\n--- actual\n{actual}");
        }
    }

    private static string Fragment(Random random)
    {
        var sb = new StringBuilder();
        var count = random.Next(1, 40);
        for (var i = 0; i < count; i++)
        {
            sb.Append(Fragments[random.Next(Fragments.Length)]);
        }

        return sb.ToString();
    }

    private static string Mutate(string letter, Random random)
    {
        var sb = new StringBuilder(letter);
        var edits = random.Next(1, 8);
        for (var i = 0; i < edits; i++)
        {
            var at = random.Next(sb.Length + 1);
            switch (random.Next(3))
            {
                case 0:
                    sb.Insert(at, Fragments[random.Next(Fragments.Length)]);
                    break;
                case 1:
                    sb.Remove(at, Math.Min(random.Next(1, 40), sb.Length - at));
                    break;
                default:
                    sb.Insert(at, Fragment(random));
                    break;
            }
        }

        return sb.ToString();
    }
}
