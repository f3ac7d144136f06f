"""What an organisation's saved searches find now, for its saved-searches page.

The rule is the notification pass's (`matchmaker.partnering.fanout`): the searches of a target
indexed together (`saved_searches.current_index`, kept between requests), each item as
`call_item`, `organisation_item` or `partner_request_item` makes it, matched by
`SearchIndex.match_item`; a find is a hit for the search. The items are those the pass would
announce: calls not closed, open partner requests the organisation fits (`request_fit`), and
organisations.

The work per page is bounded: the partner requests open at once are few (hundreds) and all are
matched; calls and organisations are first found by the service's indexes, at most `POOL` per
search, best by their own cosine (close to the saved searches', not equal: another IDF), and
only those are matched. A search whose pool is full may find more than it counts: the page
says "at least".
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlmodel import Session, col

from matchmaker.matching.service import MatchingService
from matchmaker.matching.text import organisation_text
from matchmaker.partnering.requests import open_requests, request_fit
from matchmaker.partnering.saved_searches import (
    Item,
    call_item,
    current_index,
    organisation_item,
    partner_request_item,
)
from models.call import Call, CallStatus, call_status
from models.organisation import Organisation
from models.saved_search import SavedSearch, SearchTarget

# Calls or organisations found per search before the saved searches' rule is applied to them.
POOL = 30
# The finds the page shows of each search.
BEST = 3


@dataclass(frozen=True, slots=True)
class Find:
    """An item a saved search finds: a call, an organisation or a partner request (`call_id`:
    the call it is for), named as its page names it, with its relevance."""

    item_id: int
    name: str
    score: float
    call_id: int | None = None


@dataclass(frozen=True, slots=True)
class Finds:
    """What one saved search finds now: how many items (`at_least`: perhaps more) and the best."""

    count: int
    at_least: bool
    best: list[Find]


@dataclass(frozen=True, slots=True)
class _Candidate:
    item: Item
    find: Find


def _call_candidates(
    session: Session,
    matching: MatchingService,
    searches: Sequence[SavedSearch],
    profile: str,
    *,
    today: date,
) -> tuple[list[_Candidate], set[int]]:
    """The calls not closed that the calls index finds for each search (its text, or the
    profile's), and the searches whose pool was full."""
    matching.sync()
    call_ids = matching.call_ids_with_status((CallStatus.open, CallStatus.forthcoming), today=today)
    found: set[int] = set()
    full: set[int] = set()
    for search in searches:
        query = profile if search.fits_profile else search.text
        pool = matching.calls_for_text(query, call_ids=call_ids, limit=POOL)
        found.update(match.id for match in pool)
        if len(pool) >= POOL:
            full.add(search.id or 0)
    if not found:
        return [], full
    calls = session.scalars(select(Call).where(col(Call.id).in_(found)).order_by(col(Call.id)))
    return [
        _Candidate(call_item(call), Find(call.id or 0, f"{call.identifier} {call.title}", 0.0))
        for call in calls
        if call_status(call.opening_date, call.deadline, today) != CallStatus.closed
    ], full


def _organisation_candidates(
    session: Session,
    matching: MatchingService,
    searches: Sequence[SavedSearch],
    *,
    organisation_id: int,
) -> tuple[list[_Candidate], set[int]]:
    """The organisations the profile index finds for each search, with its filters, and the
    searches whose pool was full."""
    found: set[int] = set()
    full: set[int] = set()
    for search in searches:
        pool = matching.organisations_for_text(
            search.text,
            stakeholder_types=search.stakeholder_types,
            countries=search.countries,
            exclude_ids=[organisation_id],
            limit=POOL,
        )
        found.update(match.id for match in pool)
        if len(pool) >= POOL:
            full.add(search.id or 0)
    if not found:
        return [], full
    organisations = session.scalars(
        select(Organisation).where(col(Organisation.id).in_(found)).order_by(col(Organisation.id))
    )
    return [
        _Candidate(organisation_item(other), Find(other.id or 0, other.name, 0.0))
        for other in organisations
    ], full


def _partner_request_candidates(
    session: Session, *, organisation: Organisation, today: date
) -> list[_Candidate]:
    """Every open partner request (few at once) the organisation fits (`request_fit`), as the
    pass tells it of no other."""
    rows = [
        (request, call, publisher)
        for request, call, publisher in session.execute(open_requests(today)).all()
        if request_fit(request, organisation).fits
    ]
    return [
        _Candidate(
            partner_request_item(request, call, publisher),
            Find(
                request.id or 0,
                f"{publisher.name}, looking for partners for {call.identifier}",
                0.0,
                call.id,
            ),
        )
        for request, call, publisher in rows
    ]


def find_now(
    session: Session,
    matching: MatchingService,
    *,
    organisation: Organisation,
    searches: Sequence[SavedSearch],
    today: date,
    best: int = BEST,
) -> dict[int, Finds]:
    """What each of an organisation's saved searches finds now, by search id: how many items
    reach its threshold, and the best few, best first."""
    organisation_id = organisation.id or 0
    finds: dict[int, Finds] = {}
    for target in SearchTarget:
        mine = [search for search in searches if search.target == target.value]
        if not mine:
            continue
        full: set[int] = set()
        if target == SearchTarget.calls:
            profile = organisation_text(organisation)
            candidates, full = _call_candidates(session, matching, mine, profile, today=today)
        elif target == SearchTarget.organisations:
            candidates, full = _organisation_candidates(
                session, matching, mine, organisation_id=organisation_id
            )
        else:
            candidates = _partner_request_candidates(
                session, organisation=organisation, today=today
            )
        index = current_index(session, target=target)
        found: dict[int, list[Find]] = {search.id or 0: [] for search in mine}
        for candidate in candidates:
            for hit in index.match_item(candidate.item):
                if hit.search_id in found:
                    found[hit.search_id].append(
                        Find(
                            candidate.find.item_id,
                            candidate.find.name,
                            hit.score,
                            candidate.find.call_id,
                        )
                    )
        for search_id, items in found.items():
            items.sort(key=lambda find: (-find.score, find.item_id))
            finds[search_id] = Finds(
                count=len(items), at_least=search_id in full and bool(items), best=items[:best]
            )
    return finds
