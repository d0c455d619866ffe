using Microsoft.Extensions.Time.Testing;
using SubsidyEngine.Engine.Access;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Testing;

namespace SubsidyEngine.Engine.Tests.Access;

/// <summary>
/// The API key lookup remembers valid keys for <see cref="UserDirectory.KeyCacheLifetime"/>: revocation through the
/// same directory is immediate, revocation by another process (another directory on the same database) takes
/// effect within the lifetime (docs/decisions/2026-11-23-api-key-cache.md).
/// </summary>
public sealed class ApiKeyCacheTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero));

    public Task InitializeAsync() => db.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<(UserDirectory Service, UserRecord User, CreatedApiKey Key)> SetUpAsync(TimeSpan? lifetime = null)
    {
        var service = new UserDirectory(db.DataSource, _clock) { KeyCacheLifetime = lifetime ?? TimeSpan.FromSeconds(2) };
        var user = await service.CreateUserAsync("Anna Officer", $"anna-{Guid.NewGuid():N}@abb.example.be", Roles.Officer, null);
        var key = await service.CreateKeyAsync(user.Id, "script");
        return (service, user, key);
    }

    [Fact]
    public async Task Revoking_through_the_same_directory_refuses_the_key_at_once()
    {
        var (service, user, key) = await SetUpAsync();
        Assert.Equal(user.Id, (await service.AuthenticateKeyAsync(key.Secret))?.Id);

        Assert.True(await service.RevokeKeyAsync(user.Id, key.Key.Id));

        Assert.Null(await service.AuthenticateKeyAsync(key.Secret));
    }

    [Fact]
    public async Task A_revocation_by_another_process_takes_effect_within_the_lifetime()
    {
        var (service, user, key) = await SetUpAsync();
        var otherProcess = new UserDirectory(db.DataSource, _clock);
        Assert.NotNull(await service.AuthenticateKeyAsync(key.Secret));

        Assert.True(await otherProcess.RevokeKeyAsync(user.Id, key.Key.Id));
        Assert.Null(await otherProcess.AuthenticateKeyAsync(key.Secret));
        _clock.Advance(TimeSpan.FromSeconds(1.9));
        Assert.NotNull(await service.AuthenticateKeyAsync(key.Secret)); // remembered: at most the lifetime
        _clock.Advance(TimeSpan.FromSeconds(0.2));

        Assert.Null(await service.AuthenticateKeyAsync(key.Secret));
    }

    [Fact]
    public async Task Without_a_lifetime_every_lookup_asks_the_database()
    {
        var (service, user, key) = await SetUpAsync(TimeSpan.Zero);
        Assert.NotNull(await service.AuthenticateKeyAsync(key.Secret));

        Assert.True(await new UserDirectory(db.DataSource, _clock).RevokeKeyAsync(user.Id, key.Key.Id));

        Assert.Null(await service.AuthenticateKeyAsync(key.Secret));
    }

    [Fact]
    public async Task Unknown_keys_are_refused_and_a_revoked_key_stays_refused()
    {
        var (service, user, key) = await SetUpAsync();
        var unknown = UserDirectory.SecretPrefix + new string('A', 43);
        Assert.Null(await service.AuthenticateKeyAsync(unknown));
        Assert.True(await service.RevokeKeyAsync(user.Id, key.Key.Id));
        Assert.Null(await service.AuthenticateKeyAsync(key.Secret));
        _clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Null(await service.AuthenticateKeyAsync(key.Secret));
    }
}
