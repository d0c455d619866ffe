using Microsoft.AspNetCore.Http.HttpResults;
using SubsidyEngine.Api.Auth;
using SubsidyEngine.Engine.Audit;

namespace SubsidyEngine.Api.Endpoints;

/// <summary>Audit: replay the whole journal against the pinned definitions.</summary>
public static class AuditEndpoints
{
    public static RouteGroupBuilder MapAuditEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/audit").WithTags("Audit").RequireAuthorization(Policies.Audit);
        group.MapPost("/replay", ReplayAllAsync).WithName("ReplayAll").WithSummary("Replay every dossier")
            .WithDescription("Re-fires every dossier's journal, verifying hash chains, effects, projections and checkpoints, then re-renders every stored letter from the journal and compares its hash with the stored one and the one in `notice.sent` (skip with `letters=false`). Changes nothing; returns the totals and every failing dossier (auditor, admin).")
            .ProducesProblem(401).ProducesProblem(403);
        return group;
    }

    public static async Task<Ok<ReplaySummaryDto>> ReplayAllAsync(AuditReplay replay, CancellationToken cancellationToken, bool letters = true)
    {
        var summary = await replay.ReplayAllAsync(new ReplayAllOptions(), letters, cancellationToken: cancellationToken);
        return TypedResults.Ok(ReplaySummaryDto.From(summary));
    }
}
