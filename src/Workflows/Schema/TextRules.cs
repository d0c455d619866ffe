namespace SubsidyEngine.Workflows.Schema;

/// <summary>
/// What free text may hold, everywhere a caller's text is stored (trigger arguments, user names, key labels,
/// reasons): no control characters (line breaks only where the field is multi-line) and no bidirectional
/// overrides or isolates, which make a name render as something else (e.g. "\u202Efdp.exe").
/// </summary>
public static class TextRules
{
    /// <summary>True when <paramref name="s"/> holds a control character (other than allowed line breaks and tabs) or a bidi override.</summary>
    public static bool HasUnsafeCharacters(string s, bool allowNewlines = false)
    {
        ArgumentNullException.ThrowIfNull(s);
        foreach (var ch in s)
        {
            if (char.IsControl(ch) && !(allowNewlines && ch is '\n' or '\r' or '\t'))
            {
                return true;
            }

            if (IsBidiControl(ch))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Bidirectional embeddings, overrides, isolates and marks (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C).</summary>
    public static bool IsBidiControl(char ch) => ch is (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069') or '\u200E' or '\u200F' or '\u061C';
}
