using SubsidyEngine.Api.Cli;
using SubsidyEngine.Engine.Audit;

namespace SubsidyEngine.Api.Tests;

/// <summary>A factory whose host runs no jobs, so that only the verb takes the day's checkpoint.</summary>
public sealed class NoJobsFactory : ApiFactory
{
    protected override bool RunJobs => false;
}

/// <summary>
/// <c>checkpoint take</c> on the same database as a running service mails the digest where the configuration says:
/// the mailed checkpoint hash is the auditors' anchor (docs/audit.md), so it must reach the configured auditors.
/// </summary>
public sealed class CheckpointVerbTests(NoJobsFactory api) : IClassFixture<NoJobsFactory>
{
    [Fact]
    public async Task Checkpoint_take_addresses_the_digest_to_the_configured_auditors_address()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        string[] settings =
        [
            "--ConnectionStrings:Subsidy", api.ConnectionString, "--Subsidy:WorkflowsDirectory", Path.Combine(ApiFactory.RepoRoot, "workflows"),
            "--Subsidy:DataDirectory", api.DataFolder, "--Subsidy:PublicBaseUrl", ApiFactory.PublicBaseUrl, "--Subsidy:Letters:AgencyIban", ApiFactory.AgencyIban,
            "--Subsidy:Smtp:AuditorAddress", "auditors.samenleven@abb.test.invalid",
        ];
        var code = await CliVerbs.RunAsync(["checkpoint", "take", .. settings], output, error);
        Assert.True(code == 0, error.ToString());

        var audit = CheckpointService.AuditDossierId.ToString("D");
        Assert.Equal(1, await api.ScalarAsync($"SELECT count(*) FROM dossier WHERE id = '{audit}' AND data->>'recipient' = 'auditors.samenleven@abb.test.invalid'"));
        Assert.Equal(1, await api.ScalarAsync($"SELECT count(*) FROM notice WHERE dossier_id = '{audit}' AND template_id = 'checkpoint-digest'"));
    }
}
