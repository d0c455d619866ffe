using System.Text.Json.Nodes;
using SubsidyEngine.Workflows.Expressions;

namespace SubsidyEngine.Engine.Tests.Runtime;

/// <summary>
/// Whether a guard compares the request's own arguments is read from the parsed guard, not from its text: the options
/// a screen offers leave such a guard to the fire (the arguments are not given yet).
/// </summary>
public sealed class GuardPathsTests
{
    private static GuardExpression Parse(string json)
    {
        var problems = new List<string>();
        var guard = GuardExpression.Parse(JsonNode.Parse(json), "$.guard", problems);
        Assert.Empty(problems);
        return guard!;
    }

    [Theory]
    [InlineData("""{"compare": ["args.date", "<=", "now"]}""", true)]
    [InlineData("""{"compare": ["now", ">=", "args.date"]}""", true)]
    [InlineData("""{"all": [{"compare": ["data.amount", ">", 0]}, {"not": {"compare": ["args.until", "exists"]}}]}""", true)]
    [InlineData("""{"compare": ["data.amount", ">", 0]}""", false)]
    [InlineData("""{"compare": ["data.note", "==", {"value": "args.x"}]}""", false)] // a literal that looks like a path
    [InlineData("\"application.valid\"", false)]
    public void A_guard_compares_arguments_only_where_one_of_its_comparisons_reads_args(string json, bool expected)
    {
        Assert.Equal(expected, Parse(json).ComparesArguments);
    }
}
