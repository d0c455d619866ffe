using System.Security.Claims;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using SubsidyEngine.Api.Auth;
using SubsidyEngine.Api.Hosting;
using SubsidyEngine.Engine.Access;
using SubsidyEngine.Engine.Commands;
using SubsidyEngine.Engine.Programmes;
using SubsidyEngine.Engine.Programmes.Model;
using SubsidyEngine.Engine.Rules;
using SubsidyEngine.Engine.Runtime;
using static SubsidyEngine.Api.Endpoints.EndpointConventions;

namespace SubsidyEngine.Api.Endpoints;

/// <summary>
/// The body of <c>POST /api/programmes/{programme}/calls/{call}/applications</c>: what an applicant states when it
/// starts an application. The call, its deadlines, budget and catalogue, and the register's facts about the
/// authorities are the server's.
/// </summary>
/// <param name="Owner">The submitting authority's NIS code: an officer names it; a municipality may omit it (always its own).</param>
/// <param name="Participants">The participating authorities of the cooperation (NIS codes); empty or absent when applying alone.</param>
/// <param name="Contact">Whom the letters go to: name, email (required), phone, address; default the register's contact.</param>
public sealed record StartApplicationRequest(string? Owner, IReadOnlyList<string>? Participants, ContactDto? Contact);

/// <summary>The contact person of an application.</summary>
public sealed record ContactDto(string Name, string Email, string? Phone, string? Address);

/// <summary>A call in the list: its window, budget and (when the caller can see it) its call dossier.</summary>
public sealed record CallSummaryDto(string Programme, string Id, int Year, string Name, DateTimeOffset Opens, DateTimeOffset Deadline, bool WindowOpen, decimal BudgetEur,
    Guid? CallDossierId, string? CallState);

/// <summary>Requested euros of one action over the counted applications.</summary>
public sealed record ActionFigureDto(string ActionCode, decimal RequestedEur, int Applications);

/// <summary>
/// The figures of a call over the applications visible to the caller (officers, auditors, admins: all; a
/// municipality: its own and those it participates in).
/// </summary>
public sealed record CallFiguresDto(decimal BudgetEur, decimal RequestedEur, decimal AllocatedEur, int Applications, int CountedApplications, int Submitters, int Participants,
    IReadOnlyList<ActionFigureDto> PerAction)
{
    public static CallFiguresDto From(CallFigures f) => new(f.BudgetEur, f.RequestedEur, f.AllocatedEur, f.Applications, f.CountedApplications, f.Submitters, f.Participants,
        f.PerAction.Select(a => new ActionFigureDto(a.ActionCode, a.RequestedEur, a.Applications)).ToList());
}

/// <summary>A call with its configuration and its figures.</summary>
public sealed record CallDto(CallSummaryDto Call, CallConfigDto Configuration, CallFiguresDto Figures);

/// <summary>The allocation of one row of an application.</summary>
public sealed record RowAllocationDto(string ActionCode, int Priority, decimal RequestedEur, decimal AllocatedEur, int Round, string Funding);

/// <summary>The allocation of one application (its dossier id).</summary>
public sealed record ApplicationAllocationDto(Guid DossierId, IReadOnlyList<RowAllocationDto> Rows, decimal BonusRequestedEur, decimal BonusAllocatedEur, string BonusFunding,
    decimal RequestedEur, decimal AllocatedEur);

/// <summary>One allocation round (the bonus round or a priority rank).</summary>
public sealed record AllocationRoundDto(int Round, bool IsBonusRound, decimal RequestedEur, decimal AllocatedEur, string Funding);

/// <summary>An allocation of a call's budget over its eligible applications; <c>confirmed</c> is false for a preview.</summary>
public sealed record AllocationDto(Guid CallDossierId, bool Confirmed, decimal BudgetEur, decimal RequestedEur, decimal AllocatedEur, decimal RemainderEur, bool FitsBudget,
    int? ProRataRound, decimal? ProRataFactor, IReadOnlyList<AllocationRoundDto> Rounds, IReadOnlyList<ApplicationAllocationDto> Applications, IReadOnlyList<ReasonDto> Explanations)
{
    public static AllocationDto From(Guid callDossierId, bool confirmed, AllocationResult r) => new(callDossierId, confirmed, r.BudgetEur, r.RequestedEur, r.AllocatedEur, r.RemainderEur,
        r.FitsBudget, r.ProRataRound, r.ProRataFactor,
        r.Rounds.Select(x => new AllocationRoundDto(x.Round, x.IsBonusRound, x.RequestedEur, x.AllocatedEur, Kebab(x.Funding))).ToList(),
        r.Applications.Select(a => new ApplicationAllocationDto(Guid.Parse(a.ApplicationId),
            a.Rows.Select(x => new RowAllocationDto(x.ActionCode, x.Priority, x.RequestedEur, x.AllocatedEur, x.Round, Kebab(x.Funding))).ToList(),
            a.BonusRequestedEur, a.BonusAllocatedEur, Kebab(a.BonusFunding), a.RequestedEur, a.AllocatedEur)).ToList(),
        r.Explanations.Select(e => new ReasonDto(e.Code, e.Nl, e.En)).ToList());

    private static string Kebab(Funding f) => System.Text.Json.JsonNamingPolicy.KebabCaseLower.ConvertName(f.ToString());
}

/// <summary>The outcome of awarding one allocated application.</summary>
public sealed record AwardOutcomeDto(Guid DossierId, bool Awarded, string? Error);

/// <summary>What a bulk award did.</summary>
public sealed record AwardResultDto(Guid CallDossierId, int Awarded, int Refused, IReadOnlyList<AwardOutcomeDto> Outcomes);

/// <summary>
/// Calls of a programme: the configured calls with their call dossier and figures, and the officer actions on a
/// call (open it, preview and confirm the allocation, award the allocated applications). The actions are the
/// Engine's <see cref="ProgrammeService"/> calls the call page uses; every change goes through the workflow runtime.
/// </summary>
public static class CallEndpoints
{
    public static RouteGroupBuilder MapCallEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/programmes/{programmeId}/calls").WithTags("Calls").RequireAuthorization(Policies.Read);
        group.MapGet("/", ListAsync).Documented("ListCalls", "List a programme's calls",
            "The calls of the programme with their application window and budget; callDossierId and callState when the call dossier exists and is visible to the caller " +
            "(municipalities do not see call dossiers).", 400, 401, 403, 404);
        group.MapGet("/{callId}", GetAsync).Documented("GetCall", "Get a call",
            "The call's configuration (window, budget, parameters, action catalogue with unit rates) and its figures: budget, requested (applications submitted and beyond), " +
            "allocated, composition and requested per action, over the applications visible to the caller.", 400, 401, 403, 404);
        group.MapPost("/{callId}/applications", StartApplicationAsync).RequireAuthorization(Policies.Write)
            .Accepts<StartApplicationRequest>("application/json")
            .Documented("StartApplication", "Start an application for a call",
                "Starts the application of an authority for this call (municipality: always its own authority; officer: name the `owner`). " +
                "The request names only the participating authorities (`participants`, NIS codes) and optionally a `contact`; the server copies the call " +
                "(window, deadlines, budget, catalogue) from the programme data and the authorities from the register, and refuses the request while the call " +
                "is not open or after its deadline (409 with the reason), for an unknown authority (400 naming the member), or when the authority already has an " +
                "application for the call (409 with its `dossierId`). Supports Idempotency-Key. Then fill in the table with the `save-draft` transition and `submit` it.",
                400, 401, 403, 404, 409, 413, 415, 422);
        group.MapPost("/{callId}/open", OpenAsync).RequireAuthorization(Policies.Officer).Documented("OpenCall", "Open a call",
            "Starts the call dossier (officer, admin). Once per call: opening it again answers 409 with the callDossierId.", 400, 401, 403, 404, 409);
        group.MapPost("/{callId}/allocation/preview", PreviewAsync).RequireAuthorization(Policies.Officer).Documented("PreviewAllocation", "Preview the allocation",
            "Runs the allocation of the call's budget over its eligible applications and changes nothing (officer, admin). 409 when the call was not opened.", 400, 401, 403, 404, 409);
        group.MapPost("/{callId}/allocation/confirm", ConfirmAsync).RequireAuthorization(Policies.Officer).Documented("ConfirmAllocation", "Confirm the allocation",
            "Records the allocation on the call (confirm-allocation) and on every eligible application (allocate). Safe to repeat: each step is idempotent. " +
            "409 when the call was not opened or is not in a state that permits it, with the reasons.", 400, 401, 403, 404, 409);
        group.MapPost("/{callId}/award", AwardAsync).RequireAuthorization(Policies.Officer).Documented("AwardCall", "Award the allocated applications",
            "Fires award on every application of the call in state allocated (officer, admin); refusals are listed per application. Safe to repeat. " +
            "409 when the call was not opened.", 400, 401, 403, 404, 409);
        return group;
    }

    public static async Task<Results<Ok<IReadOnlyList<CallSummaryDto>>, ProblemHttpResult>> ListAsync(
        string programmeId, ClaimsPrincipal user, ProgrammeCatalog programmes, ProgrammeService service, DossierQueries queries, TimeProvider clock, CancellationToken cancellationToken)
    {
        var programme = ProgrammeEndpoints.Find(programmeId, programmes);
        if (programme is null)
        {
            return NotFound($"Programme '{programmeId}' does not exist.");
        }

        var list = new List<CallSummaryDto>();
        foreach (var call in programme.Calls)
        {
            list.Add(await SummaryAsync(call, user.Scope(), service, queries, clock, cancellationToken));
        }

        return TypedResults.Ok<IReadOnlyList<CallSummaryDto>>(list);
    }

    public static async Task<Results<Ok<CallDto>, ProblemHttpResult>> GetAsync(
        string programmeId, string callId, ClaimsPrincipal user, ProgrammeCatalog programmes, ProgrammeService service, DossierQueries queries, TimeProvider clock, CancellationToken cancellationToken)
    {
        var call = Find(programmeId, callId, programmes);
        if (call is null)
        {
            return CallNotFound(programmeId, callId);
        }

        var scope = user.Scope();
        var summary = await SummaryAsync(call, scope, service, queries, clock, cancellationToken);
        var applications = new List<DossierSnapshot>();
        if (await service.FindCallDossierAsync(programmeId, callId, cancellationToken) is { } callDossier)
        {
            // The applications the caller may see, read with its scope in SQL, as the call page does.
            var filter = new DossierFilter { Workflow = ProgrammeService.DossierWorkflow(programmeId), Parent = callDossier.ToString("D") };
            for (var page = 1; ; page++)
            {
                var result = await queries.ListAsync(scope, filter, page, DossierEndpoints.MaxPageSize, cancellationToken);
                applications.AddRange(result.Items);
                if (result.Items.Count < DossierEndpoints.MaxPageSize)
                {
                    break;
                }
            }
        }

        return TypedResults.Ok(new CallDto(summary, CallConfigDto.From(call), CallFiguresDto.From(CallFigures.Of(call.Budget.Eur, applications))));
    }

    public static async Task<Results<Created<TransitionResultDto>, ProblemHttpResult>> StartApplicationAsync(
        string programmeId, string callId, HttpRequest request, ClaimsPrincipal user, ProgrammeCatalog programmes, DossierCommands commands, CancellationToken cancellationToken,
        [FromHeader(Name = IdempotencyKeyHeader)] string? idempotencyKey = null)
    {
        if (Find(programmeId, callId, programmes) is null)
        {
            return CallNotFound(programmeId, callId);
        }

        var errors = new List<FieldError>();
        var key = CheckIdempotencyKey(idempotencyKey, errors);
        ThrowIfAny(errors);
        var body = await JsonBody.ReadObjectAsync(request, emptyAs: [], cancellationToken);
        JsonBody.OnlyMembers(body, "owner", "participants", "contact");
        var owner = body["owner"] is null ? null : body["owner"] is JsonValue ov && ov.TryGetValue<string>(out var o) ? o : null;
        if (body["owner"] is not null && owner is null)
        {
            errors.Add(new FieldError("$.owner", "must be a string") { Rule = "type", Nl = "Indienend bestuur: moet tekst zijn" });
        }

        var participants = new List<string>();
        switch (body["participants"])
        {
            case null:
                break;
            case JsonArray list:
                for (var i = 0; i < list.Count; i++)
                {
                    if (list[i] is JsonValue pv && pv.TryGetValue<string>(out var p))
                    {
                        participants.Add(p);
                    }
                    else
                    {
                        errors.Add(new FieldError($"$.participants[{i}]", "must be a string (a NIS code)") { Rule = "type", Nl = "Deelnemend bestuur: moet een NIS-code zijn" });
                    }
                }

                break;
            default:
                errors.Add(new FieldError("$.participants", "must be an array of NIS codes") { Rule = "type", Nl = "Deelnemende besturen: moet een lijst van NIS-codes zijn" });
                break;
        }

        var contact = body["contact"] switch
        {
            null => null,
            JsonObject c => (JsonObject)c.DeepClone(),
            _ => null,
        };
        if (body["contact"] is not null and not JsonObject)
        {
            errors.Add(new FieldError("$.contact", "must be an object") { Rule = "type", Nl = "Contactpersoon: moet een object zijn" });
        }

        ThrowIfAny(errors);
        var result = await commands.StartApplicationAsync(user.Scope(), programmeId, callId, new StartApplication(owner, participants, contact), key, cancellationToken);
        request.HttpContext.Response.Headers.ETag = DossierEndpoints.ETag(result.Version);
        DossierEndpoints.MarkReplayed(request.HttpContext.Response, result);
        return TypedResults.Created($"/api/dossiers/{result.DossierId:D}", TransitionResultDto.Of(result));
    }

    public static async Task<Results<Created<TransitionResultDto>, ProblemHttpResult>> OpenAsync(
        string programmeId, string callId, ClaimsPrincipal user, ProgrammeCatalog programmes, ProgrammeService service, HttpResponse response, HttpRequest request, CancellationToken cancellationToken)
    {
        await JsonBody.NoMembersAsync(request, cancellationToken); // no arguments: the server reads the call, budget and applications
        if (Find(programmeId, callId, programmes) is null)
        {
            return CallNotFound(programmeId, callId);
        }

        if (await service.FindCallDossierAsync(programmeId, callId, cancellationToken) is { } existing)
        {
            return AlreadyOpened(programmeId, callId, existing);
        }

        FireResult opened;
        try
        {
            opened = await service.OpenCallAsync(programmeId, callId, user.Scope().Actor, cancellationToken);
        }
        catch (DossierExistsException e)
        {
            // Another user opened it at the same moment (the call dossier's key is per call, not per user).
            return AlreadyOpened(programmeId, callId, e.ExistingId);
        }
        catch (IdempotencyConflictException)
        {
            return AlreadyOpened(programmeId, callId, await service.FindCallDossierAsync(programmeId, callId, cancellationToken));
        }

        var result = TransitionResultDto.Of(opened);
        if (result.Replayed)
        {
            return AlreadyOpened(programmeId, callId, result.DossierId);
        }

        response.Headers.ETag = $"\"{result.Version}\"";
        return TypedResults.Created($"/api/dossiers/{result.DossierId:D}", result);
    }

    private static ProblemHttpResult AlreadyOpened(string programmeId, string callId, Guid? callDossier) =>
        TypedResults.Problem(detail: $"Call '{callId}' of programme '{programmeId}' is already open.", statusCode: StatusCodes.Status409Conflict, title: "Call already opened",
            extensions: new Dictionary<string, object?> { ["callDossierId"] = callDossier?.ToString("D") });

    public static async Task<Results<Ok<AllocationDto>, ProblemHttpResult>> PreviewAsync(
        string programmeId, string callId, ProgrammeCatalog programmes, ProgrammeService service, HttpRequest request, CancellationToken cancellationToken)
    {
        await JsonBody.NoMembersAsync(request, cancellationToken); // no arguments: the server reads the call, budget and applications
        var (problem, callDossier) = await CallDossierAsync(programmeId, callId, programmes, service, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var (result, _) = await service.PreviewAllocationAsync(callDossier, cancellationToken);
        return TypedResults.Ok(AllocationDto.From(callDossier, false, result));
    }

    public static async Task<Results<Ok<AllocationDto>, ProblemHttpResult>> ConfirmAsync(
        string programmeId, string callId, ClaimsPrincipal user, ProgrammeCatalog programmes, ProgrammeService service, HttpRequest request, CancellationToken cancellationToken)
    {
        await JsonBody.NoMembersAsync(request, cancellationToken); // no arguments: the server reads the call, budget and applications
        var (problem, callDossier) = await CallDossierAsync(programmeId, callId, programmes, service, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var result = await service.ConfirmAllocationAsync(callDossier, user.Scope().Actor, cancellationToken);
        return TypedResults.Ok(AllocationDto.From(callDossier, true, result));
    }

    public static async Task<Results<Ok<AwardResultDto>, ProblemHttpResult>> AwardAsync(
        string programmeId, string callId, ClaimsPrincipal user, ProgrammeCatalog programmes, ProgrammeService service, HttpRequest request, CancellationToken cancellationToken)
    {
        await JsonBody.NoMembersAsync(request, cancellationToken); // no arguments: the server reads the call, budget and applications
        var (problem, callDossier) = await CallDossierAsync(programmeId, callId, programmes, service, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var outcomes = await service.AwardAllocatedAsync(callDossier, user.Scope().Actor, cancellationToken);
        return TypedResults.Ok(new AwardResultDto(callDossier, outcomes.Count(o => o.Awarded), outcomes.Count(o => !o.Awarded),
            outcomes.Select(o => new AwardOutcomeDto(o.DossierId, o.Awarded, o.Error?.Message)).ToList()));
    }

    private static async Task<CallSummaryDto> SummaryAsync(Call call, AccessScope scope, ProgrammeService service, DossierQueries queries, TimeProvider clock, CancellationToken cancellationToken)
    {
        var id = await service.FindCallDossierAsync(call.ProgrammeId, call.Id, cancellationToken);
        var dossier = id is { } g ? await queries.GetAsync(scope, g, cancellationToken) : null;
        return new CallSummaryDto(call.ProgrammeId, call.Id, call.Year, call.Name.Nl, call.Window.Opens, call.Window.Deadline, call.Window.Contains(clock.GetUtcNow()), call.Budget.Eur,
            dossier?.Id, dossier?.State);
    }

    private static Call? Find(string programmeId, string callId, ProgrammeCatalog programmes)
    {
        var errors = new List<FieldError>();
        if (!Identifier().IsMatch(programmeId) || programmeId.Contains('/', StringComparison.Ordinal))
        {
            errors.Add(new FieldError("programmeId", "is not a programme id"));
        }

        if (!Identifier().IsMatch(callId) || callId.Contains('/', StringComparison.Ordinal))
        {
            errors.Add(new FieldError("callId", "is not a call id"));
        }

        ThrowIfAny(errors);
        return programmes.TryGetCall(programmeId, callId, out var call) ? call : null;
    }

    private static ProblemHttpResult CallNotFound(string programmeId, string callId) => NotFound($"Call '{callId}' of programme '{programmeId}' does not exist.");

    private static async Task<(ProblemHttpResult? Problem, Guid CallDossier)> CallDossierAsync(
        string programmeId, string callId, ProgrammeCatalog programmes, ProgrammeService service, CancellationToken cancellationToken)
    {
        if (Find(programmeId, callId, programmes) is null)
        {
            return (CallNotFound(programmeId, callId), Guid.Empty);
        }

        return await service.FindCallDossierAsync(programmeId, callId, cancellationToken) is { } id
            ? (null, id)
            : (TypedResults.Problem(detail: $"Call '{callId}' of programme '{programmeId}' has not been opened: open it first.", statusCode: StatusCodes.Status409Conflict, title: "Call not opened"), Guid.Empty);
    }
}
