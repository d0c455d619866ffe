using SubsidyEngine.Api.Auth;
using SubsidyEngine.Engine.Letters;
using SubsidyEngine.Engine.Programmes;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Templates;
using SubsidyEngine.Templates.Pdf;

namespace SubsidyEngine.Api.Ui;

/// <summary>The server-rendered web app (Razor Pages): pages need a signed-in user; letters and PDFs come from the journal.</summary>
internal static class UiSetup
{
    public static WebApplicationBuilder AddSubsidyUi(this WebApplicationBuilder builder)
    {
        builder.Services.AddRazorPages(o =>
        {
            o.Conventions.AuthorizeFolder("/", Policies.Read);
            o.Conventions.AllowAnonymousToPage("/Lang");
        });
        var baseUrl = builder.Configuration["Subsidy:PublicBaseUrl"] ?? "http://127.0.0.1:5080";
        builder.Services.AddSingleton(LetterSettings.Default(baseUrl));
        builder.Services.AddSingleton(sp => new LetterModelBuilder(sp.GetRequiredService<ProgrammeCatalog>(), sp.GetRequiredService<LetterSettings>()));
        builder.Services.AddSingleton(_ => new LetterRenderer());
        builder.Services.AddSingleton(sp => new NoticeLetters(sp.GetRequiredService<JournalStore>(), sp.GetRequiredService<WorkflowCatalog>(),
            sp.GetRequiredService<LetterModelBuilder>(), sp.GetRequiredService<LetterRenderer>()));
        // One Chromium for every PDF; the container disposes it (async) when the host shuts down.
        builder.Services.AddSingleton(_ => new PdfRenderer());
        return builder;
    }
}
