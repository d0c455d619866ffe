using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Templates;

namespace SubsidyEngine.Engine.Letters;

/// <summary>
/// Renders the letter of a notice from the journal alone: the dossier data is rebuilt by replaying the dossier's
/// events up to the event that caused the notice, the model is built from it, and the template version the
/// journal names renders it. Rendering the same notice again, on any machine, gives the same HTML hash.
/// </summary>
public sealed class NoticeLetters(JournalStore journal, WorkflowCatalog catalog, LetterModelBuilder models, LetterRenderer renderer)
{
    /// <summary>Renders the letter caused by event <paramref name="dossierSeq"/> of <paramref name="dossierId"/>.</summary>
    public async Task<RenderedLetter> RenderAsync(Guid dossierId, int dossierSeq, string templateId, int templateVersion, ReminderInfo? reminder = null, CancellationToken cancellationToken = default)
    {
        var events = await journal.ForDossierAsync(dossierId, dossierSeq, cancellationToken);
        return Render(dossierId, events, dossierSeq, templateId, templateVersion, reminder);
    }

    /// <summary>The same rendering from a dossier's events already read (ordered by <c>dossier_seq</c>).</summary>
    public RenderedLetter Render(Guid dossierId, IReadOnlyList<JournalEvent> events, int dossierSeq, string templateId, int templateVersion, ReminderInfo? reminder = null)
    {
        var upTo = events.Where(e => e.DossierSeq <= dossierSeq).ToList();
        if (upTo.Count == 0)
        {
            throw new DossierNotFoundException(dossierId);
        }

        var replay = Replayer.Replay(dossierId, upTo, null, catalog);
        var model = models.Build(templateId, new LetterContext(dossierId, replay.Data ?? [], upTo[^1].OccurredAt, reminder));
        return renderer.Render(templateId, templateVersion, model);
    }
}
