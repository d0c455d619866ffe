using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace SubsidyEngine.Templates;

/// <summary>
/// The canonical form of rendered output, so equal input gives equal bytes on any machine: LF line endings, no
/// trailing spaces or tabs, no BOM, no leading empty lines, exactly one final LF; in text runs of empty lines
/// collapse to one, in HTML empty lines are removed (they carry no meaning there and come from template control
/// lines). Hashes are the lower-case hex SHA-256 of the UTF-8 bytes (no BOM) of that form.
/// </summary>
/// <remarks>
/// One pass over the input (every letter goes through it twice: HTML and text). The rules in order, as they were
/// first written with string replacements: CR LF and lone CR become LF; U+FEFF is removed (after the line endings, so
/// CR U+FEFF LF is two line breaks); spaces and tabs at the end of a line are removed; leading and trailing empty
/// lines are removed; runs of empty lines become one (text) or none (HTML); one final LF.
/// </remarks>
public static class Canonical
{
    /// <summary>Normalises rendered HTML or text as described on the type.</summary>
    public static string Text(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Normalise(text, keepOneEmptyLine: true);
    }

    /// <summary>As <see cref="Text(string)"/>, from characters that are not a string yet (the plain-text builder).</summary>
    internal static string Text(ReadOnlySpan<char> text) => Normalise(text, keepOneEmptyLine: true);

    /// <summary>Normalises rendered HTML: <see cref="Text(string)"/>, then without empty lines.</summary>
    public static string Html(string html)
    {
        ArgumentNullException.ThrowIfNull(html);
        return Normalise(html, keepOneEmptyLine: false);
    }

    /// <summary>Lower-case hex SHA-256 of the UTF-8 bytes (no BOM) of a string.</summary>
    public static string Sha256(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var max = Encoding.UTF8.GetMaxByteCount(text.Length);
        var rented = max <= 1024 ? null : ArrayPool<byte>.Shared.Rent(max);
        try
        {
            Span<byte> bytes = rented ?? stackalloc byte[1024];
            var length = Encoding.UTF8.GetBytes(text, bytes);
            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(bytes[..length], hash);
            return Convert.ToHexStringLower(hash);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static string Normalise(ReadOnlySpan<char> input, bool keepOneEmptyLine)
    {
        // Written in place: the output is never longer than the input plus the final LF. A line's separator is
        // written in front of it tentatively and dropped with the line if the line turns out empty.
        var buffer = ArrayPool<char>.Shared.Rent(input.Length + 1);
        try
        {
            var length = 0; // end of the output so far (the last written line, no separator after it)
            var emptyLinesBefore = 0; // empty lines since the last written line
            var anyLine = false;
            var i = 0;
            while (true)
            {
                var lineStart = length;
                if (anyLine)
                {
                    buffer[lineStart++] = '\n';
                    if (keepOneEmptyLine && emptyLinesBefore > 0)
                    {
                        buffer[lineStart++] = '\n';
                    }
                }

                // Copy one line without its terminator, dropping U+FEFF, then trim trailing spaces and tabs.
                var end = lineStart;
                while (i < input.Length)
                {
                    var run = input[i..].IndexOfAny('\n', '\r', '\uFEFF');
                    if (run < 0)
                    {
                        run = input.Length - i;
                    }

                    input.Slice(i, run).CopyTo(buffer.AsSpan(end));
                    end += run;
                    i += run;
                    if (i < input.Length && input[i] == '\uFEFF')
                    {
                        i++;
                        continue;
                    }

                    break;
                }

                while (end > lineStart && buffer[end - 1] is ' ' or '\t')
                {
                    end--;
                }

                if (end == lineStart)
                {
                    emptyLinesBefore++;
                }
                else
                {
                    anyLine = true;
                    length = end;
                    emptyLinesBefore = 0;
                }

                if (i >= input.Length)
                {
                    break;
                }

                // CR LF is one line break, a lone CR is one as well.
                i += input[i] == '\r' && i + 1 < input.Length && input[i + 1] == '\n' ? 2 : 1;
            }

            buffer[length++] = '\n';
            return new string(buffer, 0, length);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(buffer);
        }
    }
}
