using SubsidyEngine.Workflows.Loading;

namespace SubsidyEngine.Engine.Programmes;

/// <summary>
/// Thrown by <see cref="ProgrammeLoader.Load"/> and <see cref="AuthorityCsv.Load(string)"/> when programme or
/// authority data is invalid; carries every problem found (the same <see cref="LoadProblem"/> as the definitions').
/// </summary>
public sealed class ProgrammeDataException : LoadProblemsException
{
    /// <summary>Creates the exception from the full list of problems.</summary>
    public ProgrammeDataException(IReadOnlyList<LoadProblem> problems)
        : base(problems)
    {
    }

    /// <summary>Creates an exception with a message only (no problem list).</summary>
    public ProgrammeDataException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and an inner exception.</summary>
    public ProgrammeDataException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception without details.</summary>
    public ProgrammeDataException()
        : this("Invalid programme data.")
    {
    }
}
