using System.Security.Claims;
using SubsidyEngine.Engine.Access;

namespace SubsidyEngine.Api.Auth;

/// <summary>Names shared by the authentication handlers, the policies and the endpoints.</summary>
public static class SubsidyAuth
{
    /// <summary>The default (policy) scheme: picks API key or cookie per request.</summary>
    public const string Scheme = "subsidy";

    public const string CookieScheme = "cookie";

    public const string ApiKeyScheme = "api-key";

    public const string OidcScheme = "oidc";

    public const string ApiKeyHeader = "X-Api-Key";

    /// <summary>Header the web app sends the antiforgery token in on JSON requests.</summary>
    public const string AntiforgeryHeader = "X-XSRF-TOKEN";

    /// <summary>Claim holding the authority (NIS code) a municipality user acts for.</summary>
    public const string AuthorityClaim = "subsidy:authority";

    /// <summary>Claim saying how the request was authenticated: <c>cookie</c> or <c>api-key</c>.</summary>
    public const string ViaClaim = "subsidy:via";

    public static ClaimsPrincipal Principal(string userId, string displayName, string role, string? authorityId, string via, string authenticationType)
    {
        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, userId),
            new(ClaimTypes.Name, displayName),
            new(ClaimTypes.Role, role),
            new(ViaClaim, via),
        };
        if (!string.IsNullOrEmpty(authorityId))
        {
            claims.Add(new Claim(AuthorityClaim, authorityId));
        }

        return new ClaimsPrincipal(new ClaimsIdentity(claims, authenticationType, ClaimTypes.Name, ClaimTypes.Role));
    }

    public static ClaimsPrincipal Principal(UserRecord user, string via, string authenticationType) =>
        Principal(user.Id.ToString("D"), user.DisplayName, user.Role, user.AuthorityId, via, authenticationType);

    /// <summary>
    /// The caller's scope. Only claims set by our own handlers are read (the role and authority never come from a
    /// request body); an unauthenticated or role-less principal gets a scope that sees nothing.
    /// </summary>
    public static AccessScope Scope(this ClaimsPrincipal user)
    {
        var id = user.FindFirstValue(ClaimTypes.NameIdentifier);
        var role = user.FindFirstValue(ClaimTypes.Role);
        if (user.Identity?.IsAuthenticated != true || id is null || role is null || !UserDirectory.UserRoles.Contains(role))
        {
            return new AccessScope("anonymous", "none", null);
        }

        return new AccessScope(id, role, user.FindFirstValue(AuthorityClaim));
    }
}

/// <summary>Authorization policy names. <see cref="Admin"/> is also meant for <c>/hangfire</c> (see AdminDashboardAuthorization).</summary>
public static class Policies
{
    /// <summary>Any signed-in user with a known role (officer, municipality, auditor, admin).</summary>
    public const string Read = "read";

    /// <summary>Changes dossiers: officer, municipality (own dossiers), admin. Never auditors.</summary>
    public const string Write = "write";

    /// <summary>Officer or admin.</summary>
    public const string Officer = "officer";

    /// <summary>Auditor, officer or admin: replay and reviewing migrations.</summary>
    public const string Review = "review";

    /// <summary>Auditor or admin: the full-journal audit.</summary>
    public const string Audit = "audit";

    /// <summary>Admin only: users, keys, applying migrations, the jobs dashboard.</summary>
    public const string Admin = "admin";
}
