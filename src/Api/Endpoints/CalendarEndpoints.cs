using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using SubsidyEngine.Engine.Notices;

namespace SubsidyEngine.Api.Endpoints;

/// <summary>
/// The iCalendar feed of an authority's open deadlines, for calendar subscriptions: <c>GET /calendar/{token}.ics</c>.
/// The token is the secret itself (no sign-in); unknown and revoked tokens get 404.
/// </summary>
public static class CalendarEndpoints
{
    /// <summary>Maps the calendar group.</summary>
    public static IEndpointRouteBuilder MapCalendarEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/calendar").WithTags("Calendar");
        group.MapGet("/{token}.ics", GetFeedAsync)
            .WithName("GetCalendarFeed")
            .WithSummary("iCalendar feed of an authority's open deadlines")
            .AllowAnonymous();
        return app;
    }

    /// <summary>The feed, or 404 for an unknown or revoked token.</summary>
    /// <remarks><c>?lang=en</c> words the events in English (the link the portal shows in English mode); Dutch otherwise.</remarks>
    public static async Task<Results<ContentHttpResult, NotFound>> GetFeedAsync(string token, CalendarFeed feed, HttpContext http, CancellationToken cancellationToken, string? lang = null)
    {
        ArgumentNullException.ThrowIfNull(feed);
        ArgumentNullException.ThrowIfNull(http);
        var ics = await feed.RenderAsync(token, lang == "en" ? "en" : null, cancellationToken);
        if (ics is null)
        {
            return TypedResults.NotFound();
        }

        // The address is a secret: keep it out of shared caches and referrers.
        http.Response.Headers.CacheControl = "private, max-age=300";
        http.Response.Headers["Referrer-Policy"] = "no-referrer";
        return TypedResults.Text(ics, "text/calendar", Encoding.UTF8);
    }
}
