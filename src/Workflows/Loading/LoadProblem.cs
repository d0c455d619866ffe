using System.Globalization;
using System.Text.Json;

namespace SubsidyEngine.Workflows.Loading;

/// <summary>
/// One problem found in a file under <c>workflows/</c> (a workflow definition, a migration spec, programme data) or in
/// the authority register: the file (relative to the folder it was loaded from), where in it (a JSON path such as
/// <c>$.actions[3].rates[0]</c>; for a file that is not valid JSON, the line and byte; for a CSV file, the line or
/// <c>header</c>) and what is wrong.
/// </summary>
public sealed record LoadProblem(string File, string Path, string Message)
{
    public override string ToString() => $"{File}: {Path}: {Message}";

    /// <summary>
    /// A problem from a <see cref="JsonException"/>: the serializer's JSON path when it has one (a member of the wrong
    /// type, an unknown member), else the line and byte of a text that is not valid JSON.
    /// </summary>
    public static LoadProblem FromJson(string file, JsonException e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (e.Path is { } path)
        {
            return new LoadProblem(file, path, e.Message);
        }

        var where = e.LineNumber is { } line
            ? $"line {(line + 1).ToString(CultureInfo.InvariantCulture)}, byte {(e.BytePositionInLine ?? 0).ToString(CultureInfo.InvariantCulture)}"
            : "$";
        return new LoadProblem(file, where, $"not valid JSON: {e.Message}");
    }
}

/// <summary>Raised when files are invalid; lists every problem of every file, one per line.</summary>
public class LoadProblemsException : Exception
{
    public LoadProblemsException(IReadOnlyList<LoadProblem> problems)
        : base(Describe(problems)) => Problems = problems;

    public LoadProblemsException()
        : this([])
    {
    }

    public LoadProblemsException(string message)
        : base(message) => Problems = [];

    public LoadProblemsException(string message, Exception innerException)
        : base(message, innerException) => Problems = [];

    /// <summary>Every problem found.</summary>
    public IReadOnlyList<LoadProblem> Problems { get; }

    private static string Describe(IReadOnlyList<LoadProblem> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        return $"{problems.Count.ToString(CultureInfo.InvariantCulture)} problem(s) in the workflow files:"
            + string.Concat(problems.Select(p => "\n  - " + p));
    }
}
