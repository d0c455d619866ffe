using System.Text.Json.Nodes;
using Npgsql;
using SubsidyEngine.Engine.Programmes;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Workflows.Compilation;
using SubsidyEngine.Workflows.Expressions;
using SubsidyEngine.Workflows.Model;
using SubsidyEngine.Workflows.Schema;

namespace SubsidyEngine.Engine.Audit;

/// <summary>One thing wrong with a stored dossier: where (a JSON path into its data, or <c>$</c>) and what.</summary>
public sealed record DataProblem(Guid DossierId, string Workflow, int Version, string Path, string Problem)
{
    public override string ToString() => $"{DossierId:D} {Workflow} v{Version} {Path}: {Problem}";
}

/// <summary>The outcome of <see cref="DataCheck.CheckAllAsync"/>.</summary>
public sealed record DataCheckReport(int Dossiers, IReadOnlyList<DataProblem> Problems)
{
    public bool Ok => Problems.Count == 0;
}

/// <summary>
/// Checks every stored dossier against the definition version it runs on (the <c>check-data</c> verb): the
/// definition and the state exist; every data member that an argument writes (<c>"field": "args.name"</c> in an
/// assignment, or every creation argument in runtime 1) matches that argument's declared schema; and the reads a
/// user triggers (the permitted transitions with their guards, and for a programme's application its table) work
/// on the data as stored. Data that passes cannot crash a read; data that fails is listed, so it can be corrected
/// by a migration before a user meets it. See docs/decisions/2026-12-07-trust-boundary.md.
/// </summary>
public sealed class DataCheck(NpgsqlDataSource dataSource, WorkflowCatalog catalog, WorkflowRuntime runtime, ProgrammeCatalog programmes, TimeProvider clock)
{
    private static readonly Actor Checker = new("check-data", Roles.Officer);

    /// <summary>Dossiers read per round trip.</summary>
    internal int PageSize { get; init; } = 1_000;

    public async Task<DataCheckReport> CheckAllAsync(IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        var problems = new List<DataProblem>();
        var dossiers = 0;
        var schemas = new Dictionary<(string, int), IReadOnlyList<(string Field, ParameterDefinition Parameter)>>();
        // Pages of PageSize dossiers in id order (keyset): memory stays flat however many dossiers there are, and the
        // reading connection is not held open while each dossier's options are read on another one.
        var after = Guid.Empty;
        while (true)
        {
            var rows = new List<(Guid Id, string Workflow, int Version, string State, string Data)>(PageSize);
            await using (var cmd = dataSource.CreateCommand(
                "SELECT id, workflow_id, workflow_version, state, data::text FROM dossier WHERE id > $1 ORDER BY id LIMIT $2"))
            {
                cmd.Parameters.AddWithValue(after);
                cmd.Parameters.AddWithValue(PageSize);
                await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    rows.Add((reader.GetGuid(0), reader.GetString(1), reader.GetInt32(2), reader.GetString(3), reader.GetString(4)));
                }
            }

            foreach (var (id, workflow, version, state, text) in rows)
            {
                dossiers++;
                var found = new List<DataProblem>();
                await CheckAsync(id, workflow, version, state, text, schemas, found, cancellationToken);
                problems.AddRange(found);
                progress?.Report(dossiers);
            }

            if (rows.Count < PageSize)
            {
                break;
            }

            after = rows[^1].Id;
        }

        return new DataCheckReport(dossiers, problems);
    }

    private async Task CheckAsync(Guid id, string workflow, int version, string state, string text,
        Dictionary<(string, int), IReadOnlyList<(string Field, ParameterDefinition Parameter)>> schemas, List<DataProblem> problems, CancellationToken cancellationToken)
    {
        void Problem(string path, string what) => problems.Add(new DataProblem(id, workflow, version, path, what));

        CompiledWorkflow wf;
        try
        {
            wf = catalog.Get(workflow, version);
        }
        catch (WorkflowNotFoundException)
        {
            Problem("$", $"the definition {workflow} v{version} is not loaded");
            return;
        }

        if (wf.Definition.FindState(state) is null)
        {
            Problem("$", $"state '{state}' is not a state of {workflow} v{version}");
        }

        JsonObject data;
        try
        {
            data = JsonNode.Parse(text) as JsonObject ?? throw new FormatException("not a JSON object");
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or FormatException)
        {
            Problem("$", "the data is not a JSON object: " + e.Message);
            return;
        }

        if (!schemas.TryGetValue((workflow, version), out var fields))
        {
            fields = schemas[(workflow, version)] = ArgumentFields(wf.Definition);
        }

        foreach (var (field, parameter) in fields)
        {
            var value = Workflows.Expressions.ValueResolver.Navigate(data, field);
            if (value is null)
            {
                continue; // optional, or not reached yet
            }

            var wrapped = new JsonObject { [parameter.Name] = value.DeepClone() };
            foreach (var e in ArgumentSchema.Validate([parameter with { Required = false }], wrapped, commentRequired: false))
            {
                Problem("$." + field + e.Path[(2 + parameter.Name.Length)..], e.En);
            }
        }

        try
        {
            _ = await runtime.GetOptionsAsync(id, Checker, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Problem("$", $"the permitted transitions cannot be read: {e.GetType().Name}: {e.Message}");
        }

        var programme = ProgrammeGuards.Str(data, "programme");
        if (programme is not null && workflow == ProgrammeService.DossierWorkflow(programme))
        {
            try
            {
                if (ApplicationTableView.Of(programmes, data, state, clock.GetUtcNow()) is null)
                {
                    Problem("$.call.id", $"names no call of programme '{programme}'");
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Problem("$.application", $"the application table cannot be read: {e.GetType().Name}: {e.Message}");
            }
        }
    }

    /// <summary>
    /// The data members an argument writes, with that argument's schema: every <c>"field": "args.name"</c> of the
    /// creation and the transitions (runtime 2), or every creation argument (runtime 1 copied them into the data).
    /// A member that something other than an argument also writes (an input, a computation) is left out.
    /// </summary>
    public static IReadOnlyList<(string Field, ParameterDefinition Parameter)> ArgumentFields(WorkflowDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var result = new Dictionary<string, ParameterDefinition>(StringComparer.Ordinal);
        var other = new HashSet<string>(StringComparer.Ordinal);
        if (definition.Runtime < 2)
        {
            foreach (var p in definition.Creation?.Parameters ?? [])
            {
                result.TryAdd(p.Name, p);
            }

            return result.Select(kv => (kv.Key, kv.Value)).ToList();
        }

        void From(IReadOnlyDictionary<string, JsonNode?>? assign, IReadOnlyDictionary<string, string>? compute, IReadOnlyList<ParameterDefinition> parameters)
        {
            foreach (var (field, expr) in assign ?? new Dictionary<string, JsonNode?>())
            {
                if (expr is JsonValue v && v.TryGetValue<string>(out var path))
                {
                    if (path.StartsWith("args.", StringComparison.Ordinal) && !path[5..].Contains('.', StringComparison.Ordinal)
                        && parameters.FirstOrDefault(p => p.Name == path[5..]) is { } parameter)
                    {
                        result.TryAdd(field, parameter);
                    }
                    else
                    {
                        other.Add(field);
                    }
                }
            }

            foreach (var field in (compute ?? new Dictionary<string, string>()).Keys)
            {
                other.Add(field);
            }
        }

        if (definition.Creation is { } creation)
        {
            From(creation.Assign, creation.Compute, creation.Parameters);
        }

        foreach (var t in definition.Transitions)
        {
            From(t.Assign, t.Compute, definition.FindTrigger(t.Trigger)?.Parameters ?? []);
        }

        return result.Where(kv => !other.Contains(kv.Key)).Select(kv => (kv.Key, kv.Value)).ToList();
    }
}
