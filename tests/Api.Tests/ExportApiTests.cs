using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ClosedXML.Excel;

namespace SubsidyEngine.Api.Tests;

/// <summary>Dossiers of Genk (one with formula-like text), Antwerpen shared with Genk, and Gent.</summary>
public sealed class ExportFactory : ApiFactory
{
    public const string Injection = "=HYPERLINK(\"http://evil.invalid\",\"klik\")";

    public Guid GenkDossier { get; private set; }

    public Guid SharedDossier { get; private set; }

    public Guid GentDossier { get; private set; }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        GenkDossier = await CreateAbcAsync(Genk, title: Injection);
        SharedDossier = await CreateAbcAsync(Antwerpen, participants: [Genk], title: "@SUM(1+1)");
        GentDossier = await CreateAbcAsync(Gent, title: "Gent; \"eigen\" dossier");
    }
}

/// <summary>
/// <c>GET /api/exports/{kind}.csv|.xlsx</c>: format (BOM, separator, header), scoping for a municipality (in SQL),
/// neutralised formula injection, unknown kinds and bad filters.
/// </summary>
public sealed class ExportApiTests(ExportFactory api) : IClassFixture<ExportFactory>
{
    private static async Task<(byte[] Bytes, string[] Lines)> CsvAsync(HttpClient client, string url)
    {
        var response = await client.GetAsync(url);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, Encoding.UTF8.GetString(bytes));
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
        return (bytes, Encoding.UTF8.GetString(bytes, 3, bytes.Length - 3).Split("\r\n", StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task An_officer_gets_every_dossier_as_csv_with_bom_header_and_separator()
    {
        using var officer = api.As("officer");
        var (bytes, lines) = await CsvAsync(officer, "/api/exports/dossiers.csv");
        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, bytes[..3]);
        Assert.Equal("dossier_id;reference;title;programme;call;owner;participants;workflow;workflow_version;state;requested_eur;allocated_eur;awarded_eur;created_at;updated_at", lines[0]);
        Assert.Equal(4, lines.Length);
        var gent = Assert.Single(lines, l => l.StartsWith(api.GentDossier.ToString("D"), StringComparison.Ordinal));
        Assert.Contains(";\"Gent; \"\"eigen\"\" dossier\";", gent, StringComparison.Ordinal); // RFC 4180 quoting
        Assert.Contains(";test/abc;1;A;", gent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_municipality_gets_only_its_own_and_shared_rows_in_csv_and_xlsx()
    {
        using var genk = api.As("genk");
        var (_, lines) = await CsvAsync(genk, "/api/exports/dossiers.csv");
        var ids = lines.Skip(1).Select(l => Guid.Parse(l[..36])).ToList();
        Assert.Equal(new[] { api.GenkDossier, api.SharedDossier }.Order(), ids.Order());
        Assert.DoesNotContain(api.GentDossier, ids);

        using var gent = api.As("gent");
        var (_, gentLines) = await CsvAsync(gent, "/api/exports/dossiers.csv");
        Assert.Equal([api.GentDossier], gentLines.Skip(1).Select(l => Guid.Parse(l[..36])).ToList());

        var xlsx = await genk.GetAsync("/api/exports/dossiers.xlsx");
        Assert.Equal(HttpStatusCode.OK, xlsx.StatusCode);
        Assert.Equal("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xlsx.Content.Headers.ContentType?.MediaType);
        using var workbook = new XLWorkbook(new MemoryStream(await xlsx.Content.ReadAsByteArrayAsync()));
        var sheet = workbook.Worksheet("dossiers");
        var rowIds = sheet.RowsUsed().Skip(1).Select(r => Guid.Parse(r.Cell(1).GetString())).ToList();
        Assert.Equal(2, rowIds.Count);
        Assert.DoesNotContain(api.GentDossier, rowIds);
    }

    [Fact]
    public async Task Formula_like_text_is_neutralised_in_csv_and_xlsx()
    {
        using var officer = api.As("officer");
        var (_, lines) = await CsvAsync(officer, "/api/exports/dossiers.csv");
        var genk = Assert.Single(lines, l => l.StartsWith(api.GenkDossier.ToString("D"), StringComparison.Ordinal));
        Assert.Contains(";\"'=HYPERLINK(\"\"http://evil.invalid\"\",\"\"klik\"\")\";", genk, StringComparison.Ordinal);
        var shared = Assert.Single(lines, l => l.StartsWith(api.SharedDossier.ToString("D"), StringComparison.Ordinal));
        Assert.Contains(";'@SUM(1+1);", shared, StringComparison.Ordinal);
        Assert.DoesNotContain(lines, l => l.Contains(";=", StringComparison.Ordinal) || l.Contains(";@", StringComparison.Ordinal) || l.Contains(";\"=", StringComparison.Ordinal));

        var xlsx = await officer.GetByteArrayAsync("/api/exports/dossiers.xlsx");
        using var workbook = new XLWorkbook(new MemoryStream(xlsx));
        var sheet = workbook.Worksheet(1);
        var row = sheet.RowsUsed().Single(r => r.Cell(1).GetString() == api.GenkDossier.ToString("D"));
        var title = row.Cell(3);
        Assert.False(title.HasFormula);
        Assert.Equal(XLDataType.Text, title.DataType);
        Assert.Equal("'" + ExportFactory.Injection, title.GetString());
    }

    [Fact]
    public async Task Unknown_kinds_are_404_and_bad_filters_are_400_naming_the_field()
    {
        using var officer = api.As("officer");
        var unknown = await officer.GetAsync("/api/exports/secrets.csv");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
        var bad = await officer.GetAsync("/api/exports/dossiers.csv?call=%01x");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var problem = JsonNode.Parse(await bad.Content.ReadAsStringAsync())!;
        Assert.NotNull(problem["errors"]?["call"]);

        var filtered = await CsvAsync(officer, "/api/exports/awards.csv?programme=plan-samenleven&call=2023");
        Assert.Single(filtered.Lines); // header only: no awards here
        Assert.StartsWith("dossier_id;reference;title;programme;call;owner;state;requested_eur;awarded_eur;advance_eur", filtered.Lines[0], StringComparison.Ordinal);
    }
}
