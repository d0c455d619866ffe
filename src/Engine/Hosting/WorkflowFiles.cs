using SubsidyEngine.Engine.Programmes;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Workflows.Expressions;
using SubsidyEngine.Workflows.Loading;

namespace SubsidyEngine.Engine.Hosting;

/// <summary>
/// Everything under <c>workflows/</c>, loaded in one go: the programme data (<c>programme.json</c>,
/// <c>calls/*.json</c>) with the authority register, the guard and computation functions over them, and the workflow
/// definitions and migrations validated against those functions. Every problem of every file is reported together
/// as <see cref="LoadProblem"/>s (file relative to the folder, JSON path, message) in one
/// <see cref="LoadProblemsException"/>: a broken call file does not hide a broken definition.
/// </summary>
/// <remarks>
/// The service's container does the same in two steps (<see cref="ProgrammeCatalog.TryLoad"/>, then
/// <see cref="WorkflowCatalog.Load"/> with the programme problems) so that a host may register its own
/// <see cref="RuleRegistry"/> between them (the API tests add test guards).
/// </remarks>
public sealed record WorkflowFiles(ProgrammeCatalog Programmes, RuleRegistry Rules, WorkflowCatalog Workflows)
{
    /// <summary>Loads <paramref name="folder"/> and the register; throws <see cref="LoadProblemsException"/> listing every problem.</summary>
    /// <param name="folder">The workflows folder (<c>workflows/&lt;programme&gt;/...</c>).</param>
    /// <param name="authoritiesCsv">The authority register.</param>
    /// <param name="templates">The letter templates the definitions may name.</param>
    /// <param name="rules">The functions the definitions may name (default: <see cref="ProgrammeRules.Create"/>).</param>
    public static WorkflowFiles Load(string folder, string authoritiesCsv, ILetterTemplates templates, Func<ProgrammeCatalog, RuleRegistry>? rules = null)
    {
        var programmes = ProgrammeCatalog.TryLoad(folder, authoritiesCsv);
        var registry = (rules ?? ProgrammeRules.Create)(programmes.Catalog);
        return new WorkflowFiles(programmes.Catalog, registry, WorkflowCatalog.Load(folder, registry, templates, programmes.Problems));
    }
}
