using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Ical.Net;
using Ical.Net.CalendarComponents;
using Ical.Net.DataTypes;
using Ical.Net.Serialization;
using Npgsql;
using SubsidyEngine.Engine.Configuration;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Engine.Runtime;

namespace SubsidyEngine.Engine.Notices;

/// <summary>A new calendar token. <see cref="Secret"/> is shown once; only its SHA-256 is stored.</summary>
/// <param name="Id">The token's id (to revoke it).</param>
/// <param name="AuthorityId">The authority whose deadlines the feed shows.</param>
/// <param name="Secret">The secret for the feed address <c>/calendar/{secret}.ics</c>.</param>
/// <param name="CreatedAt">When it was created.</param>
public sealed record CalendarToken(Guid Id, string AuthorityId, string Secret, DateTimeOffset CreatedAt)
{
    /// <summary>The feed's path, e.g. <c>/calendar/Xy...ics</c>.</summary>
    public string Path => $"/calendar/{Secret}.ics";
}

/// <summary>
/// An iCalendar feed (RFC 5545, Ical.Net) of an authority's open deadlines, reachable with a secret token so
/// calendar clients can subscribe without signing in. Which dossiers belong to the authority: the dossier data's
/// <c>owner</c> equals the authority id, or its <c>participants</c> array contains it.
/// </summary>
/// <remarks>
/// Each deadline is an all-day event on its (effective, i.e. extended) due day in
/// <see cref="NoticeOptions.TimeZone"/>, with a UID stable per deadline (<c>deadline-{id}@subsidy-engine</c>) and a
/// SEQUENCE that counts the extensions, so clients update the event instead of adding one. Tokens are 256-bit
/// random secrets; the database keeps only their SHA-256, so a database leak does not reveal feed addresses.
/// </remarks>
public sealed class CalendarFeed(NpgsqlDataSource dataSource, TimeProvider clock, SubsidyOptions options, WorkflowCatalog? workflows = null, Programmes.Model.AuthorityRegister? authorities = null)
{
    /// <summary>The value of the calendar's PRODID.</summary>
    public const string ProductId = "-//Agentschap Binnenlands Bestuur//SubsidyEngine Plan Samenleven//NL";

    private static readonly CultureInfo Dutch = CultureInfo.GetCultureInfo("nl-BE");

    private static readonly CultureInfo English = CultureInfo.GetCultureInfo("en-GB");

    /// <summary>Creates a token for <paramref name="authorityId"/>; the returned secret is not stored and cannot be shown again.</summary>
    public async Task<CalendarToken> CreateTokenAsync(string authorityId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(authorityId);
        var secret = Base64Url(RandomNumberGenerator.GetBytes(32));
        var id = Guid.CreateVersion7(clock.GetUtcNow());
        var now = JournalEvent.Truncate(clock.GetUtcNow());
        await using var cmd = dataSource.CreateCommand("INSERT INTO calendar_token (id, authority_id, token_sha256, created_at) VALUES ($1, $2, $3, $4)");
        cmd.Parameters.AddWithValue(id);
        cmd.Parameters.AddWithValue(authorityId.Trim());
        cmd.Parameters.AddWithValue(Hash(secret));
        cmd.Parameters.AddWithValue(now);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
        return new CalendarToken(id, authorityId.Trim(), secret, now);
    }

    /// <summary>Revokes a token; its feed answers 404 from now on. False when there is no such active token.</summary>
    public async Task<bool> RevokeAsync(Guid tokenId, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand("UPDATE calendar_token SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL");
        cmd.Parameters.AddWithValue(tokenId);
        cmd.Parameters.AddWithValue(JournalEvent.Truncate(clock.GetUtcNow()));
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>How many active (not revoked) tokens <paramref name="authorityId"/> has.</summary>
    public async Task<int> CountActiveAsync(string authorityId, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand("SELECT count(*) FROM calendar_token WHERE authority_id = $1 AND revoked_at IS NULL");
        cmd.Parameters.AddWithValue(authorityId);
        return Convert.ToInt32(await cmd.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Revokes every active token of <paramref name="authorityId"/> and creates a new one, in one transaction (the
    /// portal's "revoke and create new"): old feed addresses answer 404 from the commit on.
    /// </summary>
    public async Task<(CalendarToken Token, int Revoked)> RenewAsync(string authorityId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(authorityId);
        var secret = Base64Url(RandomNumberGenerator.GetBytes(32));
        var now = JournalEvent.Truncate(clock.GetUtcNow());
        var id = Guid.CreateVersion7(clock.GetUtcNow());
        await using var conn = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await conn.BeginTransactionAsync(cancellationToken);
        int revoked;
        await using (var revoke = new NpgsqlCommand("UPDATE calendar_token SET revoked_at = $2 WHERE authority_id = $1 AND revoked_at IS NULL", conn, tx))
        {
            revoke.Parameters.AddWithValue(authorityId.Trim());
            revoke.Parameters.AddWithValue(now);
            revoked = await revoke.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var insert = new NpgsqlCommand("INSERT INTO calendar_token (id, authority_id, token_sha256, created_at) VALUES ($1, $2, $3, $4)", conn, tx))
        {
            insert.Parameters.AddWithValue(id);
            insert.Parameters.AddWithValue(authorityId.Trim());
            insert.Parameters.AddWithValue(Hash(secret));
            insert.Parameters.AddWithValue(now);
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
        return (new CalendarToken(id, authorityId.Trim(), secret, now), revoked);
    }

    /// <summary>
    /// The authority of an active token, or null for an unknown or revoked one, or one of an authority no longer in
    /// the register (its users' keys and sessions stop working; so does its calendar link).
    /// </summary>
    public async Task<string?> FindAuthorityAsync(string secret, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(secret) || secret.Length > 128)
        {
            return null;
        }

        var hash = Hash(secret);
        await using var cmd = dataSource.CreateCommand("SELECT authority_id, token_sha256 FROM calendar_token WHERE token_sha256 = $1 AND revoked_at IS NULL");
        cmd.Parameters.AddWithValue(hash);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        // The lookup is by hash already; compare again in constant time so the decision never hinges on a string compare.
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(reader.GetString(1)), Encoding.ASCII.GetBytes(hash))
               && (authorities is null || authorities.Find(reader.GetString(0)) is not null)
            ? reader.GetString(0)
            : null;
    }

    /// <summary>The feed (iCalendar text) for a token, or null when the token is unknown or revoked.</summary>
    /// <param name="secret">The token's secret.</param>
    /// <param name="lang"><c>en</c> for English labels (the link the portal shows in English mode), else Dutch.</param>
    /// <param name="cancellationToken">Cancels the queries.</param>
    public async Task<string?> RenderAsync(string secret, string? lang = null, CancellationToken cancellationToken = default)
    {
        var authority = await FindAuthorityAsync(secret, cancellationToken);
        return authority is null ? null : await RenderForAuthorityAsync(authority, lang, cancellationToken);
    }

    /// <summary>The feed of an authority's open deadlines, with Dutch labels, or English ones when <paramref name="lang"/> is <c>en</c>.</summary>
    public async Task<string> RenderForAuthorityAsync(string authorityId, string? lang = null, CancellationToken cancellationToken = default)
    {
        var en = lang == "en";
        ArgumentNullException.ThrowIfNull(authorityId);
        var zone = TimeZoneInfo.FindSystemTimeZoneById(options.Notices.TimeZone);
        var calendar = new Ical.Net.Calendar { ProductId = ProductId };
        // The authority's name (never its NIS code) names the calendar. The feed holds the deadlines of every programme
        // the authority has a dossier in (Plan Samenleven, Oefenkansen Nederlands, ...), so it is named after the desk,
        // not after one programme.
        var authorityName = authorities?.Find(authorityId)?.Name ?? (en ? "your authority" : "uw bestuur");
        calendar.AddProperty("X-WR-CALNAME", en ? $"Subsidy desk — deadlines of {authorityName}" : $"Subsidieloket — termijnen van {authorityName}");
        calendar.AddProperty("X-WR-TIMEZONE", options.Notices.TimeZone);
        var stamp = new CalDateTime(clock.GetUtcNow().UtcDateTime.AddTicks(-(clock.GetUtcNow().UtcTicks % TimeSpan.TicksPerSecond)), "UTC");
        var baseUrl = options.PublicBaseUrl.TrimEnd('/');

        await using var cmd = dataSource.CreateCommand(
            """
            SELECT dl.id, dl.kind, dl.due_at, dl.rule, s.id, COALESCE(s.data ->> 'reference', ''), s.state,
                   (SELECT count(*) FROM deadline_extension e WHERE e.deadline_id = dl.id), s.workflow_id, s.workflow_version
            FROM deadline dl JOIN dossier s ON s.id = dl.dossier_id
            WHERE dl.status = 'open'
              AND (s.owner = $1 OR s.participants @> jsonb_build_array($1::text))
            ORDER BY dl.due_at, dl.id
            """);
        cmd.Parameters.AddWithValue(authorityId);
        await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var deadlineId = reader.GetGuid(0);
                var kind = reader.GetString(1);
                var due = reader.GetFieldValue<DateTimeOffset>(2);
                var dossierId = reader.GetGuid(4);
                var reference = reader.GetString(5) is { Length: > 0 } r ? r : dossierId.ToString("D");
                var extensions = (int)reader.GetInt64(7);
                var local = TimeZoneInfo.ConvertTime(due, zone);
                var day = DateOnly.FromDateTime(local.DateTime);
                var definition = workflows is not null && workflows.Contains(reader.GetString(8), reader.GetInt32(9))
                    ? workflows.Get(reader.GetString(8), reader.GetInt32(9)).Definition
                    : null;
                var label = Workflows.Calendar.DeadlineLabels.For(kind, definition).For(en ? "en" : "nl");
                // A deadline on a date ends with that day (23:59:59 in Brussels): the feed says the day, not a time;
                // a deadline at another time of day says the time too.
                var endOfDay = new Workflows.Calendar.BrusselsDate(day).EndOfDay == due;
                var culture = en ? English : Dutch;
                var when = endOfDay
                    ? string.Create(culture, $"{local:dddd d MMMM yyyy}")
                    : string.Create(culture, $"{local:dddd d MMMM yyyy} {(en ? "at" : "om")} {local:HH:mm}");
                var ev = new CalendarEvent
                {
                    Uid = $"deadline-{deadlineId:D}@subsidy-engine",
                    Summary = $"{label} — dossier {reference}",
                    Description = (en ? $"{label} for dossier {reference}: the period runs up to and including {when}." : $"{label} voor dossier {reference}: de termijn loopt tot en met {when}.")
                        + (extensions > 0 ? (en ? string.Create(English, $" The deadline was extended {extensions} time(s).") : string.Create(Dutch, $" De termijn werd {extensions} keer verlengd.")) : string.Empty),
                    DtStart = new CalDateTime(day),
                    DtEnd = new CalDateTime(day.AddDays(1)),
                    DtStamp = stamp,
                    Sequence = extensions,
                    Url = new Uri($"{baseUrl}/dossiers/{dossierId:D}"),
                };
                calendar.Events.Add(ev);
            }
        }

        return new CalendarSerializer().SerializeToString(calendar) ?? string.Empty;
    }

    /// <summary>The stored form of a secret: SHA-256, lowercase hex.</summary>
    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
