namespace SubsidyEngine.Templates.Tests;

public class FormattingTests
{
    [Theory]
    [InlineData("0", "€ 0,00")]
    [InlineData("1234.56", "€ 1.234,56")]
    [InlineData("4030860", "€ 4.030.860,00")]
    [InlineData("999.999", "€ 1.000,00")]
    [InlineData("1234567.895", "€ 1.234.567,90")] // half away from zero
    [InlineData("1234567.885", "€ 1.234.567,89")] // not banker's rounding (that would give ,88)
    [InlineData("0.005", "€ 0,01")]
    [InlineData("-0.004", "€ 0,00")] // no negative zero
    [InlineData("-0.005", "€ -0,01")]
    [InlineData("-1234.56", "€ -1.234,56")]
    [InlineData("12", "€ 12,00")]
    [InlineData("123", "€ 123,00")]
    [InlineData("1000", "€ 1.000,00")]
    [InlineData("79228162514264337593543950335", "€ 79.228.162.514.264.337.593.543.950.335,00")]
    public void Money_is_formatted_nl_BE(string amount, string expected) =>
        Assert.Equal(expected, NlBeFormat.Money(decimal.Parse(amount, System.Globalization.CultureInfo.InvariantCulture)));

    [Theory]
    [InlineData("0", "0")]
    [InlineData("7", "7")]
    [InlineData("999", "999")]
    [InlineData("1000", "1.000")]
    [InlineData("67181", "67.181")]
    [InlineData("1234567", "1.234.567")]
    [InlineData("-7500", "-7.500")]
    [InlineData("58.20", "58,2")]
    [InlineData("12.0", "12")]
    public void Numbers_use_a_dot_for_thousands(string value, string expected) =>
        Assert.Equal(expected, NlBeFormat.Number(decimal.Parse(value, System.Globalization.CultureInfo.InvariantCulture)));

    [Theory]
    [InlineData(2022, 7, 1, "1 juli 2022")]
    [InlineData(2025, 12, 31, "31 december 2025")]
    [InlineData(2024, 2, 29, "29 februari 2024")]
    [InlineData(2023, 3, 9, "9 maart 2023")]
    [InlineData(2023, 5, 10, "10 mei 2023")]
    [InlineData(2023, 8, 15, "15 augustus 2023")]
    public void Dates_use_Dutch_month_names_without_leading_zero(int y, int m, int d, string expected) =>
        Assert.Equal(expected, NlBeFormat.Date(new DateOnly(y, m, d)));

    [Fact]
    public void Date_and_time_read_om_hh_mm()
    {
        Assert.Equal("1 juli 2022 om 12:00", NlBeFormat.DateTime(new DateTime(2022, 7, 1, 12, 0, 0, DateTimeKind.Unspecified)));
        Assert.Equal("10 juli 2023 om 09:05", NlBeFormat.DateTime(new DateTime(2023, 7, 10, 9, 5, 0, DateTimeKind.Unspecified)));
    }

    [Theory]
    [InlineData("2023-07-10T10:00:00Z", "2023-07-10T12:00:00")] // summer time, UTC+2
    [InlineData("2023-12-31T23:00:00Z", "2024-01-01T00:00:00")] // winter time, UTC+1
    [InlineData("2023-03-26T00:59:00Z", "2023-03-26T01:59:00")] // just before the switch to summer time
    [InlineData("2023-03-26T01:00:00Z", "2023-03-26T03:00:00")] // the switch
    [InlineData("2023-10-29T00:59:00Z", "2023-10-29T02:59:00")] // just before the switch back
    [InlineData("2023-10-29T01:00:00Z", "2023-10-29T02:00:00")]
    public void Instants_are_shown_in_Belgian_time_without_machine_tz_data(string instant, string expected)
    {
        var local = NlBeFormat.ToBelgianTime(DateTimeOffset.Parse(instant, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(DateTime.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), local);
    }

    [Fact]
    public void Template_functions_accept_numbers_and_exact_decimal_strings_but_never_doubles()
    {
        var renderer = new LetterRenderer(TestCatalog.Instance);
        var money = new FunctionProbe(renderer);
        Assert.Equal("€ 1.234,50", money.Call("money", "1234.50"));
        Assert.Equal("€ 1.234,50", money.Call("money", System.Text.Json.Nodes.JsonValue.Create(1234.5m)));
        Assert.Equal("€ 0,10", money.Call("money", System.Text.Json.Nodes.JsonValue.Create(0.1))); // a double in the model is read from its JSON text
        Assert.Equal("€ 60,00", money.Call("money", 60));
        Assert.Equal("67.181", money.Call("number", 67181));
        Assert.Equal("1 juli 2022", money.Call("date", "2022-07-01"));
        Assert.Equal("10 juli 2023 om 12:00", money.Call("datetime", "2023-07-10T12:00"));
        Assert.Equal("10 juli 2023 om 12:00", money.Call("datetime", "2023-07-10T10:00:00Z"));
        var e = Assert.Throws<LetterRenderException>(() => money.Call("money", "12,50"));
        Assert.Contains("exact decimal", e.Message, StringComparison.Ordinal);
        Assert.Throws<LetterRenderException>(() => money.Call("date", "01/07/2022"));
    }
}
