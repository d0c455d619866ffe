using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using SubsidyEngine.Api.Auth;
using SubsidyEngine.Api.Ui;

namespace SubsidyEngine.Api.Pages;

/// <summary>Ends the web session (POST with the antiforgery token) and returns to the start page.</summary>
public sealed class SignOutModel : UiPageModel
{
    public IActionResult OnGet() => LocalRedirect("/");

    public async Task<IActionResult> OnPostAsync()
    {
        await HttpContext.SignOutAsync(SubsidyAuth.CookieScheme);
        return LocalRedirect("/");
    }
}
