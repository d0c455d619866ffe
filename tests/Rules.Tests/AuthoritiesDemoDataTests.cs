using SubsidyEngine.Engine.Programmes;
using SubsidyEngine.Engine.Programmes.Model;

namespace SubsidyEngine.Rules.Tests;

public class AuthoritiesDemoDataTests
{
    private static string Generate()
    {
        using var reader = new StreamReader(TestData.MunicipalitiesPath);
        return AuthoritiesDemoData.ToCsv(AuthoritiesDemoData.Generate(reader));
    }

    /// <summary>
    /// The committed demo file is exactly what the generator makes. To regenerate after changing the generator:
    /// <c>REGENERATE_DEMO_DATA=1 dotnet test tests/Rules.Tests --filter AuthoritiesDemoDataTests</c>.
    /// </summary>
    [Fact]
    public void Committed_demo_authority_file_matches_the_generator()
    {
        var expected = Generate();
        if (Environment.GetEnvironmentVariable("REGENERATE_DEMO_DATA") == "1")
        {
            File.WriteAllText(TestData.DemoAuthoritiesPath, expected);
        }
        var committed = File.ReadAllText(TestData.DemoAuthoritiesPath);
        Assert.True(expected == committed,
            "data/authorities/flemish-authorities-demo.csv is stale: regenerate it with REGENERATE_DEMO_DATA=1 (see the test's comment).");
    }

    [Fact]
    public void Demo_file_says_the_counts_are_illustrative()
    {
        var head = File.ReadLines(TestData.DemoAuthoritiesPath).Take(5).ToList();
        Assert.Contains(head, line => line.StartsWith('#') && line.Contains("ILLUSTRATIVE", StringComparison.Ordinal));
    }

    [Fact]
    public void Demo_register_holds_300_municipalities_the_VGC_and_De_Rand()
    {
        var register = TestData.DemoAuthorities;
        Assert.Equal(302, register.Count);
        Assert.Equal(300, register.All.Count(a => a.Kind == AuthorityKind.Municipality));
        Assert.Equal(AuthorityKind.Vgc, register.Get("VGC").Kind);
        Assert.Equal(AuthorityKind.DeRand, register.Get("DE-RAND").Kind);
        Assert.Equal(["23098", "23099", "23100", "23101", "23102", "23103"],
            register.All.Where(a => a.IsFacilityMunicipality).Select(a => a.Id).ToArray());
    }

    [Fact]
    public void Between_50_and_60_municipalities_exceed_7500_alone_in_the_demo_data()
    {
        var alone = TestData.DemoAuthorities.All.Count(a => a.Kind == AuthorityKind.Municipality && a.NonEu14OriginResidents > 7500);
        Assert.InRange(alone, 50, 60);
    }

    [Fact]
    public void Anchored_municipalities_use_the_shares_from_the_sources()
    {
        var antwerp = TestData.DemoAuthorities.Get("11002");
        // 529,247 x 56% foreign roots x 85% non-EU-14 = 251,921.572 -> 251,921
        Assert.Equal(251_921, antwerp.NonEu14OriginResidents);
        Assert.Equal("Antwerpen", antwerp.Arrondissement);
    }

    [Fact]
    public void De_Rand_with_the_six_facility_municipalities_exceeds_7500_in_the_demo_data()
    {
        var total = TestData.DemoAuthorities.All.Where(a => a.IsFacilityMunicipality).Sum(a => a.NonEu14OriginResidents);
        Assert.True(total > 7500, $"facility municipalities total {total}");
    }
}
