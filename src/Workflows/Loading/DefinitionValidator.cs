using System.Text.Json.Nodes;
using SubsidyEngine.Workflows.Expressions;
using SubsidyEngine.Workflows.Model;

namespace SubsidyEngine.Workflows.Loading;

/// <summary>
/// Checks definitions against each other and against what the service knows (roles, rules, letter templates),
/// collecting every problem instead of stopping at the first.
/// </summary>
public sealed class DefinitionValidator(IReadOnlySet<string> roles, RuleRegistry rules, Func<string, bool> templateExists)
{
    public static IReadOnlySet<string> ParameterTypes => Schema.ArgumentSchema.Types;

    /// <summary>Input names the runtime adds itself (a definition may not declare them).</summary>
    public static readonly IReadOnlySet<string> ReservedInputs = new HashSet<string>(["actor"], StringComparer.Ordinal);

    public IEnumerable<LoadProblem> Validate(IReadOnlyList<WorkflowDefinition> definitions)
    {
        var problems = new List<LoadProblem>();
        foreach (var dup in definitions.GroupBy(d => d.Key).Where(g => g.Count() > 1))
        {
            problems.Add(new LoadProblem(string.Join(", ", dup.Select(d => d.SourcePath)), "$", $"{dup.Key} is defined more than once"));
        }

        foreach (var def in definitions)
        {
            problems.AddRange(Validate(def));
        }

        return problems;
    }

    /// <summary>All problems of one definition.</summary>
    public IReadOnlyList<LoadProblem> Validate(WorkflowDefinition def)
    {
        var problems = new List<LoadProblem>();
        void Add(string path, string message) => problems.Add(new LoadProblem(def.SourcePath, path, message));

        if (string.IsNullOrWhiteSpace(def.Id))
        {
            Add("$.id", "missing id");
        }

        if (def.Version < 1)
        {
            Add("$.version", "version must be 1 or more");
        }

        var strict = def.Runtime >= 2;
        if (def.Runtime is < 1 or > 2)
        {
            Add("$.runtime", "runtime must be 1 or 2");
        }

        var states = new Dictionary<string, StateDefinition>(StringComparer.Ordinal);
        for (var i = 0; i < def.States.Count; i++)
        {
            var s = def.States[i];
            if (string.IsNullOrWhiteSpace(s.Id))
            {
                Add($"$.states[{i}].id", "missing state id");
            }
            else if (!states.TryAdd(s.Id, s))
            {
                Add($"$.states[{i}].id", $"duplicate state '{s.Id}'");
            }
        }

        for (var i = 0; i < def.States.Count; i++)
        {
            var s = def.States[i];
            if (s.Parent is not null && !states.ContainsKey(s.Parent))
            {
                Add($"$.states[{i}].parent", $"unknown state '{s.Parent}'");
            }

            // Parent cycles would make substate checks loop.
            var seen = new HashSet<string>();
            for (var p = s; p?.Parent is not null; p = states.GetValueOrDefault(p.Parent))
            {
                if (!seen.Add(p.Id))
                {
                    Add($"$.states[{i}].parent", $"state '{s.Id}' is its own ancestor");
                    break;
                }
            }
        }

        if (!states.ContainsKey(def.Initial))
        {
            Add("$.initial", $"unknown state '{def.Initial}'");
        }

        var triggers = new Dictionary<string, TriggerDefinition>(StringComparer.Ordinal);
        for (var i = 0; i < def.Triggers.Count; i++)
        {
            var t = def.Triggers[i];
            if (string.IsNullOrWhiteSpace(t.Id) || !triggers.TryAdd(t.Id, t))
            {
                Add($"$.triggers[{i}].id", string.IsNullOrWhiteSpace(t.Id) ? "missing trigger id" : $"duplicate trigger '{t.Id}'");
            }

            ValidateParameters(t.Parameters, $"$.triggers[{i}].parameters", strict, Add);
        }

        if (def.Creation is { } creation)
        {
            ValidateRoles(creation.Roles, "$.creation.roles", strict, Add);
            ValidateParameters(creation.Parameters, "$.creation.parameters", strict, Add);
            ValidateEffects(def, creation.Effects, "$.creation.effects", triggers, Add);
            if (!strict && (creation.Inputs is not null || creation.Guard is not null || creation.Assign is not null || creation.Compute is not null || creation.Unique is not null))
            {
                Add("$.creation", "inputs, guard, assign, compute and unique need runtime 2 (runtime 1 copies every argument into the data)");
            }

            if (strict)
            {
                if (creation.Assign is null)
                {
                    Add("$.creation.assign", "runtime 2 creation assigns the new dossier's data explicitly");
                }

                ValidateInputs(creation.Inputs, "$.creation.inputs", Add);
                ValidateGuard(creation.Guard, "$.creation.guard", problems, def, Add);
                ValidateAssignAndCompute(creation.Assign, creation.Compute, "$.creation", Add);
                foreach (var (u, k) in (creation.Unique ?? []).Select((u, k) => (u, k)))
                {
                    if (!ValueResolver.IsPath(u))
                    {
                        Add($"$.creation.unique[{k}]", $"'{u}' is not a path like args.x or data.x");
                    }
                }
            }
        }

        var usedTriggers = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < def.Transitions.Count; i++)
        {
            var t = def.Transitions[i];
            var path = $"$.transitions[{i}]";
            if (!states.TryGetValue(t.From, out var from))
            {
                Add($"{path}.from", $"unknown state '{t.From}'");
            }
            else if (from.Terminal)
            {
                Add($"{path}.from", $"'{t.From}' is terminal and cannot have outgoing transitions");
            }

            if (t.To is not null && !states.ContainsKey(t.To))
            {
                Add($"{path}.to", $"unknown state '{t.To}'");
            }

            if (!triggers.ContainsKey(t.Trigger))
            {
                Add($"{path}.trigger", $"unknown trigger '{t.Trigger}'");
            }

            usedTriggers.Add(t.Trigger);
            if (t.Roles.Count == 0)
            {
                Add($"{path}.roles", "no role may fire this transition");
            }

            ValidateRoles(t.Roles, $"{path}.roles", strict, Add);
            if (!strict && t.Inputs is not null)
            {
                Add($"{path}.inputs", "server-derived inputs need runtime 2");
            }

            ValidateInputs(t.Inputs, $"{path}.inputs", Add);
            if (triggers.TryGetValue(t.Trigger, out var trig) && trig.Automatic && !t.Roles.Contains("system"))
            {
                Add($"{path}.roles", $"automatic trigger '{t.Trigger}' must allow the system role");
            }

            ValidateGuard(t.Guard, $"{path}.guard", problems, def, Add);
            ValidateAssignAndCompute(t.Assign, t.Compute, path, Add);
            ValidateEffects(def, t.Effects, $"{path}.effects", triggers, Add);
        }

        for (var i = 0; i < def.Triggers.Count; i++)
        {
            if (!usedTriggers.Contains(def.Triggers[i].Id))
            {
                Add($"$.triggers[{i}]", $"trigger '{def.Triggers[i].Id}' is used by no transition");
            }
        }

        // Duplicate or ambiguous transitions: same state and trigger without guards telling them apart.
        foreach (var group in def.Transitions.Select((t, i) => (t, i)).GroupBy(x => (x.t.From, x.t.Trigger)))
        {
            var list = group.ToList();
            for (var a = 0; a < list.Count; a++)
            {
                for (var b = a + 1; b < list.Count; b++)
                {
                    var ga = list[a].t.Guard?.ToJsonString();
                    var gb = list[b].t.Guard?.ToJsonString();
                    var rolesOverlap = list[a].t.Roles.Select(r => Permission.Parse(r).Role).Intersect(list[b].t.Roles.Select(r => Permission.Parse(r).Role)).Any();
                    if (rolesOverlap && (ga is null || gb is null || ga == gb))
                    {
                        Add($"$.transitions[{list[b].i}]", $"ambiguous: transitions[{list[a].i}] also fires '{group.Key.Trigger}' from '{group.Key.From}' for the same role without a distinguishing guard");
                    }
                }
            }
        }

        if (states.ContainsKey(def.Initial))
        {
            ValidateReachability(def, states, Add);
        }

        return problems;
    }

    private void ValidateReachability(WorkflowDefinition def, Dictionary<string, StateDefinition> states, Action<string, string> add)
    {
        // The definition's walk is bounded: a parent cycle (reported above) cannot make this loop.
        IEnumerable<string> SelfAndAncestors(string s) => def.SelfAndAncestors(s);

        var reached = new HashSet<string>(StringComparer.Ordinal);
        var queue = new Queue<string>();
        queue.Enqueue(def.Initial);
        while (queue.Count > 0)
        {
            var s = queue.Dequeue();
            if (!reached.Add(s))
            {
                continue;
            }

            foreach (var anc in SelfAndAncestors(s))
            {
                reached.Add(anc);
                foreach (var t in def.Transitions.Where(t => t.From == anc && t.To is not null && states.ContainsKey(t.To)))
                {
                    queue.Enqueue(t.To!);
                }
            }
        }

        for (var i = 0; i < def.States.Count; i++)
        {
            var s = def.States[i];
            var isParent = def.States.Any(c => c.Parent == s.Id);
            if (!reached.Contains(s.Id))
            {
                add($"$.states[{i}]", $"state '{s.Id}' is unreachable from '{def.Initial}'");
                continue;
            }

            if (!s.Terminal && !isParent)
            {
                var outgoing = SelfAndAncestors(s.Id).Any(a => def.Transitions.Any(t => t.From == a && t.To is not null && t.To != s.Id));
                if (!outgoing)
                {
                    add($"$.states[{i}]", $"state '{s.Id}' is a dead end: it is not terminal and has no way out");
                }
            }
        }
    }

    private void ValidateRoles(IEnumerable<string> list, string path, bool strict, Action<string, string> add)
    {
        foreach (var entry in list)
        {
            var p = Permission.Parse(entry);
            if (!roles.Contains(p.Role))
            {
                add(path, $"unknown role '{p.Role}'");
            }

            if (!Relations.All.Contains(p.Relation))
            {
                add(path, $"unknown relation '{p.Relation}' (owner, participant or any)");
            }
            else if (!strict && entry.Contains(':', StringComparison.Ordinal))
            {
                add(path, $"'{entry}': relations need runtime 2");
            }
            else if (strict && p.Role == "municipality" && p.Relation == Relations.Any)
            {
                add(path, "a municipality acts through its relation to the dossier: write municipality:owner or municipality:participant");
            }
        }
    }

    private void ValidateInputs(IReadOnlyDictionary<string, string>? inputs, string path, Action<string, string> add)
    {
        foreach (var (name, provider) in inputs ?? new Dictionary<string, string>())
        {
            if (ReservedInputs.Contains(name))
            {
                add($"{path}.{name}", $"'{name}' is added by the runtime (the actor's authority)");
            }

            if (rules.FindInput(provider) is null)
            {
                add($"{path}.{name}", $"unknown input '{provider}'");
            }
        }
    }

    private void ValidateGuard(JsonNode? node, string path, List<LoadProblem> problems, WorkflowDefinition def, Action<string, string> add)
    {
        var guardProblems = new List<string>();
        var guard = GuardExpression.Parse(node, path, guardProblems);
        foreach (var gp in guardProblems)
        {
            problems.Add(new LoadProblem(def.SourcePath, gp.Split(':')[0], gp[(gp.IndexOf(':', StringComparison.Ordinal) + 2)..]));
        }

        foreach (var rule in guard?.RuleNames ?? [])
        {
            if (rules.FindGuard(rule) is null)
            {
                add(path, $"unknown guard rule '{rule}'");
            }
        }
    }

    private void ValidateAssignAndCompute(IReadOnlyDictionary<string, JsonNode?>? assign, IReadOnlyDictionary<string, string>? compute, string path, Action<string, string> add)
    {
        foreach (var (field, expr) in assign ?? new Dictionary<string, JsonNode?>())
        {
            if (!IsValueExpression(expr))
            {
                add($"{path}.assign.{field}", "not a value expression (now, actor, args.x, data.x, inputs.x, {\"value\": ...} or {\"first\": [...]})");
            }
        }

        foreach (var (field, name) in compute ?? new Dictionary<string, string>())
        {
            if (rules.FindComputation(name) is null)
            {
                add($"{path}.compute.{field}", $"unknown computation '{name}'");
            }
        }
    }

    private static void ValidateParameters(IReadOnlyList<ParameterDefinition> parameters, string path, bool strict, Action<string, string> add)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < parameters.Count; i++)
        {
            var p = parameters[i];
            if (string.IsNullOrWhiteSpace(p.Name) || !names.Add(p.Name))
            {
                add($"{path}[{i}].name", string.IsNullOrWhiteSpace(p.Name) ? "missing parameter name" : $"duplicate parameter '{p.Name}'");
            }

            ValidateSchema(p, $"{path}[{i}]", strict, add);
        }
    }

    /// <summary>One schema node: a known type, formats and limits that fit it, and (runtime 2) no free-form object or array.</summary>
    private static void ValidateSchema(ParameterDefinition p, string path, bool strict, Action<string, string> add)
    {
        if (!ParameterTypes.Contains(p.Type))
        {
            add($"{path}.type", $"unknown parameter type '{p.Type}'");
            return;
        }

        if (p.Format is { } format)
        {
            var known = p.Type switch
            {
                "string" => Schema.ArgumentSchema.StringFormats.Contains(format),
                "decimal" => Schema.ArgumentSchema.DecimalFormats.Contains(format),
                _ => false,
            };
            if (!known)
            {
                add($"{path}.format", $"format '{format}' does not apply to a {p.Type}");
            }
        }

        if (p.Values is not null && p.Type is not ("string" or "text"))
        {
            add($"{path}.values", "values apply to strings");
        }

        if ((p.Min is not null || p.Max is not null) && p.Type is not ("int" or "decimal"))
        {
            add($"{path}", "min and max apply to numbers");
        }

        if ((p.Properties is not null || p.Additional is not null) && p.Type != "object")
        {
            add($"{path}", "properties and additional apply to objects");
        }

        if ((p.Items is not null || p.UniqueItems || p.UniqueBy is not null) && p.Type != "array")
        {
            add($"{path}", "items, uniqueItems and uniqueBy apply to arrays");
        }

        if (p.Type == "object")
        {
            if (strict && p.Properties is null && p.Additional is null)
            {
                add(path, $"object '{p.Name}' declares no properties: runtime 2 checks every member (declare properties or additional)");
            }

            if (p.Properties is not null)
            {
                ValidateParameters(p.Properties, $"{path}.properties", strict, add);
            }

            if (p.Additional is not null)
            {
                ValidateSchema(p.Additional, $"{path}.additional", strict, add);
            }
        }

        if (p.Type == "array")
        {
            if (strict && p.Items is null)
            {
                add(path, $"array '{p.Name}' declares no items: runtime 2 checks every item");
            }

            if (strict && p.MaxItems is null)
            {
                add(path, $"array '{p.Name}' declares no maxItems");
            }

            if (p.Items is not null)
            {
                ValidateSchema(p.Items, $"{path}.items", strict, add);
            }

            foreach (var member in p.UniqueBy ?? [])
            {
                if (p.Items?.Properties is not { } props || !props.Any(x => x.Name == member))
                {
                    add($"{path}.uniqueBy", $"'{member}' is not a member of the items");
                }
            }
        }
    }

    private void ValidateEffects(WorkflowDefinition def, IReadOnlyList<EffectDefinition> effects, string path, Dictionary<string, TriggerDefinition> triggers, Action<string, string> add)
    {
        for (var e = 0; e < effects.Count; e++)
        {
            var effect = effects[e];
            var p = $"{path}[{e}]";
            var set = new object?[] { effect.Letter, effect.Notice, effect.Deadline, effect.ClearDeadline }.Count(x => x is not null);
            if (set != 1)
            {
                add(p, "an effect must have exactly one of letter, notice, deadline, clearDeadline");
                continue;
            }

            if (effect.Letter is not null && !templateExists(effect.Letter))
            {
                add($"{p}.letter", $"unknown letter template '{effect.Letter}'");
            }

            if (effect.Notice is not null && !templateExists(effect.Notice))
            {
                add($"{p}.notice", $"unknown notice template '{effect.Notice}'");
            }

            if (effect.Deadline is { } d)
            {
                if (string.IsNullOrWhiteSpace(d.Kind))
                {
                    add($"{p}.deadline.kind", "missing deadline kind");
                }

                if (d.Label is { } label && string.IsNullOrWhiteSpace(label.Nl))
                {
                    add($"{p}.deadline.label.nl", "a deadline label needs the Dutch text (nl)");
                }
                else if (def.Runtime >= 2 && d.Label is null && !string.IsNullOrWhiteSpace(d.Kind) && !Calendar.DeadlineLabels.Known.ContainsKey(d.Kind))
                {
                    // Runtime 2 on: people read deadlines in the calendar, the letters and on screens: a kind nobody named would
                    // show as "Termijn" or leak its id. The catalogue names the kinds of the definitions published
                    // before deadline effects had labels; a new kind brings its own.
                    add($"{p}.deadline.label", $"the deadline kind '{d.Kind}' needs a label with the Dutch (nl) and English (en) name people read");
                }

                if (d.At is null && d.After is null)
                {
                    add($"{p}.deadline", "a deadline needs 'at', 'after' or both");
                }

                if (d.At is not null && !ValueResolver.IsPath(d.At))
                {
                    add($"{p}.deadline.at", $"'{d.At}' is not a path like args.x or data.x");
                }

                if (d.After is not null && !IsoDuration.IsValid(d.After))
                {
                    add($"{p}.deadline.after", $"'{d.After}' is not an ISO-8601 duration like P30D");
                }

                if (d.Within is not null && def.FindState(d.Within) is null)
                {
                    add($"{p}.deadline.within", $"unknown state '{d.Within}'");
                }

                if (d.Timeout is not null && !triggers.ContainsKey(d.Timeout))
                {
                    add($"{p}.deadline.timeout", $"unknown trigger '{d.Timeout}'");
                }
                else if (d.Timeout is not null && !def.Transitions.Any(t => t.Trigger == d.Timeout && t.Roles.Contains("system", StringComparer.Ordinal)))
                {
                    add($"{p}.deadline.timeout", $"timeout trigger '{d.Timeout}' has no transition the system may fire");
                }
            }

            if (effect.ClearDeadline is not null && !AllDeadlineKinds(def).Contains(effect.ClearDeadline))
            {
                add($"{p}.clearDeadline", $"no effect ever sets a deadline of kind '{effect.ClearDeadline}'");
            }
        }
    }

    private static HashSet<string> AllDeadlineKinds(WorkflowDefinition def) =>
        def.Transitions.SelectMany(t => t.Effects).Concat(def.Creation?.Effects ?? [])
            .Where(e => e.Deadline is not null).Select(e => e.Deadline!.Kind).ToHashSet(StringComparer.Ordinal);

    private static bool IsValueExpression(JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => ValueResolver.IsPath(s),
        JsonObject o when o.Count == 1 && o.ContainsKey("value") => true,
        JsonObject o when o.Count == 1 && o["first"] is JsonArray options => options.Count > 0 && options.All(IsValueExpression),
        _ => false,
    };

    /// <summary>Checks migration specs against the definitions they connect.</summary>
    public IEnumerable<LoadProblem> ValidateMigrations(IReadOnlyList<MigrationSpec> migrations, IReadOnlyList<WorkflowDefinition> definitions)
    {
        foreach (var m in migrations)
        {
            var from = definitions.FirstOrDefault(d => d.Id == m.Workflow && d.Version == m.FromVersion);
            var to = definitions.FirstOrDefault(d => d.Id == m.Workflow && d.Version == m.ToVersion);
            if (string.IsNullOrWhiteSpace(m.Id))
            {
                yield return new LoadProblem(m.SourcePath, "$.id", "missing migration id");
            }

            if (from is null)
            {
                yield return new LoadProblem(m.SourcePath, "$.fromVersion", $"{m.Workflow} v{m.FromVersion} does not exist");
            }

            if (to is null)
            {
                yield return new LoadProblem(m.SourcePath, "$.toVersion", $"{m.Workflow} v{m.ToVersion} does not exist");
            }

            if (m.ToVersion <= m.FromVersion)
            {
                yield return new LoadProblem(m.SourcePath, "$.toVersion", "a migration must go to a later version");
            }

            if (from is null || to is null)
            {
                continue;
            }

            foreach (var (oldState, newState) in m.StateMap)
            {
                if (from.FindState(oldState) is null)
                {
                    yield return new LoadProblem(m.SourcePath, $"$.stateMap.{oldState}", $"'{oldState}' is not a state of v{m.FromVersion}");
                }

                if (to.FindState(newState) is null)
                {
                    yield return new LoadProblem(m.SourcePath, $"$.stateMap.{oldState}", $"'{newState}' is not a state of v{m.ToVersion}");
                }
            }

            foreach (var (state, _) in m.Effects ?? new Dictionary<string, IReadOnlyList<EffectDefinition>>())
            {
                if (to.FindState(state) is null)
                {
                    yield return new LoadProblem(m.SourcePath, $"$.effects.{state}", $"'{state}' is not a state of v{m.ToVersion}");
                }
            }
        }
    }
}
