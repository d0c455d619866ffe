using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using SubsidyEngine.Engine.Access;
using SubsidyEngine.Engine.Database;
using SubsidyEngine.Engine.Runtime;

namespace SubsidyEngine.Api.Hosting;

/// <summary>
/// Maps exceptions to problem details. Each domain error has its own status; the database being unreachable is
/// 503 with Retry-After (trying again may help); anything unknown is 500 without internals (logged with its
/// trace id).
/// </summary>
internal sealed class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var problem = Map(httpContext, exception);
        if (problem.Status >= 500)
        {
            logger.LogError(exception, "Request {Method} {Path} failed ({Status})", httpContext.Request.Method, httpContext.Request.Path, problem.Status);
        }
        else
        {
            logger.LogInformation("Request {Method} {Path} refused ({Status}): {Message}", httpContext.Request.Method, httpContext.Request.Path, problem.Status, exception.Message);
        }

        httpContext.Response.StatusCode = problem.Status!.Value;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem, Exception = exception });
    }

    internal static ProblemDetails Map(HttpContext context, Exception exception)
    {
        switch (exception)
        {
            case DossierNotFoundException:
                return Problem(404, "Dossier not found", "The dossier does not exist or is not visible to you.");
            case WorkflowNotFoundException e:
                return Problem(404, "Not found", e.Message);
            case UserNotFoundException e:
                return Problem(404, "Not found", e.Message);
            case TriggerNotPermittedException e:
                var p = Problem(409, "Trigger not permitted", e.Message);
                p.Extensions["state"] = e.State;
                p.Extensions["trigger"] = e.Trigger;
                p.Extensions["permitted"] = e.Permitted;
                p.Extensions["blocked"] = e.Blocked.Select(b => new
                {
                    trigger = b.Trigger,
                    to = b.To,
                    reasons = b.Reasons.Select(r => r.Field is null
                        ? (object)new { code = r.Code, nl = r.Nl, en = r.En }
                        : new { code = r.Code, nl = r.Nl, en = r.En, field = r.Field }),
                }).ToList();
                // The fields the refusal of the fired trigger names, as a validation problem does ("errors": path ->
                // messages), so a form or an integrator can put each reason next to its field.
                var fields = e.Blocked.Where(b => b.Trigger == e.Trigger).SelectMany(b => b.Reasons).Where(r => r.Field is not null)
                    .GroupBy(r => r.Field!, StringComparer.Ordinal)
                    .ToDictionary(g => g.Key, g => g.Select(r => r.En ?? r.Nl).Distinct(StringComparer.Ordinal).ToArray(), StringComparer.Ordinal);
                if (fields.Count > 0)
                {
                    p.Extensions["errors"] = fields;
                }

                return p;
            case TransitionForbiddenException e:
                var forbidden = Problem(403, "Forbidden", e.Message);
                forbidden.Extensions["nl"] = e.Nl;
                if (e.Needed.Count > 0)
                {
                    forbidden.Extensions["requiredRelation"] = e.Needed;
                    forbidden.Extensions["relation"] = e.Actual;
                }

                return forbidden;
            case DossierExistsException e:
                var exists = Problem(409, "Already exists", e.Message);
                exists.Extensions["dossierId"] = e.ExistingId.ToString("D");
                exists.Extensions["nl"] = e.Key.Contains("/call|", StringComparison.Ordinal)
                    ? "Deze oproep werd al geopend."
                    : "Dit bestuur heeft al een aanvraag voor deze oproep.";
                return exists;
            case ConcurrencyConflictException e when e.Precondition:
                return Problem(412, "Precondition failed", $"If-Match does not match: expected {e.Expected}, the dossier is at {e.Actual}.");
            case ConcurrencyConflictException e:
                return Problem(409, "Conflict", e.Message);
            case IdempotencyConflictException:
                return Problem(422, "Idempotency key reused", "This Idempotency-Key was already used for a different request.");
            case ArgumentValidationException e:
                return Validation(e.Errors);
            case UserValidationException e:
                return Validation(e.Errors);
            case BadHttpRequestException e:
                // Body and binding errors (malformed JSON, wrong types, too large, wrong content type): the message is ours.
                return Problem(e.StatusCode, e.StatusCode switch { 413 => "Request body too large", 415 => "Unsupported media type", _ => "Bad request" }, e.Message);
            case Microsoft.AspNetCore.Antiforgery.AntiforgeryValidationException:
                return Problem(400, "Antiforgery token missing or invalid", "Send the antiforgery token with this form.");
            case var e when IsDatabaseUnavailable(e):
                context.Response.Headers.RetryAfter = "5";
                return Problem(503, "Service unavailable", "The database is not reachable right now. Try again shortly.");
            default:
                return Problem(500, "Internal error", "Something went wrong on our side. Quote the trace id when reporting it.");
        }
    }

    /// <summary>Transient Npgsql errors, socket errors, time-outs and failovers (<see cref="DatabaseErrors.IsUnavailable"/>): the request may succeed when retried.</summary>
    internal static bool IsDatabaseUnavailable(Exception e) => DatabaseErrors.IsUnavailable(e);

    private static ProblemDetails Problem(int status, string title, string detail) => new() { Status = status, Title = title, Detail = detail };

    /// <summary>
    /// 400 with <c>errors</c> (JSON path or parameter name to the English reasons, as ASP.NET Core writes them) and
    /// <c>problems</c>: every invalid field with its path, the rule it broke and the reason in Dutch and English.
    /// </summary>
    internal static HttpValidationProblemDetails Validation(IEnumerable<FieldError> errors)
    {
        var list = errors.ToList();
        var problem = new HttpValidationProblemDetails(list.GroupBy(e => e.Field, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray(), StringComparer.Ordinal))
        {
            Status = 400,
            Title = "Invalid request",
            Detail = "One or more fields are invalid; see errors.",
        };
        problem.Extensions["problems"] = list.Select(e => new { path = e.Field, rule = e.Rule, nl = e.Nl ?? $"{e.Field}: {e.Message}", en = e.Message }).ToList();
        return problem;
    }
}
