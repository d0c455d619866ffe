#pragma warning disable CS1573 // Record parameters are documented only where the name does not say it all.
using SubsidyEngine.Engine.Programmes.Model;

namespace SubsidyEngine.Engine.Rules;

/// <summary>Who an application is from: the submitting authority and the participating ones (none when it applies alone).</summary>
/// <param name="ApplicationId">Stable id of the application (also the allocation's sort key).</param>
/// <param name="SubmitterId">The submitting authority ("indienend bestuur"), which receives the money.</param>
/// <param name="ParticipantIds">The participating authorities ("deelnemende besturen"), in any order.</param>
public sealed record ApplicantComposition(string ApplicationId, string SubmitterId, IReadOnlyList<string> ParticipantIds)
{
    /// <summary>Submitter first, then the participants.</summary>
    public IEnumerable<string> MemberIds => ParticipantIds.Prepend(SubmitterId);

    /// <summary>True when more than one authority applies together.</summary>
    public bool IsCooperation => ParticipantIds.Count > 0;

    /// <summary>True when the authority is the submitter or a participant.</summary>
    public bool Includes(string authorityId) =>
        SubmitterId == authorityId || ParticipantIds.Contains(authorityId, StringComparer.Ordinal);
}

/// <summary>Everything the eligibility rule looks at besides the call and the authority register.</summary>
/// <param name="Application">The application being checked.</param>
/// <param name="OtherApplicationsOfCall">The other applications of the same call (for "only one cooperation per call"); the application itself may be in the list, it is skipped by id.</param>
/// <param name="PreviousCallApplications">The applications of the previous call: required when the call is restricted to previous submitters; otherwise optional, used to find members that left and new members (cooperation bonus).</param>
public sealed record EligibilityInput(
    ApplicantComposition Application,
    IReadOnlyList<ApplicantComposition> OtherApplicationsOfCall,
    IReadOnlyList<ApplicantComposition> PreviousCallApplications);

/// <summary>The outcome of the eligibility rule.</summary>
/// <param name="CombinedNonEu14OriginResidents">Sum over the known members.</param>
/// <param name="Threshold">The threshold applied (strictly more than).</param>
/// <param name="NewMemberIds">Members not in this submitter's application of the previous call (empty without previous data).</param>
/// <param name="LeftMemberIds">Members of this submitter's previous application that are no longer in it: they lose their rights.</param>
/// <param name="CooperationBonus">True when the cooperation bonus applies: the submitter alone exceeds the threshold and takes in smaller authorities, or an existing cooperation takes in new members.</param>
public sealed record EligibilityResult(
    string ApplicationId,
    bool Passed,
    bool IsCooperation,
    long CombinedNonEu14OriginResidents,
    long Threshold,
    IReadOnlyList<string> NewMemberIds,
    IReadOnlyList<string> LeftMemberIds,
    bool CooperationBonus,
    IReadOnlyList<Reason> Reasons);

/// <summary>
/// Eligibility (DOMAIN §3), pure: an applicant alone with strictly more than the threshold of residents of non-EU-14
/// origin, or a cooperation whose members, all in one reference region, together exceed it. Every restriction comes from
/// the call data: eligible kinds, the exclusion list, "restricted to previous submitters of" and the new-member policy.
/// All checks run; every failure is a reason.
/// </summary>
public static class EligibilityRule
{
    /// <summary>Checks one application of <paramref name="call"/>.</summary>
    public static EligibilityResult Evaluate(Call call, AuthorityRegister authorities, EligibilityInput input)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(authorities);
        ArgumentNullException.ThrowIfNull(input);
        var application = input.Application;
        var reasons = new List<Reason>();
        var threshold = call.Parameters.Eligibility.ThresholdNonEu14OriginResidents;

        // Members: known, once each.
        var memberIds = application.MemberIds.ToList();
        var members = new List<Authority>();
        foreach (var duplicate in memberIds.GroupBy(id => id, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            reasons.Add(Reason.Error("cooperation.duplicate-member",
                $"Bestuur {duplicate.Key} staat meer dan eens in de aanvraag.",
                $"Authority {duplicate.Key} is listed more than once in the application."));
        }
        foreach (var id in memberIds.Distinct(StringComparer.Ordinal))
        {
            if (authorities.TryGet(id, out var authority))
            {
                members.Add(authority);
            }
            else
            {
                reasons.Add(Reason.Error("authority.unknown",
                    $"Bestuur {id} is niet gekend.", $"Authority {id} is not known."));
            }
        }

        // Kind and exclusion list (call data).
        foreach (var member in members)
        {
            if (!call.Eligibility.EligibleKinds.Contains(member.Kind))
            {
                reasons.Add(Reason.Error("authority.kind-not-eligible",
                    $"{member.Name} ({member.Kind.ToDataString()}) kan niet deelnemen aan deze oproep.",
                    $"{member.Name} ({member.Kind.ToDataString()}) may not take part in this call."));
            }
            if (call.Eligibility.FindExclusion(member.Id) is { } exclusion)
            {
                reasons.Add(Reason.Error("authority.excluded",
                    $"{member.Name} is uitgesloten van deze oproep: {exclusion.Reason.Nl}",
                    $"{member.Name} is excluded from this call: {exclusion.Reason.En}"));
            }
        }

        // vzw De Rand applies only together with facility municipalities.
        if (members.Any(m => m.Kind == AuthorityKind.DeRand))
        {
            var others = members.Where(m => m.Kind != AuthorityKind.DeRand).ToList();
            if (others.Count == 0)
            {
                reasons.Add(Reason.Error("de-rand.needs-facility-municipalities",
                    "vzw De Rand kan alleen samen met faciliteitengemeenten een aanvraag indienen.",
                    "vzw De Rand can only apply together with facility municipalities."));
            }
            foreach (var other in others.Where(m => !m.IsFacilityMunicipality))
            {
                reasons.Add(Reason.Error("de-rand.non-facility-member",
                    $"{other.Name} is geen faciliteitengemeente en kan niet samen met vzw De Rand indienen.",
                    $"{other.Name} is not a facility municipality and cannot apply together with vzw De Rand."));
            }
        }

        // One reference region.
        var regions = members.Select(m => m.Arrondissement).Distinct(StringComparer.Ordinal).OrderBy(r => r, StringComparer.Ordinal).ToList();
        if (regions.Count > 1)
        {
            reasons.Add(Reason.Error("cooperation.mixed-regions",
                $"De leden van een samenwerkingsverband moeten in één referentieregio liggen; deze aanvraag omvat: {string.Join(", ", regions)}.",
                $"The members of a cooperation must lie in one reference region; this application spans: {string.Join(", ", regions)}."));
        }

        // Previous call: who left, who is new.
        var previousOwn = input.PreviousCallApplications.FirstOrDefault(p => p.SubmitterId == application.SubmitterId);
        var newMembers = previousOwn is null
            ? []
            : memberIds.Distinct(StringComparer.Ordinal).Where(id => !previousOwn.Includes(id)).ToList();
        var leftMembers = previousOwn is null
            ? []
            : previousOwn.MemberIds.Where(id => !application.Includes(id)).ToList();

        // Threshold: strictly more than.
        var combined = members.Sum(m => m.NonEu14OriginResidents);
        var overThreshold = combined > threshold;
        if (!overThreshold)
        {
            if (leftMembers.Count > 0)
            {
                reasons.Add(Reason.Error("cooperation.remaining-below-threshold",
                    $"Na het vertrek van {string.Join(", ", leftMembers.Select(id => NameOf(authorities, id)))} tellen de overblijvende leden samen {RuleText.NumNl(combined)} inwoners van niet-EU-14-herkomst; er zijn er meer dan {RuleText.NumNl(threshold)} nodig.",
                    $"After {string.Join(", ", leftMembers.Select(id => NameOf(authorities, id)))} left, the remaining members together count {RuleText.NumEn(combined)} residents of non-EU-14 origin; more than {RuleText.NumEn(threshold)} are needed."));
            }
            else if (application.IsCooperation)
            {
                reasons.Add(Reason.Error("cooperation.below-threshold",
                    $"De leden van het samenwerkingsverband tellen samen {RuleText.NumNl(combined)} inwoners van niet-EU-14-herkomst; er zijn er meer dan {RuleText.NumNl(threshold)} nodig.",
                    $"The members of the cooperation together count {RuleText.NumEn(combined)} residents of non-EU-14 origin; more than {RuleText.NumEn(threshold)} are needed."));
            }
            else
            {
                reasons.Add(Reason.Error("applicant.below-threshold",
                    $"Het bestuur telt {RuleText.NumNl(combined)} inwoners van niet-EU-14-herkomst; er zijn er meer dan {RuleText.NumNl(threshold)} nodig. Een samenwerkingsverband binnen de referentieregio kan wel in aanmerking komen.",
                    $"The authority counts {RuleText.NumEn(combined)} residents of non-EU-14 origin; more than {RuleText.NumEn(threshold)} are needed. A cooperation within the reference region may qualify."));
            }
        }

        // Only one application (cooperation) per authority per call.
        foreach (var other in input.OtherApplicationsOfCall
                     .Where(o => o.ApplicationId != application.ApplicationId)
                     .OrderBy(o => o.ApplicationId, StringComparer.Ordinal))
        {
            foreach (var id in memberIds.Distinct(StringComparer.Ordinal).Where(other.Includes))
            {
                reasons.Add(Reason.Error("authority.in-several-applications",
                    $"{NameOf(authorities, id)} maakt ook deel uit van aanvraag {other.ApplicationId}; een bestuur kan per oproep maar in één aanvraag of samenwerkingsverband zitten.",
                    $"{NameOf(authorities, id)} is also part of application {other.ApplicationId}; an authority can be in only one application or cooperation per call."));
            }
        }

        // Calls restricted to the submitters of a previous call (year 3).
        if (call.Eligibility.RestrictedToPreviousSubmittersOf is { } previousCallId)
        {
            if (previousOwn is null)
            {
                reasons.Add(Reason.Error("call.restricted-to-previous-submitters",
                    $"Deze oproep staat alleen open voor besturen die indienden in oproep {previousCallId}; {NameOf(authorities, application.SubmitterId)} deed dat niet. Nieuwe besturen kunnen alleen aansluiten bij een bestaand samenwerkingsverband.",
                    $"This call is open only to the submitters of call {previousCallId}; {NameOf(authorities, application.SubmitterId)} was not one. New authorities can only join an existing cooperation."));
            }
            else
            {
                if (newMembers.Count > 0 && call.Eligibility.NewAuthoritiesMayJoin == NewAuthorityPolicy.ExistingCooperations
                    && !previousOwn.IsCooperation)
                {
                    reasons.Add(Reason.Error("call.new-member-needs-existing-cooperation",
                        $"Nieuwe besturen ({string.Join(", ", newMembers.Select(id => NameOf(authorities, id)))}) kunnen alleen aansluiten bij een samenwerkingsverband dat in oproep {previousCallId} bestond.",
                        $"New authorities ({string.Join(", ", newMembers.Select(id => NameOf(authorities, id)))}) can only join a cooperation that existed in call {previousCallId}."));
                }
            }
            foreach (var id in memberIds.Distinct(StringComparer.Ordinal))
            {
                var earlier = input.PreviousCallApplications.FirstOrDefault(p => p.Includes(id) && p.SubmitterId != application.SubmitterId);
                if (earlier is null) continue;
                reasons.Add(Reason.Error("authority.lost-rights",
                    $"{NameOf(authorities, id)} maakte in oproep {previousCallId} deel uit van aanvraag {earlier.ApplicationId} en verloor bij het verlaten ervan haar rechten.",
                    $"{NameOf(authorities, id)} was part of application {earlier.ApplicationId} in call {previousCallId} and lost its rights by leaving it."));
            }
        }

        var passed = !RuleText.HasErrors(reasons);
        var bonus = false;
        if (passed)
        {
            var submitter = members.First(m => m.Id == application.SubmitterId);
            if (application.IsCooperation && submitter.NonEu14OriginResidents > threshold)
            {
                bonus = true;
                reasons.Add(Reason.Info("bonus.cooperation.takes-in-smaller",
                    $"{submitter.Name} komt alleen al in aanmerking en neemt kleinere besturen op: samenwerkingsbonus.",
                    $"{submitter.Name} qualifies alone and takes in smaller authorities: cooperation bonus."));
            }
            else if (previousOwn is { IsCooperation: true } && newMembers.Count > 0)
            {
                bonus = true;
                reasons.Add(Reason.Info("bonus.cooperation.new-members",
                    $"Het samenwerkingsverband neemt nieuwe leden op ({string.Join(", ", newMembers.Select(id => NameOf(authorities, id)))}): samenwerkingsbonus.",
                    $"The cooperation takes in new members ({string.Join(", ", newMembers.Select(id => NameOf(authorities, id)))}): cooperation bonus."));
            }
            reasons.Insert(0, application.IsCooperation
                ? Reason.Info("eligibility.cooperation-above-threshold",
                    $"De {members.Count} leden liggen in {regions.Single()} en tellen samen {RuleText.NumNl(combined)} inwoners van niet-EU-14-herkomst (meer dan {RuleText.NumNl(threshold)}).",
                    $"The {members.Count} members lie in {regions.Single()} and together count {RuleText.NumEn(combined)} residents of non-EU-14 origin (more than {RuleText.NumEn(threshold)}).")
                : Reason.Info("eligibility.alone-above-threshold",
                    $"{submitter.Name} telt {RuleText.NumNl(combined)} inwoners van niet-EU-14-herkomst (meer dan {RuleText.NumNl(threshold)}).",
                    $"{submitter.Name} counts {RuleText.NumEn(combined)} residents of non-EU-14 origin (more than {RuleText.NumEn(threshold)})."));
        }
        if (leftMembers.Count > 0)
        {
            reasons.Add(Reason.Warning("cooperation.members-left",
                $"{string.Join(", ", leftMembers.Select(id => NameOf(authorities, id)))} verliet het samenwerkingsverband en verliest haar rechten.",
                $"{string.Join(", ", leftMembers.Select(id => NameOf(authorities, id)))} left the cooperation and loses its rights."));
        }

        return new EligibilityResult(application.ApplicationId, passed, application.IsCooperation, combined, threshold, newMembers,
            leftMembers, bonus, reasons);
    }

    private static string NameOf(AuthorityRegister authorities, string id) =>
        authorities.Find(id) is { } authority ? authority.Name : id;
}
