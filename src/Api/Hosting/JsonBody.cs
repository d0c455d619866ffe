using SubsidyEngine.Workflows.Schema;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Net.Http.Headers;
using SubsidyEngine.Engine.Runtime;

namespace SubsidyEngine.Api.Hosting;

/// <summary>
/// Reads a JSON object body with the service's limits: JSON content type (415), at most 1 MiB (413), well-formed
/// UTF-8 JSON without duplicate names or deep nesting, no NUL characters or lone surrogates anywhere (PostgreSQL
/// jsonb and our canonical form cannot hold them) (400). Every refusal is a <see cref="BadHttpRequestException"/>
/// or an <see cref="ArgumentValidationException"/>, so it becomes problem details, never a 500.
/// </summary>
internal static class JsonBody
{
    public const int MaxBytes = 1024 * 1024;

    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 32, AllowDuplicateProperties = false, CommentHandling = JsonCommentHandling.Disallow, AllowTrailingCommas = false };

    /// <summary>The body as an object; an empty body is <paramref name="emptyAs"/> (null: required).</summary>
    public static async Task<JsonObject> ReadObjectAsync(HttpRequest request, JsonObject? emptyAs, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxBytes)
        {
            throw new BadHttpRequestException($"The request body is larger than {MaxBytes} bytes.", StatusCodes.Status413PayloadTooLarge);
        }

        var buffer = new MemoryStream();
        // Rented, not allocated: a fresh 16 KB array per request was zeroed and collected at every request's cost.
        var chunk = System.Buffers.ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > MaxBytes)
                {
                    throw new BadHttpRequestException($"The request body is larger than {MaxBytes} bytes.", StatusCodes.Status413PayloadTooLarge);
                }

                buffer.Write(chunk, 0, read);
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(chunk);
        }

        if (buffer.Length == 0)
        {
            return emptyAs is not null ? (JsonObject)emptyAs.DeepClone() : throw new BadHttpRequestException("A JSON object body is required.");
        }

        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type) ||
            !(type.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) || type.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase)) ||
            (type.Charset.HasValue && !type.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase)))
        {
            throw new BadHttpRequestException("The body must be JSON (Content-Type: application/json; charset=utf-8).", StatusCodes.Status415UnsupportedMediaType);
        }

        var bytes = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
        if (!System.Text.Unicode.Utf8.IsValid(bytes))
        {
            // The JSON reader only notices bad UTF-8 inside strings when they are read, later: refuse it here.
            throw Malformed("The body is not valid UTF-8.", "De inhoud is geen geldige UTF-8-tekst.");
        }

        JsonNode? node;
        try
        {
            node = JsonNode.Parse(bytes, documentOptions: Options);
        }
        catch (JsonException e)
        {
            // Malformed or nested deeper than MaxDepth: a 400 naming the body ($) like every other bad argument.
            throw Malformed($"The body is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}; at most {Options.MaxDepth} levels deep).",
                $"De inhoud is geen geldige JSON (regel {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}; hoogstens {Options.MaxDepth} niveaus diep).");
        }

        if (node is not JsonObject obj)
        {
            throw Malformed("The body must be a JSON object.", "De inhoud moet een JSON-object zijn.");
        }

        string? bad;
        try
        {
            // Walking the tree reads every name and string once, so escapes that cannot become a string
            // (e.g. "\ud800" without its pair) fail here rather than deep inside the runtime.
            bad = FindBadString(obj, "$");
        }
        catch (InvalidOperationException)
        {
            bad = "$";
        }

        if (bad is not null)
        {
            throw new ArgumentValidationException([new FieldError(bad, "contains a NUL character or an unpaired surrogate")]);
        }

        return obj;
    }

    /// <summary>
    /// For an operation that takes no arguments (the server reads what it needs): the body may be empty or <c>{}</c>;
    /// a member in it is refused with 400 naming it, never silently ignored.
    /// </summary>
    public static async Task NoMembersAsync(HttpRequest request, CancellationToken cancellationToken) =>
        OnlyMembers(await ReadObjectAsync(request, emptyAs: [], cancellationToken));

    /// <summary>Refuses members other than <paramref name="allowed"/> (e.g. a forged <c>role</c> in a body).</summary>
    public static void OnlyMembers(JsonObject body, params string[] allowed)
    {
        var errors = body.Where(kv => !allowed.Contains(kv.Key, StringComparer.Ordinal))
            .Select(kv => new FieldError(ArgumentSchema.Member("$", kv.Key), "is not a member of this request") { Rule = "unknown-member", Nl = $"{kv.Key}: is geen gegeven van dit verzoek" }).ToList();
        if (errors.Count > 0)
        {
            throw new ArgumentValidationException(errors);
        }
    }

    /// <summary>A required or optional string member, at most <paramref name="maxLength"/> characters, without control characters.</summary>
    public static string? String(JsonObject body, string name, bool required, int maxLength, List<FieldError> errors)
    {
        if (!body.TryGetPropertyValue(name, out var node) || node is null)
        {
            if (required)
            {
                errors.Add(new FieldError(name, "is required"));
            }

            return null;
        }

        if (node is not JsonValue v || !v.TryGetValue<string>(out var s))
        {
            errors.Add(new FieldError(name, "must be a string"));
            return null;
        }

        if (s.Length == 0 && required || s.Length > maxLength || TextRules.HasUnsafeCharacters(s))
        {
            errors.Add(new FieldError(name, $"must be 1 to {maxLength} characters without control characters or bidirectional overrides"));
            return null;
        }

        return s;
    }

    private static ArgumentValidationException Malformed(string en, string nl) => new([new FieldError("$", en) { Rule = "json", Nl = nl }]);

    private static string? FindBadString(JsonNode? node, string path)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, value) in o)
                {
                    var p = $"{path}.{key}";
                    if (!IsClean(key))
                    {
                        return path;
                    }

                    if (FindBadString(value, p) is { } found)
                    {
                        return found;
                    }
                }

                return null;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    if (FindBadString(a[i], $"{path}[{i}]") is { } found)
                    {
                        return found;
                    }
                }

                return null;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                try
                {
                    return IsClean(v.GetValue<string>()) ? null : path;
                }
                catch (InvalidOperationException)
                {
                    return path; // an escape that is no string (a lone surrogate): name this member, not the whole body
                }
            default:
                return null;
        }
    }

    private static bool IsClean(string s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (c == '\0')
            {
                return false;
            }

            if (char.IsHighSurrogate(c))
            {
                if (i + 1 >= s.Length || !char.IsLowSurrogate(s[i + 1]))
                {
                    return false;
                }

                i++;
            }
            else if (char.IsLowSurrogate(c))
            {
                return false;
            }
        }

        return true;
    }
}
