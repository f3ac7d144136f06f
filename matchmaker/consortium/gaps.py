"""What a draft consortium still lacks for its call, and who could close each gap.

The gap analysis compares a draft's members with the call's requirements
(`matchmaker.consortium.proposals.effective_requirements`): each required type and the number of
countries, with the organisations that could close the gap ranked by their score for the call
with the draft's members as partners, and the size limit. The eligibility report checks the
programme rules for the draft at the call's deadline (`matchmaker.consortium.eligibility`) and
ranks, for a failing rule, the organisations that would fix it. A call with
`verified_types_required` counts only members whose type an admin verified towards its
regulator, patient organisation and public body places (`models.common.counts_as`), and the
gaps say so, naming the members they did not count. `needs_of_draft` and `missing_types` tell
the suggestions for a draft and the notifications of its gaps what it still needs, and
`gaps_opened` the notice to its owner what a member's departure left it lacking.
"""

from collections import Counter
from collections.abc import Collection, Sequence
from itertools import pairwise
from typing import NamedTuple

from sqlmodel import Session

from matchmaker.auth import Principal
from matchmaker.calls import get_call
from matchmaker.consortium import eligibility
from matchmaker.consortium.drafts import get_consortium, members_of
from matchmaker.consortium.proposals import (
    ALL_COUNTRIES,
    allowed_countries,
    as_participant,
    effective_requirements,
    load_organisations,
    not_counted,
    of_type,
    terms,
    verified_only_types,
)
from matchmaker.countries import country_name
from matchmaker.errors import InvalidInput
from matchmaker.matching.past_projects import project_id, project_ids
from matchmaker.matching.profile_index import Selection
from matchmaker.matching.scoring import PAST_PARTNERS, RankedMatch
from matchmaker.matching.service import MatchingService
from matchmaker.matching.text import call_text
from matchmaker.matching.text_index import Match
from matchmaker.repository import stored_id
from matchmaker.rules import call_context
from matchmaker.wording import counted, percent, plural, stakeholder_noun, whole_percent
from models.call import Call
from models.common import counts_as
from models.consortium import (
    EffectiveRequirements,
    Eligibility,
    GapCandidate,
    Gaps,
    LikelyAffiliates,
    ParticipantEligibility,
    RequirementGap,
    RuleCheck,
)
from models.organisation import Organisation, OrganisationSummary

GAP_CANDIDATES = 5
# Gap candidates are ranked by their score for the call with the draft's members as partners
# (past projects shared with them count there, `matchmaker.matching.scoring`), raised by this
# bonus when the draft lacks countries. It multiplies the odds of the fit (a score stays in
# [0, 1], and the bonus weighs the same at any fit). The reasons state the past partnerships'
# and the bonus's points apart.
NEW_COUNTRY_BONUS = 1.25


class _Draft:
    """A draft's members as the gap analysis sees them: `types` counts the members each type's
    places count (with `verified_types_required`, only verified ones for the types an admin
    verifies), `unverified` names those it leaves out."""

    def __init__(self, members: Sequence[Organisation], *, verified_types_required: bool) -> None:
        self.members = list(members)
        self.ids = {stored_id(member) for member in members}
        counted = [
            counts_as(
                str(member.stakeholder_type),
                member.type_verified,
                verified_types_required=verified_types_required,
            )
            for member in members
        ]
        self.types = Counter(
            str(member.stakeholder_type)
            for member, counts in zip(members, counted, strict=True)
            if counts
        )
        self.unverified: dict[str, list[Organisation]] = {}
        for member, counts in zip(members, counted, strict=True):
            if not counts:
                self.unverified.setdefault(str(member.stakeholder_type), []).append(member)
        self.countries = {member.country for member in members}
        self.size = len(members)
        self.projects: dict[int, list[str]] = {}
        for member in members:
            for activity in member.activities:
                if (number := project_id(activity)) is not None:
                    self.projects.setdefault(number, []).append(member.name)


def _rank_gap_candidates(
    session: Session,
    matches: Sequence[RankedMatch],
    draft: _Draft,
    *,
    countries_short: bool,
) -> list[GapCandidate]:
    organisations = load_organisations(session, (match.id for match in matches))
    ranked = []
    for match in matches:
        organisation = organisations.get(match.id)
        if organisation is None:
            continue
        bonuses: list[tuple[str, float]] = []
        # The score counts past projects shared with the draft's members: stated apart, as
        # the points they add to the fit without them.
        shared = next((r.factor for r in match.reasons if r.signal == PAST_PARTNERS), 1.0)
        if shared > 1.0:
            partners = {
                name
                for number in project_ids(organisation)
                for name in draft.projects.get(number, ())
            }
            # Past projects are matched on what both profiles list (title and year), which
            # neither side proves: the reason says what is known, not that they worked together.
            who = ", ".join(sorted(partners)) or "a member"
            bonuses.append((f"Lists a past project also listed by {who}", shared))
        if countries_short and organisation.country not in draft.countries:
            country = country_name(organisation.country)
            bonuses.append((f"Brings a new country ({country})", NEW_COUNTRY_BONUS))
        fit = Match(match.id, raise_odds(match.score, 1.0 / shared), match.matched_terms)
        score, reasons = _with_bonuses(fit, bonuses)
        ranked.append(
            GapCandidate(
                organisation=OrganisationSummary.model_validate(organisation),
                score=score,
                relevance=round(fit.score, 6),
                matched_terms=terms(match),
                reasons=reasons,
            )
        )
    ranked.sort(key=lambda candidate: (-candidate.score, candidate.organisation.id))
    return ranked[:GAP_CANDIDATES]


def raise_odds(chance: float, factor: float) -> float:
    """The chance whose odds are `factor` times those of `chance` (1 stays 1)."""
    return chance * factor / (1.0 - chance + chance * factor)


def _with_bonuses(match: Match, bonuses: Sequence[tuple[str, float]]) -> tuple[float, list[str]]:
    """A gap candidate's score and reasons: its fit, then each bonus with the points it adds,
    counted so that the shown fit plus the shown points is the shown score ("Fits the call
    (12%)", "Brings a new country (Austria): +2 points", score 14%; a bonus that rounds to no point
    says "under 1 point"; a fit that rounds to no point reads "<1%", as the score bars do).
    Each bonus multiplies the odds of the fit by its factor."""
    fit, factor = match.score, 1.0
    reached = [round(fit, 6)]
    for _, bonus in bonuses:
        factor *= bonus
        reached.append(round(raise_odds(fit, factor), 6))
    shown = [whole_percent(value) for value in reached]
    fits = f"Fits the call ({percent(fit)})"
    reasons = [fits if match.matched_terms else "Shares no terms with the call"]
    for (text, _), (before, after) in zip(bonuses, pairwise(shown), strict=True):
        points = after - before
        reasons.append(
            f"{text}: +{plural(points, 'point')}" if points else f"{text}: under 1 point"
        )
    return reached[-1], reasons


def _draft_and_call(
    session: Session, *, consortium_id: int, actor: Principal | None
) -> tuple[Call, _Draft]:
    consortium = get_consortium(session, consortium_id=consortium_id, actor=actor)
    call = get_call(session, call_id=consortium.call_id)
    members = [organisation for _, organisation in members_of(session, consortium_id=consortium_id)]
    return call, _Draft(members, verified_types_required=call.verified_types_required)


def gaps_for_consortium(
    session: Session, matching: MatchingService, *, consortium_id: int, actor: Principal | None
) -> Gaps:
    """Each requirement of the call: how far the draft is from it, and who could close it."""
    call, draft = _draft_and_call(session, consortium_id=consortium_id, actor=actor)
    requirements = effective_requirements(call)
    context = call_context(session, call)
    allowed = allowed_countries(context)
    text = call_text(call)
    countries_missing = max(0, requirements.min_countries - len(draft.countries))
    pool = GAP_CANDIDATES * 4
    # One scoring of the call for every gap: a selection per missing type, one for new countries.
    missing = {
        kind: max(0, needed - draft.types[kind])
        for kind, needed in requirements.required_stakeholders.items()
    }
    # The key None is the selection of new countries.
    selections: dict[str | None, Selection] = {
        kind: Selection(
            k=pool,
            filters=of_type(
                kind, verified_types_required=call.verified_types_required, countries=allowed
            ),
            fill=True,
        )
        for kind, count in missing.items()
        if count
    }
    if countries_missing:
        new_countries = (ALL_COUNTRIES if allowed is None else allowed) - draft.countries
        selections[None] = Selection(k=pool, filters={"country": new_countries})
    found = dict(
        zip(
            selections,
            matching.suggest_many(
                text, list(selections.values()), exclude_ids=draft.ids, partner_ids=draft.ids
            )
            if selections
            else [],
            strict=True,
        )
    )
    verified_only = verified_only_types(requirements)
    available = matching.type_counts(
        requirements.required_stakeholders,
        exclude_ids=draft.ids,
        verified_only=verified_only,
        countries=allowed,
    )
    gaps = []
    for kind, needed in requirements.required_stakeholders.items():
        verified = "verified " if kind in verified_only else ""
        unverified = draft.unverified.get(kind, [])
        candidates = _rank_gap_candidates(
            session, found.get(kind, []), draft, countries_short=countries_missing > 0
        )
        gaps.append(
            RequirementGap(
                requirement="stakeholder_type",
                stakeholder_type=kind,
                required=needed,
                present=draft.types[kind],
                missing=missing[kind],
                message=(
                    f"Needs {missing[kind]} more {verified}{stakeholder_noun(kind, missing[kind])}."
                    if missing[kind]
                    else f"Has the {needed} {verified}{stakeholder_noun(kind, needed)} required."
                )
                + not_counted([member.name for member in unverified]),
                verified_only=bool(verified),
                unverified=[OrganisationSummary.model_validate(member) for member in unverified],
                available=available[kind],
                candidates=candidates,
            )
        )
    country_candidates = _rank_gap_candidates(
        session, found.get(None, []), draft, countries_short=True
    )
    gaps.append(
        RequirementGap(
            requirement="countries",
            required=requirements.min_countries,
            present=len(draft.countries),
            missing=countries_missing,
            message=(
                f"Needs partners from {plural(countries_missing, 'more country')}."
                if countries_missing
                else f"Covers the {plural(requirements.min_countries, 'country')} required."
            ),
            candidates=country_candidates,
        )
    )
    # A call without a limit has no size requirement: the size proposals use for it
    # (`effective_requirements`) bounds what the builder proposes, not what a draft may hold.
    if call.max_partners is not None:
        excess = max(0, draft.size - call.max_partners)
        gaps.append(
            RequirementGap(
                requirement="size",
                required=call.max_partners,
                present=draft.size,
                missing=excess,
                message=(
                    f"Has {plural(excess, 'partner')} more than the limit of {call.max_partners}."
                    if excess
                    else f"Within the limit of {plural(call.max_partners, 'partner')}."
                ),
                candidates=[],
            )
        )
    report = _eligibility(
        session, matching, call=call, draft=draft, consortium_id=consortium_id, context=context
    )
    return Gaps(
        consortium_id=consortium_id,
        call_id=call.id,
        satisfied=all(gap.missing == 0 for gap in gaps) and report.eligible,
        requirements=gaps,
        eligibility=report,
    )


def eligibility_for_consortium(
    session: Session, matching: MatchingService, *, consortium_id: int, actor: Principal | None
) -> Eligibility:
    """Each programme rule for a draft at the call's deadline: met or not, why, who would fix it."""
    call, draft = _draft_and_call(session, consortium_id=consortium_id, actor=actor)
    return _eligibility(
        session,
        matching,
        call=call,
        draft=draft,
        consortium_id=consortium_id,
        context=call_context(session, call),
    )


def _eligibility(
    session: Session,
    matching: MatchingService,
    *,
    call: Call,
    draft: _Draft,
    consortium_id: int,
    context: eligibility.Context,
) -> Eligibility:
    participants = [as_participant(member) for member in draft.members]
    report = eligibility.check(participants, context)
    failing = [
        rule for rule in report.rules if not rule.met and (rule.fix_countries or rule.fix_types)
    ]
    groups = {p.entity for p in participants}
    found: Sequence[Sequence[RankedMatch]] = []
    if failing:
        allowed = allowed_countries(context)
        found = matching.suggest_many(
            call_text(call),
            [_fixing(rule, allowed) for rule in failing],
            exclude_ids=draft.ids,
            partner_ids=draft.ids,
        )
    candidates = {
        rule.rule: [
            candidate
            for candidate in _rank_gap_candidates(
                session, matches, draft, countries_short=bool(rule.fix_countries)
            )
            if _fixes(session, candidate.organisation.id, groups, in_kind=rule.fix_in_kind)
        ]
        for rule, matches in zip(failing, found, strict=True)
    }
    by_id = {stored_id(member): member for member in draft.members}
    return Eligibility(
        consortium_id=consortium_id,
        call_id=stored_id(call),
        rule_set=report.rule_set.value,
        programme_part=report.part,
        evaluated_on=report.evaluated_on,
        eligible=report.eligible,
        rules=[
            RuleCheck(
                rule=rule.rule,
                title=rule.title,
                met=rule.met,
                message=rule.message,
                fix=rule.fix,
                source=rule.source,
                candidates=candidates.get(rule.rule, []),
            )
            for rule in report.rules
        ],
        participants=[
            ParticipantEligibility(
                organisation=OrganisationSummary.model_validate(by_id[status.id]),
                country_status=status.country_status.value,
                funded=status.funded,
                note=status.note,
            )
            for status in report.participants
        ],
        likely_affiliates=[
            LikelyAffiliates(organisation_ids=[first, second], reason=reason)
            for first, second, reason in report.likely_affiliates
        ],
    )


def _fixing(rule: eligibility.RuleResult, allowed: frozenset[str] | None) -> Selection:
    """Where the candidates that could fix a failing rule are looked for: its countries (else
    those that may take part), its types (all of them, those that share no term last)."""
    filters: dict[str, Collection[str]] = {}
    countries = rule.fix_countries or allowed
    if countries is not None:
        filters["country"] = countries
    if rule.fix_types:
        filters["stakeholder_type"] = rule.fix_types
    return Selection(k=GAP_CANDIDATES * 4, filters=filters, fill=bool(rule.fix_types))


def _fixes(session: Session, organisation_id: int, groups: set[str], *, in_kind: bool) -> bool:
    """Whether an organisation is independent of every member (not in one of their groups) and,
    when the rule asks for one, contributes in kind."""
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        return False
    participant = as_participant(organisation)
    return participant.entity not in groups and (participant.in_kind or not in_kind)


class DraftNeeds(NamedTuple):
    """What a draft for a call still needs (`needs_of_draft`)."""

    types: list[str]
    countries: frozenset[str]
    members: set[int]
    # The missing types only an organisation whose type an admin verified fills (the call
    # requires verified members).
    verified_only: frozenset[str]


def needs_of_draft(
    session: Session, *, consortium_id: int, call_id: int, actor: Principal | None
) -> DraftNeeds:
    """What a draft for the call still needs: missing types, the countries to look in, current
    members, and which of the types count only verified organisations.

    The types it lacks come first: while it lacks one, the countries are all those that may
    take part (`allowed_countries`), so that an organisation of a missing type counts whatever
    its country. When it lacks no type, the countries are those that would be new to a draft
    short of countries, and none otherwise (nothing is missing). A draft written for another
    call is InvalidInput: its gaps are another call's.
    """
    call, draft = _draft_and_call(session, consortium_id=consortium_id, actor=actor)
    if call.id != call_id:
        raise InvalidInput(
            f"Draft {consortium_id} is written for call {call.id}, not call {call_id}: ask for "
            f"/calls/{call.id}/suggestions?missing_for={consortium_id}, or move the draft to "
            "this call first.",
            field="query.missing_for",
        )
    requirements = effective_requirements(call)
    types = _missing_types(requirements, draft)
    short_of_countries = len(draft.countries) < requirements.min_countries
    allowed = allowed_countries(call_context(session, call))
    countries = ALL_COUNTRIES if allowed is None else allowed
    if not types:
        countries = countries - draft.countries if short_of_countries else frozenset()
    return DraftNeeds(types, countries, draft.ids, verified_only_types(requirements) & set(types))


def missing_types(call: Call, members: Sequence[Organisation]) -> list[str]:
    """The stakeholder types a draft with these members still lacks for the call (counting only
    verified members where the call requires them)."""
    draft = _Draft(members, verified_types_required=call.verified_types_required)
    return _missing_types(effective_requirements(call), draft)


def gaps_opened(call: Call, members: Sequence[Organisation], *, leaving: int) -> list[str]:
    """What a draft with these members lacks for the call once the organisation `leaving`
    leaves it, of the requirements its departure leaves unmet or further from met, in words:
    "a patient organisation", "2 SMEs", "members from 3 countries (now 2)". Empty when its
    departure takes nothing the call requires."""
    requirements = effective_requirements(call)
    verified = call.verified_types_required
    before = _Draft(members, verified_types_required=verified)
    after = _Draft(
        [member for member in members if member.id != leaving], verified_types_required=verified
    )
    opened = []
    for kind, needed in requirements.required_stakeholders.items():
        lacking = needed - after.types[kind]
        if lacking > 0 and after.types[kind] < before.types[kind]:
            opened.append(counted(lacking, stakeholder_noun(kind), stakeholder_noun(kind, 2)))
    countries = len(after.countries)
    if countries < requirements.min_countries and countries < len(before.countries):
        opened.append(
            f"members from {plural(requirements.min_countries, 'country')} (now {countries})"
        )
    return opened


def _missing_types(requirements: EffectiveRequirements, draft: _Draft) -> list[str]:
    return [
        kind
        for kind, needed in requirements.required_stakeholders.items()
        if draft.types[kind] < needed
    ]
