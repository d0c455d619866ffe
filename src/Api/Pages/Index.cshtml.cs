using Microsoft.AspNetCore.Mvc;
using SubsidyEngine.Api.Ui;

namespace SubsidyEngine.Api.Pages;

/// <summary>Home: a municipality goes to its portal, everyone else to the board.</summary>
public sealed class IndexModel : UiPageModel
{
    public IActionResult OnGet() => LocalRedirect(Scope.IsMunicipality ? "/portal" : "/board");
}
