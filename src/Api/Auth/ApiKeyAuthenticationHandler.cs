using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using SubsidyEngine.Engine.Access;
using SubsidyEngine.Engine.Runtime;

using SubsidyEngine.Api.Hosting;

namespace SubsidyEngine.Api.Auth;

/// <summary>
/// Authenticates <c>Authorization: Bearer &lt;key&gt;</c> or <c>X-Api-Key: &lt;key&gt;</c> against the stored key hashes.
/// API-key requests carry no ambient credentials (browsers never add them), so they need no antiforgery token.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, UserDirectory users, ProblemWriter problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    /// <summary>True when the request presents an API key (the policy scheme then routes it here).</summary>
    public static bool Presents(HttpRequest request) =>
        request.Headers.ContainsKey(SubsidyAuth.ApiKeyHeader) ||
        request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase);

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var headerKeys = Request.Headers[SubsidyAuth.ApiKeyHeader];
        var authorization = Request.Headers.Authorization.ToString();
        string? bearer = authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? authorization["Bearer ".Length..].Trim() : null;
        if (headerKeys.Count > 1)
        {
            return AuthenticateResult.Fail("more than one X-Api-Key header");
        }

        var fromHeader = headerKeys.Count == 1 ? headerKeys[0]?.Trim() : null;
        if (fromHeader is not null && bearer is not null && fromHeader != bearer)
        {
            return AuthenticateResult.Fail("X-Api-Key and Authorization name different keys");
        }

        var secret = fromHeader ?? bearer;
        if (secret is null)
        {
            return AuthenticateResult.NoResult();
        }

        if (!UserDirectory.LooksLikeSecret(secret))
        {
            return AuthenticateResult.Fail("malformed API key");
        }

        var user = await users.AuthenticateKeyAsync(secret, Context.RequestAborted);
        if (user is null)
        {
            return AuthenticateResult.Fail("unknown or revoked API key");
        }

        if (user.Role == Roles.Municipality && !users.IsKnownAuthority(user.AuthorityId))
        {
            return AuthenticateResult.Fail("the key's municipality acts for an authority that is not in the register");
        }

        return AuthenticateResult.Success(new AuthenticationTicket(SubsidyAuth.Principal(user, "api-key", Scheme.Name), Scheme.Name));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers[HeaderNames.WWWAuthenticate] = "Bearer realm=\"subsidy\"";
        await problems.WriteAsync(Context, StatusCodes.Status401Unauthorized, "Authentication required", "Send a valid API key (Authorization: Bearer <key> or X-Api-Key), or sign in.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        problems.WriteAsync(Context, StatusCodes.Status403Forbidden, "Forbidden", "Your role may not do this.");
}
