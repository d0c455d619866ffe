using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using SubsidyEngine.Api.Auth;
using SubsidyEngine.Api.Cli;
using SubsidyEngine.Api.Endpoints;
using SubsidyEngine.Api.Hosting;
using SubsidyEngine.Api.Ui;

if (CliVerbs.IsVerb(args))
{
    return await CliVerbs.RunAsync(args);
}

var builder = WebApplication.CreateBuilder(args);
builder.Logging.AddSimpleConsole(o =>
{
    o.SingleLine = true;
    o.TimestampFormat = "HH:mm:ss ";
    o.IncludeScopes = true;
});
builder.UseDefaultAddress();
builder.AddSubsidyService();
builder.AddSubsidyAuth();
builder.AddSubsidyErrors();
builder.Services.AddSubsidyOpenApi();
builder.AddSubsidyJobs();
builder.AddSubsidyUi();
builder.AddSecurityHeaders();

var app = builder.Build();
if (StartupFailure.Check(app.Services) is { } badSettings)
{
    // A bad or missing setting stops the start with the sentences naming it, not a stack trace.
    await Console.Error.WriteLineAsync(badSettings);
    return 2;
}

app.UseSecurityHeaders();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseStaticFiles();
app.UseAuthentication();
app.UseAuthorization();
app.UseFormGuard();
app.UseAntiforgery();
app.UseCookieAntiforgery();

app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false })
    .WithName("HealthLive").WithTags("Health").WithSummary("Liveness").WithDescription("200 while the process runs.");
app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") })
    .WithName("HealthReady").WithTags("Health").WithSummary("Readiness").WithDescription("200 when the database answers and is migrated, else 503.");
app.MapSubsidyOpenApi();
app.MapAuthEndpoints();
app.MapDossierEndpoints();
app.MapWorkflowEndpoints();
app.MapAuditEndpoints();
app.MapUserEndpoints();
app.MapJobsDashboard();
app.MapCalendarEndpoints();
app.MapNoticeEndpoints();
app.MapProgrammeEndpoints();
app.MapCallEndpoints();
app.MapAuthorityEndpoints();
app.MapApplicationEndpoints();
app.MapCooperationEndpoints();
app.MapLetterEndpoints();
app.MapExportEndpoints();
app.MapRazorPages();

app.Lifetime.ApplicationStarted.Register(() =>
{
    var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
    foreach (var address in addresses)
    {
        app.Logger.LogInformation("SubsidyEngine is listening on {Address} (health: {Address}/health/ready, API: {Address}/scalar)", address, address, address);
    }
});

try
{
    await app.RunAsync();
}
catch (SubsidyEngine.Workflows.Loading.LoadProblemsException e)
{
    // Invalid files under workflows/ (or the register) stop the start with every problem, one per line (the host has
    // logged the exception already); the exit code is the one of a bad setting.
    await Console.Error.WriteLineAsync(e.Message);
    return 2;
}

return 0;

/// <summary>Entry point, visible to WebApplicationFactory in the API tests.</summary>
public partial class Program;
