using System.Net;
using System.Text.Json.Nodes;
using SubsidyEngine.Api.Cli;

namespace SubsidyEngine.Api.Tests;

/// <summary>
/// <c>users add</c> and <c>users key</c> bootstrap a deployment without the development sign-in: run in-process
/// through <see cref="CliVerbs"/> on the same database as a running service, the printed key works at once.
/// </summary>
public sealed class UsersVerbTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        // The deployment's own workflows (the factory's folder holds test definitions that need test rules).
        string[] settings = ["--ConnectionStrings:Subsidy", api.ConnectionString, "--Subsidy:WorkflowsDirectory", Path.Combine(ApiFactory.RepoRoot, "workflows"), "--Subsidy:DataDirectory", api.DataFolder, "--Subsidy:PublicBaseUrl", ApiFactory.PublicBaseUrl, "--Subsidy:Letters:AgencyIban", ApiFactory.AgencyIban];
        var code = await CliVerbs.RunAsync(["users", .. args, .. settings], output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Users_add_then_key_prints_a_working_admin_key_once()
    {
        var (code, stdout, stderr) = await RunAsync("add", "--email", "first.admin@test.invalid", "--role", "admin", "--name", "First Admin");
        Assert.True(code == 0, stderr);
        Assert.StartsWith("created admin first.admin@test.invalid", stdout, StringComparison.Ordinal);

        (code, stdout, stderr) = await RunAsync("key", "--email", "FIRST.ADMIN@test.invalid", "--label", "bootstrap");
        Assert.True(code == 0, stderr);
        var secret = stdout.Trim();
        Assert.StartsWith("sek_", secret, StringComparison.Ordinal);
        Assert.Equal(47, secret.Length);
        Assert.Equal(0, await api.ScalarAsync($"SELECT count(*) FROM api_key WHERE secret_hash = '{secret}'")); // only the hash is stored
        Assert.Equal(1, await api.ScalarAsync($"SELECT count(*) FROM api_key WHERE label = 'bootstrap'"));

        using var client = api.As(null);
        client.DefaultRequestHeaders.Add("X-Api-Key", secret);
        var me = JsonNode.Parse(await client.GetStringAsync("/api/me"))!;
        Assert.Equal("admin", me["role"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/users")).StatusCode);

        (code, _, stderr) = await RunAsync("add", "--email", "first.admin@test.invalid", "--role", "officer");
        Assert.Equal(2, code);
        Assert.Contains("--email: is already in use", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_input_names_the_option_and_changes_nothing()
    {
        var before = await api.FingerprintAsync();
        var (code, _, stderr) = await RunAsync("add", "--email", "m@test.invalid", "--role", "municipality");
        Assert.Equal(2, code);
        Assert.Contains("--authority:", stderr, StringComparison.Ordinal);
        (code, _, stderr) = await RunAsync("add", "--email", "x@test.invalid", "--role", "superuser");
        Assert.Equal(2, code);
        Assert.Contains("--role:", stderr, StringComparison.Ordinal);
        (code, _, stderr) = await RunAsync("add", "--role", "admin");
        Assert.Equal(2, code);
        Assert.Contains("usage: users add", stderr, StringComparison.Ordinal);
        (code, _, stderr) = await RunAsync("key", "--email", "nobody@test.invalid");
        Assert.Equal(1, code);
        Assert.Contains("no user with e-mail", stderr, StringComparison.Ordinal);
        Assert.Equal(before, await api.FingerprintAsync());

        (code, var stdout, _) = await RunAsync("add", "--email", "genk2@test.invalid", "--role", "municipality", "--authority", ApiFactory.Genk);
        Assert.Equal(0, code);
        Assert.Contains("authority 71016", stdout, StringComparison.Ordinal);
    }
}
