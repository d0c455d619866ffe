using System.Text.Json.Nodes;
using SubsidyEngine.Engine.Audit;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Templates;

namespace SubsidyEngine.Engine.Letters;

/// <summary>
/// Renders the letter of a notice, from one of two sources that give the same bytes:
/// <list type="bullet">
/// <item>the notice's snapshot (<see cref="Render(Guid, JsonObject, DateTimeOffset, string, int, ReminderInfo?)"/>):
/// the dossier data its cause's transaction wrote with the notice (migration 0030). The dispatcher sends this, and
/// the preview of a letter not composed yet shows it: both go through <see cref="RenderAsync(Notices.NoticeToCompose, CancellationToken)"/>.</item>
/// <item>the journal alone (<see cref="RenderAsync(Guid, int, string, int, ReminderInfo?, CancellationToken)"/>,
/// <see cref="Render(Guid, IReadOnlyList{JournalEvent}, int, int, string, int, ReminderInfo?)"/>): the data is
/// rebuilt by replaying the dossier's events up to the snapshot's event. The audit's check
/// (<see cref="LetterVerifier"/>) and notices written before the snapshot existed use this.</item>
/// </list>
/// Either way the model is built from the data and the time of the causing event, and the template version the
/// notice names renders it. Rendering the same notice again, on any machine, gives the same HTML hash.
/// </summary>
public sealed class NoticeLetters(JournalStore journal, WorkflowCatalog catalog, LetterModelBuilder models, LetterRenderer renderer)
{
    /// <summary>
    /// Renders the letter of <paramref name="notice"/> as it is sent: from the notice's snapshot (its reminder's stage
    /// and deadline included), or from the journal for a notice written before the snapshot existed. The one rendering
    /// of the dispatcher's composer (<see cref="TemplateNoticeComposer"/>) and of the preview of a letter not composed
    /// yet (<see cref="DossierLetters"/>), so the preview shows the bytes that will be sent.
    /// </summary>
    public Task<RenderedLetter> RenderAsync(Notices.NoticeToCompose notice, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(notice);
        var reminder = TemplateNoticeComposer.ReminderFor(notice);
        return notice.Snapshot is { } snapshot
            ? Task.FromResult(Render(notice.DossierId, notice.DossierData, snapshot.CausedAt, notice.TemplateId, notice.TemplateVersion, reminder))
            : RenderAsync(notice.DossierId, notice.DossierSeq, notice.TemplateId, notice.TemplateVersion, reminder, cancellationToken);
    }

    /// <summary>
    /// Renders the letter from a notice's snapshot: <paramref name="data"/> as the causing event (at
    /// <paramref name="causedAt"/>) left it. No database access.
    /// </summary>
    public RenderedLetter Render(Guid dossierId, JsonObject data, DateTimeOffset causedAt, string templateId, int templateVersion, ReminderInfo? reminder = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        var model = models.Build(templateId, new LetterContext(dossierId, data, causedAt, reminder, templateVersion));
        return renderer.Render(templateId, templateVersion, model);
    }

    /// <summary>
    /// Renders the letter caused by event <paramref name="dossierSeq"/> of <paramref name="dossierId"/> from the
    /// journal: the dossier's events up to it are read and replayed.
    /// </summary>
    public async Task<RenderedLetter> RenderAsync(Guid dossierId, int dossierSeq, string templateId, int templateVersion, ReminderInfo? reminder = null, CancellationToken cancellationToken = default)
    {
        var events = await journal.ForDossierAsync(dossierId, 0, dossierSeq, cancellationToken);
        return Render(dossierId, events, dossierSeq, dossierSeq, templateId, templateVersion, reminder);
    }

    /// <summary>The same rendering from a dossier's events already read (ordered by <c>dossier_seq</c>), the data as of the causing event.</summary>
    public RenderedLetter Render(Guid dossierId, IReadOnlyList<JournalEvent> events, int dossierSeq, string templateId, int templateVersion, ReminderInfo? reminder = null) =>
        Render(dossierId, events, dossierSeq, dossierSeq, templateId, templateVersion, reminder);

    /// <summary>
    /// The rendering of a notice whose snapshot is as of event <paramref name="dataSeq"/> (a reminder's: the dossier's
    /// version at the sweep) while its cause is event <paramref name="dossierSeq"/>: the data is replayed up to
    /// <paramref name="dataSeq"/>, the letter is dated from the causing event.
    /// </summary>
    public RenderedLetter Render(Guid dossierId, IReadOnlyList<JournalEvent> events, int dossierSeq, int dataSeq, string templateId, int templateVersion, ReminderInfo? reminder = null)
    {
        ArgumentNullException.ThrowIfNull(events);
        var upTo = events.Where(e => e.DossierSeq <= dataSeq).ToList();
        var cause = events.FirstOrDefault(e => e.DossierSeq == dossierSeq);
        if (upTo.Count == 0 || cause is null)
        {
            throw new DossierNotFoundException(dossierId);
        }

        var replay = Replayer.Replay(dossierId, upTo, null, catalog);
        return Render(dossierId, replay.Data ?? [], cause.OccurredAt, templateId, templateVersion, reminder);
    }
}
