using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using SubsidyEngine.Api.Auth;
using SubsidyEngine.Api.Hosting;
using SubsidyEngine.Engine.Access;
using SubsidyEngine.Engine.Runtime;
using static SubsidyEngine.Api.Endpoints.EndpointConventions;

namespace SubsidyEngine.Api.Endpoints;

/// <summary>Users and API keys (admin), and <c>/api/me</c> for everyone signed in.</summary>
public static class UserEndpoints
{
    public static RouteGroupBuilder MapUserEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/me", Me).WithTags("Users").RequireAuthorization(Policies.Read)
            .Documented("GetMe", "Who am I", "The caller's user id, name, role, authority and how it signed in.", 401, 403);

        var group = app.MapGroup("/api/users").WithTags("Users").RequireAuthorization(Policies.Admin);
        group.MapGet("/", ListAsync).Documented("ListUsers", "List users", "Every user (admin).", 401, 403);
        group.MapPost("/", CreateAsync).Accepts<CreateUserRequest>("application/json").Documented("CreateUser", "Create a user",
            "Creates a user with one role; a municipality user needs its authority id (NIS code) (admin).", 400, 401, 403, 413, 415);
        group.MapGet("/{id}/keys", ListKeysAsync).Documented("ListApiKeys", "List a user's API keys", "The keys of a user, without secrets (admin).", 400, 401, 403, 404);
        group.MapPost("/{id}/keys", CreateKeyAsync).Accepts<CreateApiKeyRequest>("application/json").Documented("CreateApiKey", "Create an API key",
            "Makes an API key for the user. The secret is in this answer only: it is never stored or shown again (admin).", 400, 401, 403, 404, 413, 415);
        group.MapDelete("/{id}/keys/{keyId}", RevokeKeyAsync).Documented("RevokeApiKey", "Revoke an API key",
            "Revokes the key at once; revoking twice is fine (admin).", 400, 401, 403, 404);
        return group;
    }

    public static Ok<MeDto> Me(ClaimsPrincipal user)
    {
        var scope = user.Scope();
        return TypedResults.Ok(new MeDto(scope.UserId, user.FindFirstValue(ClaimTypes.Name) ?? scope.UserId, scope.Role, scope.AuthorityId,
            user.FindFirstValue(SubsidyAuth.ViaClaim) ?? "unknown", scope.MayWrite));
    }

    public static async Task<Ok<IReadOnlyList<UserDto>>> ListAsync(UserDirectory users, CancellationToken cancellationToken) =>
        TypedResults.Ok<IReadOnlyList<UserDto>>((await users.ListUsersAsync(cancellationToken)).Select(UserDto.From).ToList());

    public static async Task<Created<UserDto>> CreateAsync(HttpRequest request, UserDirectory users, CancellationToken cancellationToken)
    {
        var body = await JsonBody.ReadObjectAsync(request, emptyAs: null, cancellationToken);
        JsonBody.OnlyMembers(body, "displayName", "email", "role", "authorityId");
        var errors = new List<FieldError>();
        var displayName = JsonBody.String(body, "displayName", required: true, 200, errors);
        var email = JsonBody.String(body, "email", required: true, 320, errors);
        var role = JsonBody.String(body, "role", required: true, 50, errors);
        var authority = JsonBody.String(body, "authorityId", required: false, 64, errors);
        ThrowIfAny(errors);
        var user = await users.CreateUserAsync(displayName!, email!, role!, authority, cancellationToken: cancellationToken);
        return TypedResults.Created($"/api/users/{user.Id:D}", UserDto.From(user));
    }

    public static async Task<Results<Ok<IReadOnlyList<ApiKeyDto>>, ProblemHttpResult>> ListKeysAsync(Guid id, UserDirectory users, CancellationToken cancellationToken)
    {
        if (await users.GetUserAsync(id, cancellationToken) is null)
        {
            return NotFound($"User {id} does not exist.");
        }

        return TypedResults.Ok<IReadOnlyList<ApiKeyDto>>((await users.ListKeysAsync(id, cancellationToken)).Select(ApiKeyDto.From).ToList());
    }

    public static async Task<Results<Created<CreatedApiKeyDto>, ProblemHttpResult>> CreateKeyAsync(Guid id, HttpRequest request, UserDirectory users, CancellationToken cancellationToken)
    {
        var body = await JsonBody.ReadObjectAsync(request, emptyAs: null, cancellationToken);
        JsonBody.OnlyMembers(body, "label");
        var errors = new List<FieldError>();
        var label = JsonBody.String(body, "label", required: true, 200, errors);
        ThrowIfAny(errors);
        if (await users.GetUserAsync(id, cancellationToken) is null)
        {
            return NotFound($"User {id} does not exist.");
        }

        var created = await users.CreateKeyAsync(id, label!, cancellationToken);
        request.HttpContext.Response.Headers.CacheControl = "no-store";
        return TypedResults.Created($"/api/users/{id:D}/keys", new CreatedApiKeyDto(created.Key.Id, id, created.Key.Label, created.Key.CreatedAt, created.Secret));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> RevokeKeyAsync(Guid id, Guid keyId, UserDirectory users, CancellationToken cancellationToken) =>
        await users.RevokeKeyAsync(id, keyId, cancellationToken) ? TypedResults.NoContent() : NotFound($"User {id} has no key {keyId}.");
}
