using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using SubsidyEngine.Api.Auth;
using SubsidyEngine.Engine.Access;
using SubsidyEngine.Engine.Programmes;
using SubsidyEngine.Engine.Programmes.Model;
using SubsidyEngine.Engine.Rules;
using SubsidyEngine.Engine.Runtime;
using static SubsidyEngine.Api.Endpoints.EndpointConventions;

namespace SubsidyEngine.Api.Endpoints;

/// <summary>An authority as the cooperation picker shows it: name, reference region and its count of residents of non-EU-14 origin.</summary>
public sealed record CooperationMemberDto(string Id, string Name, string Region, long NonEu14OriginResidents);

/// <summary>A reason of the eligibility rule in both languages.</summary>
public sealed record CooperationReasonDto(string Code, string Severity, string Nl, string En);

/// <summary>The eligibility rule's verdict on a planned composition, before the application is started.</summary>
public sealed record CooperationCheckDto(
    IReadOnlyList<CooperationMemberDto> Members, long CombinedNonEu14OriginResidents, long Threshold, bool OverThreshold,
    IReadOnlyList<string> Regions, bool OneRegion, bool InAnotherApplication, bool CooperationBonus, bool Passed, IReadOnlyList<CooperationReasonDto> Reasons);

/// <summary>
/// The application start form's picker: search the register by name, and check a planned composition (the caller's
/// authority with the participants chosen) against the call's eligibility rule, live while choosing. The server's
/// register and <see cref="EligibilityRule"/> decide, over the call's counted applications (one cooperation per
/// authority and call) and, for a call open only to a previous call's submitters, that call's applications; the
/// start of the application re-checks everything (trust boundary), this is only a preview.
/// </summary>
public static class CooperationEndpoints
{
    public static RouteGroupBuilder MapCooperationEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/programmes/{programmeId}/calls/{callId}/cooperation").WithTags("Applications").RequireAuthorization(Policies.Read);
        group.MapGet("/authorities", SearchAsync).Documented("SearchCooperationAuthorities", "Search authorities to cooperate with",
            "Authorities of the register whose name or NIS code contains q (at least 2 characters, case-insensitive), at most 10, " +
            "with their reference region and count of residents of non-EU-14 origin (public register figures).", 400, 401, 403, 404);
        group.MapGet("/check", CheckAsync).Documented("CheckCooperation", "Check a planned cooperation",
            "The eligibility rule over the caller's authority (a municipality; officers name it with owner) and participants " +
            "(comma-separated ids): members, regions, the summed count against the threshold, whether a member is in another " +
            "application of the call, and whether the cooperation bonus applies. A preview: starting the application re-checks.", 400, 401, 403, 404);
        return group;
    }

    public static Results<Ok<IReadOnlyList<CooperationMemberDto>>, ProblemHttpResult> SearchAsync(
        string programmeId, string callId, ProgrammeCatalog programmes, string? q = null)
    {
        var errors = new List<FieldError>();
        var text = CheckText(q, "q", errors)?.Trim();
        if (text is null || text.Length < 2)
        {
            errors.Add(new FieldError("q", "must have at least 2 characters") { Nl = "Zoektekst: minstens 2 tekens" });
        }

        ThrowIfAny(errors);
        if (!programmes.TryGetCall(programmeId, callId, out var call) || call is null)
        {
            return NotFound("The call does not exist.");
        }

        var found = programmes.Authorities.All
            .Where(a => call.Eligibility.EligibleKinds.Contains(a.Kind)
                        && (a.Name.Contains(text!, StringComparison.OrdinalIgnoreCase) || a.Id.StartsWith(text!, StringComparison.Ordinal)))
            .OrderBy(a => !a.Name.StartsWith(text!, StringComparison.OrdinalIgnoreCase)).ThenBy(a => a.Name, StringComparer.Create(System.Globalization.CultureInfo.GetCultureInfo("nl-BE"), true))
            .Take(10)
            .Select(Member)
            .ToList();
        return TypedResults.Ok<IReadOnlyList<CooperationMemberDto>>(found);
    }

    public static async Task<Results<Ok<CooperationCheckDto>, ProblemHttpResult>> CheckAsync(
        string programmeId, string callId, ClaimsPrincipal user, ProgrammeCatalog programmes, ProgrammeService service, CancellationToken cancellationToken,
        string? participants = null, string? owner = null)
    {
        var scope = user.Scope();
        var errors = new List<FieldError>();
        var ownerId = scope.IsMunicipality ? scope.AuthorityId : CheckText(owner, "owner", errors);
        if (ownerId is null || programmes.Authorities.Find(ownerId) is null)
        {
            errors.Add(new FieldError("owner", "must be an authority of the register") { Nl = "Indienend bestuur: moet een bestuur uit het register zijn" });
        }

        var list = (CheckText(participants, "participants", errors) ?? string.Empty)
            .Split([',', ' ', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal).ToList();
        if (list.Count > 100)
        {
            errors.Add(new FieldError("participants", "must name at most 100 authorities") { Nl = "Deelnemende besturen: hoogstens 100" });
        }

        for (var i = 0; i < list.Count; i++)
        {
            if (programmes.Authorities.Find(list[i]) is null)
            {
                errors.Add(new FieldError($"participants[{i}]", $"'{list[i]}' is not an authority in the register") { Nl = $"Deelnemend bestuur: '{list[i]}' is geen bestuur uit het register" });
            }
            else if (list[i] == ownerId)
            {
                errors.Add(new FieldError($"participants[{i}]", "is the submitting authority itself") { Nl = "Deelnemend bestuur: dat is het indienend bestuur zelf" });
            }
        }

        ThrowIfAny(errors);
        if (!programmes.TryGetCall(programmeId, callId, out var call) || call is null)
        {
            return NotFound("The call does not exist.");
        }

        static ApplicantComposition Composition(System.Text.Json.Nodes.JsonObject o) =>
            new(ProgrammeGuards.Str(o, "id") ?? string.Empty, ProgrammeGuards.Str(o, "owner") ?? string.Empty, ProgrammeGuards.Strings(o["participants"]));
        var others = (await service.CompositionsAsync(programmeId, callId, null, cancellationToken)).OfType<System.Text.Json.Nodes.JsonObject>().Select(Composition)
            .Where(o => o.SubmitterId != ownerId) // its own application (if started) is the one being planned
            .ToList();
        var previous = call.Eligibility.RestrictedToPreviousSubmittersOf is { } previousCall
            ? (await service.CompositionsAsync(programmeId, previousCall, null, cancellationToken)).OfType<System.Text.Json.Nodes.JsonObject>().Select(Composition).ToList()
            : [];
        var me = new ApplicantComposition("(new)", ownerId!, list);
        var result = EligibilityRule.Evaluate(call, programmes.Authorities, new EligibilityInput(me, others, previous));
        var members = me.MemberIds.Select(id => programmes.Authorities.Find(id)).OfType<Authority>().Select(Member).ToList();
        var regions = members.Select(m => m.Region).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return TypedResults.Ok(new CooperationCheckDto(
            members, result.CombinedNonEu14OriginResidents, result.Threshold, result.CombinedNonEu14OriginResidents > result.Threshold,
            regions, regions.Count <= 1, result.Reasons.Any(r => r.Code == "authority.in-several-applications"), result.CooperationBonus, result.Passed,
            result.Reasons.Select(r => new CooperationReasonDto(r.Code, r.Severity.ToString().ToLowerInvariant(), r.Nl, r.En)).ToList()));
    }

    private static CooperationMemberDto Member(Authority a) => new(a.Id, a.Name, a.Arrondissement, a.NonEu14OriginResidents);
}
