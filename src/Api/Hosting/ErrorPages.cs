using System.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.AspNetCore.Mvc.Razor;
using Microsoft.AspNetCore.Mvc.Rendering;
using Microsoft.AspNetCore.Mvc.ViewFeatures;
using Microsoft.Net.Http.Headers;
using SubsidyEngine.Api.Auth;
using SubsidyEngine.Api.Ui;

namespace SubsidyEngine.Api.Hosting;

/// <summary>
/// What the designed error page shows: the status, the page's language, where to go back to, and for a server error
/// the reference (trace id) an officer can quote. Never the exception, a stack trace or an internal id.
/// </summary>
/// <param name="Status">The real status of the answer (404 stays 404).</param>
/// <param name="Lang"><c>nl</c> or <c>en</c>, from the same cookie as every page.</param>
/// <param name="Reference">The trace id for a 5xx (it is in the log lines of the request), else null.</param>
/// <param name="BackUrl">Home for the role, or the sign-in when anonymous.</param>
/// <param name="SignedIn">Whether the way back is home (signed in) or the sign-in.</param>
public sealed record ErrorPage(int Status, string Lang, string? Reference, string BackUrl, bool SignedIn)
{
    /// <summary>The key prefix of the page's strings in <see cref="Text"/>: <c>err.404</c>, or <c>err.4xx</c>/<c>err.5xx</c> for the others.</summary>
    public string Key => Status is 400 or 401 or 403 or 404 or 405 or 409 or 413 or 415 or 500 or 503 ? "err." + Status : Status >= 500 ? "err.5xx" : "err.4xx";

    public string T(string key) => Text.Get(key, Lang);

    /// <summary>The page for a request answered with <paramref name="status"/>.</summary>
    public static ErrorPage For(HttpContext context, int status)
    {
        var lang = context.Request.Cookies[UiPageModel.LangCookie] == "en" ? "en" : "nl";
        var signedIn = context.User.Identity?.IsAuthenticated == true;
        string back;
        if (signedIn)
        {
            back = context.User.Scope().IsMunicipality ? "/portal" : "/board";
        }
        else
        {
            var oidc = context.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<SubsidyAuthOptions>>().Value.Oidc;
            back = oidc.Enabled ? "/auth/sign-in" : context.RequestServices.GetRequiredService<DevelopmentSignIn>().Enabled ? "/dev/sign-in" : "/";
        }

        // The W3C trace id: the request's log lines carry it (TraceId scope) and the API's problem details start with it.
        var reference = status >= 500 ? Activity.Current?.TraceId.ToHexString() ?? context.TraceIdentifier : null;
        return new ErrorPage(status, lang, reference, back, signedIn);
    }
}

/// <summary>
/// Browser page requests get the designed error page instead of problem details (issue 20). Every error answer of
/// the service goes through <see cref="IProblemDetailsService"/>: empty 4xx/5xx answers of pages and unknown paths
/// (status code pages), exceptions (<see cref="ProblemExceptionHandler"/>), the cookie handler's 403 and the
/// antiforgery refusals (<see cref="ProblemWriter"/>). This writer is consulted first and takes only requests that
/// accept <c>text/html</c> outside <c>/api</c>; /api and every JSON client keep the problem details.
/// </summary>
internal sealed class HtmlErrorPageWriter(IRazorViewEngine views, ITempDataProvider tempData, IModelMetadataProvider metadata, ILogger<HtmlErrorPageWriter> logger) : IProblemDetailsWriter
{
    public const string ViewPath = "/Pages/Shared/_ErrorPage.cshtml";

    /// <summary>A browser asking for a page: Accept names <c>text/html</c> and the path is not under <c>/api</c>.</summary>
    public static bool IsBrowserPage(HttpRequest request)
    {
        if (request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        foreach (var value in request.Headers.Accept)
        {
            if (value is not null && MediaTypeHeaderValue.TryParseList([value], out var types) && types.Any(t => t.MediaType.Equals("text/html", StringComparison.OrdinalIgnoreCase)))
            {
                return true;
            }
        }

        return false;
    }

    public bool CanWrite(ProblemDetailsContext context) => IsBrowserPage(context.HttpContext.Request);

    public async ValueTask WriteAsync(ProblemDetailsContext context)
    {
        var http = context.HttpContext;
        var status = context.ProblemDetails.Status ?? http.Response.StatusCode;
        var model = ErrorPage.For(http, status);
        string html;
        try
        {
            html = await RenderAsync(http, model);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or IOException)
        {
            // The layout could not be rendered: still no internals, only the words of the page.
            logger.LogError(e, "The error page for {Status} could not be rendered", status);
            html = $"<!doctype html><html lang=\"{(model.Lang == "en" ? "en" : "nl-BE")}\"><head><meta charset=\"utf-8\"><title>{model.T(model.Key + ".title")}</title></head>"
                + $"<body><main><h1>{model.T(model.Key + ".title")}</h1><p>{model.T(model.Key + ".text")}</p>"
                + (model.Reference is null ? string.Empty : $"<p>{model.T("err.reference")}: <code>{model.Reference}</code></p>")
                + $"<p><a href=\"{model.BackUrl}\">{model.T(model.SignedIn ? "err.home" : "err.signin")}</a></p></main></body></html>";
        }

        http.Response.StatusCode = status;
        http.Response.ContentType = "text/html; charset=utf-8";
        http.Response.Headers.CacheControl = "no-store";
        await http.Response.WriteAsync(html, http.RequestAborted);
    }

    private async Task<string> RenderAsync(HttpContext http, ErrorPage model)
    {
        var found = views.GetView(executingFilePath: null, ViewPath, isMainPage: true);
        if (!found.Success)
        {
            throw new InvalidOperationException($"The error page view {ViewPath} was not found.");
        }

        var action = new ActionContext(http, http.GetRouteData(), new ActionDescriptor());
        await using var writer = new StringWriter();
        var viewData = new ViewDataDictionary<ErrorPage>(metadata, new ModelStateDictionary()) { Model = model };
        var viewContext = new ViewContext(action, found.View, viewData, new TempDataDictionary(http, tempData), writer, new HtmlHelperOptions());
        await found.View.RenderAsync(viewContext);
        return writer.ToString();
    }
}
