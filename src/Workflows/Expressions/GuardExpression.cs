using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SubsidyEngine.Workflows.Expressions;

/// <summary>One evaluated leaf of a guard: a rule or a comparison, whether it passed, and its reasons.</summary>
public sealed record GuardCheck(string Name, bool Passed, IReadOnlyList<Reason> Reasons);

/// <summary>The evaluation of a whole guard expression.</summary>
public sealed record GuardResult(bool Passed, IReadOnlyList<GuardCheck> Checks)
{
    public static GuardResult Always { get; } = new(true, []);

    /// <summary>The reasons of the checks that failed (what an officer needs to fix).</summary>
    public IEnumerable<Reason> FailureReasons => Checks.Where(c => !c.Passed).SelectMany(c => c.Reasons);
}

/// <summary>
/// A guard: <c>"rule.name"</c> or <c>{"rule": "name"}</c>, <c>{"all": [...]}</c>, <c>{"any": [...]}</c>,
/// <c>{"not": ...}</c>, <c>{"compare": [left, op, right]}</c> with op one of <c>== != &lt; &lt;= &gt; &gt;= in exists</c>,
/// optionally with the reason a user reads when it fails: <c>{"compare": [...], "reason": {"code": "...", "nl": "...", "en": "..."}}</c>.
/// Parsed once when a definition loads; evaluation is pure.
/// </summary>
public abstract record GuardExpression
{
    public abstract GuardResult Evaluate(RuleContext context, RuleRegistry registry);

    /// <summary>The names of the rules used, for validation.</summary>
    public abstract IEnumerable<string> RuleNames { get; }

    /// <summary>
    /// The value paths the guard compares (<c>args.date</c>, <c>data.amount</c>, <c>now</c>), not those a named rule
    /// reads inside its code.
    /// </summary>
    public abstract IEnumerable<string> Paths { get; }

    /// <summary>Whether the guard compares a value of the request's own arguments (<c>args.*</c>).</summary>
    public bool ComparesArguments => Paths.Any(p => p.StartsWith("args.", StringComparison.Ordinal));

    /// <summary>A short human description, used as the Stateless guard description and in diagrams.</summary>
    public abstract string Describe();

    /// <summary>Parses a guard; problems are added to <paramref name="problems"/> with their JSON path.</summary>
    public static GuardExpression? Parse(JsonNode? node, string path, List<string> problems)
    {
        switch (node)
        {
            case null:
                return null;
            case JsonValue v when v.TryGetValue<string>(out var name):
                return new RuleCall(name);
            case JsonObject o when o.Count == 2 && o["compare"] is JsonArray withReason && o["reason"] is JsonObject reason:
                var compared = Parse(new JsonObject { ["compare"] = withReason.DeepClone() }, path, problems);
                if (compared is Comparison cmp && reason["code"] is JsonValue code && code.TryGetValue<string>(out var codeText)
                    && reason["nl"] is JsonValue nl && nl.TryGetValue<string>(out var nlText))
                {
                    return cmp with { Custom = new Reason(codeText, nlText, reason["en"] is JsonValue en && en.TryGetValue<string>(out var enText) ? enText : null) };
                }

                problems.Add($"{path}.reason: a reason needs a code and nl (and en)");
                return compared;
            case JsonObject o when o.Count == 1:
                var (key, value) = o.First();
                switch (key)
                {
                    case "rule" when value is JsonValue rv && rv.TryGetValue<string>(out var rn):
                        return new RuleCall(rn);
                    case "all" or "any" when value is JsonArray arr && arr.Count > 0:
                        var parts = arr.Select((x, i) => Parse(x, $"{path}.{key}[{i}]", problems)).Where(x => x is not null).Cast<GuardExpression>().ToList();
                        return key == "all" ? new AllOf(parts) : new AnyOf(parts);
                    case "not":
                        var inner = Parse(value, $"{path}.not", problems);
                        return inner is null ? null : new NotOf(inner);
                    case "compare" when value is JsonArray c && (c.Count == 3 || (c.Count == 2 && c[1]?.GetValue<string>() == "exists")):
                        return ParseCompare(c, path, problems);
                }

                break;
        }

        problems.Add($"{path}: not a guard expression (use a rule name, all, any, not or compare): {node.ToJsonString()}");
        return null;
    }

    private static Comparison? ParseCompare(JsonArray c, string path, List<string> problems)
    {
        if (c[0] is not JsonValue lv || !lv.TryGetValue<string>(out var left) || !ValueResolver.IsPath(left))
        {
            problems.Add($"{path}.compare[0]: the left side must be a path like data.x, args.x or now");
            return null;
        }

        var op = c[1] is JsonValue ov && ov.TryGetValue<string>(out var o) ? o : string.Empty;
        if (op is not ("==" or "!=" or "<" or "<=" or ">" or ">=" or "in" or "exists"))
        {
            problems.Add($"{path}.compare[1]: unknown operator '{op}'");
            return null;
        }

        return new Comparison(left, op, c.Count == 3 ? c[2]?.DeepClone() : null);
    }

    public sealed record RuleCall(string Name) : GuardExpression
    {
        public override IEnumerable<string> RuleNames => [Name];

        public override IEnumerable<string> Paths => [];

        public override string Describe() => Name;

        public override GuardResult Evaluate(RuleContext context, RuleRegistry registry)
        {
            var rule = registry.FindGuard(Name) ?? throw new InvalidOperationException($"Guard rule '{Name}' is not registered.");
            var outcome = rule.Evaluate(context);
            return new GuardResult(outcome.Passed, [new GuardCheck(Name, outcome.Passed, outcome.Reasons)]);
        }
    }

    public sealed record AllOf(IReadOnlyList<GuardExpression> Parts) : GuardExpression
    {
        public override IEnumerable<string> RuleNames => Parts.SelectMany(p => p.RuleNames);

        public override IEnumerable<string> Paths => Parts.SelectMany(p => p.Paths);

        public override string Describe() => string.Join(" and ", Parts.Select(p => p is RuleCall or Comparison ? p.Describe() : $"({p.Describe()})"));

        public override GuardResult Evaluate(RuleContext context, RuleRegistry registry)
        {
            // Every part is evaluated (no short circuit) so that all failing reasons are reported at once.
            var results = Parts.Select(p => p.Evaluate(context, registry)).ToList();
            return new GuardResult(results.All(r => r.Passed), results.SelectMany(r => r.Checks).ToList());
        }
    }

    public sealed record AnyOf(IReadOnlyList<GuardExpression> Parts) : GuardExpression
    {
        public override IEnumerable<string> RuleNames => Parts.SelectMany(p => p.RuleNames);

        public override IEnumerable<string> Paths => Parts.SelectMany(p => p.Paths);

        public override string Describe() => string.Join(" or ", Parts.Select(p => p is RuleCall or Comparison ? p.Describe() : $"({p.Describe()})"));

        public override GuardResult Evaluate(RuleContext context, RuleRegistry registry)
        {
            var results = Parts.Select(p => p.Evaluate(context, registry)).ToList();
            return new GuardResult(results.Any(r => r.Passed), results.SelectMany(r => r.Checks).ToList());
        }
    }

    public sealed record NotOf(GuardExpression Inner) : GuardExpression
    {
        public override IEnumerable<string> RuleNames => Inner.RuleNames;

        public override IEnumerable<string> Paths => Inner.Paths;

        public override string Describe() => $"not {Inner.Describe()}";

        public override GuardResult Evaluate(RuleContext context, RuleRegistry registry)
        {
            var r = Inner.Evaluate(context, registry);
            var passed = !r.Passed;
            var reason = new Reason("guard.not", $"Voorwaarde mag niet voldaan zijn: {Inner.Describe()}", $"Condition must not hold: {Inner.Describe()}");
            return new GuardResult(passed, [new GuardCheck(Describe(), passed, passed ? [] : [reason])]);
        }
    }

    public sealed record Comparison(string Left, string Op, JsonNode? Right) : GuardExpression
    {
        /// <summary>The reason shown when the comparison fails, instead of the expression.</summary>
        public Reason? Custom { get; init; }

        public override IEnumerable<string> RuleNames => [];

        public override IEnumerable<string> Paths => Right is JsonValue v && v.TryGetValue<string>(out var rs) && ValueResolver.IsPath(rs) ? [Left, rs] : [Left];

        public override string Describe() => Op == "exists" ? $"{Left} exists" : $"{Left} {Op} {(Right is JsonValue rv && rv.TryGetValue<string>(out var s) ? s : Right?.ToJsonString())}";

        public override GuardResult Evaluate(RuleContext context, RuleRegistry registry)
        {
            var left = ValueResolver.ResolvePath(Left, context);
            var right = Right is JsonValue v && v.TryGetValue<string>(out var rs) && ValueResolver.IsPath(rs)
                ? ValueResolver.ResolvePath(rs, context)
                : Right is JsonObject lit && lit.TryGetPropertyValue("value", out var literal) ? literal : Right;
            var passed = Op switch
            {
                "exists" => left is not null,
                "in" => right is JsonArray arr && arr.Any(x => Equal(left, x)),
                "==" => Equal(left, right),
                "!=" => !Equal(left, right),
                _ => Order(left, right) is int cmp && Op switch
                {
                    "<" => cmp < 0,
                    "<=" => cmp <= 0,
                    ">" => cmp > 0,
                    ">=" => cmp >= 0,
                    _ => false,
                },
            };
            var shown = left?.ToJsonString() ?? "(leeg)";
            var reasons = passed
                ? Array.Empty<Reason>()
                : Custom is not null ? [Custom] : [new Reason("guard.compare", $"Voorwaarde niet voldaan: {Describe()} (waarde: {shown})", $"Condition not met: {Describe()} (value: {(left?.ToJsonString() ?? "(empty)")})")];
            return new GuardResult(passed, [new GuardCheck(Describe(), passed, reasons)]);
        }

        private static bool Equal(JsonNode? a, JsonNode? b)
        {
            if (a is null || b is null)
            {
                return a is null && b is null;
            }

            if (ValueResolver.TryGetDecimal(a, out var da) && ValueResolver.TryGetDecimal(b, out var db)
                && a.GetValueKind() == JsonValueKind.Number && b.GetValueKind() == JsonValueKind.Number)
            {
                return da == db;
            }

            return JsonNode.DeepEquals(a, b);
        }

        private static int? Order(JsonNode? a, JsonNode? b)
        {
            if (ValueResolver.TryGetDecimal(a, out var da) && ValueResolver.TryGetDecimal(b, out var db))
            {
                return da.CompareTo(db);
            }

            if (ValueResolver.TryGetTime(a, out var ta) && ValueResolver.TryGetTime(b, out var tb))
            {
                // A calendar date against an instant compares days in Brussels: a decision dated today is not in the
                // future at 15:00, and "now <= a deadline date" holds all of that day (a date is the end of its day).
                return IsDate(a) != IsDate(b) ? Calendar.BrusselsDate.Of(ta).CompareTo(Calendar.BrusselsDate.Of(tb)) : ta.CompareTo(tb);
            }

            if (a is JsonValue sa && b is JsonValue sb && sa.TryGetValue<string>(out var xa) && sb.TryGetValue<string>(out var xb))
            {
                return string.CompareOrdinal(xa, xb);
            }

            return null;
        }
    }

    private static bool IsDate(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) && Calendar.BrusselsDate.IsValid(s);

    /// <summary>Invariant formatting helper for reasons.</summary>
    internal static string Invariant(decimal d) => d.ToString(CultureInfo.InvariantCulture);
}
