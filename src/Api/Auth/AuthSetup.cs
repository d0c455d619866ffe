using System.Security.Claims;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using SubsidyEngine.Api.Hosting;
using SubsidyEngine.Engine.Access;
using SubsidyEngine.Engine.Database;
using SubsidyEngine.Engine.Runtime;

namespace SubsidyEngine.Api.Auth;

/// <summary>
/// Sign-in and access: a policy scheme routes each request to the API-key handler (when it presents a key) or the
/// cookie handler (the web app); OpenID Connect signs web users in when configured; the development sign-in only
/// on the embedded database. See docs/decisions/2026-11-22-api-auth.md.
/// </summary>
internal static class AuthSetup
{
    public static WebApplicationBuilder AddSubsidyAuth(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var section = builder.Configuration.GetSection(SubsidyAuthOptions.SectionName);
        var settings = section.Get<SubsidyAuthOptions>() ?? new SubsidyAuthOptions();
        services.Configure<SubsidyAuthOptions>(section);

        services.AddSingleton<ProblemWriter>();
        services.AddSingleton(sp => new UserDirectory(sp.GetRequiredService<Npgsql.NpgsqlDataSource>(), sp.GetRequiredService<TimeProvider>())
        {
            Register = sp.GetRequiredService<Engine.Programmes.ProgrammeCatalog>().Authorities,
        });
        services.AddSingleton(sp => new DossierQueries(sp.GetRequiredService<Npgsql.NpgsqlDataSource>()));
        // The call dashboard's figures may be slightly stale: read from a standby when one is configured.
        services.AddKeyedSingleton(StaleReads.Key, (sp, _) => new DossierQueries(sp.GetRequiredService<StaleReads>().DataSource));
        services.AddSingleton<AuthorityQueries>();
        services.AddSingleton<PortalQueries>();
        services.AddSingleton(sp => DevelopmentSignIn.FromDatabase(sp.GetRequiredService<DatabaseHandle>()));
        services.AddHostedService<DevelopmentUserSeeder>(); // after DatabaseStartup (registered earlier): the tables exist

        services.AddAntiforgery(o =>
        {
            o.HeaderName = SubsidyAuth.AntiforgeryHeader;
            o.Cookie.Name = "subsidy.antiforgery";
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = Microsoft.AspNetCore.Http.CookieSecurePolicy.SameAsRequest; // Secure over https (also behind a known proxy)
            o.SuppressXFrameOptionsHeader = true; // SecurityHeaders sends DENY (and frame-ancestors 'none') on every answer
        });

        var auth = services.AddAuthentication(SubsidyAuth.Scheme)
            .AddPolicyScheme(SubsidyAuth.Scheme, "API key or cookie", o =>
            {
                o.ForwardDefaultSelector = ctx => ApiKeyAuthenticationHandler.Presents(ctx.Request) ? SubsidyAuth.ApiKeyScheme : SubsidyAuth.CookieScheme;
            })
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(SubsidyAuth.ApiKeyScheme, null)
            .AddCookie(SubsidyAuth.CookieScheme, o =>
            {
                o.Cookie.Name = "subsidy.session";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Lax;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.ExpireTimeSpan = settings.CookieLifetime;
                o.SlidingExpiration = true;
                o.Events = new CookieAuthenticationEvents
                {
                    // The API answers 401/403 as problem details; only pages redirect to a sign-in screen.
                    OnRedirectToLogin = ctx => ctx.Request.Path.StartsWithSegments("/api")
                        ? Problem(ctx.HttpContext, StatusCodes.Status401Unauthorized, "Authentication required", "Send a valid API key (Authorization: Bearer <key> or X-Api-Key), or sign in.")
                        : RedirectToSignIn(ctx),
                    OnRedirectToAccessDenied = ctx => Problem(ctx.HttpContext, StatusCodes.Status403Forbidden, "Forbidden", "Your role may not do this."),

                    // A municipality acts for an authority in the register: a session issued before its authority left
                    // the register (sessions survive a restart) is refused like its API key.
                    OnValidatePrincipal = async ctx =>
                    {
                        if (ctx.Principal?.FindFirstValue(ClaimTypes.Role) == Roles.Municipality
                            && !ctx.HttpContext.RequestServices.GetRequiredService<UserDirectory>().IsKnownAuthority(ctx.Principal.FindFirstValue(SubsidyAuth.AuthorityClaim)))
                        {
                            ctx.RejectPrincipal();
                            await ctx.HttpContext.SignOutAsync(SubsidyAuth.CookieScheme);
                        }
                    },
                };
            });

        if (settings.Oidc.Enabled)
        {
            AddOidc(auth, settings.Oidc);
        }

        services.AddAuthorizationBuilder()
            .AddPolicy(Policies.Read, p => p.RequireAuthenticatedUser().RequireRole(Roles.Officer, Roles.Municipality, Roles.Auditor, Roles.Admin))
            .AddPolicy(Policies.Write, p => p.RequireAuthenticatedUser().RequireRole(Roles.Officer, Roles.Municipality, Roles.Admin))
            .AddPolicy(Policies.Officer, p => p.RequireAuthenticatedUser().RequireRole(Roles.Officer, Roles.Admin))
            .AddPolicy(Policies.Review, p => p.RequireAuthenticatedUser().RequireRole(Roles.Auditor, Roles.Officer, Roles.Admin))
            .AddPolicy(Policies.Audit, p => p.RequireAuthenticatedUser().RequireRole(Roles.Auditor, Roles.Admin))
            .AddPolicy(Policies.Admin, p => p.RequireAuthenticatedUser().RequireRole(Roles.Admin));
        return builder;
    }

    private static void AddOidc(AuthenticationBuilder auth, OidcSettings oidc)
    {
        auth.AddOpenIdConnect(SubsidyAuth.OidcScheme, o =>
        {
            o.SignInScheme = SubsidyAuth.CookieScheme;
            o.Authority = oidc.Authority;
            o.ClientId = oidc.ClientId;
            o.ClientSecret = oidc.ClientSecret;
            o.CallbackPath = oidc.CallbackPath;
            o.SignedOutCallbackPath = oidc.SignedOutCallbackPath;
            o.ResponseType = OpenIdConnectResponseType.Code;
            o.UsePkce = true;
            o.RequireHttpsMetadata = oidc.RequireHttpsMetadata;
            o.GetClaimsFromUserInfoEndpoint = true;
            o.MapInboundClaims = false;
            o.SaveTokens = false;
            o.Scope.Clear();
            o.Scope.Add("openid");
            o.Scope.Add("profile");
            foreach (var scope in oidc.Scopes)
            {
                o.Scope.Add(scope);
            }

            o.Events = new OpenIdConnectEvents
            {
                OnTokenValidated = ctx => MapOidcPrincipal(ctx, oidc),
                OnUserInformationReceived = ctx => Task.CompletedTask,
            };
        });
    }

    /// <summary>
    /// Replaces the provider's identity with ours: id from the subject claim, role mapped from the configured role
    /// claim, authority from the configured authority claim. A user without a known role, or a municipality
    /// without an authority, is refused.
    /// </summary>
    internal static Task MapOidcPrincipal(TokenValidatedContext ctx, OidcSettings oidc)
    {
        var p = ctx.Principal!;
        var subject = p.FindFirstValue(oidc.SubjectClaim);
        var role = MapRole(p.FindAll(oidc.RoleClaim).Select(c => c.Value), oidc.RoleMap);
        var authority = p.FindFirstValue(oidc.AuthorityClaim);
        if (subject is null || role is null || (role == Roles.Municipality && string.IsNullOrWhiteSpace(authority)))
        {
            ctx.Fail("The identity provider gave no usable role (and authority) for this user.");
            return Task.CompletedTask;
        }

        if (role == Roles.Municipality && !ctx.HttpContext.RequestServices.GetRequiredService<UserDirectory>().IsKnownAuthority(authority))
        {
            ctx.Fail("The identity provider's authority for this user is not in the register of authorities.");
            return Task.CompletedTask;
        }

        ctx.Principal = SubsidyAuth.Principal("oidc:" + subject, p.FindFirstValue(oidc.NameClaim) ?? subject, role,
            role == Roles.Municipality ? authority : null, "cookie", SubsidyAuth.OidcScheme);
        return Task.CompletedTask;
    }

    internal static string? MapRole(IEnumerable<string> values, IReadOnlyDictionary<string, string> map)
    {
        // The most powerful role wins when the provider sends several.
        string[] order = [Roles.Admin, Roles.Officer, Roles.Auditor, Roles.Municipality];
        var mapped = values.Select(v => map.TryGetValue(v, out var m) ? m : v).Where(UserDirectory.UserRoles.Contains).ToHashSet(StringComparer.Ordinal);
        return order.FirstOrDefault(mapped.Contains);
    }

    private static Task RedirectToSignIn(RedirectContext<CookieAuthenticationOptions> ctx)
    {
        var oidc = ctx.HttpContext.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<SubsidyAuthOptions>>().Value.Oidc;
        var dev = ctx.HttpContext.RequestServices.GetRequiredService<DevelopmentSignIn>();
        var returnUrl = Uri.EscapeDataString(ctx.Request.PathBase + ctx.Request.Path + ctx.Request.QueryString);
        var target = oidc.Enabled ? $"/auth/sign-in?returnUrl={returnUrl}" : dev.Enabled ? $"/dev/sign-in?returnUrl={returnUrl}" : null;
        if (target is null)
        {
            return Problem(ctx.HttpContext, StatusCodes.Status401Unauthorized, "Authentication required", "No sign-in method is configured.");
        }

        ctx.Response.Redirect(target);
        return Task.CompletedTask;
    }

    private static Task Problem(HttpContext context, int status, string title, string detail) =>
        context.RequestServices.GetRequiredService<ProblemWriter>().WriteAsync(context, status, title, detail);

    /// <summary>
    /// Antiforgery for cookie-authenticated writes: a browser sends the session cookie on its own, so every unsafe
    /// request authenticated by cookie must carry the token (form field or <c>X-XSRF-TOKEN</c> header). API-key
    /// requests are exempt: a browser never attaches a key by itself.
    /// </summary>
    public static IApplicationBuilder UseCookieAntiforgery(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method) && !HttpMethods.IsOptions(context.Request.Method) &&
            context.User.FindFirstValue(SubsidyAuth.ViaClaim) == "cookie")
        {
            var antiforgery = context.RequestServices.GetRequiredService<IAntiforgery>();
            if (!await antiforgery.IsRequestValidAsync(context))
            {
                await context.RequestServices.GetRequiredService<ProblemWriter>().WriteAsync(context, StatusCodes.Status400BadRequest,
                    "Antiforgery token missing or invalid", $"Cookie-authenticated changes need the antiforgery token (GET /auth/antiforgery; send it as {SubsidyAuth.AntiforgeryHeader}).");
                return;
            }
        }

        await next(context);
    });
}
