using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using SubsidyEngine.Templates;
using SubsidyEngine.Pdf;

namespace SubsidyEngine.Bench;

/// <summary>
/// HTML letters per second (the award decision, the largest letter, rendered with its restricted Scriban context
/// and canonicalised and hashed) on all cores, and PDF letters per second through the one shared headless Chromium.
/// </summary>
public static class LettersScenario
{
    public static async Task<IReadOnlyList<string>> RunAsync(bool quick)
    {
        var model = JsonNode.Parse(File.ReadAllText(FindModel("award-decision.json")))!.AsObject();
        var renderer = new LetterRenderer();
        var first = renderer.Render("award-decision", 1, model);
        if (Environment.GetEnvironmentVariable("LETTERS_PROFILE") == "1")
        {
            Profile(renderer, model, first);
        }

        // Warm-up until the JIT has settled. With tiered compilation (and dynamic PGO) the renderer's methods, most of
        // them Scriban's, run as slow tier-0 and instrumented code until the background JIT has recompiled them, which
        // took several seconds of a 5-second window on this shared machine: the old fixed warm-up of 200 letters
        // measured mostly the JIT. The warm-up renders on every core, like the measurement, until no method has been
        // compiled for a second (at most 30 s), and reports that cold phase separately.
        long warmLetters = 0;
        var warm = Stopwatch.StartNew();
        var warmCpu = Process.GetCurrentProcess().TotalProcessorTime;
        using (var stop = new CancellationTokenSource())
        {
            var warmers = Enumerable.Range(0, Environment.ProcessorCount).Select(_ => Task.Factory.StartNew(
                () =>
                {
                    while (!stop.IsCancellationRequested)
                    {
                        renderer.Render("award-decision", 1, model);
                        Interlocked.Increment(ref warmLetters);
                    }
                },
                TaskCreationOptions.LongRunning)).ToArray();
            var jitted = System.Runtime.JitInfo.GetCompiledMethodCount();
            var stableSince = warm.Elapsed;
            while (warm.Elapsed - stableSince < TimeSpan.FromSeconds(1) && warm.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(100);
                var now = System.Runtime.JitInfo.GetCompiledMethodCount();
                if (now != jitted)
                {
                    jitted = now;
                    stableSince = warm.Elapsed;
                }
            }

            await stop.CancelAsync();
            await Task.WhenAll(warmers);
        }

        Console.WriteLine(
            $"warm-up: {warmLetters} letters in {warm.Elapsed.TotalSeconds:F1} s ({warmLetters / warm.Elapsed.TotalSeconds:F0}/s,"
            + $" process CPU {(Process.GetCurrentProcess().TotalProcessorTime - warmCpu).TotalMicroseconds / Math.Max(1, warmLetters):F0} us/letter)"
            + $" until the JIT settled: {System.Runtime.JitInfo.GetCompiledMethodCount()} methods compiled, {System.Runtime.JitInfo.GetCompilationTime().TotalSeconds:F1} s of JIT");

        var seconds = quick ? 5 : 15;
        long html = 0;
        long onCpuNs = 0; // the rendering threads' own CPU time and run-queue wait, from /proc/thread-self/schedstat
        long waitNs = 0;
        long allocated = 0;
        var gcBefore = (Gen0: GC.CollectionCount(0), Gen1: GC.CollectionCount(1), Gen2: GC.CollectionCount(2));
        var pauseBefore = GC.GetTotalPauseDuration();
        var contentionBefore = Monitor.LockContentionCount;
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Environment.ProcessorCount).Select(_ => Task.Factory.StartNew(
            () =>
            {
                var (cpu0, wait0) = ThreadSchedStat();
                var bytes0 = GC.GetAllocatedBytesForCurrentThread();
                while (sw.Elapsed < TimeSpan.FromSeconds(seconds))
                {
                    var letter = renderer.Render("award-decision", 1, model);
                    if (letter.HtmlSha256 != first.HtmlSha256)
                    {
                        throw new InvalidOperationException("the same model rendered to different bytes");
                    }

                    Interlocked.Increment(ref html);
                }

                Interlocked.Add(ref allocated, GC.GetAllocatedBytesForCurrentThread() - bytes0);
                var (cpu1, wait1) = ThreadSchedStat();
                Interlocked.Add(ref onCpuNs, cpu1 - cpu0);
                Interlocked.Add(ref waitNs, wait1 - wait0);
            },
            TaskCreationOptions.LongRunning)));
        var elapsed = sw.Elapsed;
        var processCpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        var htmlPerSecond = html / elapsed.TotalSeconds;
        Console.WriteLine($"html letters: {htmlPerSecond:F0}/s on {Environment.ProcessorCount} threads, {first.Html.Length} characters each");
        Console.WriteLine(
            $"html letters: process CPU {processCpu.TotalMicroseconds / html:F0} us/letter, rendering threads on CPU {onCpuNs / 1e3 / html:F0} us/letter"
            + $" and waiting for a CPU {waitNs / 1e3 / html:F0} us/letter (load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]});"
            + $" {allocated / html / 1024.0:F1} KB allocated/letter; GCs gen0/1/2 {GC.CollectionCount(0) - gcBefore.Gen0}/{GC.CollectionCount(1) - gcBefore.Gen1}/{GC.CollectionCount(2) - gcBefore.Gen2},"
            + $" paused {(GC.GetTotalPauseDuration() - pauseBefore).TotalMilliseconds:F0} ms ({System.Runtime.GCSettings.IsServerGC switch { true => "server", false => "workstation" }} GC);"
            + $" lock contentions {Monitor.LockContentionCount - contentionBefore}");

        if (Environment.GetEnvironmentVariable("LETTERS_SKIP_PDF") == "1")
        {
            // For measuring the HTML side alone (the RESULT line then reports no PDF figure).
            return [$"RESULT letters html_per_s={htmlPerSecond:F0} pdf_per_s=0"];
        }

        await using var pdf = new PdfRenderer();
        await pdf.RenderAsync(first); // starts Chromium
        long pdfs = 0;
        sw.Restart();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (sw.Elapsed < TimeSpan.FromSeconds(seconds))
            {
                var bytes = await pdf.RenderAsync(first);
                if (bytes.Length < 1000)
                {
                    throw new InvalidOperationException("suspiciously small PDF");
                }

                Interlocked.Increment(ref pdfs);
            }
        })));
        var pdfPerSecond = pdfs / sw.Elapsed.TotalSeconds;
        Console.WriteLine($"pdf letters: {pdfPerSecond:F1}/s with 4 concurrent renders in one Chromium");
        return [$"RESULT letters html_per_s={htmlPerSecond:F0} pdf_per_s={pdfPerSecond:F1}"];
    }

    /// <summary>
    /// LETTERS_PROFILE=1: the steady-state cost per letter on one thread, by phase (the whole render, and the public
    /// steps it ends with), best of 7 rounds of thread CPU time after a long warm-up, with the bytes allocated.
    /// </summary>
    private static void Profile(LetterRenderer renderer, JsonObject model, RenderedLetter letter)
    {
        const int n = 2_000;
        void Phase(string name, Action action)
        {
            for (var i = 0; i < 3 * n; i++)
            {
                action();
            }

            var best = double.MaxValue;
            double bytes = 0;
            for (var round = 0; round < 7; round++)
            {
                var allocated = GC.GetAllocatedBytesForCurrentThread();
                var (cpu, _) = ThreadSchedStat();
                for (var i = 0; i < n; i++)
                {
                    action();
                }

                best = Math.Min(best, (ThreadSchedStat().OnCpu - cpu) / 1e3 / n);
                bytes = (GC.GetAllocatedBytesForCurrentThread() - allocated) / (double)n;
            }

            Console.WriteLine($"profile: {name,-34} {best,7:F1} us CPU {bytes / 1024,7:F1} KB per letter");
        }

        Phase("whole render (model to hash)", () => renderer.Render("award-decision", 1, model));
        Phase("plain text (HtmlText.ToPlainText)", () => HtmlText.ToPlainText(letter.Html));
        Phase("canonical HTML (Canonical.Html)", () => Canonical.Html(letter.Html));
        Phase("SHA-256 (Canonical.Sha256)", () => Canonical.Sha256(letter.Html));
    }

    /// <summary>This thread's time on a CPU and waiting in the run queue, in ns (Linux; zeros elsewhere).</summary>
    private static (long OnCpu, long Waiting) ThreadSchedStat()
    {
        try
        {
            var parts = File.ReadAllText("/proc/thread-self/schedstat").Split(' ');
            return (long.Parse(parts[0], CultureInfo.InvariantCulture), long.Parse(parts[1], CultureInfo.InvariantCulture));
        }
        catch (IOException)
        {
            return (0, 0);
        }
    }

    private static string FindModel(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "Templates.Tests", "Models", name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException(name);
    }
}
