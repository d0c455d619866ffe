using System.Globalization;
using SubsidyEngine.Workflows.Compilation;
using SubsidyEngine.Workflows.Model;

namespace SubsidyEngine.Api.Ui;

/// <summary>The HTML constraint attributes of one input; null attributes are not rendered.</summary>
public sealed record InputConstraints(string? Min, string? Max, string? Step, int? MinLength, int? MaxLength, string? Pattern, bool Required);

/// <summary>
/// HTML input constraints (min, max, step, minlength, maxlength, pattern, required) from a definition's parameter
/// schema (<see cref="Workflows.Schema.ArgumentSchema"/>), so the browser helps before the server refuses. The
/// server stays the judge: it validates every argument against the same schema.
/// </summary>
public static class SchemaInputs
{
    // The schema's string formats as HTML patterns (anchored by the browser; the 'v' flag needs '-' escaped in classes).
    private static readonly Dictionary<string, string> Patterns = new(StringComparer.Ordinal)
    {
        ["code"] = @"[A-Za-z0-9][A-Za-z0-9._\-]{0,39}",
        ["authority"] = @"(?:[0-9]{5}|[A-Z][A-Z0-9\-]{1,19})",
        ["phone"] = @"\+?[0-9][0-9 .\/\(\)\-]{5,22}",
    };

    public static InputConstraints For(ParameterDefinition? p)
    {
        if (p is null)
        {
            return new InputConstraints(null, null, null, null, null, null, false);
        }

        var step = p.Type switch
        {
            "int" => "1",
            "decimal" => p.Format == "euro" ? "0.01" : "any",
            _ => null,
        };
        // Dates are typed as day/month/year in text fields (DateInput), whatever the browser's locale.
        var pattern = p.Type switch
        {
            "date" => DateInput.DatePattern,
            "datetime" => DateInput.DateTimePattern,
            _ => p.Format is { } f && Patterns.TryGetValue(f, out var known) ? known : null,
        };
        return new InputConstraints(
            p.Min?.ToString(CultureInfo.InvariantCulture), p.Max?.ToString(CultureInfo.InvariantCulture), step,
            p.MinLength, p.MaxLength, pattern, p.Required);
    }

    /// <summary>A member of the application table's rows in the definition's <c>save-draft</c> (or <c>update-application</c>) schema.</summary>
    public static ParameterDefinition? RowMember(CompiledWorkflow wf, string member)
    {
        ArgumentNullException.ThrowIfNull(wf);
        var trigger = wf.Definition.FindTrigger("save-draft") ?? wf.Definition.FindTrigger("update-application");
        var application = trigger?.Parameters.FirstOrDefault(p => p.Name == "application");
        var rows = application?.Properties?.FirstOrDefault(p => p.Name == "rows");
        return rows?.Items?.Properties?.FirstOrDefault(p => p.Name == member);
    }
}
