using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using SubsidyEngine.Api.Auth;
using SubsidyEngine.Engine.Access;
using SubsidyEngine.Engine.Programmes;
using static SubsidyEngine.Api.Endpoints.EndpointConventions;

namespace SubsidyEngine.Api.Endpoints;

/// <summary>The application table of a dossier (see <see cref="ApplicationTableView"/>).</summary>
public sealed record ApplicationTableDto(Guid DossierId, string State, int Version, ApplicationTableView Table);

/// <summary>The KPI reports of a dossier: pledged against realised reach per funded action.</summary>
public sealed record ReportsDto(Guid DossierId, string State, int Version, ReportsView Reports);

/// <summary>
/// The application table and the reports of an application dossier, read-only. They are written through the
/// workflow's transitions (<c>POST /api/dossiers/{id}/transitions/save-draft</c> with <c>{"application": {"rows": [...]}}</c>,
/// <c>report-interim</c> / <c>report-final</c> with <c>{"realised": {"&lt;action&gt;": n}}</c>), as the portal does.
/// </summary>
public static class ApplicationEndpoints
{
    public static RouteGroupBuilder MapApplicationEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/dossiers/{id}").WithTags("Applications").RequireAuthorization(Policies.Read);
        group.MapGet("/application", ApplicationAsync).Documented("GetApplicationTable", "Get the application table",
            "The action rows with their computed amounts (funded reach, rate, requested, co-financing, allocated). source = recorded: the amounts the workflow " +
            "journalled at submission; source = preview: not submitted yet, computed now by the same rules with today's rates (with their reasons). " +
            "Change it with the save-draft or update-application transition. 404 for a dossier that is not an application of a known call.", 400, 401, 403, 404);
        group.MapGet("/reports", ReportsAsync).Documented("GetReports", "Get the reports",
            "Per funded action the pledged reach and the realised reach of the interim and final reports (with the realised share and, after settlement, " +
            "the earned amount). Submit a report with the report-interim or report-final transition: {\"realised\": {\"2.1\": 40}}.", 400, 401, 403, 404);
        return group;
    }

    public static async Task<Results<Ok<ApplicationTableDto>, ProblemHttpResult>> ApplicationAsync(
        Guid id, ClaimsPrincipal user, DossierQueries queries, ProgrammeCatalog programmes, TimeProvider clock, CancellationToken cancellationToken)
    {
        var dossier = await queries.GetAsync(user.Scope(), id, cancellationToken);
        if (dossier is null)
        {
            return DossierNotFound();
        }

        var view = IsApplication(dossier.WorkflowId) ? ApplicationTableView.Of(programmes, dossier.Data, dossier.State, clock.GetUtcNow()) : null;
        return view is null
            ? NotFound("The dossier is not an application of a known call.")
            : TypedResults.Ok(new ApplicationTableDto(dossier.Id, dossier.State, dossier.Version, view));
    }

    public static async Task<Results<Ok<ReportsDto>, ProblemHttpResult>> ReportsAsync(
        Guid id, ClaimsPrincipal user, DossierQueries queries, ProgrammeCatalog programmes, CancellationToken cancellationToken)
    {
        var dossier = await queries.GetAsync(user.Scope(), id, cancellationToken);
        if (dossier is null)
        {
            return DossierNotFound();
        }

        return IsApplication(dossier.WorkflowId)
            ? TypedResults.Ok(new ReportsDto(dossier.Id, dossier.State, dossier.Version, ReportsView.Of(programmes, dossier.Data)))
            : NotFound("The dossier is not an application of a known call.");
    }

    private static bool IsApplication(string workflowId) => workflowId.EndsWith("/dossier", StringComparison.Ordinal);
}
