using SubsidyEngine.Engine.Programmes;

namespace SubsidyEngine.Rules.Tests;

public class AuthorityCsvTests
{
    [Fact]
    public void Csv_import_reports_every_bad_line_with_its_number_and_column()
    {
        const string csv = """
        # a comment line
        id,name,kind,arrondissement,province,inhabitants,non_eu14_origin_residents,facility_municipality,contact_email,address
        11001,Aartselaar,municipality,Antwerpen,Antwerpen,14427,1579,false,a@example.invalid,Somewhere
        11002,Antwerpen,city,Antwerpen,Antwerpen,529247,many,false,a@example.invalid,Somewhere
        11001,Dubbel,municipality,Antwerpen,Antwerpen,100,200,maybe,not-an-email,Somewhere
        123,,municipality,Antwerpen,Antwerpen,100,10,false,,
        """;
        var result = AuthorityCsv.Parse(new StringReader(csv), "authorities.csv");
        Assert.False(result.Succeeded);
        var messages = result.Problems.Select(p => $"{p.Path}: {p.Message}").ToList();
        Assert.Contains(messages, m => m.StartsWith("line 4: column kind", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("line 4: column non_eu14_origin_residents", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("line 5: column facility_municipality", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("line 5: column contact_email", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("line 5: column id: '11001' already used on line 3", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("line 5: column non_eu14_origin_residents: 200 exceeds", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("line 6: column id: a municipality's id", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("line 6: column name: is empty", StringComparison.Ordinal));
        Assert.All(result.Problems, p => Assert.Equal("authorities.csv", p.File));
    }

    [Fact]
    public void Csv_without_the_expected_columns_is_refused()
    {
        var result = AuthorityCsv.Parse(new StringReader("nis,name\n11001,Aartselaar\n"), "x.csv");
        Assert.False(result.Succeeded);
        Assert.Contains("missing column(s)", result.Problems.Single().Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Written_csv_reads_back_the_same_authorities()
    {
        var authorities = TestData.DemoAuthorities.All.Take(5).ToList();
        var text = new StringWriter();
        AuthorityCsv.Write(text, authorities, ["test"]);
        var back = AuthorityCsv.Parse(new StringReader(text.ToString()), "roundtrip");
        Assert.True(back.Succeeded);
        Assert.Equal(authorities, back.Register!.All);
    }
}
