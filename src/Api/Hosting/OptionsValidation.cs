using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Microsoft.Extensions.Options;
using SubsidyEngine.Engine.Configuration;

namespace SubsidyEngine.Api.Hosting;

/// <summary>
/// <c>Subsidy:PublicBaseUrl</c> (and <c>Subsidy:Letters:AgencyIban</c>) kept without its trailing slash, and on the embedded default (no
/// <c>ConnectionStrings:Subsidy</c>) filled with <c>http://127.0.0.1:{Subsidy:Port}</c> when unset. With a configured
/// database it is never guessed: <see cref="SubsidyOptionsValidator"/> stops the start instead.
/// </summary>
internal sealed class PublicBaseUrlDefault(IConfiguration configuration) : IPostConfigureOptions<SubsidyOptions>
{
    public void PostConfigure(string? name, SubsidyOptions options)
    {
        options.PublicBaseUrl = (options.PublicBaseUrl ?? string.Empty).Trim().TrimEnd('/');
        if (options.PublicBaseUrl.Length == 0 && !SubsidyOptionsValidator.DatabaseConfigured(configuration))
        {
            options.PublicBaseUrl = string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{options.Port}");
        }

        // The same for the account recovery letters name: illustrative on the embedded default, never guessed otherwise.
        options.Letters.AgencyIban = (options.Letters.AgencyIban ?? string.Empty).Trim();
        if (options.Letters.AgencyIban.Length == 0 && !SubsidyOptionsValidator.DatabaseConfigured(configuration))
        {
            options.Letters.AgencyIban = LetterOptions.IllustrativeAgencyIban;
        }
    }
}

/// <summary>Validates <see cref="SubsidyOptions"/> and its nested sections at start-up, naming every bad setting.</summary>
internal sealed class SubsidyOptionsValidator(IConfiguration? configuration = null) : IValidateOptions<SubsidyOptions>
{
    /// <summary>The one sentence a start without <c>Subsidy:PublicBaseUrl</c> on a configured database stops with.</summary>
    public const string PublicBaseUrlMissing =
        "Subsidy:PublicBaseUrl must be set when ConnectionStrings:Subsidy is configured (environment variable Subsidy__PublicBaseUrl, " +
        "e.g. https://subsidies.example): it is the address users reach the service on, and every link in letters and calendars is built from it.";

    /// <summary>The sentence a start without <c>Subsidy:Letters:AgencyIban</c> on a configured database stops with.</summary>
    public const string AgencyIbanMissing =
        "Subsidy:Letters:AgencyIban must be set when ConnectionStrings:Subsidy is configured (environment variable Subsidy__Letters__AgencyIban): " +
        "it is the agency's account that recovery letters ask authorities to pay into.";

    /// <summary>Whether a database is configured (<c>ConnectionStrings:Subsidy</c>), i.e. this is not the embedded default.</summary>
    public static bool DatabaseConfigured(IConfiguration? configuration) => !string.IsNullOrWhiteSpace(configuration?.GetConnectionString("Subsidy"));

    public ValidateOptionsResult Validate(string? name, SubsidyOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrEmpty(options.PublicBaseUrl))
        {
            // Without a database the embedded default fills it (PublicBaseUrlDefault): empty here means configured.
            if (DatabaseConfigured(configuration))
            {
                failures.Add(PublicBaseUrlMissing);
            }
        }
        else if (!Uri.TryCreate(options.PublicBaseUrl, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https")
                 || !string.IsNullOrEmpty(url.Query) || !string.IsNullOrEmpty(url.Fragment) || !string.IsNullOrEmpty(url.UserInfo))
        {
            failures.Add($"Subsidy:PublicBaseUrl must be an absolute http or https address without query, fragment or user name (got '{options.PublicBaseUrl}').");
        }

        if (string.IsNullOrEmpty(options.Letters.AgencyIban) && DatabaseConfigured(configuration))
        {
            failures.Add(AgencyIbanMissing);
        }

        Check(options, "Subsidy", failures);
        Check(options.Embedded, "Subsidy:Embedded", failures);
        Check(options.Smtp, "Subsidy:Smtp", failures);
        Check(options.Notices, "Subsidy:Notices", failures);
        Check(options.Letters, "Subsidy:Letters", failures);
        if (!string.IsNullOrWhiteSpace(options.Smtp.Host) && options.Smtp.Security is not ("None" or "StartTls" or "SslOnConnect" or "Auto"))
        {
            failures.Add("Subsidy:Smtp:Security must be one of None, StartTls, SslOnConnect, Auto.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Check(object section, string prefix, List<string> failures)
    {
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(section, new ValidationContext(section), results, validateAllProperties: true))
        {
            failures.AddRange(results.Select(r => $"{prefix}:{string.Join(",", r.MemberNames)}: {r.ErrorMessage}"));
        }
    }
}

/// <summary>What a start stopped by a setting prints: the validation failures, one per line.</summary>
internal static class StartupFailure
{
    /// <summary>Validates the settings now (before anything reads them); the failures, or null when they are good.</summary>
    public static string? Check(IServiceProvider services)
    {
        try
        {
            _ = services.GetRequiredService<IOptions<SubsidyOptions>>().Value;
            return null;
        }
        catch (Exception e) when (Settings(e) is { } failures)
        {
            return failures;
        }
    }

    /// <summary>The failures when <paramref name="e"/> is (or only wraps) options validation, else null.</summary>
    public static string? Settings(Exception e) => e switch
    {
        OptionsValidationException v => string.Join(Environment.NewLine, v.Failures),
        AggregateException a when a.InnerExceptions.All(i => i is OptionsValidationException) =>
            string.Join(Environment.NewLine, a.InnerExceptions.SelectMany(i => ((OptionsValidationException)i).Failures)),
        _ => null,
    };
}
