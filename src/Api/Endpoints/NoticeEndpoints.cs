using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using SubsidyEngine.Api.Auth;
using SubsidyEngine.Api.Hosting;
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
        group.MapPost("/deadlines/{id}/extensions", ExtendAsync).Accepts<ExtensionRequest>("application/json").Documented("ExtendDeadline", "Extend a deadline",
            "Grants the authority a later due time with a reason; reminders and the timeout follow the new date; journaled as deadline.extended (officer, admin).", 400, 401, 403, 404, 409, 413, 415);
        return group;
    }

    private static Actor ActorOf(ClaimsPrincipal user)
    {
        var scope = user.Scope();
        return new Actor(scope.UserId, "officer");
    }

    public static async Task<Ok<IReadOnlyList<FailedNotice>>> FailedAsync(NoticeQueries notices, CancellationToken cancellationToken) =>
        TypedResults.Ok(await notices.ListFailedAsync(100, cancellationToken));

    public static async Task<Results<NoContent, ProblemHttpResult>> RetryAsync(Guid id, HttpRequest request, ClaimsPrincipal user, NoticeDispatcher dispatcher, CancellationToken cancellationToken)
    {
        await JsonBody.NoMembersAsync(request, cancellationToken);
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

    /// <summary>
    /// Reads the body with the service's JSON rules (<see cref="JsonBody"/>): 415/413/400 as problem details that
    /// name the field, like every other write (model binding named no field and read bodies of any size).
    /// </summary>
    public static async Task<Results<Ok<DeadlineExtension>, ProblemHttpResult>> ExtendAsync(
        Guid id, HttpRequest request, ClaimsPrincipal user, ReminderSweeper reminders, CancellationToken cancellationToken)
    {
        var body = await JsonBody.ReadObjectAsync(request, emptyAs: null, cancellationToken);
        JsonBody.OnlyMembers(body, "newDue", "reason");
        var errors = new List<FieldError>();
        var newDueText = JsonBody.String(body, "newDue", required: true, maxLength: 64, errors);
        var newDue = default(DateTimeOffset);
        // A date is the end of that day in Brussels (as every deadline date); a date and time needs its offset.
        if (newDueText is not null && !Workflows.Calendar.BrusselsDate.TryParseDeadline(newDueText, out newDue))
        {
            errors.Add(new FieldError("newDue", "must be a date like 2025-12-31 (the end of that day in Brussels) or a date and time with offset like 2025-12-31T12:00:00+01:00"));
        }

        var reason = JsonBody.String(body, "reason", required: true, maxLength: 2000, errors);
        EndpointConventions.ThrowIfAny(errors);
        try
        {
            return TypedResults.Ok(await reminders.ExtendAsync(id, newDue.ToUniversalTime(), reason!, ActorOf(user), cancellationToken));
        }
        catch (DeadlineNotOpenException)
        {
            return EndpointConventions.NotFound($"Deadline {id} does not exist or is no longer open.");
        }
    }
}
