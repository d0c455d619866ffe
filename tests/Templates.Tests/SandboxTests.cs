using System.Text.Json.Nodes;

namespace SubsidyEngine.Templates.Tests;

/// <summary>The restricted template context: strictness, limits, escaping, no loader or builtin beyond ours.</summary>
public class SandboxTests
{
    private readonly LetterRenderer _renderer = new();
    private readonly LetterRenderer _test = new(TestCatalog.Instance);

    [Fact]
    public void Missing_model_field_is_an_error_naming_template_and_variable()
    {
        var model = SampleModels.Load("acknowledgement");
        model.Remove("submittedAt");

        var e = Assert.Throws<LetterRenderException>(() => _renderer.Render("acknowledgement", 1, model));

        Assert.Equal("acknowledgement", e.TemplateId);
        Assert.Equal(1, e.TemplateVersion);
        Assert.Contains("'acknowledgement' v1", e.Message, StringComparison.Ordinal);
        Assert.Contains("submittedAt", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_member_of_a_model_object_is_an_error_too()
    {
        var model = SampleModels.Load("award-decision");
        model["addressee"]!.AsObject().Remove("city");

        var e = Assert.Throws<LetterRenderException>(() => _renderer.Render("award-decision", 1, model));

        Assert.Contains("city", e.Message, StringComparison.Ordinal);
        Assert.Contains("addressee", e.Message, StringComparison.Ordinal); // the template line is quoted
    }

    [Fact]
    public void Missing_field_in_a_partial_names_the_partial_and_the_line()
    {
        var model = SampleModels.Load("award-decision");
        model.Remove("signatory");

        var e = Assert.Throws<LetterRenderException>(() => _renderer.Render("award-decision", 1, model));

        Assert.Contains("`signatory` was not found", e.Message, StringComparison.Ordinal);
        Assert.Contains("partial:signature.v1 line 3", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_number_outside_the_decimal_range_is_refused_with_its_path()
    {
        var model = SampleModels.Load("award-decision");
        model["rows"]![0]!["amount"] = 1.5e300;

        var e = Assert.Throws<LetterRenderException>(() => _renderer.Render("award-decision", 1, model));
        Assert.Contains("rows[0].amount", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_field_used_only_in_the_subject_line_is_an_error()
    {
        var model = SampleModels.Load("closure");
        model.Remove("callName");

        var e = Assert.Throws<LetterRenderException>(() => _renderer.Render("closure", 1, model));
        Assert.Contains("callName", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_report_reminder_stage_is_refused()
    {
        var model = SampleModels.Load("report-reminder.30-days");
        model["stage"] = "14-days";

        var e = Assert.Throws<LetterRenderException>(() => _renderer.Render("report-reminder", 1, model));
        Assert.Contains("14-days", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Markup_in_user_typed_text_is_escaped_everywhere()
    {
        var model = SampleModels.Load("continuation-decision");
        const string Evil = "<script>alert('x')</script><b onmouseover=\"x\">Gemeente & Co</b>";
        model["addressee"]!["name"] = Evil;
        model["cc"]!.AsArray().Add(new JsonObject { ["name"] = Evil });
        model["rows"]![1]!["motivation"] = Evil;
        model["callName"] = Evil;

        var letter = _renderer.Render("continuation-decision", 1, model);

        Assert.DoesNotContain("<script", letter.Html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<b onmouseover", letter.Html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&lt;b onmouseover=&quot;x&quot;&gt;Gemeente &amp; Co&lt;/b&gt;", letter.Html, StringComparison.Ordinal);
        Assert.Contains(Evil, letter.Text, StringComparison.Ordinal); // the plain text shows what was typed
    }

    [Fact]
    public void Markup_in_the_subject_is_escaped_in_the_html_and_kept_literally_in_the_subject_line()
    {
        var model = SampleModels.Load("acknowledgement");
        model["reference"] = "<i>PS-1</i>";

        var letter = _renderer.Render("acknowledgement", 1, model);

        Assert.EndsWith("(<i>PS-1</i>)", letter.Subject, StringComparison.Ordinal);
        Assert.Contains("<title>Ontvangstbevestiging van uw subsidieaanvraag Plan Samenleven (&lt;i&gt;PS-1&lt;/i&gt;)</title>", letter.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("<i>", letter.Html, StringComparison.Ordinal);
    }

    [Fact]
    public void Template_code_in_user_typed_text_prints_literally()
    {
        var model = SampleModels.Load("award-decision");
        model["addressee"]!["name"] = "Gemeente {{ 1+1 }} {{ include 'letterhead.v1' }}";
        model["rows"]![0]!["action"] = "{{ for i in 1..1000000 }}x{{ end }}";

        var letter = _renderer.Render("award-decision", 1, model);

        Assert.Contains("Gemeente {{ 1+1 }} {{ include &#39;letterhead.v1&#39; }}", letter.Html, StringComparison.Ordinal);
        Assert.Contains("{{ for i in 1..1000000 }}x{{ end }}", letter.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("Gemeente 2", letter.Html, StringComparison.Ordinal);
    }

    [Fact]
    public void A_value_cannot_be_evaluated_as_a_template()
    {
        var e = Assert.Throws<LetterRenderException>(() => _test.Render("eval", 1, new JsonObject { ["value"] = "{{ 1+1 }}" }));
        Assert.Contains("eval_template", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("now")]
    [InlineData("random")]
    public void Non_deterministic_builtins_are_not_available(string template)
    {
        Assert.Throws<LetterRenderException>(() => _test.Render(template, 1, new JsonObject()));
    }

    [Theory]
    [InlineData("include-file", "/etc/passwd")]
    [InlineData("include-unknown", "secret")]
    public void Only_embedded_partials_can_be_included(string template, string name)
    {
        var e = Assert.Throws<LetterRenderException>(() => _test.Render(template, 1, new JsonObject()));
        Assert.Contains($"Partial '{name}' is not one of the embedded partials", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Output_limit_fails_loudly_instead_of_truncating()
    {
        var renderer = new LetterRenderer(TestCatalog.Instance, new LetterRenderOptions { OutputLimit = 5_000, LoopLimit = 100_000 });

        Assert.Contains("0123456789", renderer.Render("output", 1, new JsonObject { ["count"] = 100 }).Html, StringComparison.Ordinal);
        var e = Assert.Throws<LetterRenderException>(() => renderer.Render("output", 1, new JsonObject { ["count"] = 1_000 }));
        Assert.Contains("OutputLimit", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Output_limit_also_covers_a_huge_model_value()
    {
        var renderer = new LetterRenderer(TestCatalog.Instance, new LetterRenderOptions { OutputLimit = 5_000 });
        var e = Assert.Throws<LetterRenderException>(() => renderer.Render("probe", 1, new JsonObject { ["value"] = new string('x', 10_000) }));
        Assert.Contains("limit", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Loop_limit_stops_a_long_loop()
    {
        var renderer = new LetterRenderer(TestCatalog.Instance, new LetterRenderOptions { LoopLimit = 50 });

        renderer.Render("loop", 1, new JsonObject { ["count"] = 40 });
        var e = Assert.Throws<LetterRenderException>(() => renderer.Render("loop", 1, new JsonObject { ["count"] = 51 }));
        Assert.Contains("LoopLimit", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Loop_limit_applies_to_model_arrays_in_real_letters()
    {
        var model = SampleModels.Load("award-decision");
        var rows = model["rows"]!.AsArray();
        for (var i = 0; i < 20; i++)
        {
            rows.Add(rows[0]!.DeepClone());
        }

        var renderer = new LetterRenderer(options: new LetterRenderOptions { LoopLimit = 10 });
        var e = Assert.Throws<LetterRenderException>(() => renderer.Render("award-decision", 1, model));
        Assert.Contains("iteration limit `10`", e.Message, StringComparison.Ordinal);
        Assert.Contains("for row in rows", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Recursion_limit_stops_runaway_recursion()
    {
        var e = Assert.Throws<LetterRenderException>(() => _test.Render("recursion", 1, new JsonObject()));
        Assert.Contains("recursive", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Model_cannot_shadow_functions_or_letter_variables()
    {
        var model = SampleModels.Load("closure");
        model["money"] = "x";
        model["subject"] = "y";

        var e = Assert.Throws<LetterRenderException>(() => _renderer.Render("closure", 1, model));
        Assert.Contains("money, subject", e.Message, StringComparison.Ordinal);
    }
}
