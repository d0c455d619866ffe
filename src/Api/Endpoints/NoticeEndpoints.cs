using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using SubsidyEngine.Api.Auth;
using SubsidyEngine.Engine.Notices;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Workflows.Expressions;

namespace SubsidyEngine.Api.Endpoints;

/// <summary>Delivery follow-up for officers: failed notices and their retry, and per-authority deadline extensions.</summary>
public static class NoticeEndpoints
{
    /// <summary>Body of a deadline extension.</summary>
    public sealed record ExtensionRequest(DateTimeOffset? NewDue, string? Reason);

    public static RouteGroupBuilder MapNoticeEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api").WithTags("Notices").RequireAuthorization(Policies.Officer);
        group.MapGet("/notices/failed", FailedAsync).Documented("ListFailedNotices", "List failed notices",
            "Notices whose delivery failed permanently (or ran out of attempts), newest first, with the last error (officer, admin).", 401, 403);
        group.MapPost("/notices/{id}/retry", RetryAsync).Documented("RetryNotice", "Retry a failed notice",
            "Queues a failed notice for delivery again; the retry is journaled as notice.requeued (officer, admin).", 400, 401, 403, 404);
        group.MapPost("/deadlines/{id}/extensions", ExtendAsync).Documented("ExtendDeadline", "Extend a deadline",
            "Grants the authority a later due time with a reason; reminders and the timeout follow the new date; journaled as deadline.extended (officer, admin).", 400, 401, 403, 404, 409);
        return group;
    }

    private static Actor ActorOf(ClaimsPrincipal user)
    {
        var scope = user.Scope();
        return new Actor(scope.UserId, "officer");
    }

    public static async Task<Ok<IReadOnlyList<FailedNotice>>> FailedAsync(NoticeDispatcher dispatcher, CancellationToken cancellationToken) =>
        TypedResults.Ok(await dispatcher.ListFailedAsync(100, cancellationToken));

    public static async Task<Results<NoContent, ProblemHttpResult>> RetryAsync(Guid id, ClaimsPrincipal user, NoticeDispatcher dispatcher, CancellationToken cancellationToken)
    {
        try
        {
            await dispatcher.RetryAsync(id, ActorOf(user), cancellationToken);
            return TypedResults.NoContent();
        }
        catch (NoticeNotFoundException)
        {
            return EndpointConventions.NotFound($"Notice {id} does not exist.");
        }
    }

    public static async Task<Results<Ok<DeadlineExtension>, ProblemHttpResult>> ExtendAsync(
        Guid id, ExtensionRequest request, ClaimsPrincipal user, ReminderSweeper reminders, CancellationToken cancellationToken)
    {
        var errors = new List<FieldError>();
        if (request.NewDue is null)
        {
            errors.Add(new FieldError("newDue", "is required"));
        }

        var reason = EndpointConventions.CheckText(request.Reason, "reason", errors);
        EndpointConventions.ThrowIfAny(errors);
        try
        {
            return TypedResults.Ok(await reminders.ExtendAsync(id, request.NewDue!.Value.ToUniversalTime(), reason ?? string.Empty, ActorOf(user), cancellationToken));
        }
        catch (DeadlineNotOpenException)
        {
            return EndpointConventions.NotFound($"Deadline {id} does not exist or is no longer open.");
        }
    }
}
