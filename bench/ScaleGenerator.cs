using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Npgsql;
using NpgsqlTypes;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Engine.Runtime;

namespace SubsidyEngine.Bench;

/// <summary>
/// Fills a database with copies of real programme runs (<see cref="Template"/>: dossiers, journal, deadlines, notices,
/// letters, as the real runtime and the real dispatcher wrote them during a <c>ProgrammeSimulation</c>). Each copy
/// ("instance") gets new dossier ids; everything that names a dossier, a notice or a deadline (arguments, effects,
/// data, letters, dedupe keys, Message-IDs) is rewritten to the new ids, the ids derived from a dossier
/// (<see cref="TransitionEffects.DeterministicId"/>) are derived again from the new dossier id, and every event is
/// hashed again through the runtime's own canonical form (<see cref="JournalEvent.WithHash"/>), so every chain is
/// valid and replay re-fires every copied event on the real definitions. Letters are rewritten the same way and their
/// HTML hashed again; the <c>notice.sent</c> records name the new hashes. Letter PDFs are not copied (see
/// docs/benchmarks.md, scale). The global <c>seq</c> follows time: the instances advance in lockstep through the
/// merged timeline of the templates, so every checkpoint cut is a time cut as in production.
/// Every copy also gets its own calls: a call file per call of the programme with the copy's own call id (written
/// next to the programme's own call files in a generated workflows folder the scale service and replay read), and
/// every place where a template names a call (the call id in data, arguments and inputs, the references built from
/// it, the creation's unique keys, the call file's SHA-256 in the call snapshot, the letters' text) names the copy's.
/// Copies of a programme therefore never share an allocation, a unique key or an export.
/// </summary>
public sealed partial class ScaleGenerator
{
    /// <summary>A text with the places where an id or a hash of the template stands.</summary>
    internal sealed record Text(string[] Literals, Slot[] Slots)
    {
        public static readonly Text Empty = new([string.Empty], []);
    }

    /// <summary>What stands at one place: a dossier id, an id derived from one, an event hash or a letter hash.</summary>
    internal readonly record struct Slot(SlotKind Kind, int Index, bool Compact);

    internal enum SlotKind
    {
        Dossier,
        Derived,
        EventHash,
        LetterHash,
        CallId,
        CallSha,
        AllocationHash,
    }

    /// <summary>A call file of the templates' programme: its id, the SHA-256 of its bytes (the call snapshot's <c>dataSha256</c>) and the bytes.</summary>
    public sealed record CallFile(string Id, string Sha256, byte[] Bytes, Engine.Programmes.Model.Call Call);

    /// <summary>
    /// A call's allocation in a template (the <c>confirm-allocation</c> event): its <c>inputsSha256</c> is a hash
    /// over the applications' ids, so each copy's is computed again from the copy's own inputs.
    /// </summary>
    internal sealed record Allocation(int Event, int Call);

    internal sealed record Derived(int Dossier, int DossierSeq, string Purpose, int Index);

    /// <summary>One template: a programme run read back from its database.</summary>
    public sealed class Template
    {
        public required string Name { get; init; }

        /// <summary>The programme's call files the template run read (every copy gets its own of each).</summary>
        public required IReadOnlyList<CallFile> Calls { get; init; }

        internal List<Guid> DossierIds { get; } = [];

        internal List<Derived> DerivedIds { get; } = [];

        internal List<(JournalEvent Event, int Dossier, Text Arguments, Text Effects, Text Inputs)> Events { get; } = [];

        internal List<(int Dossier, string WorkflowId, int WorkflowVersion, string State, int Version, Text Data, int HeadEvent, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)> Dossiers { get; } = [];

        internal List<object?[]> Deadlines { get; } = [];

        internal List<object?[]> UniqueKeys { get; } = [];

        internal List<Allocation> Allocations { get; } = [];

        /// <summary>Template event index to its allocation (index into <see cref="Allocations"/>).</summary>
        internal Dictionary<int, int> AllocationOf { get; } = [];

        internal List<object?[]> Notices { get; } = [];

        internal List<object?[]> Letters { get; } = [];

        public int DossierCount => DossierIds.Count;

        public int EventCount => Events.Count;

        public int NoticeCount => Notices.Count;

        public int LetterCount => Letters.Count;

        public long LetterBytes { get; internal set; }
    }

    private const string DeadlineColumns = "id, dossier_id, kind, due_at, rule, timeout_trigger, bound_state, set_by_seq, status, closed_at, closed_by_seq, remind";
    private const string NoticeColumns = "id, dossier_id, journal_seq, dossier_seq, kind, template_id, template_version, dedupe_key, status, attempts, next_attempt_at, last_error, created_at, sent_at, last_attempt_at, message_id, transport, server_reply, failed_at, outcome_journal_seq";
    private const string UniqueColumns = "key, dossier_id";
    private const string LetterColumns = "notice_id, template_id, template_version, to_recipients, cc_recipients, subject, html, text_body, html_sha256, pdf, pdf_file_name, rendered_at";

    [GeneratedRegex("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{64}|[0-9a-f]{32}", RegexOptions.CultureInvariant)]
    private static partial Regex Token();

    /// <summary>
    /// The places where a call id of <paramref name="calls"/> stands: a whole JSON string (<c>"2023"</c>: the call
    /// snapshot's id, the <c>call</c> argument), a reference (<c>PS-2023</c>, <c>PS-2023-71016</c>:
    /// <see cref="Engine.Programmes.ProgrammeGuards.Reference"/>) and a unique key (<c>workflow|2023|71016</c>).
    /// </summary>
    private static Regex CallToken(IReadOnlyList<CallFile> calls, string programme)
    {
        var ids = string.Join('|', calls.Select(c => Regex.Escape(c.Id)));
        var initials = string.Concat(programme.Split('-', StringSplitOptions.RemoveEmptyEntries).Select(w => char.ToUpperInvariant(w[0])));
        const string end = "(?![0-9A-Za-z]|[.-][0-9A-Za-z])";
        return new Regex(
            $"(?<=\")(?:{ids})(?=\")" +
            $"|(?<=\\b{Regex.Escape(initials)}-)(?:{ids})(?![0-9A-Za-z]|\\.[0-9A-Za-z])" +
            $"|(?<=\\|)(?:{ids})(?=\\||$)" +
            $"|(?<=\\b(?:call|oproep|Call|Oproep) )(?:{ids}){end}",
            RegexOptions.CultureInvariant);
    }

    /// <summary>Reads a programme run: every dossier, event, deadline, notice and letter of <paramref name="source"/>.</summary>
    public static async Task<Template> ReadTemplateAsync(NpgsqlDataSource source, string name, string programme, IReadOnlyList<CallFile> calls)
    {
        var t = new Template { Name = name, Calls = calls };
        var callToken = CallToken(calls, programme);
        var callIndex = calls.Select((c, i) => (c.Id, i)).ToDictionary(x => x.Id, x => x.i, StringComparer.Ordinal);
        var dossierIndex = new Dictionary<Guid, int>();
        var events = new List<JournalEvent>();
        await using (var cmd = source.CreateCommand($"SELECT {JournalStore.Columns} FROM journal ORDER BY seq"))
        await using (var r = await cmd.ExecuteReaderAsync())
        {
            while (await r.ReadAsync())
            {
                events.Add(JournalStore.Read(r));
            }
        }

        foreach (var e in events)
        {
            if (!dossierIndex.ContainsKey(e.DossierId))
            {
                dossierIndex[e.DossierId] = t.DossierIds.Count;
                t.DossierIds.Add(e.DossierId);
            }
        }

        // Every id the runtime derives from an event (notices, deadlines), and every hash that may be quoted.
        var lookup = new Dictionary<string, Slot>(StringComparer.Ordinal);
        foreach (var (id, i) in t.DossierIds.Select((id, i) => (id, i)))
        {
            lookup[id.ToString("D")] = new Slot(SlotKind.Dossier, i, false);
            lookup[id.ToString("N")] = new Slot(SlotKind.Dossier, i, true);
        }

        foreach (var e in events)
        {
            foreach (var purpose in new[] { "notice", "deadline" })
            {
                for (var k = 0; k < 16; k++)
                {
                    var derived = TransitionEffects.DeterministicId(e.DossierId, e.DossierSeq, purpose, k);
                    var slot = t.DerivedIds.Count;
                    t.DerivedIds.Add(new Derived(dossierIndex[e.DossierId], e.DossierSeq, purpose, k));
                    lookup[derived.ToString("D")] = new Slot(SlotKind.Derived, slot, false);
                    lookup[derived.ToString("N")] = new Slot(SlotKind.Derived, slot, true);
                }
            }
        }

        foreach (var (call, i) in calls.Select((c, i) => (c, i)))
        {
            lookup[call.Sha256] = new Slot(SlotKind.CallSha, i, false);
        }

        // The allocations of the template's calls: their inputs hash is derived from the applications' ids.
        var callOfDossier = new Dictionary<Guid, string>();
        await using (var cmd = source.CreateCommand("SELECT id, data #>> '{call,id}' FROM dossier WHERE data #>> '{call,id}' IS NOT NULL"))
        await using (var r = await cmd.ExecuteReaderAsync())
        {
            while (await r.ReadAsync())
            {
                callOfDossier[r.GetGuid(0)] = r.GetString(1);
            }
        }

        for (var i = 0; i < events.Count; i++)
        {
            if (events[i].Trigger == "confirm-allocation" && JsonNode.Parse(events[i].Effects)?["computed"]?["allocation"]?["result"]?["inputsSha256"]?.GetValue<string>() is { } inputsSha)
            {
                t.AllocationOf[i] = t.Allocations.Count;
                lookup[inputsSha] = new Slot(SlotKind.AllocationHash, t.Allocations.Count, false);
                t.Allocations.Add(new Allocation(i, callIndex[callOfDossier[events[i].DossierId]]));
            }
        }

        var eventIndex = new Dictionary<long, int>();
        for (var i = 0; i < events.Count; i++)
        {
            lookup[events[i].Hash] = new Slot(SlotKind.EventHash, i, false);
            eventIndex[events[i].Seq] = i;
        }

        // Letters first: their HTML hashes are quoted by the notice.sent records.
        await using (var cmd = source.CreateCommand($"SELECT {LetterColumns} FROM letter ORDER BY notice_id"))
        await using (var r = await cmd.ExecuteReaderAsync())
        {
            while (await r.ReadAsync())
            {
                var row = new object?[r.FieldCount];
                for (var i = 0; i < r.FieldCount; i++)
                {
                    row[i] = r.IsDBNull(i) ? null : r.GetValue(i);
                }

                t.LetterBytes += Encoding.UTF8.GetByteCount((string)row[6]!) + Encoding.UTF8.GetByteCount((string)row[7]!) + (row[9] is byte[] pdf ? pdf.Length : 0);
                lookup[(string)row[8]!] = new Slot(SlotKind.LetterHash, t.Letters.Count, false);
                t.Letters.Add(row);
            }
        }

        Text Parse(string text)
        {
            var found = new List<(int Index, int Length, Slot Slot)>();
            foreach (Match m in Token().Matches(text))
            {
                if (lookup.TryGetValue(m.Value, out var slot))
                {
                    found.Add((m.Index, m.Length, slot));
                }
            }

            foreach (Match m in callToken.Matches(text))
            {
                found.Add((m.Index, m.Length, new Slot(SlotKind.CallId, callIndex[m.Value], false)));
            }

            var literals = new List<string>();
            var slots = new List<Slot>();
            var last = 0;
            foreach (var (index, length, slot) in found.OrderBy(f => f.Index))
            {
                if (index < last)
                {
                    continue; // inside a token already taken (a call id inside a hash cannot stand between quotes, but be safe)
                }

                literals.Add(text[last..index]);
                slots.Add(slot);
                last = index + length;
            }

            literals.Add(text[last..]);
            return new Text([.. literals], [.. slots]);
        }

        foreach (var e in events)
        {
            t.Events.Add((e, dossierIndex[e.DossierId], Parse(e.Arguments), Parse(e.Effects), Parse(e.Inputs)));
        }

        for (var i = 0; i < t.Letters.Count; i++)
        {
            var row = t.Letters[i];
            row[0] = Parse(((Guid)row[0]!).ToString("D"));
            foreach (var c in new[] { 3, 4, 5, 6, 7, 10 })
            {
                row[c] = row[c] is string s ? Parse(s) : row[c];
            }
        }

        await using (var cmd = source.CreateCommand(
            "SELECT id, workflow_id, workflow_version, state, version, data::text, head_hash, created_at, updated_at FROM dossier ORDER BY id"))
        await using (var r = await cmd.ExecuteReaderAsync())
        {
            while (await r.ReadAsync())
            {
                var id = r.GetGuid(0);
                var head = lookup[r.GetString(6)];
                t.Dossiers.Add((dossierIndex[id], r.GetString(1), r.GetInt32(2), r.GetString(3), r.GetInt32(4), Parse(r.GetString(5)), head.Index,
                    r.GetFieldValue<DateTimeOffset>(7), r.GetFieldValue<DateTimeOffset>(8)));
            }
        }

        async Task ReadRowsAsync(string table, string columns, List<object?[]> into, int[] seqColumns)
        {
            await using var cmd = source.CreateCommand($"SELECT {columns} FROM {table} ORDER BY 1");
            await using var r = await cmd.ExecuteReaderAsync();
            while (await r.ReadAsync())
            {
                var row = new object?[r.FieldCount];
                for (var i = 0; i < r.FieldCount; i++)
                {
                    row[i] = r.IsDBNull(i) ? null : r.GetValue(i) switch
                    {
                        Guid g => Parse(g.ToString("D")),
                        string s => Parse(s),
                        long l when seqColumns.Contains(i) => eventIndex[l], // the template event index; the copy's seq is looked up per instance
                        DateTime d => new DateTimeOffset(DateTime.SpecifyKind(d, DateTimeKind.Utc)),
                        var v => v,
                    };
                }

                into.Add(row);
            }
        }

        await ReadRowsAsync("deadline", DeadlineColumns, t.Deadlines, []);
        await ReadRowsAsync("dossier_unique", UniqueColumns, t.UniqueKeys, []);
        await ReadRowsAsync("notice", NoticeColumns, t.Notices, [2, 19]);
        return t;
    }

    /// <summary>The workflow definitions the templates used (copied once into the target).</summary>
    public static async Task CopyDefinitionsAsync(NpgsqlDataSource source, NpgsqlDataSource target)
    {
        await using var read = source.CreateCommand("SELECT workflow_id, version, content_hash, source_path, content, registered_at FROM workflow_definition");
        await using var r = await read.ExecuteReaderAsync();
        while (await r.ReadAsync())
        {
            await using var insert = target.CreateCommand(
                "INSERT INTO workflow_definition (workflow_id, version, content_hash, source_path, content, registered_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING");
            for (var i = 0; i < 6; i++)
            {
                insert.Parameters.Add(new NpgsqlParameter { Value = r.GetValue(i) });
            }

            await insert.ExecuteNonQueryAsync();
        }
    }

    /// <summary>What the generator wrote.</summary>
    public sealed record Generated(long Dossiers, long Events, long Deadlines, long Notices, long Letters, long LetterHtmlBytes, TimeSpan Elapsed, long LastSeq, int Calls, long UniqueKeys);

    /// <summary>One copy of a template: its new dossier ids, and the hashes of its events and letters as they are written.</summary>
    private sealed class Instance(Template template, Guid[] ids, string[] callIds)
    {
        public Template Template { get; } = template;

        public Guid[] Ids { get; } = ids;

        /// <summary>The copy's own id of each of the template's calls.</summary>
        public string[] CallIds { get; } = callIds;

        /// <summary>The SHA-256 of the copy's call files (set when they are written).</summary>
        public string[] CallShas { get; } = new string[template.Calls.Count];

        /// <summary>The <c>inputsSha256</c> of the copy's allocations (set when the allocation event is written).</summary>
        public string?[] AllocationHashes { get; } = new string?[template.Allocations.Count];

        public string[] EventHashes { get; } = new string[template.EventCount];

        public string?[] LetterHashes { get; } = new string?[template.LetterCount];

        public long[] EventSeqs { get; } = new long[template.EventCount];
    }

    /// <summary>
    /// Writes <paramref name="copies"/>[i] copies of <paramref name="templates"/>[i] into <paramref name="target"/> (a
    /// migrated, empty database) with binary COPY, as the cluster's superuser without the journal's triggers
    /// (<c>session_replication_role = replica</c>, docs/decisions/2026-12-07-journal-partitions.md): a bulk load that
    /// replay verifies afterwards. The copies' call files are written to <paramref name="callsFolder"/> (the
    /// <c>calls</c> folder of the templates' programme in the workflows folder the service then reads): copy
    /// <c>n</c> (1-based, over all templates) of call <c>2023</c> is call <c>2023-k&lt;n&gt;</c>.
    /// </summary>
    public static async Task<Generated> GenerateAsync(NpgsqlDataSource target, IReadOnlyList<Template> templates, IReadOnlyList<int> copies, string callsFolder, IProgress<string>? progress = null)
    {
        var watch = Stopwatch.StartNew();
        var instances = new List<Instance>();
        for (var t = 0; t < templates.Count; t++)
        {
            for (var k = 0; k < copies[t]; k++)
            {
                var ids = templates[t].DossierIds.Select(_ => Guid.CreateVersion7()).ToArray();
                var n = instances.Count + 1;
                instances.Add(new Instance(templates[t], ids, templates[t].Calls.Select(c => CopyCallId(c.Id, n)).ToArray()));
            }
        }

        var calls = await WriteCallFilesAsync(callsFolder, instances);
        progress?.Report($"call files: {calls:N0} in {callsFolder} after {watch.Elapsed.TotalSeconds:F0} s");

        // The merged timeline: every template event once, in time order; each is then written for all copies of its template.
        var timeline = templates.SelectMany((t, ti) => t.Events.Select((e, ei) => (Template: ti, Event: ei, e.Event.OccurredAt, e.Event.Seq)))
            .OrderBy(x => x.OccurredAt).ThenBy(x => x.Template).ThenBy(x => x.Seq).ToList();
        var byTemplate = instances.GroupBy(i => i.Template).ToDictionary(g => g.Key, g => g.ToArray());

        await using var conn = await target.OpenConnectionAsync();
        await using (var bulk = new NpgsqlCommand("SET session_replication_role = replica", conn))
        {
            await bulk.ExecuteNonQueryAsync();
        }

        long seq = 0, letters = 0, letterBytes = 0;
        var lettersRows = new List<(Instance Instance, int Letter)>();
        await using (var journal = await conn.BeginBinaryImportAsync(
            "COPY journal (seq, dossier_id, dossier_seq, occurred_at, actor, actor_role, kind, trigger, from_state, to_state, definition_id, definition_version, definition_hash, arguments, effects, prev_hash, hash, recorded_at, format, inputs) FROM STDIN (FORMAT BINARY)"))
        {
            var batch = new JournalEvent[0];
            var lastReport = Stopwatch.StartNew();
            for (var step = 0; step < timeline.Count; step++)
            {
                var (ti, ei, _, _) = timeline[step];
                var template = templates[ti];
                var copiesOf = byTemplate[template];
                var (source, dossier, argumentsText, effectsText, inputsText) = template.Events[ei];
                if (batch.Length < copiesOf.Length)
                {
                    batch = new JournalEvent[copiesOf.Length];
                }

                // The previous event of the same dossier in the template (its copy's hash is the new prev_hash).
                var prevIndex = PreviousOf(template, ei);
                Parallel.For(0, copiesOf.Length, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, k =>
                {
                    var inst = copiesOf[k];
                    // A notice.sent record quotes its letter's hash: the copy's letter is rendered (and hashed) first.
                    foreach (var slot in argumentsText.Slots)
                    {
                        if (slot.Kind == SlotKind.LetterHash && inst.LetterHashes[slot.Index] is null)
                        {
                            inst.LetterHashes[slot.Index] = Sha256Hex(Render((Text)template.Letters[slot.Index][6]!, inst));
                        }
                    }

                    var inputs = Render(inputsText, inst);
                    if (template.AllocationOf.TryGetValue(ei, out var allocation))
                    {
                        // The copy's allocation, computed by the rule itself from the copy's inputs: its hash names the copy's applications.
                        var call = template.Calls[template.Allocations[allocation].Call].Call;
                        var requests = Engine.Programmes.ProgrammeGuards.AllocationRequests(JsonNode.Parse(inputs)?["requests"]);
                        var result = Engine.Rules.AllocationRule.Allocate(call.Budget.Eur, call.Parameters.Allocation, requests);
                        inst.AllocationHashes[allocation] = Engine.Programmes.ProgrammeGuards.AllocationSummary(result, call.Parameters.Allocation, requests)["inputsSha256"]!.GetValue<string>();
                    }

                    var e = (source with
                    {
                        DossierId = inst.Ids[dossier],
                        Arguments = Render(argumentsText, inst),
                        Effects = Render(effectsText, inst),
                        Inputs = inputs,
                        PrevHash = prevIndex < 0 ? JournalEvent.GenesisHash : inst.EventHashes[prevIndex],
                    }).WithHash();
                    inst.EventHashes[ei] = e.Hash;
                    batch[k] = e;
                });

                for (var k = 0; k < copiesOf.Length; k++)
                {
                    var e = batch[k];
                    copiesOf[k].EventSeqs[ei] = ++seq;
                    await journal.StartRowAsync();
                    await journal.WriteAsync(seq, NpgsqlDbType.Bigint);
                    await journal.WriteAsync(e.DossierId, NpgsqlDbType.Uuid);
                    await journal.WriteAsync(e.DossierSeq, NpgsqlDbType.Integer);
                    await journal.WriteAsync(e.OccurredAt, NpgsqlDbType.TimestampTz);
                    await journal.WriteAsync(e.Actor, NpgsqlDbType.Text);
                    await journal.WriteAsync(e.ActorRole, NpgsqlDbType.Text);
                    await journal.WriteAsync(e.Kind, NpgsqlDbType.Text);
                    await journal.WriteAsync(e.Trigger, NpgsqlDbType.Text);
                    await journal.WriteAsync(e.FromState, NpgsqlDbType.Text);
                    await journal.WriteAsync(e.ToState, NpgsqlDbType.Text);
                    await journal.WriteAsync(e.DefinitionId, NpgsqlDbType.Text);
                    await journal.WriteAsync(e.DefinitionVersion, NpgsqlDbType.Integer);
                    await journal.WriteAsync(e.DefinitionHash, NpgsqlDbType.Text);
                    await journal.WriteAsync(e.Arguments, NpgsqlDbType.Text);
                    await journal.WriteAsync(e.Effects, NpgsqlDbType.Text);
                    await journal.WriteAsync(e.PrevHash, NpgsqlDbType.Text);
                    await journal.WriteAsync(e.Hash, NpgsqlDbType.Text);
                    await journal.WriteAsync(e.OccurredAt, NpgsqlDbType.TimestampTz);
                    await journal.WriteAsync(e.Format, NpgsqlDbType.Text);
                    await journal.WriteAsync(e.Inputs, NpgsqlDbType.Text);
                }

                if (lastReport.Elapsed > TimeSpan.FromSeconds(30))
                {
                    progress?.Report($"journal: {seq:N0} events ({step * 100.0 / timeline.Count:F0} % of the timeline, {source.OccurredAt:yyyy-MM-dd}) after {watch.Elapsed.TotalSeconds:F0} s");
                    lastReport.Restart();
                }
            }

            await journal.CompleteAsync();
        }

        progress?.Report($"journal: {seq:N0} events in {watch.Elapsed.TotalSeconds:F0} s");

        long dossiers = 0;
        await using (var copy = await conn.BeginBinaryImportAsync(
            "COPY dossier (id, workflow_id, workflow_version, state, version, data, head_hash, created_at, updated_at) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var inst in instances)
            {
                foreach (var d in inst.Template.Dossiers)
                {
                    await copy.StartRowAsync();
                    await copy.WriteAsync(inst.Ids[d.Dossier], NpgsqlDbType.Uuid);
                    await copy.WriteAsync(d.WorkflowId, NpgsqlDbType.Text);
                    await copy.WriteAsync(d.WorkflowVersion, NpgsqlDbType.Integer);
                    await copy.WriteAsync(d.State, NpgsqlDbType.Text);
                    await copy.WriteAsync(d.Version, NpgsqlDbType.Integer);
                    await copy.WriteAsync(Render(d.Data, inst), NpgsqlDbType.Jsonb);
                    await copy.WriteAsync(inst.EventHashes[d.HeadEvent], NpgsqlDbType.Text);
                    await copy.WriteAsync(d.CreatedAt, NpgsqlDbType.TimestampTz);
                    await copy.WriteAsync(d.UpdatedAt, NpgsqlDbType.TimestampTz);
                    dossiers++;
                }
            }

            await copy.CompleteAsync();
        }

        progress?.Report($"dossiers: {dossiers:N0} after {watch.Elapsed.TotalSeconds:F0} s");
        var uniqueKeys = await CopyRowsAsync(conn, "dossier_unique", UniqueColumns, [NpgsqlDbType.Text, NpgsqlDbType.Uuid], instances, t => t.UniqueKeys, []);
        var deadlines = await CopyRowsAsync(conn, "deadline", DeadlineColumns,
            [NpgsqlDbType.Uuid, NpgsqlDbType.Uuid, NpgsqlDbType.Text, NpgsqlDbType.TimestampTz, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Integer, NpgsqlDbType.Text, NpgsqlDbType.TimestampTz, NpgsqlDbType.Integer, NpgsqlDbType.Boolean],
            instances, t => t.Deadlines, []);
        var notices = await CopyRowsAsync(conn, "notice", NoticeColumns,
            [NpgsqlDbType.Uuid, NpgsqlDbType.Uuid, NpgsqlDbType.Bigint, NpgsqlDbType.Integer, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Integer, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Integer,
             NpgsqlDbType.TimestampTz, NpgsqlDbType.Text, NpgsqlDbType.TimestampTz, NpgsqlDbType.TimestampTz, NpgsqlDbType.TimestampTz, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.TimestampTz, NpgsqlDbType.Bigint],
            instances, t => t.Notices, [2, 19]);
        progress?.Report($"unique keys: {uniqueKeys:N0}, deadlines: {deadlines:N0}, notices: {notices:N0} after {watch.Elapsed.TotalSeconds:F0} s");

        await using (var copy = await conn.BeginBinaryImportAsync($"COPY letter ({LetterColumns}) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var inst in instances)
            {
                for (var l = 0; l < inst.Template.LetterCount; l++)
                {
                    var row = inst.Template.Letters[l];
                    var html = Render((Text)row[6]!, inst);
                    await copy.StartRowAsync();
                    await copy.WriteAsync(Guid.Parse(Render((Text)row[0]!, inst)), NpgsqlDbType.Uuid);
                    await copy.WriteAsync((string)row[1]!, NpgsqlDbType.Text);
                    await copy.WriteAsync((int)row[2]!, NpgsqlDbType.Integer);
                    await copy.WriteAsync(Render((Text)row[3]!, inst), NpgsqlDbType.Jsonb);
                    await copy.WriteAsync(Render((Text)row[4]!, inst), NpgsqlDbType.Jsonb);
                    await copy.WriteAsync(Render((Text)row[5]!, inst), NpgsqlDbType.Text);
                    await copy.WriteAsync(html, NpgsqlDbType.Text);
                    await copy.WriteAsync(Render((Text)row[7]!, inst), NpgsqlDbType.Text);
                    await copy.WriteAsync(inst.LetterHashes[l] ?? Sha256Hex(html), NpgsqlDbType.Text);
                    await copy.WriteNullAsync(); // the PDF: not copied (docs/benchmarks.md, scale)
                    if (row[10] is Text file)
                    {
                        await copy.WriteAsync(Render(file, inst), NpgsqlDbType.Text);
                    }
                    else
                    {
                        await copy.WriteNullAsync();
                    }

                    await copy.WriteAsync(row[11] is DateTime rendered ? new DateTimeOffset(DateTime.SpecifyKind(rendered, DateTimeKind.Utc)) : (DateTimeOffset)row[11]!, NpgsqlDbType.TimestampTz);
                    letters++;
                    letterBytes += html.Length;
                }
            }

            await copy.CompleteAsync();
        }

        await using (var seqCmd = new NpgsqlCommand($"SELECT setval(pg_get_serial_sequence('journal', 'seq'), {Math.Max(1, seq)}); RESET session_replication_role", conn))
        {
            await seqCmd.ExecuteNonQueryAsync();
        }

        // The chain positions the append guard would have claimed (migration 0021, journal_position), so that the
        // generated events are guarded like appended ones and the key table has its real size.
        var positionsWatch = Stopwatch.StartNew();
        await using (var positions = new NpgsqlCommand("INSERT INTO journal_position (dossier_id, dossier_seq) SELECT dossier_id, dossier_seq FROM journal ORDER BY dossier_id, dossier_seq", conn))
        {
            positions.CommandTimeout = 0;
            await positions.ExecuteNonQueryAsync();
        }

        progress?.Report($"journal positions: {seq:N0} in {positionsWatch.Elapsed.TotalSeconds:F0} s");

        progress?.Report($"letters: {letters:N0} after {watch.Elapsed.TotalSeconds:F0} s");
        return new Generated(dossiers, seq, deadlines, notices, letters, letterBytes, watch.Elapsed, seq, calls, uniqueKeys);
    }

    /// <summary>The id of copy <paramref name="copy"/> (1-based) of call <paramref name="callId"/>: a code (letters, digits, dash) as the <c>call</c> argument's schema asks.</summary>
    internal static string CopyCallId(string callId, int copy) => string.Create(CultureInfo.InvariantCulture, $"{callId}-k{copy}");

    /// <summary>
    /// Writes every copy's call files: the template's call file with the copy's id, and a restriction to a previous
    /// call's submitters (<c>eligibility.restrictedToPreviousSubmittersOf</c>) pointing at the copy's own previous
    /// call. The SHA-256 of the written bytes is what the copy's call snapshots carry.
    /// </summary>
    private static async Task<int> WriteCallFilesAsync(string callsFolder, List<Instance> instances)
    {
        Directory.CreateDirectory(callsFolder);
        var options = new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        var written = 0;
        foreach (var inst in instances)
        {
            var calls = inst.Template.Calls;
            for (var c = 0; c < calls.Count; c++)
            {
                var json = JsonNode.Parse(Encoding.UTF8.GetString(calls[c].Bytes))!.AsObject();
                json["id"] = inst.CallIds[c];
                if (json["eligibility"] is JsonObject eligibility && eligibility["restrictedToPreviousSubmittersOf"]?.GetValue<string>() is { } previous)
                {
                    var p = calls.Select((x, i) => (x.Id, i)).First(x => x.Id == previous).i;
                    eligibility["restrictedToPreviousSubmittersOf"] = inst.CallIds[p];
                }

                var bytes = Encoding.UTF8.GetBytes(json.ToJsonString(options) + "\n");
                inst.CallShas[c] = Convert.ToHexStringLower(SHA256.HashData(bytes));
                await File.WriteAllBytesAsync(Path.Combine(callsFolder, inst.CallIds[c] + ".json"), bytes);
                written++;
            }
        }

        return written;
    }

    private static int PreviousOf(Template template, int eventIndex)
    {
        var e = template.Events[eventIndex];
        for (var i = eventIndex - 1; i >= 0; i--)
        {
            if (template.Events[i].Dossier == e.Dossier)
            {
                return i;
            }
        }

        return -1;
    }

    private static async Task<long> CopyRowsAsync(NpgsqlConnection conn, string table, string columns, NpgsqlDbType[] types, List<Instance> instances, Func<Template, List<object?[]>> rows, int[] seqColumns)
    {
        long count = 0;
        await using var copy = await conn.BeginBinaryImportAsync($"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)");
        foreach (var inst in instances)
        {
            foreach (var row in rows(inst.Template))
            {
                await copy.StartRowAsync();
                for (var c = 0; c < row.Length; c++)
                {
                    var value = row[c];
                    switch (value)
                    {
                        case null:
                            await copy.WriteNullAsync();
                            break;
                        case Text text when types[c] == NpgsqlDbType.Uuid:
                            await copy.WriteAsync(Guid.Parse(Render(text, inst)), NpgsqlDbType.Uuid);
                            break;
                        case Text text:
                            await copy.WriteAsync(Render(text, inst), types[c]);
                            break;
                        case int eventIndex when seqColumns.Contains(c):
                            await copy.WriteAsync(inst.EventSeqs[eventIndex], NpgsqlDbType.Bigint);
                            break;
                        default:
                            await copy.WriteAsync(value, types[c]);
                            break;
                    }
                }

                count++;
            }
        }

        await copy.CompleteAsync();
        return count;
    }

    private static string Render(Text text, Instance inst)
    {
        if (text.Slots.Length == 0)
        {
            return text.Literals[0];
        }

        var sb = new StringBuilder(text.Literals.Sum(l => l.Length) + (text.Slots.Length * 64));
        for (var i = 0; i < text.Slots.Length; i++)
        {
            sb.Append(text.Literals[i]);
            var slot = text.Slots[i];
            switch (slot.Kind)
            {
                case SlotKind.Dossier:
                    sb.Append(inst.Ids[slot.Index].ToString(slot.Compact ? "N" : "D"));
                    break;
                case SlotKind.Derived:
                    var d = inst.Template.DerivedIds[slot.Index];
                    sb.Append(TransitionEffects.DeterministicId(inst.Ids[d.Dossier], d.DossierSeq, d.Purpose, d.Index).ToString(slot.Compact ? "N" : "D"));
                    break;
                case SlotKind.EventHash:
                    sb.Append(inst.EventHashes[slot.Index] ?? throw new InvalidOperationException("an event hash quoted before its event was written"));
                    break;
                case SlotKind.LetterHash:
                    sb.Append(inst.LetterHashes[slot.Index] ?? throw new InvalidOperationException("a letter hash quoted before its letter was rendered"));
                    break;
                case SlotKind.CallId:
                    sb.Append(inst.CallIds[slot.Index]);
                    break;
                case SlotKind.CallSha:
                    sb.Append(inst.CallShas[slot.Index]);
                    break;
                case SlotKind.AllocationHash:
                    sb.Append(inst.AllocationHashes[slot.Index] ?? throw new InvalidOperationException("an allocation's inputs hash quoted before the allocation was written"));
                    break;
            }
        }

        sb.Append(text.Literals[^1]);
        return sb.ToString();
    }

    private static string Sha256Hex(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>For the log: a template's size.</summary>
    public static string Describe(Template t) => string.Create(CultureInfo.InvariantCulture,
        $"{t.Name}: {t.DossierCount} dossiers, {t.EventCount} events ({t.EventCount / (double)Math.Max(1, t.DossierCount):F1} per dossier), {t.NoticeCount} notices, {t.LetterCount} letters ({t.LetterBytes / 1024.0 / Math.Max(1, t.LetterCount):F1} KB each)");
}
