using Microsoft.AspNetCore.Mvc.RazorPages;

namespace SubsidyEngine.Api.Hosting;

/// <summary>Marks an endpoint that reads an HTML form (besides the Razor pages, which are recognised by themselves).</summary>
public sealed class FormEndpointMetadata;

/// <summary>
/// Form posts (Razor page handlers, the development sign-in, the jobs dashboard) are read once, up front, under
/// the form limits of <see cref="ErrorSetup"/>: a post that is not a form (even an empty one) is 415, a form over the limits (value
/// length, value count) is 400, both as problem details. Without this the first reader deep inside a handler or
/// the dashboard threw (wrong content type, limit exceeded) and the request ended as a 500.
/// </summary>
internal static class FormGuard
{
    public static IApplicationBuilder UseFormGuard(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var request = context.Request;
        var hasBody = request.ContentLength is > 0 || request.Headers.TransferEncoding.Count > 0;
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method) && !HttpMethods.IsOptions(request.Method) && IsFormEndpoint(context.GetEndpoint()))
        {
            if (!request.HasFormContentType)
            {
                // Even an empty post: the dashboard and the page handlers read the form, which throws without a form content type.
                throw new BadHttpRequestException(
                    hasBody ? "Send a form (Content-Type: application/x-www-form-urlencoded or multipart/form-data)." : "Send a form, even an empty one (Content-Type: application/x-www-form-urlencoded).",
                    StatusCodes.Status415UnsupportedMediaType);
            }
            else
            {
                try
                {
                    await request.ReadFormAsync(context.RequestAborted);
                }
                catch (InvalidDataException e)
                {
                    throw new BadHttpRequestException($"The form is too large or malformed: {e.Message}", StatusCodes.Status400BadRequest, e);
                }
            }
        }

        await next(context);
    });

    private static bool IsFormEndpoint(Endpoint? endpoint) =>
        endpoint is not null && (endpoint.Metadata.GetMetadata<FormEndpointMetadata>() is not null || endpoint.Metadata.GetMetadata<PageActionDescriptor>() is not null);
}
