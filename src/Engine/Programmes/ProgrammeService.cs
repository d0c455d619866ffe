using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using SubsidyEngine.Engine.Programmes.Model;
using SubsidyEngine.Engine.Rules;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Workflows.Expressions;

namespace SubsidyEngine.Engine.Programmes;

/// <summary>
/// The officer and municipality actions of a grant programme that need more than one dossier or the programme
/// data: opening a call, starting an application with a snapshot of the applicant and the call, eligibility
/// with the other applications of the call, and the allocation of a call's budget. Every change still goes
/// through <see cref="WorkflowRuntime"/>; this class only gathers the inputs the pure rules need. Generic over
/// programmes: the workflows are <c>&lt;programme&gt;/call</c> and <c>&lt;programme&gt;/dossier</c>.
/// </summary>
public sealed class ProgrammeService(WorkflowRuntime runtime, ProgrammeCatalog programmes, NpgsqlDataSource dataSource)
{
    /// <summary>States in which an application does not count for the call (not submitted or no longer running).</summary>
    public static readonly string[] NotCounting = ["draft", "withdrawn", "ineligible"];

    public static string CallWorkflow(string programmeId) => $"{programmeId}/call";

    public static string DossierWorkflow(string programmeId) => $"{programmeId}/dossier";

    /// <summary>The part of the call data every dossier of the call carries (deadlines, period, budget, data hash).</summary>
    public static JsonObject CallSnapshot(Call call)
    {
        var start = call.ProjectPeriod.Start;
        var end = call.EffectiveProjectEnd;
        return new JsonObject
        {
            ["id"] = call.Id,
            ["year"] = call.Year,
            ["name"] = call.Name.Nl,
            ["opens"] = ValueResolver.FormatTime(call.Window.Opens),
            ["deadline"] = ValueResolver.FormatTime(call.Window.Deadline),
            ["projectStart"] = start.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            ["projectEnd"] = end.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            // Reporting deadlines (DOMAIN §7): first six months by the 15th of the seventh month, the full year
            // by the 15th of the month after the project end.
            ["interimReportDue"] = ValueResolver.FormatTime(TransitionEffects.BrusselsEndOfDay(new DateOnly(start.Year, start.Month, 15).AddMonths(6))),
            ["finalReportDue"] = ValueResolver.FormatTime(TransitionEffects.BrusselsEndOfDay(new DateOnly(end.Year, end.Month, 15).AddMonths(1))),
            ["budgetEur"] = call.Budget.Eur,
            ["governmentDecision"] = call.GovernmentDecision?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            ["dataSha256"] = call.File.Sha256,
        };
    }

    /// <summary>
    /// Creates the call dossier (once per call). The call's data is read by the server from the programme catalogue
    /// (runtime 2: the definition's <c>programme.call</c> input); the officer only names the call. A second opening
    /// is refused with <see cref="DossierExistsException"/> naming the first.
    /// </summary>
    public Task<FireResult> OpenCallAsync(string programmeId, string callId, Actor actor, CancellationToken ct = default)
    {
        var programme = programmes.Programme(programmeId);
        var call = programmes.Call(programmeId, callId);
        if (runtime.Catalog.LatestEffective(CallWorkflow(programmeId), DateTimeOffset.MaxValue).Definition.Runtime < 2)
        {
            var data = new JsonObject
            {
                ["reference"] = $"{Abbreviation(programmeId)}-{call.Id}",
                ["title"] = call.Name.Nl,
                ["programme"] = programme.Id,
                ["call"] = CallSnapshot(call),
            };
            return runtime.CreateAsync(new CreateRequest(CallWorkflow(programmeId), data, actor) { IdempotencyKey = $"call:{programmeId}:{callId}" }, ct);
        }

        return runtime.CreateAsync(new CreateRequest(CallWorkflow(programmeId), new JsonObject { ["call"] = call.Id }, actor), ct);
    }

    /// <summary>
    /// Starts the application of <paramref name="ownerId"/> (the submitting authority) for a call, with its
    /// participating authorities: the actor states only these; the server reads the call, the register and the
    /// call's dossier (the definition's inputs), checks that the call is open, and refuses a second application of
    /// the same authority for the call (<see cref="DossierExistsException"/>). With <paramref name="application"/>, the
    /// table is saved as a draft right after (as the same actor).
    /// </summary>
    public async Task<FireResult> StartApplicationAsync(
        string programmeId, string callId, string ownerId, IReadOnlyList<string> participants, Actor actor, JsonObject? application = null, CancellationToken ct = default,
        JsonObject? contact = null, string? idempotencyKey = null)
    {
        var args = new JsonObject
        {
            ["call"] = callId,
            ["owner"] = ownerId,
            ["participants"] = new JsonArray(participants.Select(p => (JsonNode)JsonValue.Create(p)!).ToArray()),
        };
        if (contact is not null)
        {
            args["contact"] = contact.DeepClone();
        }

        var created = await runtime.CreateAsync(new CreateRequest(DossierWorkflow(programmeId), args, actor) { IdempotencyKey = idempotencyKey }, ct);
        if (application is not null && !created.Replayed)
        {
            await runtime.FireAsync(new FireRequest(created.DossierId, "save-draft", new JsonObject { ["application"] = application.DeepClone() }, actor), ct);
        }

        return created;
    }

    /// <summary>
    /// What a dossier keeps of an authority from the register (a snapshot: the register may change later), the postal
    /// address included, so a letter is addressed as the register stood when the dossier started or its composition
    /// changed, and its re-rendering by the audit does not depend on today's register.
    /// </summary>
    public static JsonObject AuthoritySnapshot(Authority a)
    {
        var snapshot = new JsonObject
        {
            ["id"] = a.Id,
            ["name"] = a.Name,
            ["kind"] = a.Kind.ToDataString(),
            ["region"] = a.Arrondissement,
            ["nonEu14OriginResidents"] = a.NonEu14OriginResidents,
        };
        if (!string.IsNullOrEmpty(a.Address))
        {
            snapshot["address"] = a.Address;
        }

        return snapshot;
    }

    private static string Abbreviation(string programmeId) =>
        string.Concat(programmeId.Split('-', StringSplitOptions.RemoveEmptyEntries).Select(w => char.ToUpperInvariant(w[0])));

    /// <summary>The dossier of a call, when it was opened (by its unique key).</summary>
    public async Task<Guid?> FindCallDossierAsync(string programmeId, string callId, CancellationToken ct = default)
    {
        await using var cmd = dataSource.CreateCommand("SELECT dossier_id FROM dossier_unique WHERE key = $1");
        cmd.Parameters.AddWithValue(ProgrammeInputs.CallDossierKey(programmeId, callId));
        return await cmd.ExecuteScalarAsync(ct) is Guid g ? g : null;
    }

    /// <summary>The compositions (owner + participants) of the counted applications of a call, except one dossier.</summary>
    public async Task<JsonArray> CompositionsAsync(string programmeId, string callId, Guid? except, CancellationToken ct = default)
    {
        await using var cmd = dataSource.CreateCommand(
            "SELECT id, data->>'owner', COALESCE(data->'participants', '[]'::jsonb)::text FROM dossier WHERE workflow_id = $1 AND data->'call'->>'id' = $2 AND NOT (state = ANY($3)) AND id <> $4 ORDER BY id");
        cmd.Parameters.AddWithValue(DossierWorkflow(programmeId));
        cmd.Parameters.AddWithValue(callId);
        cmd.Parameters.AddWithValue(NotCounting);
        cmd.Parameters.AddWithValue(except ?? Guid.Empty);
        var list = new JsonArray();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            list.Add(new JsonObject
            {
                ["id"] = reader.GetGuid(0).ToString("D"),
                ["owner"] = reader.IsDBNull(1) ? string.Empty : reader.GetString(1),
                ["participants"] = JsonNode.Parse(reader.GetString(2)),
            });
        }

        return list;
    }

    /// <summary>
    /// Declares an application eligible or ineligible. Runtime 2 definitions read the other applications of the call
    /// themselves (inputs); for a dossier still on a runtime 1 definition the server gathers them here and gives them
    /// as the arguments that version expects.
    /// </summary>
    public async Task<FireResult> DecideEligibilityAsync(Guid dossierId, bool eligible, string? comment, Actor actor, int? expectedVersion = null, CancellationToken ct = default,
        Access.AccessScope? scope = null, string? idempotencyKey = null)
    {
        var dossier = await runtime.GetAsync(dossierId, ct) ?? throw new DossierNotFoundException(dossierId);
        var trigger = eligible ? "declare-eligible" : "declare-ineligible";
        if (runtime.Catalog.Get(dossier.WorkflowId, dossier.WorkflowVersion).Definition.Runtime >= 2)
        {
            var plain = string.IsNullOrWhiteSpace(comment) ? new JsonObject() : new JsonObject { ["comment"] = comment };
            return await runtime.FireAsync(new FireRequest(dossierId, trigger, plain, actor) { ExpectedVersion = expectedVersion, Scope = scope, IdempotencyKey = idempotencyKey }, ct);
        }

        var programmeId = ProgrammeGuards.Str(dossier.Data, "programme") ?? throw new InvalidOperationException("dossier without programme");
        var callId = ProgrammeGuards.Str(dossier.Data, "call.id") ?? throw new InvalidOperationException("dossier without call");
        var call = programmes.Call(programmeId, callId);
        var args = new JsonObject { ["otherApplications"] = await CompositionsAsync(programmeId, callId, dossierId, ct) };
        if (call.Eligibility.RestrictedToPreviousSubmittersOf is { } previousCall)
        {
            args["previousSubmitters"] = await CompositionsAsync(programmeId, previousCall, null, ct);
        }

        if (!string.IsNullOrWhiteSpace(comment))
        {
            args["comment"] = comment;
        }

        return await runtime.FireAsync(new FireRequest(dossierId, trigger, args, actor) { ExpectedVersion = expectedVersion, Scope = scope, IdempotencyKey = idempotencyKey }, ct);
    }

    /// <summary>Runs the allocation of a call over its eligible applications without changing anything.</summary>
    public async Task<(AllocationResult Result, IReadOnlyList<Guid> Dossiers)> PreviewAllocationAsync(Guid callDossierId, CancellationToken ct = default)
    {
        var callDossier = await runtime.GetAsync(callDossierId, ct) ?? throw new DossierNotFoundException(callDossierId);
        var programmeId = ProgrammeGuards.Str(callDossier.Data, "programme")!;
        var call = programmes.Call(programmeId, ProgrammeGuards.Str(callDossier.Data, "call.id")!);
        var requests = new List<AllocationRequest>();
        var ids = new List<Guid>();
        await using (var cmd = dataSource.CreateCommand(
            "SELECT id, data->'amounts'::text FROM dossier WHERE workflow_id = $1 AND data->'call'->>'id' = $2 AND state = 'eligible' ORDER BY id"))
        {
            cmd.Parameters.AddWithValue(DossierWorkflow(programmeId));
            cmd.Parameters.AddWithValue(call.Id);
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var id = reader.GetGuid(0);
                var amounts = reader.IsDBNull(1) ? new JsonObject() : JsonNode.Parse(reader.GetString(1)) as JsonObject ?? [];
                var rows = (amounts["rows"] as JsonArray ?? []).OfType<JsonObject>()
                    .Where(r => ProgrammeGuards.Dec(r, "requestedEur") > 0)
                    .Select(r => new AllocationRowRequest(ProgrammeGuards.Str(r, "actionCode")!, ProgrammeGuards.Int(r, "priority"), ProgrammeGuards.Dec(r, "requestedEur")))
                    .ToList();
                requests.Add(new AllocationRequest(id.ToString("D"), rows, ProgrammeGuards.Dec(amounts, "bonusTotalEur")));
                ids.Add(id);
            }
        }

        return (AllocationRule.Allocate(call.Budget.Eur, call.Parameters.Allocation, requests), ids);
    }

    /// <summary>
    /// Awards every application of the call that is in <c>allocated</c>, one transition each (idempotency key
    /// <c>award:&lt;dossier&gt;</c>, so a second run awards nothing twice). An application the workflow refuses (e.g.
    /// nothing was allocated to it) is reported with its error and the others go on.
    /// </summary>
    public async Task<IReadOnlyList<AwardOutcome>> AwardAllocatedAsync(Guid callDossierId, Actor actor, CancellationToken ct = default)
    {
        var callDossier = await runtime.GetAsync(callDossierId, ct) ?? throw new DossierNotFoundException(callDossierId);
        var programmeId = ProgrammeGuards.Str(callDossier.Data, "programme") ?? throw new InvalidOperationException("call dossier without programme");
        var ids = new List<Guid>();
        await using (var cmd = dataSource.CreateCommand("SELECT id FROM dossier WHERE workflow_id = $1 AND parent = $2 AND state = 'allocated' ORDER BY id"))
        {
            cmd.Parameters.AddWithValue(DossierWorkflow(programmeId));
            cmd.Parameters.AddWithValue(callDossierId.ToString("D"));
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                ids.Add(reader.GetGuid(0));
            }
        }

        var outcomes = new List<AwardOutcome>();
        foreach (var id in ids)
        {
            try
            {
                await runtime.FireAsync(new FireRequest(id, "award", [], actor) { IdempotencyKey = $"award:{id:D}" }, ct);
                outcomes.Add(new AwardOutcome(id, true, null));
            }
            catch (WorkflowException e)
            {
                outcomes.Add(new AwardOutcome(id, false, e));
            }
        }

        return outcomes;
    }

    /// <summary>
    /// Confirms the allocation: the call records the totals and a hash of the inputs, then every eligible
    /// application records its own allocation. Each step is idempotent, so a retry after a failure completes it.
    /// </summary>
    public async Task<AllocationResult> ConfirmAllocationAsync(Guid callDossierId, Actor actor, CancellationToken ct = default)
    {
        var (result, ids) = await PreviewAllocationAsync(callDossierId, ct);
        var callDossier = await runtime.GetAsync(callDossierId, ct) ?? throw new DossierNotFoundException(callDossierId);
        if (runtime.Catalog.Get(callDossier.WorkflowId, callDossier.WorkflowVersion).Definition.Runtime >= 2)
        {
            // The call reads its eligible applications and computes the allocation itself; each application then
            // takes its share from the call's confirmed rounds.
            await runtime.FireAsync(new FireRequest(callDossierId, "confirm-allocation", [], actor) { IdempotencyKey = $"confirm-allocation:{callDossierId:D}" }, ct);
            foreach (var id in ids)
            {
                await runtime.FireAsync(new FireRequest(id, "allocate", [], actor) { IdempotencyKey = $"allocate:{callDossierId:D}:{id:D}" }, ct);
            }

            return result;
        }

        var inputs = JsonSerializer.Serialize(result.Applications.Select(a => new { a.ApplicationId, a.RequestedEur, Rows = a.Rows.Select(r => new { r.ActionCode, r.Priority, r.RequestedEur }) }), ProgrammeGuards.Json);
        var runHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(inputs)));
        var summary = new JsonObject
        {
            ["budgetEur"] = result.BudgetEur,
            ["requestedEur"] = result.RequestedEur,
            ["allocatedEur"] = result.AllocatedEur,
            ["remainderEur"] = result.RemainderEur,
            ["fitsBudget"] = result.FitsBudget,
            ["proRataRound"] = result.ProRataRound,
            ["proRataFactor"] = result.ProRataFactor,
            ["applications"] = result.Applications.Count,
            ["inputsSha256"] = runHash,
        };
        await runtime.FireAsync(new FireRequest(callDossierId, "confirm-allocation", new JsonObject { ["allocation"] = summary }, actor) { IdempotencyKey = $"allocation:{callDossierId:D}:{runHash}" }, ct);
        foreach (var app in result.Applications)
        {
            var allocation = JsonSerializer.SerializeToNode(app, ProgrammeGuards.Json)!.AsObject();
            allocation.Remove("applicationId");
            allocation["inputsSha256"] = runHash;
            await runtime.FireAsync(new FireRequest(Guid.Parse(app.ApplicationId), "allocate", new JsonObject { ["allocation"] = allocation }, actor) { IdempotencyKey = $"allocate:{runHash}:{app.ApplicationId}" }, ct);
        }

        return result;
    }
}

/// <summary>What awarding one allocated application did: awarded, or the workflow's refusal.</summary>
public sealed record AwardOutcome(Guid DossierId, bool Awarded, WorkflowException? Error);
