using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpgsqlTypes;
using SubsidyEngine.Engine.Configuration;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Engine.Mail;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Workflows.Expressions;

namespace SubsidyEngine.Engine.Notices;

/// <summary>
/// Delivers the outbox: claims due notices set-based (<c>FOR UPDATE SKIP LOCKED</c>, in batches), renders each
/// once into the immutable <c>letter</c> table, sends it through <see cref="IMailTransport"/>, and records the
/// delivery with a <c>notice.sent</c> record event that marks the notice sent in the same transaction.
/// </summary>
/// <remarks>
/// <para>
/// Claiming sets the notice to <c>sending</c>, counts the attempt and moves <c>next_attempt_at</c> to the end of a
/// lease (<see cref="NoticeOptions.LeaseSeconds"/>), all committed before any SMTP traffic. A sender that dies
/// after the SMTP server accepted a message but before the record committed leaves the notice in
/// <c>sending</c>; when the lease runs out another sender sends it again with the same Message-ID (derived from
/// the notice id), so receivers can drop the duplicate. Delivery is therefore at-least-once, with the duplicate
/// window limited to that crash; see docs/decisions/2026-11-22-outbox-delivery.md.
/// </para>
/// <para>
/// Failures: a transient <see cref="MailDeliveryException"/> puts the notice back to <c>pending</c> at the
/// <see cref="RetryPolicy"/>'s next time; a permanent one (or exhausted attempts) marks it <c>failed</c> with a
/// <c>notice.failed</c> record event. Any other exception propagates like a crash: the notice stays claimed
/// until its lease runs out. Safe to run concurrently in any number of processes.
/// </para>
/// </remarks>
public sealed class NoticeDispatcher
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly WorkflowRuntime _runtime;
    private readonly INoticeComposer _composer;
    private readonly IMailTransport _transport;
    private readonly TimeProvider _clock;
    private readonly NoticeOptions _options;
    private readonly RetryPolicy _policy;
    private readonly IWorkSignal? _signal;
    private readonly NoticeClaims _claims;
    private readonly NoticeQueries _queries;
    private readonly ILogger _logger;

    /// <summary>Creates a dispatcher.</summary>
    /// <param name="dataSource">The database.</param>
    /// <param name="runtime">Writes the <c>notice.sent</c> / <c>notice.failed</c> / <c>notice.requeued</c> record events.</param>
    /// <param name="composer">Renders a notice the first time it is sent.</param>
    /// <param name="transport">SMTP or the .eml outbox (<see cref="MailTransport.Create"/>).</param>
    /// <param name="clock">The service clock.</param>
    /// <param name="options">Batch size and lease.</param>
    /// <param name="policy">Backoff of transient failures; <see cref="RetryPolicy.Default"/> when null.</param>
    /// <param name="signal">Told when <see cref="RetryAsync"/> re-queues a notice.</param>
    /// <param name="logger">Logs failures.</param>
    public NoticeDispatcher(
        NpgsqlDataSource dataSource, WorkflowRuntime runtime, INoticeComposer composer, IMailTransport transport, TimeProvider clock,
        NoticeOptions options, RetryPolicy? policy = null, IWorkSignal? signal = null, ILogger<NoticeDispatcher>? logger = null)
    {
        _dataSource = dataSource ?? throw new ArgumentNullException(nameof(dataSource));
        _runtime = runtime ?? throw new ArgumentNullException(nameof(runtime));
        _composer = composer ?? throw new ArgumentNullException(nameof(composer));
        _transport = transport ?? throw new ArgumentNullException(nameof(transport));
        _clock = clock ?? throw new ArgumentNullException(nameof(clock));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _policy = policy ?? RetryPolicy.Default;
        _signal = signal;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _claims = new NoticeClaims(dataSource, clock, options);
        _queries = new NoticeQueries(dataSource);
    }

    private DateTimeOffset Now() => JournalEvent.Truncate(_clock.GetUtcNow());

    /// <summary>Where a notice that failed permanently is reported (<c>Subsidy:Smtp:OperationsAddress</c>); null: not mailed.</summary>
    public string? OperationsAddress { get; init; }

    /// <summary>The service's public address (<c>Subsidy:PublicBaseUrl</c>): the operations mail links to the failed notices screen on it.</summary>
    public string? PublicBaseUrl { get; init; }

    /// <summary>Sends every notice due now, batch after batch, and returns what happened.</summary>
    public async Task<DispatchResult> DispatchDueAsync(CancellationToken cancellationToken = default)
    {
        var total = DispatchResult.None with { Cancelled = await _claims.CancelStaleRemindersAsync(cancellationToken) };
        while (true)
        {
            var claimed = await _claims.ClaimAsync(_options.DispatchBatchSize, cancellationToken);
            if (claimed.Count == 0)
            {
                return total;
            }

            total = total.Add(await DeliverAsync(claimed, cancellationToken));
            if (claimed.Count < _options.DispatchBatchSize)
            {
                return total;
            }
        }
    }

    /// <summary>
    /// How long until the next pending notice (a retry) or claimed notice (a lease) comes due, at most
    /// <paramref name="cap"/>; at least a quarter second, so a caller waiting on it never spins.
    /// </summary>
    public async Task<TimeSpan> UntilNextDueAsync(TimeSpan cap, CancellationToken cancellationToken = default)
    {
        await using var cmd = _dataSource.CreateCommand("SELECT min(next_attempt_at) FROM notice WHERE status IN ('pending', 'sending')");
        var next = await cmd.ExecuteScalarAsync(cancellationToken) switch
        {
            DateTime d => new DateTimeOffset(DateTime.SpecifyKind(d, DateTimeKind.Utc)),
            DateTimeOffset o => o,
            _ => (DateTimeOffset?)null,
        };
        if (next is null)
        {
            return cap;
        }

        var wait = next.Value - _clock.GetUtcNow();
        return wait < TimeSpan.FromMilliseconds(250) ? TimeSpan.FromMilliseconds(250) : wait > cap ? cap : wait;
    }

    /// <summary>
    /// Renders and stores the letters of pending notices that have none yet, without sending (e.g. right after a
    /// large reminder sweep, so the rendering cost is not paid while sending). Returns how many were rendered.
    /// </summary>
    public async Task<int> PrerenderAsync(int batchSize = 1000, CancellationToken cancellationToken = default)
    {
        var rendered = 0;
        var after = Guid.Empty;
        while (true)
        {
            // Keyset by id, so each batch starts where the last one ended instead of skipping rendered notices again.
            var batch = new List<ClaimedNotice>();
            await using (var cmd = _dataSource.CreateCommand(
                $"""
                WITH todo AS (
                    SELECT n.* FROM notice n
                    WHERE n.status = 'pending' AND n.id > $2 AND NOT EXISTS (SELECT 1 FROM letter l WHERE l.notice_id = n.id)
                    ORDER BY n.id LIMIT $1
                )
                {NoticeRows.DetailsSelect("todo")}
                """))
            {
                cmd.Parameters.AddWithValue(batchSize);
                cmd.Parameters.AddWithValue(after);
                await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    batch.Add(ClaimedNotice.Read(reader));
                }
            }

            if (batch.Count == 0)
            {
                return rendered;
            }

            after = batch[^1].Notice.NoticeId;
            var letters = await EnsureRenderedAsync(batch, failOnInvalid: false, cancellationToken);
            rendered += letters.Count;
            if (batch.Count < batchSize)
            {
                return rendered;
            }
        }
    }

    /// <summary>
    /// Puts a failed notice back in the queue (an officer fixed the address, the relay is repaired), recorded as a
    /// <c>notice.requeued</c> record event by <paramref name="actor"/>. The stored rendering is kept: the same
    /// letter is sent. Returns false when the notice is not in <c>failed</c>.
    /// </summary>
    /// <exception cref="NoticeNotFoundException">No such notice.</exception>
    public async Task<bool> RetryAsync(Guid noticeId, Actor actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var status = await _queries.GetStatusAsync(noticeId, cancellationToken) ?? throw new NoticeNotFoundException(noticeId);
        if (status.Status != "failed")
        {
            return false;
        }

        var now = Now();
        try
        {
            await _runtime.AppendRecordAsync(
                status.DossierId,
                "notice.requeued",
                new JsonObject
                {
                    ["notice"] = noticeId.ToString("D"),
                    ["previousAttempts"] = status.Attempts,
                    ["previousError"] = status.LastError,
                },
                actor,
                idempotencyKey: null,
                alsoInTransaction: async (conn, tx, _) =>
                {
                    await using var cmd = new NpgsqlCommand(
                        "UPDATE notice SET status = 'pending', attempts = 0, next_attempt_at = $2, failed_at = NULL, last_error = NULL, outcome_journal_seq = NULL WHERE id = $1 AND status = 'failed'",
                        conn, tx);
                    cmd.Parameters.AddWithValue(noticeId);
                    cmd.Parameters.AddWithValue(now);
                    if (await cmd.ExecuteNonQueryAsync(cancellationToken) != 1)
                    {
                        throw new AlreadySettledException();
                    }
                },
                cancellationToken);
        }
        catch (AlreadySettledException)
        {
            return false;
        }

        _signal?.NoticesCreated();
        return true;
    }

    /// <summary>Recording transactions allowed in flight while the next message is sent (see <see cref="DeliverAsync"/>).</summary>
    private const int RecordsInFlight = 8;

    /// <summary>Letters rendered at a time, right before they are sent (see <see cref="DeliverAsync"/>).</summary>
    private const int RenderChunk = 10;

    /// <summary>
    /// Sends the claimed notices one after the other on the transport; the <c>notice.sent</c> record of a message
    /// commits while the next one is being sent (at most <see cref="RecordsInFlight"/> at once), so the database
    /// round trips and the SMTP dialogue overlap. Every record still follows its own send.
    /// </summary>
    /// <remarks>
    /// A batch is claimed at once but handled a chunk at a time: <see cref="RenderChunk"/> letters are rendered (each
    /// from its notice's snapshot, and decision letters go through Chromium), then sent.
    /// While the batch is being worked through, the claims of its notices not yet handled are kept alive
    /// (<see cref="NoticeClaims.KeepClaimsAsync"/>) every third of the lease, so a slow but healthy sender (long dossiers, PDF
    /// letters, a loaded machine) keeps its batch: without that, the rest of the batch lapsed during rendering,
    /// another sender claimed it again, both rendered the same letters, and every such re-claim counted as an
    /// attempt until healthy notices were failed as "gave up" (found by the full-size crash test). A sender that
    /// dies stops renewing, and its claims lapse after one lease as before.
    /// </remarks>
    private async Task<DispatchResult> DeliverAsync(List<ClaimedNotice> claimed, CancellationToken cancellationToken)
    {
        int retrying = 0, failed = 0;
        var records = new List<Task<bool>>();
        var renewed = Now();
        using var gate = new SemaphoreSlim(RecordsInFlight);
        try
        {
            for (var start = 0; start < claimed.Count; start += RenderChunk)
            {
                if (start > 0 && Now() - renewed >= TimeSpan.FromSeconds(_options.LeaseSeconds / 3.0))
                {
                    renewed = Now();
                    await _claims.KeepClaimsAsync(claimed.GetRange(start, claimed.Count - start), cancellationToken);
                }

                var chunk = claimed.GetRange(start, Math.Min(RenderChunk, claimed.Count - start));
                var letters = await EnsureRenderedAsync(chunk, failOnInvalid: true, cancellationToken);
                foreach (var c in chunk)
                {
                    if (!letters.TryGetValue(c.Notice.NoticeId, out var letter))
                    {
                        failed++; // could not be rendered: already marked failed by EnsureRenderedAsync
                        continue;
                    }

                    if (c.Attempts > _policy.MaxAttempts)
                    {
                        // Claimed again after its lease ran out more often than the policy allows (a sender keeps dying on it).
                        await FailAsync(c, $"gave up after {c.Attempts - 1} attempts whose outcome was never recorded (lease expired)", cancellationToken);
                        failed++;
                        continue;
                    }

                    if (!await _claims.RenewLeaseAsync(c, cancellationToken))
                    {
                        // The batch took longer than the lease and another sender claimed this notice meanwhile: it is theirs now.
                        _logger.LogWarning("Notice {Notice} was claimed by another sender after its lease ran out; not sending it here", c.Notice.NoticeId);
                        continue;
                    }

                    DeliveryReceipt receipt;
                    try
                    {
                        receipt = await _transport.SendAsync(ToMessage(c.Notice, letter), cancellationToken);
                    }
                    catch (MailDeliveryException e)
                    {
                        if (await HandleFailureAsync(c, e, cancellationToken))
                        {
                            failed++;
                        }
                        else
                        {
                            retrying++;
                        }

                        continue;
                    }

                    await gate.WaitAsync(cancellationToken);
                    records.Add(RecordReleasingAsync(c, letter, receipt, gate, cancellationToken));
                }
            }
        }
        finally
        {
            // Whatever happens to the loop (a crash of the transport, cancellation), the records of messages that
            // were sent are still written when they can be.
            await Task.WhenAll(records.Select(r => r.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default)));
        }

        var sent = (await Task.WhenAll(records)).Count(r => r);
        return new DispatchResult(sent, retrying, failed, 0);
    }

    private async Task<bool> RecordReleasingAsync(ClaimedNotice c, StoredLetter letter, DeliveryReceipt receipt, SemaphoreSlim gate, CancellationToken cancellationToken)
    {
        try
        {
            return await RecordSentDurablyAsync(c, letter, receipt, cancellationToken);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// <see cref="RecordSentAsync"/>, retried while the database is briefly unreachable (a restart, a fail-over).
    /// The relay has already accepted the message: giving up here leaves the notice <c>sending</c>, and it is sent a
    /// second time when its lease runs out. So the record is retried with backoff for most of the lease (never past
    /// it: by then another sender may claim the notice). A retry after a commit whose answer was lost finds the
    /// idempotency key <c>notice-sent:&lt;id&gt;</c> and writes nothing twice.
    /// </summary>
    private async Task<bool> RecordSentDurablyAsync(ClaimedNotice c, StoredLetter letter, DeliveryReceipt receipt, CancellationToken cancellationToken)
    {
        var budget = TimeSpan.FromSeconds(_options.LeaseSeconds * 0.8);
        var leaseEnd = (c.LastAttemptAt ?? Now()) + budget;
        var waited = System.Diagnostics.Stopwatch.StartNew();
        var pause = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                return await RecordSentAsync(c, letter, receipt, cancellationToken);
            }
            catch (Exception e) when (IsTransientDatabaseError(e) && waited.Elapsed + pause < budget && Now() + pause < leaseEnd)
            {
                _logger.LogWarning("Notice {Notice} was accepted by the mail server but its record could not be written ({Message}); retrying in {Pause} ms",
                    c.Notice.NoticeId, e.Message, (int)pause.TotalMilliseconds);
                await Task.Delay(pause, cancellationToken);
                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
            }
        }
    }

    /// <summary>Connection loss, server shutdown or restart, too many connections, time-outs, failovers: trying again may work.</summary>
    internal static bool IsTransientDatabaseError(Exception e) => Database.DatabaseErrors.IsUnavailable(e);

    /// <summary>Backoff or failure after a delivery exception; true when the notice is now failed.</summary>
    private async Task<bool> HandleFailureAsync(ClaimedNotice c, MailDeliveryException e, CancellationToken cancellationToken)
    {
        var decision = _policy.Decide(c.Attempts, Now(), e);
        if (decision.GiveUp)
        {
            _logger.LogWarning("Notice {Notice} failed permanently: {Reason}", c.Notice.NoticeId, decision.Reason);
            await FailAsync(c, decision.Reason, cancellationToken);
            return true;
        }

        _logger.LogInformation("Notice {Notice} will be retried at {At}: {Reason}", c.Notice.NoticeId, decision.NextAttemptAt, decision.Reason);
        await _claims.ReleaseForRetryAsync(c, decision.NextAttemptAt!.Value, decision.Reason, cancellationToken);
        return false;
    }

    /// <summary>Writes <c>notice.sent</c> and marks the notice sent in one transaction. False when another sender recorded it first.</summary>
    private async Task<bool> RecordSentAsync(ClaimedNotice c, StoredLetter letter, DeliveryReceipt receipt, CancellationToken cancellationToken)
    {
        var n = c.Notice;
        var sentAt = JournalEvent.Truncate(receipt.SentAt);
        var args = new JsonObject
        {
            ["notice"] = n.NoticeId.ToString("D"),
            ["kind"] = n.Kind,
            ["messageId"] = receipt.MessageId,
            ["transport"] = receipt.Transport,
            ["serverReply"] = receipt.ServerReply,
            ["sentAt"] = JournalEvent.FormatTime(sentAt),
            ["htmlSha256"] = letter.HtmlSha256,
            ["template"] = n.TemplateId,
            ["version"] = n.TemplateVersion,
            ["attempt"] = c.Attempts,
        };
        if (n.Reminder is { } r)
        {
            args["deadline"] = r.DeadlineId.ToString("D");
            args["stage"] = r.OffsetCode;
        }

        if (n.Snapshot?.DataSha256 is { } dataSha256)
        {
            args["dataSha256"] = dataSha256; // the snapshot the letter was rendered from (export bundle: notices.jsonl "data")
        }

        try
        {
            await _runtime.AppendRecordAsync(
                n.DossierId, "notice.sent", args, Actor.System, idempotencyKey: $"notice-sent:{n.NoticeId:D}",
                alsoInTransaction: async (conn, tx, seq) =>
                {
                    await using var cmd = new NpgsqlCommand(
                        """
                        UPDATE notice SET status = 'sent', sent_at = $2, message_id = $3, transport = $4, server_reply = $5,
                                          outcome_journal_seq = $6, last_error = NULL
                        WHERE id = $1 AND status IN ('sending', 'pending')
                        """,
                        conn, tx);
                    cmd.Parameters.AddWithValue(n.NoticeId);
                    cmd.Parameters.AddWithValue(sentAt);
                    cmd.Parameters.AddWithValue(receipt.MessageId);
                    cmd.Parameters.AddWithValue(receipt.Transport);
                    cmd.Parameters.AddWithValue(receipt.ServerReply);
                    cmd.Parameters.AddWithValue(seq);
                    if (await cmd.ExecuteNonQueryAsync(cancellationToken) != 1)
                    {
                        throw new AlreadySettledException();
                    }
                },
                cancellationToken);
            return true;
        }
        catch (Exception e) when (e is AlreadySettledException or IdempotencyConflictException)
        {
            // A second sender (whose lease ran out under a slow send) delivered and recorded it first.
            _logger.LogWarning("Notice {Notice} was delivered again after another sender had recorded it (Message-ID {MessageId})", n.NoticeId, receipt.MessageId);
            return false;
        }
    }

    private async Task FailAsync(ClaimedNotice c, string reason, CancellationToken cancellationToken)
    {
        var n = c.Notice;
        var failedAt = Now();
        var args = new JsonObject
        {
            ["notice"] = n.NoticeId.ToString("D"),
            ["kind"] = n.Kind,
            ["template"] = n.TemplateId,
            ["version"] = n.TemplateVersion,
            ["attempts"] = c.Attempts,
            ["error"] = reason,
            ["failedAt"] = JournalEvent.FormatTime(failedAt),
        };
        // No idempotency key: a key that replays would skip the status update below. The guard on the status
        // (sending/pending) makes a second recording roll back instead.
        try
        {
            await _runtime.AppendRecordAsync(
                n.DossierId, "notice.failed", args, Actor.System, idempotencyKey: null,
                alsoInTransaction: async (conn, tx, seq) =>
                {
                    await using var cmd = new NpgsqlCommand(
                        "UPDATE notice SET status = 'failed', failed_at = $2, last_error = $3, outcome_journal_seq = $4 WHERE id = $1 AND status IN ('sending', 'pending')",
                        conn, tx);
                    cmd.Parameters.AddWithValue(n.NoticeId);
                    cmd.Parameters.AddWithValue(failedAt);
                    cmd.Parameters.AddWithValue(reason);
                    cmd.Parameters.AddWithValue(seq);
                    if (await cmd.ExecuteNonQueryAsync(cancellationToken) != 1)
                    {
                        throw new AlreadySettledException();
                    }
                },
                cancellationToken);
        }
        catch (Exception e) when (e is AlreadySettledException or IdempotencyConflictException)
        {
            _logger.LogWarning("Notice {Notice} was settled by another sender before it could be marked failed", n.NoticeId);
            return;
        }

        await ReportToOperationsAsync(n, reason, c.Attempts, cancellationToken);
    }

    /// <summary>
    /// Mails the operations address that a notice failed for good (once: only the sender that recorded the failure
    /// gets here). Its Message-ID derives from the notice, so a repeated attempt is the same message. A relay that
    /// refuses it is logged, never fails the dispatch: the failed notice is on the board and the notices screen anyway.
    /// </summary>
    private async Task ReportToOperationsAsync(NoticeToCompose n, string reason, int attempts, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(OperationsAddress))
        {
            return;
        }

        var reference = n.DossierData["reference"] is JsonValue v && v.TryGetValue<string>(out var r) ? r : n.DossierId.ToString("D");
        var text = string.Join('\n',
            $"Een bericht kon niet worden verzonden en wordt niet opnieuw geprobeerd.",
            string.Empty,
            $"Dossier: {reference} ({n.DossierId:D})",
            $"Bericht: {n.TemplateId} versie {n.TemplateVersion} ({n.Kind}), id {n.NoticeId:D}",
            $"Pogingen: {attempts}",
            $"Fout: {reason}",
            string.Empty,
            $"Zie 'Mislukte berichten' op het scherm Opvolging ({(PublicBaseUrl ?? string.Empty).TrimEnd('/')}/notices#h-failed) om het opnieuw te versturen na herstel.");
        try
        {
            await _transport.SendAsync(
                new OutgoingMessage
                {
                    NoticeId = DeterministicOperationsId(n.NoticeId),
                    To = [new MailRecipient("Operations", OperationsAddress)],
                    Subject = $"Bericht niet verzonden: {n.TemplateId} voor {reference}",
                    TextBody = text,
                },
                cancellationToken);
        }
        catch (MailDeliveryException e)
        {
            _logger.LogError(e, "Could not report failed notice {Notice} to {Address}", n.NoticeId, OperationsAddress);
        }
    }

    private static Guid DeterministicOperationsId(Guid noticeId)
    {
        var bytes = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes("operations:" + noticeId.ToString("D")));
        return new Guid(bytes.AsSpan(0, 16));
    }

    /// <summary>
    /// The stored rendering of each notice; notices without one are composed now and stored (first writer wins,
    /// later readers get the stored bytes). With <paramref name="failOnInvalid"/>, a notice whose rendering is
    /// refused (<see cref="InvalidMailException"/>) is marked failed and left out of the result.
    /// </summary>
    private async Task<Dictionary<Guid, StoredLetter>> EnsureRenderedAsync(List<ClaimedNotice> notices, bool failOnInvalid, CancellationToken cancellationToken)
    {
        var ids = notices.Select(n => n.Notice.NoticeId).ToArray();
        var letters = await LoadLettersAsync(ids, cancellationToken);
        var fresh = new List<(ClaimedNotice Notice, ComposedNotice Composed)>();
        foreach (var c in notices.Where(c => !letters.ContainsKey(c.Notice.NoticeId)))
        {
            try
            {
                var composed = await _composer.ComposeAsync(c.Notice, cancellationToken);
                Check(composed);
                fresh.Add((c, composed));
            }
            catch (InvalidMailException e) when (failOnInvalid)
            {
                await FailAsync(c, $"could not be rendered: {e.Message}", cancellationToken);
            }
            catch (InvalidMailException e)
            {
                _logger.LogWarning("Notice {Notice} could not be rendered: {Message}", c.Notice.NoticeId, e.Message);
            }
        }

        if (fresh.Count == 0)
        {
            return letters;
        }

        var renderedAt = Now();
        var inserted = new HashSet<Guid>();
        await using (var cmd = _dataSource.CreateCommand(
            """
            INSERT INTO letter (notice_id, template_id, template_version, to_recipients, cc_recipients, subject, html, text_body, html_sha256, pdf, pdf_file_name, rendered_at)
            SELECT t.id, t.template_id, t.template_version, t.to_r::jsonb, t.cc_r::jsonb, t.subject, t.html, t.text_body, t.sha, t.pdf, t.pdf_name, $12
            FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::bytea[], $11::text[])
                 AS t(id, template_id, template_version, to_r, cc_r, subject, html, text_body, sha, pdf, pdf_name)
            ON CONFLICT (notice_id) DO NOTHING
            RETURNING notice_id
            """))
        {
            cmd.Parameters.AddWithValue(fresh.Select(f => f.Notice.Notice.NoticeId).ToArray());
            cmd.Parameters.AddWithValue(fresh.Select(f => f.Notice.Notice.TemplateId).ToArray());
            cmd.Parameters.AddWithValue(fresh.Select(f => f.Notice.Notice.TemplateVersion).ToArray());
            cmd.Parameters.AddWithValue(fresh.Select(f => JsonSerializer.Serialize(f.Composed.To, NoticeRows.RecipientJson)).ToArray());
            cmd.Parameters.AddWithValue(fresh.Select(f => JsonSerializer.Serialize(f.Composed.Cc, NoticeRows.RecipientJson)).ToArray());
            cmd.Parameters.AddWithValue(fresh.Select(f => f.Composed.Subject).ToArray());
            cmd.Parameters.AddWithValue(fresh.Select(f => f.Composed.Html).ToArray());
            cmd.Parameters.AddWithValue(fresh.Select(f => f.Composed.Text).ToArray());
            cmd.Parameters.AddWithValue(fresh.Select(f => f.Composed.HtmlSha256).ToArray());
            cmd.Parameters.Add(new NpgsqlParameter { Value = fresh.Select(f => f.Composed.Pdf).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea });
            cmd.Parameters.Add(new NpgsqlParameter { Value = fresh.Select(f => f.Composed.PdfFileName).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            cmd.Parameters.AddWithValue(renderedAt);
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                inserted.Add(reader.GetGuid(0));
            }
        }

        foreach (var (c, composed) in fresh.Where(f => inserted.Contains(f.Notice.Notice.NoticeId)))
        {
            letters[c.Notice.NoticeId] = new StoredLetter(composed.To, composed.Cc, composed.Subject, composed.Html, composed.Text, composed.HtmlSha256, composed.Pdf, composed.PdfFileName);
        }

        // Another sender stored a rendering first: its bytes are the ones sent.
        var lost = fresh.Where(f => !inserted.Contains(f.Notice.Notice.NoticeId)).Select(f => f.Notice.Notice.NoticeId).ToArray();
        if (lost.Length > 0)
        {
            foreach (var (id, letter) in await LoadLettersAsync(lost, cancellationToken))
            {
                letters[id] = letter;
            }
        }

        return letters;
    }

    private static void Check(ComposedNotice composed)
    {
        if (composed.To is null || composed.To.Count == 0)
        {
            throw new InvalidMailException("To", "has no recipient");
        }

        if (composed.Pdf is not null && string.IsNullOrWhiteSpace(composed.PdfFileName))
        {
            throw new InvalidMailException("PdfFileName", "is required with a PDF");
        }

        if (composed.HtmlSha256 != ComposedNotice.Sha256Of(composed.Html))
        {
            throw new InvalidMailException("HtmlSha256", "does not match the HTML");
        }
    }

    private async Task<Dictionary<Guid, StoredLetter>> LoadLettersAsync(Guid[] ids, CancellationToken cancellationToken)
    {
        var letters = new Dictionary<Guid, StoredLetter>();
        await using var cmd = _dataSource.CreateCommand(
            "SELECT notice_id, to_recipients::text, cc_recipients::text, subject, html, text_body, html_sha256, pdf, pdf_file_name FROM letter WHERE notice_id = ANY($1)");
        cmd.Parameters.AddWithValue(ids);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            letters[reader.GetGuid(0)] = new StoredLetter(
                NoticeRows.ParseRecipients(reader.GetString(1)), NoticeRows.ParseRecipients(reader.GetString(2)), reader.GetString(3), reader.GetString(4),
                reader.GetString(5), reader.GetString(6), reader.IsDBNull(7) ? null : reader.GetFieldValue<byte[]>(7), reader.IsDBNull(8) ? null : reader.GetString(8));
        }

        return letters;
    }

    private static OutgoingMessage ToMessage(NoticeToCompose n, StoredLetter letter)
    {
        var headers = new Dictionary<string, string>(StringComparer.Ordinal) { [OutgoingMessage.DossierHeader] = n.DossierId.ToString("D") };
        if (n.DossierData["reference"] is JsonValue v && v.TryGetValue<string>(out var reference) && reference.Length is > 0 and < 200 && !reference.Any(char.IsControl))
        {
            headers[OutgoingMessage.ReferenceHeader] = reference;
        }

        return new OutgoingMessage
        {
            NoticeId = n.NoticeId,
            To = letter.To,
            Cc = letter.Cc,
            Subject = letter.Subject,
            TextBody = letter.Text,
            HtmlBody = letter.Html,
            Attachments = letter.Pdf is { } pdf ? [MailAttachment.Pdf(letter.PdfFileName!, pdf)] : [],
            Headers = headers,
        };
    }

    private sealed record StoredLetter(
        IReadOnlyList<MailRecipient> To, IReadOnlyList<MailRecipient> Cc, string Subject, string Html, string Text, string HtmlSha256, byte[]? Pdf, string? PdfFileName);

    /// <summary>Thrown inside a record transaction to roll it back when the notice was settled meanwhile.</summary>
    private sealed class AlreadySettledException : Exception
    {
        public AlreadySettledException()
            : base("the notice was settled by another sender")
        {
        }
    }
}
