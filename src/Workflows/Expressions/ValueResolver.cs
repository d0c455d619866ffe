using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SubsidyEngine.Workflows.Expressions;

/// <summary>
/// Resolves value expressions used in definitions: <c>now</c>, <c>actor</c>, <c>actor.role</c>, <c>state</c>,
/// <c>args.a.b</c>, <c>data.a.b</c>, <c>inputs.a.b</c> (server-derived inputs), <c>actor.authority</c>, a literal
/// written as <c>{"value": ...}</c>, or the first present of several, <c>{"first": ["args.contact", "inputs.x"]}</c>.
/// </summary>
public static class ValueResolver
{
    /// <summary>The ISO-8601 form used for times in data and arguments (UTC, microseconds).</summary>
    public static string FormatTime(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    public static bool IsPath(string expression) =>
        expression is "now" or "actor" or "actor.role" or "actor.authority" or "state"
        || expression.StartsWith("args.", StringComparison.Ordinal)
        || expression.StartsWith("data.", StringComparison.Ordinal)
        || expression.StartsWith("inputs.", StringComparison.Ordinal);

    /// <summary>Resolves an expression node (a path string or a <c>{"value": ...}</c> literal) to a fresh node.</summary>
    public static JsonNode? Resolve(JsonNode? expression, RuleContext context)
    {
        return expression switch
        {
            JsonValue v when v.TryGetValue<string>(out var s) => ResolvePath(s, context),
            JsonObject o when o.TryGetPropertyValue("value", out var literal) => literal?.DeepClone(),
            JsonObject o when o.TryGetPropertyValue("first", out var list) && list is JsonArray options => First(options, context),
            null => null,
            _ => throw new InvalidOperationException($"Not a value expression: {expression.ToJsonString()}"),
        };
    }

    private static JsonNode? First(JsonArray options, RuleContext context)
    {
        foreach (var option in options)
        {
            if (Resolve(option, context) is { } value)
            {
                return value;
            }
        }

        return null;
    }

    public static JsonNode? ResolvePath(string path, RuleContext context)
    {
        switch (path)
        {
            case "now":
                return JsonValue.Create(FormatTime(context.Now));
            case "actor":
                return JsonValue.Create(context.Actor.Id);
            case "actor.role":
                return JsonValue.Create(context.Actor.Role);
            case "actor.authority":
                return context.Actor.Authority is { } authority ? JsonValue.Create(authority) : null;
            case "state":
                return JsonValue.Create(context.State);
        }

        JsonNode? root;
        string rest;
        if (path.StartsWith("args.", StringComparison.Ordinal))
        {
            root = context.Args;
            rest = path[5..];
        }
        else if (path.StartsWith("data.", StringComparison.Ordinal))
        {
            root = context.Data;
            rest = path[5..];
        }
        else if (path.StartsWith("inputs.", StringComparison.Ordinal))
        {
            root = context.Inputs;
            rest = path[7..];
        }
        else
        {
            throw new InvalidOperationException($"Unknown value expression '{path}' (use now, actor, actor.role, actor.authority, state, args.x, data.x or inputs.x).");
        }

        return Navigate(root, rest)?.DeepClone();
    }

    /// <summary>Follows a dotted path (array indexes as numbers) without copying.</summary>
    public static JsonNode? Navigate(JsonNode? root, string dotted)
    {
        if (!dotted.Contains('.', StringComparison.Ordinal))
        {
            // One segment (args.amount): no split array per lookup.
            return Step(root, dotted);
        }

        var node = root;
        foreach (var part in dotted.Split('.'))
        {
            node = Step(node, part);
            if (node is null)
            {
                return null;
            }
        }

        return node;
    }

    private static JsonNode? Step(JsonNode? node, string part) => node switch
    {
        JsonObject o => o.TryGetPropertyValue(part, out var child) ? child : null,
        JsonArray a when int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < a.Count => a[i],
        _ => null,
    };

    /// <summary>Sets a dotted path in <paramref name="root"/>, creating objects on the way.</summary>
    public static void Set(JsonObject root, string dotted, JsonNode? value)
    {
        if (!dotted.Contains('.', StringComparison.Ordinal))
        {
            root[dotted] = value;
            return;
        }

        var parts = dotted.Split('.');
        var current = root;
        for (var i = 0; i < parts.Length - 1; i++)
        {
            if (current[parts[i]] is not JsonObject next)
            {
                next = new JsonObject();
                current[parts[i]] = next;
            }

            current = next;
        }

        current[parts[^1]] = value;
    }

    /// <summary>
    /// The JSON text of a number value, as <see cref="JsonNode.ToJsonString"/> writes it: the raw text of a parsed
    /// value without building a writer, otherwise the written value.
    /// </summary>
    public static string NumberText(JsonValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.TryGetValue<JsonElement>(out var element) ? element.GetRawText() : value.ToJsonString();
    }

    public static bool TryGetDecimal(JsonNode? node, out decimal value)
    {
        value = 0;
        if (node is not JsonValue v)
        {
            return false;
        }

        if (v.GetValueKind() == JsonValueKind.Number)
        {
            return v.TryGetValue(out value) || decimal.TryParse(NumberText(v), NumberStyles.Float, CultureInfo.InvariantCulture, out value);
        }

        return v.TryGetValue<string>(out var s) && decimal.TryParse(s, NumberStyles.Number, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>
    /// The instant a value stands for: a date <c>yyyy-MM-dd</c> is the end of that day in Brussels
    /// (<see cref="Calendar.BrusselsDate.EndOfDay"/>), as every deadline date; a date and time is that instant
    /// (UTC when it names no offset).
    /// </summary>
    public static bool TryGetTime(JsonNode? node, out DateTimeOffset value)
    {
        value = default;
        if (node is not JsonValue v || !v.TryGetValue<string>(out var s))
        {
            return false;
        }

        if (Calendar.BrusselsDate.TryParse(s, out var date))
        {
            value = date.EndOfDay;
            return true;
        }

        return DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value);
    }
}
