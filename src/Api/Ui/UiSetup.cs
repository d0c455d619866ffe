using SubsidyEngine.Api.Auth;

namespace SubsidyEngine.Api.Ui;

/// <summary>The server-rendered web app (Razor Pages): pages need a signed-in user; letters and PDFs are the stored renderings, or what the dispatcher will send.</summary>
internal static class UiSetup
{
    public static WebApplicationBuilder AddSubsidyUi(this WebApplicationBuilder builder)
    {
        builder.Services.AddRazorPages(o =>
        {
            o.Conventions.AuthorizeFolder("/", Policies.Read);
            o.Conventions.AllowAnonymousToPage("/Lang");
        });
        // The letter services (NoticeLetters, LetterRenderer) are registered by the Engine, the one shared PDF renderer by
        // ServiceRegistration.AddSubsidyCore.
        return builder;
    }
}
