using System.Text;

namespace SubsidyEngine.Workflows.Formats;

/// <summary>
/// International bank account numbers (ISO 13616): the one mod-97 check of SubsidyEngine, used by the authority
/// register (its <c>iban</c> column), the letters that announce a payment, and the <c>iban</c> format of parameter
/// schemas. Letters print the grouped form (<c>BE68 5390 0754 7034</c>).
/// </summary>
public static class Iban
{
    /// <summary>
    /// Whether <paramref name="text"/> is an IBAN with valid check digits: two letters (country), two digits, then
    /// 11 to 30 letters or digits; spaces between groups are allowed; a Belgian IBAN has exactly 16 characters.
    /// </summary>
    public static bool IsValid(string? text)
    {
        var s = Normalize(text);
        if (s is null || s.Length is < 15 or > 34 || !char.IsAsciiLetterUpper(s[0]) || !char.IsAsciiLetterUpper(s[1])
            || !char.IsAsciiDigit(s[2]) || !char.IsAsciiDigit(s[3]) || !s.All(char.IsAsciiLetterOrDigit))
        {
            return false;
        }

        if (s.StartsWith("BE", StringComparison.Ordinal) && (s.Length != 16 || !s[2..].All(char.IsAsciiDigit)))
        {
            return false;
        }

        return Mod97(s[4..] + s[..4]) == 1;
    }

    /// <summary>The IBAN without spaces, upper case; null when it holds other characters than letters, digits and single spaces.</summary>
    public static string? Normalize(string? text)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Contains("  ", StringComparison.Ordinal) || text != text.Trim())
        {
            return null;
        }

        var s = text.Replace(" ", string.Empty, StringComparison.Ordinal).ToUpperInvariant();
        return s.All(char.IsAsciiLetterOrDigit) ? s : null;
    }

    /// <summary>The grouped form (groups of four, as printed on letters): <c>BE68 5390 0754 7034</c>.</summary>
    /// <exception cref="FormatException">Not a valid IBAN.</exception>
    public static string Format(string iban)
    {
        if (!IsValid(iban))
        {
            throw new FormatException($"'{iban}' is not a valid IBAN.");
        }

        var s = Normalize(iban)!;
        var sb = new StringBuilder(s.Length + (s.Length / 4));
        for (var i = 0; i < s.Length; i++)
        {
            if (i > 0 && i % 4 == 0)
            {
                sb.Append(' ');
            }

            sb.Append(s[i]);
        }

        return sb.ToString();
    }

    /// <summary>
    /// A Belgian IBAN for the 10-digit bank account number <paramref name="bankAndAccount"/> (3-digit bank code,
    /// 7-digit account) with its national check (mod 97 of the first 10 digits) and the IBAN check digits.
    /// </summary>
    public static string Belgian(long bankAndAccount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bankAndAccount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bankAndAccount, 9_999_999_999L);
        var national = bankAndAccount % 97;
        national = national == 0 ? 97 : national;
        var bban = $"{bankAndAccount:D10}{national:D2}";
        var check = 98 - Mod97(bban + "BE00");
        return Format($"BE{check:D2}{bban}");
    }

    private static int Mod97(string digitsAndLetters)
    {
        var remainder = 0;
        foreach (var c in digitsAndLetters)
        {
            if (char.IsAsciiDigit(c))
            {
                remainder = ((remainder * 10) + (c - '0')) % 97;
            }
            else
            {
                var v = c - 'A' + 10; // two digits
                remainder = ((remainder * 100) + v) % 97;
            }
        }

        return remainder;
    }
}
