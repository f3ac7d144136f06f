"""Whole consortia for a call: the candidates the solver sees, and the consortium it picks.

The matcher ranks organisations by their fit to the call; the solver in
`matchmaker.consortium.solver` picks the set that meets the call's requirements with the most
relevance. A call with `verified_types_required` counts only members whose type an admin verified
towards its regulator, patient organisation and public body places (`models.common.counts_as`),
and a proposal's shortfalls say so, naming the candidates they did not count.

The call's requirements as a consortium must meet them (`effective_requirements`,
`allowed_countries`, `verified_only_types`) and how candidates are filtered, loaded and shown
live here too: `matchmaker.consortium.gaps`, which compares a draft with the same requirements,
imports them from here, never the reverse.
"""

import statistics
from collections.abc import Collection, Iterable, Mapping, Sequence

import pycountry
from sqlalchemy import select
from sqlmodel import Session, col

from matchmaker.calls import get_call
from matchmaker.consortium import eligibility
from matchmaker.consortium.solver import Candidate, Proposal, Requirements, propose_consortia
from matchmaker.errors import InvalidInput
from matchmaker.matching.explanations import matched_terms
from matchmaker.matching.profile_index import Selection
from matchmaker.matching.service import VERIFIED, MatchingService
from matchmaker.matching.text import call_text
from matchmaker.matching.text_index import Match
from matchmaker.repository import stored_id
from matchmaker.rules import call_context
from matchmaker.wording import organisations_by_id
from models.call import Call, RuleSet
from models.common import EXTRA_COUNTRIES, TYPES_VERIFIED_BY_ADMIN, counts_as
from models.consortium import (
    EffectiveRequirements,
    ProposalOut,
    ProposalRequest,
    Proposals,
    ProposedMember,
    ShortfallOut,
)
from models.matching import MatchedTerm
from models.organisation import Organisation, OrganisationSummary

# A call without max_partners gets the smallest consortium that meets its requirements, plus
# the partners the user keeps in it and this many of free choice.
DEFAULT_EXTRA_PARTNERS = 2
# Candidates the solver sees: the best of each required type, and the best overall.
CANDIDATES_PER_TYPE = 30
CANDIDATES_OVERALL = 60
# Beyond the places the call requires, a partner joins a proposal only when its score is at
# least this share of the typical required member's (`_required_fit`): max_partners is a
# limit, not a target, and a draft started from a proposal keeps room for the partners the
# writer still has to add.
EXTRA_PARTNER_FIT = 0.75
# Two near-duplicate partners (same country, expertise cosine s over the solver's threshold)
# cost s times this share of the typical required member's score: the penalty scales with the
# scores, as the member cost does, so what a near-duplicate costs does not depend on how high
# a call's scores run.
DIVERSITY_SHARE = 0.5
ALL_COUNTRIES = frozenset(country.alpha_2 for country in pycountry.countries) | EXTRA_COUNTRIES


def allowed_countries(context: eligibility.Context) -> frozenset[str] | None:
    """The countries whose entities may take part in a call: every country but those its
    programme excludes (docs/eligibility.md); None when its rules exclude none. Candidates,
    gap fillers and partners a draft still needs come only from these."""
    if context.rule_set is RuleSet.none:
        return None
    excluded = context.excluded_countries()
    return ALL_COUNTRIES - excluded if excluded else None


def effective_requirements(call: Call, *, kept: int = 0) -> EffectiveRequirements:
    """The call's requirements, with a size limit even when the call sets none: there, room
    for the `kept` partners a proposal must include on top of the places it fills, so that
    keeping partners never runs into a limit the call does not have."""
    required = {kind: count for kind, count in call.required_stakeholders.items() if count > 0}
    size = call.max_partners or (
        max(sum(required.values()), call.min_countries, 1) + kept + DEFAULT_EXTRA_PARTNERS
    )
    return EffectiveRequirements(
        required_stakeholders=required,
        min_countries=call.min_countries,
        max_partners=size,
        verified_types_required=call.verified_types_required,
    )


def verified_only_types(requirements: EffectiveRequirements) -> frozenset[str]:
    """The required types that only verified members fill."""
    if not requirements.verified_types_required:
        return frozenset()
    return frozenset(requirements.required_stakeholders) & TYPES_VERIFIED_BY_ADMIN


def not_counted(names: Sequence[str]) -> str:
    """The sentence naming the organisations a verified-only requirement does not count."""
    if not names:
        return ""
    subject = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    verb = "does" if len(names) == 1 else "do"
    return f" {subject} {verb} not count: no administrator has verified the type."


def terms(match: Match | None) -> list[MatchedTerm]:
    """The terms a match shares with the call, as answers show them (none without a match)."""
    return [] if match is None else matched_terms(match.matched_terms)


def load_organisations(session: Session, ids: Iterable[int]) -> dict[int, Organisation]:
    """The stored organisations with these ids, by id (an id not stored is left out)."""
    wanted = list(set(ids))
    if not wanted:
        return {}
    rows = session.scalars(select(Organisation).where(col(Organisation.id).in_(wanted))).all()
    return {stored_id(row): row for row in rows}


def of_type(
    kind: str, *, verified_types_required: bool, countries: frozenset[str] | None
) -> dict[str, str | frozenset[str]]:
    """The facet filter of candidates for a required type: only verified organisations when
    the call requires verified members and an admin verifies that type, and only from the
    `countries` that may take part (`allowed_countries`; None: any)."""
    filters: dict[str, str | frozenset[str]] = {"stakeholder_type": kind}
    if verified_types_required and kind in TYPES_VERIFIED_BY_ADMIN:
        filters["type_verified"] = VERIFIED
    if countries is not None:
        filters["country"] = countries
    return filters


def _candidate_matches(
    matching: MatchingService,
    text: str,
    *,
    types: Mapping[str, int],
    include: Collection[int],
    exclude: Collection[int],
    verified_types_required: bool,
    countries: frozenset[str] | None,
) -> dict[int, Match]:
    """The solver's candidates, from one scoring of the call: the best of each required type
    (the best verified ones where the call requires verified members; never fewer than the
    type's required number), the best overall, all from the countries that may take part, and
    the organisations the caller includes."""
    selections = [
        Selection(
            k=max(CANDIDATES_PER_TYPE, needed),
            filters=of_type(
                kind, verified_types_required=verified_types_required, countries=countries
            ),
            fill=True,
        )
        for kind, needed in types.items()
    ]
    selections.append(
        Selection(
            k=CANDIDATES_OVERALL, filters=None if countries is None else {"country": countries}
        )
    )
    if include:
        selections.append(Selection(k=len(include), include_ids=include))
    found: dict[int, Match] = {}
    for batch in matching.suggest_many(text, selections, exclude_ids=exclude):
        for match in batch:
            found.setdefault(match.id, match)
    return found


def _country_candidates(
    matching: MatchingService,
    text: str,
    *,
    covered: Collection[str],
    exclude: Collection[int],
    countries: frozenset[str] | None,
) -> dict[int, Match]:
    """The best candidate of each country that may take part and that the candidates so far
    do not cover (sharing a term with the call, as the suggestions list them): asked for when a
    call needs more countries than its best candidates come from, so that a proposal falls
    short of countries only when the organisations do."""
    uncovered = sorted((ALL_COUNTRIES if countries is None else countries) - set(covered))
    selections = [Selection(k=1, filters={"country": country}) for country in uncovered]
    found = matching.suggest_many(text, selections, exclude_ids=exclude) if selections else []
    return {match.id: match for batch in found for match in batch}


def _required_fit(candidates: Sequence[Candidate], requirements: EffectiveRequirements) -> float:
    """The median score of the best candidates for the required places (the best `count` of
    each required type; the best overall when the call requires no type)."""
    best: list[float] = []
    verified_only = requirements.verified_types_required
    for kind, count in requirements.required_stakeholders.items():
        scores = sorted(
            (
                c.score
                for c in candidates
                if c.stakeholder_type == kind
                and counts_as(kind, c.verified, verified_types_required=verified_only)
            ),
            reverse=True,
        )
        best.extend(scores[:count])
    if not best:
        best = sorted((c.score for c in candidates), reverse=True)[:1]
    return float(statistics.median(best)) if best else 0.0


def _proposal_out(
    proposal: Proposal, organisations: Mapping[int, Organisation], matches: Mapping[int, Match]
) -> ProposalOut:
    return ProposalOut(
        feasible=proposal.feasible,
        method=proposal.method,
        objective=round(proposal.objective, 6),
        total_score=round(proposal.total_score, 6),
        diversity_penalty=round(proposal.diversity_penalty, 6),
        members=[
            ProposedMember(
                organisation=OrganisationSummary.model_validate(organisations[member.id]),
                fills=member.fills,
                included=member.included,
                score=round(member.score, 6),
                matched_terms=terms(matches.get(member.id)),
            )
            for member in proposal.members
        ],
        shortfalls=[
            ShortfallOut(
                requirement=shortfall.requirement,
                stakeholder_type=shortfall.stakeholder_type,
                needed=shortfall.needed,
                achieved=shortfall.achieved,
                message=shortfall.message
                + not_counted([organisations[i].name for i in shortfall.unverified]),
                rule=shortfall.rule,
                unverified=[
                    OrganisationSummary.model_validate(organisations[i])
                    for i in shortfall.unverified
                ],
            )
            for shortfall in proposal.shortfalls
        ],
    )


def propose_for_call(
    session: Session, matching: MatchingService, *, call_id: int, request: ProposalRequest
) -> Proposals:
    """The best consortium for a call (and alternatives), without storing anything."""
    call = get_call(session, call_id=call_id)
    include, exclude = set(request.include), set(request.exclude)
    requirements = effective_requirements(call, kept=len(include))
    if include & exclude:
        raise InvalidInput(
            f"{organisations_by_id(include & exclude).capitalize()} cannot be both included and "
            "excluded.",
            field="exclude",
        )
    known = load_organisations(session, include)
    if unknown := sorted(include - set(known)):
        raise InvalidInput(f"Unknown {organisations_by_id(unknown)}.", field="include")
    text = call_text(call)
    context = call_context(session, call)
    allowed = allowed_countries(context)
    matches = _candidate_matches(
        matching,
        text,
        types=requirements.required_stakeholders,
        include=include,
        exclude=exclude,
        verified_types_required=call.verified_types_required,
        countries=allowed,
    )
    organisations = {**load_organisations(session, matches), **known}
    covered = {row.country for row in organisations.values()}
    if len(covered) < requirements.min_countries:
        more = _country_candidates(
            matching,
            text,
            covered=covered,
            exclude=exclude | set(matches),
            countries=allowed,
        )
        matches.update(more)
        organisations.update(load_organisations(session, more))
    # Every vector from one read of the index, so that all are of one vocabulary.
    vectors = matching.profile_vectors(list(organisations))
    candidates = [
        Candidate(
            id=organisation_id,
            stakeholder_type=str(row.stakeholder_type),
            country=row.country,
            score=matches[organisation_id].score if organisation_id in matches else 0.0,
            vector=vectors[position],
            group=row.group,
            in_kind=as_participant(row).in_kind,
            verified=row.type_verified,
        )
        for position, (organisation_id, row) in enumerate(organisations.items())
    ]
    required_fit = _required_fit(candidates, requirements)
    proposals = propose_consortia(
        candidates,
        Requirements(
            required=requirements.required_stakeholders,
            min_countries=requirements.min_countries,
            max_partners=requirements.max_partners,
            rules=eligibility.solver_rules(context),
            verified_types=verified_only_types(requirements),
        ),
        include=include,
        exclude=exclude,
        alternatives=request.alternatives,
        member_cost=EXTRA_PARTNER_FIT * required_fit,
        diversity_weight=DIVERSITY_SHARE * required_fit,
    )
    return Proposals(
        call_id=call_id,
        requirements=requirements,
        items=[_proposal_out(proposal, organisations, matches) for proposal in proposals],
    )


def as_participant(organisation: Organisation) -> eligibility.Participant:
    """An organisation as the programme rules checker sees it."""
    return eligibility.Participant(
        id=stored_id(organisation),
        name=organisation.name,
        country=organisation.country,
        stakeholder_type=str(organisation.stakeholder_type),
        group=organisation.group,
        ihi_contributor=organisation.ihi_contributor,
        website=organisation.website,
    )
