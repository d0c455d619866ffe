using System.Globalization;
using System.Text.Json.Nodes;
using Npgsql;
using SubsidyEngine.Engine.Programmes.Model;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Workflows.Expressions;

namespace SubsidyEngine.Engine.Programmes;

/// <summary>
/// The server-derived inputs programme workflows name (runtime 2 definitions): facts a client must never state,
/// read inside the fire's transaction and journaled with the event. The call's data comes from the programme
/// catalogue (versioned files, with the file's SHA-256), the authorities from the register, and the other dossiers
/// from the database with indexed queries whose cost does not grow with the size of the call:
/// <list type="bullet">
/// <item><c>programme.call</c>: the dossier's call (for a creation, the call the arguments name).</item>
/// <item><c>programme.call-dossier</c>: the call's dossier (state, Government decision, confirmed allocation), locked
/// with <c>FOR KEY SHARE</c> so a decision on an application and a change of the call's state serialize.</item>
/// <item><c>register.applicant</c>: the submitting and participating authorities from the register.</item>
/// <item><c>programme.other-applications</c>: the counted applications of the call that share a member.</item>
/// <item><c>programme.previous-applications</c>: in a call open only to a previous call's submitters, that call's
/// applications that hold one of the members.</item>
/// <item><c>programme.eligible-requests</c>: on a call dossier, what its eligible applications request.</item>
/// <item><c>programme.open-applications</c>: on a call dossier, how many of its applications are still open.</item>
/// </list>
/// </summary>
public static class ProgrammeInputs
{
    /// <summary>Application states that do not count for a call (not submitted, or out).</summary>
    public static IReadOnlyList<string> NotCounting => ProgrammeService.NotCounting;

    /// <summary>Application states in which a dossier is no longer open (its call may close).</summary>
    public static readonly string[] Finished = ["closed", "ineligible", "withdrawn"];

    public static RuleRegistry Register(RuleRegistry registry, ProgrammeCatalog programmes)
    {
        ArgumentNullException.ThrowIfNull(registry);
        return registry
            .Input("programme.call", new InputProvider((r, _) => Task.FromResult<JsonNode?>(Call(r, programmes))))
            .Input("programme.call-dossier", new InputProvider((r, ct) => CallDossierAsync(r, programmes, ct)))
            .Input("register.applicant", new InputProvider((r, _) => Task.FromResult<JsonNode?>(Applicant(r, programmes))))
            .Input("programme.other-applications", new InputProvider(OtherApplicationsAsync))
            .Input("programme.previous-applications", new InputProvider((r, ct) => PreviousApplicationsAsync(r, programmes, ct)))
            .Input("programme.eligible-requests", new InputProvider(EligibleRequestsAsync))
            .Input("programme.open-applications", new InputProvider(OpenApplicationsAsync));
    }

    /// <summary>The id of the dossier's call: <c>data.call.id</c>, or for a creation the <c>call</c> argument.</summary>
    private static string CallId(InputRequest r) =>
        ProgrammeGuards.Str(r.Data, "call.id") ?? ProgrammeGuards.Str(r.Args, "call")
        ?? throw new ArgumentValidationException([new FieldError("$.call", "is required") { Rule = "required", Nl = "Oproep: is verplicht" }]);

    /// <summary>The call of the request in the catalogue; an unknown call refuses the request (it names nothing).</summary>
    public static Call FindCall(InputRequest r, ProgrammeCatalog programmes)
    {
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(programmes);
        var id = CallId(r);
        return programmes.TryGetCall(r.Programme, id, out var call) && call is not null
            ? call
            : throw new ArgumentValidationException([new FieldError("$.call", $"call '{id}' does not exist in programme '{r.Programme}'")
            {
                Rule = "unknown-call",
                Nl = $"Oproep: '{id}' bestaat niet in dit programma",
            }]);
    }

    private static JsonObject Call(InputRequest r, ProgrammeCatalog programmes)
    {
        var call = FindCall(r, programmes);
        var snapshot = ProgrammeService.CallSnapshot(call);
        snapshot["programme"] = call.ProgrammeId;
        snapshot["extensionEnd"] = call.Extensions.Count == 0 ? null : call.EffectiveProjectEnd.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        return snapshot;
    }

    /// <summary>The key under which a call's dossier is registered (<c>creation.unique</c> of the call workflow).</summary>
    public static string CallDossierKey(string programmeId, string callId) => $"{ProgrammeService.CallWorkflow(programmeId)}|{callId}";

    private static async Task<JsonNode?> CallDossierAsync(InputRequest r, ProgrammeCatalog programmes, CancellationToken ct)
    {
        var call = FindCall(r, programmes);
        await using var cmd = new NpgsqlCommand(
            """
            SELECT d.id, d.state, d.data ->> 'governmentDecisionDate', (d.data -> 'allocation')::text, d.data ->> 'allocatedAt'
            FROM dossier_unique u JOIN dossier d ON d.id = u.dossier_id
            WHERE u.key = $1
            FOR KEY SHARE OF d
            """, r.Connection, r.Transaction);
        cmd.Parameters.AddWithValue(CallDossierKey(call.ProgrammeId, call.Id));
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            return null;
        }

        return new JsonObject
        {
            ["id"] = reader.GetGuid(0).ToString("D"),
            ["state"] = reader.GetString(1),
            ["governmentDecisionDate"] = reader.IsDBNull(2) ? null : reader.GetString(2),
            ["allocation"] = reader.IsDBNull(3) ? null : JsonNode.Parse(reader.GetString(3)),
            ["allocatedAt"] = reader.IsDBNull(4) ? null : reader.GetString(4),
        };
    }

    private static JsonObject Applicant(InputRequest r, ProgrammeCatalog programmes)
    {
        var ownerFromArgs = r.Args["owner"] is not null;
        var ownerId = ProgrammeGuards.Str(r.Args, "owner") ?? ProgrammeGuards.Str(r.Data, "owner");
        var participantsFromArgs = r.Args["participants"] is JsonArray;
        var participants = ProgrammeGuards.Strings(participantsFromArgs ? r.Args["participants"] : r.Data["participants"]);
        var errors = new List<FieldError>();
        Authority? owner = null;
        if (ownerId is null)
        {
            errors.Add(new FieldError("$.owner", "is required") { Rule = "required", Nl = "Indienend bestuur: is verplicht" });
        }
        else if ((owner = programmes.Authorities.Find(ownerId)) is null)
        {
            errors.Add(new FieldError(ownerFromArgs ? "$.owner" : "$.data.owner", $"'{ownerId}' is not an authority in the register")
            {
                Rule = "unknown-authority",
                Nl = $"Indienend bestuur: '{ownerId}' is geen bestuur uit het register",
            });
        }

        var snapshots = new JsonArray();
        for (var i = 0; i < participants.Count; i++)
        {
            var id = participants[i];
            var path = participantsFromArgs ? $"$.participants[{i}]" : $"$.data.participants[{i}]";
            if (programmes.Authorities.Find(id) is not { } participant)
            {
                errors.Add(new FieldError(path, $"'{id}' is not an authority in the register") { Rule = "unknown-authority", Nl = $"Deelnemend bestuur: '{id}' is geen bestuur uit het register" });
            }
            else if (id == ownerId)
            {
                errors.Add(new FieldError(path, "is the submitting authority itself") { Rule = "owner-participates", Nl = "Deelnemend bestuur: dat is het indienend bestuur zelf" });
            }
            else
            {
                snapshots.Add(ProgrammeService.AuthoritySnapshot(participant));
            }
        }

        if (errors.Count > 0)
        {
            throw new ArgumentValidationException(errors);
        }

        return new JsonObject
        {
            ["submitter"] = ProgrammeService.AuthoritySnapshot(owner!),
            ["participants"] = snapshots,
            ["contact"] = new JsonObject { ["name"] = owner!.Name, ["email"] = owner.ContactEmail, ["address"] = owner.Address },
        };
    }

    /// <summary>The submitting authority and the participants of the dossier as stored.</summary>
    private static string[] Members(JsonObject data) =>
        [.. new[] { ProgrammeGuards.Str(data, "owner") }.OfType<string>().Concat(ProgrammeGuards.Strings(data["participants"])).Distinct(StringComparer.Ordinal)];

    /// <summary>
    /// The query of <see cref="SharingAsync"/>: $1 workflow, $2 members (NIS codes), $3 the dossier itself, $4 the call
    /// id, $5 the states that do not count. Reached through <c>dossier_by_owner</c> and <c>dossier_by_participants</c>
    /// (a test checks the plan on a call of 20,000 applications).
    /// </summary>
    internal const string SharingSql =
        """
        SELECT d.id, COALESCE(d.owner, ''), COALESCE(d.participants, '[]'::jsonb)::text
        FROM dossier d
        WHERE d.workflow_id = $1 AND (d.owner = ANY($2) OR d.participants ?| $2) AND d.id <> $3
          AND d.data -> 'call' ->> 'id' = $4 AND NOT (d.state = ANY($5))
        ORDER BY d.id
        """;

    /// <summary>
    /// The counted applications of <paramref name="callId"/> that share a member with <paramref name="members"/>,
    /// except <paramref name="except"/>: found through the owner and participants indexes, so the cost follows the
    /// members' own applications, not the size of the call.
    /// </summary>
    private static async Task<JsonArray> SharingAsync(InputRequest r, string callId, string[] members, Guid except, CancellationToken ct)
    {
        var list = new JsonArray();
        if (members.Length == 0)
        {
            return list;
        }

        await using var cmd = new NpgsqlCommand(SharingSql, r.Connection, r.Transaction);
        cmd.Parameters.AddWithValue(ProgrammeService.DossierWorkflow(r.Programme));
        cmd.Parameters.AddWithValue(members);
        cmd.Parameters.AddWithValue(except);
        cmd.Parameters.AddWithValue(callId);
        cmd.Parameters.AddWithValue(ProgrammeService.NotCounting);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            list.Add(new JsonObject
            {
                ["id"] = reader.GetGuid(0).ToString("D"),
                ["owner"] = reader.GetString(1),
                ["participants"] = JsonNode.Parse(reader.GetString(2)) is JsonArray a ? a : new JsonArray(),
            });
        }

        return list;
    }

    private static Task<JsonNode?> OtherApplicationsAsync(InputRequest r, CancellationToken ct) =>
        Wrap(SharingAsync(r, CallId(r), Members(r.Data), r.DossierId, ct));

    private static Task<JsonNode?> PreviousApplicationsAsync(InputRequest r, ProgrammeCatalog programmes, CancellationToken ct)
    {
        var call = FindCall(r, programmes);
        return call.Eligibility.RestrictedToPreviousSubmittersOf is { } previous
            ? Wrap(SharingAsync(r, previous, Members(r.Data), Guid.Empty, ct))
            : Task.FromResult<JsonNode?>(new JsonArray());
    }

    private static async Task<JsonNode?> Wrap(Task<JsonArray> task) => await task;

    /// <summary>On a call dossier: what each eligible application of the call requests (by id), for the allocation.</summary>
    private static async Task<JsonNode?> EligibleRequestsAsync(InputRequest r, CancellationToken ct)
    {
        var list = new JsonArray();
        await using var cmd = new NpgsqlCommand(
            "SELECT id, (data -> 'amounts')::text FROM dossier WHERE workflow_id = $1 AND parent = $2 AND state = 'eligible' ORDER BY id", r.Connection, r.Transaction);
        cmd.Parameters.AddWithValue(ProgrammeService.DossierWorkflow(r.Programme));
        cmd.Parameters.AddWithValue(r.DossierId.ToString("D"));
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var amounts = reader.IsDBNull(1) ? null : JsonNode.Parse(reader.GetString(1)) as JsonObject;
            list.Add(new JsonObject
            {
                ["id"] = reader.GetGuid(0).ToString("D"),
                ["rows"] = new JsonArray((amounts?["rows"] as JsonArray ?? []).OfType<JsonObject>()
                    .Where(row => ProgrammeGuards.Dec(row, "requestedEur") > 0)
                    .Select(row => (JsonNode)new JsonObject
                    {
                        ["actionCode"] = ProgrammeGuards.Str(row, "actionCode"),
                        ["priority"] = ProgrammeGuards.Int(row, "priority"),
                        ["requestedEur"] = ProgrammeGuards.Dec(row, "requestedEur"),
                    }).ToArray()),
                ["bonusEur"] = ProgrammeGuards.Dec(amounts, "bonusTotalEur"),
            });
        }

        return list;
    }

    /// <summary>On a call dossier: how many of its applications are not finished (closed, ineligible or withdrawn).</summary>
    private static async Task<JsonNode?> OpenApplicationsAsync(InputRequest r, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "SELECT count(*) FROM dossier WHERE workflow_id = $1 AND parent = $2 AND NOT (state = ANY($3))", r.Connection, r.Transaction);
        cmd.Parameters.AddWithValue(ProgrammeService.DossierWorkflow(r.Programme));
        cmd.Parameters.AddWithValue(r.DossierId.ToString("D"));
        cmd.Parameters.AddWithValue(Finished);
        return JsonValue.Create(Convert.ToInt32(await cmd.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture));
    }
}
