using System.Runtime.CompilerServices;
using System.Text;

namespace SubsidyEngine.Templates.Tests;

/// <summary>
/// Approved-file snapshots under tests/Templates.Tests/Approved. A mismatch fails and writes
/// <c>name.received.ext</c> next to the approved file. A missing approved file fails in CI (CI=true or
/// SNAPSHOOTER_STRICT_MODE=true); elsewhere it is written and the test passes, to be reviewed and committed.
/// </summary>
internal static class ApprovedFile
{
    public static string Directory { get; } = Path.Combine(SourceDirectory(), "Approved");

    public static void Verify(string fileName, string actual)
    {
        var approvedPath = Path.Combine(Directory, fileName);
        var receivedPath = Path.Combine(Directory, Path.GetFileNameWithoutExtension(fileName) + ".received" + Path.GetExtension(fileName));
        var utf8 = new UTF8Encoding(false);
        if (!File.Exists(approvedPath))
        {
            if (IsStrict())
            {
                File.WriteAllText(receivedPath, actual, utf8);
                Assert.Fail($"Approved file {approvedPath} is missing (strict mode in CI). Review {receivedPath} and commit it as the approved file.");
            }

            System.IO.Directory.CreateDirectory(Directory);
            File.WriteAllText(approvedPath, actual, utf8);
            return;
        }

        var approved = File.ReadAllText(approvedPath, utf8);
        if (approved != actual)
        {
            File.WriteAllText(receivedPath, actual, utf8);
            Assert.Fail($"{fileName} differs from the approved file. Compare: diff {approvedPath} {receivedPath}");
        }

        File.Delete(receivedPath);
    }

    private static bool IsStrict() =>
        string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)
        || string.Equals(Environment.GetEnvironmentVariable("SNAPSHOOTER_STRICT_MODE"), "true", StringComparison.OrdinalIgnoreCase);

    private static string SourceDirectory([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
