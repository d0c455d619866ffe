using System.Diagnostics;
using System.Text.Json.Nodes;
using SubsidyEngine.Templates;
using SubsidyEngine.Templates.Pdf;

namespace SubsidyEngine.Bench;

/// <summary>
/// HTML letters per second (the award decision, the largest letter, rendered with its restricted Scriban context
/// and canonicalised and hashed) on all cores, and PDF letters per second through the one shared headless Chromium.
/// </summary>
public static class LettersScenario
{
    public static async Task<IReadOnlyList<string>> RunAsync(bool quick)
    {
        var model = JsonNode.Parse(File.ReadAllText(FindModel("award-decision.json")))!.AsObject();
        var renderer = new LetterRenderer();
        var first = renderer.Render("award-decision", 1, model);
        for (var i = 0; i < 200; i++)
        {
            renderer.Render("award-decision", 1, model); // warm-up
        }

        var seconds = quick ? 5 : 15;
        long html = 0;
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Environment.ProcessorCount).Select(_ => Task.Run(() =>
        {
            while (sw.Elapsed < TimeSpan.FromSeconds(seconds))
            {
                var letter = renderer.Render("award-decision", 1, model);
                if (letter.HtmlSha256 != first.HtmlSha256)
                {
                    throw new InvalidOperationException("the same model rendered to different bytes");
                }

                Interlocked.Increment(ref html);
            }
        })));
        var htmlPerSecond = html / sw.Elapsed.TotalSeconds;
        Console.WriteLine($"html letters: {htmlPerSecond:F0}/s on {Environment.ProcessorCount} threads, {first.Html.Length} characters each");

        await using var pdf = new PdfRenderer();
        await pdf.RenderAsync(first); // starts Chromium
        long pdfs = 0;
        sw.Restart();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (sw.Elapsed < TimeSpan.FromSeconds(seconds))
            {
                var bytes = await pdf.RenderAsync(first);
                if (bytes.Length < 1000)
                {
                    throw new InvalidOperationException("suspiciously small PDF");
                }

                Interlocked.Increment(ref pdfs);
            }
        })));
        var pdfPerSecond = pdfs / sw.Elapsed.TotalSeconds;
        Console.WriteLine($"pdf letters: {pdfPerSecond:F1}/s with 4 concurrent renders in one Chromium");
        return [$"RESULT letters html_per_s={htmlPerSecond:F0} pdf_per_s={pdfPerSecond:F1}"];
    }

    private static string FindModel(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "Templates.Tests", "Models", name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException(name);
    }
}
