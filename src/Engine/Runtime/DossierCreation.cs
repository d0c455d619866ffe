using System.Text.Json.Nodes;
using Npgsql;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Workflows.Expressions;

namespace SubsidyEngine.Engine.Runtime;

/// <summary>
/// The creation of a dossier: decided with <see cref="RuntimeDecider.Create"/> (the same call replay makes) and
/// written with <see cref="EventWrite"/> after the dossier row and its unique key are inserted, in one transaction.
/// </summary>
internal sealed class DossierCreation(FireParts parts, DefinitionStore definitions, TimeProvider clock)
{
    /// <summary>
    /// Starts a dossier in the initial state of the latest effective version of <see cref="CreateRequest.WorkflowId"/>.
    /// Runtime 1 copies every argument into the data. Runtime 2 checks the arguments against the creation's schema,
    /// reads its server-derived inputs inside the transaction, assigns the data as the creation says, checks the
    /// actor's relation and the creation guard on that data, and claims the dossier's unique key.
    /// </summary>
    public async Task<(FireResult Result, KnownDossier? Committed)> CreateAsync(CreateRequest request, CancellationToken cancellationToken = default)
    {
        var wf = parts.Catalog.LatestEffective(request.WorkflowId, clock.GetUtcNow());
        var def = wf.Definition;
        var strict = def.Runtime >= 2;
        if (strict && def.Creation is { } declared)
        {
            var errors = ArgumentValidator.Validate(declared.Parameters, request.Data, commentRequired: false);
            if (errors.Count > 0)
            {
                throw new ArgumentValidationException(errors);
            }
        }

        if (!wf.MayCreate(request.Actor.Role))
        {
            throw new TransitionForbiddenException("create", request.Actor.Role);
        }

        if (!strict && def.Creation is { } creation)
        {
            var errors = ArgumentValidator.Validate(creation.Parameters, request.Data, commentRequired: false);
            if (errors.Count > 0)
            {
                throw new ArgumentValidationException(errors);
            }
        }

        JournalEvent.SingleLine(request.Actor.Id, "actor");
        await definitions.EnsureRecordedAsync(def, cancellationToken);
        var id = request.DossierId ?? Guid.CreateVersion7(clock.GetUtcNow());
        WorkflowRuntime.ThrowIfLossy(request.Data);
        var arguments = CanonicalJson.Serialize(request.Data);
        var args = CanonicalJson.ParseObject(arguments);
        var requestHash = Idempotency.RequestHash("create", request.DossierId ?? Guid.Empty, def.Id, arguments, request.Actor);

        await using var conn = await parts.DataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await conn.BeginTransactionAsync(cancellationToken);
        if (request.IdempotencyKey is not null)
        {
            var earlier = await Idempotency.ClaimAsync(conn, tx, request.IdempotencyKey, requestHash, id, cancellationToken);
            if (earlier is not null)
            {
                return (earlier, null);
            }
        }

        var now = parts.Now();
        JsonObject? inputs = null;
        string? uniqueKey = null;
        if (strict)
        {
            inputs = await ServerInputs.ReadAsync(parts.Catalog,
                [.. def.Creation!.Inputs ?? new Dictionary<string, string>()], new InputRequest(id, def.Id, def.Initial, [], args, request.Actor, now, conn, tx), cancellationToken);
        }

        var (outcome, proposed) = RuntimeDecider.Create(wf, id, args, request.Actor, now, inputs, parts.Catalog.Templates.LatestVersion);
        if (strict)
        {
            uniqueKey = UniqueKey(def, def.Creation!, proposed);
        }

        var ev = new JournalEvent
        {
            Format = JournalEvent.FormatTag2,
            DossierId = id,
            DossierSeq = 1,
            OccurredAt = now,
            Actor = request.Actor.Id,
            ActorRole = request.Actor.Role,
            Kind = "created",
            Trigger = "create",
            FromState = string.Empty,
            ToState = def.Initial,
            DefinitionId = def.Id,
            DefinitionVersion = def.Version,
            DefinitionHash = def.ContentHash,
            Arguments = arguments,
            Inputs = inputs is null ? "{}" : CanonicalJson.Serialize(inputs),
            Effects = CanonicalJson.Serialize(outcome.Summary),
            PrevHash = JournalEvent.GenesisHash,
        }.WithHash();

        await using (var insert = new NpgsqlCommand(
            "INSERT INTO dossier (id, workflow_id, workflow_version, state, version, data, head_hash, created_at, updated_at) VALUES ($1, $2, $3, $4, 1, $5::jsonb, $6, $7, $7)", conn, tx))
        {
            insert.Parameters.AddWithValue(id);
            insert.Parameters.AddWithValue(def.Id);
            insert.Parameters.AddWithValue(def.Version);
            insert.Parameters.AddWithValue(def.Initial);
            insert.Parameters.AddWithValue(CanonicalJson.Serialize(outcome.Data));
            insert.Parameters.AddWithValue(ev.Hash);
            insert.Parameters.AddWithValue(now);
            try
            {
                await insert.ExecuteNonQueryAsync(cancellationToken);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                throw new ConcurrencyConflictException(id, "a new dossier", "a dossier with this id already exists");
            }
        }

        if (uniqueKey is not null)
        {
            await ClaimUniqueKeyAsync(conn, tx, uniqueKey, id, cancellationToken);
        }

        var key = request.IdempotencyKey is null ? null : new KeyWrite(request.IdempotencyKey, requestHash, Claimed: true);
        var write = new EventWrite(ev, CanonicalJson.Serialize(outcome.Data))
            .AppendEvent()
            .Effects(outcome, def, stateChanged: false, timeoutDeadline: null, deadlineStates: [])
            .StoreIdempotencyKey(key);
        var result = await write.ExecuteAsync(conn, tx, commit: true, cancellationToken);
        return (result, Committed.Of(ev, def.Id, write.Data, Committed.DeadlineStatesAfter([], def, ev.ToState, stateChanged: false, outcome.Deadlines)));
    }

    /// <summary>
    /// The key that identifies a dossier within its workflow (<c>creation.unique</c>): the workflow id and the
    /// values of the expressions, separated by '|' (the values are format-checked ids, which hold no '|').
    /// </summary>
    private static string? UniqueKey(Workflows.Model.WorkflowDefinition def, Workflows.Model.CreationDefinition creation, RuleContext context)
    {
        if (creation.Unique is not { Count: > 0 } expressions)
        {
            return null;
        }

        var segments = new List<string> { def.Id };
        foreach (var expression in expressions)
        {
            var value = ValueResolver.ResolvePath(expression, context);
            segments.Add(value is JsonValue v && v.TryGetValue<string>(out var text) ? text : value?.ToJsonString() ?? string.Empty);
        }

        return string.Join('|', segments);
    }

    /// <summary>Claims a dossier's unique key in the creation's transaction; refuses when another dossier holds it.</summary>
    private static async Task ClaimUniqueKeyAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string key, Guid dossierId, CancellationToken cancellationToken)
    {
        await using (var claim = new NpgsqlCommand("INSERT INTO dossier_unique (key, dossier_id) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING RETURNING 1", conn, tx))
        {
            claim.Parameters.AddWithValue(key);
            claim.Parameters.AddWithValue(dossierId);
            if (await claim.ExecuteScalarAsync(cancellationToken) is not null)
            {
                return;
            }
        }

        await using var read = new NpgsqlCommand("SELECT dossier_id FROM dossier_unique WHERE key = $1", conn, tx);
        read.Parameters.AddWithValue(key);
        var existing = await read.ExecuteScalarAsync(cancellationToken) is Guid g ? g : Guid.Empty;
        throw new DossierExistsException(existing, key);
    }
}
