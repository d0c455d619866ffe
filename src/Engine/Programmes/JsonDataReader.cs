using System.Globalization;
using System.Text.Json;
using SubsidyEngine.Engine.Programmes.Model;
using SubsidyEngine.Workflows.Loading;

namespace SubsidyEngine.Engine.Programmes;

/// <summary>
/// Reads one JSON object of a data file and records every problem (missing, wrong type, unknown property) with
/// its JSON path instead of stopping at the first, so a broken file is reported in one go.
/// </summary>
internal sealed class JsonDataReader
{
    private readonly JsonElement _element;
    private readonly List<LoadProblem> _problems;
    private readonly HashSet<string> _read = new(StringComparer.Ordinal) { "$comment" };

    public JsonDataReader(JsonElement element, string path, string file, List<LoadProblem> problems)
    {
        _element = element;
        Path = path;
        File = file;
        _problems = problems;
    }

    public string Path { get; }

    public string File { get; }

    public string PathOf(string name) => $"{Path}.{name}";

    public void Problem(string path, string message) => _problems.Add(new LoadProblem(File, path, message));

    public bool Has(string name) => _element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null;

    private JsonElement? Get(string name, bool required)
    {
        _read.Add(name);
        if (_element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null)
        {
            return value;
        }
        if (required)
        {
            Problem(PathOf(name), "is required");
        }
        return null;
    }

    public string? String(string name, bool required = true)
    {
        if (Get(name, required) is not { } value) return null;
        if (value.ValueKind != JsonValueKind.String)
        {
            Problem(PathOf(name), $"must be a string, found {Kind(value)}");
            return null;
        }
        var text = value.GetString()!;
        if (text.Trim().Length == 0)
        {
            Problem(PathOf(name), "must not be empty");
            return null;
        }
        return text;
    }

    public decimal? Decimal(string name, bool required = true)
    {
        if (Get(name, required) is not { } value) return null;
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDecimal(out var number))
        {
            Problem(PathOf(name), $"must be a number, found {Kind(value)}");
            return null;
        }
        return number;
    }

    public long? Long(string name, bool required = true)
    {
        if (Get(name, required) is not { } value) return null;
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var number))
        {
            Problem(PathOf(name), $"must be a whole number, found {Kind(value)} {value.GetRawText()}");
            return null;
        }
        return number;
    }

    public int? Int(string name, bool required = true)
    {
        var number = Long(name, required);
        if (number is null) return null;
        if (number is < int.MinValue or > int.MaxValue)
        {
            Problem(PathOf(name), "is out of range");
            return null;
        }
        return (int)number.Value;
    }

    public bool? Bool(string name, bool required = false)
    {
        if (Get(name, required) is not { } value) return null;
        if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            Problem(PathOf(name), $"must be true or false, found {Kind(value)}");
            return null;
        }
        return value.GetBoolean();
    }

    public DateOnly? Date(string name, bool required = true)
    {
        var text = String(name, required);
        if (text is null) return null;
        if (!DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            Problem(PathOf(name), $"must be a date yyyy-MM-dd, found '{text}'");
            return null;
        }
        return date;
    }

    private static readonly string[] InstantFormats =
        ["yyyy-MM-dd'T'HH:mm:sszzz", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz"];

    /// <summary>An instant with an explicit UTC offset (e.g. <c>2023-07-10T12:00:00+02:00</c>); a bare local time is refused.</summary>
    public DateTimeOffset? Instant(string name, bool required = true)
    {
        var text = String(name, required);
        if (text is null) return null;
        if (!DateTimeOffset.TryParseExact(text, InstantFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var instant))
        {
            Problem(PathOf(name), $"must be a date and time with its UTC offset, e.g. 2023-07-10T12:00:00+02:00; found '{text}'");
            return null;
        }
        return instant;
    }

    public JsonDataReader? Object(string name, bool required = true)
    {
        if (Get(name, required) is not { } value) return null;
        if (value.ValueKind != JsonValueKind.Object)
        {
            Problem(PathOf(name), $"must be an object, found {Kind(value)}");
            return null;
        }
        return new JsonDataReader(value, PathOf(name), File, _problems);
    }

    /// <summary>An array of objects; elements that are not objects are reported and skipped.</summary>
    public IReadOnlyList<JsonDataReader>? Objects(string name, bool required = true)
    {
        if (Get(name, required) is not { } value) return null;
        if (value.ValueKind != JsonValueKind.Array)
        {
            Problem(PathOf(name), $"must be an array, found {Kind(value)}");
            return null;
        }
        var items = new List<JsonDataReader>();
        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            var path = $"{PathOf(name)}[{index.ToString(CultureInfo.InvariantCulture)}]";
            if (item.ValueKind == JsonValueKind.Object)
            {
                items.Add(new JsonDataReader(item, path, File, _problems));
            }
            else
            {
                Problem(path, $"must be an object, found {Kind(item)}");
            }
            index++;
        }
        return items;
    }

    public IReadOnlyList<string>? Strings(string name, bool required = true)
    {
        if (Get(name, required) is not { } value) return null;
        if (value.ValueKind != JsonValueKind.Array)
        {
            Problem(PathOf(name), $"must be an array of strings, found {Kind(value)}");
            return null;
        }
        var items = new List<string>();
        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.String && item.GetString() is { Length: > 0 } text)
            {
                items.Add(text);
            }
            else
            {
                Problem($"{PathOf(name)}[{index.ToString(CultureInfo.InvariantCulture)}]", "must be a non-empty string");
            }
            index++;
        }
        return items;
    }

    /// <summary>A <c>{ "nl": ..., "en": ... }</c> object.</summary>
    public LocalizedText? Text(string name, bool required = true)
    {
        var reader = Object(name, required);
        if (reader is null) return null;
        var nl = reader.String("nl");
        var en = reader.String("en");
        reader.ReportUnknownProperties();
        return nl is null || en is null ? null : new LocalizedText(nl, en);
    }

    /// <summary>Reads the optional <c>configurable</c> and <c>note</c> properties of this object.</summary>
    public Provenance Provenance()
    {
        var configurable = Bool("configurable") ?? false;
        var note = String("note", required: false);
        return configurable || note is not null ? new Provenance(configurable, note) : Programmes.Model.Provenance.FromSources;
    }

    /// <summary>Reports every property of this object that no reader asked for (a typo, or a field in the wrong place).</summary>
    public void ReportUnknownProperties()
    {
        foreach (var property in _element.EnumerateObject())
        {
            if (!_read.Contains(property.Name))
            {
                Problem(PathOf(property.Name), "is not a known property here");
            }
        }
    }

    private static string Kind(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };
}
