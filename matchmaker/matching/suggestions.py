"""Matching requests: resolve what to match, ask the index, and load what it found.

While the database cannot be reached, suggestions, search, similar organisations and fitting
calls answer from the matching service's memory (`Directory`): the call and the found
organisations and calls come from there, and fitting calls are ranked on the organisation's
row in the profile index instead of its profile's text (`calls_for_indexed_organisation`);
only what needs the database (a draft's needs, and an id the index does not hold) answers
`Unavailable`.
"""

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, TypeVar

from sqlalchemy import select
from sqlmodel import Session

from matchmaker.auth import Principal
from matchmaker.calls import call_ids_with_status, get_call
from matchmaker.consortium.gaps import needs_of_draft
from matchmaker.consortium.proposals import of_type
from matchmaker.errors import Unavailable
from matchmaker.matching import explanations
from matchmaker.matching.directory import OrganisationCard
from matchmaker.matching.profile_index import Selection
from matchmaker.matching.scoring import RankedMatch
from matchmaker.matching.service import MatchingService
from matchmaker.matching.text import call_text
from matchmaker.matching.text_index import Match
from matchmaker.organisations import get_organisation
from models.call import Call, CallStatus
from models.matching import CallMatches, Suggestions
from models.organisation import Organisation

R = TypeVar("R")
T = TypeVar("T")
M = TypeVar("M", bound=Match)


@dataclass(frozen=True, slots=True)
class Found(Generic[R, M]):
    """A stored row the index matched, with its score and shared terms (and reasons, if ranked)."""

    row: R
    match: M


# An organisation as stored, or as the matching service holds it while the database is away.
Suggested = Organisation | OrganisationCard


def suggestions(
    found: Sequence[Found[Suggested, RankedMatch]],
    *,
    subject: str = "the text",
    available: int | None = None,
) -> Suggestions:
    """Found organisations as the API answers them; `subject` names what they were matched
    with in the reasons' sentences ("the call", "the search")."""
    return Suggestions(
        items=[explanations.suggestion(item.row, item.match, subject=subject) for item in found],
        available=available,
    )


def call_matches(found: Sequence[Found[Call, Match]], *, today: date) -> CallMatches:
    """Found calls as the API answers them."""
    return CallMatches(
        items=[explanations.call_match(item.row, item.match, today=today) for item in found]
    )


def _load(session: Session, model: Any, matches: Sequence[M]) -> list[Found[Any, M]]:
    """Load matched rows in one query, in rank order, skipping any deleted meanwhile."""
    if not matches:
        return []
    rows = session.scalars(select(model).where(model.id.in_([m.id for m in matches]))).all()
    by_id = {row.id: row for row in rows}
    return [Found(by_id[m.id], m) for m in matches if m.id in by_id]


def _database_or_memory(
    session: Session, read: Callable[[], T], remembered: Callable[[Unavailable], T]
) -> T:
    """`read()` from the database; while it cannot be reached, `remembered(error)` from the
    matching service's memory instead (after ending the session's broken transaction, so that
    the request can finish)."""
    try:
        return read()
    except Unavailable as error:
        session.rollback()
        return remembered(error)


def _load_organisations(
    session: Session, matching: MatchingService, matches: Sequence[RankedMatch]
) -> list[Found[Suggested, RankedMatch]]:
    """The matched organisations from the database, or from memory while it cannot be reached."""
    return _database_or_memory(
        session,
        lambda: _load(session, Organisation, matches),
        lambda _: [Found(card, match) for card, match in matching.organisation_cards(matches)],
    )


def suggestions_for_call(
    session: Session,
    matching: MatchingService,
    *,
    call_id: int,
    stakeholder_types: Collection[str] = (),
    countries: Collection[str] = (),
    limit: int = 20,
    offset: int = 0,
    missing_for: int | None = None,
    actor: Principal | None = None,
) -> tuple[list[Found[Suggested, RankedMatch]], int]:
    """The organisations that best fit a call (after the best `offset`), or only those a draft
    still needs, and how many organisations pass the filters (`available`).

    For a draft, its members are left out and past projects with them count in the ranking.
    """
    call = _database_or_memory(
        session,
        lambda: get_call(session, call_id=call_id),
        lambda error: matching.call(call_id, because=error),
    )
    exclude: Collection[int] = ()
    if missing_for is not None:
        needs = needs_of_draft(session, consortium_id=missing_for, call_id=call_id, actor=actor)
        exclude = needs.members
        if needs.types:
            stakeholder_types = _narrow(stakeholder_types, needs.types)
            if not stakeholder_types:
                return [], 0  # only types the draft has were asked for
        countries = _narrow(countries, needs.countries)
        if not countries:
            return [], 0  # nothing is missing, or only countries it may not add
        if needs.verified_only & set(stakeholder_types):
            return _verified_where_required(
                session,
                matching,
                call,
                types=stakeholder_types,
                verified_only=needs.verified_only,
                countries=countries,
                members=exclude,
                limit=limit,
                offset=offset,
            )
    count = available(
        matching, stakeholder_types=stakeholder_types, countries=countries, exclude_ids=exclude
    )
    matches = matching.suggest_for_call(
        call,
        stakeholder_types=stakeholder_types,
        countries=countries,
        exclude_ids=exclude,
        partner_ids=exclude,
        limit=offset + limit,
    )
    return _load_organisations(session, matching, matches[offset:]), count


def _verified_where_required(
    session: Session,
    matching: MatchingService,
    call: Call,
    *,
    types: Collection[str],
    verified_only: Collection[str],
    countries: Collection[str],
    members: Collection[int],
    limit: int,
    offset: int,
) -> tuple[list[Found[Suggested, RankedMatch]], int]:
    """What a draft still needs of a call that counts only verified members of some types: the
    best of each type from one scoring of the call (only verified organisations of the types in
    `verified_only`, as its gaps offer them), merged best first, and how many there are."""
    selections = [
        Selection(
            k=offset + limit,
            filters=of_type(
                kind, verified_types_required=kind in verified_only, countries=frozenset(countries)
            ),
            fill=True,
        )
        for kind in types
    ]
    found = matching.suggest_many(
        call_text(call), selections, exclude_ids=members, partner_ids=members
    )
    # The types are disjoint, so the best of their best are the best overall (ties by id).
    merged = sorted((m for best in found for m in best), key=lambda m: (-m.score, m.id))
    counts = matching.type_counts(
        types, exclude_ids=members, verified_only=verified_only, countries=countries
    )
    return (
        _load_organisations(session, matching, merged[offset : offset + limit]),
        sum(counts.values()),
    )


def available(
    matching: MatchingService,
    *,
    stakeholder_types: Collection[str] = (),
    countries: Collection[str] = (),
    exclude_ids: Collection[int] = (),
) -> int:
    """How many organisations pass a matching request's filters, whether or not they share a
    term with the text: all of them can be listed when a stakeholder type is asked for, only
    those that share a term otherwise (the `available` of suggestions, search and similar)."""
    return matching.count(
        stakeholder_types=stakeholder_types, countries=countries, exclude_ids=exclude_ids
    )


def _narrow(asked: Collection[str], allowed: Collection[str]) -> list[str]:
    """The asked values that are allowed; all allowed when none was asked for."""
    return [value for value in asked if value in allowed] if asked else list(allowed)


def search_organisations(
    session: Session,
    matching: MatchingService,
    *,
    text: str,
    stakeholder_types: Collection[str] = (),
    countries: Collection[str] = (),
    limit: int = 20,
    offset: int = 0,
) -> list[Found[Suggested, RankedMatch]]:
    """The organisations that best fit a free text, after the best `offset`."""
    matches = matching.suggest_for_text(
        text, stakeholder_types=stakeholder_types, countries=countries, limit=offset + limit
    )
    return _load_organisations(session, matching, matches[offset:])


def _organisation_or_indexed(
    session: Session, matching: MatchingService, organisation_id: int
) -> Organisation | None:
    """The organisation from the database; while it cannot be reached, None if the index
    holds it (only the database can say that an organisation the index lacks does not exist:
    then `Unavailable`)."""

    def indexed(error: Unavailable) -> None:
        if not matching.knows_organisation(organisation_id):
            raise error

    return _database_or_memory(
        session, lambda: get_organisation(session, organisation_id=organisation_id), indexed
    )


def similar_organisations(
    session: Session,
    matching: MatchingService,
    *,
    organisation_id: int,
    stakeholder_types: Collection[str] = (),
    countries: Collection[str] = (),
    limit: int = 20,
    offset: int = 0,
) -> list[Found[Suggested, RankedMatch]]:
    """Organisations with expertise like the given one's, after the best `offset`."""
    _organisation_or_indexed(session, matching, organisation_id)
    matches = matching.similar_organisations(
        organisation_id,
        stakeholder_types=stakeholder_types,
        countries=countries,
        limit=offset + limit,
    )
    return _load_organisations(session, matching, matches[offset:])


def calls_for_organisation(
    session: Session,
    matching: MatchingService,
    *,
    organisation_id: int,
    statuses: Collection[CallStatus] = (),
    today: date,
    limit: int = 20,
    offset: int = 0,
) -> list[Found[Call, Match]]:
    """The calls whose scope best fits an organisation (after the best `offset`), optionally
    only those with a status.

    While the database cannot be reached, ranked on the organisation's indexed row, with the
    calls and their statuses as held in memory.
    """
    organisation = _organisation_or_indexed(session, matching, organisation_id)
    call_ids = None
    if statuses:
        call_ids = _database_or_memory(
            session,
            lambda: call_ids_with_status(session, statuses=statuses, today=today),
            lambda _: matching.call_ids_with_status(statuses, today=today),
        )
    if organisation is None:
        matches = matching.calls_for_indexed_organisation(
            organisation_id, call_ids=call_ids, limit=offset + limit
        )
    else:
        matches = matching.calls_for_organisation(
            organisation, call_ids=call_ids, limit=offset + limit
        )
    matches = matches[offset:]
    return _database_or_memory(
        session,
        lambda: _load(session, Call, matches),
        lambda _: [Found(call, match) for call, match in matching.held_calls(matches)],
    )
