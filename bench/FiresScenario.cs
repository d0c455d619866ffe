using System.Diagnostics;
using System.Text;
using SubsidyEngine.Engine.Audit;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Workflows.Expressions;
using SubsidyEngine.Workflows.Loading;

namespace SubsidyEngine.Bench;

/// <summary>
/// Durable fires per second at 1, 8 and 32 concurrent dossiers, against the raw single-row INSERT commit rate of
/// the same database measured in the same run (the physical limit of this machine's disk and cores).
/// </summary>
public static class FiresScenario
{
    internal const string Definition = """
    {
      "id": "bench/cycle", "version": 1, "initial": "A",
      "states": [ { "id": "A" }, { "id": "B" }, { "id": "C" } ],
      "triggers": [ { "id": "next", "parameters": [ { "name": "n", "type": "int" } ] } ],
      "transitions": [
        { "from": "A", "trigger": "next", "to": "B", "roles": ["officer"], "assign": { "last": "args.n" } },
        { "from": "B", "trigger": "next", "to": "C", "roles": ["officer"], "assign": { "last": "args.n" } },
        { "from": "C", "trigger": "next", "to": "A", "roles": ["officer"], "assign": { "last": "args.n" } }
      ]
    }
    """;

    internal sealed class NoTemplates : ILetterTemplates
    {
        public bool Exists(string templateId) => false;

        public int LatestVersion(string templateId) => throw new InvalidOperationException();
    }

    public static async Task<IReadOnlyList<string>> RunAsync(bool quick)
    {
        var seconds = quick ? 4 : 15;
        await using var cluster = await BenchCluster.StartAsync();
        var ds = cluster.DataSource;
        var problems = new List<LoadProblem>();
        var def = DefinitionLoader.LoadDefinition(Encoding.UTF8.GetBytes(Definition), "bench/cycle.v1.json", problems)!;
        var catalog = WorkflowCatalog.FromDefinitions([def], new RuleRegistry(), new NoTemplates());
        var clock = TimeProvider.System;
        var runtime = new WorkflowRuntime(ds, catalog, new DefinitionStore(ds, clock), clock);
        var officer = new Actor("bench", "officer");

        await using (var create = ds.CreateCommand("CREATE TABLE bench_raw (id bigserial PRIMARY KEY, v text NOT NULL)"))
        {
            await create.ExecuteNonQueryAsync();
        }

        // Warm-up: JIT, pools, caches.
        var warm = await runtime.CreateAsync(new CreateRequest("bench/cycle", new(), officer));
        for (var i = 0; i < 200; i++)
        {
            await runtime.FireAsync(new FireRequest(warm.DossierId, "next", new() { ["n"] = i }, officer));
        }

        // Baseline and fires alike write into recycled WAL segments, as on a server that has run a while.
        Console.WriteLine($"WAL: {await cluster.RecycleWalAsync(48)} segment files ready for reuse");
        var lines = new List<string>();
        var pgData = cluster.Postgres.Settings.ClusterDirectory;
        var (baseline32, baseCpu) = await MeasureWithCpuAsync(pgData, 32, seconds, async (_, i) =>
        {
            await using var cmd = ds.CreateCommand("INSERT INTO bench_raw (v) VALUES ($1)");
            cmd.Parameters.AddWithValue("x" + i);
            await cmd.ExecuteNonQueryAsync();
        });
        Console.WriteLine($"baseline raw INSERT commits, 32 clients: {baseline32:F0}/s; CPU per commit: bench process {baseCpu.Process:F0} us, PostgreSQL {baseCpu.Postgres:F0} us");

        var rates = new Dictionary<int, double>();
        var cpus = new Dictionary<int, (double Process, double Postgres)>();
        foreach (var concurrency in new[] { 1, 8, 32 })
        {
            var dossiers = new Guid[concurrency];
            for (var w = 0; w < concurrency; w++)
            {
                dossiers[w] = (await runtime.CreateAsync(new CreateRequest("bench/cycle", new(), officer))).DossierId;
            }

            await cluster.ResetStatementsAsync();
            var (rate, cpu) = await MeasureWithCpuAsync(pgData, concurrency, seconds, (w, i) =>
                runtime.FireAsync(new FireRequest(dossiers[w], "next", new() { ["n"] = i }, officer)));
            Console.WriteLine($"fires, {concurrency} concurrent dossiers: {rate:F0}/s; CPU per fire: bench process (the runtime) {cpu.Process:F0} us, PostgreSQL {cpu.Postgres:F0} us");
            await cluster.PrintStatementsAsync($"fires at {concurrency} concurrent dossiers", (long)(rate * seconds));
            lines.Add($"fires c={concurrency} per_s={rate:F0}");
            rates[concurrency] = rate;
            cpus[concurrency] = cpu;
        }

        // Every chain must still verify after the load.
        var replay = await new Replayer(ds, catalog, new JournalStore(ds)).ReplayAllAsync();
        Console.WriteLine(replay.OneLine);
        if (replay.DivergentDossiers != 0)
        {
            throw new InvalidOperationException("replay found divergences after the benchmark");
        }

        var fires32 = rates[32];
        lines.Add($"RESULT fires per_s={fires32:F0} baseline_per_s={baseline32:F0} ratio={fires32 / baseline32:F2} c8_per_s={rates[8]:F0} c1_per_s={rates[1]:F0} events={replay.Events} " +
                  $"cpu_us_runtime={cpus[32].Process:F0} cpu_us_postgres={cpus[32].Postgres:F0} baseline_cpu_us_process={baseCpu.Process:F0} baseline_cpu_us_postgres={baseCpu.Postgres:F0}");
        return lines;
    }

    /// <summary>
    /// <see cref="MeasureAsync"/>, plus the CPU per operation (microseconds) of this process and of the PostgreSQL
    /// cluster in <paramref name="pgData"/> (postmaster and backends), from /proc.
    /// </summary>
    private static async Task<(double PerSecond, (double Process, double Postgres) CpuUs)> MeasureWithCpuAsync(
        string pgData, int workers, int seconds, Func<int, int, Task> op)
    {
        var process = Process.GetCurrentProcess().TotalProcessorTime;
        var postgres = ProcessCpu.OfCluster(pgData);
        var watch = Stopwatch.StartNew();
        var rate = await MeasureAsync(workers, seconds, op);
        var operations = rate * watch.Elapsed.TotalSeconds;
        double Us(TimeSpan t) => t.TotalMicroseconds / Math.Max(1, operations);
        return (rate, (Us(Process.GetCurrentProcess().TotalProcessorTime - process), Us(ProcessCpu.OfCluster(pgData) - postgres)));
    }

    /// <summary>Runs <paramref name="workers"/> loops for <paramref name="seconds"/> and returns operations per second.</summary>
    public static async Task<double> MeasureAsync(int workers, int seconds, Func<int, int, Task> op)
    {
        long count = 0;
        var stop = Stopwatch.StartNew();
        var until = TimeSpan.FromSeconds(seconds);
        var tasks = Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
        {
            var i = 0;
            while (stop.Elapsed < until)
            {
                await op(w, i++);
                Interlocked.Increment(ref count);
            }
        })).ToArray();
        await Task.WhenAll(tasks);
        return count / stop.Elapsed.TotalSeconds;
    }
}
