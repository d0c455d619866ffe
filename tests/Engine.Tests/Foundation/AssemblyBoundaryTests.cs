using System.Xml.Linq;
using SubsidyEngine.Engine.Tests.Programmes;

namespace SubsidyEngine.Engine.Tests.Foundation;

/// <summary>
/// The production Engine carries neither the tools (embedded cluster, demo, simulation) nor a browser (issue 21,
/// docs/decisions/2026-12-07-tools-and-pdf-assemblies.md): checked on the project files, following project references,
/// and on the compiled assemblies' references.
/// </summary>
public sealed class AssemblyBoundaryTests
{
    private static readonly string[] Forbidden = ["SubsidyEngine.Tools", "SubsidyEngine.Pdf", "Microsoft.Playwright"];

    [Theory]
    [InlineData("src/Engine/SubsidyEngine.Engine.csproj")]
    [InlineData("src/Templates/SubsidyEngine.Templates.csproj")]
    [InlineData("src/Workflows/SubsidyEngine.Workflows.csproj")]
    public void The_engine_and_what_it_references_reference_no_tools_pdf_or_playwright(string project)
    {
        var references = Closure(Path.Combine(ProgrammeHarness.RepoRoot, project));
        Assert.NotEmpty(references);
        foreach (var name in Forbidden)
        {
            Assert.DoesNotContain(references, r => r.Contains(name, StringComparison.OrdinalIgnoreCase));
        }
    }

    [Fact]
    public void The_check_sees_a_forbidden_reference_through_a_project_reference()
    {
        // The host references both; the closure of src/Api must show them, or the check above could not fail.
        var references = Closure(Path.Combine(ProgrammeHarness.RepoRoot, "src/Api/SubsidyEngine.Api.csproj"));
        Assert.Contains(references, r => r.EndsWith("SubsidyEngine.Tools.csproj", StringComparison.Ordinal));
        Assert.Contains(references, r => r.Contains("Microsoft.Playwright", StringComparison.Ordinal));
    }

    [Fact]
    public void The_compiled_engine_and_templates_reference_no_tools_pdf_or_playwright()
    {
        foreach (var assembly in new[] { typeof(Engine.Hosting.EngineServices).Assembly, typeof(Templates.IPdfRenderer).Assembly })
        {
            var names = assembly.GetReferencedAssemblies().Select(a => a.Name ?? string.Empty).ToList();
            Assert.Contains(names, n => n.StartsWith("SubsidyEngine.", StringComparison.Ordinal) || n == "Scriban.Signed");
            foreach (var name in Forbidden)
            {
                Assert.DoesNotContain(name, names);
            }
        }
    }

    /// <summary>The project's package names and project files, following its project references (paths relative to each file).</summary>
    private static List<string> Closure(string project)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var found = new List<string>();
        var queue = new Queue<string>([Path.GetFullPath(project)]);
        while (queue.TryDequeue(out var file))
        {
            if (!seen.Add(file))
            {
                continue;
            }

            var xml = XDocument.Load(file);
            foreach (var item in xml.Descendants())
            {
                var include = item.Attribute("Include")?.Value;
                if (include is null)
                {
                    continue;
                }

                if (item.Name.LocalName == "PackageReference")
                {
                    found.Add(include);
                }
                else if (item.Name.LocalName == "ProjectReference")
                {
                    var path = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, include.Replace('\\', Path.DirectorySeparatorChar)));
                    found.Add(path);
                    queue.Enqueue(path);
                }
            }
        }

        return found;
    }
}
