using System.Globalization;
using System.Security.Claims;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using SubsidyEngine.Api.Auth;
using SubsidyEngine.Api.Hosting;
using SubsidyEngine.Engine.Access;
using SubsidyEngine.Engine.Audit;
using SubsidyEngine.Engine.Commands;
using SubsidyEngine.Engine.Runtime;
using static SubsidyEngine.Api.Endpoints.EndpointConventions;

namespace SubsidyEngine.Api.Endpoints;

/// <summary>
/// Dossiers: list, read, create, fire transitions, and read their journal, options, deadlines and notices. Every
/// read goes through <see cref="DossierQueries"/> with the caller's scope in SQL; a dossier outside the scope
/// answers 404 exactly like one that does not exist.
/// </summary>
public static class DossierEndpoints
{
    public const int MaxPageSize = 200;

    public static RouteGroupBuilder MapDossierEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/dossiers").WithTags("Dossiers").RequireAuthorization(Policies.Read);

        group.MapGet("/", ListAsync).Documented("ListDossiers", "List dossiers",
            "Dossiers visible to the caller, newest change first. Filters: workflow, state, owner, parent, q (text in data.reference or data.title), " +
            "updatedSince. Paging: page (from 1), pageSize (1-200, default 50); total counts every match.", 400, 401, 403);
        group.MapGet("/{id}", GetAsync).Documented("GetDossier", "Get a dossier",
            "The dossier with its data. The ETag header holds its version; send it back as If-Match when firing a transition (delivery records appended since, such as a letter sent or opened, do not make it stale).", 400, 401, 403, 404);
        group.MapPost("/", CreateAsync).RequireAuthorization(Policies.Write)
            .Accepts<CreateDossierRequest>("application/json")
            .Documented("CreateDossier", "Start a dossier",
                "Starts a dossier on the latest version of a workflow. Who may create is set by the definition (creation.roles). " +
                "A municipality creates dossiers owned by its own authority. Supports Idempotency-Key.", 400, 401, 403, 404, 409, 413, 415, 422);
        group.MapPost("/{id}/transitions/{trigger}", FireAsync).RequireAuthorization(Policies.Write)
            .Accepts<JsonObject>("application/json")
            .Documented("FireTransition", "Fire a transition",
                "Fires a trigger with a JSON object of arguments (an empty body means no arguments). If-Match: \"<version>\" makes it conditional (412 when stale); " +
                "Idempotency-Key makes a retry return the first result (flagged with Idempotent-Replayed: true). 409 when the trigger is not permitted, " +
                "with the permitted triggers and the reasons of failing guards.", 400, 401, 403, 404, 409, 412, 413, 415, 422);
        group.MapGet("/{id}/transitions", OptionsAsync).Documented("ListTransitions", "List the transitions",
            "Every trigger of the dossier's current state as seen by the caller: permitted or not, and the reasons of failing guards (nl/en).", 400, 401, 403, 404);
        group.MapGet("/{id}/journal", JournalAsync).Documented("GetJournal", "Get the journal",
            "The dossier's hash-chained journal in chain order. Arguments and effects are the exact canonical texts that were hashed.", 400, 401, 403, 404);
        group.MapGet("/{id}/replay", ReplayAsync).RequireAuthorization(Policies.Review).Documented("ReplayDossier", "Replay a dossier",
            "Re-fires the journal on the pinned definitions, re-renders every stored letter from it (skip with `letters=false`) and reports every divergence (auditor, officer, admin).", 400, 401, 403, 404);
        group.MapGet("/{id}/as-of", AsOfAsync).RequireAuthorization(Policies.Review).Documented("GetDossierAsOf", "The dossier as of a moment",
            "State, workflow version, data (amounts included), open deadlines and letters as of `at`, computed from the journal alone (auditor, officer, admin).", 400, 401, 403, 404);
        group.MapGet("/{id}/deadlines", DeadlinesAsync).Documented("GetDeadlines", "Get the deadlines",
            "The dossier's deadlines, open ones first.", 400, 401, 403, 404);
        group.MapGet("/{id}/notices", NoticesAsync).Documented("GetNotices", "Get the notices",
            "The letters and notices of the dossier and their delivery status.", 400, 401, 403, 404);
        return group;
    }

    public static async Task<Ok<DossierPageDto>> ListAsync(
        ClaimsPrincipal user, DossierQueries queries, CancellationToken cancellationToken,
        string? workflow = null, string? state = null, string? owner = null, string? parent = null, string? q = null,
        DateTimeOffset? updatedSince = null, int? page = null, int? pageSize = null)
    {
        var errors = new List<FieldError>();
        var filter = new DossierFilter
        {
            Workflow = CheckText(workflow, "workflow", errors),
            State = CheckText(state, "state", errors),
            Owner = CheckText(owner, "owner", errors),
            Parent = CheckText(parent, "parent", errors),
            Text = CheckText(q, "q", errors),
            UpdatedSince = updatedSince,
        };
        if (page is < 1 or > 1_000_000)
        {
            errors.Add(new FieldError("page", "must be between 1 and 1000000"));
        }

        if (pageSize is < 1 or > MaxPageSize)
        {
            errors.Add(new FieldError("pageSize", $"must be between 1 and {MaxPageSize}"));
        }

        ThrowIfAny(errors);
        var p = page ?? 1;
        var size = pageSize ?? 50;
        var result = await queries.ListAsync(user.Scope(), filter, p, size, cancellationToken);
        return TypedResults.Ok(new DossierPageDto(result.Items.Select(DossierDto.From).ToList(), p, size, result.Total));
    }

    public static async Task<Results<Ok<DossierDto>, ProblemHttpResult>> GetAsync(Guid id, ClaimsPrincipal user, DossierQueries queries, HttpResponse response, CancellationToken cancellationToken)
    {
        var dossier = await queries.GetAsync(user.Scope(), id, cancellationToken);
        if (dossier is null)
        {
            return DossierNotFound();
        }

        response.Headers.ETag = ETag(dossier.Version);
        return TypedResults.Ok(DossierDto.From(dossier));
    }

    public static async Task<Results<Created<TransitionResultDto>, ProblemHttpResult>> CreateAsync(
        HttpRequest request, ClaimsPrincipal user, DossierCommands commands, CancellationToken cancellationToken,
        [FromHeader(Name = IdempotencyKeyHeader)] string? idempotencyKey = null)
    {
        var errors = new List<FieldError>();
        var key = CheckIdempotencyKey(idempotencyKey, errors);
        ThrowIfAny(errors);
        var body = await JsonBody.ReadObjectAsync(request, emptyAs: null, cancellationToken);
        JsonBody.OnlyMembers(body, "workflow", "data");
        var workflow = JsonBody.String(body, "workflow", required: true, maxLength: 200, errors);
        if (workflow is not null && !Identifier().IsMatch(workflow))
        {
            errors.Add(new FieldError("workflow", "is not a workflow id"));
        }

        JsonObject? data = null;
        if (!body.TryGetPropertyValue("data", out var dataNode) || dataNode is null)
        {
            errors.Add(new FieldError("data", "is required"));
        }
        else if (dataNode is not JsonObject o)
        {
            errors.Add(new FieldError("data", "must be a JSON object"));
        }
        else
        {
            data = (JsonObject)o.DeepClone();
        }

        ThrowIfAny(errors);
        var result = await commands.CreateAsync(user.Scope(), workflow!, data!, key, cancellationToken);
        request.HttpContext.Response.Headers.ETag = ETag(result.Version);
        MarkReplayed(request.HttpContext.Response, result);
        return TypedResults.Created($"/api/dossiers/{result.DossierId:D}", TransitionResultDto.Of(result));
    }

    public static async Task<Results<Ok<TransitionResultDto>, ProblemHttpResult>> FireAsync(
        Guid id, string trigger, HttpRequest request, ClaimsPrincipal user, DossierCommands commands, CancellationToken cancellationToken,
        [FromHeader(Name = "If-Match")] string? ifMatch = null, [FromHeader(Name = IdempotencyKeyHeader)] string? idempotencyKey = null)
    {
        var errors = new List<FieldError>();
        if (!Identifier().IsMatch(trigger) || trigger.Contains('/', StringComparison.Ordinal))
        {
            errors.Add(new FieldError("trigger", "is not a trigger id"));
        }

        var key = CheckIdempotencyKey(idempotencyKey, errors);
        int? expectedVersion = null;
        if (ifMatch is not null && ifMatch.Trim() != "*")
        {
            var v = ifMatch.Trim();
            if (v.Length < 3 || v[0] != '"' || v[^1] != '"' || !int.TryParse(v.AsSpan(1, v.Length - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) || parsed < 1)
            {
                errors.Add(new FieldError("If-Match", "must be the dossier's ETag, e.g. \"3\""));
            }
            else
            {
                expectedVersion = parsed;
            }
        }

        ThrowIfAny(errors);
        var args = await JsonBody.ReadObjectAsync(request, emptyAs: [], cancellationToken);
        // Visibility is checked by the fire's locking read (Scope): a dossier the caller may not see is not found (404).
        var result = await commands.FireAsync(user.Scope(), id, trigger, args, expectedVersion, key, cancellationToken);
        request.HttpContext.Response.Headers.ETag = ETag(result.Version);
        MarkReplayed(request.HttpContext.Response, result);
        return TypedResults.Ok(TransitionResultDto.Of(result));
    }

    public static async Task<Results<Ok<IReadOnlyList<TransitionOptionDto>>, ProblemHttpResult>> OptionsAsync(
        Guid id, ClaimsPrincipal user, DossierQueries queries, WorkflowRuntime runtime, CancellationToken cancellationToken)
    {
        var scope = user.Scope();
        if (await queries.GetAsync(scope, id, cancellationToken) is null)
        {
            return DossierNotFound();
        }

        var options = await runtime.GetOptionsAsync(id, scope.Actor, cancellationToken);
        return TypedResults.Ok<IReadOnlyList<TransitionOptionDto>>(options.Select(TransitionOptionDto.From).ToList());
    }

    public static async Task<Results<Ok<IReadOnlyList<JournalEventDto>>, ProblemHttpResult>> JournalAsync(
        Guid id, ClaimsPrincipal user, DossierQueries queries, CancellationToken cancellationToken)
    {
        var events = await queries.JournalAsync(user.Scope(), id, cancellationToken);
        return events is null ? DossierNotFound() : TypedResults.Ok<IReadOnlyList<JournalEventDto>>(events.Select(JournalEventDto.From).ToList());
    }

    public static async Task<Results<Ok<ReplayReportDto>, ProblemHttpResult>> ReplayAsync(
        Guid id, ClaimsPrincipal user, DossierQueries queries, AuditReplay replay, CancellationToken cancellationToken, bool letters = true)
    {
        if (await queries.GetAsync(user.Scope(), id, cancellationToken) is null)
        {
            return DossierNotFound();
        }

        return TypedResults.Ok(ReplayReportDto.From(await replay.ReplayAsync(id, letters, cancellationToken)));
    }

    public static async Task<Results<Ok<DossierAsOf>, ProblemHttpResult>> AsOfAsync(
        Guid id, DateTimeOffset at, ClaimsPrincipal user, DossierQueries queries, TimeTravel travel, CancellationToken cancellationToken)
    {
        if (await queries.GetAsync(user.Scope(), id, cancellationToken) is null)
        {
            return DossierNotFound();
        }

        return TypedResults.Ok(await travel.AsOfAsync(id, at, cancellationToken));
    }

    public static async Task<Results<Ok<IReadOnlyList<DeadlineDto>>, ProblemHttpResult>> DeadlinesAsync(
        Guid id, ClaimsPrincipal user, DossierQueries queries, CancellationToken cancellationToken)
    {
        var list = await queries.DeadlinesAsync(user.Scope(), id, cancellationToken);
        return list is null ? DossierNotFound() : TypedResults.Ok<IReadOnlyList<DeadlineDto>>(list.Select(DeadlineDto.From).ToList());
    }

    public static async Task<Results<Ok<IReadOnlyList<NoticeDto>>, ProblemHttpResult>> NoticesAsync(
        Guid id, ClaimsPrincipal user, DossierQueries queries, CancellationToken cancellationToken)
    {
        var list = await queries.NoticesAsync(user.Scope(), id, cancellationToken);
        return list is null ? DossierNotFound() : TypedResults.Ok<IReadOnlyList<NoticeDto>>(list.Select(NoticeDto.From).ToList());
    }

    internal static string ETag(int version) => $"\"{version.ToString(CultureInfo.InvariantCulture)}\"";

    internal static void MarkReplayed(HttpResponse response, FireResult result)
    {
        if (result.Replayed)
        {
            response.Headers[ReplayedHeader] = "true";
        }
    }
}
