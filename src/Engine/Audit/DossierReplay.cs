using System.Text.Json.Nodes;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Workflows.Expressions;

namespace SubsidyEngine.Engine.Audit;

/// <summary>
/// The incremental replay of one dossier: apply its events in chain order, then check the stored projection.
/// Pure (no database); used by <see cref="Replayer"/> and <see cref="TimeTravel"/>.
/// </summary>
public sealed class DossierReplay(Guid dossierId, WorkflowCatalog catalog)
{
    private static readonly System.Globalization.CultureInfo Inv = System.Globalization.CultureInfo.InvariantCulture;
    private readonly List<Divergence> _divergences = [];
    private JournalEvent? _last;
    private IReadOnlyDictionary<string, int> _recordedTemplates = new Dictionary<string, int>();
    private Func<string, int>? _templateVersion;

    public Guid DossierId => dossierId;

    public string State { get; private set; } = string.Empty;

    public JsonObject Data { get; private set; } = new();

    /// <summary>The chain head so far.</summary>
    public string HeadHash { get; private set; } = JournalEvent.GenesisHash;

    /// <summary>The dossier_seq of the last event applied.</summary>
    public int Version { get; private set; }

    public string WorkflowId { get; private set; } = string.Empty;

    public int WorkflowVersion { get; private set; }

    public int Events { get; private set; }

    public IReadOnlyList<Divergence> Divergences => _divergences;

    /// <summary>The effects summary recomputed for the last event (null for records and on errors).</summary>
    public JsonObject? LastEffects { get; private set; }

    public void Apply(JournalEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        Events++;
        LastEffects = null;
        void Diverge(string field, string expected, string found) => AddDivergence(e, field, expected, found);

        if (e.DossierId != dossierId)
        {
            Diverge("dossier_id", dossierId.ToString("D"), e.DossierId.ToString("D"));
        }

        if (e.DossierSeq != Version + 1)
        {
            Diverge("dossier_seq", (Version + 1).ToString(Inv), e.DossierSeq.ToString(Inv));
        }

        if (e.PrevHash != HeadHash)
        {
            Diverge("prev_hash", HeadHash, e.PrevHash);
        }

        if (!e.HashMatches())
        {
            Diverge("hash", e.ComputeHash(), e.Hash);
        }

        Workflows.Compilation.CompiledWorkflow? wf = null;
        try
        {
            wf = catalog.Get(e.DefinitionId, e.DefinitionVersion);
            if (wf.Definition.ContentHash != e.DefinitionHash)
            {
                Diverge("definition_hash", wf.Definition.ContentHash, e.DefinitionHash);
            }
        }
        catch (WorkflowNotFoundException)
        {
            Diverge("definition", "a known definition", $"{e.DefinitionId}@v{e.DefinitionVersion}");
        }

        if (e.FromState != State)
        {
            Diverge("from_state", State, e.FromState);
        }

        JsonObject args;
        try
        {
            args = CanonicalJson.ParseObject(e.Arguments);
        }
        catch (System.Text.Json.JsonException)
        {
            Diverge("arguments", "a JSON object", e.Arguments);
            args = new JsonObject();
        }

        JsonObject? inputs = null;
        if (e.Format == JournalEvent.FormatTag && e.Inputs != "{}")
        {
            Diverge("inputs", "{} (an sej1 event has no inputs)", e.Inputs);
        }
        else if (e.Inputs != "{}")
        {
            try
            {
                inputs = CanonicalJson.ParseObject(e.Inputs);
            }
            catch (System.Text.Json.JsonException)
            {
                Diverge("inputs", "a JSON object", e.Inputs);
            }
        }

        _recordedTemplates = RecordedEffects.TemplateVersionsOf(e.Effects);
        var templateVersion = _templateVersion ??= RecordedOrLatestTemplateVersion;
        var deadlineRules = RecordedEffects.DeadlineRulesOf(e.Effects);
        var actor = RuntimeDecider.RecordedActor(e.Actor, e.ActorRole, inputs);

        if (wf is not null)
        {
            try
            {
                EffectOutcome? outcome = null;
                string to;
                switch (e.Kind)
                {
                    case "created":
                        to = wf.Definition.Initial;
                        outcome = RuntimeDecider.Create(wf, dossierId, args, actor, e.OccurredAt, inputs, templateVersion, deadlineRules).Outcome;
                        break;

                    case "transition":
                    {
                        // The same decision as the live fire, on the journaled inputs (runtime 2) instead of a database.
                        var decision = RuntimeDecider.Decide(RuntimeDecider.Plan(wf, dossierId, State, Data, e.Trigger, args, actor, e.OccurredAt), Data, args, actor, e.OccurredAt, inputs);
                        to = decision.ToState;
                        outcome = RuntimeDecider.Effects(decision, catalog.Rules, dossierId, e.DossierSeq, templateVersion, deadlineRules);
                        break;
                    }

                    case "migrated":
                        outcome = DefinitionMigrator.Outcome(catalog, args, State, Data, e.OccurredAt, actor, dossierId, e.DossierSeq, templateVersion, out to, deadlineRules);
                        break;

                    default:
                        // Records such as notice.sent change neither state nor data; their effects are empty.
                        to = State;
                        if (e.Effects != "{}")
                        {
                            Diverge("effects", "{}", e.Effects);
                        }

                        break;
                }

                if (to != e.ToState)
                {
                    Diverge("to_state", to, e.ToState);
                }

                if (outcome is not null)
                {
                    if (!CanonicalJson.Matches(outcome.Summary, e.Effects))
                    {
                        Diverge("effects", CanonicalJson.Serialize(outcome.Summary), e.Effects);
                    }

                    Data = outcome.Data;
                    LastEffects = outcome.Summary;
                }
            }
            catch (WorkflowException ex)
            {
                Diverge("trigger", $"'{e.Trigger}' permitted from '{State}'", ex.Message);
            }
#pragma warning disable CA1031 // A tampered event may make a rule or effect throw anything: report it, keep replaying.
            catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
            {
                Diverge("replay", "a successful re-execution", $"{ex.GetType().Name}: {ex.Message}");
            }
        }

        State = e.ToState;
        HeadHash = e.Hash;
        Version = e.DossierSeq;
        WorkflowId = e.DefinitionId;
        WorkflowVersion = e.DefinitionVersion;
        _last = e;
    }

    // Apply's local Diverge forwards here; the template-version delegate below is created once per dossier instead of
    // a capturing closure per event.
    private void AddDivergence(JournalEvent e, string field, string expected, string found) =>
        _divergences.Add(new Divergence(dossierId, e.DossierSeq, e.Seq, field, expected, found));

    /// <summary>The template version the event's recorded effects name, else the latest (one delegate per dossier).</summary>
    private int RecordedOrLatestTemplateVersion(string id) => _recordedTemplates.TryGetValue(id, out var v) ? v : catalog.Templates.LatestVersion(id);

    /// <summary>Compares the stored projection (null: none) with the replayed one.</summary>
    public void CheckProjection(DossierSnapshot? stored)
    {
        var last = _last;
        void Projection(string field, string expected, string found) =>
            _divergences.Add(new Divergence(dossierId, last?.DossierSeq ?? 0, last?.Seq ?? 0, "projection." + field, expected, found));

        if (stored is null)
        {
            _divergences.Add(new Divergence(dossierId, Version, 0, "projection", "a dossier row", "none"));
            return;
        }

        if (last is null)
        {
            Projection("journal", "the dossier's events", "none");
        }

        if (stored.State != State)
        {
            Projection("state", State, stored.State);
        }

        if (stored.Version != Version)
        {
            Projection("version", Version.ToString(Inv), stored.Version.ToString(Inv));
        }

        if (stored.HeadHash != HeadHash)
        {
            Projection("head_hash", HeadHash, stored.HeadHash);
        }

        if (last is not null && stored.WorkflowVersion != WorkflowVersion)
        {
            Projection("workflow_version", WorkflowVersion.ToString(Inv), stored.WorkflowVersion.ToString(Inv));
        }

        var expectedData = CanonicalJson.Serialize(Data);
        var foundData = CanonicalJson.Serialize(stored.Data);
        if (expectedData != foundData)
        {
            Projection("data", expectedData, foundData);
        }
    }

    public ReplayReport Report() => new(dossierId, Events, _divergences.ToList(), State, Data) { WorkflowVersion = WorkflowVersion };
}
