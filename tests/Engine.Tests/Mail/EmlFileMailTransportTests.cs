using MimeKit;
using SubsidyEngine.Engine.Configuration;
using SubsidyEngine.Engine.Mail;
using SubsidyEngine.Testing;

namespace SubsidyEngine.Engine.Tests.Mail;

public sealed class EmlFileMailTransportTests : IDisposable
{
    private readonly string _dataDirectory = TestCluster.NewTempFolder("eml");

    public void Dispose() => TestCluster.TryDelete(_dataDirectory);

    private EmlFileMailTransport Transport(TimeProvider clock) =>
        new(Path.Combine(_dataDirectory, "outbox"), clock, new MessageComposer(MailSamples.Options()));

    [Fact]
    public async Task A_message_is_written_to_the_day_folder_named_after_the_notice_and_parses_back()
    {
        var clock = MailSamples.Clock();
        await using var transport = Transport(clock);
        var letter = MailSamples.Letter();

        var receipt = await transport.SendAsync(letter, CancellationToken.None);

        var expected = Path.Combine(_dataDirectory, "outbox", "20240315", $"{letter.NoticeId:D}.eml");
        Assert.Equal(expected, receipt.FilePath);
        Assert.Equal("eml", receipt.Transport);
        Assert.Equal("written", receipt.ServerReply);
        Assert.Equal(MailSamples.Now, receipt.SentAt);
        var mail = await MimeMessage.LoadAsync(expected);
        Assert.Equal(receipt.MessageId, mail.MessageId);
        Assert.Equal($"notice-{letter.NoticeId:N}@subsidy-engine.abb.example.be", mail.MessageId);
        Assert.Equal(MailSamples.Subject, mail.Subject);
        Assert.Equal(MailSamples.Now, mail.Date);
        var pdf = Assert.Single(mail.Attachments.OfType<MimePart>());
        using var bytes = new MemoryStream();
        await pdf.Content!.DecodeToAsync(bytes);
        Assert.Equal(MailSamples.Pdf(), bytes.ToArray());
        Assert.Equal([expected], Directory.GetFiles(Path.Combine(_dataDirectory, "outbox"), "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Writing_the_same_notice_again_keeps_one_unchanged_file_even_on_a_later_day()
    {
        var clock = MailSamples.Clock();
        await using var transport = Transport(clock);
        var letter = MailSamples.Letter();
        var first = await transport.SendAsync(letter, CancellationToken.None);
        var content = await File.ReadAllBytesAsync(first.FilePath!);

        clock.Advance(TimeSpan.FromMinutes(10));
        var sameDay = await transport.SendAsync(letter, CancellationToken.None);
        clock.Advance(TimeSpan.FromDays(2));
        var laterDay = await transport.SendAsync(letter, CancellationToken.None);

        Assert.Equal(first.FilePath, sameDay.FilePath);
        Assert.Equal(first.FilePath, laterDay.FilePath);
        Assert.Equal(first.MessageId, laterDay.MessageId);
        Assert.Equal("already written; not rewritten", laterDay.ServerReply);
        Assert.Equal(content, await File.ReadAllBytesAsync(first.FilePath!));
        Assert.Single(Directory.GetFiles(Path.Combine(_dataDirectory, "outbox"), "*", SearchOption.AllDirectories));
        Assert.False(Directory.Exists(Path.Combine(_dataDirectory, "outbox", "20240317")));
    }

    [Fact]
    public async Task Concurrent_writers_of_the_same_notice_leave_one_file_and_no_temp_files()
    {
        var clock = MailSamples.Clock();
        var letter = MailSamples.Letter();
        var transports = Enumerable.Range(0, 4).Select(_ => Transport(clock)).ToList();

        var receipts = await Task.WhenAll(transports.Select(t => t.SendAsync(letter, CancellationToken.None)));

        Assert.Single(receipts.Select(r => r.FilePath).Distinct());
        Assert.Single(Directory.GetFiles(Path.Combine(_dataDirectory, "outbox"), "*", SearchOption.AllDirectories));
        Assert.Equal(letter.NoticeId.ToString("D") + ".eml", Path.GetFileName(receipts[0].FilePath));
    }

    [Fact]
    public async Task Different_notices_get_different_files()
    {
        await using var transport = Transport(MailSamples.Clock());

        var a = await transport.SendAsync(MailSamples.Letter(), CancellationToken.None);
        var b = await transport.SendAsync(MailSamples.Letter(), CancellationToken.None);

        Assert.NotEqual(a.FilePath, b.FilePath);
        Assert.Equal(2, Directory.GetFiles(Path.Combine(_dataDirectory, "outbox", "20240315")).Length);
    }

    [Fact]
    public async Task An_invalid_message_is_refused_before_anything_is_written()
    {
        await using var transport = Transport(MailSamples.Clock());
        var letter = MailSamples.Letter() with { To = [MailRecipient.Of("a@x.example\r\nBcc: evil@x.example")] };

        await Assert.ThrowsAsync<InvalidMailException>(() => transport.SendAsync(letter, CancellationToken.None));

        Assert.False(Directory.Exists(Path.Combine(_dataDirectory, "outbox")) && Directory.EnumerateFiles(Path.Combine(_dataDirectory, "outbox"), "*", SearchOption.AllDirectories).Any());
    }

    [Fact]
    public async Task Without_an_smtp_host_the_factory_writes_to_the_outbox_under_the_data_directory()
    {
        var options = new SubsidyOptions { DataDirectory = _dataDirectory };

        await using var transport = MailTransport.Create(options, MailSamples.Clock());

        var eml = Assert.IsType<EmlFileMailTransport>(transport);
        Assert.Equal(Path.Combine(_dataDirectory, "outbox"), eml.OutboxDirectory);
    }

    [Fact]
    public async Task With_an_smtp_host_the_factory_uses_smtp()
    {
        var options = new SubsidyOptions { DataDirectory = _dataDirectory };
        options.Smtp.Host = "smtp.example";
        options.Smtp.Security = "StartTls";

        await using var transport = MailTransport.Create(options, MailSamples.Clock());

        Assert.IsType<SmtpMailTransport>(transport);
    }
}
