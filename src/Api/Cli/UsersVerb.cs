using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using SubsidyEngine.Engine.Access;

namespace SubsidyEngine.Api.Cli;

/// <summary>
/// <c>users add --email x --role admin|officer|auditor|municipality [--authority NIS] [--name "Display name"]</c> and
/// <c>users key --email x [--label text]</c>: bootstrapping a deployment. The development sign-in exists only on the
/// embedded database, so on a real one this is how the first admin and its API key come to exist. The key's secret
/// is printed once on standard output and never stored (only its SHA-256).
/// </summary>
internal static class UsersVerb
{
    public const string Usage =
        "usage: users add --email <address> --role admin|officer|auditor|municipality [--authority <NIS code>] [--name <display name>]\n" +
        "       users key --email <address> [--label <text>]";

    public static async Task<int> RunAsync(IServiceProvider services, string[] args, TextWriter output, TextWriter error)
    {
        var directory = new UserDirectory(services.GetRequiredService<NpgsqlDataSource>(), services.GetRequiredService<TimeProvider>())
        {
            Register = services.GetRequiredService<Engine.Programmes.ProgrammeCatalog>().Authorities,
        };
        var sub = args.Length > 0 ? args[0] : null;
        var email = Option(args, "--email");
        if (sub is not ("add" or "key") || string.IsNullOrWhiteSpace(email))
        {
            await error.WriteLineAsync(Usage);
            return 2;
        }

        try
        {
            if (sub == "add")
            {
                var role = Option(args, "--role");
                var user = await directory.CreateUserAsync(Option(args, "--name") ?? email, email, role ?? string.Empty, Option(args, "--authority"));
                await output.WriteLineAsync($"created {user.Role} {user.Email} {user.Id:D}{(user.AuthorityId is null ? string.Empty : " authority " + user.AuthorityId)}");
                return 0;
            }

            var holder = await directory.FindUserByEmailAsync(email);
            if (holder is null)
            {
                await error.WriteLineAsync($"no user with e-mail {email}: create it first with users add");
                return 1;
            }

            var key = await directory.CreateKeyAsync(holder.Id, Option(args, "--label") ?? "cli");
            await error.WriteLineAsync($"API key {key.Key.Id:D} for {holder.Email} ({holder.Role}); the secret below is shown this once:");
            await output.WriteLineAsync(key.Secret);
            return 0;
        }
        catch (UserValidationException e)
        {
            foreach (var problem in e.Errors)
            {
                await error.WriteLineAsync($"{CliName(problem.Field)}: {problem.Message}");
            }

            return 2;
        }
    }

    /// <summary>The command-line spelling of a field the directory names.</summary>
    private static string CliName(string field) => field switch
    {
        "displayName" => "--name",
        "authorityId" => "--authority",
        "label" => "--label",
        _ => "--" + field,
    };

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
