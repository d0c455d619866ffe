using System.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using SubsidyEngine.Api.Auth;

namespace SubsidyEngine.Api.Hosting;

internal static class ErrorSetup
{
    /// <summary>Problem details for every error (the designed error page for browser page requests), binding errors as 400 in every environment, a 1 MiB body limit.</summary>
    public static WebApplicationBuilder AddSubsidyErrors(this WebApplicationBuilder builder)
    {
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = ctx =>
        {
            ctx.ProblemDetails.Instance ??= ctx.HttpContext.Request.Path;
            ctx.ProblemDetails.Extensions["traceId"] = Activity.Current?.Id ?? ctx.HttpContext.TraceIdentifier;
        });
        // Browser page requests get the designed error page: the first writer consulted (see HtmlErrorPageWriter).
        builder.Services.Insert(0, ServiceDescriptor.Singleton<IProblemDetailsWriter, HtmlErrorPageWriter>());
        builder.Services.AddExceptionHandler<ProblemExceptionHandler>();
        // Minimal API binding failures (bad GUID, bad number, malformed JSON) throw BadHttpRequestException in every
        // environment, so the exception handler answers them as problem details instead of an empty 400.
        builder.Services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.WebHost.ConfigureKestrel(o => o.Limits.MaxRequestBodySize = JsonBody.MaxBytes);
        builder.Services.Configure<FormOptions>(o =>
        {
            o.ValueLengthLimit = 16 * 1024;
            o.MultipartBodyLengthLimit = JsonBody.MaxBytes;
        });
        return builder;
    }
}
