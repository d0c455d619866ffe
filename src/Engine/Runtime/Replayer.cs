using System.Text.Json.Nodes;
using Npgsql;
using SubsidyEngine.Workflows.Expressions;

namespace SubsidyEngine.Engine.Runtime;

/// <summary>Where a replay found the record and the recomputation to differ.</summary>
public sealed record Divergence(Guid DossierId, int DossierSeq, long Seq, string Field, string Expected, string Found)
{
    public override string ToString() => $"dossier {DossierId} event {DossierSeq} (seq {Seq}): {Field}: expected {Expected}, found {Found}";
}

/// <summary>The replay of one dossier: how many events, and every divergence (the first one first).</summary>
public sealed record ReplayReport(Guid DossierId, int Events, IReadOnlyList<Divergence> Divergences, string? State, JsonObject? Data)
{
    public bool Ok => Divergences.Count == 0;

    public Divergence? First => Divergences.Count > 0 ? Divergences[0] : null;
}

/// <summary>Totals of a replay over many dossiers.</summary>
public sealed record ReplaySummary(int Dossiers, long Events, int DivergentDossiers, IReadOnlyList<ReplayReport> Failures)
{
    public string OneLine => $"replayed {Dossiers} dossiers, {Events} events, {DivergentDossiers} divergences";
}

/// <summary>
/// Re-fires a dossier's journal on its pinned definitions (and through recorded migrations), verifying the hash
/// chain, every recorded effect and the stored projection. The journal is the truth: anything else that
/// disagrees with it is reported.
/// </summary>
public sealed class Replayer(NpgsqlDataSource dataSource, WorkflowCatalog catalog, JournalStore journal)
{
    public async Task<ReplayReport> ReplayAsync(Guid dossierId, CancellationToken cancellationToken = default)
    {
        var events = await journal.ForDossierAsync(dossierId, cancellationToken);
        DossierSnapshot? stored;
        await using (var cmd = dataSource.CreateCommand("SELECT id, workflow_id, workflow_version, state, version, data::text, head_hash, created_at, updated_at FROM dossier WHERE id = $1"))
        {
            cmd.Parameters.AddWithValue(dossierId);
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
            stored = await reader.ReadAsync(cancellationToken) ? WorkflowRuntime.ReadSnapshot(reader) : null;
        }

        if (stored is null && events.Count == 0)
        {
            throw new DossierNotFoundException(dossierId);
        }

        return Replay(dossierId, events, stored, catalog);
    }

    /// <summary>Replays every dossier; <paramref name="progress"/> is told after each one.</summary>
    public async Task<ReplaySummary> ReplayAllAsync(IProgress<(int Done, int Total)>? progress = null, CancellationToken cancellationToken = default)
    {
        var ids = new List<Guid>();
        await using (var cmd = dataSource.CreateCommand("SELECT id FROM dossier UNION SELECT DISTINCT dossier_id FROM journal ORDER BY 1"))
        await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                ids.Add(reader.GetGuid(0));
            }
        }

        var failures = new List<ReplayReport>();
        long events = 0;
        for (var i = 0; i < ids.Count; i++)
        {
            var report = await ReplayAsync(ids[i], cancellationToken);
            events += report.Events;
            if (!report.Ok)
            {
                failures.Add(report);
            }

            progress?.Report((i + 1, ids.Count));
        }

        return new ReplaySummary(ids.Count, events, failures.Count, failures);
    }

    /// <summary>Pure replay of a list of events against an optional stored projection.</summary>
    public static ReplayReport Replay(Guid dossierId, IReadOnlyList<JournalEvent> events, DossierSnapshot? stored, WorkflowCatalog catalog)
    {
        var divergences = new List<Divergence>();
        var state = string.Empty;
        var data = new JsonObject();
        var prevHash = JournalEvent.GenesisHash;
        var version = 0;
        var workflowVersion = 0;

        foreach (var e in events)
        {
            void Diverge(string field, string expected, string found) => divergences.Add(new Divergence(dossierId, e.DossierSeq, e.Seq, field, expected, found));

            if (e.DossierSeq != version + 1)
            {
                Diverge("dossier_seq", (version + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), e.DossierSeq.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            if (e.PrevHash != prevHash)
            {
                Diverge("prev_hash", prevHash, e.PrevHash);
            }

            var recomputed = e.ComputeHash();
            if (recomputed != e.Hash)
            {
                Diverge("hash", recomputed, e.Hash);
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

            if (e.FromState != state)
            {
                Diverge("from_state", state, e.FromState);
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

            var recorded = RecordedTemplateVersions(e.Effects);
            int TemplateVersion(string id) => recorded.TryGetValue(id, out var v) ? v : catalog.Templates.LatestVersion(id);
            var actor = new Actor(e.Actor, e.ActorRole);

            if (wf is not null)
            {
                try
                {
                    EffectOutcome? outcome = null;
                    string to = e.ToState;
                    switch (e.Kind)
                    {
                        case "created":
                        {
                            to = wf.Definition.Initial;
                            var assign = args.ToDictionary(kv => kv.Key, kv => (JsonNode?)JsonValue.Create("args." + kv.Key), StringComparer.Ordinal);
                            outcome = TransitionEffects.Apply(catalog.Rules, assign, null, wf.Definition.Creation?.Effects ?? [], new RuleContext(new JsonObject(), args, e.OccurredAt, actor, to), to, dossierId, e.DossierSeq, TemplateVersion, null);
                            break;
                        }

                        case "transition":
                        {
                            var decision = WorkflowRuntime.Decide(wf, dossierId, state, data, e.Trigger, args, actor, e.OccurredAt);
                            to = decision.ToState;
                            outcome = TransitionEffects.Apply(catalog.Rules, decision.Transition.Assign, decision.Transition.Compute, decision.Transition.Effects, decision.Context.Rule, to, dossierId, e.DossierSeq, TemplateVersion, decision.Checks);
                            break;
                        }

                        case "migrated":
                            outcome = DefinitionMigrator.Outcome(catalog, args, state, data, e.OccurredAt, actor, dossierId, e.DossierSeq, TemplateVersion, out to);
                            break;

                        default:
                            // Records such as notice.sent change neither state nor data; their effects are empty.
                            to = state;
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
                        var effects = CanonicalJson.Serialize(outcome.Summary);
                        if (effects != e.Effects)
                        {
                            Diverge("effects", effects, e.Effects);
                        }

                        data = outcome.Data;
                    }
                }
                catch (WorkflowException ex)
                {
                    Diverge("trigger", $"'{e.Trigger}' permitted from '{state}'", ex.Message);
                }
            }

            state = e.ToState;
            prevHash = e.Hash;
            version = e.DossierSeq;
            workflowVersion = e.DefinitionVersion;
        }

        if (stored is not null)
        {
            var last = events.Count > 0 ? events[^1] : null;
            void Projection(string field, string expected, string found) =>
                divergences.Add(new Divergence(dossierId, last?.DossierSeq ?? 0, last?.Seq ?? 0, "projection." + field, expected, found));

            if (stored.State != state)
            {
                Projection("state", state, stored.State);
            }

            if (stored.Version != version)
            {
                Projection("version", version.ToString(System.Globalization.CultureInfo.InvariantCulture), stored.Version.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            if (stored.HeadHash != prevHash)
            {
                Projection("head_hash", prevHash, stored.HeadHash);
            }

            if (events.Count > 0 && stored.WorkflowVersion != workflowVersion)
            {
                Projection("workflow_version", workflowVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), stored.WorkflowVersion.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            var expectedData = CanonicalJson.Serialize(data);
            var foundData = CanonicalJson.Serialize(stored.Data);
            if (expectedData != foundData)
            {
                Projection("data", expectedData, foundData);
            }
        }
        else
        {
            divergences.Add(new Divergence(dossierId, version, 0, "projection", "a dossier row", "none"));
        }

        return new ReplayReport(dossierId, events.Count, divergences, state, data);
    }

    private static Dictionary<string, int> RecordedTemplateVersions(string effects)
    {
        var map = new Dictionary<string, int>(StringComparer.Ordinal);
        try
        {
            if (JsonNode.Parse(effects) is JsonObject o && o["notices"] is JsonArray notices)
            {
                foreach (var n in notices.OfType<JsonObject>())
                {
                    if (n["template"]?.GetValue<string>() is { } t && n["version"] is JsonValue v && v.TryGetValue<int>(out var ver))
                    {
                        map[t] = ver;
                    }
                }
            }
        }
        catch (System.Text.Json.JsonException)
        {
            // A tampered effects text is reported by the hash check.
        }

        return map;
    }
}
