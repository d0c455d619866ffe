using Microsoft.Extensions.Configuration;
using SubsidyEngine.Api.Hosting;
using SubsidyEngine.Engine.Configuration;
using SubsidyEngine.Engine.Letters;

namespace SubsidyEngine.Api.Tests;

/// <summary>
/// What letters state about the agency comes from <c>Subsidy:Letters</c>, validated at start-up: an account number
/// that fails the mod-97 check stops the service with a message naming the setting, before any letter is made.
/// </summary>
public sealed class LetterSettingsTests
{
    [Theory]
    [InlineData("BE00 0000 0000 0000")] // the placeholder letters printed before this was a setting
    [InlineData("BE71 0961 2345 6768")] // one digit off
    [InlineData("NL91ABNA041716430")]   // too short for its country's length rules aside, fails mod-97
    public void An_agency_account_that_is_no_valid_IBAN_stops_the_start_naming_the_setting(string iban)
    {
        var options = new SubsidyOptions { Letters = new LetterOptions { AgencyIban = iban } };
        var result = new SubsidyOptionsValidator().Validate(null, options);
        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.StartsWith("Subsidy:Letters:AgencyIban:", StringComparison.Ordinal) && f.Contains("IBAN", StringComparison.Ordinal));
    }

    [Fact]
    public void The_configured_account_signatory_and_contact_are_what_the_letters_print()
    {
        var options = new SubsidyOptions
        {
            Letters = new LetterOptions { AgencyIban = "be68539007547034", SignatoryName = "Jan Peeters", ContactEmail = "team@abb.example.be" },
        };
        Assert.False(new SubsidyOptionsValidator().Validate(null, options).Failed);
        var settings = LetterSettings.From("https://subsidies.example/", options.Letters);
        Assert.Equal("BE68 5390 0754 7034", settings.AgencyIban);
        Assert.Equal("Jan Peeters", settings.SignatoryName);
        Assert.Equal("team@abb.example.be", settings.ContactEmail);
        Assert.Equal("https://subsidies.example", settings.PublicBaseUrl);
        Assert.True(Workflows.Formats.Iban.IsValid(LetterOptions.IllustrativeAgencyIban));
    }

    [Fact]
    public void With_a_configured_database_a_missing_agency_account_stops_the_start_in_one_sentence_and_the_embedded_default_fills_the_illustrative_one()
    {
        var configured = new Microsoft.Extensions.Configuration.ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Subsidy"] = "Host=db.example;Database=subsidy" }).Build();
        var options = new SubsidyOptions { PublicBaseUrl = "https://subsidies.example" };
        new PublicBaseUrlDefault(configured).PostConfigure(null, options);
        var result = new SubsidyOptionsValidator(configured).Validate(null, options);
        Assert.Equal([SubsidyOptionsValidator.AgencyIbanMissing], result.Failures);

        var embedded = new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build();
        var defaults = new SubsidyOptions();
        new PublicBaseUrlDefault(embedded).PostConfigure(null, defaults);
        Assert.False(new SubsidyOptionsValidator(embedded).Validate(null, defaults).Failed);
        Assert.Equal(LetterOptions.IllustrativeAgencyIban, defaults.Letters.AgencyIban);
    }
}
