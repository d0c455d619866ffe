using System.Text.Json.Nodes;
using Npgsql;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Workflows.Expressions;
using SubsidyEngine.Workflows.Model;

namespace SubsidyEngine.Engine.Runtime;

/// <summary>One dossier in a migration plan.</summary>
public sealed record MigrationMove(Guid DossierId, string FromState, string? ToState, string? Blocker);

/// <summary>What a migration would do (dry run) or did (apply).</summary>
public sealed record MigrationPlan(string MigrationId, string Workflow, int FromVersion, int ToVersion, IReadOnlyList<MigrationMove> Moves)
{
    public IEnumerable<MigrationMove> Movable => Moves.Where(m => m.Blocker is null);

    public IEnumerable<MigrationMove> Blocked => Moves.Where(m => m.Blocker is not null);
}

/// <summary>
/// Moves running dossiers between versions of a workflow following a migration spec: a dry run first, then the
/// apply step, which writes one <c>migrated</c> journal event per dossier (one transaction each).
/// </summary>
public sealed class DefinitionMigrator(NpgsqlDataSource dataSource, WorkflowCatalog catalog, DefinitionStore definitions, TimeProvider clock)
{
    public MigrationSpec Spec(string migrationId) =>
        catalog.FindMigration(migrationId) ?? throw new WorkflowNotFoundException($"migration '{migrationId}'");

    public async Task<MigrationPlan> DryRunAsync(string migrationId, CancellationToken cancellationToken = default)
    {
        var spec = Spec(migrationId);
        var target = catalog.Get(spec.Workflow, spec.ToVersion).Definition;
        var moves = new List<MigrationMove>();
        await using var cmd = dataSource.CreateCommand("SELECT id, state FROM dossier WHERE workflow_id = $1 AND workflow_version = $2 ORDER BY id");
        cmd.Parameters.AddWithValue(spec.Workflow);
        cmd.Parameters.AddWithValue(spec.FromVersion);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var state = reader.GetString(1);
            moves.Add(spec.StateMap.TryGetValue(state, out var to) && target.FindState(to) is not null
                ? new MigrationMove(reader.GetGuid(0), state, to, null)
                : new MigrationMove(reader.GetGuid(0), state, null, $"state '{state}' has no mapping to v{spec.ToVersion}"));
        }

        return new MigrationPlan(spec.Id, spec.Workflow, spec.FromVersion, spec.ToVersion, moves);
    }

    /// <summary>Applies the migration to every movable dossier; returns what happened to each.</summary>
    public async Task<MigrationPlan> ApplyAsync(string migrationId, Actor actor, CancellationToken cancellationToken = default)
    {
        var spec = Spec(migrationId);
        var plan = await DryRunAsync(migrationId, cancellationToken);
        var target = catalog.Get(spec.Workflow, spec.ToVersion).Definition;
        await definitions.EnsureRecordedAsync(target, cancellationToken);
        var results = new List<MigrationMove>();
        foreach (var move in plan.Moves)
        {
            if (move.Blocker is not null)
            {
                results.Add(move);
                continue;
            }

            results.Add(await MoveOneAsync(spec, move.DossierId, actor, cancellationToken));
        }

        return plan with { Moves = results };
    }

    private async Task<MigrationMove> MoveOneAsync(MigrationSpec spec, Guid dossierId, Actor actor, CancellationToken cancellationToken)
    {
        await using var conn = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await conn.BeginTransactionAsync(cancellationToken);
        var d = await WorkflowRuntime.ReadSnapshotAsync(conn, tx, dossierId, forUpdate: true, cancellationToken);

        if (d is null || d.WorkflowVersion != spec.FromVersion)
        {
            return new MigrationMove(dossierId, d?.State ?? string.Empty, null, "moved or changed since the dry run");
        }

        var now = JournalEvent.Truncate(clock.GetUtcNow());
        var args = new JsonObject { ["migration"] = spec.Id, ["fromVersion"] = spec.FromVersion, ["toVersion"] = spec.ToVersion };
        var outcome = Outcome(catalog, args, d.State, d.Data, now, actor, d.Id, d.Version + 1, catalog.Templates.LatestVersion, out var to);
        var target = catalog.Get(spec.Workflow, spec.ToVersion).Definition;
        var ev = new JournalEvent
        {
            Format = JournalEvent.FormatTag2,
            DossierId = d.Id,
            DossierSeq = d.Version + 1,
            OccurredAt = now,
            Actor = actor.Id,
            ActorRole = actor.Role,
            Kind = "migrated",
            Trigger = "migrate",
            FromState = d.State,
            ToState = to,
            DefinitionId = target.Id,
            DefinitionVersion = target.Version,
            DefinitionHash = target.ContentHash,
            Arguments = CanonicalJson.Serialize(args),
            Effects = CanonicalJson.Serialize(outcome.Summary),
            PrevHash = d.HeadHash,
        }.WithHash();
        await new EventWrite(ev, CanonicalJson.Serialize(outcome.Data)).AppendEvent().SetProjection()
            .Effects(outcome, target, stateChanged: to != d.State, timeoutDeadline: null, deadlineStates: null).ExecuteAsync(conn, tx, commit: false, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return new MigrationMove(d.Id, d.State, to, null);
    }

    /// <summary>The pure part of a migration event (shared with replay): target state, data and effects.</summary>
    public static EffectOutcome Outcome(WorkflowCatalog catalog, JsonObject args, string state, JsonObject data, DateTimeOffset now, Actor actor, Guid dossierId, int dossierSeq, Func<string, int> templateVersion, out string to, DeadlineRules deadlineRules = DeadlineRules.BrusselsDays)
    {
        var id = args["migration"]?.GetValue<string>() ?? throw new InvalidOperationException("migration event without a migration id");
        var spec = catalog.FindMigration(id) ?? throw new WorkflowNotFoundException($"migration '{id}'");
        if (!spec.StateMap.TryGetValue(state, out var mapped))
        {
            throw new TriggerNotPermittedException(dossierId, state, "migrate", [], []);
        }

        to = mapped;
        var effects = spec.Effects is not null && spec.Effects.TryGetValue(to, out var list) ? list : [];
        var context = new RuleContext(data, args, now, actor, to);
        return TransitionEffects.Apply(catalog.Rules, spec.Assign, null, effects, context, to, dossierId, dossierSeq, templateVersion, null, deadlineRules);
    }
}
