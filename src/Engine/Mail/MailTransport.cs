using SubsidyEngine.Engine.Configuration;

namespace SubsidyEngine.Engine.Mail;

/// <summary>Chooses the mail transport from the settings, without dependency injection.</summary>
public static class MailTransport
{
    /// <summary>The folder under <see cref="SubsidyOptions.DataDirectory"/> holding the .eml outbox.</summary>
    public const string OutboxFolder = "outbox";

    /// <summary>
    /// <see cref="SmtpMailTransport"/> when <c>Subsidy:Smtp:Host</c> is set, otherwise an
    /// <see cref="EmlFileMailTransport"/> writing to <c>&lt;DataDirectory&gt;/outbox</c>.
    /// </summary>
    /// <exception cref="InvalidMailException">The configured From address is invalid.</exception>
    /// <exception cref="ArgumentException"><c>Subsidy:Smtp:Security</c> has an unknown value.</exception>
    public static IMailTransport Create(SubsidyOptions options, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(clock);
        var composer = new MessageComposer(options.Smtp);
        if (string.IsNullOrWhiteSpace(options.Smtp.Host))
        {
            var outbox = Path.Combine(Path.GetFullPath(options.DataDirectory), OutboxFolder);
            return new EmlFileMailTransport(outbox, clock, composer);
        }

        return new SmtpMailTransport(options.Smtp, clock, composer);
    }
}
