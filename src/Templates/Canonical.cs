using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace SubsidyEngine.Templates;

/// <summary>
/// The canonical form of rendered output, so equal input gives equal bytes on any machine: LF line endings, no
/// trailing spaces or tabs, no BOM, runs of empty lines collapsed to one, no leading empty lines, exactly one final
/// LF. Hashes are the lower-case hex SHA-256 of the UTF-8 bytes (no BOM) of that form.
/// </summary>
public static partial class Canonical
{
    /// <summary>Normalises rendered HTML or text as described on the type.</summary>
    public static string Text(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var s = text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n').Replace("\uFEFF", string.Empty, StringComparison.Ordinal);
        s = TrailingWhitespace().Replace(s, string.Empty);
        s = BlankLines().Replace(s, "\n\n");
        return s.Trim('\n') + "\n";
    }

    /// <summary>Lower-case hex SHA-256 of the UTF-8 bytes (no BOM) of a string.</summary>
    public static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    [GeneratedRegex(@"[ \t]+(?=\n|$)", RegexOptions.CultureInvariant)]
    private static partial Regex TrailingWhitespace();

    [GeneratedRegex(@"\n{3,}", RegexOptions.CultureInvariant)]
    private static partial Regex BlankLines();
}
