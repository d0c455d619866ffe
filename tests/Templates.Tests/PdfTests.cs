using System.Diagnostics;
using System.Text.Json.Nodes;
using SubsidyEngine.Pdf;

namespace SubsidyEngine.Templates.Tests;

/// <summary>One browser for the PDF tests of this class.</summary>
public sealed class PdfRendererFixture : IAsyncLifetime
{
    public PdfRenderer Renderer { get; } = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await Renderer.DisposeAsync();
}

/// <summary>
/// Real PDFs through headless Chromium. Nothing is skipped: without /usr/bin/chromium, qpdf or pdftotext these tests
/// fail and say what to install (scripts/install-prerequisites.sh).
/// </summary>
public class PdfTests(PdfRendererFixture fixture) : IClassFixture<PdfRendererFixture>
{
    private readonly LetterRenderer _letters = new();

    [Fact]
    public async Task Award_decision_pdf_is_valid_A4_and_shows_the_nl_BE_amounts()
    {
        var model = SampleModels.Load("award-decision");
        // A programme-wide row from DOMAIN.md: 67,181 Dutch practice opportunities x EUR 60 = EUR 4,030,860.
        model["rows"]![0]!["planned"] = 67181;
        model["rows"]![0]!["amount"] = "4030860.00";
        var letter = _letters.Render("award-decision", 1, model);

        var pdf = await fixture.Renderer.RenderAsync(letter);
        var path = Path.Combine(Path.GetTempPath(), $"award-decision-{Guid.NewGuid():N}.pdf");
        await File.WriteAllBytesAsync(path, pdf);
        try
        {
            Assert.StartsWith("%PDF-", System.Text.Encoding.ASCII.GetString(pdf, 0, 5), StringComparison.Ordinal);
            var check = Run("/usr/bin/qpdf", "--check", path);
            Assert.True(check.ExitCode == 0, "qpdf --check failed: " + check.Output);

            var text = Run("/usr/bin/pdftotext", "-layout", path, "-").Output;
            Assert.Contains("€ 4.030.860,00", text, StringComparison.Ordinal);
            Assert.Contains("67.181", text, StringComparison.Ordinal);
            Assert.Contains("€ 233.220,00", text, StringComparison.Ordinal);
            Assert.Contains("onder voorbehoud", text, StringComparison.Ordinal);
            Assert.Contains("Agentschap Binnenlands Bestuur", text, StringComparison.Ordinal);

            var info = Run("/usr/bin/pdfinfo", path).Output;
            Assert.Matches(@"Page size:\s+59[56]\.\d+ x 84[12]\.\d+ pts \(A4\)", info);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Concurrent_renders_share_one_browser()
    {
        var tasks = SampleModels.Names.Take(6)
            .Select(name => _letters.RenderLatest(SampleModels.TemplateId(name), SampleModels.Load(name)))
            .Select(letter => fixture.Renderer.RenderAsync(letter))
            .ToList();

        var pdfs = await Task.WhenAll(tasks);

        Assert.All(pdfs, pdf => Assert.True(pdf.Length > 1000));
    }

    [Fact]
    public async Task A_browser_that_died_is_started_again()
    {
        await using var renderer = new PdfRenderer();
        var letter = _letters.Render("closure", 1, SampleModels.Load("closure"));
        Assert.NotEmpty(await renderer.RenderAsync(letter));

        await renderer.KillBrowserForTestsAsync();

        Assert.NotEmpty(await renderer.RenderAsync(letter));
    }

    [Fact]
    public async Task Missing_chromium_fails_with_a_clear_message()
    {
        await using var renderer = new PdfRenderer(new PdfRendererOptions { ExecutablePath = "/nonexistent/chromium" });
        var e = await Assert.ThrowsAsync<PdfRendererUnavailableException>(() => renderer.RenderAsync("<p>x</p>"));
        Assert.Contains("install-prerequisites.sh", e.Message, StringComparison.Ordinal);
    }

    private static (int ExitCode, string Output) Run(string tool, params string[] args)
    {
        Assert.True(File.Exists(tool), $"{tool} is missing: run scripts/install-prerequisites.sh (as root) or apt-get install qpdf poppler-utils.");
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
