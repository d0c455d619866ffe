using System.Collections.Frozen;
using SubsidyEngine.Workflows.Compilation;
using SubsidyEngine.Workflows.Expressions;
using SubsidyEngine.Workflows.Loading;
using SubsidyEngine.Workflows.Model;

namespace SubsidyEngine.Engine.Runtime;

/// <summary>What the runtime needs to know of the letter templates: which exist and their latest version.</summary>
public interface ILetterTemplates
{
    bool Exists(string templateId);

    int LatestVersion(string templateId);
}

/// <summary>The roles of the service.</summary>
public static class Roles
{
    public const string Officer = "officer";
    public const string Municipality = "municipality";
    public const string Auditor = "auditor";
    public const string Admin = "admin";
    public const string System = "system";

    public static IReadOnlySet<string> All { get; } = new HashSet<string>([Officer, Municipality, Auditor, Admin, System], StringComparer.Ordinal).ToFrozenSet();
}

/// <summary>
/// Every workflow definition version and migration spec, loaded from the workflows folder, validated as a whole
/// and compiled. Immutable once built; safe to share.
/// </summary>
public sealed class WorkflowCatalog
{
    private readonly Dictionary<(string, int), CompiledWorkflow> _byVersion = [];
    private readonly Dictionary<string, CompiledWorkflow> _latest = new(StringComparer.Ordinal);

    private WorkflowCatalog(IEnumerable<WorkflowDefinition> definitions, IReadOnlyList<MigrationSpec> migrations, RuleRegistry rules, ILetterTemplates templates, string? folder)
    {
        Rules = rules;
        Templates = templates;
        Folder = folder;
        Migrations = migrations;
        foreach (var d in definitions)
        {
            var compiled = new CompiledWorkflow(d, rules);
            _byVersion[(d.Id, d.Version)] = compiled;
            if (!_latest.TryGetValue(d.Id, out var cur) || cur.Definition.Version < d.Version)
            {
                _latest[d.Id] = compiled;
            }
        }
    }

    public RuleRegistry Rules { get; }

    public ILetterTemplates Templates { get; }

    /// <summary>The folder the definitions came from (null for definitions built in code).</summary>
    public string? Folder { get; }

    public IReadOnlyList<MigrationSpec> Migrations { get; }

    public IEnumerable<CompiledWorkflow> All => _byVersion.Values.OrderBy(c => c.Definition.Id, StringComparer.Ordinal).ThenBy(c => c.Definition.Version);

    public static DefinitionValidator Validator(RuleRegistry rules, ILetterTemplates templates) => new(Roles.All, rules, templates.Exists);

    /// <summary>
    /// Loads and validates a folder's definitions and migrations; throws with every problem of every file when any is
    /// invalid, after <paramref name="earlierProblems"/> (those of the folder's programme data: see
    /// <see cref="Hosting.WorkflowFiles"/>), so that one start reports everything wrong under <c>workflows/</c>.
    /// </summary>
    public static WorkflowCatalog Load(string folder, RuleRegistry rules, ILetterTemplates templates, IReadOnlyList<LoadProblem>? earlierProblems = null)
    {
        var result = DefinitionLoader.LoadFolder(folder, Validator(rules, templates));
        if (result.Problems.Count > 0 || earlierProblems is { Count: > 0 })
        {
            throw new LoadProblemsException([.. earlierProblems ?? [], .. result.Problems]);
        }

        return new WorkflowCatalog(result.Definitions, result.Migrations, rules, templates, folder);
    }

    /// <summary>Builds a catalogue from definitions given in code (tests); validates them the same way.</summary>
    public static WorkflowCatalog FromDefinitions(IEnumerable<WorkflowDefinition> definitions, RuleRegistry rules, ILetterTemplates templates, IReadOnlyList<MigrationSpec>? migrations = null)
    {
        var list = definitions.ToList();
        var validator = Validator(rules, templates);
        var problems = validator.Validate(list).Concat(validator.ValidateMigrations(migrations ?? [], list)).ToList();
        if (problems.Count > 0)
        {
            throw new LoadProblemsException(problems);
        }

        return new WorkflowCatalog(list, migrations ?? [], rules, templates, null);
    }

    public CompiledWorkflow Get(string workflowId, int version) =>
        _byVersion.TryGetValue((workflowId, version), out var c) ? c : throw new WorkflowNotFoundException(workflowId, version);

    public CompiledWorkflow Latest(string workflowId) =>
        _latest.TryGetValue(workflowId, out var c) ? c : throw new WorkflowNotFoundException(workflowId);

    /// <summary>The version new dossiers start on at <paramref name="now"/>: the highest whose EffectiveFrom has passed.</summary>
    public CompiledWorkflow LatestEffective(string workflowId, DateTimeOffset now) =>
        _byVersion.Values
            .Where(c => c.Definition.Id == workflowId && (c.Definition.EffectiveFrom is null || c.Definition.EffectiveFrom <= now))
            .MaxBy(c => c.Definition.Version)
        ?? throw new WorkflowNotFoundException(workflowId);

    public bool Contains(string workflowId) => _latest.ContainsKey(workflowId);

    /// <summary>Whether version <paramref name="version"/> of <paramref name="workflowId"/> is loaded.</summary>
    public bool Contains(string workflowId, int version) => _byVersion.ContainsKey((workflowId, version));

    public MigrationSpec? FindMigration(string id) => Migrations.FirstOrDefault(m => m.Id == id);
}
