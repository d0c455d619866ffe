using Microsoft.AspNetCore.Mvc;
using SubsidyEngine.Api.Ui;
using SubsidyEngine.Engine.Access;
using SubsidyEngine.Engine.Letters;

namespace SubsidyEngine.Api.Pages;

/// <summary>
/// One letter of a dossier as HTML or PDF, as the letters API serves it (<see cref="DossierLetters"/>): the stored
/// rendering once composed, before that the rendering the dispatcher will send (from the notice's snapshot). A
/// municipality opening it records <c>letter.opened</c> once per notice and user (idempotency key).
/// </summary>
public sealed class LetterModel(DossierQueries queries, DossierLetters dossierLetters) : UiPageModel
{
    public Guid DossierId { get; private set; }

    public NoticeRecord Notice { get; private set; } = null!;

    public LetterHtml Letter { get; private set; } = null!;

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

        var pdf = await dossierLetters.PdfAsync(Scope, id, noticeId, ct);
        return pdf is null ? NotFound() : File(pdf.Bytes, "application/pdf", pdf.FileName);
    }

    private async Task<bool> LoadAsync(Guid id, Guid noticeId, CancellationToken ct)
    {
        var notices = await queries.NoticesAsync(Scope, id, ct);
        var notice = notices?.FirstOrDefault(n => n.Id == noticeId);
        if (notice is null)
        {
            return false;
        }

        if (await dossierLetters.HtmlAsync(Scope, id, noticeId, ct) is not { } letter)
        {
            return false;
        }

        DossierId = id;
        Notice = notice;
        Letter = letter;
        return true;
    }
}
