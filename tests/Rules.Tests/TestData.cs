using SubsidyEngine.Engine.Programmes;
using SubsidyEngine.Engine.Programmes.Model;

namespace SubsidyEngine.Rules.Tests;

/// <summary>Paths into the repository and the real programme data, loaded once.</summary>
internal static class TestData
{
    private static readonly Lazy<Programme> PlanSamenlevenLazy = new(() => ProgrammeLoader.Load(PathIn("workflows", "plan-samenleven")));
    private static readonly Lazy<Programme> OefenkansenLazy = new(() => ProgrammeLoader.Load(PathIn("workflows", "oefenkansen-nederlands")));
    private static readonly Lazy<AuthorityRegister> DemoAuthoritiesLazy = new(() => AuthorityCsv.Load(DemoAuthoritiesPath));

    public static string RepoRoot { get; } = FindRepoRoot();

    public static string PathIn(params string[] parts) => Path.Combine([RepoRoot, .. parts]);

    public static string DemoAuthoritiesPath => PathIn("data", "authorities", "flemish-authorities-demo.csv");

    public static string MunicipalitiesPath => PathIn("data", "authorities", "flemish-municipalities-2020.csv");

    public static Programme PlanSamenleven => PlanSamenlevenLazy.Value;

    public static Programme Oefenkansen => OefenkansenLazy.Value;

    public static AuthorityRegister DemoAuthorities => DemoAuthoritiesLazy.Value;

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SubsidyEngine.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("Repository root (SubsidyEngine.sln) not found above " + AppContext.BaseDirectory);
    }
}
