using System.Globalization;
using System.Text;

namespace SubsidyEngine.Engine.Programmes;

/// <summary>One problem found in a data file: which file, where in it (a JSON path like <c>$.actions[3].rates[0]</c> or a CSV line), and what.</summary>
public sealed record DataProblem(string File, string Location, string Message)
{
    /// <inheritdoc />
    public override string ToString() => $"{File} {Location}: {Message}";
}

/// <summary>Thrown when programme or authority data is invalid; carries every problem found, not only the first.</summary>
public sealed class ProgrammeDataException : Exception
{
    /// <summary>Creates the exception from the full list of problems.</summary>
    public ProgrammeDataException(IReadOnlyList<DataProblem> problems)
        : base(Describe(problems)) => Problems = problems;

    /// <summary>Creates an exception with a message only (no problem list).</summary>
    public ProgrammeDataException(string message) : base(message) => Problems = [];

    /// <summary>Creates an exception with a message and an inner exception.</summary>
    public ProgrammeDataException(string message, Exception innerException) : base(message, innerException) => Problems = [];

    /// <summary>Creates an exception without details.</summary>
    public ProgrammeDataException() : this("Invalid programme data.") { }

    /// <summary>Every problem found.</summary>
    public IReadOnlyList<DataProblem> Problems { get; }

    private static string Describe(IReadOnlyList<DataProblem> problems)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{problems.Count} problem(s) in the data:");
        foreach (var problem in problems)
        {
            text.AppendLine().Append("  ").Append(problem);
        }
        return text.ToString();
    }
}
