using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SubsidyEngine.Engine.Journal;

namespace SubsidyEngine.Engine.Tests.Runtime;

/// <summary>
/// The shortcuts replay takes in the canonical forms (numbers written as given when already normal, times written
/// without the date formatter, effects compared without a string) must give exactly the bytes of the general path:
/// every journal hash depends on them.
/// </summary>
public sealed class CanonicalFormTests
{
    [Theory]
    [InlineData("0")]
    [InlineData("1")]
    [InlineData("-1")]
    [InlineData("1.50")]
    [InlineData("0.000")]
    [InlineData("-0.5")]
    [InlineData("-0")]
    [InlineData("-0.0")]
    [InlineData("10.10")]
    [InlineData("123456789012345678")]
    [InlineData("1234567890123456789")]
    [InlineData("99999999999999999999999999999")]
    [InlineData("0.123456789")]
    [InlineData("0.1234567890")]
    [InlineData("-999999999999999999.999999999")]
    [InlineData("0.1234567890123456789012345678901")]
    [InlineData("1e3")]
    [InlineData("1E-2")]
    [InlineData("2.5e+1")]
    public void A_number_is_written_as_its_decimal_round_trip(string raw)
    {
        var expected = raw;
        if (decimal.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
        {
            var buffer = new System.Buffers.ArrayBufferWriter<byte>();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                writer.WriteNumberValue(d);
            }

            expected = Encoding.UTF8.GetString(buffer.WrittenSpan);
        }

        Assert.Equal("{\"n\":" + expected + "}", CanonicalJson.Serialize(JsonNode.Parse("{\"n\":" + raw + "}")));
    }

    [Theory]
    [InlineData("0001-01-01T00:00:00.000000Z")]
    [InlineData("2025-01-01T08:01:00.000000Z")]
    [InlineData("2026-11-23T00:59:59.123456Z")]
    [InlineData("9999-12-31T23:59:59.999999Z")]
    public void The_time_line_of_the_hashed_form_is_the_formatted_time(string time)
    {
        var t = JournalEvent.Truncate(DateTimeOffset.Parse(time, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal));
        var e = new JournalEvent { DossierId = Guid.NewGuid(), DossierSeq = 3, OccurredAt = t.AddTicks(7) };

        var lines = Encoding.UTF8.GetString(e.CanonicalBytes()).Split('\n');

        Assert.Equal(JournalEvent.FormatTime(t.AddTicks(7)), lines[3]);
        Assert.Equal(time, lines[3]);
    }

    [Fact]
    public void Matches_compares_with_the_serialised_text()
    {
        var node = new JsonObject { ["b"] = 1.50m, ["a"] = "é ü", ["c"] = new JsonArray(1, "x") };
        var text = CanonicalJson.Serialize(node);

        Assert.True(CanonicalJson.Matches(node, text));
        Assert.False(CanonicalJson.Matches(node, text.Replace("1.50", "1.5", StringComparison.Ordinal)));
        Assert.False(CanonicalJson.Matches(node, text.Replace("é", "e", StringComparison.Ordinal)));
        Assert.True(CanonicalJson.Matches(new JsonObject { ["a"] = 1 }, "{\"a\":1}"));
        Assert.False(CanonicalJson.Matches(new JsonObject { ["a"] = 1 }, "{\"a\":2}"));
        Assert.False(CanonicalJson.Matches(new JsonObject { ["a"] = 1 }, "{\"a\":1} "));
        Assert.Equal(Encoding.UTF8.GetByteCount(text), CanonicalJson.Utf8Length(node));
    }
}
