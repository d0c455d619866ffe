using SubsidyEngine.Engine.Programmes.Model;

namespace SubsidyEngine.Engine.Programmes;

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

    /// <summary>Loads every folder under <paramref name="workflowsFolder"/> that holds a programme.json, and the register CSV.</summary>
    public static ProgrammeCatalog Load(string workflowsFolder, string authoritiesCsv)
    {
        var programmes = new List<Programme>();
        var problems = new List<string>();
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
                    problems.AddRange(result.Problems.Select(p => p.ToString()));
                }
            }
        }

        var register = AuthorityCsv.TryLoad(authoritiesCsv);
        if (!register.Succeeded)
        {
            problems.AddRange(register.Problems.Select(p => p.ToString()));
        }

        if (problems.Count > 0)
        {
            throw new InvalidOperationException("Invalid programme data:\n  - " + string.Join("\n  - ", problems));
        }

        return new ProgrammeCatalog(programmes, register.Register!, authoritiesCsv);
    }
}
