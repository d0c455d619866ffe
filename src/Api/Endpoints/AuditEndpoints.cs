using Microsoft.AspNetCore.Http.HttpResults;
using SubsidyEngine.Api.Auth;
using SubsidyEngine.Engine.Runtime;

namespace SubsidyEngine.Api.Endpoints;

/// <summary>Audit: replay the whole journal against the pinned definitions.</summary>
public static class AuditEndpoints
{
    public static RouteGroupBuilder MapAuditEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/audit").WithTags("Audit").RequireAuthorization(Policies.Audit);
        group.MapPost("/replay", ReplayAllAsync).WithName("ReplayAll").WithSummary("Replay every dossier")
            .WithDescription("Re-fires every dossier's journal, verifying hash chains, effects and projections. Changes nothing; returns the totals and every failing dossier (auditor, admin).")
            .ProducesProblem(401).ProducesProblem(403);
        return group;
    }

    public static async Task<Ok<ReplaySummaryDto>> ReplayAllAsync(Replayer replayer, CancellationToken cancellationToken)
    {
        var summary = await replayer.ReplayAllAsync(new ReplayAllOptions(), cancellationToken);
        return TypedResults.Ok(new ReplaySummaryDto(summary.Dossiers, summary.Events, summary.DivergentDossiers, summary.OneLine, summary.Failures.Select(ReplayReportDto.From).ToList()));
    }
}
