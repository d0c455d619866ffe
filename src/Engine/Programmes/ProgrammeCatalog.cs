using SubsidyEngine.Engine.Programmes.Model;
using SubsidyEngine.Workflows.Loading;

namespace SubsidyEngine.Engine.Programmes;

/// <summary>The programmes that loaded (and the register, empty when its file has problems), and every problem found.</summary>
public sealed record ProgrammeCatalogLoad(ProgrammeCatalog Catalog, IReadOnlyList<LoadProblem> Problems);

/// <summary>
/// Every programme's data (calls, catalogues, parameters) loaded from the workflows folder, and the register of
/// authorities. Versioned files, loaded once; rules read them through here so that a replay uses the same data.
/// </summary>
public sealed class ProgrammeCatalog
{
    private readonly Dictionary<string, Programme> _programmes;

    public ProgrammeCatalog(IEnumerable<Programme> programmes, AuthorityRegister authorities, string? authoritiesFile = null)
    {
        _programmes = programmes.ToDictionary(p => p.Id, StringComparer.Ordinal);
        Authorities = authorities;
        AuthoritiesFile = authoritiesFile;
    }

    public AuthorityRegister Authorities { get; }

    public string? AuthoritiesFile { get; }

    public IReadOnlyCollection<Programme> Programmes => _programmes.Values;

    public Programme Programme(string id) =>
        _programmes.TryGetValue(id, out var p) ? p : throw new KeyNotFoundException($"Programme '{id}' does not exist.");

    public Call Call(string programmeId, string callId) =>
        Programme(programmeId).FindCall(callId) ?? throw new KeyNotFoundException($"Call '{callId}' of programme '{programmeId}' does not exist.");

    public bool TryGetCall(string programmeId, string callId, out Call? call)
    {
        call = _programmes.TryGetValue(programmeId, out var p) ? p.FindCall(callId) : null;
        return call is not null;
    }

    /// <summary>
    /// Loads every folder under <paramref name="workflowsFolder"/> that holds a programme.json, and the register CSV;
    /// throws <see cref="LoadProblemsException"/> with every problem of every file.
    /// </summary>
    public static ProgrammeCatalog Load(string workflowsFolder, string authoritiesCsv)
    {
        var loaded = TryLoad(workflowsFolder, authoritiesCsv);
        return loaded.Problems.Count == 0 ? loaded.Catalog : throw new LoadProblemsException(loaded.Problems);
    }

    /// <summary>
    /// Loads every programme folder and the register without throwing: the catalogue of what loaded (the programmes
    /// without problems; an empty register when the CSV has problems) and every problem, each file named relative to
    /// <paramref name="workflowsFolder"/> (<c>plan-samenleven/calls/2023.json</c>) as the definitions' are.
    /// </summary>
    public static ProgrammeCatalogLoad TryLoad(string workflowsFolder, string authoritiesCsv)
    {
        var programmes = new List<Programme>();
        var problems = new List<LoadProblem>();
        if (Directory.Exists(workflowsFolder))
        {
            foreach (var dir in Directory.GetDirectories(workflowsFolder).Order(StringComparer.Ordinal))
            {
                if (!File.Exists(Path.Combine(dir, ProgrammeLoader.ProgrammeFileName)))
                {
                    continue;
                }

                var result = ProgrammeLoader.TryLoad(dir);
                if (result.Succeeded)
                {
                    programmes.Add(result.Programme!);
                }
                else
                {
                    var name = Path.GetFileName(dir);
                    problems.AddRange(result.Problems.Select(p => p with { File = $"{name}/{p.File}" }));
                }
            }
        }

        var register = AuthorityCsv.TryLoad(authoritiesCsv);
        problems.AddRange(register.Problems);
        return new ProgrammeCatalogLoad(new ProgrammeCatalog(programmes, register.Succeeded ? register.Register! : new AuthorityRegister([]), authoritiesCsv), problems);
    }
}
