using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Scalar.AspNetCore;
using SubsidyEngine.Api.Auth;

namespace SubsidyEngine.Api.Hosting;

/// <summary>The OpenAPI document (<c>/openapi/v1.json</c>) with the API-key security schemes, and the Scalar UI (<c>/scalar</c>).</summary>
internal static class OpenApiSetup
{
    private const string BearerScheme = "ApiKeyBearer";
    private const string HeaderScheme = "ApiKeyHeader";

    public static IServiceCollection AddSubsidyOpenApi(this IServiceCollection services) => services.AddOpenApi("v1", o =>
    {
        o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info = new OpenApiInfo
            {
                Title = "SubsidyEngine API",
                Version = "v1",
                Description = "Workflow-driven subsidy processing: dossiers, transitions, the hash-chained journal, audits. " +
                    "Authenticate with an API key (Authorization: Bearer <key> or X-Api-Key). Every error is RFC 9457 problem details.",
                License = new OpenApiLicense { Name = "Proprietary (Agentschap Binnenlands Bestuur)", Url = new Uri("https://www.vlaanderen.be/agentschap-binnenlands-bestuur") },
            };
            // The generated server URL is the request's base with a trailing slash; OpenAPI tools want it without.
            foreach (var server in document.Servers ?? [])
            {
                server.Url = server.Url?.TrimEnd('/');
            }

            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "An API key as bearer token: Authorization: Bearer sek_...",
            };
            document.Components.SecuritySchemes[HeaderScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Header,
                Name = SubsidyAuth.ApiKeyHeader,
                Description = "The same API key in the X-Api-Key header.",
            };
            document.Tags = new HashSet<OpenApiTag>
            {
                new() { Name = "Dossiers", Description = "Dossiers, their transitions, journal, deadlines and notices." },
                new() { Name = "Workflows", Description = "Workflow definitions and migrations between their versions." },
                new() { Name = "Applications", Description = "The application table and the KPI reports of an application dossier." },
                new() { Name = "Letters", Description = "The letters of a dossier, as HTML and PDF." },
                new() { Name = "Programmes", Description = "Grant programmes, their parameters and unit rates." },
                new() { Name = "Calls", Description = "Calls for applications: figures, opening, allocation and award." },
                new() { Name = "Authorities", Description = "The register of local authorities." },
                new() { Name = "Audit", Description = "Replaying the journal." },
                new() { Name = "Users", Description = "Users and API keys." },
                new() { Name = "Sign-in", Description = "Web sign-in support." },
                new() { Name = "Health", Description = "Liveness and readiness." },
            };
            return Task.CompletedTask;
        });
        o.AddTransitionSchemas();
        o.AddOperationTransformer((operation, context, _) =>
        {
            var metadata = context.Description.ActionDescriptor.EndpointMetadata;
            var anonymous = metadata.OfType<IAllowAnonymous>().Any() || !metadata.OfType<IAuthorizeData>().Any();
            if (anonymous)
            {
                operation.Security = [];
                return Task.CompletedTask;
            }

            operation.Security =
            [
                new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, context.Document)] = [] },
                new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(HeaderScheme, context.Document)] = [] },
            ];
            return Task.CompletedTask;
        });
    });

    public static WebApplication MapSubsidyOpenApi(this WebApplication app)
    {
        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();
        app.MapScalarApiReference("/scalar", o => o.WithTitle("SubsidyEngine API").AddPreferredSecuritySchemes(BearerScheme)
            .WithNonce() // a fresh nonce per answer on its inline script, allowed by that answer's policy (SecurityHeaders)
            .DisableDefaultFonts()).AllowAnonymous();
        return app;
    }
}
