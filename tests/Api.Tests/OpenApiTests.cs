using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;

namespace SubsidyEngine.Api.Tests;

/// <summary>
/// Redocly CLI installed once per test run into a temp folder (npm registry). A failed install FAILS the test with
/// npm's output: the lint never passes silently.
/// </summary>
public sealed class RedoclyCli : IAsyncLifetime
{
    public string Folder { get; } = Path.Combine(Path.GetTempPath(), "subsidy-tests", $"redocly-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);

    public string Binary => Path.Combine(Folder, "node_modules", ".bin", "redocly");

    public string InstallOutput { get; private set; } = string.Empty;

    public int InstallExitCode { get; private set; } = -1;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Folder);
        (InstallExitCode, InstallOutput) = await RunAsync("npm", ["install", "--no-audit", "--no-fund", "--prefix", Folder, "@redocly/cli"], Folder, TimeSpan.FromMinutes(8));
    }

    public Task DisposeAsync()
    {
        Testing.TestCluster.TryDelete(Folder);
        return Task.CompletedTask;
    }

    public static async Task<(int ExitCode, string Output)> RunAsync(string file, string[] args, string workingDirectory, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["REDOCLY_TELEMETRY"] = "off";
        psi.Environment["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true";
        psi.Environment["NO_COLOR"] = "1";
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            return (-1, $"timed out after {timeout}\n{await stdout}\n{await stderr}");
        }

        return (process.ExitCode, $"{await stdout}\n{await stderr}");
    }
}

public sealed class OpenApiTests(ApiFactory api, RedoclyCli redocly) : IClassFixture<ApiFactory>, IClassFixture<RedoclyCli>
{
    private async Task<string> DocumentAsync()
    {
        using var client = api.As(null);
        var response = await client.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task Every_operation_has_an_operation_id_a_summary_tags_and_responses_and_authenticated_ones_name_the_api_key()
    {
        var doc = JsonNode.Parse(await DocumentAsync())!;
        Assert.NotNull(doc["components"]!["securitySchemes"]!["ApiKeyBearer"]);
        Assert.NotNull(doc["components"]!["securitySchemes"]!["ApiKeyHeader"]);
        var operations = doc["paths"]!.AsObject().SelectMany(p => p.Value!.AsObject().Where(o => o.Key is "get" or "post" or "put" or "delete" or "patch").Select(o => (Path: p.Key, Method: o.Key, Op: o.Value!))).ToList();
        Assert.True(operations.Count >= 20, $"only {operations.Count} operations");
        foreach (var (path, method, op) in operations)
        {
            var where = $"{method} {path}";
            Assert.False(string.IsNullOrWhiteSpace(op["operationId"]?.GetValue<string>()), where);
            Assert.False(string.IsNullOrWhiteSpace(op["summary"]?.GetValue<string>()), where);
            Assert.NotEmpty(op["tags"]!.AsArray());
            Assert.NotEmpty(op["responses"]!.AsObject());
            if (path.StartsWith("/api/", StringComparison.Ordinal))
            {
                Assert.NotEmpty(op["security"]!.AsArray());
                Assert.True(op["responses"]!.AsObject().ContainsKey("401"), $"{where} lists no 401");
            }
        }

        var fire = doc["paths"]!["/api/dossiers/{id}/transitions/{trigger}"]!["post"]!;
        Assert.Equal("FireTransition", fire["operationId"]!.GetValue<string>());
        foreach (var status in new[] { "200", "400", "403", "404", "409", "412", "422" })
        {
            Assert.True(fire["responses"]!.AsObject().ContainsKey(status), $"FireTransition lists no {status}");
        }

        Assert.Contains(fire["parameters"]!.AsArray(), p => p!["name"]!.GetValue<string>() == "If-Match");
        Assert.Contains(fire["parameters"]!.AsArray(), p => p!["name"]!.GetValue<string>() == "Idempotency-Key");
    }

    [Fact]
    public async Task The_document_passes_redocly_lint_without_errors()
    {
        Assert.True(redocly.InstallExitCode == 0 && File.Exists(redocly.Binary), $"npm install @redocly/cli failed (exit {redocly.InstallExitCode}):\n{redocly.InstallOutput}");
        var file = Path.Combine(redocly.Folder, "openapi.json");
        await File.WriteAllTextAsync(file, await DocumentAsync());
        var config = Path.Combine(AppContext.BaseDirectory, "redocly.yaml");
        var (exit, output) = await RedoclyCli.RunAsync(redocly.Binary, ["lint", file, "--config", config, "--format", "stylish"], redocly.Folder, TimeSpan.FromMinutes(3));
        Assert.True(exit == 0, $"redocly lint failed (exit {exit}):\n{output}");
        Assert.DoesNotMatch(new System.Text.RegularExpressions.Regex(@"^\s*\d+:\d+\s+error\s", System.Text.RegularExpressions.RegexOptions.Multiline), output);
    }
}
