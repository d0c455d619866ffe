using SubsidyEngine.Tools.Simulation;
using SubsidyEngine.Engine.Tests.Programmes;
using SubsidyEngine.Testing;

namespace SubsidyEngine.Engine.Tests.Simulation;

/// <summary>
/// The runs of the whole programme the tests look at, each through the real runtime on its own fresh database:
/// the default (seed 1), seed 1 again, and seed 2. They run concurrently (the machine has two cores and a run waits
/// on PostgreSQL much of the time), once for the class.
/// </summary>
public sealed class SimulationRuns : IAsyncLifetime
{
    private readonly Dictionary<string, SimulationSummary> _runs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ProgrammeSimulation> _simulations = new(StringComparer.Ordinal);
    private readonly List<PostgresDatabase> _databases = [];

    public async Task InitializeAsync()
    {
        var runs = new (string Name, int Seed)[] { ("default", 1), ("default-again", 1), ("seed-2", 2) };
        var results = await Task.WhenAll(runs.Select(async r =>
        {
            var db = new PostgresDatabase();
            lock (_databases)
            {
                _databases.Add(db);
            }

            await db.InitializeAsync();
            var clock = new SimulationClock(ProgrammeSimulation.StartTime);
            var simulation = new ProgrammeSimulation(db.DataSource, ProgrammeHarness.LoadCatalog(), ProgrammeHarness.Programmes, clock,
                new SimulationOptions { Seed = r.Seed, Parallelism = 2 });
            return (r.Name, Summary: await simulation.RunAsync(), Simulation: simulation, Db: db);
        }));
        foreach (var (name, summary, simulation, db) in results)
        {
            _runs[name] = summary;
            _simulations[name] = simulation;
            _dataSources[name] = db.DataSource;
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var db in _databases)
        {
            await db.DisposeAsync();
        }
    }

    private readonly Dictionary<string, Npgsql.NpgsqlDataSource> _dataSources = new(StringComparer.Ordinal);

    /// <summary>The check-data verb's check over a run's database (as the verb runs it on a service's database).</summary>
    public Task<SubsidyEngine.Engine.Audit.DataCheckReport> CheckDataAsync(string name) =>
        new SubsidyEngine.Engine.Audit.DataCheck(_dataSources[name], _simulations[name].Runtime.Catalog, _simulations[name].Runtime, ProgrammeHarness.Programmes,
            new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 9, 0, 0, TimeSpan.Zero))).CheckAllAsync();

    public Task<SimulationSummary> RunAsync(string name, int seed) =>
        Task.FromResult(_runs.TryGetValue(name, out var s) && s.Seed == seed ? s : throw new KeyNotFoundException($"no run '{name}' with seed {seed}"));
}

public sealed class ProgrammeSimulationTests(SimulationRuns runs) : IClassFixture<SimulationRuns>
{
    [Fact]
    public async Task The_default_run_reproduces_the_year2_figures_through_the_runtime()
    {
        var summary = await runs.RunAsync("default", 1);

        var year2 = summary.Year("2023")!;
        Assert.Equal(59, year2.Submitters);
        Assert.Equal(149, year2.Participants);
        Assert.Null(year2.ProRataRound);
        Assert.Equal(67_181, year2.Action("2.1")!.FundedUnits);
        Assert.Equal(4_030_860m, year2.Action("2.1")!.AllocatedEur);
        Assert.Equal(12_240, year2.Action("5.4")!.FundedUnits);
        Assert.Equal(3_916_800m, year2.Action("5.4")!.AllocatedEur);
        Assert.True(year2.AllocatedEur <= year2.BudgetEur);

        var year1 = summary.Year("2022")!;
        Assert.Equal((50, 106), (year1.Submitters, year1.Participants));
        Assert.NotNull(year1.ProRataRound); // year 1 is over budget on purpose
        Assert.True(year1.AllocatedEur <= year1.BudgetEur);

        var year3 = summary.Year("2024")!;
        Assert.Equal(59, year3.Submitters); // only year-2 submitters
        Assert.Equal(1, year3.Refused); // an authority that did not submit in year 2
        Assert.Equal(59, year3.DossiersExtended); // the extension migration

        Assert.All(summary.Years, y => Assert.Equal("closed", y.CallState));
        Assert.All(summary.Years, y => Assert.All(y.FinalStates, kv => Assert.Contains(kv.Key, new[] { "closed", "ineligible" })));
        Assert.Contains(summary.TimeoutsByTrigger, kv => kv.Key == "reaction-period-ended" && kv.Value > 0);
        Assert.Contains(summary.Years, y => y.Recoveries > 0);
    }

    [Fact]
    public async Task Replay_of_every_dossier_finds_no_divergence()
    {
        var summary = await runs.RunAsync("default", 1);

        Assert.Equal(0, summary.ReplayDivergences);
        Assert.EndsWith("0 divergences", summary.Replay, StringComparison.Ordinal);
        Assert.True(summary.JournalEvents > 1_000);
    }

    [Fact]
    public async Task Every_dossier_of_the_simulation_passes_check_data()
    {
        var report = await runs.CheckDataAsync("default");

        Assert.True(report.Dossiers > 150, $"{report.Dossiers} dossiers");
        Assert.True(report.Ok, string.Join("\n", report.Problems.Take(20)));
    }

    [Fact]
    public async Task The_same_seed_gives_the_same_summary_byte_for_byte()
    {
        var first = await runs.RunAsync("default", 1);
        var second = await runs.RunAsync("default-again", 1);

        Assert.Equal(first.Render(), second.Render());
    }

    [Fact]
    public async Task The_default_output_in_the_docs_is_what_the_default_run_prints()
    {
        var summary = await runs.RunAsync("default", 1);
        var docs = await File.ReadAllTextAsync(Path.Combine(ProgrammeHarness.RepoRoot, "docs", "simulation.md"));

        // The docs hold the CLI's output (parallelism 4, fsync on); the test ran with parallelism 2: same text.
        Assert.Contains(summary.Render().TrimEnd('\n'), docs.ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Another_seed_changes_the_generated_figures_but_not_the_calibrated_ones()
    {
        var first = await runs.RunAsync("default", 1);
        var other = await runs.RunAsync("seed-2", 2);

        Assert.NotEqual(first.Render(), other.Render());
        Assert.NotEqual(first.Year("2022")!.RequestedEur, other.Year("2022")!.RequestedEur);
        Assert.NotEqual(first.Year("2024")!.RequestedEur, other.Year("2024")!.RequestedEur);
        var year2 = other.Year("2023")!;
        Assert.Equal((59, 149), (year2.Submitters, year2.Participants));
        Assert.Equal((67_181L, 4_030_860m), (year2.Action("2.1")!.FundedUnits, year2.Action("2.1")!.AllocatedEur));
        Assert.Equal((12_240L, 3_916_800m), (year2.Action("5.4")!.FundedUnits, year2.Action("5.4")!.AllocatedEur));
        Assert.Equal(0, other.ReplayDivergences);
    }
}
