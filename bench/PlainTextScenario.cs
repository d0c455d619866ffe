using System.Globalization;
using SubsidyEngine.Templates;

namespace SubsidyEngine.Bench;

/// <summary>
/// The plain-text derivation alone (issue 21): the hand-written <see cref="HtmlText"/> against the walker over
/// AngleSharp's DOM (<see cref="PlainTextWalker"/>), on every approved letter, alternating the two in one process:
/// thread CPU and bytes allocated per letter, best of each round. Checks first that both give the same text.
/// </summary>
public static class PlainTextScenario
{
    public static Task<IReadOnlyList<string>> RunAsync(bool quick)
    {
        var letters = Directory.GetFiles(FindApproved(), "*.html").Order(StringComparer.Ordinal).Select(File.ReadAllText).ToList();
        foreach (var letter in letters)
        {
            if (HtmlText.ToPlainText(letter) != PlainTextWalker.ToPlainText(letter))
            {
                throw new InvalidOperationException("the walker's text differs from HtmlText's on an approved letter");
            }
        }

        var rounds = quick ? 4 : 8;
        var n = quick ? 50 : 200; // passes over all letters per measurement
        double Measure(Func<string, string> convert, out double kb)
        {
            var allocated = GC.GetAllocatedBytesForCurrentThread();
            var cpu = ThreadCpuNs();
            for (var i = 0; i < n; i++)
            {
                foreach (var letter in letters)
                {
                    convert(letter);
                }
            }

            var count = (double)n * letters.Count;
            kb = (GC.GetAllocatedBytesForCurrentThread() - allocated) / count / 1024;
            return (ThreadCpuNs() - cpu) / 1e3 / count;
        }

        // Warm-up of both (tiered JIT), then alternate.
        for (var i = 0; i < 3; i++)
        {
            Measure(HtmlText.ToPlainText, out _);
            Measure(PlainTextWalker.ToPlainText, out _);
        }

        var old = new List<double>();
        var walker = new List<double>();
        double oldKb = 0, walkerKb = 0;
        for (var round = 0; round < rounds; round++)
        {
            old.Add(Measure(HtmlText.ToPlainText, out oldKb));
            walker.Add(Measure(PlainTextWalker.ToPlainText, out walkerKb));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"round {round + 1}: HtmlText {old[^1],7:F1} us  walker {walker[^1],7:F1} us per letter (load {File.ReadAllText("/proc/loadavg").Split(' ')[0]})"));
        }

        var average = letters.Average(l => l.Length);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{letters.Count} approved letters, {average:F0} characters on average; HtmlText {oldKb:F1} KB, walker {walkerKb:F1} KB allocated per letter"));
        return Task.FromResult<IReadOnlyList<string>>(
        [
            string.Create(CultureInfo.InvariantCulture,
                $"RESULT plaintext htmltext_us={old.Min():F1} walker_us={walker.Min():F1} ratio={walker.Min() / old.Min():F2} htmltext_kb={oldKb:F1} walker_kb={walkerKb:F1}"),
        ]);
    }

    private static long ThreadCpuNs()
    {
        try
        {
            return long.Parse(File.ReadAllText("/proc/thread-self/schedstat").Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static string FindApproved()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "Templates.Tests", "Approved");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("tests/Templates.Tests/Approved not found above the bench");
    }
}
