using Npgsql;
using SubsidyEngine.Engine.Audit;
using SubsidyEngine.Engine.Database;
using SubsidyEngine.Testing;

namespace SubsidyEngine.Engine.Tests.Audit;

/// <summary>
/// The replay of everything reads the journal and the projections in two transactions that share one snapshot, so both
/// must be on one server. A multi-host stale-reads source (issue 22: <c>prefer-standby</c> over the formation's nodes,
/// or a balanced list) may hand out connections on different hosts; here two names of the one test server stand for two
/// nodes, balanced, so consecutive plain opens alternate between them.
/// </summary>
public sealed class SameHostTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>
{
    private NpgsqlDataSource Balanced()
    {
        var b = new NpgsqlConnectionStringBuilder(db.ConnectionString);
        b.Host = $"127.0.0.1:{b.Port},localhost:{b.Port}";
        b.LoadBalanceHosts = true;
        b.TargetSessionAttributes = "prefer-standby";
        return NpgsqlDataSource.Create(b.ConnectionString);
    }

    [Fact]
    public async Task A_second_connection_opened_beside_the_first_reaches_the_first_ones_host_on_a_balanced_multi_host_source()
    {
        await using var source = Balanced();
        var plainHosts = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < 10; i++)
        {
            await using var first = await source.OpenConnectionAsync();
            await using var plain = await source.OpenConnectionAsync();
            await using var beside = await SameHost.OpenBesideAsync(source, first, CancellationToken.None);
            Assert.Equal(first.Host, beside.Host);
            Assert.Equal(first.Port, beside.Port);
            plainHosts.Add(first.Host!);
            plainHosts.Add(plain.Host!);
        }

        // The source does spread plain opens over both names: without OpenBesideAsync the pair would split.
        Assert.Equal(2, plainHosts.Count);
    }

    /// <summary>
    /// The replay itself on such a source (both names reach one server here, so this shows the replay works through a
    /// balanced multi-host source and verifies its checkpoints; the pairing is the test above).
    /// </summary>
    [Fact]
    public async Task The_replay_of_everything_runs_on_a_balanced_multi_host_source()
    {
        await db.ResetAsync();
        var h = new AuditHarness(db);
        await h.SeedAsync();
        await h.Checkpoints.TakeAsync();

        await using var source = Balanced();
        var replayer = new Replayer(source, h.Catalog, new Journal.JournalStore(source));
        for (var i = 0; i < 4; i++)
        {
            var summary = await replayer.ReplayAllAsync(new ReplayAllOptions());
            Assert.True(summary.Ok, string.Join("\n", summary.CheckpointProblems));
            Assert.Equal(5, summary.Dossiers);
        }
    }
}
