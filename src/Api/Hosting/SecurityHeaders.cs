using Microsoft.AspNetCore.HttpOverrides;

namespace SubsidyEngine.Api.Hosting;

/// <summary>Where the service sits behind a TLS-terminating proxy (<c>Subsidy:ForwardedHeaders</c>).</summary>
public sealed class ForwardedHeadersSettings
{
    /// <summary>Addresses of the proxies whose X-Forwarded-For/Proto are honoured (e.g. <c>10.0.0.5</c>).</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Networks of such proxies in CIDR notation (e.g. <c>10.0.0.0/24</c>).</summary>
    public List<string> KnownNetworks { get; set; } = [];
}

/// <summary>
/// The headers every answer carries (pages, API, files, errors): a Content-Security-Policy without inline scripts,
/// no framing by other sites, no MIME sniffing, no referrer to other origins, no powerful browser features, and
/// HSTS when served over TLS. An endpoint that sets its own policy keeps it (a letter's sandbox policy, which may be
/// framed by the service's own letter page). The API reference (<c>/scalar</c>) and the jobs dashboard
/// (<c>/hangfire</c>) are third-party developer tools: no inline script either (the API reference's one inline script
/// carries the per-request nonce Scalar generates, allowed by that answer's policy; its fonts are the browser's, not
/// a font server's), only inline styles are allowed on those paths. Behind a proxy named in
/// <c>Subsidy:ForwardedHeaders</c>, X-Forwarded-Proto/For are honoured, so cookies are Secure and the request is https.
/// </summary>
public static class SecurityHeaders
{
    public const string PagePolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; " +
        "frame-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'";

    /// <summary>The developer tools' policy: scripts from the service only (plus the answer's nonce), inline styles allowed.</summary>
    public static string ToolPolicy(string? nonce) =>
        $"default-src 'self'; script-src 'self'{(nonce is null ? string.Empty : $" 'nonce-{nonce}'")}; style-src 'self' 'unsafe-inline'; " +
        "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'";

    public const string PermissionsPolicy = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()";

    public static WebApplicationBuilder AddSecurityHeaders(this WebApplicationBuilder builder)
    {
        builder.WebHost.ConfigureKestrel(o => o.AddServerHeader = false);
        var settings = builder.Configuration.GetSection("Subsidy:ForwardedHeaders").Get<ForwardedHeadersSettings>() ?? new ForwardedHeadersSettings();
        builder.Services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            foreach (var proxy in settings.KnownProxies)
            {
                o.KnownProxies.Add(System.Net.IPAddress.Parse(proxy));
            }

            foreach (var network in settings.KnownNetworks)
            {
                o.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
            }
        });
        return builder;
    }

    /// <summary>First in the pipeline, so error answers carry the headers too.</summary>
    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app)
    {
        app.UseForwardedHeaders(); // only from the configured proxies (none: the headers are ignored)
        return app.Use(async (context, next) =>
        {
            // The path as requested: the jobs dashboard moves it into PathBase before the answer starts.
            var tool = context.Request.Path.StartsWithSegments("/scalar") || context.Request.Path.StartsWithSegments("/hangfire");
            context.Response.OnStarting(() =>
            {
                var headers = context.Response.Headers;
                if (!headers.ContainsKey("Content-Security-Policy"))
                {
                    headers.ContentSecurityPolicy = tool ? ToolPolicy(context.Items[Scalar.AspNetCore.ScalarOptions.NonceHttpContextItemKey] as string) : PagePolicy;
                }

                if (!headers.ContainsKey("X-Frame-Options"))
                {
                    headers.XFrameOptions = "DENY";
                }

                headers.XContentTypeOptions = "nosniff";
                if (!headers.ContainsKey("Referrer-Policy"))
                {
                    headers["Referrer-Policy"] = "strict-origin-when-cross-origin";
                }

                headers["Permissions-Policy"] = PermissionsPolicy;
                headers.Remove("Server");
                if (context.Request.IsHttps)
                {
                    headers.StrictTransportSecurity = "max-age=31536000; includeSubDomains";
                }

                return Task.CompletedTask;
            });
            await next();
        });
    }
}
