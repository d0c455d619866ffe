using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using SubsidyEngine.Engine.Configuration;

namespace SubsidyEngine.Api.Hosting;

/// <summary>Validates <see cref="SubsidyOptions"/> and its nested sections at start-up, naming every bad setting.</summary>
internal sealed class SubsidyOptionsValidator : IValidateOptions<SubsidyOptions>
{
    public ValidateOptionsResult Validate(string? name, SubsidyOptions options)
    {
        var failures = new List<string>();
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
