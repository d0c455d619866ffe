using System.Text.Json.Nodes;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Engine.Runtime;

namespace SubsidyEngine.Engine.Audit;

/// <summary>A deadline as the journal knows it at a moment.</summary>
public sealed record DeadlineAsOf(Guid Id, string Kind, DateTimeOffset Due, string Rule, string? Timeout, string? BoundState, bool Remind, int SetBySeq);

/// <summary>A notice or letter the journal had caused by a moment, and the record events about it until then.</summary>
public sealed record NoticeAsOf(Guid Id, string Kind, string TemplateId, int TemplateVersion, int DossierSeq, DateTimeOffset CreatedAt, IReadOnlyList<string> Records)
{
    /// <summary>The same record events as <see cref="Records"/>, as data (the screens word them in their language and Belgian time).</summary>
    public IReadOnlyList<NoticeRecordAsOf> RecordEvents { get; init; } = [];
}

/// <summary>A record event about a notice (<c>notice.sent</c>, <c>letter.opened</c>, ...): its kind, when, and its journal step.</summary>
public sealed record NoticeRecordAsOf(string Kind, DateTimeOffset At, int DossierSeq);

/// <summary>A dossier as it was at <see cref="At"/>, computed from the journal alone.</summary>
public sealed record DossierAsOf(
    Guid DossierId,
    DateTimeOffset At,
    int Events,
    int Version,
    string State,
    string WorkflowId,
    int WorkflowVersion,
    JsonObject Data,
    string HeadHash,
    IReadOnlyList<DeadlineAsOf> OpenDeadlines,
    IReadOnlyList<NoticeAsOf> Notices,
    IReadOnlyList<Divergence> Divergences)
{
    public JsonObject ToJson() => new()
    {
        ["dossierId"] = DossierId.ToString("D"),
        ["at"] = JournalEvent.FormatTime(At),
        ["events"] = Events,
        ["version"] = Version,
        ["state"] = State,
        ["workflow"] = WorkflowId,
        ["workflowVersion"] = WorkflowVersion,
        ["headHash"] = HeadHash,
        ["data"] = Data.DeepClone(),
        ["openDeadlines"] = new JsonArray(OpenDeadlines.Select(d => (JsonNode)new JsonObject
        {
            ["id"] = d.Id.ToString("D"),
            ["kind"] = d.Kind,
            ["due"] = JournalEvent.FormatTime(d.Due),
            ["overdue"] = d.Due <= At,
            ["rule"] = d.Rule,
            ["timeout"] = d.Timeout,
            ["boundState"] = d.BoundState,
            ["remind"] = d.Remind,
            ["setByEvent"] = d.SetBySeq,
        }).ToArray()),
        ["notices"] = new JsonArray(Notices.Select(n => (JsonNode)new JsonObject
        {
            ["id"] = n.Id.ToString("D"),
            ["kind"] = n.Kind,
            ["template"] = n.TemplateId,
            ["templateVersion"] = n.TemplateVersion,
            ["event"] = n.DossierSeq,
            ["createdAt"] = JournalEvent.FormatTime(n.CreatedAt),
            ["records"] = new JsonArray(n.Records.Select(r => (JsonNode)JsonValue.Create(r)!).ToArray()),
        }).ToArray()),
        ["divergences"] = new JsonArray(Divergences.Select(d => (JsonNode)JsonValue.Create(d.ToString())!).ToArray()),
    };
}

/// <summary>
/// Time travel: what a dossier looked like at a moment, by pure replay of its journal events up to that moment
/// (state, workflow version, data with amounts, open deadlines, notices). Nothing but the journal is read: not the
/// projection, not the deadline or notice tables.
/// </summary>
public sealed class TimeTravel(WorkflowCatalog catalog, JournalStore journal)
{
    public async Task<DossierAsOf> AsOfAsync(Guid dossierId, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        var events = await journal.ForDossierAsync(dossierId, cancellationToken);
        if (events.Count == 0)
        {
            throw new DossierNotFoundException(dossierId);
        }

        return AsOf(dossierId, events, at, catalog);
    }

    /// <summary>Pure: the dossier after the events with <c>occurred_at &lt;= at</c> (in chain order).</summary>
    public static DossierAsOf AsOf(Guid dossierId, IEnumerable<JournalEvent> events, DateTimeOffset at, WorkflowCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(catalog);
        var replay = new DossierReplay(dossierId, catalog);
        var deadlines = new List<DeadlineAsOf>();
        var notices = new List<(NoticeAsOf Notice, List<string> Records, List<NoticeRecordAsOf> RecordEvents)>();
        foreach (var e in events)
        {
            if (e.OccurredAt > at)
            {
                break;
            }

            var stateBefore = replay.State;
            replay.Apply(e);
            var effects = TryParse(e.Effects);
            var args = TryParse(e.Arguments);

            // A timeout fire closes the deadline that fired it.
            if (args?["deadlineId"] is JsonValue firedId && Guid.TryParse(firedId.ToString(), out var fired))
            {
                deadlines.RemoveAll(d => d.Id == fired);
            }

            if (effects?["met"] is JsonArray met)
            {
                var kinds = met.Select(m => m?.ToString()).ToHashSet(StringComparer.Ordinal);
                deadlines.RemoveAll(d => kinds.Contains(d.Kind));
            }

            if (e.ToState != stateBefore && e.Kind != "created")
            {
                // Deadlines bound to a state the dossier leaves are cleared (the new state and its superstates keep theirs).
                var within = SelfAndAncestors(catalog, e.DefinitionId, e.DefinitionVersion, e.ToState);
                deadlines.RemoveAll(d => d.BoundState is not null && !within.Contains(d.BoundState));
            }

            if (effects?["deadlines"] is JsonArray set)
            {
                foreach (var d in set.OfType<JsonObject>())
                {
                    var kind = d["kind"]?.ToString() ?? string.Empty;
                    deadlines.RemoveAll(x => x.Kind == kind);
                    deadlines.Add(new DeadlineAsOf(
                        Guid.Parse(d["id"]!.ToString()), kind, DateTimeOffset.Parse(d["due"]!.ToString(), System.Globalization.CultureInfo.InvariantCulture),
                        d["rule"]?.ToString() ?? string.Empty, d["timeout"]?.ToString(), d["boundState"]?.ToString(),
                        d["remind"] is JsonValue r && r.TryGetValue<bool>(out var remind) && remind, e.DossierSeq));
                }
            }

            if (effects?["notices"] is JsonArray list)
            {
                foreach (var n in list.OfType<JsonObject>())
                {
                    var records = new List<string>();
                    var recordEvents = new List<NoticeRecordAsOf>();
                    notices.Add((new NoticeAsOf(
                        Guid.Parse(n["id"]!.ToString()), n["kind"]?.ToString() ?? string.Empty, n["template"]?.ToString() ?? string.Empty,
                        n["version"] is JsonValue v && v.TryGetValue<int>(out var ver) ? ver : 0, e.DossierSeq, e.OccurredAt, records) { RecordEvents = recordEvents }, records, recordEvents));
                }
            }

            // Record events about a notice (notice.sent, letter.opened, ...) name it in their arguments.
            if (e.Kind is not ("created" or "transition" or "migrated") && args is not null)
            {
                var text = e.Arguments;
                foreach (var (notice, records, recordEvents) in notices)
                {
                    if (text.Contains(notice.Id.ToString("D"), StringComparison.Ordinal))
                    {
                        records.Add($"{e.Kind} at {JournalEvent.FormatTime(e.OccurredAt)} (event {e.DossierSeq})");
                        recordEvents.Add(new NoticeRecordAsOf(e.Kind, e.OccurredAt, e.DossierSeq));
                    }
                }
            }
        }

        if (replay.Events == 0)
        {
            throw new DossierNotFoundException(dossierId);
        }

        return new DossierAsOf(
            dossierId, at, replay.Events, replay.Version, replay.State, replay.WorkflowId, replay.WorkflowVersion, replay.Data, replay.HeadHash,
            deadlines.OrderBy(d => d.Due).ToList(), notices.Select(n => n.Notice).ToList(), replay.Divergences);
    }

    private static JsonObject? TryParse(string text)
    {
        try
        {
            return CanonicalJson.Parse(text) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static HashSet<string> SelfAndAncestors(WorkflowCatalog catalog, string workflowId, int version, string state)
    {
        var set = new HashSet<string>(StringComparer.Ordinal) { state };
        try
        {
            set.UnionWith(catalog.Get(workflowId, version).Definition.SelfAndAncestors(state));
        }
        catch (WorkflowNotFoundException)
        {
            // Unknown definition: the replay reports it; keep only the state itself.
        }

        return set;
    }
}
