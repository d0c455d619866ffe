using System.Text;
using System.Text.Json.Nodes;
using ClosedXML.Excel;
using SubsidyEngine.Engine.Exports;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Engine.Programmes;
using SubsidyEngine.Engine.Runtime;

namespace SubsidyEngine.Engine.Tests.Exports;

/// <summary>The pure parts behind the dashboard and the exports: the dashboard figures and the CSV/XLSX writer.</summary>
public sealed class CallDashboardAndExportWriterTests
{
    private static DossierSnapshot Snapshot(string state, JsonObject data) =>
        new(Guid.NewGuid(), "plan-samenleven/dossier", 1, state, 1, CanonicalJson.ParseObject(data.ToJsonString()), "h", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch); // as read from the database

    private static JsonObject Application(string owner, string[] participants, (string Code, int Funded, decimal Requested, decimal Allocated)[] rows, bool awarded, JsonObject? interim = null) => new()
    {
        ["owner"] = owner,
        ["participants"] = new JsonArray(participants.Select(p => (JsonNode)JsonValue.Create(p)!).ToArray()),
        ["amounts"] = new JsonObject
        {
            ["requestedTotalEur"] = rows.Sum(r => r.Requested),
            ["rows"] = new JsonArray(rows.Select(r => (JsonNode)new JsonObject { ["actionCode"] = r.Code, ["fundedReach"] = r.Funded, ["requestedEur"] = r.Requested }).ToArray()),
        },
        ["allocation"] = new JsonObject
        {
            ["allocatedEur"] = rows.Sum(r => r.Allocated),
            ["rows"] = new JsonArray(rows.Select(r => (JsonNode)new JsonObject { ["actionCode"] = r.Code, ["allocatedEur"] = r.Allocated }).ToArray()),
        },
        ["payment"] = awarded ? new JsonObject { ["awardEur"] = rows.Sum(r => r.Allocated) } : null,
        ["interimReport"] = interim is null ? null : new JsonObject { ["realised"] = interim },
    };

    [Fact]
    public void The_dashboard_counts_only_counted_applications_and_sums_pledged_against_realised()
    {
        var call = Snapshot("allocated", new JsonObject { ["call"] = new JsonObject { ["budgetEur"] = 100000m } });
        var apps = new[]
        {
            Snapshot("running", Application("71016", ["11002"], [("2.1", 500, 30000m, 30000m), ("5.4", 100, 32000m, 20000m)], awarded: true, new JsonObject { ["2.1"] = 60 })),
            Snapshot("interim-review", Application("11002", ["71016", "44021"], [("2.1", 100, 6000m, 6000m)], awarded: true, new JsonObject { ["2.1"] = 40 })),
            Snapshot("eligible", Application("44021", [], [("5.4", 10, 3200m, 0m)], awarded: false)),
            Snapshot("draft", Application("46021", ["99999"], [("2.1", 1000, 60000m, 0m)], awarded: false)),
        };
        var d = CallDashboard.Build(call, apps);
        Assert.Equal(100000m, d.BudgetEur);
        Assert.Equal(71200m, d.RequestedEur); // the draft does not count
        Assert.Equal(56000m, d.AllocatedEur);
        Assert.Equal(56000m, d.AwardedEur);
        Assert.Equal(44000m, d.UnallocatedEur);
        Assert.Equal((4, 3, 3, 3), (d.Applications, d.Counted, d.Submitters, d.Participants)); // 11002, 71016, 44021; not the draft's 99999
        var a21 = d.PerAction.Single(a => a.ActionCode == "2.1");
        Assert.Equal((2, 36000m, 36000m), (a21.Applications, a21.RequestedEur, a21.AllocatedEur));
        var k21 = d.Kpis.Single(k => k.ActionCode == "2.1");
        Assert.Equal((600, 100, 0, 2, 2), (k21.Pledged, k21.RealisedInterim, k21.RealisedFinal, k21.Awarded, k21.Reports));
        var k54 = d.Kpis.Single(k => k.ActionCode == "5.4");
        Assert.Equal((100, 0, 1, 0), (k54.Pledged, k54.RealisedInterim, k54.Awarded, k54.Reports)); // the eligible one is not awarded
    }

    [Theory]
    [InlineData("=1+1", "'=1+1")]
    [InlineData("+32 11 22 33 44", "'+32 11 22 33 44")]
    [InlineData("-2", "'-2")]
    [InlineData("@SUM(A1)", "'@SUM(A1)")]
    [InlineData("\tx", "'\tx")]
    [InlineData("\rx", "'\rx")]
    [InlineData("Genk", "Genk")]
    [InlineData("a=b", "a=b")]
    [InlineData("", "")]
    public void Formula_like_text_is_prefixed(string input, string expected) => Assert.Equal(expected, ExportWriter.Neutralise(input));

    [Fact]
    public async Task Csv_and_xlsx_write_amounts_as_decimals_and_text_neutralised()
    {
        var table = new ExportTable("awards",
            [new("reference", ExportColumnType.Text), new("amount_eur", ExportColumnType.Money), new("at", ExportColumnType.Moment), new("n", ExportColumnType.Integer)],
            [["=cmd|' /C calc'!A0", 1234.5m, new DateTimeOffset(2023, 5, 27, 8, 0, 0, TimeSpan.Zero), 3], [null, null, null, null]]);
        using var csv = new MemoryStream();
        await ExportWriter.WriteCsvAsync(table, csv);
        var text = Encoding.UTF8.GetString(csv.ToArray());
        Assert.Equal("\uFEFFreference;amount_eur;at;n\r\n'=cmd|' /C calc'!A0;1234.50;2023-05-27T10:00:00+02:00;3\r\n;;;\r\n", text);

        using var xlsx = new MemoryStream();
        ExportWriter.WriteXlsx(table, xlsx);
        xlsx.Position = 0;
        using var workbook = new XLWorkbook(xlsx);
        var sheet = workbook.Worksheet("awards");
        Assert.Equal("'=cmd|' /C calc'!A0", sheet.Cell(2, 1).GetString());
        Assert.False(sheet.Cell(2, 1).HasFormula);
        Assert.Equal(XLDataType.Number, sheet.Cell(2, 2).DataType);
        Assert.Equal(1234.5m, sheet.Cell(2, 2).GetValue<decimal>());
        Assert.Equal(ExportWriter.EuroFormat, sheet.Cell(2, 2).Style.NumberFormat.Format);
        Assert.Equal(new DateTime(2023, 5, 27, 10, 0, 0), sheet.Cell(2, 3).GetDateTime());
        Assert.True(sheet.Cell(3, 2).IsEmpty());
    }
}
