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
    public static readonly IReadOnlySet<string> ParameterTypes = new HashSet<string>(StringComparer.Ordinal)
    {
        "string", "text", "int", "decimal", "bool", "date", "datetime", "object", "array",
    };

    public IEnumerable<DefinitionProblem> Validate(IReadOnlyList<WorkflowDefinition> definitions)
    {
        var problems = new List<DefinitionProblem>();
        foreach (var dup in definitions.GroupBy(d => d.Key).Where(g => g.Count() > 1))
        {
            problems.Add(new DefinitionProblem(string.Join(", ", dup.Select(d => d.SourcePath)), "$", $"{dup.Key} is defined more than once"));
        }

        foreach (var def in definitions)
        {
            problems.AddRange(Validate(def));
        }

        return problems;
    }

    /// <summary>All problems of one definition.</summary>
    public IReadOnlyList<DefinitionProblem> Validate(WorkflowDefinition def)
    {
        var problems = new List<DefinitionProblem>();
        void Add(string path, string message) => problems.Add(new DefinitionProblem(def.SourcePath, path, message));

        if (string.IsNullOrWhiteSpace(def.Id))
        {
            Add("$.id", "missing id");
        }

        if (def.Version < 1)
        {
            Add("$.version", "version must be 1 or more");
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

            ValidateParameters(t.Parameters, $"$.triggers[{i}].parameters", Add);
        }

        if (def.Creation is not null)
        {
            ValidateRoles(def.Creation.Roles, "$.creation.roles", Add);
            ValidateParameters(def.Creation.Parameters, "$.creation.parameters", Add);
            ValidateEffects(def, def.Creation.Effects, "$.creation.effects", triggers, Add);
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

            ValidateRoles(t.Roles, $"{path}.roles", Add);
            if (triggers.TryGetValue(t.Trigger, out var trig) && trig.Automatic && !t.Roles.Contains("system"))
            {
                Add($"{path}.roles", $"automatic trigger '{t.Trigger}' must allow the system role");
            }

            var guardProblems = new List<string>();
            var guard = GuardExpression.Parse(t.Guard, $"{path}.guard", guardProblems);
            foreach (var gp in guardProblems)
            {
                problems.Add(new DefinitionProblem(def.SourcePath, gp.Split(':')[0], gp[(gp.IndexOf(':', StringComparison.Ordinal) + 2)..]));
            }

            foreach (var rule in guard?.RuleNames ?? [])
            {
                if (rules.FindGuard(rule) is null)
                {
                    Add($"{path}.guard", $"unknown guard rule '{rule}'");
                }
            }

            foreach (var (field, expr) in t.Assign ?? new Dictionary<string, JsonNode?>())
            {
                if (!IsValueExpression(expr))
                {
                    Add($"{path}.assign.{field}", "not a value expression (now, actor, args.x, data.x or {\"value\": ...})");
                }
            }

            foreach (var (field, name) in t.Compute ?? new Dictionary<string, string>())
            {
                if (rules.FindComputation(name) is null)
                {
                    Add($"{path}.compute.{field}", $"unknown computation '{name}'");
                }
            }

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
                    var rolesOverlap = list[a].t.Roles.Intersect(list[b].t.Roles).Any();
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

    private void ValidateRoles(IEnumerable<string> list, string path, Action<string, string> add)
    {
        foreach (var r in list)
        {
            if (!roles.Contains(r))
            {
                add(path, $"unknown role '{r}'");
            }
        }
    }

    private static void ValidateParameters(IReadOnlyList<ParameterDefinition> parameters, string path, Action<string, string> add)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < parameters.Count; i++)
        {
            var p = parameters[i];
            if (string.IsNullOrWhiteSpace(p.Name) || !names.Add(p.Name))
            {
                add($"{path}[{i}].name", string.IsNullOrWhiteSpace(p.Name) ? "missing parameter name" : $"duplicate parameter '{p.Name}'");
            }

            if (!ParameterTypes.Contains(p.Type))
            {
                add($"{path}[{i}].type", $"unknown parameter type '{p.Type}'");
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
                else if (d.Timeout is not null && !def.Transitions.Any(t => t.Trigger == d.Timeout && t.Roles.Contains("system")))
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
        JsonObject o => o.Count == 1 && o.ContainsKey("value"),
        _ => false,
    };

    /// <summary>Checks migration specs against the definitions they connect.</summary>
    public IEnumerable<DefinitionProblem> ValidateMigrations(IReadOnlyList<MigrationSpec> migrations, IReadOnlyList<WorkflowDefinition> definitions)
    {
        foreach (var m in migrations)
        {
            var from = definitions.FirstOrDefault(d => d.Id == m.Workflow && d.Version == m.FromVersion);
            var to = definitions.FirstOrDefault(d => d.Id == m.Workflow && d.Version == m.ToVersion);
            if (string.IsNullOrWhiteSpace(m.Id))
            {
                yield return new DefinitionProblem(m.SourcePath, "$.id", "missing migration id");
            }

            if (from is null)
            {
                yield return new DefinitionProblem(m.SourcePath, "$.fromVersion", $"{m.Workflow} v{m.FromVersion} does not exist");
            }

            if (to is null)
            {
                yield return new DefinitionProblem(m.SourcePath, "$.toVersion", $"{m.Workflow} v{m.ToVersion} does not exist");
            }

            if (m.ToVersion <= m.FromVersion)
            {
                yield return new DefinitionProblem(m.SourcePath, "$.toVersion", "a migration must go to a later version");
            }

            if (from is null || to is null)
            {
                continue;
            }

            foreach (var (oldState, newState) in m.StateMap)
            {
                if (from.FindState(oldState) is null)
                {
                    yield return new DefinitionProblem(m.SourcePath, $"$.stateMap.{oldState}", $"'{oldState}' is not a state of v{m.FromVersion}");
                }

                if (to.FindState(newState) is null)
                {
                    yield return new DefinitionProblem(m.SourcePath, $"$.stateMap.{oldState}", $"'{newState}' is not a state of v{m.ToVersion}");
                }
            }

            foreach (var (state, _) in m.Effects ?? new Dictionary<string, IReadOnlyList<EffectDefinition>>())
            {
                if (to.FindState(state) is null)
                {
                    yield return new DefinitionProblem(m.SourcePath, $"$.effects.{state}", $"'{state}' is not a state of v{m.ToVersion}");
                }
            }
        }
    }
}
