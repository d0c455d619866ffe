using Microsoft.AspNetCore.Mvc;

namespace SubsidyEngine.Api.Hosting;

/// <summary>Writes RFC 9457 problem details (application/problem+json) from middleware and auth handlers.</summary>
public sealed class ProblemWriter(IProblemDetailsService service)
{
    public async Task WriteAsync(HttpContext context, int status, string title, string? detail = null, Action<ProblemDetails>? configure = null)
    {
        if (context.Response.HasStarted)
        {
            return;
        }

        context.Response.StatusCode = status;
        var problem = new ProblemDetails { Status = status, Title = title, Detail = detail };
        configure?.Invoke(problem);
        if (!await service.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem }))
        {
            context.Response.ContentType = "application/problem+json";
            await context.Response.WriteAsJsonAsync(problem, (System.Text.Json.JsonSerializerOptions?)null, "application/problem+json", context.RequestAborted);
        }
    }
}
