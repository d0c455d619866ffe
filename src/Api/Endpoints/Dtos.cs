using System.Text.Json.Nodes;
using SubsidyEngine.Engine.Access;
using SubsidyEngine.Engine.Audit;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Workflows.Expressions;
using SubsidyEngine.Workflows.Model;

namespace SubsidyEngine.Api.Endpoints;

/// <summary>A dossier as the API shows it. <c>version</c> is also the ETag.</summary>
public sealed record DossierDto(Guid Id, string Workflow, int WorkflowVersion, string State, int Version, JsonObject Data, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static DossierDto From(DossierSnapshot s) => new(s.Id, s.WorkflowId, s.WorkflowVersion, s.State, s.Version, s.Data, s.CreatedAt, s.UpdatedAt);
}

/// <summary>One page of dossiers.</summary>
public sealed record DossierPageDto(IReadOnlyList<DossierDto> Items, int Page, int PageSize, long Total);

/// <summary>Body of <c>POST /api/dossiers</c>: the workflow id and the creation data (the definition's creation parameters).</summary>
public sealed record CreateDossierRequest(string Workflow, JsonObject Data);

/// <summary>What a create or a transition did. <c>replayed</c> is true when an Idempotency-Key returned an earlier result.</summary>
public sealed record TransitionResultDto(Guid DossierId, int Version, string From, string To, long JournalSeq, string Hash, IReadOnlyList<Guid> Notices, bool Replayed)
{
    public static TransitionResultDto Of(FireResult r) => new(r.DossierId, r.Version, r.FromState, r.ToState, r.JournalSeq, r.Hash, r.NoticeIds, r.Replayed);
}

/// <summary>A reason (of a failing guard), in Dutch and English.</summary>
public sealed record ReasonDto(string Code, string Nl, string? En)
{
    public static ReasonDto From(Reason r) => new(r.Code, r.Nl, r.En);
}

/// <summary>A parameter of a trigger or of creation.</summary>
public sealed record ParameterDto(string Name, string Type, bool Required, string? Label, decimal? Min, decimal? Max, int? MaxLength, IReadOnlyList<string>? Values)
{
    public static ParameterDto From(ParameterDefinition p) => new(p.Name, p.Type, p.Required, p.Label?.Nl, p.Min, p.Max, p.MaxLength, p.Values);
}

/// <summary>A trigger of the dossier's current state as offered to the caller.</summary>
public sealed record TransitionOptionDto(string Trigger, string? Label, string? To, bool RoleAllowed, bool Permitted, bool CommentRequired, bool Automatic, IReadOnlyList<ReasonDto> Reasons, IReadOnlyList<ParameterDto> Parameters)
{
    public static TransitionOptionDto From(TriggerOption o) => new(o.Trigger, o.Definition.Label?.Nl, o.To, o.RoleAllowed, o.Permitted, o.CommentRequired, o.Definition.Automatic,
        o.Reasons.Select(ReasonDto.From).ToList(), o.Definition.Parameters.Select(ParameterDto.From).ToList());
}

/// <summary>
/// One journal event, every field exactly as hashed: <c>format</c> names the canonical form (sej1, or sej2 with the
/// server-derived <c>inputs</c>); <c>occurredAt</c> in the canonical form of docs/audit.md
/// (<c>2026-12-07T04:13:00.214050Z</c>: UTC, six fraction digits); <c>arguments</c>, <c>inputs</c> and <c>effects</c>
/// are the exact stored texts.
/// </summary>
public sealed record JournalEventDto(long Seq, int DossierSeq, string OccurredAt, string Actor, string ActorRole, string Kind, string Trigger, string FromState, string ToState,
    string DefinitionId, int DefinitionVersion, string DefinitionHash, string Arguments, string Effects, string PrevHash, string Hash)
{
    public string Format { get; init; } = JournalEvent.FormatTag;

    public string Inputs { get; init; } = "{}";

    public static JournalEventDto From(JournalEvent e) => new(e.Seq, e.DossierSeq, JournalEvent.FormatTime(e.OccurredAt), e.Actor, e.ActorRole, e.Kind, e.Trigger, e.FromState, e.ToState,
        e.DefinitionId, e.DefinitionVersion, e.DefinitionHash, e.Arguments, e.Effects, e.PrevHash, e.Hash) { Format = e.Format, Inputs = e.Inputs };
}

/// <summary>A divergence found by a replay.</summary>
public sealed record DivergenceDto(int DossierSeq, long Seq, string Field, string Expected, string Found);

/// <summary>The replay of one dossier.</summary>
public sealed record ReplayReportDto(Guid DossierId, int Events, bool Ok, string? State, IReadOnlyList<DivergenceDto> Divergences)
{
    public static ReplayReportDto From(ReplayReport r) => new(r.DossierId, r.Events, r.Ok, r.State,
        r.Divergences.Select(d => new DivergenceDto(d.DossierSeq, d.Seq, d.Field, d.Expected, d.Found)).ToList());
}

/// <summary>Totals of a replay of every dossier, with the failing dossiers.</summary>
public sealed record ReplaySummaryDto(
    int Dossiers, long Events, int DivergentDossiers, int? Letters, bool Ok, string Summary, IReadOnlyList<ReplayReportDto> Failures,
    IReadOnlyList<string> CheckpointProblems, IReadOnlyList<LetterDivergenceDto> LetterDivergences)
{
    public static ReplaySummaryDto From(ReplaySummary s) => new(
        s.Dossiers, s.Events, s.DivergentDossiers, s.Letters, s.Ok, s.OneLine, s.Failures.Select(ReplayReportDto.From).ToList(),
        s.CheckpointProblems.Select(p => p.ToString()).ToList(),
        s.LetterDivergences.Select(d => new LetterDivergenceDto(d.DossierId, d.DossierSeq, d.Seq, d.Field, d.Expected, d.Found)).ToList());
}

/// <summary>A stored letter whose re-rendering from the journal differs from what is on record.</summary>
public sealed record LetterDivergenceDto(Guid DossierId, int DossierSeq, long Seq, string Field, string Recomputed, string Recorded);

/// <summary>A deadline of a dossier.</summary>
public sealed record DeadlineDto(Guid Id, string Kind, DateTimeOffset DueAt, string Rule, string? TimeoutTrigger, string? BoundState, int SetBySeq, string Status, DateTimeOffset? ClosedAt, int? ClosedBySeq)
{
    public static DeadlineDto From(DeadlineRecord d) => new(d.Id, d.Kind, d.DueAt, d.Rule, d.TimeoutTrigger, d.BoundState, d.SetBySeq, d.Status, d.ClosedAt, d.ClosedBySeq);
}

/// <summary>A notice (letter, reminder) of a dossier and its delivery status.</summary>
public sealed record NoticeDto(Guid Id, long JournalSeq, int DossierSeq, string Kind, string TemplateId, int TemplateVersion, string Status, int Attempts, DateTimeOffset CreatedAt, DateTimeOffset? SentAt)
{
    public static NoticeDto From(NoticeRecord n) => new(n.Id, n.JournalSeq, n.DossierSeq, n.Kind, n.TemplateId, n.TemplateVersion, n.Status, n.Attempts, n.CreatedAt, n.SentAt);
}

/// <summary>A workflow definition version in the list.</summary>
public sealed record WorkflowSummaryDto(string Id, int Version, string? Title, string? TitleEn, string ContentHash, bool Latest);

/// <summary>A state of a workflow.</summary>
public sealed record StateDto(string Id, string? Label, string? Parent, bool Terminal, string? Stage);

/// <summary>A trigger of a workflow.</summary>
public sealed record TriggerDto(string Id, string? Label, bool Automatic, IReadOnlyList<ParameterDto> Parameters);

/// <summary>A transition of a workflow (guard shown as its JSON expression).</summary>
public sealed record TransitionDto(string From, string Trigger, string? To, IReadOnlyList<string> Roles, JsonNode? Guard, bool CommentRequired, string? Description);

/// <summary>A workflow definition version in full, with its Mermaid state diagram.</summary>
public sealed record WorkflowDto(string Id, int Version, string? Title, string? TitleEn, string ContentHash, string Initial, IReadOnlyList<string> CreationRoles, IReadOnlyList<ParameterDto> CreationParameters,
    IReadOnlyList<StateDto> States, IReadOnlyList<TriggerDto> Triggers, IReadOnlyList<TransitionDto> Transitions, string Mermaid);

/// <summary>A migration spec between two versions of a workflow.</summary>
public sealed record MigrationDto(string Id, string Workflow, int FromVersion, int ToVersion, string? Title, IReadOnlyDictionary<string, string> StateMap);

/// <summary>One dossier in a migration plan; <c>blocker</c> says why it cannot move.</summary>
public sealed record MigrationMoveDto(Guid DossierId, string FromState, string? ToState, string? Blocker);

/// <summary>A migration dry run or apply result.</summary>
public sealed record MigrationPlanDto(string MigrationId, string Workflow, int FromVersion, int ToVersion, int Movable, int Blocked, IReadOnlyList<MigrationMoveDto> Moves)
{
    public static MigrationPlanDto From(MigrationPlan p) => new(p.MigrationId, p.Workflow, p.FromVersion, p.ToVersion, p.Movable.Count(), p.Blocked.Count(),
        p.Moves.Select(m => new MigrationMoveDto(m.DossierId, m.FromState, m.ToState, m.Blocker)).ToList());
}

/// <summary>A user.</summary>
public sealed record UserDto(Guid Id, string DisplayName, string Email, string Role, string? AuthorityId, DateTimeOffset CreatedAt)
{
    public static UserDto From(UserRecord u) => new(u.Id, u.DisplayName, u.Email, u.Role, u.AuthorityId, u.CreatedAt);
}

/// <summary>Body of <c>POST /api/users</c>.</summary>
public sealed record CreateUserRequest(string DisplayName, string Email, string Role, string? AuthorityId);

/// <summary>Body of <c>POST /api/users/{id}/keys</c>.</summary>
public sealed record CreateApiKeyRequest(string Label);

/// <summary>An API key (never its secret).</summary>
public sealed record ApiKeyDto(Guid Id, Guid UserId, string Label, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt)
{
    public static ApiKeyDto From(ApiKeyRecord k) => new(k.Id, k.UserId, k.Label, k.CreatedAt, k.LastUsedAt, k.RevokedAt);
}

/// <summary>A new API key with its secret: shown this once, never stored.</summary>
public sealed record CreatedApiKeyDto(Guid Id, Guid UserId, string Label, DateTimeOffset CreatedAt, string Secret);

/// <summary>Who the caller is, as the service sees it.</summary>
public sealed record MeDto(string Id, string DisplayName, string Role, string? AuthorityId, string Via, bool MayWrite);
