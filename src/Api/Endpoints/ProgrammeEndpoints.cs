using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using SubsidyEngine.Api.Auth;
using SubsidyEngine.Engine.Programmes;
using SubsidyEngine.Engine.Programmes.Model;
using static SubsidyEngine.Api.Endpoints.EndpointConventions;

namespace SubsidyEngine.Api.Endpoints;

/// <summary>A grant programme in the list.</summary>
public sealed record ProgrammeSummaryDto(string Id, string Name, string NameEn, string Administration, IReadOnlyList<string> Calls, string ContentSha256);

/// <summary>A rate of an action: EUR per KPI unit from a date (null: from the start).</summary>
public sealed record RateDto(DateOnly? From, decimal EurPerUnit, string? Note);

/// <summary>A row of a call's action catalogue, with its unit rates.</summary>
public sealed record ActionDto(string Code, int Objective, string? Group, string Name, string NameEn, string? TargetGroup, string KpiUnit, bool Funded, int? MaximumReach, IReadOnlyList<RateDto> Rates)
{
    public static ActionDto From(ActionDefinition a) => new(a.Code, a.Objective.Number, a.Group, a.Name.Nl, a.Name.En, a.TargetGroup?.Nl, a.KpiUnit.Nl, a.Funded, a.MaximumReach,
        a.Rates.Select(r => new RateDto(r.From, r.EurPerUnit, r.Note)).ToList());
}

/// <summary>A call as configured in the programme data (<c>workflows/&lt;programme&gt;/calls/&lt;id&gt;.json</c>).</summary>
public sealed record CallConfigDto(string Id, int Year, string Name, string NameEn, DateTimeOffset Opens, DateTimeOffset Deadline, DateOnly ProjectStart, DateOnly ProjectEnd,
    int ProjectYears, decimal BudgetEur, DateOnly? GovernmentDecision, string DataSha256, JsonObject Parameters, IReadOnlyList<ActionDto> Actions)
{
    public static CallConfigDto From(Call c) => new(c.Id, c.Year, c.Name.Nl, c.Name.En, c.Window.Opens, c.Window.Deadline, c.ProjectPeriod.Start, c.EffectiveProjectEnd,
        c.ProjectYears, c.Budget.Eur, c.GovernmentDecision, c.File.Sha256, ProgrammeEndpoints.Parameters(c.Parameters), c.Actions.Select(ActionDto.From).ToList());
}

/// <summary>A grant programme with its programme-wide parameters, objectives and calls (each with its effective parameters and unit rates).</summary>
public sealed record ProgrammeDto(string Id, string Name, string NameEn, string Administration, string TimeZone, IReadOnlyDictionary<int, string> Objectives,
    JsonObject Parameters, IReadOnlyList<CallConfigDto> Calls, string ContentSha256);

/// <summary>
/// Grant programmes as configured in <c>workflows/&lt;programme&gt;/programme.json</c> and its call files, read from
/// the Engine's <see cref="ProgrammeCatalog"/>. Public programme data: every signed-in role may read it.
/// </summary>
public static class ProgrammeEndpoints
{
    public static RouteGroupBuilder MapProgrammeEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/programmes").WithTags("Programmes").RequireAuthorization(Policies.Read);
        group.MapGet("/", List).Documented("ListProgrammes", "List programmes", "Every grant programme loaded from the workflows folder, with its call ids.", 401, 403);
        group.MapGet("/{programmeId}", Get).Documented("GetProgramme", "Get a programme",
            "The programme with its parameters (eligibility, bonuses, co-financing, continuation, payment schedule, recovery, allocation), objectives, " +
            "and its calls with their effective parameters and action catalogues (unit rates per KPI unit).", 400, 401, 403, 404);
        return group;
    }

    public static Ok<IReadOnlyList<ProgrammeSummaryDto>> List(ProgrammeCatalog programmes) =>
        TypedResults.Ok<IReadOnlyList<ProgrammeSummaryDto>>(programmes.Programmes.OrderBy(p => p.Id, StringComparer.Ordinal)
            .Select(p => new ProgrammeSummaryDto(p.Id, p.Name.Nl, p.Name.En, p.Administration.Nl, p.Calls.Select(c => c.Id).ToList(), p.ContentSha256)).ToList());

    public static Results<Ok<ProgrammeDto>, ProblemHttpResult> Get(string programmeId, ProgrammeCatalog programmes)
    {
        var programme = Find(programmeId, programmes);
        if (programme is null)
        {
            return NotFound($"Programme '{programmeId}' does not exist.");
        }

        return TypedResults.Ok(new ProgrammeDto(programme.Id, programme.Name.Nl, programme.Name.En, programme.Administration.Nl, programme.TimeZoneId,
            programme.Objectives.ToDictionary(o => o.Number, o => o.Name.Nl), Parameters(programme.Parameters), programme.Calls.Select(CallConfigDto.From).ToList(), programme.ContentSha256));
    }

    /// <summary>The programme with this id; 400 (field <c>programmeId</c>) when it is not an id at all, null when unknown.</summary>
    internal static Programme? Find(string programmeId, ProgrammeCatalog programmes)
    {
        if (!Identifier().IsMatch(programmeId) || programmeId.Contains('/', StringComparison.Ordinal))
        {
            ThrowIfAny([new Engine.Runtime.FieldError("programmeId", "is not a programme id")]);
        }

        return programmes.Programmes.FirstOrDefault(p => p.Id == programmeId);
    }

    /// <summary>Parameters as the data files spell them (camelCase, kebab-case enum values).</summary>
    internal static JsonObject Parameters(ProgrammeParameters parameters) => JsonSerializer.SerializeToNode(parameters, ProgrammeGuards.Json)!.AsObject();
}
