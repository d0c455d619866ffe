namespace SubsidyEngine.Workflows.Schema;

/// <summary>
/// What free text may hold, everywhere a caller's text is stored (trigger arguments, user names, key labels,
/// reasons): no control characters (line breaks only where the field is multi-line; on one line the Unicode line and
/// paragraph separators U+2028 and U+2029 are line breaks too) and no bidirectional overrides or isolates, which make a
/// name render as something else (e.g. "\u202Efdp.exe").
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

            if (IsBidiControl(ch) || (!allowNewlines && ch is '\u2028' or '\u2029'))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when <paramref name="s"/> breaks the line: CR, LF, NEL (U+0085), or the line or paragraph separator (U+2028, U+2029).</summary>
    public static bool HasLineBreak(string s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return s.AsSpan().IndexOfAny("\r\n\u0085\u2028\u2029") >= 0;
    }

    /// <summary>Bidirectional embeddings, overrides, isolates and marks (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C).</summary>
    public static bool IsBidiControl(char ch) => ch is (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069') or '\u200E' or '\u200F' or '\u061C';
}
