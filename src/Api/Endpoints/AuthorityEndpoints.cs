using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using SubsidyEngine.Api.Auth;
using SubsidyEngine.Engine.Access;
using SubsidyEngine.Engine.Programmes.Model;
using SubsidyEngine.Engine.Runtime;
using static SubsidyEngine.Api.Endpoints.EndpointConventions;

namespace SubsidyEngine.Api.Endpoints;

/// <summary>An authority of the register (figures of the demo register are illustrative).</summary>
public sealed record AuthorityDto(string Id, string Name, string Kind, string Arrondissement, string Province, long Inhabitants, long NonEu14OriginResidents,
    bool IsFacilityMunicipality, string ContactEmail, string Address)
{
    public static AuthorityDto From(Authority a) => new(a.Id, a.Name, a.Kind.ToDataString(), a.Arrondissement, a.Province, a.Inhabitants, a.NonEu14OriginResidents,
        a.IsFacilityMunicipality, a.ContactEmail, a.Address);
}

/// <summary>One page of authorities.</summary>
public sealed record AuthorityPageDto(IReadOnlyList<AuthorityDto> Items, int Page, int PageSize, long Total);

/// <summary>
/// The authority register. Officers, auditors and admins see every authority; a municipality sees itself and the
/// authorities of the cooperations it takes part in (<see cref="AuthorityQueries"/>); any other answers 404
/// exactly like an unknown id.
/// </summary>
public static class AuthorityEndpoints
{
    public static RouteGroupBuilder MapAuthorityEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/authorities").WithTags("Authorities").RequireAuthorization(Policies.Read);
        group.MapGet("/", ListAsync).Documented("ListAuthorities", "List authorities",
            "Authorities visible to the caller, by id. q: text in the id, name, arrondissement or province (case-insensitive). " +
            "Paging as the dossier list: page (from 1), pageSize (1-200, default 50); total counts every match.", 400, 401, 403);
        group.MapGet("/{authorityId}", GetAsync).Documented("GetAuthority", "Get an authority",
            "One authority of the register (its NIS code, VGC or DE-RAND).", 400, 401, 403, 404);
        return group;
    }

    public static async Task<Ok<AuthorityPageDto>> ListAsync(
        ClaimsPrincipal user, AuthorityQueries authorities, CancellationToken cancellationToken, string? q = null, int? page = null, int? pageSize = null)
    {
        var errors = new List<FieldError>();
        var text = CheckText(q, "q", errors);
        if (page is < 1 or > 1_000_000)
        {
            errors.Add(new FieldError("page", "must be between 1 and 1000000"));
        }

        if (pageSize is < 1 or > DossierEndpoints.MaxPageSize)
        {
            errors.Add(new FieldError("pageSize", $"must be between 1 and {DossierEndpoints.MaxPageSize}"));
        }

        ThrowIfAny(errors);
        var p = page ?? 1;
        var size = pageSize ?? 50;
        var result = await authorities.ListAsync(user.Scope(), string.IsNullOrWhiteSpace(text) ? null : text.Trim(), size, (p - 1) * size, cancellationToken);
        return TypedResults.Ok(new AuthorityPageDto(result.Items.Select(AuthorityDto.From).ToList(), p, size, result.Total));
    }

    public static async Task<Results<Ok<AuthorityDto>, ProblemHttpResult>> GetAsync(string authorityId, ClaimsPrincipal user, AuthorityQueries authorities, CancellationToken cancellationToken)
    {
        if (authorityId.Length is 0 or > 64 || !authorityId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.'))
        {
            ThrowIfAny([new FieldError("authorityId", "is not an authority id (a NIS code, VGC or DE-RAND)")]);
        }

        var authority = await authorities.GetAsync(user.Scope(), authorityId, cancellationToken);
        return authority is null
            ? NotFound("The authority does not exist or is not visible to you.")
            : TypedResults.Ok(AuthorityDto.From(authority));
    }
}
