namespace SubsidyEngine.Api.Auth;

/// <summary>
/// <c>Subsidy:Auth</c>. OpenID Connect is switched on by setting <c>Oidc:Authority</c> and <c>Oidc:ClientId</c>;
/// see README "Sign-in and API access" for the Flemish government's provider.
/// </summary>
public sealed class SubsidyAuthOptions
{
    public const string SectionName = "Subsidy:Auth";

    /// <summary>How long a web sign-in lasts without activity (sliding).</summary>
    public TimeSpan CookieLifetime { get; set; } = TimeSpan.FromHours(8);

    public OidcSettings Oidc { get; set; } = new();
}

/// <summary>The OpenID Connect provider and how its claims map onto our role and authority.</summary>
public sealed class OidcSettings
{
    /// <summary>Issuer URL, e.g. the provider's <c>https://.../op</c>; empty: OIDC off.</summary>
    public string? Authority { get; set; }

    public string? ClientId { get; set; }

    public string? ClientSecret { get; set; }

    public string CallbackPath { get; set; } = "/signin-oidc";

    public string SignedOutCallbackPath { get; set; } = "/signout-callback-oidc";

    /// <summary>Extra scopes besides <c>openid</c> and <c>profile</c>.</summary>
    public List<string> Scopes { get; set; } = [];

    /// <summary>The claim carrying the user's role (its values are mapped through <see cref="RoleMap"/>).</summary>
    public string RoleClaim { get; set; } = "role";

    /// <summary>The claim carrying the authority (NIS code / organisation code) of a municipality user.</summary>
    public string AuthorityClaim { get; set; } = "authority";

    /// <summary>The claim used as the stable user id (journal actor): <c>sub</c> by default.</summary>
    public string SubjectClaim { get; set; } = "sub";

    /// <summary>The claim holding the display name.</summary>
    public string NameClaim { get; set; } = "name";

    /// <summary>Provider role value -> our role (officer, municipality, auditor, admin). Our own role names map to themselves.</summary>
    public Dictionary<string, string> RoleMap { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Only for local test providers over plain HTTP.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    public bool Enabled => !string.IsNullOrWhiteSpace(Authority) && !string.IsNullOrWhiteSpace(ClientId);
}
