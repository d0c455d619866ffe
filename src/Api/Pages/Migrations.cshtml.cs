using Microsoft.AspNetCore.Mvc;
using SubsidyEngine.Api.Ui;
using SubsidyEngine.Engine.Access;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Workflows.Expressions;
using SubsidyEngine.Workflows.Model;

namespace SubsidyEngine.Api.Pages;

/// <summary>
/// Extension migrations (officer: list and dry run; admin: also apply): the migration specs of
/// <c>workflows/*/migrations</c>, a dry run listing every dossier and the state it would move to (or what blocks
/// it), then apply behind a confirmation. Calls the same <see cref="DefinitionMigrator"/> as
/// <c>/api/migrations/{id}/dry-run</c> and <c>/apply</c>.
/// </summary>
public sealed class MigrationsModel(WorkflowCatalog catalog, DefinitionMigrator migrator, DossierQueries queries) : UiPageModel
{
    public IReadOnlyList<MigrationSpec> Specs => catalog.Migrations;

    public MigrationPlan? Plan { get; private set; }

    /// <summary>True when <see cref="Plan"/> is the outcome of an apply (not a dry run).</summary>
    public bool Applied { get; private set; }

    /// <summary>References of the dossiers in the plan, for display.</summary>
    public Dictionary<Guid, string> References { get; } = [];

    public bool MayApply => Scope.Role == Roles.Admin;

    public string Title(MigrationSpec spec) => spec.Title?.For(Lang) ?? spec.Id;

    /// <summary>The procedure a migration moves, by the title of its target definition (the workflow id is for a tooltip).</summary>
    public string WorkflowTitle(MigrationSpec spec) => catalog.Get(spec.Workflow, spec.ToVersion).Definition.Title?.For(Lang) ?? spec.Workflow;

    public string StateLabelIn(MigrationSpec spec, int version, string? state) =>
        state is null ? "–" : StateLabel(catalog.Get(spec.Workflow, version), state);

    public IActionResult OnGet() => MayView ? Page() : Forbid();

    public async Task<IActionResult> OnPostDryRunAsync(string id, CancellationToken ct)
    {
        if (!MayView)
        {
            return Forbid();
        }

        if (catalog.FindMigration(id) is null)
        {
            return NotFound();
        }

        Plan = await migrator.DryRunAsync(id, ct);
        await ReferencesAsync(ct);
        return Page();
    }

    public async Task<IActionResult> OnPostApplyAsync(string id, bool confirm, CancellationToken ct)
    {
        if (!MayApply)
        {
            return Forbid();
        }

        if (catalog.FindMigration(id) is null)
        {
            return NotFound();
        }

        if (!confirm)
        {
            Errors.Add(T("apply.confirm.missing"));
            Plan = await migrator.DryRunAsync(id, ct);
        }
        else
        {
            // As the API does: the journal records the admin in its own role (a migration is not a workflow transition).
            Plan = await migrator.ApplyAsync(id, new Actor(Scope.UserId, Scope.Role), ct);
            Applied = true;
            Messages.Add($"{T("migration")} {id}: {Plan.Movable.Count()} {T("moved")}, {Plan.Blocked.Count()} {T("blocked")}.");
        }

        await ReferencesAsync(ct);
        return Page();
    }

    private bool MayView => Scope.Role is Roles.Officer or Roles.Admin;

    private async Task ReferencesAsync(CancellationToken ct)
    {
        foreach (var move in Plan?.Moves ?? [])
        {
            if (await queries.GetAsync(Scope, move.DossierId, ct) is { } d)
            {
                References[move.DossierId] = Str(d.Data, "reference");
            }
        }
    }
}
