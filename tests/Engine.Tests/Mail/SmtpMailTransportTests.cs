using System.Net;
using System.Net.Sockets;
using MimeKit;
using SubsidyEngine.Engine.Mail;
using SubsidyEngine.Testing;

namespace SubsidyEngine.Engine.Tests.Mail;

/// <summary>The SMTP transport against a real SMTP server (aiosmtpd), shared by the tests of this class.</summary>
public sealed class SmtpMailTransportTests : IClassFixture<SmtpTestServer>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private readonly SmtpTestServer _server;

    public SmtpMailTransportTests(SmtpTestServer server) => _server = server;

    private SmtpMailTransport Transport(TimeProvider? clock = null) =>
        new(_server.CreateSmtpOptions(), clock ?? MailSamples.Clock(), timeout: TimeSpan.FromSeconds(10));

    [Fact]
    public async Task A_letter_arrives_with_its_structure_headers_and_pdf_intact()
    {
        var clock = MailSamples.Clock();
        await using var transport = Transport(clock);
        var letter = MailSamples.Letter();
        clock.Advance(TimeSpan.FromMinutes(5));

        var receipt = await transport.SendAsync(letter, CancellationToken.None);
        var received = await _server.WaitForMessageAsync(receipt.MessageId, Wait);
        var mail = received.Message;

        // Receipt
        Assert.Equal($"notice-{letter.NoticeId:N}@subsidy-engine.abb.example.be", receipt.MessageId);
        Assert.Equal("smtp", receipt.Transport);
        Assert.Null(receipt.FilePath);
        Assert.Equal(MailSamples.Now.AddMinutes(5), receipt.SentAt);
        Assert.StartsWith("2.0.0 Ok: queued as ", receipt.ServerReply, StringComparison.Ordinal);

        // Envelope and headers
        Assert.Equal("noreply-samenleven@abb.example.be", received.EnvelopeFrom);
        Assert.Equal(
            ["subsidies@sint-genesius-rode.example.be", "zoe.vandenbroeck@sint-genesius-rode.example.be"],
            received.EnvelopeRecipients);
        Assert.Equal(receipt.MessageId, mail.MessageId);
        Assert.Equal(MailSamples.Now.AddMinutes(5), mail.Date);
        Assert.Equal(MailSamples.Subject, mail.Subject);
        var from = Assert.Single(mail.From.Mailboxes);
        Assert.Equal(("Agentschap Binnenlands Bestuur", "noreply-samenleven@abb.example.be"), (from.Name, from.Address));
        var to = Assert.Single(mail.To.Mailboxes);
        Assert.Equal(("Gemeente Sint-Genesius-Rode", "subsidies@sint-genesius-rode.example.be"), (to.Name, to.Address));
        var cc = Assert.Single(mail.Cc.Mailboxes);
        Assert.Equal(("Zoë Van den Broeck", "zoe.vandenbroeck@sint-genesius-rode.example.be"), (cc.Name, cc.Address));
        Assert.Equal("3f2c6a1e-0000-4000-8000-000000000042", mail.Headers[OutgoingMessage.DossierHeader]);
        Assert.Equal("PS-2024-0042", mail.Headers[OutgoingMessage.ReferenceHeader]);
        Assert.Equal(letter.NoticeId.ToString("D"), mail.Headers[OutgoingMessage.NoticeHeader]);

        // MIME structure
        var mixed = Assert.IsType<Multipart>(mail.Body);
        Assert.Equal("multipart/mixed", mixed.ContentType.MimeType);
        Assert.Equal(2, mixed.Count);
        var alternative = Assert.IsType<MultipartAlternative>(mixed[0]);
        Assert.Equal(["text/plain", "text/html"], alternative.Select(p => p.ContentType.MimeType));
        Assert.All(alternative, p => Assert.Equal("utf-8", p.ContentType.Charset));
        Assert.Contains("€ 12.500,00", ((TextPart)alternative[0]).Text, StringComparison.Ordinal);
        Assert.Contains("<p>Geachte,</p>", ((TextPart)alternative[1]).Text, StringComparison.Ordinal);
        var pdf = Assert.IsType<MimePart>(mixed[1]);
        Assert.Equal("application/pdf", pdf.ContentType.MimeType);
        Assert.True(pdf.IsAttachment);
        Assert.Equal("beslissing-PS-2024-0042.pdf", pdf.FileName);
        using var bytes = new MemoryStream();
        await pdf.Content!.DecodeToAsync(bytes);
        Assert.Equal(MailSamples.Pdf(), bytes.ToArray());
    }

    [Fact]
    public async Task A_batch_of_messages_reuses_one_connection()
    {
        await using var transport = Transport();

        var receipts = new List<DeliveryReceipt>();
        for (var i = 0; i < 3; i++)
        {
            receipts.Add(await transport.SendAsync(MailSamples.Letter(), CancellationToken.None));
        }

        var peers = new List<string?>();
        foreach (var receipt in receipts)
        {
            peers.Add((await _server.WaitForMessageAsync(receipt.MessageId, Wait)).Message.Headers["X-Peer"]);
        }

        Assert.Single(peers.Distinct());
        Assert.True(transport.IsConnected);
        await transport.DisconnectAsync(CancellationToken.None);
        Assert.False(transport.IsConnected);
    }

    [Fact]
    public async Task The_connection_to_the_relay_sends_without_nagles_delay_so_a_letter_of_several_kilobytes_does_not_wait_for_an_acknowledgement()
    {
        // With Nagle's algorithm on (MailKit's default), the last piece of a message MailKit writes in more than one
        // piece waits for the relay's delayed acknowledgement, about 40 ms on Linux: the dispatcher sent about 20 such
        // letters a second (docs/reliability.md, "The drain rate after the crash load"). The rate is the dispatch
        // benchmark's business; this checks the setting, on a connection that carried a message of that size.
        await using var transport = Transport();
        var letter = MailSamples.Letter();
        var large = letter with
        {
            TextBody = letter.TextBody + new string('x', 16_000),
            HtmlBody = letter.HtmlBody + "<p>" + new string('y', 16_000) + "</p>",
        };
        Assert.Null(transport.NoDelay);

        var receipt = await transport.SendAsync(large, CancellationToken.None);

        await _server.WaitForMessageAsync(receipt.MessageId, Wait);
        Assert.True(transport.NoDelay);
    }

    [Fact]
    public async Task A_subject_with_a_line_break_arrives_as_one_line_without_a_bcc()
    {
        await using var transport = Transport();
        var letter = MailSamples.Letter() with { Subject = "Award\r\nBcc: evil@x.example" };

        var receipt = await transport.SendAsync(letter, CancellationToken.None);
        var received = await _server.WaitForMessageAsync(receipt.MessageId, Wait);

        Assert.Equal("Award Bcc: evil@x.example", received.Message.Subject);
        Assert.DoesNotContain(received.Message.Headers, h => h.Field.Equals("Bcc", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain("evil@x.example", received.EnvelopeRecipients);
        Assert.Equal(2, received.EnvelopeRecipients.Count);
    }

    [Fact]
    public async Task A_display_name_that_looks_like_an_address_list_stays_a_name()
    {
        await using var transport = Transport();
        var letter = MailSamples.Letter() with
        {
            To = [new MailRecipient("Jan\", evil@x.example, \"Piet", "jan@gemeente.example.be")],
            Cc = [],
        };

        var receipt = await transport.SendAsync(letter, CancellationToken.None);
        var received = await _server.WaitForMessageAsync(receipt.MessageId, Wait);

        Assert.Equal(["jan@gemeente.example.be"], received.EnvelopeRecipients);
        var to = Assert.Single(received.Message.To.Mailboxes);
        Assert.Equal("Jan\", evil@x.example, \"Piet", to.Name);
    }

    [Theory]
    [InlineData("jan@gemeente.example.be\r\nBcc: evil@x.example", "To[0].Address")]
    [InlineData("jan@gemeente.example.be, evil@x.example", "To[0].Address")]
    [InlineData("jan@gemeente.example.be>, <evil@x.example", "To[0].Address")]
    public async Task An_address_smuggling_recipients_is_refused_and_nothing_is_sent(string address, string field)
    {
        await using var transport = Transport();
        var letter = MailSamples.Letter() with { To = [MailRecipient.Of(address)], Cc = [] };

        var e = await Assert.ThrowsAsync<InvalidMailException>(() => transport.SendAsync(letter, CancellationToken.None));

        Assert.Equal(field, e.Field);
        Assert.False(e.Transient);
        // A later message on the same transport goes through; the refused one never reached the server.
        var next = await transport.SendAsync(MailSamples.Letter(), CancellationToken.None);
        await _server.WaitForMessageAsync(next.MessageId, Wait);
        var all = await _server.ReadMessagesAsync();
        Assert.DoesNotContain(all, m => m.Message.MessageId == $"notice-{letter.NoticeId:N}@subsidy-engine.abb.example.be");
        Assert.DoesNotContain(all, m => m.EnvelopeRecipients.Contains("evil@x.example"));
    }

    [Fact]
    public async Task A_recipient_the_server_rejects_with_550_is_a_permanent_failure()
    {
        await using var transport = Transport();
        var letter = MailSamples.Letter() with { To = [MailRecipient.Of("reject-me@gemeente.example.be")] };

        var e = await Assert.ThrowsAsync<MailDeliveryException>(() => transport.SendAsync(letter, CancellationToken.None));

        Assert.False(e.Transient);
        Assert.Equal(550, e.SmtpStatusCode);
        Assert.Contains("reject-me@gemeente.example.be", e.Message, StringComparison.Ordinal);
        Assert.Contains("mailbox unavailable", e.Message, StringComparison.Ordinal);
        var all = await _server.ReadMessagesAsync();
        Assert.DoesNotContain(all, m => m.Message.MessageId == $"notice-{letter.NoticeId:N}@subsidy-engine.abb.example.be");

        // The transport recovers for the next message.
        var next = await transport.SendAsync(MailSamples.Letter(), CancellationToken.None);
        await _server.WaitForMessageAsync(next.MessageId, Wait);
    }

    [Fact]
    public async Task A_message_the_server_refuses_after_data_is_a_permanent_failure()
    {
        await using var transport = Transport();
        var letter = MailSamples.Letter() with { To = [MailRecipient.Of("refusedata@gemeente.example.be")] };

        var e = await Assert.ThrowsAsync<MailDeliveryException>(() => transport.SendAsync(letter, CancellationToken.None));

        Assert.False(e.Transient);
        Assert.Equal(554, e.SmtpStatusCode);
        Assert.Contains("message refused", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_non_ascii_local_part_on_a_server_without_smtputf8_is_a_permanent_failure()
    {
        await using var transport = Transport();
        var letter = MailSamples.Letter() with { To = [MailRecipient.Of("zoë@gemeente.example.be")] };

        var e = await Assert.ThrowsAsync<MailDeliveryException>(() => transport.SendAsync(letter, CancellationToken.None));

        Assert.False(e.Transient);
    }

    [Fact]
    public async Task The_default_security_setting_works_with_a_server_without_tls()
    {
        var options = _server.CreateSmtpOptions();
        options.Security = "Auto";
        await using var transport = new SmtpMailTransport(options, MailSamples.Clock(), timeout: TimeSpan.FromSeconds(10));

        var receipt = await transport.SendAsync(MailSamples.Letter(), CancellationToken.None);

        await _server.WaitForMessageAsync(receipt.MessageId, Wait);
    }

    [Fact]
    public async Task A_451_reply_is_a_transient_failure()
    {
        await using var transport = Transport();
        var letter = MailSamples.Letter() with { Cc = [MailRecipient.Of("tempfail@gemeente.example.be")] };

        var e = await Assert.ThrowsAsync<MailDeliveryException>(() => transport.SendAsync(letter, CancellationToken.None));

        Assert.True(e.Transient);
        Assert.Equal(451, e.SmtpStatusCode);
    }

    [Fact]
    public async Task No_server_listening_is_a_transient_failure()
    {
        var options = _server.CreateSmtpOptions();
        options.Port = TestCluster.FreePort();
        await using var transport = new SmtpMailTransport(options, MailSamples.Clock(), timeout: TimeSpan.FromSeconds(5));

        var e = await Assert.ThrowsAsync<MailDeliveryException>(() => transport.SendAsync(MailSamples.Letter(), CancellationToken.None));

        Assert.True(e.Transient);
        Assert.Null(e.SmtpStatusCode);
        Assert.IsType<SocketException>(e.InnerException);
    }

    [Fact]
    public async Task A_server_that_never_greets_times_out_as_a_transient_failure()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var options = _server.CreateSmtpOptions();
        options.Port = ((IPEndPoint)silent.LocalEndpoint).Port;
        await using var transport = new SmtpMailTransport(options, MailSamples.Clock(), timeout: TimeSpan.FromSeconds(1));

        var watch = System.Diagnostics.Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<MailDeliveryException>(() => transport.SendAsync(MailSamples.Letter(), CancellationToken.None));

        Assert.True(e.Transient);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(8), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task Cancellation_by_the_caller_is_not_turned_into_a_delivery_failure()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var options = _server.CreateSmtpOptions();
        options.Port = ((IPEndPoint)silent.LocalEndpoint).Port;
        await using var transport = new SmtpMailTransport(options, MailSamples.Clock(), timeout: TimeSpan.FromSeconds(30));
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => transport.SendAsync(MailSamples.Letter(), cancel.Token));
    }

    [Fact]
    public void An_unknown_security_setting_is_refused_naming_it()
    {
        var options = _server.CreateSmtpOptions();
        options.Security = "Maybe";

        var e = Assert.Throws<ArgumentException>(() => new SmtpMailTransport(options, TimeProvider.System));

        Assert.Contains("Subsidy:Smtp:Security", e.Message, StringComparison.Ordinal);
    }
}

/// <summary>Outages: each test owns its server so it can stop and start it.</summary>
public sealed class SmtpOutageTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task After_the_server_is_stopped_and_restarted_the_next_send_succeeds()
    {
        using var server = await SmtpTestServer.StartNewAsync();
        await using var transport = new SmtpMailTransport(server.CreateSmtpOptions(), MailSamples.Clock(), timeout: TimeSpan.FromSeconds(5));
        var before = await transport.SendAsync(MailSamples.Letter(), CancellationToken.None);
        Assert.True(transport.IsConnected);

        await server.StopAsync();
        var down = await Assert.ThrowsAsync<MailDeliveryException>(() => transport.SendAsync(MailSamples.Letter(), CancellationToken.None));
        Assert.True(down.Transient);

        await server.StartAsync();
        var retried = MailSamples.Letter();
        var after = await transport.SendAsync(retried, CancellationToken.None);

        var messages = await server.WaitForMessagesAsync(2, Wait);
        Assert.Equal([before.MessageId, after.MessageId], messages.Select(m => m.Message.MessageId));
    }

    [Fact]
    public async Task A_connection_the_server_dropped_between_messages_is_replaced_without_an_error()
    {
        using var server = await SmtpTestServer.StartNewAsync();
        await using var transport = new SmtpMailTransport(server.CreateSmtpOptions(), MailSamples.Clock(), timeout: TimeSpan.FromSeconds(5));
        await transport.SendAsync(MailSamples.Letter(), CancellationToken.None);

        // Restart while the transport holds its connection: the held connection is dead.
        await server.StopAsync();
        await server.StartAsync();
        var after = await transport.SendAsync(MailSamples.Letter(), CancellationToken.None);

        await server.WaitForMessageAsync(after.MessageId, Wait);
    }
}

/// <summary>The fixture never skips silently: without aiosmtpd it fails saying what to install.</summary>
public sealed class SmtpTestServerPrerequisiteTests
{
    [Theory]
    [InlineData("/nonexistent/python3")]
    [InlineData("/bin/false")] // exists, but "import aiosmtpd" fails: the package is missing
    public async Task Without_aiosmtpd_starting_fails_with_an_install_hint(string interpreter)
    {
        using var server = SmtpTestServer.WithInterpreter(interpreter);

        var e = await Assert.ThrowsAsync<InvalidOperationException>(server.StartAsync);

        Assert.Contains("python3-aiosmtpd", e.Message, StringComparison.Ordinal);
        Assert.Contains("scripts/install-prerequisites.sh", e.Message, StringComparison.Ordinal);
        Assert.False(server.IsRunning);
    }
}
