using System.Globalization;
using System.Text.RegularExpressions;
using Scriban;
using Scriban.Runtime;
using Scriban.Syntax;

namespace SubsidyEngine.Templates.Internal;

/// <summary>
/// The builtins a letter template can see: a curated allow-list, built from scratch rather than by trimming the
/// defaults, so a builtin added by a Scriban upgrade is not exposed by accident.
/// </summary>
/// <remarks>
/// Left out on purpose: <c>date</c>/<c>timespan</c> (<c>date.now</c> makes output time-dependent; ours are below),
/// <c>math.random</c>/<c>math.uuid</c> (non-deterministic), <c>object.eval</c>/<c>object.eval_template</c> (would run
/// model text as template code), <c>regex</c> (no need, timeouts), <c>html</c> (escaping is automatic),
/// <c>include_join</c>, <c>string.to_double</c>/<c>to_float</c> (money is never a double), hashing and base64.
/// </remarks>
internal static partial class LetterFunctions
{
    private static readonly Dictionary<string, string[]> AllowedModules = new(StringComparer.Ordinal)
    {
        ["array"] = ["any", "compact", "concat", "contains", "first", "join", "last", "limit", "map", "offset", "reverse", "size", "sort", "uniq"],
        ["string"] = ["append", "capitalize", "contains", "downcase", "empty", "ends_with", "prepend", "replace", "size", "starts_with", "strip", "truncate", "upcase"],
        ["math"] = ["abs", "ceil", "floor", "minus", "modulo", "plus", "times", "divided_by", "round"],
        ["object"] = ["default", "has_key", "has_value", "size", "typeof"],
    };

    /// <summary>Names a model may not use at its top level, because they would shadow a function or a letter variable.</summary>
    public static IReadOnlySet<string> ReservedNames { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "array", "string", "math", "object", "include", "money", "euro", "iban", "number", "date", "datetime", "fail", "empty", "blank",
        "subject", "layout", "content", "template",
    };

    public static ScriptObject CreateBuiltins()
    {
        var defaults = TemplateContext.GetDefaultBuiltinObject();
        var builtins = new ScriptObject();
        foreach (var (module, functions) in AllowedModules)
        {
            var source = (ScriptObject)defaults[module]!;
            var target = new ScriptObject();
            foreach (var function in functions)
            {
                target[function] = source[function] ?? throw new InvalidOperationException($"Scriban has no builtin {module}.{function}.");
            }

            target.IsReadOnly = true;
            builtins[module] = target;
        }

        builtins["empty"] = defaults["empty"];
        builtins["blank"] = defaults["blank"];
        builtins["include"] = new SafeIncludeFunction((IScriptCustomFunction)defaults["include"]!);
        // One-argument functions called directly (see DirectFunction); the same parameters, checks and errors as
        // Import(name, delegate).
        Add(builtins, "money", (ctx, v) => NlBeFormat.Money(ToDecimal(ctx, "money", v)));
        Add(builtins, "euro", (ctx, v) => NlBeFormat.MoneyUnbroken(ToDecimal(ctx, "euro", v)));
        Add(builtins, "iban", (ctx, v) => v is string text ? Iban(ctx, text) : throw new ScriptRuntimeException(ctx.CurrentNode?.Span ?? default, "iban expects an account number as text."));
        Add(builtins, "number", (ctx, v) => NlBeFormat.Number(ToDecimal(ctx, "number", v)));
        Add(builtins, "date", (ctx, v) => NlBeFormat.Date(DateOnly.FromDateTime(ToLocalDateTime(ctx, "date", v, dateOnlyAllowed: true))));
        Add(builtins, "datetime", (ctx, v) => NlBeFormat.DateTime(ToLocalDateTime(ctx, "datetime", v, dateOnlyAllowed: false)));
        Add(builtins, "fail", (ctx, v) =>
            throw new ScriptRuntimeException(ctx.CurrentNode?.Span ?? default, $"The template refused the model: {v}"));
        builtins.IsReadOnly = true;
        return builtins;
    }

    private static void Add(ScriptObject builtins, string name, Func<TemplateContext, object?, string> function) =>
        builtins.SetValue(name, new DirectFunction(DelegateCustomFunction.CreateFunc(function), function), readOnly: true);

    /// <summary>
    /// A one-argument function invoked without reflection. Scriban's <see cref="DelegateCustomFunction"/>, even for a
    /// typed delegate, converts the arguments a second time into a pooled array and calls the delegate through
    /// <c>MethodInfo.Invoke</c> (about a fifth of a letter's Scriban time went there). This keeps its parameter
    /// description (so Scriban checks the call exactly as before: count, names, conversion of the argument to
    /// <see cref="object"/>, which leaves it as it is) and calls the delegate directly. Exceptions are the delegate's
    /// own, as before (Scriban rethrew the inner exception of the reflection call).
    /// </summary>
    private sealed class DirectFunction(IScriptCustomFunction description, Func<TemplateContext, object?, string> function) : IScriptCustomFunction
    {
        public int RequiredParameterCount => description.RequiredParameterCount;

        public int ParameterCount => description.ParameterCount;

        public ScriptVarParamKind VarParamKind => description.VarParamKind;

        public Type ReturnType => description.ReturnType;

        public ScriptParameterInfo GetParameterInfo(int index) => description.GetParameterInfo(index);

        public object? Invoke(TemplateContext context, ScriptNode? callerContext, ScriptArray arguments, ScriptBlockStatement? blockStatement) =>
            function(context, arguments[0]);

        public ValueTask<object?> InvokeAsync(TemplateContext context, ScriptNode? callerContext, ScriptArray arguments, ScriptBlockStatement? blockStatement) =>
            new(Invoke(context, callerContext, arguments, blockStatement));
    }

    /// <summary>An exact decimal from a model value: an integer, a decimal or a string such as "1234.56". Never a double.</summary>
    private static string Iban(TemplateContext ctx, string text)
    {
        try
        {
            return NlBeFormat.IbanUnbroken(text);
        }
        catch (FormatException e)
        {
            throw new ScriptRuntimeException(ctx.CurrentNode?.Span ?? default, e.Message);
        }
    }

    internal static decimal ToDecimal(TemplateContext ctx, string function, object? value) => value switch
    {
        decimal d => d,
        long l => l,
        int i => i,
        string s when DecimalText().IsMatch(s) => decimal.Parse(s, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture),
        _ => throw new ScriptRuntimeException(
            ctx.CurrentNode?.Span ?? default,
            $"`{function}` expects an exact decimal (a JSON number or a string like \"1234.56\"), got {Describe(value)}."),
    };

    /// <summary>
    /// A Belgian local date-time from "yyyy-MM-dd", "yyyy-MM-ddTHH:mm[:ss]" (taken as Belgian local time) or the same
    /// with an offset or "Z" (converted to Belgian time, see <see cref="NlBeFormat.ToBelgianTime"/>).
    /// </summary>
    internal static DateTime ToLocalDateTime(TemplateContext ctx, string function, object? value, bool dateOnlyAllowed)
    {
        if (value is string s)
        {
            if (DateOnly.TryParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var dateOnly))
            {
                if (dateOnlyAllowed)
                {
                    return dateOnly.ToDateTime(TimeOnly.MinValue);
                }
            }
            else if (DateTimeOffset.TryParseExact(s, OffsetFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var instant))
            {
                return NlBeFormat.ToBelgianTime(instant);
            }
            else if (DateTime.TryParseExact(s, LocalFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
            {
                return local;
            }
        }

        var expected = dateOnlyAllowed ? "\"yyyy-MM-dd\" or an ISO date-time" : "an ISO date-time \"yyyy-MM-ddTHH:mm\"";
        throw new ScriptRuntimeException(ctx.CurrentNode?.Span ?? default, $"`{function}` expects {expected}, got {Describe(value)}.");
    }

    private static readonly string[] OffsetFormats =
        ["yyyy-MM-dd'T'HH:mmzzz", "yyyy-MM-dd'T'HH:mm:sszzz", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz", "yyyy-MM-dd'T'HH:mm'Z'", "yyyy-MM-dd'T'HH:mm:ss'Z'", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'"];

    private static readonly string[] LocalFormats = ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss"];

    private static string Describe(object? value) => value switch
    {
        null => "null",
        string s => $"the text \"{s}\"",
        _ => $"a {value.GetType().Name} ({Convert.ToString(value, CultureInfo.InvariantCulture)})",
    };

    [GeneratedRegex(@"^-?[0-9]{1,20}(\.[0-9]{1,8})?$", RegexOptions.CultureInvariant)]
    private static partial Regex DecimalText();
}
