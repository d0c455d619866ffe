using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SubsidyEngine.Testing;

namespace SubsidyEngine.Engine.Tests.Runtime;

/// <summary>Follows docs/audit.md literally: its psql export commands and its Python script, no code of ours.</summary>
public sealed partial class AuditRecipeTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    public async Task InitializeAsync() => await db.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [GeneratedRegex("```(?<lang>bash|python)\\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex CodeBlock();

    private static string RepoFile(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, relative);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException(relative);
    }

    private static (int Code, string Output) Run(string file, string workDir, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = workDir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output);
    }

    [Fact]
    public async Task The_documented_recipe_verifies_a_real_journal_and_names_a_tampered_event()
    {
        var h = new RuntimeHarness(db, [TinyDefinitions.Abc, TinyDefinitions.Cycle]);
        var abc = await h.CreateAsync("test/abc", new JsonObject { ["amount"] = 12.50m, ["owner"] = "Sint-Niklaas \"Ω\" \\ é" });
        await h.FireAsync(abc.DossierId, "go", new JsonObject { ["note"] = "café ✓", ["comment"] = "regel 1\nregel 2 \\ \"q\"" });
        var cycle = await h.CreateAsync("test/cycle");
        for (var i = 0; i < 4; i++)
        {
            await h.FireAsync(cycle.DossierId, "next");
        }

        var doc = await File.ReadAllTextAsync(RepoFile("docs/audit.md"));
        var blocks = CodeBlock().Matches(doc).Select(m => (m.Groups["lang"].Value, m.Groups["code"].Value)).ToList();
        var export = blocks.First(b => b.Item1 == "bash" && b.Item2.Contains("\\copy", StringComparison.Ordinal)).Item2;
        var script = blocks.First(b => b.Item1 == "python").Item2;
        var dir = TestCluster.NewTempFolder("audit");
        await File.WriteAllTextAsync(Path.Combine(dir, "verify_journal.py"), script);
        var url = new Npgsql.NpgsqlConnectionStringBuilder(db.ConnectionString);
        var databaseUrl = $"postgresql://{url.Username}@{url.Host}:{url.Port}/{url.Database}";

        var exported = Run("/bin/bash", dir, "-c", $"DATABASE_URL='{databaseUrl}'\n{export}");
        Assert.True(exported.Code == 0, exported.Output);
        var ok = Run("/usr/bin/python3", dir, "verify_journal.py", "journal.jsonl", "heads.jsonl");
        Assert.True(ok.Code == 0, ok.Output);
        Assert.Contains("OK: 7 events in 2 dossiers", ok.Output, StringComparison.Ordinal);

        await h.ExecuteAsSuperuserBypassingTriggersAsync($"UPDATE journal SET arguments = replace(arguments, '12.50', '125.00') WHERE dossier_id = '{abc.DossierId}' AND dossier_seq = 1");
        exported = Run("/bin/bash", dir, "-c", $"DATABASE_URL='{databaseUrl}'\n{export}");
        Assert.True(exported.Code == 0, exported.Output);
        var bad = Run("/usr/bin/python3", dir, "verify_journal.py", "journal.jsonl", "heads.jsonl");

        Assert.Equal(1, bad.Code);
        Assert.Contains($"dossier {abc.DossierId} event 1", bad.Output, StringComparison.Ordinal);
        Assert.Contains("hash mismatch", bad.Output, StringComparison.Ordinal);
        TestCluster.TryDelete(dir);
    }
}
