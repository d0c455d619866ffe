using Microsoft.AspNetCore.Mvc;
using SubsidyEngine.Api.Ui;

namespace SubsidyEngine.Api.Pages;

/// <summary>Switches the language (cookie <c>lang</c>, Secure over https) and goes back to the page the user was on.</summary>
public sealed class LangModel : UiPageModel
{
    public IActionResult OnGet(string? to, string? returnUrl)
    {
        Response.Cookies.Append(LangCookie, to == "en" ? "en" : "nl", new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Lax, MaxAge = TimeSpan.FromDays(365), IsEssential = true, Secure = Request.IsHttps });
        return LocalRedirect(Url.IsLocalUrl(returnUrl) ? returnUrl : "/");
    }
}
