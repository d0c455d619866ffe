using Microsoft.AspNetCore.Razor.TagHelpers;

namespace SubsidyEngine.Api.Ui;

/// <summary>
/// Gives every page form that posts a server-generated idempotency key (a hidden field, new each time the form is
/// rendered). The handler passes it to the command path (<see cref="UiPageModel.FormKey"/>), so a double submit of
/// the same rendered form (a double click, browser back and resubmit, a reload of the post) fires once and the second
/// post shows the first one's outcome.
/// </summary>
[HtmlTargetElement("form", Attributes = "method")]
public sealed class IdempotencyKeyTagHelper : TagHelper
{
    /// <summary>The hidden field's name.</summary>
    public const string Field = "idempotencyKey";

    /// <summary>After the form tag helper (which adds the antiforgery token), so the order of the hidden fields is stable.</summary>
    public override int Order => 1000;

    public override void Process(TagHelperContext context, TagHelperOutput output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var method = output.Attributes["method"]?.Value?.ToString();
        if (!string.Equals(method, "post", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        output.PostContent.AppendHtml($"<input type=\"hidden\" name=\"{Field}\" value=\"{Guid.NewGuid():N}\">");
    }
}
