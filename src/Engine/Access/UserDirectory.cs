using System.Security.Cryptography;
using System.Text;
using Npgsql;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Workflows.Schema;

namespace SubsidyEngine.Engine.Access;

/// <summary>A person (or machine) that signs in: one role, and for a municipality the authority it acts for.</summary>
public sealed record UserRecord(Guid Id, string DisplayName, string Email, string Role, string? AuthorityId, DateTimeOffset CreatedAt);

/// <summary>An API key as listed: never the secret, which is shown once at creation.</summary>
public sealed record ApiKeyRecord(Guid Id, Guid UserId, string Label, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt);

/// <summary>A freshly made key: <see cref="Secret"/> exists only in this object and the HTTP answer that carries it.</summary>
public sealed record CreatedApiKey(ApiKeyRecord Key, string Secret);

/// <summary>A user or key request that breaks a rule (bad role, municipality without authority, duplicate e-mail).</summary>
public sealed class UserValidationException(IReadOnlyList<FieldError> errors)
    : Exception("Invalid user request: " + string.Join("; ", errors.Select(e => $"{e.Field}: {e.Message}")))
{
    public IReadOnlyList<FieldError> Errors { get; } = errors;
}

/// <summary>The user or key does not exist.</summary>
public sealed class UserNotFoundException(string what) : Exception($"{what} does not exist.");

/// <summary>
/// Users and their API keys (<c>users</c>, <c>api_key</c>; migration 0003). A key's secret is 32 random bytes
/// (base64url, prefixed <c>sek_</c>); only its SHA-256 is stored, so a database leak does not leak usable keys,
/// and authentication is one indexed lookup by hash.
/// </summary>
public sealed class UserDirectory(NpgsqlDataSource dataSource, TimeProvider clock)
{
    /// <summary>The roles a user can hold (the runtime's <c>system</c> role is never a user).</summary>
    public static IReadOnlySet<string> UserRoles { get; } = new HashSet<string>([Roles.Officer, Roles.Municipality, Roles.Auditor, Roles.Admin], StringComparer.Ordinal);

    public const string SecretPrefix = "sek_";

    private const string UserColumns = "u.id, u.display_name, u.email, u.role, u.authority_id, u.created_at";

    /// <summary>At most this many keys are remembered; beyond it the memory starts over (a flood of keys costs lookups, not memory).</summary>
    public const int KeyCacheCapacity = 10_000;

    /// <summary>Valid keys seen recently: secret hash to its user, its key id and when the entry stops counting (TimeProvider timestamp).</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (UserRecord User, Guid KeyId, long Until)> _recentKeys = new(StringComparer.Ordinal);

    /// <summary>
    /// How long a successful key lookup is reused without asking the database (see
    /// docs/decisions/2026-11-23-api-key-cache.md). Revoking through this directory forgets every remembered key at
    /// once; a revocation made by another process (another service instance, the CLI) takes effect here within this
    /// time. Unknown and revoked keys are never remembered. Zero turns the memory off.
    /// </summary>
    public TimeSpan KeyCacheLifetime { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The register of authorities (<c>Subsidy:AuthoritiesFile</c>). When set, a municipality user must act for an
    /// authority in it: creating one for another authority, or a key for one, is refused on <c>authorityId</c>.
    /// </summary>
    public Programmes.Model.AuthorityRegister? Register { get; init; }

    /// <summary>Whether a municipality acting for <paramref name="authorityId"/> may exist: the authority is in the register (always true without one).</summary>
    public bool IsKnownAuthority(string? authorityId) => Register is null || (authorityId is not null && Register.Find(authorityId) is not null);

    /// <summary>The refusal of a municipality user whose authority is not in the register.</summary>
    public static FieldError UnknownAuthority(string authorityId) =>
        new("authorityId", $"'{authorityId}' is not an authority in the register of authorities (Subsidy:AuthoritiesFile); a municipality user acts for one of them (e.g. the NIS code 71016)");

    /// <summary>Counts revocations made through this directory (guarded by the lock on <see cref="_recentKeys"/>).</summary>
    private long _generation;

    /// <summary>Validates and stores a new user (or, with <paramref name="id"/>, a user with a fixed id: seeding).</summary>
    public async Task<UserRecord> CreateUserAsync(string displayName, string email, string role, string? authorityId, Guid? id = null, CancellationToken cancellationToken = default)
    {
        var errors = Validate(displayName, email, role, authorityId).ToList();
        if (errors.Count == 0 && role == Roles.Municipality && !IsKnownAuthority(authorityId!.Trim()))
        {
            errors.Add(UnknownAuthority(authorityId.Trim()));
        }

        if (errors.Count > 0)
        {
            throw new UserValidationException(errors);
        }

        var user = new UserRecord(id ?? Guid.CreateVersion7(clock.GetUtcNow()), displayName.Trim(), email.Trim(), role, role == Roles.Municipality ? authorityId!.Trim() : null, Truncate(clock.GetUtcNow()));
        await using var cmd = dataSource.CreateCommand("INSERT INTO users (id, display_name, email, role, authority_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)");
        cmd.Parameters.AddWithValue(user.Id);
        cmd.Parameters.AddWithValue(user.DisplayName);
        cmd.Parameters.AddWithValue(user.Email);
        cmd.Parameters.AddWithValue(user.Role);
        cmd.Parameters.AddWithValue((object?)user.AuthorityId ?? DBNull.Value);
        cmd.Parameters.AddWithValue(user.CreatedAt);
        try
        {
            await cmd.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw new UserValidationException([new FieldError(e.ConstraintName == "users_email" ? "email" : "id", "is already in use")]);
        }

        return user;
    }

    /// <summary>Creates the user unless one with this id exists (idempotent seeding of development users).</summary>
    public async Task<UserRecord> EnsureUserAsync(Guid id, string displayName, string email, string role, string? authorityId, CancellationToken cancellationToken = default)
    {
        return await GetUserAsync(id, cancellationToken) ?? await CreateUserAsync(displayName, email, role, authorityId, id, cancellationToken);
    }

    public async Task<UserRecord?> GetUserAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand($"SELECT {UserColumns} FROM users u WHERE u.id = $1");
        cmd.Parameters.AddWithValue(id);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadUser(reader) : null;
    }

    /// <summary>The user with this e-mail address (compared case-insensitively, as the unique index does), or null.</summary>
    public async Task<UserRecord?> FindUserByEmailAsync(string email, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand($"SELECT {UserColumns} FROM users u WHERE lower(u.email) = lower($1)");
        cmd.Parameters.AddWithValue(email.Trim());
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadUser(reader) : null;
    }

    public async Task<IReadOnlyList<UserRecord>> ListUsersAsync(CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand($"SELECT {UserColumns} FROM users u ORDER BY u.role, u.authority_id NULLS FIRST, u.display_name, u.id");
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var list = new List<UserRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(ReadUser(reader));
        }

        return list;
    }

    /// <summary>Makes a key for <paramref name="userId"/>; the returned secret is not stored anywhere.</summary>
    public async Task<CreatedApiKey> CreateKeyAsync(Guid userId, string label, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(label) || label.Length > 200 || TextRules.HasUnsafeCharacters(label))
        {
            throw new UserValidationException([new FieldError("label", "must be 1 to 200 characters without control characters")]);
        }

        if (Register is not null && await GetUserAsync(userId, cancellationToken) is { Role: Roles.Municipality } holder && !IsKnownAuthority(holder.AuthorityId))
        {
            throw new UserValidationException([UnknownAuthority(holder.AuthorityId ?? string.Empty)]);
        }

        var secret = SecretPrefix + Base64Url(RandomNumberGenerator.GetBytes(32));
        var key = new ApiKeyRecord(Guid.CreateVersion7(clock.GetUtcNow()), userId, label.Trim(), Truncate(clock.GetUtcNow()), null, null);
        await using var cmd = dataSource.CreateCommand(
            "INSERT INTO api_key (id, user_id, secret_hash, label, created_at) SELECT $1, u.id, $3, $4, $5 FROM users u WHERE u.id = $2");
        cmd.Parameters.AddWithValue(key.Id);
        cmd.Parameters.AddWithValue(userId);
        cmd.Parameters.AddWithValue(Hash(secret));
        cmd.Parameters.AddWithValue(key.Label);
        cmd.Parameters.AddWithValue(key.CreatedAt);
        if (await cmd.ExecuteNonQueryAsync(cancellationToken) == 0)
        {
            throw new UserNotFoundException($"User {userId}");
        }

        return new CreatedApiKey(key, secret);
    }

    public async Task<IReadOnlyList<ApiKeyRecord>> ListKeysAsync(Guid userId, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand("SELECT id, user_id, label, created_at, last_used_at, revoked_at FROM api_key WHERE user_id = $1 ORDER BY created_at, id");
        cmd.Parameters.AddWithValue(userId);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var list = new List<ApiKeyRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new ApiKeyRecord(reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3),
                reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4), reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5)));
        }

        return list;
    }

    /// <summary>Revokes a key of a user; revoking twice is fine. False when the user has no such key.</summary>
    public async Task<bool> RevokeKeyAsync(Guid userId, Guid keyId, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand("UPDATE api_key SET revoked_at = coalesce(revoked_at, $3) WHERE id = $1 AND user_id = $2");
        cmd.Parameters.AddWithValue(keyId);
        cmd.Parameters.AddWithValue(userId);
        cmd.Parameters.AddWithValue(Truncate(clock.GetUtcNow()));
        var revoked = await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;

        // After the UPDATE committed: a lookup that began earlier may have read the key unrevoked; the new generation
        // keeps it from being remembered, and one that begins later reads the revoked row.
        lock (_recentKeys)
        {
            _generation++;
            _recentKeys.Clear();
        }

        return revoked;
    }

    /// <summary>
    /// The user owning an unrevoked key with this secret, or null. Records the time of use (at most once a minute
    /// per key, so a busy client does not turn every read into a write).
    /// </summary>
    public async Task<UserRecord?> AuthenticateKeyAsync(string secret, CancellationToken cancellationToken = default)
    {
        if (!LooksLikeSecret(secret))
        {
            return null;
        }

        var hash = Hash(secret);
        var lifetime = KeyCacheLifetime;
        if (lifetime > TimeSpan.Zero && _recentKeys.TryGetValue(hash, out var recent))
        {
            if (clock.GetTimestamp() < recent.Until)
            {
                return recent.User;
            }

            _recentKeys.TryRemove(KeyValuePair.Create(hash, recent));
        }

        // Read before the lookup: a revocation committed while it runs keeps its answer from being remembered.
        var generation = Interlocked.Read(ref _generation);
        var started = clock.GetTimestamp();
        await using var cmd = dataSource.CreateCommand(
            $"""
            WITH k AS (SELECT id, user_id FROM api_key WHERE secret_hash = $1 AND revoked_at IS NULL),
                 touched AS (UPDATE api_key a SET last_used_at = $2 FROM k WHERE a.id = k.id AND (a.last_used_at IS NULL OR a.last_used_at < $2 - interval '1 minute'))
            SELECT {UserColumns}, k.id FROM k JOIN users u ON u.id = k.user_id
            """);
        cmd.Parameters.AddWithValue(hash);
        cmd.Parameters.AddWithValue(Truncate(clock.GetUtcNow()));
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        var user = ReadUser(reader);
        if (lifetime > TimeSpan.Zero)
        {
            if (_recentKeys.Count >= KeyCacheCapacity)
            {
                _recentKeys.Clear();
            }

            var until = started + (long)(lifetime.TotalSeconds * clock.TimestampFrequency);
            lock (_recentKeys)
            {
                // Not remembered when a revocation in this process started after this lookup began.
                if (generation == _generation)
                {
                    _recentKeys[hash] = (user, reader.GetGuid(6), until);
                }
            }
        }

        return user;
    }

    /// <summary>Cheap shape check before any database work (length, prefix, base64url alphabet).</summary>
    public static bool LooksLikeSecret(string? secret) =>
        secret is { Length: 47 } && secret.StartsWith(SecretPrefix, StringComparison.Ordinal) &&
        secret.AsSpan(SecretPrefix.Length).IndexOfAnyExcept("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") < 0;

    /// <summary>SHA-256 (lower-case hex) of the secret's UTF-8 bytes: what the database keeps.</summary>
    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    public static IReadOnlyList<FieldError> Validate(string? displayName, string? email, string? role, string? authorityId)
    {
        var errors = new List<FieldError>();
        if (string.IsNullOrWhiteSpace(displayName) || displayName.Length > 200 || TextRules.HasUnsafeCharacters(displayName))
        {
            errors.Add(new FieldError("displayName", "must be 1 to 200 characters without control characters"));
        }

        if (string.IsNullOrWhiteSpace(email) || email.Length > 320 || email.Any(c => char.IsControl(c) || char.IsWhiteSpace(c) || char.GetUnicodeCategory(c) == System.Globalization.UnicodeCategory.Format) || email.IndexOf('@', StringComparison.Ordinal) is < 1 || email.EndsWith('@'))
        {
            errors.Add(new FieldError("email", "must be an e-mail address"));
        }

        if (role is null || !UserRoles.Contains(role))
        {
            errors.Add(new FieldError("role", "must be one of officer, municipality, auditor, admin"));
        }
        else if (role == Roles.Municipality && (string.IsNullOrWhiteSpace(authorityId) || authorityId.Length > 64 || !authorityId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.')))
        {
            errors.Add(new FieldError("authorityId", "a municipality user needs its authority id (e.g. the NIS code 71016)"));
        }
        else if (role != Roles.Municipality && authorityId is not null)
        {
            errors.Add(new FieldError("authorityId", "only municipality users have an authority"));
        }

        return errors;
    }

    private static UserRecord ReadUser(NpgsqlDataReader r) => new(
        r.GetGuid(0), r.GetString(1), r.GetString(2), r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4), r.GetFieldValue<DateTimeOffset>(5));

    private static DateTimeOffset Truncate(DateTimeOffset t) => JournalEvent.Truncate(t);

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
