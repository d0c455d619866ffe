using System.Net;
using System.Text;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using SubsidyEngine.Api.Auth;
using SubsidyEngine.Engine.Access;
using static SubsidyEngine.Api.Endpoints.EndpointConventions;

namespace SubsidyEngine.Api.Endpoints;

/// <summary>Sign-in and sign-out for the web app: OpenID Connect, the development sign-in, and the antiforgery token.</summary>
public static class AuthEndpoints
{
    /// <summary>The antiforgery token for JavaScript callers (send it back as <c>X-XSRF-TOKEN</c>).</summary>
    public sealed record AntiforgeryTokenDto(string HeaderName, string Token);

    public static RouteGroupBuilder MapAuthEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/auth").WithTags("Sign-in").AllowAnonymous();
        group.MapGet("/antiforgery", Antiforgery).Documented("GetAntiforgeryToken", "Get an antiforgery token",
            "A token (and its cookie) for cookie-authenticated changes: send it in the X-XSRF-TOKEN header. API-key callers do not need it.");
        group.MapPost("/sign-out", SignOutAsync).Documented("SignOut", "Sign out",
            "Ends the web session (cookie). Needs the antiforgery token when signed in.", 400);
        group.MapGet("/sign-in", OidcSignIn).ExcludeFromDescription().WithName("OidcSignIn");

        var dev = app.MapGroup("/dev").WithTags("Sign-in").AllowAnonymous().ExcludeFromDescription();
        dev.MapGet("/sign-in", DevSignInPage).WithName("DevSignInPage");
        dev.MapPost("/sign-in", DevSignInAsync).WithName("DevSignIn").WithMetadata(new Hosting.FormEndpointMetadata()).DisableAntiforgery(); // validated by hand, after the 404 check
        return group;
    }

    public static Ok<AntiforgeryTokenDto> Antiforgery(HttpContext context, IAntiforgery antiforgery)
    {
        var tokens = antiforgery.GetAndStoreTokens(context);
        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(new AntiforgeryTokenDto(tokens.HeaderName ?? SubsidyAuth.AntiforgeryHeader, tokens.RequestToken!));
    }

    public static async Task<NoContent> SignOutAsync(HttpContext context, ILogger<SignOutMarker> logger)
    {
        await context.SignOutAsync(SubsidyAuth.CookieScheme);
        logger.LogInformation("Signed out {User}", context.User.Identity?.Name ?? "(anonymous)");
        return TypedResults.NoContent();
    }

    public static Results<ChallengeHttpResult, ProblemHttpResult> OidcSignIn(IOptions<SubsidyAuthOptions> options, string? returnUrl = null)
    {
        if (!options.Value.Oidc.Enabled)
        {
            return NotFound("OpenID Connect is not configured.");
        }

        return TypedResults.Challenge(new AuthenticationProperties { RedirectUri = LocalOrHome(returnUrl) }, [SubsidyAuth.OidcScheme]);
    }

    public static Results<ContentHttpResult, ProblemHttpResult> DevSignInPage(HttpContext context, DevelopmentSignIn gate, IAntiforgery antiforgery, string? returnUrl = null)
    {
        if (!gate.Enabled)
        {
            return NotFound("The development sign-in exists only when the service runs on its embedded database.");
        }

        var token = antiforgery.GetAndStoreTokens(context);
        var html = new StringBuilder();
        html.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Development sign-in - SubsidyEngine</title>")
            .Append("<style>body{font-family:sans-serif;margin:2rem}.banner{background:#b00020;color:#fff;padding:1rem;font-weight:bold;font-size:1.2rem}")
            .Append("form{display:inline}button{margin:.25rem 0;padding:.4rem .8rem}li{list-style:none}</style></head><body>")
            .Append("<div class=\"banner\" role=\"alert\">DEVELOPMENT ONLY - this sign-in needs no password and exists only because the service runs on its embedded database. ")
            .Append("It is never available with a configured database.</div><h1>Sign in as</h1><ul>");
        foreach (var u in DevelopmentSignIn.Users)
        {
            html.Append("<li><form method=\"post\" action=\"/dev/sign-in\">")
                .Append("<input type=\"hidden\" name=\"").Append(WebUtility.HtmlEncode(token.FormFieldName)).Append("\" value=\"").Append(WebUtility.HtmlEncode(token.RequestToken)).Append("\">")
                .Append("<input type=\"hidden\" name=\"userId\" value=\"").Append(u.Id.ToString("D")).Append("\">")
                .Append("<input type=\"hidden\" name=\"returnUrl\" value=\"").Append(WebUtility.HtmlEncode(LocalOrHome(returnUrl))).Append("\">")
                .Append("<button type=\"submit\">").Append(WebUtility.HtmlEncode(u.DisplayName)).Append("</button> <small>")
                .Append(WebUtility.HtmlEncode(u.Role)).Append(u.AuthorityId is null ? string.Empty : " " + WebUtility.HtmlEncode(u.AuthorityId))
                .Append("</small></form></li>");
        }

        html.Append("</ul></body></html>");
        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.Content(html.ToString(), "text/html; charset=utf-8");
    }

    public static async Task<Results<RedirectHttpResult, ProblemHttpResult>> DevSignInAsync(HttpContext context, DevelopmentSignIn gate, IAntiforgery antiforgery, UserDirectory users)
    {
        if (!gate.Enabled)
        {
            return NotFound("The development sign-in exists only when the service runs on its embedded database.");
        }

        if (!context.Request.HasFormContentType)
        {
            throw new BadHttpRequestException("Send the sign-in form (application/x-www-form-urlencoded).", StatusCodes.Status415UnsupportedMediaType);
        }

        await antiforgery.ValidateRequestAsync(context);
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        if (!Guid.TryParse(form["userId"], out var userId))
        {
            throw new Engine.Runtime.ArgumentValidationException([new Engine.Runtime.FieldError("userId", "must be the id of a user")]);
        }

        var user = await users.GetUserAsync(userId, context.RequestAborted);
        if (user is null)
        {
            return NotFound($"User {userId} does not exist.");
        }

        if (user.Role == Engine.Runtime.Roles.Municipality && !users.IsKnownAuthority(user.AuthorityId))
        {
            throw new Engine.Runtime.ArgumentValidationException([new Engine.Runtime.FieldError("userId",
                $"is a municipality user for '{user.AuthorityId}', which is not an authority in the register of authorities (Subsidy:AuthoritiesFile)")]);
        }

        await context.SignInAsync(SubsidyAuth.CookieScheme, SubsidyAuth.Principal(user, "cookie", SubsidyAuth.CookieScheme));
        return TypedResults.LocalRedirect(LocalOrHome(form["returnUrl"]));
    }

    /// <summary>Only local paths: an open redirect would let a link sign someone in and send them elsewhere.</summary>
    private static string LocalOrHome(string? url) =>
        !string.IsNullOrEmpty(url) && url.StartsWith('/') && !url.StartsWith("//", StringComparison.Ordinal) && !url.StartsWith("/\\", StringComparison.Ordinal) && !url.Any(char.IsControl)
            ? url
            : "/api/me";
}

/// <summary>Log category of the sign-out endpoint.</summary>
public sealed class SignOutMarker;
