using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Templates;

namespace SubsidyEngine.Engine.Audit;

/// <summary>What to export: one dossier, a call (the call dossier and every dossier whose data.parent is it), or everything.</summary>
public sealed record ExportScope(string Kind, Guid? Id)
{
    public static ExportScope Dossier(Guid id) => new("dossier", id);

    public static ExportScope Call(Guid id) => new("call", id);

    public static ExportScope All { get; } = new("all", null);
}

/// <summary>What an export wrote.</summary>
public sealed record ExportResult(string Path, int Dossiers, long Events, IReadOnlyList<string> Files, IReadOnlyList<string> Problems);

/// <summary>
/// Writes an audit bundle (docs/audit.md, "Verifying an export bundle"): <c>journal.jsonl</c>, <c>heads.jsonl</c>,
/// the exact definition files, the letter template files (with their partials), the letters or notices,
/// <c>checkpoints.jsonl</c> with <c>checkpoint-heads.txt</c>, <c>manifest.json</c> and <c>SHA256SUMS</c>.
/// Everything is read in one repeatable-read transaction, so the files agree with each other.
/// </summary>
public sealed class ExportBundle(NpgsqlDataSource dataSource, TimeProvider clock, LetterCatalog? letters = null)
{
    /// <summary>The bundle recipe version written in the manifest (docs/audit.md).</summary>
    public const string RecipeVersion = "sej-bundle-1";

    private static readonly JsonWriterOptions LineOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };

    private readonly LetterCatalog _letters = letters ?? LetterCatalog.Default;

    /// <summary>Exports <paramref name="scope"/> to a folder, or to a zip file when <paramref name="outPath"/> ends with .zip.</summary>
    public async Task<ExportResult> ExportAsync(ExportScope scope, string outPath, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentException.ThrowIfNullOrWhiteSpace(outPath);
        var zip = outPath.EndsWith(".zip", StringComparison.OrdinalIgnoreCase);
        var folder = zip ? Path.Combine(Path.GetTempPath(), "subsidy-export-" + Guid.NewGuid().ToString("N")[..12]) : outPath;
        Directory.CreateDirectory(folder);
        try
        {
            var result = await WriteFolderAsync(scope, folder, cancellationToken);
            if (!zip)
            {
                return result;
            }

            if (File.Exists(outPath))
            {
                File.Delete(outPath);
            }

            var parent = Path.GetDirectoryName(Path.GetFullPath(outPath));
            if (parent is not null)
            {
                Directory.CreateDirectory(parent);
            }

            await ZipFile.CreateFromDirectoryAsync(folder, outPath, CompressionLevel.Optimal, includeBaseDirectory: false, cancellationToken);
            return result with { Path = outPath };
        }
        finally
        {
            if (zip)
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    private async Task<ExportResult> WriteFolderAsync(ExportScope scope, string folder, CancellationToken ct)
    {
        var files = new List<string>();
        var problems = new List<string>();
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct);
        await using (var ro = new NpgsqlCommand("SET TRANSACTION READ ONLY", conn, tx))
        {
            await ro.ExecuteNonQueryAsync(ct);
        }

        // 1. Which dossiers.
        Guid[]? ids = null;
        if (scope.Kind == "dossier")
        {
            ids = [scope.Id!.Value];
        }
        else if (scope.Kind == "call")
        {
            var list = new List<Guid> { scope.Id!.Value };
            await using var cmd = new NpgsqlCommand("SELECT id FROM dossier WHERE parent = $1 ORDER BY id", conn, tx);
            cmd.Parameters.AddWithValue(scope.Id!.Value.ToString("D"));
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                list.Add(r.GetGuid(0));
            }

            ids = [.. list.Distinct()];
        }

        // 2. journal.jsonl, streamed; collect the definitions and templates used.
        var definitionsUsed = new SortedDictionary<(string Id, int Version), string>();
        var templatesUsed = new SortedSet<(string Id, int Version)>();
        var dossiersSeen = new HashSet<Guid>();
        long events = 0;
        await using (var file = File.Create(Path.Combine(folder, "journal.jsonl")))
        {
            var where = ids is null ? string.Empty : "WHERE dossier_id = ANY($1)";
            await using var cmd = new NpgsqlCommand($"SELECT {JournalStore.Columns} FROM journal {where} ORDER BY dossier_id, dossier_seq, seq", conn, tx);
            if (ids is not null)
            {
                cmd.Parameters.AddWithValue(ids);
            }

            await using var r = await cmd.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, ct);
            var buffer = new MemoryStream();
            while (await r.ReadAsync(ct))
            {
                var e = JournalStore.Read(r);
                events++;
                dossiersSeen.Add(e.DossierId);
                definitionsUsed.TryAdd((e.DefinitionId, e.DefinitionVersion), e.DefinitionHash);
                foreach (var (id, version) in RecordedEffects.TemplateVersionsOf(e.Effects))
                {
                    templatesUsed.Add((id, version));
                }

                buffer.SetLength(0);
                WriteEventLine(buffer, e);
                await file.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), ct);
            }
        }

        files.Add("journal.jsonl");
        if (ids is not null)
        {
            foreach (var missing in ids.Where(i => !dossiersSeen.Contains(i)))
            {
                problems.Add($"dossier {missing:D} has no journal events");
            }
        }

        // 3. heads.jsonl from the projections.
        await using (var file = File.Create(Path.Combine(folder, "heads.jsonl")))
        {
            var where = ids is null ? string.Empty : "WHERE id = ANY($1)";
            await using var cmd = new NpgsqlCommand($"SELECT id, version, head_hash FROM dossier {where} ORDER BY id", conn, tx);
            if (ids is not null)
            {
                cmd.Parameters.AddWithValue(ids);
            }

            await using var r = await cmd.ExecuteReaderAsync(ct);
            var buffer = new MemoryStream();
            while (await r.ReadAsync(ct))
            {
                buffer.SetLength(0);
                await using (var w = new Utf8JsonWriter(buffer, LineOptions))
                {
                    w.WriteStartObject();
                    w.WriteString("dossier_id", r.GetGuid(0).ToString("D"));
                    w.WriteNumber("version", r.GetInt32(1));
                    w.WriteString("head_hash", r.GetString(2));
                    w.WriteEndObject();
                }

                buffer.WriteByte((byte)'\n');
                await file.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), ct);
            }
        }

        files.Add("heads.jsonl");

        // 4. The exact definition files.
        foreach (var ((id, version), eventHash) in definitionsUsed)
        {
            await using var cmd = new NpgsqlCommand("SELECT content, content_hash FROM workflow_definition WHERE workflow_id = $1 AND version = $2", conn, tx);
            cmd.Parameters.AddWithValue(id);
            cmd.Parameters.AddWithValue(version);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            if (!await r.ReadAsync(ct))
            {
                problems.Add($"definition {id}@v{version} is not in workflow_definition");
                continue;
            }

            var bytes = Encoding.UTF8.GetBytes(r.GetString(0));
            var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
            if (sha != r.GetString(1) || sha != eventHash)
            {
                problems.Add($"definition {id}@v{version}: stored content hashes to {sha}, recorded content_hash {r.GetString(1)}, events name {eventHash}");
            }

            var rel = $"definitions/{id}.v{version.ToString(CultureInfo.InvariantCulture)}.json";
            await WriteFileAsync(folder, rel, bytes, ct);
            files.Add(rel);
        }

        // 5. The template files named by the notices, with the partials they depend on.
        var templateFiles = new SortedDictionary<string, TemplateFile>(StringComparer.Ordinal);
        foreach (var (id, version) in templatesUsed)
        {
            if (!_letters.TryGet(id, version, out var template))
            {
                problems.Add($"template {id}.v{version} named by the journal is not in the letter catalogue");
                continue;
            }

            templateFiles[template.ResourceName] = template;
            foreach (var dep in template.Dependencies)
            {
                templateFiles[dep.ResourceName] = dep;
            }
        }

        foreach (var (resource, template) in templateFiles)
        {
            var rel = "templates/" + resource;
            await WriteFileAsync(folder, rel, template.GetSourceBytes(), ct);
            files.Add(rel);
        }

        // 6. Letters (stored renderings when the database has them) and the notice outbox rows.
        files.AddRange(await WriteNoticesAsync(conn, tx, folder, ids, ct));

        // 7. Checkpoints, and the head lines certified by the latest one.
        var checkpoints = new List<JournalCheckpoint>();
        await using (var file = File.Create(Path.Combine(folder, "checkpoints.jsonl")))
        {
            await using var cmd = new NpgsqlCommand("SELECT seq, brussels_day, taken_at, dossier_count, event_count, max_journal_seq, head_digest, prev_hash, hash FROM journal_checkpoint ORDER BY seq", conn, tx);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                var c = new JournalCheckpoint(r.GetInt64(0), r.GetFieldValue<DateOnly>(1), r.GetFieldValue<DateTimeOffset>(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5), r.GetString(6), r.GetString(7), r.GetString(8));
                checkpoints.Add(c);
                var line = Encoding.UTF8.GetBytes(c.ToJson().ToJsonString() + "\n");
                await file.WriteAsync(line, ct);
            }
        }

        files.Add("checkpoints.jsonl");
        await using (var file = File.Create(Path.Combine(folder, "checkpoint-heads.txt")))
        {
            if (checkpoints.Count > 0)
            {
                var latest = checkpoints[^1];
                var (digest, _) = await CheckpointService.HeadDigestAsync(conn, tx, latest.MaxJournalSeq, file, ct);
                if (digest != latest.HeadDigest)
                {
                    problems.Add($"checkpoint {latest.Seq}: the journal's heads no longer match its head digest (journal rewritten?)");
                }
            }
        }

        files.Add("checkpoint-heads.txt");
        await tx.CommitAsync(ct);

        // 8. manifest.json and SHA256SUMS.
        var manifestFiles = new JsonArray();
        var sums = new StringBuilder();
        foreach (var rel in files)
        {
            var (sha, size) = await HashFileAsync(Path.Combine(folder, rel), ct);
            manifestFiles.Add(new JsonObject { ["path"] = rel, ["sha256"] = sha, ["size"] = size });
            sums.Append(sha).Append("  ").Append(rel).Append('\n');
        }

        var manifest = new JsonObject
        {
            ["recipe"] = RecipeVersion,
            ["event_format"] = JournalEvent.FormatTag,
            ["checkpoint_format"] = JournalCheckpoint.FormatTag,
            ["journal_encoding"] = "JSON Lines, UTF-8; every field of the canonical form as the exact string or number hashed; no COPY escaping",
            ["scope"] = new JsonObject { ["kind"] = scope.Kind, ["id"] = scope.Id?.ToString("D") },
            ["created_at"] = JournalEvent.FormatTime(JournalEvent.Truncate(clock.GetUtcNow())),
            ["dossiers"] = dossiersSeen.Count,
            ["events"] = events,
            ["latest_checkpoint"] = checkpoints.Count > 0 ? checkpoints[^1].Hash : null,
            ["problems"] = new JsonArray(problems.Select(p => (JsonNode)JsonValue.Create(p)!).ToArray()),
            ["files"] = manifestFiles,
        };
        var manifestBytes = Encoding.UTF8.GetBytes(manifest.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n");
        await File.WriteAllBytesAsync(Path.Combine(folder, "manifest.json"), manifestBytes, ct);
        files.Add("manifest.json");
        sums.Append(Convert.ToHexStringLower(SHA256.HashData(manifestBytes))).Append("  manifest.json\n");
        await File.WriteAllTextAsync(Path.Combine(folder, "SHA256SUMS"), sums.ToString(), new UTF8Encoding(false), ct);
        files.Add("SHA256SUMS");
        return new ExportResult(folder, dossiersSeen.Count, events, files, problems);
    }

    /// <summary>One journal line: the canonical form's fields exactly as hashed, plus seq and hash.</summary>
    public static void WriteEventLine(Stream stream, JournalEvent e)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(e);
        using (var w = new Utf8JsonWriter(stream, LineOptions))
        {
            w.WriteStartObject();
            w.WriteNumber("seq", e.Seq);
            w.WriteString("format", e.Format);
            w.WriteString("dossier_id", e.DossierId.ToString("D"));
            w.WriteNumber("dossier_seq", e.DossierSeq);
            w.WriteString("occurred_at", JournalEvent.FormatTime(e.OccurredAt));
            w.WriteString("actor", e.Actor);
            w.WriteString("actor_role", e.ActorRole);
            w.WriteString("kind", e.Kind);
            w.WriteString("trigger", e.Trigger);
            w.WriteString("from_state", e.FromState);
            w.WriteString("to_state", e.ToState);
            w.WriteString("definition_id", e.DefinitionId);
            w.WriteNumber("definition_version", e.DefinitionVersion);
            w.WriteString("definition_hash", e.DefinitionHash);
            w.WriteString("arguments", e.Arguments);
            w.WriteString("inputs", e.Inputs);
            w.WriteString("effects", e.Effects);
            w.WriteString("prev_hash", e.PrevHash);
            w.WriteString("hash", e.Hash);
            w.WriteEndObject();
        }

        stream.WriteByte((byte)'\n');
    }

    private static async Task<List<string>> WriteNoticesAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string folder, Guid[]? ids, CancellationToken ct)
    {
        var written = new List<string>();
        var where = ids is null ? string.Empty : "WHERE n.dossier_id = ANY($1)";
        await using (var file = File.Create(Path.Combine(folder, "notices.jsonl")))
        {
            await using var cmd = new NpgsqlCommand(
                $"SELECT n.id, n.dossier_id, n.journal_seq, n.dossier_seq, n.kind, n.template_id, n.template_version, n.status, n.created_at, n.sent_at, n.data::text, n.state, n.data_seq, n.caused_at FROM notice n {where} ORDER BY n.dossier_id, n.dossier_seq, n.id", conn, tx);
            if (ids is not null)
            {
                cmd.Parameters.AddWithValue(ids);
            }

            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                var o = new JsonObject
                {
                    ["id"] = r.GetGuid(0).ToString("D"),
                    ["dossier_id"] = r.GetGuid(1).ToString("D"),
                    ["journal_seq"] = r.GetInt64(2),
                    ["dossier_seq"] = r.GetInt32(3),
                    ["kind"] = r.GetString(4),
                    ["template_id"] = r.GetString(5),
                    ["template_version"] = r.GetInt32(6),
                    ["status"] = r.GetString(7),
                    ["created_at"] = JournalEvent.FormatTime(r.GetFieldValue<DateTimeOffset>(8)),
                    ["sent_at"] = r.IsDBNull(9) ? null : JournalEvent.FormatTime(r.GetFieldValue<DateTimeOffset>(9)),

                    // The snapshot the letter is rendered from (migration 0030; null for older notices): the data as
                    // stored, byte for byte (its SHA-256 is the dataSha256 of the notice.sent record), the state, the
                    // event it is as of, and the causing event's time. docs/audit.md says how to check it.
                    ["data"] = r.IsDBNull(10) ? null : r.GetString(10),
                    ["state"] = r.IsDBNull(11) ? null : r.GetString(11),
                    ["data_seq"] = r.IsDBNull(12) ? null : r.GetInt32(12),
                    ["caused_at"] = r.IsDBNull(13) ? null : JournalEvent.FormatTime(r.GetFieldValue<DateTimeOffset>(13)),
                };
                await file.WriteAsync(Encoding.UTF8.GetBytes(o.ToJsonString(new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n"), ct);
            }
        }

        written.Add("notices.jsonl");

        // Stored renderings (table `letter`, added by the dispatch work): export them byte for byte when present.
        bool hasLetters;
        await using (var check = new NpgsqlCommand("SELECT to_regclass('public.letter') IS NOT NULL", conn, tx))
        {
            hasLetters = (bool)(await check.ExecuteScalarAsync(ct))!;
        }

        if (!hasLetters)
        {
            return written;
        }

        await using (var cmd = new NpgsqlCommand(
            $"SELECT l.notice_id, l.html, l.pdf FROM letter l JOIN notice n ON n.id = l.notice_id {where} ORDER BY l.notice_id", conn, tx))
        {
            if (ids is not null)
            {
                cmd.Parameters.AddWithValue(ids);
            }

            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                var id = r.GetGuid(0).ToString("D");
                var html = $"letters/{id}.html";
                await WriteFileAsync(folder, html, Encoding.UTF8.GetBytes(r.GetString(1)), ct);
                written.Add(html);
                if (!r.IsDBNull(2))
                {
                    var pdf = $"letters/{id}.pdf";
                    await WriteFileAsync(folder, pdf, r.GetFieldValue<byte[]>(2), ct);
                    written.Add(pdf);
                }
            }
        }

        return written;
    }

    private static async Task WriteFileAsync(string folder, string rel, byte[] bytes, CancellationToken ct)
    {
        var path = Path.Combine(folder, rel);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllBytesAsync(path, bytes, ct);
    }

    private static async Task<(string Sha, long Size)> HashFileAsync(string path, CancellationToken ct)
    {
        await using var f = File.OpenRead(path);
        var sha = Convert.ToHexStringLower(await SHA256.HashDataAsync(f, ct));
        return (sha, f.Length);
    }
}
