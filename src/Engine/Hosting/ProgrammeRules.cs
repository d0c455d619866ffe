using SubsidyEngine.Engine.Programmes;
using SubsidyEngine.Workflows.Expressions;

namespace SubsidyEngine.Engine.Hosting;

/// <summary>The guard and computation functions the workflow definitions may name, registered in one place.</summary>
public static class ProgrammeRules
{
    public static RuleRegistry Create(ProgrammeCatalog programmes) => ProgrammeGuards.Register(new RuleRegistry(), programmes);
}
