using System.Text.RegularExpressions;

namespace SubsidyEngine.Rules.Tests;

/// <summary>
/// The Engine's folders tell its design only while their dependencies keep to it (issue 21): the pure rules see the
/// programme model and nothing else of the Engine (before, they imported <c>Programmes</c> while
/// <c>ProgrammeGuards</c> imported the rules: a namespace cycle), and the journal depends on no other part of the
/// Engine. Checked on the source: every <c>using</c>, every qualified name and every <c>cref</c> of a file is resolved
/// against the namespaces the Engine declares.
/// </summary>
public sealed partial class EngineDependencyTests
{
    private const string Engine = "SubsidyEngine.Engine";

    [Fact]
    public void The_rules_use_only_the_programme_model_of_the_engine()
    {
        var violations = Violations("Rules", $"{Engine}.Rules", $"{Engine}.Programmes.Model");
        Assert.True(violations.Count == 0, "The rules must depend on no Engine namespace but Programmes.Model:\n" + string.Join("\n", violations));
    }

    [Fact]
    public void The_journal_uses_no_other_part_of_the_engine()
    {
        var violations = Violations("Journal", $"{Engine}.Journal");
        Assert.True(violations.Count == 0, "The journal must depend on no other Engine namespace:\n" + string.Join("\n", violations));
    }

    [Fact]
    public void The_check_finds_a_using_a_qualified_name_and_a_cref()
    {
        var namespaces = EngineNamespaces();
        string[] allowed = [$"{Engine}.Rules", $"{Engine}.Programmes.Model"];

        Assert.Contains($"{Engine}.Programmes", Uses("using SubsidyEngine.Engine.Programmes;", $"{Engine}.Rules", namespaces, allowed));
        Assert.Contains($"{Engine}.Runtime", Uses("var x = Runtime.Roles.Officer;", $"{Engine}.Rules", namespaces, allowed));
        Assert.Contains($"{Engine}.Programmes", Uses("/// <see cref=\"Programmes.ProgrammeGuards\"/>", $"{Engine}.Rules", namespaces, allowed));
        Assert.Contains($"{Engine}.Access", Uses("Engine.Access.AccessScope? scope;", $"{Engine}.Rules", namespaces, allowed));
        Assert.Empty(Uses("using SubsidyEngine.Engine.Programmes.Model;\nusing SubsidyEngine.Workflows.Formats;\nProgrammes.Model.Call c;", $"{Engine}.Rules", namespaces, allowed));
    }

    /// <summary>Every Engine namespace outside <paramref name="allowed"/> a file of <c>src/Engine/{folder}</c> refers to, as "file: namespace".</summary>
    private static List<string> Violations(string folder, params string[] allowed)
    {
        var namespaces = EngineNamespaces();
        Assert.Contains($"{Engine}.Runtime", namespaces);
        Assert.Contains($"{Engine}.Programmes.Model", namespaces);
        var files = Directory.GetFiles(TestData.PathIn("src", "Engine", folder), "*.cs", SearchOption.AllDirectories);
        Assert.NotEmpty(files);
        var violations = new List<string>();
        foreach (var file in files)
        {
            var text = File.ReadAllText(file);
            var own = NamespaceDeclaration().Match(text) is { Success: true } m ? m.Groups[1].Value : Engine;
            violations.AddRange(Uses(text, own, namespaces, allowed).Select(n => $"{Path.GetFileName(file)}: {n}"));
        }

        return violations;
    }

    /// <summary>The namespaces declared by the files of <c>src/Engine</c>.</summary>
    private static HashSet<string> EngineNamespaces() =>
        Directory.GetFiles(TestData.PathIn("src", "Engine"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                        && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(f => NamespaceDeclaration().Match(File.ReadAllText(f)))
            .Where(m => m.Success)
            .Select(m => m.Groups[1].Value)
            .ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// The Engine namespaces outside <paramref name="allowed"/> that <paramref name="text"/> names: each dotted name is
    /// resolved as C# would from inside <paramref name="ownNamespace"/> (as written, then relative to each enclosing
    /// namespace) to the longest Engine namespace it starts with.
    /// </summary>
    private static SortedSet<string> Uses(string text, string ownNamespace, HashSet<string> namespaces, string[] allowed)
    {
        var enclosing = new List<string> { string.Empty };
        var parts = ownNamespace.Split('.');
        for (var i = 1; i <= parts.Length; i++)
        {
            enclosing.Add(string.Join('.', parts[..i]) + ".");
        }

        var found = new SortedSet<string>(StringComparer.Ordinal);
        foreach (Match chain in DottedName().Matches(NamespaceDeclaration().Replace(text, string.Empty)))
        {
            foreach (var prefix in enclosing)
            {
                var candidate = prefix + chain.Value;
                var target = namespaces.Where(n => candidate == n || candidate.StartsWith(n + ".", StringComparison.Ordinal)).MaxBy(n => n.Length);
                if (target is not null && !allowed.Contains(target))
                {
                    found.Add(target);
                }
            }
        }

        return found;
    }

    [GeneratedRegex(@"^\s*namespace\s+([A-Za-z0-9_.]+)", RegexOptions.Multiline)]
    private static partial Regex NamespaceDeclaration();

    [GeneratedRegex(@"(?<![A-Za-z0-9_.])[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+")]
    private static partial Regex DottedName();
}
