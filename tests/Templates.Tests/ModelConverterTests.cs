using System.Globalization;
using System.Text;
using SubsidyEngine.Templates.Internal;

namespace SubsidyEngine.Templates.Tests;

/// <summary>Numbers read from the UTF-8 bytes of parsed JSON are the same values (type, value and scale) as read from their text.</summary>
public class ModelConverterTests
{
    [Fact]
    public void Utf8_and_text_number_parsing_agree()
    {
        var texts = new List<string>
        {
            "0", "-0", "1", "-1", "60", "25000.00", "233220.00", "0.5", "1.50", "-1.234", "1e3", "1E3", "1e-2", "-2.5E+2", "1.0e0",
            "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809", "79228162514264337593543950335",
            "79228162514264337593543950336", "1.5e300", "1e-30", "0.1000000000000000000000000000001", "123456789012345678901234567890.5",
        };
        var random = new Random(5);
        for (var i = 0; i < 2_000; i++)
        {
            var digits = new string([.. Enumerable.Range(0, random.Next(1, 32)).Select(_ => (char)('0' + random.Next(10)))]);
            var text = (random.Next(4) == 0 ? "-" : string.Empty) + digits.TrimStart('0').PadLeft(1, '0');
            if (random.Next(2) == 0)
            {
                text += "." + new string([.. Enumerable.Range(0, random.Next(1, 12)).Select(_ => (char)('0' + random.Next(10)))]);
            }

            if (random.Next(5) == 0)
            {
                text += (random.Next(2) == 0 ? "e" : "E-") + random.Next(0, 40).ToString(CultureInfo.InvariantCulture);
            }

            texts.Add(text);
        }

        foreach (var text in texts)
        {
            var fromText = ModelConverter.ToNumber(text);
            var fromUtf8 = ModelConverter.ToNumber(Encoding.UTF8.GetBytes(text));
            Assert.Equal(fromText?.GetType(), fromUtf8?.GetType());
            if (fromText is decimal d)
            {
                // Same value and same scale (the scale shows in formatting).
                Assert.Equal(decimal.GetBits(d), decimal.GetBits((decimal)fromUtf8!));
            }
            else
            {
                Assert.Equal(fromText, fromUtf8);
            }
        }
    }
}
