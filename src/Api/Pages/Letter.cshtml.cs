using Microsoft.AspNetCore.Mvc;
using SubsidyEngine.Api.Ui;
using SubsidyEngine.Engine.Access;
using SubsidyEngine.Engine.Letters;
using SubsidyEngine.Templates;

namespace SubsidyEngine.Api.Pages;

/// <summary>
/// One letter of a dossier, rendered from the journal (<see cref="NoticeLetters"/>), as HTML or PDF. A municipality
/// opening it records <c>letter.opened</c> once per notice and user (idempotency key).
/// </summary>
public sealed class LetterModel(DossierQueries queries, NoticeLetters letters, IPdfRenderer pdf, DossierLetters dossierLetters) : UiPageModel
{
    public Guid DossierId { get; private set; }

    public NoticeRecord Notice { get; private set; } = null!;

    public RenderedLetter Letter { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync(Guid id, Guid noticeId, CancellationToken ct)
    {
        if (!await LoadAsync(id, noticeId, ct))
        {
            return NotFound();
        }

        await dossierLetters.RecordOpenedAsync(Scope, id, noticeId, Notice.TemplateId, ct);

        return Page();
    }

    public async Task<IActionResult> OnGetPdfAsync(Guid id, Guid noticeId, CancellationToken ct)
    {
        if (!await LoadAsync(id, noticeId, ct))
        {
            return NotFound();
        }

        var bytes = await pdf.RenderAsync(Letter, ct);
        return File(bytes, "application/pdf", $"{Notice.TemplateId}-{id:N}.pdf");
    }

    private async Task<bool> LoadAsync(Guid id, Guid noticeId, CancellationToken ct)
    {
        var notices = await queries.NoticesAsync(Scope, id, ct);
        var notice = notices?.FirstOrDefault(n => n.Id == noticeId);
        if (notice is null)
        {
            return false;
        }

        DossierId = id;
        Notice = notice;
        Letter = await letters.RenderAsync(id, notice.DossierSeq, notice.TemplateId, notice.TemplateVersion, cancellationToken: ct);
        return true;
    }
}
