using SubsidyEngine.Engine.Access;
using SubsidyEngine.Engine.Database;
using SubsidyEngine.Engine.Runtime;

namespace SubsidyEngine.Api.Auth;

/// <summary>
/// The development sign-in: pick a seeded user and you are signed in, no password. Enabled ONLY when the service
/// runs on its embedded database (<see cref="DatabaseHandle.IsEmbedded"/>), i.e. on a developer's machine; with a
/// configured connection string (every shared or production deployment) its endpoints answer 404.
/// </summary>
public sealed class DevelopmentSignIn(bool enabled)
{
    public bool Enabled { get; } = enabled;

    public static DevelopmentSignIn FromDatabase(DatabaseHandle database) => new(database.IsEmbedded);

    /// <summary>A few real authorities (NIS codes) to sign in as.</summary>
    public static IReadOnlyList<(string Id, string Name)> Authorities { get; } =
    [
        ("71016", "Genk"), ("11002", "Antwerpen"), ("44021", "Gent"), ("46021", "Sint-Niklaas"), ("13040", "Turnhout"), ("71002", "As"),
    ];

    /// <summary>The seeded development users (fixed ids, so a browser's cookie survives a restart).</summary>
    public static IReadOnlyList<UserRecord> Users { get; } = BuildUsers();

    private static List<UserRecord> BuildUsers()
    {
        var epoch = DateTimeOffset.UnixEpoch;
        var list = new List<UserRecord>
        {
            new(Guid.Parse("00000000-0000-7000-8000-00000000d001"), "Olivia Officer (ABB)", "officer@dev.subsidy.invalid", Roles.Officer, null, epoch),
            new(Guid.Parse("00000000-0000-7000-8000-00000000d002"), "Aurelie Auditor", "auditor@dev.subsidy.invalid", Roles.Auditor, null, epoch),
            new(Guid.Parse("00000000-0000-7000-8000-00000000d003"), "Adam Admin", "admin@dev.subsidy.invalid", Roles.Admin, null, epoch),
        };
        var n = 0x100;
        foreach (var (id, name) in Authorities)
        {
            list.Add(new(Guid.Parse($"00000000-0000-7000-8000-00000000{n++:x4}"), name, $"{name.ToLowerInvariant()}@dev.subsidy.invalid", Roles.Municipality, id, epoch));
        }

        return list;
    }
}

/// <summary>Seeds the development users after the migrations ran, when the development sign-in is enabled.</summary>
internal sealed class DevelopmentUserSeeder(DevelopmentSignIn gate, UserDirectory users, ILogger<DevelopmentUserSeeder> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!gate.Enabled)
        {
            return;
        }

        foreach (var u in DevelopmentSignIn.Users)
        {
            if (u.Role == Roles.Municipality && !users.IsKnownAuthority(u.AuthorityId))
            {
                // A register without this authority (Subsidy:AuthoritiesFile): no municipality user for it.
                logger.LogWarning("Development user {Email} not seeded: authority {Authority} is not in the register", u.Email, u.AuthorityId);
                continue;
            }

            await users.EnsureUserAsync(u.Id, u.DisplayName, u.Email, u.Role, u.AuthorityId, cancellationToken);
        }

        logger.LogWarning("Development sign-in is enabled (embedded database): /dev/sign-in signs anyone in as a seeded user");
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
