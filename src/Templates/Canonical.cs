using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace SubsidyEngine.Templates;

/// <summary>
/// The canonical form of rendered output, so equal input gives equal bytes on any machine: LF line endings, no
/// trailing spaces or tabs, no BOM, no leading empty lines, exactly one final LF; in text runs of empty lines
/// collapse to one, in HTML empty lines are removed (they carry no meaning there and come from template control
/// lines). Hashes are the lower-case hex SHA-256 of the UTF-8 bytes (no BOM) of that form.
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

    /// <summary>Normalises rendered HTML: <see cref="Text"/>, then without empty lines.</summary>
    public static string Html(string html) => Text(html).Replace("\n\n", "\n", StringComparison.Ordinal);

    /// <summary>Lower-case hex SHA-256 of the UTF-8 bytes (no BOM) of a string.</summary>
    public static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    [GeneratedRegex(@"[ \t]+(?=\n|$)", RegexOptions.CultureInvariant)]
    private static partial Regex TrailingWhitespace();

    [GeneratedRegex(@"\n{3,}", RegexOptions.CultureInvariant)]
    private static partial Regex BlankLines();
}
