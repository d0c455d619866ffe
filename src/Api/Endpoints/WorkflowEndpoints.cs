using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using SubsidyEngine.Api.Hosting;
using SubsidyEngine.Api.Auth;
using SubsidyEngine.Engine.Access;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Workflows.Compilation;
using static SubsidyEngine.Api.Endpoints.EndpointConventions;

namespace SubsidyEngine.Api.Endpoints;

/// <summary>Workflow definitions (read-only data files) and the migrations between their versions.</summary>
public static class WorkflowEndpoints
{
    public static RouteGroupBuilder MapWorkflowEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api").WithTags("Workflows").RequireAuthorization(Policies.Read);
        group.MapGet("/workflows", List).Documented("ListWorkflows", "List workflow definitions",
            "Every version of every workflow definition: id, version, title and the SHA-256 of the definition file.", 401, 403);
        group.MapGet("/workflows/{programme}/{name}", Get).Documented("GetWorkflow", "Get a workflow definition",
            "One definition (the latest version, or ?version=N) with its states, triggers, transitions and Mermaid state diagram.", 400, 401, 403, 404);
        group.MapGet("/migrations", Migrations).RequireAuthorization(Policies.Review).Documented("ListMigrations", "List migrations",
            "The migration specs that move running dossiers between versions of a workflow (auditor, officer, admin).", 401, 403);
        group.MapPost("/migrations/{id}/dry-run", DryRunAsync).RequireAuthorization(Policies.Officer).Documented("DryRunMigration", "Dry-run a migration",
            "Which dossiers would move to which state, and which cannot move and why. Changes nothing (officer, admin).", 400, 401, 403, 404);
        group.MapPost("/migrations/{id}/apply", ApplyAsync).RequireAuthorization(Policies.Admin).Documented("ApplyMigration", "Apply a migration",
            "Moves every movable dossier, writing one migrated journal event per dossier (admin).", 400, 401, 403, 404);
        return group;
    }

    public static Ok<IReadOnlyList<WorkflowSummaryDto>> List(WorkflowCatalog catalog)
    {
        var latest = catalog.All.GroupBy(w => w.Definition.Id).ToDictionary(g => g.Key, g => g.Max(w => w.Definition.Version), StringComparer.Ordinal);
        return TypedResults.Ok<IReadOnlyList<WorkflowSummaryDto>>(catalog.All
            .Select(w => new WorkflowSummaryDto(w.Definition.Id, w.Definition.Version, w.Definition.Title?.Nl, w.Definition.Title?.En, w.Definition.ContentHash, latest[w.Definition.Id] == w.Definition.Version))
            .ToList());
    }

    public static Results<Ok<WorkflowDto>, ProblemHttpResult> Get(string programme, string name, WorkflowCatalog catalog, int? version = null)
    {
        var errors = new List<FieldError>();
        if (version is < 1)
        {
            errors.Add(new FieldError("version", "must be 1 or more"));
        }

        ThrowIfAny(errors);
        var id = $"{programme}/{name}";
        if (!Identifier().IsMatch(id) || !catalog.Contains(id))
        {
            return NotFound($"Workflow '{id}' does not exist.");
        }

        var wf = version is { } v ? catalog.Get(id, v) : catalog.Latest(id);
        return TypedResults.Ok(ToDto(wf));
    }

    public static Ok<IReadOnlyList<MigrationDto>> Migrations(WorkflowCatalog catalog) =>
        TypedResults.Ok<IReadOnlyList<MigrationDto>>(catalog.Migrations.Select(m => new MigrationDto(m.Id, m.Workflow, m.FromVersion, m.ToVersion, m.Title?.Nl, m.StateMap)).ToList());

    public static async Task<Results<Ok<MigrationPlanDto>, ProblemHttpResult>> DryRunAsync(string id, HttpRequest request, WorkflowCatalog catalog, DefinitionMigrator migrator, CancellationToken cancellationToken)
    {
        await JsonBody.NoMembersAsync(request, cancellationToken);
        if (!Identifier().IsMatch(id) || catalog.FindMigration(id) is null)
        {
            return NotFound($"Migration '{id}' does not exist.");
        }

        return TypedResults.Ok(MigrationPlanDto.From(await migrator.DryRunAsync(id, cancellationToken)));
    }

    public static async Task<Results<Ok<MigrationPlanDto>, ProblemHttpResult>> ApplyAsync(string id, HttpRequest request, ClaimsPrincipal user, WorkflowCatalog catalog, DefinitionMigrator migrator, CancellationToken cancellationToken)
    {
        await JsonBody.NoMembersAsync(request, cancellationToken);
        if (!Identifier().IsMatch(id) || catalog.FindMigration(id) is null)
        {
            return NotFound($"Migration '{id}' does not exist.");
        }

        var scope = user.Scope();
        // The journal records who applied it, in the admin role (migrations are not a workflow transition).
        return TypedResults.Ok(MigrationPlanDto.From(await migrator.ApplyAsync(id, new Workflows.Expressions.Actor(scope.UserId, scope.Role), cancellationToken)));
    }

    private static WorkflowDto ToDto(CompiledWorkflow wf)
    {
        var d = wf.Definition;
        return new WorkflowDto(d.Id, d.Version, d.Title?.Nl, d.Title?.En, d.ContentHash, d.Initial,
            d.Creation?.Roles ?? [Roles.Officer, Roles.System],
            (d.Creation?.Parameters ?? []).Select(ParameterDto.From).ToList(),
            d.States.Select(s => new StateDto(s.Id, s.Label?.Nl, s.Parent, s.Terminal, s.Stage)).ToList(),
            d.Triggers.Select(t => new TriggerDto(t.Id, t.Label?.Nl, t.Automatic, t.Parameters.Select(ParameterDto.From).ToList())).ToList(),
            d.Transitions.Select(t => new TransitionDto(t.From, t.Trigger, t.To, t.Roles, t.Guard?.DeepClone(), t.CommentRequired, t.Description)).ToList(),
            wf.Mermaid());
    }
}
