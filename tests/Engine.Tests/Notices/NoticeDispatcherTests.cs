using System.Text.Json.Nodes;
using SubsidyEngine.Engine.Configuration;
using SubsidyEngine.Engine.Mail;
using SubsidyEngine.Engine.Notices;
using SubsidyEngine.Testing;

namespace SubsidyEngine.Engine.Tests.Notices;

public sealed class NoticeDispatcherTests(PostgresDatabase db, SmtpTestServer smtp) : IClassFixture<PostgresDatabase>, IClassFixture<SmtpTestServer>, IAsyncLifetime
{
    private NoticeHarness h = null!;

    public async Task InitializeAsync()
    {
        await db.ResetAsync();
        smtp.Clear();
        h = new NoticeHarness(db, smtp);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<List<Guid>> LettersAsync(int count, string? email = null)
    {
        var notices = new List<Guid>();
        for (var i = 0; i < count; i++)
        {
            var dossier = await h.CreateReportAsync("2024-12-31", owner: $"gemeente-{i}", email: email ?? $"contact{i}@gemeente.example.be");
            notices.AddRange((await h.Runtime.FireAsync(dossier.DossierId, "send-letter")).NoticeIds);
        }

        return notices;
    }

    [Fact]
    public async Task Running_the_dispatcher_twice_delivers_each_notice_once_and_records_it_once()
    {
        var notices = await LettersAsync(3);
        var dispatcher = h.NewDispatcher();

        var first = await dispatcher.DispatchDueAsync();
        var second = await dispatcher.DispatchDueAsync();

        Assert.Equal(3, first.Sent);
        Assert.Equal(DispatchResult.None, second);
        var messages = await smtp.WaitForMessagesAsync(3, TimeSpan.FromSeconds(10));
        Assert.Equal(3, messages.Count);
        foreach (var id in notices)
        {
            var status = await h.Queries.GetStatusAsync(id);
            Assert.Equal("sent", status!.Status);
            var message = Assert.Single(messages, m => m.Message.MessageId == status.MessageId);
            Assert.Equal(MessageComposer.MessageIdFor(id, "noreply-samenleven@abb.example.be"), message.Message.MessageId);
            var record = Assert.Single(await h.RecordsAsync(status.DossierId, "notice.sent"));
            Assert.Equal(id.ToString("D"), record["notice"]!.GetValue<string>());
            Assert.Equal("smtp", record["transport"]!.GetValue<string>());
            Assert.StartsWith("2.0.0 Ok: queued as", record["serverReply"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Equal("letter-a", record["template"]!.GetValue<string>());
            Assert.Equal(ComposedNotice.Sha256Of(message.Message.HtmlBody!), record["htmlSha256"]!.GetValue<string>());
            Assert.True((await h.Runtime.Replayer.ReplayAsync(status.DossierId)).Ok);
        }
    }

    [Fact]
    public async Task A_crash_after_the_server_accepted_resends_with_the_same_message_id_and_the_same_letter_after_the_lease()
    {
        var notice = Assert.Single(await LettersAsync(1));
        var inner = new SmtpMailTransport(smtp.CreateSmtpOptions(), h.Clock);
        await Assert.ThrowsAsync<SimulatedCrashException>(() => h.NewDispatcher(new CrashAfterSendTransport(inner)).DispatchDueAsync());
        Assert.Single(await smtp.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10)));
        var afterCrash = await h.Queries.GetStatusAsync(notice);
        Assert.Equal("sending", afterCrash!.Status);
        Assert.Equal(1, afterCrash.Attempts); // the attempt was recorded before SMTP

        // Within the lease nobody touches it; after the lease another dispatcher sends it again.
        var restarted = h.NewDispatcher();
        Assert.Equal(0, (await restarted.DispatchDueAsync()).Sent);
        h.Clock.Advance(TimeSpan.FromSeconds(h.Options.Notices.LeaseSeconds + 1));
        Assert.Equal(1, (await restarted.DispatchDueAsync()).Sent);

        var messages = await smtp.WaitForMessagesAsync(2, TimeSpan.FromSeconds(10));
        Assert.Equal(2, messages.Count);
        Assert.Single(messages.Select(m => m.Message.MessageId).Distinct()); // receivers can drop the duplicate
        Assert.Equal(messages[0].Message.HtmlBody, messages[1].Message.HtmlBody); // the stored rendering is reused
        var record = Assert.Single(await h.RecordsAsync(afterCrash.DossierId, "notice.sent"));
        Assert.Equal(2, record["attempt"]!.GetValue<int>());
        Assert.Equal(1, await h.CountAsync("SELECT count(*) FROM letter"));
    }

    [Fact]
    public async Task A_batch_that_takes_longer_than_the_lease_keeps_its_claims_so_no_other_sender_takes_or_recounts_them()
    {
        // 30 letters rendered 2 s (of clock time) each: 60 s for the batch against a 40 s lease. At every rendering a
        // second dispatcher tries to claim whatever is due; it must find nothing, because the first one keeps its
        // claims while it works (and would stop doing so only by dying).
        h.Options.Notices.LeaseSeconds = 40;
        var notices = await LettersAsync(30);
        var other = h.NewDispatcher();
        var stolen = 0;
        var lapsed = 0L;
        var slow = new SlowComposer(h.Composer, async () =>
        {
            h.Clock.Advance(TimeSpan.FromSeconds(2));
            lapsed = Math.Max(lapsed, await h.CountAsync($"SELECT count(*) FROM notice WHERE status = 'sending' AND next_attempt_at <= '{h.Clock.GetUtcNow():O}'"));
            stolen += (await other.DispatchDueAsync()).Sent;
        });

        var result = await h.NewDispatcher(composer: slow).DispatchDueAsync();

        Assert.Equal(30, slow.Calls);
        Assert.Equal(0L, lapsed);
        Assert.Equal(0, stolen);
        Assert.Equal(30, result.Sent);
        Assert.Equal(30, await h.CountAsync("SELECT count(*) FROM notice WHERE status = 'sent' AND attempts = 1"));
        var messages = await smtp.WaitForMessagesAsync(30, TimeSpan.FromSeconds(20));
        Assert.Equal(30, messages.Count);
        Assert.Equal(30, messages.Select(m => m.Message.MessageId).Distinct().Count());
        Assert.Equal(notices.Count, await h.CountAsync("SELECT count(*) FROM journal WHERE kind = 'notice.sent'"));
    }

    /// <summary>A composer whose every rendering runs <paramref name="during"/> first (the clock moves, others act).</summary>
    private sealed class SlowComposer(INoticeComposer inner, Func<Task> during) : INoticeComposer
    {
        public int Calls { get; private set; }

        public async Task<ComposedNotice> ComposeAsync(NoticeToCompose notice, CancellationToken ct)
        {
            Calls++;
            await during();
            return await inner.ComposeAsync(notice, ct);
        }
    }

    [Fact]
    public async Task Two_dispatchers_and_two_sweepers_at_once_send_every_notice_once()
    {
        h.Clock.SetUtcNow(new DateTimeOffset(2024, 3, 1, 5, 0, 0, TimeSpan.Zero));
        for (var i = 0; i < 30; i++)
        {
            // Due in 7 days (a before-7 reminder today) or today (a due reminder), plus a letter each.
            var d = await h.CreateReportAsync(i % 2 == 0 ? "2024-03-08" : "2024-03-01", owner: $"gemeente-{i}", email: $"c{i}@gemeente.example.be");
            await h.Runtime.FireAsync(d.DossierId, "send-letter");
        }

        var dispatchers = Enumerable.Range(0, 2).Select(_ => h.NewDispatcher()).ToList();
        var sweepers = Enumerable.Range(0, 2).Select(_ => h.NewReminderSweeper()).ToList();
        for (var round = 0; round < 3; round++)
        {
            await Task.WhenAll(
                Task.Run(() => sweepers[0].SweepAsync()), Task.Run(() => sweepers[1].SweepAsync()),
                Task.Run(() => dispatchers[0].DispatchDueAsync()), Task.Run(() => dispatchers[1].DispatchDueAsync()));
        }

        await Task.WhenAll(dispatchers.Select(d => d.DispatchDueAsync()));

        Assert.Equal(30, await h.CountAsync("SELECT count(*) FROM reminder"));
        Assert.Equal(60, await h.CountAsync("SELECT count(*) FROM notice WHERE status = 'sent'"));
        var messages = await smtp.WaitForMessagesAsync(60, TimeSpan.FromSeconds(20));
        Assert.Equal(60, messages.Count);
        Assert.All(messages.GroupBy(m => m.Message.MessageId), g => Assert.Single(g));
        Assert.Equal(60, await h.CountAsync("SELECT count(*) FROM journal WHERE kind = 'notice.sent'"));
    }

    [Fact]
    public async Task An_smtp_outage_is_retried_with_backoff_and_everything_arrives_once_after_the_restart()
    {
        using var server = await SmtpTestServer.StartNewAsync();
        var notices = await LettersAsync(4);
        await server.StopAsync();
        var dispatcher = h.NewDispatcher(new SmtpMailTransport(server.CreateSmtpOptions(), h.Clock, timeout: TimeSpan.FromSeconds(3)));

        var during = await dispatcher.DispatchDueAsync();
        Assert.Equal(4, during.Retrying);
        foreach (var id in notices)
        {
            var status = await h.Queries.GetStatusAsync(id);
            Assert.Equal("pending", status!.Status);
            Assert.Equal(1, status.Attempts);
            Assert.Equal(h.Clock.GetUtcNow() + RetryPolicy.Default.DelayAfter(1), status.NextAttemptAt, TimeSpan.FromSeconds(1));
            Assert.Contains("unreachable", status.LastError, StringComparison.Ordinal);
        }

        await server.StartAsync();
        Assert.Equal(0, (await dispatcher.DispatchDueAsync()).Sent); // backoff: not yet
        h.Clock.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        Assert.Equal(4, (await dispatcher.DispatchDueAsync()).Sent);
        Assert.Equal(DispatchResult.None, await dispatcher.DispatchDueAsync());

        var messages = await server.WaitForMessagesAsync(4, TimeSpan.FromSeconds(10));
        Assert.Equal(4, messages.Count);
        Assert.Equal(4, messages.Select(m => m.Message.MessageId).Distinct().Count());
        Assert.Equal(4, await h.CountAsync("SELECT count(*) FROM journal WHERE kind = 'notice.sent'"));
    }

    [Fact]
    public async Task A_refused_recipient_fails_permanently_is_listed_for_officers_and_can_be_requeued()
    {
        var notice = Assert.Single(await LettersAsync(1, email: "reject-me@gemeente.example.be"));
        var dispatcher = h.NewDispatcher();

        var result = await dispatcher.DispatchDueAsync();

        Assert.Equal(1, result.Failed);
        var failed = Assert.Single(await h.Queries.ListFailedAsync());
        Assert.Equal(notice, failed.NoticeId);
        Assert.Contains("550", failed.LastError, StringComparison.Ordinal);
        Assert.Equal("reject-me@gemeente.example.be", Assert.Single(failed.To).Address);
        var record = Assert.Single(await h.RecordsAsync(failed.DossierId, "notice.failed"));
        Assert.Equal(notice.ToString("D"), record["notice"]!.GetValue<string>());
        Assert.Empty(await smtp.ReadMessagesAsync());

        Assert.True(await dispatcher.RetryAsync(notice, NoticeHarness.Officer));
        Assert.False(await dispatcher.RetryAsync(notice, NoticeHarness.Officer)); // already pending
        Assert.Equal("pending", (await h.Queries.GetStatusAsync(notice))!.Status);
        Assert.Empty(await h.Queries.ListFailedAsync());
        Assert.Single(await h.RecordsAsync(failed.DossierId, "notice.requeued"));

        // Still refused: failed again, recorded again; the chain stays valid.
        Assert.Equal(1, (await dispatcher.DispatchDueAsync()).Failed);
        Assert.Equal(2, (await h.RecordsAsync(failed.DossierId, "notice.failed")).Count);
        Assert.True((await h.Runtime.Replayer.ReplayAsync(failed.DossierId)).Ok);
        await Assert.ThrowsAsync<NoticeNotFoundException>(() => dispatcher.RetryAsync(Guid.NewGuid(), NoticeHarness.Officer));
    }

    [Fact]
    public async Task Without_smtp_the_notices_are_written_as_eml_files_in_the_outbox()
    {
        var dataDirectory = TestCluster.NewTempFolder("eml");
        try
        {
            var options = new SubsidyOptions { DataDirectory = dataDirectory };
            await using var transport = MailTransport.Create(options, h.Clock);
            var notices = await LettersAsync(2);

            var result = await h.NewDispatcher(transport).DispatchDueAsync();

            Assert.Equal(2, result.Sent);
            var files = Directory.GetFiles(Path.Combine(dataDirectory, "outbox"), "*.eml", SearchOption.AllDirectories);
            Assert.Equal(notices.Select(n => n.ToString("D") + ".eml").Order(), files.Select(Path.GetFileName).Order());
            var status = await h.Queries.GetStatusAsync(notices[0]);
            var record = Assert.Single(await h.RecordsAsync(status!.DossierId, "notice.sent"));
            Assert.Equal("eml", record["transport"]!.GetValue<string>());
            var mime = await MimeKit.MimeMessage.LoadAsync(files.Single(f => f.EndsWith(notices[0].ToString("D") + ".eml", StringComparison.Ordinal)));
            Assert.Equal(status.MessageId, mime.MessageId);
        }
        finally
        {
            TestCluster.TryDelete(dataDirectory);
        }
    }

    [Fact]
    public async Task A_reminder_whose_deadline_was_met_before_sending_is_cancelled_not_sent()
    {
        h.Clock.SetUtcNow(new DateTimeOffset(2024, 3, 1, 5, 0, 0, TimeSpan.Zero));
        var d = await h.CreateReportAsync("2024-03-08");
        Assert.Equal(1, await h.Reminders.SweepAsync());
        await h.Runtime.FireAsync(d.DossierId, "submit");

        var result = await h.NewDispatcher().DispatchDueAsync();

        Assert.Equal(1, result.Cancelled);
        Assert.Equal(1, result.Sent); // the submission notice
        Assert.Equal(1, await h.CountAsync("SELECT count(*) FROM notice WHERE kind = 'reminder' AND status = 'cancelled'"));
    }
}
