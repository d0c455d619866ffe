using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using SubsidyEngine.Api.Auth;
using SubsidyEngine.Engine.Letters;
using static SubsidyEngine.Api.Endpoints.EndpointConventions;

namespace SubsidyEngine.Api.Endpoints;

/// <summary>A letter of a dossier; <c>stored</c> is true once it was composed for sending (its bytes are then fixed).</summary>
public sealed record LetterDto(Guid NoticeId, string Kind, string TemplateId, int TemplateVersion, string Status, DateTimeOffset CreatedAt, DateTimeOffset? SentAt,
    bool Stored, string? Subject, string? HtmlSha256, bool HasPdf)
{
    public static LetterDto From(LetterSummary l) => new(l.NoticeId, l.Kind, l.TemplateId, l.TemplateVersion, l.Status, l.CreatedAt, l.SentAt, l.Stored, l.Subject, l.HtmlSha256, l.HasPdf);
}

/// <summary>
/// The letters of a dossier and their renderings (<see cref="DossierLetters"/>, shared with the letter screen).
/// A municipality user opening a letter (HTML or PDF) records <c>letter.opened</c> once per letter and user.
/// </summary>
public static class LetterEndpoints
{
    /// <summary>Letter HTML is shown as a document with no script, no forms, no requests (the screen uses a sandboxed iframe).</summary>
    private const string LetterPolicy = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; frame-ancestors 'self'";

    public static RouteGroupBuilder MapLetterEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/dossiers/{id}/letters").WithTags("Letters").RequireAuthorization(Policies.Read);
        group.MapGet("/", ListAsync).Documented("ListLetters", "List the letters",
            "The letters and reminders of the dossier in creation order, with delivery status and whether the rendering is stored.", 400, 401, 403, 404);
        group.MapGet("/{noticeId}/html", HtmlAsync).Produces<string>(StatusCodes.Status200OK, "text/html").Documented("GetLetterHtml", "Get a letter as HTML",
            "The letter as stored when it was composed for sending (else rendered from the notice's snapshot exactly as the dispatcher will send it; header X-Letter-Stored says which). " +
            "X-Html-Sha256 carries the hash. Opening by a municipality user records letter.opened.", 400, 401, 403, 404);
        group.MapGet("/{noticeId}/pdf", PdfAsync).Produces(StatusCodes.Status200OK, contentType: "application/pdf").Documented("GetLetterPdf", "Get a letter as PDF",
            "The letter's PDF as stored (else printed from its HTML). Opening by a municipality user records letter.opened.", 400, 401, 403, 404);
        return group;
    }

    public static async Task<Results<Ok<IReadOnlyList<LetterDto>>, ProblemHttpResult>> ListAsync(Guid id, ClaimsPrincipal user, DossierLetters letters, CancellationToken cancellationToken)
    {
        var list = await letters.ListAsync(user.Scope(), id, cancellationToken);
        return list is null ? DossierNotFound() : TypedResults.Ok<IReadOnlyList<LetterDto>>(list.Select(LetterDto.From).ToList());
    }

    public static async Task<IResult> HtmlAsync(Guid id, Guid noticeId, ClaimsPrincipal user, DossierLetters letters, HttpResponse response, CancellationToken cancellationToken)
    {
        var scope = user.Scope();
        var letter = await letters.HtmlAsync(scope, id, noticeId, cancellationToken);
        if (letter is null)
        {
            return LetterNotFound();
        }

        await letters.RecordOpenedAsync(scope, id, noticeId, letter.Letter.TemplateId, cancellationToken);
        response.Headers.ContentSecurityPolicy = LetterPolicy;
        response.Headers.XFrameOptions = "SAMEORIGIN"; // shown in the letter page's sandboxed frame
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers["X-Html-Sha256"] = letter.HtmlSha256;
        response.Headers["X-Letter-Stored"] = letter.Stored ? "true" : "false";
        return TypedResults.Content(letter.Html, "text/html; charset=utf-8");
    }

    public static async Task<IResult> PdfAsync(Guid id, Guid noticeId, ClaimsPrincipal user, DossierLetters letters, HttpResponse response, CancellationToken cancellationToken)
    {
        var scope = user.Scope();
        var pdf = await letters.PdfAsync(scope, id, noticeId, cancellationToken);
        if (pdf is null)
        {
            return LetterNotFound();
        }

        await letters.RecordOpenedAsync(scope, id, noticeId, pdf.Letter.TemplateId, cancellationToken);
        response.Headers["X-Letter-Stored"] = pdf.Stored ? "true" : "false";
        return TypedResults.File(pdf.Bytes, "application/pdf", pdf.FileName);
    }

    private static ProblemHttpResult LetterNotFound() => NotFound("The letter does not exist or is not visible to you.");
}
