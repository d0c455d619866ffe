using Npgsql;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Workflows.Expressions;

namespace SubsidyEngine.Engine.Access;

/// <summary>
/// What a signed-in user may see and do, derived from its role (and authority for a municipality). Visibility is
/// applied inside the SQL of every dossier query (<see cref="AppendDossierFilter"/>), never by filtering rows
/// after they were read, so counts and pages cannot leak foreign dossiers.
/// </summary>
public sealed record AccessScope(string UserId, string Role, string? AuthorityId)
{
    /// <summary>Officers, admins and auditors see every dossier; a municipality only its own and shared ones.</summary>
    public bool SeesEverything => Role is Roles.Officer or Roles.Admin or Roles.Auditor;

    /// <summary>Auditors read everything and change nothing.</summary>
    public bool MayWrite => Role is Roles.Officer or Roles.Admin or Roles.Municipality;

    public bool IsMunicipality => Role == Roles.Municipality;

    /// <summary>
    /// The actor handed to the runtime. An admin may do everything an officer may, so it fires in the officer role
    /// (the journal still names the admin's user id); everyone else fires in its own role. A municipality acts for
    /// its authority, which decides its relation (owner, participant) to each dossier.
    /// </summary>
    public Actor Actor => new(UserId, Role == Roles.Admin ? Roles.Officer : Role) { Authority = IsMunicipality ? AuthorityId : null };

    /// <summary>
    /// Appends <c> AND (visibility)</c> for the dossier table aliased <paramref name="alias"/>, adding its parameter
    /// (positional, <c>$n</c>). A scope that is neither all-seeing nor a municipality with an authority sees nothing.
    /// </summary>
    public void AppendDossierFilter(System.Text.StringBuilder sql, IList<NpgsqlParameter> parameters, string alias = "d")
    {
        if (SeesEverything)
        {
            return;
        }

        if (!IsMunicipality || string.IsNullOrEmpty(AuthorityId))
        {
            sql.Append(" AND false");
            return;
        }

        parameters.Add(new NpgsqlParameter { Value = AuthorityId });
        var p = "$" + parameters.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        // The columns generated from data ->> 'owner' and data -> 'participants', with their indexes (0006).
        sql.Append(System.Globalization.CultureInfo.InvariantCulture, $" AND ({alias}.owner = {p} OR {alias}.participants ? {p})");
    }
}
