using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SubsidyEngine.Workflows.Calendar;
using SubsidyEngine.Workflows.Formats;
using SubsidyEngine.Workflows.Model;

namespace SubsidyEngine.Workflows.Schema;

/// <summary>
/// One argument that does not match its declared schema: where (a JSON path such as
/// <c>$.application.rows[2].priority</c>), which rule, and a sentence in Dutch and in English.
/// </summary>
public sealed record SchemaError(string Path, string Rule, string Nl, string En);

/// <summary>
/// Checks trigger and creation arguments against the schemas a definition declares (<see cref="ParameterDefinition"/>),
/// every member at every depth, and reports every problem with its JSON path. Pure; the runtime calls it before any
/// guard, so nothing is decided on a value that does not have the declared shape.
/// </summary>
public static partial class ArgumentSchema
{
    /// <summary>Free-text comment every trigger accepts (required where a transition says so).</summary>
    public const string CommentField = "comment";

    public const int MaxCommentLength = 4000;

    /// <summary>Default maximum length of a <c>string</c> (one line) and of a <c>text</c>.</summary>
    public const int DefaultStringLength = 400;

    public const int DefaultTextLength = 20000;

    /// <summary>Dates and times are accepted between these years (a grant decision outside them is a typing error).</summary>
    public const int MinYear = 2000;

    public const int MaxYear = 2100;

    /// <summary>Arguments the deadline sweep adds when it fires an automatic (timeout) trigger.</summary>
    public static readonly IReadOnlySet<string> TimeoutFields = new HashSet<string>(["deadline", "deadlineId"], StringComparer.Ordinal);

    public static readonly IReadOnlySet<string> Types = new HashSet<string>(StringComparer.Ordinal)
    {
        "string", "text", "int", "decimal", "bool", "date", "datetime", "object", "array",
    };

    public static readonly IReadOnlySet<string> StringFormats = new HashSet<string>(["email", "authority", "iban", "phone", "code"], StringComparer.Ordinal);

    /// <summary>The patterns of the string formats (also published as JSON Schema <c>pattern</c> in the OpenAPI document).</summary>
    public const string EmailPattern = @"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$";

    public const string AuthorityPattern = "^(?:[0-9]{5}|[A-Z][A-Z0-9-]{1,19})$";

    public const string PhonePattern = @"^\+?[0-9][0-9 ./()-]{5,22}$";

    public const string CodePattern = "^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$";

    public static readonly IReadOnlySet<string> DecimalFormats = new HashSet<string>(["euro"], StringComparer.Ordinal);

    /// <summary>
    /// Checks the arguments of a trigger (or of a creation) against its parameters: unknown members, required
    /// ones, and every value at every depth. <paramref name="automatic"/> lets the sweep's timeout fields through.
    /// </summary>
    public static List<SchemaError> Validate(IReadOnlyList<ParameterDefinition> parameters, JsonObject args, bool commentRequired, bool automatic = false)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(args);
        var errors = new List<SchemaError>();
        foreach (var (name, value) in args)
        {
            var path = Member("$", name);
            if (name == CommentField)
            {
                CheckComment(value, path, errors);
                continue;
            }

            if (automatic && TimeoutFields.Contains(name) && value is JsonValue tv && tv.GetValueKind() == JsonValueKind.String)
            {
                continue;
            }

            if (Find(parameters, name) is not { } p)
            {
                errors.Add(Error(path, "unknown-member", "is geen gegeven van deze handeling", "is not a parameter of this trigger"));
                continue;
            }

            Check(p, value, path, p.Label, errors);
        }

        for (var i = 0; i < parameters.Count; i++)
        {
            var p = parameters[i];
            if (p.Required && (!args.TryGetPropertyValue(p.Name, out var v) || v is null))
            {
                errors.Add(Required(Member("$", p.Name), p.Label));
            }
        }

        if (commentRequired && (!args.TryGetPropertyValue(CommentField, out var c) || c is not JsonValue cj || !cj.TryGetValue<string>(out var text) || string.IsNullOrWhiteSpace(text)))
        {
            errors.Add(Error(Member("$", CommentField), "required", "een motivering is verplicht voor deze handeling", "is required for this transition"));
        }

        return errors;
    }

    /// <summary>Checks one value against one schema; problems are added with <paramref name="path"/>.</summary>
    public static void Check(ParameterDefinition schema, JsonNode? value, string path, LocalizedText? label, List<SchemaError> errors)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(errors);
        if (value is null)
        {
            if (schema.Required)
            {
                errors.Add(Required(path, label));
            }

            return;
        }

        switch (schema.Type)
        {
            case "string" or "text":
                CheckString(schema, value, path, label, errors);
                return;
            case "int" or "decimal":
                CheckNumber(schema, value, path, label, errors);
                return;
            case "bool":
                if (value.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
                {
                    errors.Add(Error(path, "type", "moet waar of onwaar zijn (true of false)", "must be true or false", label));
                }

                return;
            case "date":
                if (!TryParseDate(value, out _))
                {
                    errors.Add(Error(path, "format.date", $"moet een datum zijn als 2025-12-31, tussen {MinYear} en {MaxYear}", $"must be a date like 2025-12-31, between {MinYear} and {MaxYear}", label));
                }

                return;
            case "datetime":
                if (!TryParseDateTime(value, out _))
                {
                    errors.Add(Error(path, "format.datetime", $"moet een datum en tijdstip met tijdzone zijn als 2025-12-31T12:00:00+01:00, tussen {MinYear} en {MaxYear}",
                        $"must be a date and time with offset like 2025-12-31T12:00:00+01:00, between {MinYear} and {MaxYear}", label));
                }

                return;
            case "object":
                CheckObject(schema, value, path, label, errors);
                return;
            case "array":
                CheckArray(schema, value, path, label, errors);
                return;
            default:
                errors.Add(Error(path, "type", $"heeft een onbekend type {schema.Type}", $"has unknown type {schema.Type}", label));
                return;
        }
    }

    private static void CheckComment(JsonNode? value, string path, List<SchemaError> errors)
    {
        if (value is not JsonValue cv || !cv.TryGetValue<string>(out var comment))
        {
            errors.Add(Error(path, "type", "moet tekst zijn", "must be a string"));
        }
        else if (comment.Length > MaxCommentLength)
        {
            errors.Add(Error(path, "max-length", $"mag hoogstens {MaxCommentLength} tekens tellen", $"must be at most {MaxCommentLength} characters"));
        }
        else if (TextRules.HasUnsafeCharacters(comment, allowNewlines: true))
        {
            errors.Add(Error(path, "characters", "bevat stuurtekens of tekens die de leesrichting omkeren", "contains control characters"));
        }
    }

    private static void CheckString(ParameterDefinition p, JsonNode value, string path, LocalizedText? label, List<SchemaError> errors)
    {
        if (value is not JsonValue sv || sv.GetValueKind() != JsonValueKind.String)
        {
            errors.Add(Error(path, "type", "moet tekst zijn", "must be a string", label));
            return;
        }

        var s = sv.GetValue<string>();
        var max = p.MaxLength ?? (p.Type == "string" ? DefaultStringLength : DefaultTextLength);
        if (s.Length > max)
        {
            errors.Add(Error(path, "max-length", $"mag hoogstens {max} tekens tellen", $"must be at most {max} characters", label));
            return;
        }

        if (TextRules.HasUnsafeCharacters(s, allowNewlines: p.Type == "text"))
        {
            errors.Add(p.Type == "string" && TextRules.HasLineBreak(s)
                ? Error(path, "characters", "moet op één regel staan (geen regeleinden)", "must be one line (no line breaks)", label)
                : Error(path, "characters", "bevat stuurtekens of tekens die de leesrichting omkeren", "contains control characters", label));
            return;
        }

        if (p.Required && string.IsNullOrWhiteSpace(s))
        {
            errors.Add(Error(path, "required", "mag niet leeg zijn", "must not be empty", label));
            return;
        }

        if (p.MinLength is { } min && s.Length < min)
        {
            errors.Add(Error(path, "min-length", $"moet minstens {min} tekens tellen", $"must be at least {min} characters", label));
            return;
        }

        if (p.Values is { Count: > 0 } allowed && !allowed.Contains(s, StringComparer.Ordinal))
        {
            errors.Add(Error(path, "values", $"moet een van deze waarden zijn: {string.Join(", ", allowed)}", $"must be one of {string.Join(", ", allowed)}", label));
            return;
        }

        if (p.Format is { } format && (s.Length > 0 || p.Required) && FormatProblem(format, s) is { } problem)
        {
            errors.Add(Error(path, "format." + format, problem.Nl, problem.En, label));
        }
    }

    /// <summary>Why <paramref name="s"/> is not of the string format, or null when it is.</summary>
    public static (string Nl, string En)? FormatProblem(string format, string s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return format switch
        {
            "email" => IsEmail(s) ? null : ("moet één e-mailadres zijn, zoals naam@gemeente.be", "must be one e-mail address, like name@municipality.be"),
            "authority" => Authority().IsMatch(s) ? null : ("moet de code van een bestuur zijn (een NIS-code van vijf cijfers, zoals 71016)", "must be an authority code (a five-digit NIS code, like 71016)"),
            "iban" => Iban.IsValid(s) ? null : ("moet een geldig IBAN-rekeningnummer zijn, zoals BE68 5390 0754 7034", "must be a valid IBAN, like BE68 5390 0754 7034"),
            "phone" => Phone().IsMatch(s) ? null : ("moet een telefoonnummer zijn, zoals +32 89 65 44 11", "must be a telephone number, like +32 89 65 44 11"),
            "code" => Code().IsMatch(s) ? null : ("moet een korte code zijn (letters, cijfers, punt, streepje)", "must be a short code (letters, digits, dot, dash)"),
            _ => ($"heeft een onbekend formaat {format}", $"has unknown format {format}"),
        };
    }

    /// <summary>One mailbox: local part and domain, no display name, list, comment, quotes or whitespace (a header stays one header).</summary>
    public static bool IsEmail(string s)
    {
        ArgumentNullException.ThrowIfNull(s);
        if (s.Length > 254 || !Email().IsMatch(s))
        {
            return false;
        }

        var at = s.IndexOf('@', StringComparison.Ordinal);
        return at is > 0 and <= 64 && !s.Contains("..", StringComparison.Ordinal) && s[0] != '.' && s[at - 1] != '.';
    }

    private static void CheckNumber(ParameterDefinition p, JsonNode value, string path, LocalizedText? label, List<SchemaError> errors)
    {
        var whole = p.Type == "int";
        if (value is not JsonValue nv || nv.GetValueKind() != JsonValueKind.Number || !TryParseNumber(nv, out var d))
        {
            errors.Add(whole
                ? Error(path, "type", "moet een geheel getal zijn", "must be a whole number", label)
                : Error(path, "type", "moet een getal zijn", "must be a number", label));
            return;
        }

        if (d == 0m && RawNumber(nv).Split('e', 'E')[0].Any(c => c is >= '1' and <= '9'))
        {
            // 1e-400 reads as 0 but would be stored as sent.
            errors.Add(Error(path, "type", "is te klein om als getal te bewaren", "is too small for a decimal (at most 28 decimal places)", label));
            return;
        }

        if (whole && d != decimal.Truncate(d))
        {
            errors.Add(Error(path, "type", "moet een geheel getal zijn", "must be a whole number", label));
            return;
        }

        if (p.Format == "euro" && d * 100m != decimal.Truncate(d * 100m))
        {
            errors.Add(Error(path, "format.euro", "mag hoogstens twee cijfers na de komma hebben (eurocent)", "must have at most two decimals (euro cents)", label));
            return;
        }

        if (p.Min is { } min && d < min)
        {
            errors.Add(Error(path, "min", $"moet minstens {Nl(min)} zijn", $"must be at least {En(min)}", label));
        }
        else if (p.Max is { } mx && d > mx)
        {
            errors.Add(Error(path, "max", $"mag hoogstens {Nl(mx)} zijn", $"must be at most {En(mx)}", label));
        }
    }

    private static void CheckObject(ParameterDefinition p, JsonNode value, string path, LocalizedText? label, List<SchemaError> errors)
    {
        if (value is not JsonObject o)
        {
            errors.Add(Error(path, "type", "moet een object zijn", "must be an object", label));
            return;
        }

        if (p.MaxItems is { } maxMembers && o.Count > maxMembers)
        {
            errors.Add(Error(path, "max-items", $"mag hoogstens {maxMembers} gegevens bevatten", $"must have at most {maxMembers} members", label));
            return;
        }

        if (p.MinItems is { } minMembers && o.Count < minMembers)
        {
            errors.Add(Error(path, "min-items", $"moet minstens {minMembers} gegevens bevatten", $"must have at least {minMembers} members", label));
        }

        if (p.Properties is null && p.Additional is null)
        {
            return; // a free-form object (runtime 1 definitions only: the validator refuses it in runtime 2)
        }

        foreach (var (name, member) in o)
        {
            var memberPath = Member(path, name);
            if (p.Properties is not null && Find(p.Properties, name) is { } known)
            {
                Check(known, member, memberPath, known.Label, errors);
            }
            else if (p.Additional is { } additional)
            {
                if (name.Length is 0 or > 40 || TextRules.HasUnsafeCharacters(name))
                {
                    errors.Add(Error(memberPath, "member-name", "heeft een ongeldige naam", "has an invalid member name", label));
                    continue;
                }

                Check(additional, member, memberPath, additional.Label ?? label, errors);
            }
            else
            {
                errors.Add(Error(memberPath, "unknown-member", "is geen gekend gegeven", "is not a known member", label));
            }
        }

        foreach (var required in p.Properties ?? [])
        {
            if (required.Required && (!o.TryGetPropertyValue(required.Name, out var v) || v is null))
            {
                errors.Add(Required(Member(path, required.Name), required.Label));
            }
        }
    }

    private static void CheckArray(ParameterDefinition p, JsonNode value, string path, LocalizedText? label, List<SchemaError> errors)
    {
        if (value is not JsonArray a)
        {
            errors.Add(Error(path, "type", "moet een lijst zijn", "must be an array", label));
            return;
        }

        if (p.MaxItems is { } max && a.Count > max)
        {
            errors.Add(Error(path, "max-items", $"mag hoogstens {max} elementen bevatten", $"must have at most {max} items", label));
            return;
        }

        if (p.MinItems is { } min && a.Count < min)
        {
            errors.Add(Error(path, "min-items", $"moet minstens {min} elementen bevatten", $"must have at least {min} items", label));
        }

        if (p.Items is not { } items)
        {
            return; // free-form items (runtime 1 definitions only)
        }

        var before = errors.Count;
        for (var i = 0; i < a.Count; i++)
        {
            var itemPath = $"{path}[{i.ToString(CultureInfo.InvariantCulture)}]";
            if (a[i] is null)
            {
                errors.Add(Error(itemPath, "required", "mag niet leeg (null) zijn", "must not be null", label));
                continue;
            }

            Check(items, a[i], itemPath, items.Label ?? label, errors);
        }

        if (errors.Count != before)
        {
            return; // duplicates are judged on well-formed items only
        }

        if (p.UniqueItems)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < a.Count; i++)
            {
                var text = a[i]!.ToJsonString();
                if (!seen.Add(text))
                {
                    errors.Add(Error($"{path}[{i.ToString(CultureInfo.InvariantCulture)}]", "unique", $"{Shown(a[i])} staat meer dan eens in de lijst", $"{Shown(a[i])} appears more than once", label));
                }
            }
        }

        foreach (var member in p.UniqueBy ?? [])
        {
            var seen = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var i = 0; i < a.Count; i++)
            {
                if (a[i] is not JsonObject item || !item.TryGetPropertyValue(member, out var v) || v is null)
                {
                    continue;
                }

                var memberLabel = items.Properties is { } props && Find(props, member) is { Label: { } l } ? l : null;
                if (!seen.TryAdd(v.ToJsonString(), i))
                {
                    errors.Add(Error($"{path}[{i.ToString(CultureInfo.InvariantCulture)}].{member}", "unique",
                        $"{Shown(v)} komt al voor in element {seen[v.ToJsonString()] + 1}; elke waarde mag maar één keer voorkomen",
                        $"{Shown(v)} already appears in item {seen[v.ToJsonString()] + 1}; each value may appear once", memberLabel));
                }
            }
        }
    }

    /// <summary>A JSON date <c>yyyy-MM-dd</c> within the accepted years.</summary>
    public static bool TryParseDate(JsonNode? value, out DateOnly date)
    {
        date = default;
        return value is JsonValue dv && dv.TryGetValue<string>(out var ds) && TryParseDate(ds, out date);
    }

    public static bool TryParseDate(string s, out DateOnly date)
    {
        // The one date parse (a deadline date is the end of that day in Brussels: BrusselsDate), within the accepted years.
        var ok = BrusselsDate.TryParse(s, out var d) && d.Year is >= MinYear and <= MaxYear;
        date = ok ? d.Date : default;
        return ok;
    }

    /// <summary>A JSON date and time with an offset (<c>2025-12-31T12:00:00+01:00</c>, <c>...Z</c>, fractions allowed) within the accepted years.</summary>
    public static bool TryParseDateTime(JsonNode? value, out DateTimeOffset time)
    {
        time = default;
        return value is JsonValue tv && tv.TryGetValue<string>(out var ts)
            && DateTimeOffset.TryParseExact(ts, ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK"], CultureInfo.InvariantCulture, DateTimeStyles.None, out time)
            && (ts.EndsWith('Z') || ts.Length > 19 && (ts[^6] is '+' or '-'))
            && time.Year is >= MinYear and <= MaxYear;
    }

    /// <summary>decimal.TryParse of the number's JSON text (NumberStyles.Float, invariant).</summary>
    public static bool TryParseNumber(JsonValue value, out decimal d)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.TryGetValue<JsonElement>(out var element)
            ? decimal.TryParse(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(element), NumberStyles.Float, CultureInfo.InvariantCulture, out d)
            : decimal.TryParse(RawNumber(value), NumberStyles.Float, CultureInfo.InvariantCulture, out d);
    }

    private static string RawNumber(JsonValue value) => value.TryGetValue<JsonElement>(out var element) ? element.GetRawText() : value.ToJsonString();

    /// <summary>A trigger has a handful of parameters: a scan beats building a dictionary per validation.</summary>
    private static ParameterDefinition? Find(IReadOnlyList<ParameterDefinition> parameters, string name)
    {
        for (var i = 0; i < parameters.Count; i++)
        {
            if (string.Equals(parameters[i].Name, name, StringComparison.Ordinal))
            {
                return parameters[i];
            }
        }

        return null;
    }

    /// <summary>The JSON path of a member: <c>$.a.b</c>, or <c>$['odd name']</c> when the name is not a plain identifier.</summary>
    public static string Member(string path, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length > 0 && PlainName().IsMatch(name))
        {
            return path + "." + name;
        }

        var sb = new StringBuilder(path).Append("['");
        foreach (var ch in name.Length > 60 ? name[..60] + "…" : name)
        {
            sb.Append(ch switch
            {
                '\'' => "\\'",
                '\\' => "\\\\",
                _ when char.IsControl(ch) || TextRules.IsBidiControl(ch) => $"\\u{(int)ch:x4}",
                _ => ch.ToString(),
            });
        }

        return sb.Append("']").ToString();
    }

    private static SchemaError Required(string path, LocalizedText? label) => Error(path, "required", "is verplicht", "is required", label);

    /// <summary>
    /// The English reason is a phrase that follows the path (<c>$.x: must be a whole number</c>); the Dutch one a
    /// sentence a municipality reads without the path: the field's label (or member name) and the reason.
    /// </summary>
    private static SchemaError Error(string path, string rule, string nl, string en, LocalizedText? label = null) =>
        new(path, rule, $"{label?.Nl ?? Subject(path)}: {nl}", en);

    private static string Subject(string path)
    {
        var end = path.Length;
        while (end > 0 && path[end - 1] == ']')
        {
            end = path.LastIndexOf('[', end - 1);
        }

        var start = path.LastIndexOf('.', Math.Max(0, end - 1));
        return start < 0 || end <= start + 1 ? "Gegevens" : path[(start + 1)..end];
    }

    private static string Shown(JsonNode? v) => v is JsonValue jv && jv.TryGetValue<string>(out var s) ? $"'{(s.Length > 40 ? s[..40] + "…" : s)}'" : v?.ToJsonString() ?? "null";

    private static string Nl(decimal d) => d.ToString("#,##0.##", CultureInfo.GetCultureInfo("nl-BE"));

    private static string En(decimal d) => d.ToString("#,##0.##", CultureInfo.InvariantCulture);

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_-]*$")]
    private static partial Regex PlainName();

    [GeneratedRegex(EmailPattern)]
    private static partial Regex Email();

    [GeneratedRegex(AuthorityPattern)]
    private static partial Regex Authority();

    [GeneratedRegex(PhonePattern)]
    private static partial Regex Phone();

    [GeneratedRegex(CodePattern)]
    private static partial Regex Code();
}
