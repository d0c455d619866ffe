using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace SubsidyEngine.Templates.Tests;

/// <summary>The hostile test templates embedded in this test assembly (TestTemplates/).</summary>
internal static class TestCatalog
{
    public static LetterCatalog Instance { get; } = LetterCatalog.Load(typeof(TestCatalog).Assembly);
}

/// <summary>Calls one template function through a real render (TestTemplates/call.v1.sbn) and returns its output.</summary>
internal sealed partial class FunctionProbe(LetterRenderer renderer)
{
    public string Call(string function, JsonNode? value)
    {
        var html = renderer.Render("call", 1, new JsonObject { ["fn"] = function, ["value"] = value }).Html;
        return Paragraph().Match(html).Groups[1].Value;
    }

    [GeneratedRegex("<p>(.*)</p>")]
    private static partial Regex Paragraph();
}
