using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using SubsidyEngine.Engine.Audit;
using SubsidyEngine.Engine.Configuration;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Engine.Notices;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Testing;

namespace SubsidyEngine.Engine.Tests.Audit;

/// <summary>
/// Follows docs/audit.md's bundle recipe literally (its sha256sum command and its Python script, run by
/// /usr/bin/python3) on a fresh export, then on exports altered in every way an attacker could.
/// </summary>
public sealed class BundleRecipeTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    private string _root = string.Empty;

    public async Task InitializeAsync()
    {
        await db.ResetAsync();
        _root = TestCluster.NewTempFolder("bundle");
    }

    public Task DisposeAsync()
    {
        TestCluster.TryDelete(_root);
        return Task.CompletedTask;
    }

    private async Task<(AuditHarness H, (Guid Call, Guid Grant1, Guid Grant2, Guid Other) Ids, string Bundle, string Script, string Sha)> FreshAsync()
    {
        var h = new AuditHarness(db);
        var ids = await h.SeedAsync();
        var (checkpoint, created) = await h.Checkpoints.TakeAsync();
        Assert.True(created);
        h.Clock.Advance(TimeSpan.FromMinutes(10));
        await h.Runtime.FireAsync(new FireRequest(ids.Grant2, "report", null, AuditHarness.Officer)); // after the checkpoint
        var bundle = Path.Combine(_root, "fresh", "bundle");
        var result = await h.Export.ExportAsync(ExportScope.All, bundle);
        Assert.True(result.Problems.Count == 0, string.Join("\n", result.Problems));
        var (sha, script) = AuditHarness.BundleRecipe();
        var scriptPath = Path.Combine(_root, "verify_bundle.py");
        await File.WriteAllTextAsync(scriptPath, script);
        Assert.NotEmpty(checkpoint.Hash);
        return (h, ids, bundle, scriptPath, sha);
    }

    private string Copy(string bundle, string name)
    {
        var target = Path.Combine(_root, name, "bundle");
        foreach (var file in Directory.GetFiles(bundle, "*", SearchOption.AllDirectories))
        {
            var dest = Path.Combine(target, Path.GetRelativePath(bundle, file));
            Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
            File.Copy(file, dest);
        }

        return target;
    }

    private static (int Code, string Output) Sha(string bundle, string command) =>
        AuditHarness.Run("/bin/bash", Path.GetDirectoryName(bundle)!, "-c", command);

    private static (int Code, string Output) Verify(string script, string bundle, string? mailed = null) =>
        mailed is null ? AuditHarness.Run("/usr/bin/python3", Path.GetDirectoryName(bundle)!, script, bundle)
                       : AuditHarness.Run("/usr/bin/python3", Path.GetDirectoryName(bundle)!, script, bundle, mailed);

    private static List<string> Lines(string bundle, string file) => [.. File.ReadAllLines(Path.Combine(bundle, file))];

    private static void Write(string bundle, string file, IEnumerable<string> lines) =>
        File.WriteAllText(Path.Combine(bundle, file), string.Concat(lines.Select(l => l + "\n")), new UTF8Encoding(false));

    private static int LineOf(List<string> lines, Guid dossier, int seq) =>
        lines.FindIndex(l => l.Contains($"\"dossier_id\":\"{dossier:D}\",\"dossier_seq\":{seq},", StringComparison.Ordinal));

    /// <summary>Recomputes <c>SHA256SUMS</c> over the altered files, as an attacker who rewrites the bundle would.</summary>
    private static void Resum(string bundle)
    {
        var sums = Lines(bundle, "SHA256SUMS").Select(l =>
        {
            var file = l[66..];
            return file == "manifest.json" ? l : Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(bundle, file)))) + "  " + file;
        });
        Write(bundle, "SHA256SUMS", sums);
    }

    /// <summary>
    /// Issue 21: the bundle holds every notice's snapshot (data, state, data_seq, caused_at), each sent letter's
    /// notice.sent records the hash of the snapshot it was rendered from, and the documented script finds a
    /// snapshot whose data, state or time was changed, even with SHA256SUMS regenerated to match.
    /// </summary>
    [Fact]
    public async Task The_bundle_holds_the_notice_snapshots_and_the_documented_check_finds_a_tampered_one()
    {
        var h = new AuditHarness(db);
        var ids = await h.SeedAsync();
        var options = new NoticeOptions();
        var outbox = new CapturingTransport();
        var dispatcher = new NoticeDispatcher(db.DataSource, h.Runtime, new PlainNoticeComposer(options), outbox, h.Clock, options);
        var sent = await dispatcher.DispatchDueAsync();
        Assert.True(sent.Sent >= 3, $"two approvals and a closure notice, sent {sent.Sent}");
        await h.Checkpoints.TakeAsync();
        var bundle = Path.Combine(_root, "snapshots", "bundle");
        var result = await h.Export.ExportAsync(ExportScope.All, bundle);
        Assert.True(result.Problems.Count == 0, string.Join("\n", result.Problems));

        // Every notice of the bundle carries its snapshot, the data as stored; every notice.sent the snapshot's hash.
        var notices = Lines(bundle, "notices.jsonl").Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        Assert.True(notices.Count >= 3);
        await using (var cmd = db.DataSource.CreateCommand("SELECT id::text, data::text, state, data_seq FROM notice"))
        await using (var r = await cmd.ExecuteReaderAsync())
        {
            while (await r.ReadAsync())
            {
                var n = Assert.Single(notices, o => o["id"]!.GetValue<string>() == r.GetString(0));
                Assert.Equal(r.GetString(1), n["data"]!.GetValue<string>());
                Assert.Equal(r.GetString(2), n["state"]!.GetValue<string>());
                Assert.Equal(r.GetInt32(3), n["data_seq"]!.GetValue<int>());
                Assert.NotNull(n["caused_at"]);
            }
        }

        var records = Lines(bundle, "journal.jsonl").Select(l => JsonNode.Parse(l)!.AsObject()).Where(e => e["kind"]!.GetValue<string>() == "notice.sent")
            .Select(e => JsonNode.Parse(e["arguments"]!.GetValue<string>())!.AsObject()).ToList();
        Assert.Equal(sent.Sent, records.Count);
        foreach (var record in records)
        {
            var n = notices.Single(o => o["id"]!.GetValue<string>() == record["notice"]!.GetValue<string>());
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(n["data"]!.GetValue<string>()))), record["dataSha256"]!.GetValue<string>());
        }

        var (sha, script) = AuditHarness.BundleRecipe();
        var scriptPath = Path.Combine(_root, "verify_bundle.py");
        await File.WriteAllTextAsync(scriptPath, script);
        Assert.True(Sha(bundle, sha).Code == 0);
        var ok = Verify(scriptPath, bundle);
        Assert.True(ok.Code == 0, ok.Output);
        Assert.Contains($", {notices.Count} notice snapshots", ok.Output, StringComparison.Ordinal);

        // Tampered snapshots of Grant 1's award letter: each named by the script alone (SHA256SUMS regenerated).
        var g1Letter = notices.First(o => o["dossier_id"]!.GetValue<string>() == ids.Grant1.ToString("D") && o["dossier_seq"]!.GetValue<int>() == 2)["id"]!.GetValue<string>();
        var failures = new List<string>();
        void Expect(string name, Action<JsonObject> tamper, string mustName)
        {
            var copy = Copy(bundle, "snapshot-" + name);
            Write(copy, "notices.jsonl", Lines(copy, "notices.jsonl").Select(l =>
            {
                var o = JsonNode.Parse(l)!.AsObject();
                if (o["id"]!.GetValue<string>() != g1Letter)
                {
                    return l;
                }

                tamper(o);
                return o.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
            }));
            Resum(copy);
            var sums = Sha(copy, sha);
            var run = Verify(scriptPath, copy);
            if (sums.Code != 0 || run.Code == 0 || !run.Output.Contains(mustName, StringComparison.Ordinal) || !run.Output.Contains(g1Letter, StringComparison.Ordinal))
            {
                failures.Add($"{name}: sha256sum exit {sums.Code}, script exit {run.Code}; expected '{mustName}' naming {g1Letter}:\n{run.Output}");
            }
        }

        Expect("data", o => o["data"] = o["data"]!.GetValue<string>().Replace("12.5", "125.0", StringComparison.Ordinal), "does not hash to the dataSha256 this event recorded");
        Expect("state", o => o["state"] = "closed", "snapshot state 'closed' is not the state after event 2");
        Expect("time", o => o["caused_at"] = JournalEvent.FormatTime(DateTimeOffset.Parse(o["caused_at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture).AddHours(-1)), "is not the time of event 2");
        Expect("position", o => o["data_seq"] = 3, "snapshot as of event 3 for a");
        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }

    [Fact]
    public async Task A_fresh_bundle_verifies_with_sha256sum_and_the_documented_script()
    {
        var (h, _, bundle, script, sha) = await FreshAsync();
        var sums = Sha(bundle, sha);
        Assert.True(sums.Code == 0, sums.Output);
        var mailed = (await CheckpointService.ReadAllAsync(db.DataSource))[^1].Hash;
        var ok = Verify(script, bundle, mailed);
        Assert.True(ok.Code == 0, ok.Output);
        Assert.Contains("OK: ", ok.Output, StringComparison.Ordinal);
        Assert.Contains("1 checkpoints", ok.Output, StringComparison.Ordinal);

        // Every file of the manifest is there with its hash; definitions and templates are byte-identical.
        var manifest = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(bundle, "manifest.json")))!.AsObject();
        Assert.Equal(ExportBundle.RecipeVersion, manifest["recipe"]!.GetValue<string>());
        var paths = manifest["files"]!.AsArray().Select(f => f!["path"]!.GetValue<string>()).ToList();
        Assert.Contains("definitions/test/grant.v1.json", paths);
        Assert.Contains("definitions/system/audit.v1.json", paths);
        Assert.Contains("templates/Letters/award-decision.v2.sbn", paths);
        Assert.Contains("templates/Letters/checkpoint-digest.v2.sbn", paths);
        Assert.Contains("templates/Letters/Partials/layout.v2.sbn", paths);
        var grant = h.Catalog.Get("test/grant", 1).Definition;
        Assert.Equal(grant.ContentHash, Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(Path.Combine(bundle, "definitions/test/grant.v1.json")))));
        Assert.Equal(
            Templates.LetterCatalog.Default.Get("award-decision", 2).GetSourceBytes(),
            await File.ReadAllBytesAsync(Path.Combine(bundle, "templates/Letters/award-decision.v2.sbn")));
    }

    [Fact]
    public async Task A_call_bundle_holds_the_call_and_its_dossiers_only_and_verifies_from_a_zip()
    {
        var h = new AuditHarness(db);
        var ids = await h.SeedAsync();
        await h.Checkpoints.TakeAsync();
        var zip = Path.Combine(_root, "call.zip");
        var result = await h.Export.ExportAsync(ExportScope.Call(ids.Call), zip);
        Assert.True(result.Problems.Count == 0, string.Join("\n", result.Problems));
        Assert.Equal(3, result.Dossiers);
        Assert.Equal(4 + 3 + 2, result.Events);

        var bundle = Path.Combine(_root, "call", "bundle");
        System.IO.Compression.ZipFile.ExtractToDirectory(zip, bundle);
        var journal = await File.ReadAllTextAsync(Path.Combine(bundle, "journal.jsonl"));
        Assert.DoesNotContain(ids.Other.ToString("D"), journal, StringComparison.Ordinal);
        Assert.Contains(ids.Grant2.ToString("D"), journal, StringComparison.Ordinal);

        // The journal lines hold the exact hashed text: the escaped owner name round-trips.
        var first = Lines(bundle, "journal.jsonl").Select(l => JsonNode.Parse(l)!.AsObject()).First(o => o["dossier_id"]!.GetValue<string>() == ids.Grant1.ToString("D"));
        Assert.Contains("Sint-Niklaas \\\"Ω\\\" \\\\ é", first["arguments"]!.GetValue<string>(), StringComparison.Ordinal);

        var (sha, script) = AuditHarness.BundleRecipe();
        var scriptPath = Path.Combine(_root, "verify_bundle.py");
        await File.WriteAllTextAsync(scriptPath, script);
        var sums = Sha(bundle, sha);
        Assert.True(sums.Code == 0, sums.Output);
        var ok = Verify(scriptPath, bundle);
        Assert.True(ok.Code == 0, ok.Output);
        Assert.Contains("OK: 9 events in 3 dossiers, 1 checkpoints", ok.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_alteration_of_a_bundle_fails_naming_the_event_the_file_or_the_checkpoint()
    {
        var (_, ids, bundle, script, sha) = await FreshAsync();
        var g1 = ids.Grant1;
        var failures = new List<string>();

        void Expect(string name, Action<string> tamper, string mustName, bool shaMustFail = true, string? alsoName = null, bool scriptMustFail = true)
        {
            var copy = Copy(bundle, name);
            tamper(copy);
            var sums = Sha(copy, sha);
            var run = Verify(script, copy);
            var output = scriptMustFail ? run.Output : sums.Output + run.Output;
            var named = output.Contains(mustName, StringComparison.Ordinal) && (alsoName is null || output.Contains(alsoName, StringComparison.Ordinal));
            if ((scriptMustFail && run.Code == 0) || !named || (shaMustFail && sums.Code == 0))
            {
                failures.Add($"{name}: script exit {run.Code}, sha256sum exit {sums.Code}; expected '{mustName}':\n{run.Output}\n{sums.Output}");
            }
        }

        Expect("amount", b =>
        {
            var lines = Lines(b, "journal.jsonl");
            var i = LineOf(lines, g1, 1);
            lines[i] = lines[i].Replace("12.50", "125.00", StringComparison.Ordinal);
            Write(b, "journal.jsonl", lines);
        }, $"dossier {g1:D} event 1 ", alsoName: "hash mismatch");

        Expect("actor", b =>
        {
            var lines = Lines(b, "journal.jsonl");
            var i = LineOf(lines, g1, 2);
            lines[i] = lines[i].Replace("\"actor\":\"officer-1\"", "\"actor\":\"officer-2\"", StringComparison.Ordinal);
            Write(b, "journal.jsonl", lines);
        }, $"dossier {g1:D} event 2 ", alsoName: "hash mismatch");

        Expect("time", b =>
        {
            var lines = Lines(b, "journal.jsonl");
            var i = LineOf(lines, g1, 3);
            var e = JsonNode.Parse(lines[i])!.AsObject();
            var t = DateTimeOffset.Parse(e["occurred_at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture).AddHours(-1);
            lines[i] = lines[i].Replace(e["occurred_at"]!.GetValue<string>(), JournalEvent.FormatTime(t), StringComparison.Ordinal);
            Write(b, "journal.jsonl", lines);
        }, $"dossier {g1:D} event 3 ", alsoName: "hash mismatch");

        Expect("deleted", b =>
        {
            var lines = Lines(b, "journal.jsonl");
            lines.RemoveAt(LineOf(lines, g1, 2));
            Write(b, "journal.jsonl", lines);
        }, $"dossier {g1:D} event 3 ", alsoName: "sequence gap");

        Expect("swapped", b =>
        {
            var lines = Lines(b, "journal.jsonl");
            var i = LineOf(lines, g1, 2);
            (lines[i], lines[i + 1]) = (lines[i + 1], lines[i]);
            Write(b, "journal.jsonl", lines);
        }, $"dossier {g1:D} event 3 ", alsoName: "sequence gap or reorder");

        Expect("inserted", b =>
        {
            var lines = Lines(b, "journal.jsonl");
            var i = LineOf(lines, g1, 2);
            lines.Insert(i + 1, lines[i].Replace("\"dossier_seq\":2,", "\"dossier_seq\":3,", StringComparison.Ordinal));
            Write(b, "journal.jsonl", lines);
        }, $"dossier {g1:D} event 3 ", alsoName: "prev_hash does not link");

        Expect("template", b => File.AppendAllText(Path.Combine(b, "templates/Letters/award-decision.v2.sbn"), "<p>extra</p>"), "templates/Letters/award-decision.v2.sbn: FAILED", shaMustFail: true, scriptMustFail: false);

        // A rewritten journal: one time changed, the chain's hashes, the heads and SHA256SUMS all recomputed.
        Expect("rewritten", b =>
        {
            var lines = Lines(b, "journal.jsonl");
            var i = LineOf(lines, g1, 1);
            var prev = JournalEvent.GenesisHash;
            for (var k = i; k < lines.Count; k++)
            {
                var o = JsonNode.Parse(lines[k])!.AsObject();
                if (o["dossier_id"]!.GetValue<string>() != g1.ToString("D"))
                {
                    break;
                }

                var e = new JournalEvent
                {
                    DossierId = g1,
                    DossierSeq = o["dossier_seq"]!.GetValue<int>(),
                    OccurredAt = DateTimeOffset.Parse(o["occurred_at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture).AddMinutes(k == i ? -30 : 0),
                    Actor = o["actor"]!.GetValue<string>(),
                    ActorRole = o["actor_role"]!.GetValue<string>(),
                    Kind = o["kind"]!.GetValue<string>(),
                    Trigger = o["trigger"]!.GetValue<string>(),
                    FromState = o["from_state"]!.GetValue<string>(),
                    ToState = o["to_state"]!.GetValue<string>(),
                    DefinitionId = o["definition_id"]!.GetValue<string>(),
                    DefinitionVersion = o["definition_version"]!.GetValue<int>(),
                    DefinitionHash = o["definition_hash"]!.GetValue<string>(),
                    Arguments = o["arguments"]!.GetValue<string>(),
                    Effects = o["effects"]!.GetValue<string>(),
                    PrevHash = prev,
                    Seq = o["seq"]!.GetValue<long>(),
                }.WithHash();
                using var ms = new MemoryStream();
                ExportBundle.WriteEventLine(ms, e);
                lines[k] = Encoding.UTF8.GetString(ms.ToArray()).TrimEnd('\n');
                prev = e.Hash;
            }

            Write(b, "journal.jsonl", lines);
            var heads = Lines(b, "heads.jsonl").Select(l => l.Contains(g1.ToString("D"), StringComparison.Ordinal)
                ? $"{{\"dossier_id\":\"{g1:D}\",\"version\":3,\"head_hash\":\"{prev}\"}}" : l);
            Write(b, "heads.jsonl", heads);
            Resum(b);
        }, $"dossier {g1:D} event 3 ", shaMustFail: false, alsoName: "certified by checkpoint 1");

        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }
}
