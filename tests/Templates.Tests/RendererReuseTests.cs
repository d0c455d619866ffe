using System.Text.Json.Nodes;

namespace SubsidyEngine.Templates.Tests;

/// <summary>
/// A renderer reuses its Scriban contexts between letters: every render must give exactly what a fresh renderer gives,
/// whatever was rendered (or failed) before on the same renderer, and the limits hold per render.
/// </summary>
public class RendererReuseTests
{
    [Fact]
    public void Every_sample_renders_the_same_on_a_busy_renderer_as_on_a_fresh_one()
    {
        var expected = SampleModels.Names.ToDictionary(n => n, n => new LetterRenderer().RenderLatest(SampleModels.TemplateId(n), SampleModels.Load(n)));
        var renderer = new LetterRenderer();
        var order = SampleModels.Names.Concat(SampleModels.Names.Reverse()).Concat(SampleModels.Names).ToList();
        foreach (var name in order)
        {
            Assert.Equal(expected[name], renderer.RenderLatest(SampleModels.TemplateId(name), SampleModels.Load(name)));

            // A failed render in between: it stops halfway through the letter (a missing field, in a partial for most
            // letters); the same error as on a fresh renderer.
            var broken = SampleModels.Load(name);
            broken.Remove(broken.First().Key);
            var fresh = Assert.Throws<LetterRenderException>(() => new LetterRenderer().RenderLatest(SampleModels.TemplateId(name), broken));
            var reused = Assert.Throws<LetterRenderException>(() => renderer.RenderLatest(SampleModels.TemplateId(name), broken));
            Assert.Equal(fresh.Message, reused.Message);
        }
    }

    [Fact]
    public void Concurrent_renders_on_one_renderer_give_the_same_letters()
    {
        var expected = SampleModels.Names.ToDictionary(n => n, n => new LetterRenderer().RenderLatest(SampleModels.TemplateId(n), SampleModels.Load(n)).HtmlSha256);
        var models = SampleModels.Names.ToDictionary(n => n, SampleModels.Load);
        var renderer = new LetterRenderer();
        Parallel.For(0, 400, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            var name = SampleModels.Names[i % SampleModels.Names.Count];
            Assert.Equal(expected[name], renderer.RenderLatest(SampleModels.TemplateId(name), models[name]).HtmlSha256);
        });
    }

    [Fact]
    public void Output_limit_counts_each_render_on_its_own()
    {
        var renderer = new LetterRenderer(TestCatalog.Instance, new LetterRenderOptions { OutputLimit = 5_000, LoopLimit = 100_000 });
        for (var i = 0; i < 20; i++)
        {
            // 20 renders of about 1,000 characters each: more than the limit together, far below it alone.
            Assert.Contains("0123456789", renderer.Render("output", 1, new JsonObject { ["count"] = 100 }).Html, StringComparison.Ordinal);
        }

        var e = Assert.Throws<LetterRenderException>(() => renderer.Render("output", 1, new JsonObject { ["count"] = 1_000 }));
        Assert.Contains("OutputLimit", e.Message, StringComparison.Ordinal);
        Assert.Contains("0123456789", renderer.Render("output", 1, new JsonObject { ["count"] = 100 }).Html, StringComparison.Ordinal);
    }

    [Fact]
    public void Loop_and_recursion_limits_hold_on_reused_contexts()
    {
        var renderer = new LetterRenderer(TestCatalog.Instance, new LetterRenderOptions { LoopLimit = 50 });
        for (var i = 0; i < 5; i++)
        {
            renderer.Render("loop", 1, new JsonObject { ["count"] = 40 });
            Assert.Contains("LoopLimit", Assert.Throws<LetterRenderException>(() => renderer.Render("loop", 1, new JsonObject { ["count"] = 51 })).Message, StringComparison.Ordinal);
            Assert.Contains("recursive", Assert.Throws<LetterRenderException>(() => renderer.Render("recursion", 1, new JsonObject())).Message, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void Escaping_stays_on_after_subjects_and_failures()
    {
        var renderer = new LetterRenderer(TestCatalog.Instance);
        for (var i = 0; i < 5; i++)
        {
            var html = renderer.Render("probe", 1, new JsonObject { ["value"] = "<b>x</b> & {{ 1 + 1 }}" }).Html;
            Assert.Contains("<p>&lt;b&gt;x&lt;/b&gt; &amp; {{ 1 + 1 }}</p>", html, StringComparison.Ordinal);
            Assert.Throws<LetterRenderException>(() => renderer.Render("probe", 1, new JsonObject()));
        }
    }
}
