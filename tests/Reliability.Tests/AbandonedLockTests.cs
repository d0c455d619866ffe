using System.Diagnostics;
using System.Text.Json.Nodes;
using Hangfire;
using Hangfire.PostgreSql;
using Hangfire.Storage;
using SubsidyEngine.Reliability.Tests.Infrastructure;
using Xunit.Abstractions;

namespace SubsidyEngine.Reliability.Tests;

/// <summary>
/// Scenario 6: a process killed while Hangfire's recurring-job scheduler holds its per-job locks (it takes one per
/// job every second) leaves those lock rows behind. Found by the full-size crash test: the next start failed
/// (exit 134, "Timeout expired ... distributed lock on 'hangfire:lock:recurring-job:deadline-timeouts'") and, with
/// Hangfire.PostgreSql's default of 10 minutes, no server would have run the minutely sweeps for that long. See
/// docs/reliability.md.
/// </summary>
public sealed class AbandonedLockTests(ITestOutputHelper output)
{
    private static readonly string[] Jobs = ["deadline-timeouts", "reminders", "notice-dispatch"];

    [Fact]
    public async Task Locks_left_by_a_killed_process_stop_neither_the_next_start_nor_the_sweeps_for_longer_than_the_lock_timeout()
    {
        // Longer than the 15 s Hangfire waits for a lock when registering a job, so the registration (in the
        // background, beside the start) meets the time-out and must try again.
        const int lockTimeout = 25;
        await using var rig = await FaultRig.StartAsync(output);
        rig.Settings["Subsidy__JobLockTimeoutSeconds"] = lockTimeout.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var first = await rig.StartServiceAsync("lock-a");
        first.Kill();

        // What a kill at the wrong moment leaves behind: every recurring job's lock, taken just now by the dead process.
        var resources = Jobs.Select(j => $"hangfire:lock:recurring-job:{j}").ToArray();
        await rig.ScalarAsync("WITH ins AS (INSERT INTO hangfire.lock (resource, updatecount, acquired) SELECT r, 0, now() FROM unnest($1::text[]) AS r ON CONFLICT DO NOTHING RETURNING 1) SELECT count(*) FROM ins", (object)resources);
        Assert.Equal(Jobs.Length, await rig.ScalarAsync("SELECT count(*) FROM hangfire.lock WHERE resource = ANY($1)", (object)resources));
        var locked = Stopwatch.StartNew();

        var second = await rig.StartServiceAsync("lock-b"); // throws if the process exits before it is ready
        var ready = locked.Elapsed;
        rig.Log($"second process ready {ready.TotalSeconds:F1} s after the locks were left (lock timeout {lockTimeout} s)");
        using var http = rig.Client(second);
        var timed = await FaultRig.CreateDossierAsync(http, "faults/timed", new JsonObject { ["reference"] = "L-0001", ["due"] = DateTimeOffset.UtcNow.AddDays(-1).ToString("O") });

        // The deadline's timeout fires as soon as the job runs again: trigger it (as the minutely schedule would) until it does.
        var storage = GlobalConfiguration.Configuration.UsePostgreSqlStorage(
            c => c.UseNpgsqlConnection(rig.ConnectionString), new PostgreSqlStorageOptions { SchemaName = "hangfire", PrepareSchemaIfNecessary = false }).Entry;
        var manager = new RecurringJobManager(storage);
        while (await rig.ScalarAsync("SELECT count(*) FROM dossier WHERE id = $1 AND state = 'Expired'", timed) == 0)
        {
            Assert.True(locked.Elapsed < TimeSpan.FromSeconds(lockTimeout + 45), $"the timeout did not fire within {lockTimeout + 45} s of the abandoned locks\n{second.LogTail(20)}");
            try
            {
                manager.Trigger("deadline-timeouts");
            }
            catch (Exception e) when (e is PostgreSqlDistributedLockException or DistributedLockTimeoutException)
            {
                // Still taken; the service removes it once it is older than the lock timeout.
            }

            await Task.Delay(1000);
        }

        var fired = locked.Elapsed;
        rig.Log($"timeout fired {fired.TotalSeconds:F1} s after the locks were left");
        Assert.False(second.HasExited, "the second process died");
        Assert.Equal(0, await rig.ScalarAsync("SELECT count(*) FROM hangfire.lock WHERE resource = ANY($1) AND acquired < now() - interval '20 seconds'", (object)resources));

        // The registration met the lock, gave up after Hangfire's 15 s, and succeeded once the lock counted as abandoned.
        var deadline = Stopwatch.StartNew();
        while (!second.Log.Contains("Recurring jobs registered after an earlier lock time-out", StringComparison.Ordinal))
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), "the recurring jobs were not registered again\n" + second.LogTail(20));
            await Task.Delay(500);
        }

        Assert.Contains("Recurring jobs not registered yet", second.Log, StringComparison.Ordinal);
        Assert.Equal(Jobs.Length + 1, await rig.ScalarAsync("SELECT count(*) FROM hangfire.set WHERE key = 'recurring-jobs'"));
    }
}
