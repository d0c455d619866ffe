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

    public static Results<ContentHttpResult, ProblemHttpResult> DevSignInPage(HttpContext context, DevelopmentSignIn gate, IAntiforgery antiforgery, UserDirectory directory, string? returnUrl = null)
    {
        if (!gate.Enabled)
        {
            return NotFound("The development sign-in exists only when the service runs on its embedded database.");
        }

        var token = antiforgery.GetAndStoreTokens(context);
        var en = context.Request.Cookies["lang"] == "en";
        string T(string key) => Ui.Text.Get(key, en ? "en" : "nl");
        string E(string text) => WebUtility.HtmlEncode(text);
        var back = LocalOrHome(returnUrl);
        var html = new StringBuilder();
        html.Append("<!doctype html><html lang=\"").Append(en ? "en" : "nl-BE").Append("\"><head><meta charset=\"utf-8\">")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
            .Append("<title>").Append(E(T("devsignin.title"))).Append(" - ").Append(E(T("app"))).Append("</title>")
            .Append("<link rel=\"stylesheet\" href=\"/css/site.css\"></head><body>")
            .Append("<a class=\"skip\" href=\"#main\">").Append(E(T("skip.content"))).Append("</a>")
            .Append("<header class=\"top\"><span class=\"brand\">").Append(E(T("app"))).Append(" <small>ABB</small></span>")
            .Append("<div class=\"who\"><form method=\"get\" action=\"/lang\" class=\"inline\">")
            .Append("<input type=\"hidden\" name=\"to\" value=\"").Append(en ? "nl" : "en").Append("\">")
            .Append("<input type=\"hidden\" name=\"returnUrl\" value=\"").Append(E("/dev/sign-in?returnUrl=" + Uri.EscapeDataString(back))).Append("\">")
            .Append("<button type=\"submit\" class=\"link\" id=\"lang-switch\">").Append(E(T("lang.switch"))).Append("</button></form></div></header>")
            .Append("<main id=\"main\" class=\"signin\">")
            .Append("<p class=\"msg err dev-banner\" role=\"note\"><strong>").Append(E(T("devsignin.banner"))).Append("</strong> ").Append(E(T("devsignin.explain"))).Append("</p>")
            .Append("<h1>").Append(E(T("devsignin.heading"))).Append("</h1>")
            .Append("<p>").Append(E(T("devsignin.first"))).Append("</p>");
        void Group(string heading, IEnumerable<UserRecord> users)
        {
            html.Append("<section class=\"card\" aria-labelledby=\"h-").Append(heading).Append("\"><h2 id=\"h-").Append(heading).Append("\">").Append(E(T(heading))).Append("</h2><ul class=\"signin-list\">");
            foreach (var u in users)
            {
                html.Append("<li><form method=\"post\" action=\"/dev/sign-in\">")
                    .Append("<input type=\"hidden\" name=\"").Append(E(token.FormFieldName)).Append("\" value=\"").Append(E(token.RequestToken!)).Append("\">")
                    .Append("<input type=\"hidden\" name=\"userId\" value=\"").Append(u.Id.ToString("D")).Append("\">")
                    .Append("<input type=\"hidden\" name=\"returnUrl\" value=\"").Append(E(back)).Append("\">")
                    .Append("<button type=\"submit\">").Append(E(u.DisplayName)).Append("</button> <span class=\"muted\">")
                    .Append(E(T("role." + u.Role)))
                    .Append(u.AuthorityId is null ? string.Empty : " · " + E(T("devsignin.nis")) + " " + E(u.AuthorityId))
                    .Append(" · ").Append(E(T("devsignin.hint." + (u.AuthorityId ?? u.Role)))).Append("</span></form></li>");
            }

            html.Append("</ul></section>");
        }

        Group("devsignin.agency", DevelopmentSignIn.Users.Where(u => u.AuthorityId is null));
        // Only the authorities of the register: the seeder skips the others and the sign-in would refuse them.
        Group("devsignin.authorities", DevelopmentSignIn.Users.Where(u => u.AuthorityId is not null && directory.IsKnownAuthority(u.AuthorityId)));
        html.Append("</main></body></html>");
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
            : "/";
}

/// <summary>Log category of the sign-out endpoint.</summary>
public sealed class SignOutMarker;
