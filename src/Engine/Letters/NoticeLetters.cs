using System.Collections.Concurrent;
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
    /// <summary>Dossiers whose replay is kept between renderings (see <see cref="RenderAsync"/>).</summary>
    private const int KeptReplays = 256;

    private readonly ConcurrentDictionary<Guid, KeptReplay> _replays = new();

    /// <summary>
    /// Renders the letter caused by event <paramref name="dossierSeq"/> of <paramref name="dossierId"/>. The
    /// dossier's replay is kept afterwards (for a few hundred dossiers), so the next letter of the same dossier only
    /// reads and applies the events since: a busy dossier's letters cost one replay of its journal in all instead of
    /// one each (the cost grew with the square of the journal). Applying the same events in the same order from the
    /// same start gives the same data, so the letter is the same as from a fresh replay. A replay that met a
    /// divergence is not kept, and a letter of an earlier event than the kept one starts afresh.
    /// </summary>
    public async Task<RenderedLetter> RenderAsync(Guid dossierId, int dossierSeq, string templateId, int templateVersion, ReminderInfo? reminder = null, CancellationToken cancellationToken = default)
    {
        // Taken out while in use, so two renderings of one dossier at once never share a replay.
        if (!_replays.TryRemove(dossierId, out var kept) || kept.Replay.Version > dossierSeq || kept.Replay.Divergences.Count > 0)
        {
            kept = new KeptReplay(new DossierReplay(dossierId, catalog), default);
        }

        var events = await journal.ForDossierAsync(dossierId, kept.Replay.Version, dossierSeq, cancellationToken);
        if (kept.Replay.Version == 0 && events.Count == 0)
        {
            throw new DossierNotFoundException(dossierId);
        }

        foreach (var e in events)
        {
            kept.Replay.Apply(e);
        }

        var at = events.Count > 0 ? events[^1].OccurredAt : kept.At;
        var model = models.Build(templateId, new LetterContext(dossierId, kept.Replay.Data ?? [], at, reminder, templateVersion));
        var letter = renderer.Render(templateId, templateVersion, model);
        if (kept.Replay.Divergences.Count == 0)
        {
            if (_replays.Count >= KeptReplays)
            {
                _replays.Clear(); // bounded: the busy dossiers come back at their next letter
            }

            _replays[dossierId] = kept with { At = at };
        }

        return letter;
    }

    private sealed record KeptReplay(DossierReplay Replay, DateTimeOffset At);

    /// <summary>The same rendering from a dossier's events already read (ordered by <c>dossier_seq</c>).</summary>
    public RenderedLetter Render(Guid dossierId, IReadOnlyList<JournalEvent> events, int dossierSeq, string templateId, int templateVersion, ReminderInfo? reminder = null)
    {
        var upTo = events.Where(e => e.DossierSeq <= dossierSeq).ToList();
        if (upTo.Count == 0)
        {
            throw new DossierNotFoundException(dossierId);
        }

        var replay = Replayer.Replay(dossierId, upTo, null, catalog);
        var model = models.Build(templateId, new LetterContext(dossierId, replay.Data ?? [], upTo[^1].OccurredAt, reminder, templateVersion));
        return renderer.Render(templateId, templateVersion, model);
    }
}
