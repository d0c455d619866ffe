using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using SubsidyEngine.Api.Auth;
using SubsidyEngine.Engine.Exports;
using SubsidyEngine.Engine.Runtime;

namespace SubsidyEngine.Api.Endpoints;

/// <summary>
/// CSV and XLSX exports of dossiers, awards, payments and recoveries: <c>GET /api/exports/{kind}.csv</c> and
/// <c>.xlsx</c>, filtered by programme, call and state. Every signed-in role may export; a municipality gets only
/// its own rows (the scope is applied in the SQL of <see cref="ExportQueries"/>). Formats: docs/exports.md.
/// </summary>
public static class ExportEndpoints
{
    public static RouteGroupBuilder MapExportEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/exports").WithTags("Exports").RequireAuthorization(Policies.Read);
        group.MapGet("/{kind}.csv", CsvAsync).Documented("ExportCsv", "Export as CSV",
            "Dossiers, awards, payments or recoveries as CSV (UTF-8 with BOM, `;` separator, decimal point, header row; text cells starting with = + - @ are prefixed with an apostrophe). Filters: programme, call, state. A municipality gets only its own and shared dossiers.", 400, 401, 404)
            .Produces(StatusCodes.Status200OK, contentType: "text/csv");
        group.MapGet("/{kind}.xlsx", XlsxAsync).Documented("ExportXlsx", "Export as XLSX",
            "The same rows as the CSV export in an Excel workbook: amounts are numeric cells with a euro format, moments date-time cells in Belgian time.", 400, 401, 404)
            .Produces(StatusCodes.Status200OK, contentType: ExportWriter.XlsxContentType);
        return group;
    }

    public static async Task<Results<FileContentHttpResult, ProblemHttpResult>> CsvAsync(
        string kind, ClaimsPrincipal user, ExportQueries exports, TimeProvider clock, CancellationToken cancellationToken,
        string? programme = null, string? call = null, string? state = null)
    {
        var table = await BuildAsync(kind, user, exports, programme, call, state, cancellationToken);
        if (table is null)
        {
            return UnknownKind(kind);
        }

        using var buffer = new MemoryStream();
        await ExportWriter.WriteCsvAsync(table, buffer, cancellationToken);
        return TypedResults.File(buffer.ToArray(), ExportWriter.CsvContentType, FileName(kind, "csv", clock));
    }

    public static async Task<Results<FileContentHttpResult, ProblemHttpResult>> XlsxAsync(
        string kind, ClaimsPrincipal user, ExportQueries exports, TimeProvider clock, CancellationToken cancellationToken,
        string? programme = null, string? call = null, string? state = null)
    {
        var table = await BuildAsync(kind, user, exports, programme, call, state, cancellationToken);
        if (table is null)
        {
            return UnknownKind(kind);
        }

        using var buffer = new MemoryStream();
        ExportWriter.WriteXlsx(table, buffer);
        return TypedResults.File(buffer.ToArray(), ExportWriter.XlsxContentType, FileName(kind, "xlsx", clock));
    }

    private static async Task<ExportTable?> BuildAsync(string kind, ClaimsPrincipal user, ExportQueries exports, string? programme, string? call, string? state, CancellationToken cancellationToken)
    {
        if (!ExportKinds.IsKnown(kind))
        {
            return null;
        }

        var errors = new List<FieldError>();
        var filter = new ExportFilter
        {
            Programme = EndpointConventions.CheckText(programme, "programme", errors),
            Call = EndpointConventions.CheckText(call, "call", errors),
            State = EndpointConventions.CheckText(state, "state", errors),
        };
        EndpointConventions.ThrowIfAny(errors);
        try
        {
            return await exports.BuildAsync(user.Scope(), kind, filter, cancellationToken);
        }
        catch (ExportTooLargeException e)
        {
            throw new ArgumentValidationException([new FieldError("call", e.Message)]);
        }
    }

    private static ProblemHttpResult UnknownKind(string kind) =>
        EndpointConventions.NotFound($"There is no export '{kind}'; the kinds are {string.Join(", ", ExportKinds.All)}.");

    private static string FileName(string kind, string extension, TimeProvider clock) =>
        $"{kind}-{Templates.NlBeFormat.ToBelgianTime(clock.GetUtcNow()):yyyyMMdd-HHmm}.{extension}";
}
