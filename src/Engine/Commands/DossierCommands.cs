using System.Text.Json.Nodes;
using SubsidyEngine.Engine.Access;
using SubsidyEngine.Engine.Programmes;
using SubsidyEngine.Engine.Runtime;

namespace SubsidyEngine.Engine.Commands;

/// <summary>What a user asks when starting an application: only what it is entitled to state.</summary>
/// <param name="Owner">The submitting authority (a municipality always applies for its own; an officer names it).</param>
/// <param name="Participants">The participating authorities of the cooperation (NIS codes).</param>
/// <param name="Contact">Whom the letters go to (default: the register's contact of the submitting authority).</param>
public sealed record StartApplication(string? Owner, IReadOnlyList<string> Participants, JsonObject? Contact);

/// <summary>
/// The one command path of the service: the REST endpoints and the web pages call these, so every change a user
/// asks for gets the same scope (a dossier outside it is not found), the same role and relation checks (in the
/// runtime, inside the fire's transaction), the same idempotency (keys are per user) and the same errors. Nothing
/// here decides: it says who asks and passes the request to the runtime or the programme service.
/// </summary>
public sealed class DossierCommands(WorkflowRuntime runtime, ProgrammeService programmes)
{
    /// <summary>Triggers whose runtime 1 versions took the call's other applications as arguments: the server gathers them.</summary>
    private static readonly IReadOnlySet<string> EligibilityTriggers = new HashSet<string>(["declare-eligible", "declare-ineligible"], StringComparer.Ordinal);

    /// <summary>Fires <paramref name="trigger"/> on a dossier the user sees, with the arguments it states.</summary>
    public async Task<FireResult> FireAsync(
        AccessScope scope, Guid dossierId, string trigger, JsonObject? arguments, int? expectedVersion, string? idempotencyKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        MayWrite(scope, trigger);
        var args = arguments ?? [];
        var key = Namespaced(scope, idempotencyKey);
        if (EligibilityTriggers.Contains(trigger))
        {
            // Only a motivation is the officer's to state; the other applications of the call are the server's.
            var stated = args.Where(kv => kv.Key != ArgumentValidator.CommentField).Select(kv => kv.Key).ToList();
            if (stated.Count > 0)
            {
                throw new ArgumentValidationException(stated.Select(name => new FieldError("$." + name, "is determined by the server, not stated in a request")
                {
                    Rule = "server-owned",
                    Nl = $"{name}: wordt door de server bepaald en kan niet worden meegegeven",
                }).ToList());
            }

            var comment = args[ArgumentValidator.CommentField] is JsonValue c && c.TryGetValue<string>(out var text) ? text : null;
            if (args[ArgumentValidator.CommentField] is { } node && comment is null)
            {
                throw new ArgumentValidationException([new FieldError("$.comment", "must be a string") { Rule = "type", Nl = "comment: moet tekst zijn" }]);
            }

            return await programmes.DecideEligibilityAsync(dossierId, trigger == "declare-eligible", comment, scope.Actor, expectedVersion, cancellationToken, scope, key);
        }

        return await runtime.FireAsync(new FireRequest(dossierId, trigger, args, scope.Actor)
        {
            ExpectedVersion = expectedVersion,
            IdempotencyKey = key,
            Scope = scope,
            FromClient = true,
        }, cancellationToken);
    }

    /// <summary>
    /// Starts a dossier on the latest version of a workflow with the data the user states. A municipality starts
    /// dossiers it owns: a missing owner is its authority, another one is refused.
    /// </summary>
    public async Task<FireResult> CreateAsync(AccessScope scope, string workflow, JsonObject data, string? idempotencyKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(data);
        MayWrite(scope, "create");
        if (scope.IsMunicipality)
        {
            if (!data.TryGetPropertyValue("owner", out var owner) || owner is null)
            {
                data["owner"] = scope.AuthorityId;
            }
            else if (owner is not JsonValue ov || !ov.TryGetValue<string>(out var os) || os != scope.AuthorityId)
            {
                throw new TransitionForbiddenException("create", scope.Role, [Workflows.Model.Relations.Owner], null);
            }
        }

        try
        {
            return await runtime.CreateAsync(new CreateRequest(workflow, data, scope.Actor) { IdempotencyKey = Namespaced(scope, idempotencyKey) }, cancellationToken);
        }
        catch (ArgumentValidationException e)
        {
            // The runtime names members of the dossier data; in the request they sit under "data".
            throw new ArgumentValidationException(e.Errors.Select(f => f.Field.StartsWith('$') ? f with { Field = "$.data" + f.Field[1..] } : f).ToList());
        }
    }

    /// <summary>
    /// Starts an application for a call: the user names the call (in the route), the participating authorities and
    /// optionally a contact; the server copies the call and the register (the definition's inputs), checks that the
    /// call is open and that the authority has no application for it yet.
    /// </summary>
    public Task<FireResult> StartApplicationAsync(
        AccessScope scope, string programme, string call, StartApplication request, string? idempotencyKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(request);
        MayWrite(scope, "create");
        string owner;
        if (scope.IsMunicipality)
        {
            if (request.Owner is not null && request.Owner != scope.AuthorityId)
            {
                throw new TransitionForbiddenException("create", scope.Role, [Workflows.Model.Relations.Owner], null);
            }

            owner = scope.AuthorityId ?? throw new TransitionForbiddenException("create", scope.Role);
        }
        else
        {
            owner = request.Owner ?? throw new ArgumentValidationException([new FieldError("$.owner", "is required: name the submitting authority") { Rule = "required", Nl = "Indienend bestuur: is verplicht" }]);
        }

        return programmes.StartApplicationAsync(programme, call, owner, request.Participants, scope.Actor, null, cancellationToken, request.Contact, Namespaced(scope, idempotencyKey));
    }

    /// <summary>Auditors (and anyone without a writing role) read; they change nothing.</summary>
    private static void MayWrite(AccessScope scope, string trigger)
    {
        if (!scope.MayWrite)
        {
            throw new TransitionForbiddenException(trigger, scope.Role);
        }
    }

    /// <summary>
    /// Keys are per user: two callers choosing the same key never see (or block) each other's results. A key that
    /// breaks the one rule (<see cref="IdempotencyKeys.IsValid"/>) is refused here, whichever entry point sent it.
    /// </summary>
    public static string? Namespaced(AccessScope scope, string? key)
    {
        ArgumentNullException.ThrowIfNull(scope);
        if (key is not null && !IdempotencyKeys.IsValid(key))
        {
            throw new ArgumentValidationException([IdempotencyKeys.Error(IdempotencyKeys.Name)]);
        }

        return key is null ? null : $"{scope.UserId}:{key}";
    }

    /// <summary>
    /// Whether the caller already used <paramref name="idempotencyKey"/> (a page form posted twice): the page then
    /// skips its own checks of the current state and lets the runtime answer with the first post's result.
    /// </summary>
    public async Task<bool> UsedAsync(AccessScope scope, string? idempotencyKey, CancellationToken cancellationToken = default) =>
        Namespaced(scope, idempotencyKey) is { } key && await runtime.IdempotencyKeyUsedAsync(key, cancellationToken);
}
