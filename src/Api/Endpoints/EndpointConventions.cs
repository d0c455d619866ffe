using SubsidyEngine.Workflows.Schema;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;
using SubsidyEngine.Engine.Runtime;

namespace SubsidyEngine.Api.Endpoints;

/// <summary>Shared pieces of the endpoint groups: documentation conventions, header checks, small problem helpers.</summary>
internal static partial class EndpointConventions
{
    public const string IdempotencyKeyHeader = IdempotencyKeys.Name;

    public const string ReplayedHeader = "Idempotent-Replayed";

    /// <summary>Names, summarises and describes a route and lists its error answers (all problem details).</summary>
    public static RouteHandlerBuilder Documented(this RouteHandlerBuilder builder, string name, string summary, string description, params int[] problems)
    {
        builder.WithName(name).WithSummary(summary).WithDescription(description);
        foreach (var status in problems.Distinct())
        {
            if (status == 400)
            {
                builder.ProducesValidationProblem();
            }
            else
            {
                builder.ProducesProblem(status);
            }
        }

        return builder;
    }

    /// <summary>Trigger, workflow and migration ids: letters, digits, dot, dash, underscore, slash; at most 200.</summary>
    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$")]
    public static partial Regex Identifier();

    public static ProblemHttpResult NotFound(string detail) =>
        TypedResults.Problem(detail: detail, statusCode: StatusCodes.Status404NotFound, title: "Not found");

    public static ProblemHttpResult DossierNotFound() =>
        TypedResults.Problem(detail: "The dossier does not exist or is not visible to you.", statusCode: StatusCodes.Status404NotFound, title: "Dossier not found");

    /// <summary>Idempotency keys: the one rule of <see cref="IdempotencyKeys"/> (1 to 100 visible ASCII characters).</summary>
    public static string? CheckIdempotencyKey(string? key, List<FieldError> errors)
    {
        if (key is null)
        {
            return null;
        }

        if (!IdempotencyKeys.IsValid(key))
        {
            errors.Add(IdempotencyKeys.Error(IdempotencyKeyHeader));
            return null;
        }

        return key;
    }

    /// <summary>Query text filters: at most 200 characters, no control characters (PostgreSQL text cannot hold NUL).</summary>
    public static string? CheckText(string? value, string name, List<FieldError> errors)
    {
        if (value is null)
        {
            return null;
        }

        if (value.Length > 200 || TextRules.HasUnsafeCharacters(value) || value.Any(char.IsSurrogate))
        {
            errors.Add(new FieldError(name, "must be at most 200 characters without control characters"));
            return null;
        }

        return value;
    }

    public static void ThrowIfAny(List<FieldError> errors)
    {
        if (errors.Count > 0)
        {
            throw new ArgumentValidationException(errors);
        }
    }
}
