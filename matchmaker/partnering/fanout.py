"""Expanding notification jobs into outbox messages, and the deadline reminders.

Run at the start of every delivery pass (`matchmaker notify run`, and the worker of `matchmaker
serve`), before the e-mail goes out:

- each pending `NotificationJob` (written by `matchmaker.partnering.events` in the transaction
  of its change) is matched against the saved searches of its kind (`saved_searches.SearchIndex`,
  one query for all of them; a partner request only for the searches of organisations it fits,
  `requests.request_fit`, and its publisher does not block) and, for a new or changed profile,
  against the drafts that lack its stakeholder type (`consortium.gaps.missing_types`, read once
  per pass; to the draft's owner) and whose call it is relevant to (`GAP_THRESHOLD`, as a
  saved search of calls that fit a profile), at most `GAP_PROFILES_PER_PASS` a draft a pass;
- every draft whose call's deadline is 7 days away or less (and not past) reminds its owner.

A job writes one message per organisation and event: an organisation two of whose searches
match a new call hears of it once, in a message naming both searches, and the owner of two
drafts lacking a new profile's type once, naming both drafts (a search match and a draft's gap
stay two messages: two events, which webhooks act on apart); a deadline, once per owner and
call, naming its drafts. Each reason is written with a unique `NotificationKey` naming what it
is about (`search:<id>:call:<id>`, `gap:<draft>:<organisation>`, `deadline:<draft>:<date>`,
and `deadline:<draft>:call:<id>`, which tells a moved deadline from a first one), and a message
names only the reasons whose keys it took. A job's messages are planned without the write
lock (the item read and matched, the texts built, in a read), then written in one short write
transaction, which also marks the job done: a pass killed half way, or two passes at once,
never notify one thing twice.
That transaction checks again that the item is there (and open) and each search still saved:
an item deleted or closed since it was planned is announced to nobody. Jobs with nothing to
write are marked done together. The write transactions are a `db.BackgroundWriter`'s: on SQLite
the pass rests after every 50 ms of them, so that requests waiting for the write lock get it
(BENCHMARKS.md, session 16). The saved-search indexes and the drafts' gaps are read once per
pass, outside the write transactions, and serve every batch of the worker's pass
(`PassContext`); a search deleted since is skipped, one saved since hears of the next item.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Engine, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from matchmaker.consortium.drafts import members_by_draft
from matchmaker.consortium.gaps import missing_types
from matchmaker.consortium.proposals import effective_requirements
from matchmaker.countries import country_name
from matchmaker.db import BackgroundWriter, first_claimed, for_writing, session_scope
from matchmaker.matching.call_terms import CallTerms
from matchmaker.matching.text import call_text, organisation_text
from matchmaker.partnering.outbox import (
    REPLIES_UNREAD,
    Event,
    add_messages,
    outbox_message,
    quoted_text,
    web_page,
)
from matchmaker.partnering.requests import request_fit, status_of
from matchmaker.partnering.saved_searches import (
    Hit,
    SearchIndex,
    build_index,
    call_item,
    organisation_item,
    partner_request_item,
    relevance,
    stored_calls,
    weigh,
)
from matchmaker.repository import stored_id
from matchmaker.wording import (
    and_list,
    percent,
    plural,
    quoted,
    say_date,
    stakeholder_label,
    stakeholder_noun,
    with_article,
)
from models.call import Call, CallStatus, call_status
from models.common import as_utc, counts_as, utc_now
from models.consortium import Consortium
from models.organisation import Organisation
from models.partnering import (
    AboutIds,
    OrganisationBlock,
    OutboxMessage,
    PartnerRequest,
    PartnerRequestStatus,
)
from models.saved_search import (
    DEFAULT_THRESHOLD,
    JobKind,
    NotificationJob,
    NotificationKey,
    SavedSearch,
    SearchTarget,
)

# A draft's owner hears of its call's deadline once, when it is this many days away or less.
REMINDER_DAYS = 7
# Jobs with nothing to write (an item gone, or fitting no search) marked done per transaction.
IDLE_CHUNK = 500
# The new profiles one pass tells a draft's owner of, at most, for that draft's gap: an import
# creating thousands of profiles must not send one e-mail per fitting profile. They are the
# first recorded, not the best: the draft's page ranks every candidate (5 a gap) by its fit.
GAP_PROFILES_PER_PASS = 3
# The relevance to a draft's call a profile needs to fill the draft's gap: a saved search's
# default (`relevance` of the profile's text and the call's, as a search of "calls that fit
# your profile" measures it).
GAP_THRESHOLD = DEFAULT_THRESHOLD


@dataclass(slots=True)
class PassContext:
    """What a pass reads once, in a read and never inside a write transaction: the saved
    searches' index of each kind of job it meets and, at its first profile job, the drafts'
    gaps (with their calls' weighed texts). One serves every batch of a worker's pass
    (`expand_jobs`' `context`), and counts the profiles each draft was told of in the pass
    (`GAP_PROFILES_PER_PASS`). A draft whose gap closes during the pass may still hear of a
    profile of that type once."""

    indexes: dict[SearchTarget, SearchIndex] = field(default_factory=dict)
    drafts_lacking: list["DraftGap"] | None = None
    # The call-frequency weights the drafts' calls were weighed with, read with the gaps.
    call_terms: CallTerms | None = None
    # How many new profiles each draft (by id) was told of in this pass, for its gap.
    gap_told: Counter[int] = field(default_factory=Counter)

    def index(self, session: Session, target: SearchTarget) -> SearchIndex:
        """The saved searches of `target`, indexed at the first call."""
        if target not in self.indexes:
            self.indexes[target] = build_index(session, target=target)
        return self.indexes[target]

    def gaps(self, session: Session, *, today: date) -> list["DraftGap"]:
        """The drafts that lack a stakeholder type, read at the first call."""
        if self.drafts_lacking is None:
            self.call_terms = stored_calls(session)
            self.drafts_lacking = draft_gaps(session, today=today, calls=self.call_terms)
        return self.drafts_lacking


@dataclass(slots=True)
class Expanded:
    """What one expansion pass did."""

    jobs: int = 0
    messages: int = 0
    reminders: int = 0


def claim_many(session: Session, keys: list[str], *, now: datetime) -> set[str]:
    """Take notification keys in the caller's transaction; those not taken before."""
    if not keys:
        return set()
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    table = NotificationKey.__table__  # type: ignore[attr-defined]  # SQLModel sets it
    # One statement however many keys (executemany, cached), batched by SQLAlchemy's
    # "insertmanyvalues"; RETURNING, not rowcount: a row comes back only for a key it took.
    rows = session.connection().execute(
        insert(table).on_conflict_do_nothing(index_elements=["key"]).returning(table.c.key),
        [{"key": key, "created_at": now} for key in keys],
    )
    return set(rows.scalars())


@dataclass(frozen=True, slots=True)
class Reason:
    """One reason an organisation hears of an item, under its own notification key: a saved
    search it matches (`search_id`, which must still exist when the message is written) or a
    draft whose gap it fills (`draft_id`, told of `GAP_PROFILES_PER_PASS` profiles a pass at
    most)."""

    key: str
    search_id: int | None = None
    draft_id: int | None = None


@dataclass(frozen=True, slots=True)
class Planned:
    """One message to one organisation about one item, built without the write lock: its
    reasons, and how to word it for those still news when it is written (`compose`, given
    the positions in `reasons` of the ones kept, in order, and of those among them whose
    draft is told of its last profile of the pass)."""

    reasons: tuple[Reason, ...]
    compose: Callable[[list[int], set[int]], OutboxMessage]


def _describe(search: SavedSearch) -> str:
    # Named as its page heads it, in quotes either way ("your saved search “calls that fit
    # your profile”", where it read "your saved search calls that fit your profile").
    return quoted("calls that fit your profile" if search.fits_profile else search.text)


@dataclass(frozen=True, slots=True)
class _SearchHit:
    """A hit as its message words it: the search, described, and how relevant the item is."""

    search_id: int
    described: str
    score: float
    threshold: float


def _search_plans(
    session: Session,
    *,
    hits: list[Hit],
    item_key: str,
    event: Event,
    subject: Callable[[int], str],
    body: str,
    about: int | None = None,
    ids: AboutIds | None = None,
    base_url: str,
    recorded_at: datetime,
) -> list[Planned]:
    """One message per organisation naming every search of it that a hit found, if the search
    exists and was saved before the change was recorded (`recorded_at`: a search saved since
    could already find the item, which is not news to it; `subject`: the subject for so many
    searches; `about`: the organisation the item is, or is from, if any; `ids`: the item's
    own, the most relevant search's added). Each search keeps its own key, so a search that
    heard of the item before is not named again."""
    if not hits:
        return []
    searches = {
        search.id: search
        for search in session.scalars(
            select(SavedSearch).where(col(SavedSearch.id).in_([hit.search_id for hit in hits]))
        )
    }
    by_owner: dict[int, list[_SearchHit]] = {}
    for hit in hits:  # most relevant first
        search = searches.get(hit.search_id)
        if search is not None and as_utc(search.created_at) <= recorded_at:
            by_owner.setdefault(hit.organisation_id, []).append(
                _SearchHit(hit.search_id, _describe(search), hit.score, search.threshold)
            )

    def compose(
        owner: int, found: list[_SearchHit]
    ) -> Callable[[list[int], set[int]], OutboxMessage]:
        def message(kept: list[int], _: set[int]) -> OutboxMessage:
            named = [found[position] for position in kept]
            # In percent, as the saved-searches page asks for the relevance needed.
            reasons = and_list(
                [
                    f"{hit.described} (relevance {percent(hit.score)}; you asked for at least "
                    f"{percent(hit.threshold)})"
                    for hit in named
                ]
            )
            return outbox_message(
                organisation_id=owner,
                event=event,
                subject=subject(len(named)),
                body=f"{body}\n\nIt matches your saved "
                f"{'search' if len(named) == 1 else 'searches'} {reasons}. "
                f"To change or delete your saved searches: {web_page(base_url, '/saved-searches')}",
                about=about,
                ids=AboutIds(**(ids or {}), saved_search_id=named[0].search_id),
            )

        return message

    return [
        Planned(
            tuple(Reason(f"search:{hit.search_id}:{item_key}", hit.search_id) for hit in found),
            compose(owner, found),
        )
        for owner, found in by_owner.items()
    ]


def _open_call(session: Session, call_id: int, *, today: date) -> Call | None:
    """The call, unless it is gone or closed."""
    call = session.get(Call, call_id)
    if call is None or call_status(call.opening_date, call.deadline, today) == CallStatus.closed:
        return None
    return call


def _call_job(
    session: Session,
    found: PassContext,
    call_id: int,
    *,
    base_url: str,
    today: date,
    recorded_at: datetime,
) -> list[Planned]:
    call = _open_call(session, call_id, today=today)
    if call is None:
        return []
    hits = found.index(session, SearchTarget.calls).match_item(call_item(call))
    deadline = say_date(call.deadline) if call.deadline else "none given"
    return _search_plans(
        session,
        hits=hits,
        item_key=f"call:{call_id}",
        event=Event.call_matches_search,
        subject=lambda _: f"New call: {call.identifier} {call.title}",
        body=f"A new call was published: {call.identifier}, {call.title}\n"
        f"Programme: {call.programme or 'not given'}; deadline: {deadline}.\n"
        f"{web_page(base_url, f'/calls/{call_id}')}",
        ids=AboutIds(call_id=call_id),
        base_url=base_url,
        recorded_at=recorded_at,
    )


def _open_request(
    session: Session, request_id: int, *, today: date
) -> tuple[PartnerRequest, Call, Organisation] | None:
    """The partner request, its call and its publisher, unless it is gone or no longer open."""
    request = session.get(PartnerRequest, request_id)
    call = session.get(Call, request.call_id) if request is not None else None
    publisher = session.get(Organisation, request.organisation_id) if request else None
    if request is None or call is None or publisher is None:
        return None
    if status_of(request, call, today=today) != PartnerRequestStatus.open:
        return None
    return request, call, publisher


def _fitting(session: Session, hits: list[Hit], request: PartnerRequest) -> list[Hit]:
    """The hits whose searches' organisations fit the request (`request_fit`) and are not
    blocked by its publisher: a search's filters say what it watches, but no one is told of a
    request that seeks another type or other countries than its own, nor invited to answer
    one whose publisher refuses its answers (403)."""
    if not hits:
        return []
    blocked = set(
        session.scalars(
            select(col(OrganisationBlock.blocked_organisation_id)).where(
                col(OrganisationBlock.organisation_id) == request.organisation_id
            )
        )
    )
    hits = [hit for hit in hits if hit.organisation_id not in blocked]
    if not hits:
        return []
    owners = {
        owner.id: owner
        for owner in session.scalars(
            select(Organisation).where(
                col(Organisation.id).in_(sorted({hit.organisation_id for hit in hits}))
            )
        )
    }
    return [
        hit
        for hit in hits
        if (owner := owners.get(hit.organisation_id)) is not None
        and request_fit(request, owner).fits
    ]


def _partner_request_job(
    session: Session,
    found: PassContext,
    request_id: int,
    *,
    base_url: str,
    today: date,
    recorded_at: datetime,
) -> list[Planned]:
    opened = _open_request(session, request_id, today=today)
    if opened is None:
        return []
    request, call, publisher = opened
    hits = found.index(session, SearchTarget.partner_requests).match_item(
        partner_request_item(request, call, publisher)
    )
    hits = _fitting(session, hits, request)
    sought = (
        and_list([stakeholder_noun(kind, 2) for kind in request.stakeholder_types])
        or "any kind of partner"
    )
    return _search_plans(
        session,
        hits=hits,
        item_key=f"partner_request:{request_id}",
        event=Event.partner_request_matches_search,
        subject=lambda _: f"{publisher.name} is looking for partners for {call.identifier}",
        body=f"{publisher.name} ({country_name(publisher.country)}) looks for {sought} for the "
        f"call {call.identifier}, {call.title}.\n"
        + (f"\n{quoted_text(request.pitch)}\n\n" if request.pitch.strip() else "")
        + f"To answer, use Answer on the call's page ({REPLIES_UNREAD}):\n"
        f"{web_page(base_url, f'/calls/{call.id}#partner-requests')}",
        about=publisher.id,
        ids=AboutIds(partner_request_id=request_id, call_id=stored_id(call)),
        base_url=base_url,
        recorded_at=recorded_at,
    )


@dataclass(frozen=True, slots=True)
class DraftGap:
    """A draft (of a call still open) that lacks some stakeholder types, as a pass reads it,
    with its call's text weighed (`call_terms`, one mapping shared by the drafts of a call)."""

    draft_id: int
    owner_id: int
    name: str
    call_id: int
    call_identifier: str
    call_title: str
    missing: frozenset[str]
    members: frozenset[int]
    verified_types_required: bool
    created_at: datetime
    call_terms: dict[str, float] = field(default_factory=dict, compare=False, hash=False)


def draft_gaps(session: Session, *, today: date, calls: CallTerms | None = None) -> list[DraftGap]:
    """Every draft of a call still open that lacks a stakeholder type: read once per pass (the
    drafts and all their members in two queries, each call's text weighed once by `calls`),
    so that a profile job checks them without a query per draft."""
    rows = session.execute(
        select(Consortium, Call)
        .join(Call, col(Call.id) == col(Consortium.call_id))
        .where(or_(col(Call.deadline).is_(None), col(Call.deadline) >= today))
        .order_by(col(Consortium.id))
    ).all()
    drafts = [
        (draft, call) for draft, call in rows if effective_requirements(call).required_stakeholders
    ]
    members = members_by_draft(session, [stored_id(draft) for draft, _ in drafts])
    weighed: dict[int, dict[str, float]] = {}
    gaps = []
    for draft, call in drafts:
        organisations = members.get(stored_id(draft), [])
        missing = missing_types(call, organisations)
        if missing:
            if stored_id(call) not in weighed:
                weighed[stored_id(call)] = weigh(call_text(call), calls)
            gaps.append(
                DraftGap(
                    stored_id(draft),
                    draft.owner_organisation_id,
                    draft.name,
                    stored_id(call),
                    call.identifier,
                    call.title,
                    frozenset(missing),
                    frozenset(stored_id(organisation) for organisation in organisations),
                    call.verified_types_required,
                    as_utc(draft.created_at),
                    weighed[stored_id(call)],
                )
            )
    return gaps


def _gap_message(
    organisation: Organisation, gaps: list[DraftGap], *, full: list[DraftGap], base_url: str
) -> OutboxMessage:
    """The message telling a draft owner that the organisation could fill the gap of `gaps`,
    its drafts (one or more) that lack the organisation's type; `full`, those of them told of
    their last profile of the pass, are said to have more candidates on their pages."""
    noun = stakeholder_noun(organisation.stakeholder_type)
    who = f"{organisation.name} ({country_name(organisation.country)}) is {with_article(noun)}"
    profile = f"Their profile: {web_page(base_url, f'/organisations/{organisation.id}')}"
    first = gaps[0]
    if len(gaps) == 1:
        subject = f"{with_article(noun, capital=True)} for your draft {quoted(first.name)}"
        body = (
            f"{who}, a kind of partner your draft {quoted(first.name)} for the call "
            f"{first.call_identifier}, {first.call_title}, still lacks.\n{profile}\n"
            f"Your draft: {web_page(base_url, f'/consortia/{first.draft_id}')}"
        )
    else:
        names = and_list([quoted(gap.name) for gap in gaps])
        subject = f"{with_article(noun, capital=True)} for your drafts {names}"
        drafts = "\n".join(
            f"Your draft {quoted(gap.name)}, for the call {gap.call_identifier}, "
            f"{gap.call_title}: {web_page(base_url, f'/consortia/{gap.draft_id}')}"
            for gap in gaps
        )
        body = f"{who}, a kind of partner your drafts {names} still lack.\n{profile}\n{drafts}"
    if full:
        one = len(full) == 1
        gap_of = "gap" if one else "gaps"
        pages = "the draft's page lists its" if one else "their pages list their"
        body += (
            f"\nMore new profiles may fill the {gap_of} of "
            f"{and_list([quoted(gap.name) for gap in full])}: of those registered at once you "
            f"hear of {GAP_PROFILES_PER_PASS} at most; {pages} best candidates."
        )
    return outbox_message(
        organisation_id=first.owner_id,
        event=Event.profile_fills_gap,
        subject=subject,
        body=body,
        about=organisation.id,
        ids=AboutIds(consortium_id=first.draft_id, call_id=first.call_id),
    )


def _gap_plans(
    organisation: Organisation,
    gaps: list[DraftGap],
    *,
    calls: CallTerms | None,
    told: Counter[int],
    base_url: str,
    recorded_at: datetime,
) -> list[Planned]:
    """Tell the owner of the drafts that lack the organisation's type, in one message naming
    them all, those made before the profile's change was recorded (a draft made since offered
    it among its candidates already) whose call the profile is relevant to: `relevance` of
    its text to the call's, weighed by `calls`, as a saved search of calls that fit a profile
    scores it, at least `GAP_THRESHOLD` (a composites SME does not fill the SME gap of a draft
    on liver digital twins), and not told of `GAP_PROFILES_PER_PASS` profiles in this pass yet
    (`told`; `_write_planned` checks again). Each draft keeps its own key, so a draft told of
    the organisation before is not named again."""
    kind = organisation.stakeholder_type
    text: str | None = None
    scores: dict[int, float] = {}  # by call: the drafts of one call score alike

    def relevant(gap: DraftGap) -> bool:
        nonlocal text
        if gap.call_id not in scores:
            text = organisation_text(organisation) if text is None else text
            scores[gap.call_id] = relevance(text, gap.call_terms, calls)
        score = scores[gap.call_id]
        return score > 0 and score >= GAP_THRESHOLD

    by_owner: dict[int, list[DraftGap]] = {}
    for gap in gaps:
        if (
            kind in gap.missing
            and organisation.id not in gap.members
            and gap.owner_id != organisation.id
            and gap.created_at <= recorded_at
            and told[gap.draft_id] < GAP_PROFILES_PER_PASS
            and counts_as(
                kind,
                organisation.type_verified,
                verified_types_required=gap.verified_types_required,
            )
            and relevant(gap)
        ):
            by_owner.setdefault(gap.owner_id, []).append(gap)

    def compose(lacking: list[DraftGap]) -> Callable[[list[int], set[int]], OutboxMessage]:
        return lambda kept, full: _gap_message(
            organisation,
            [lacking[position] for position in kept],
            full=[lacking[position] for position in kept if position in full],
            base_url=base_url,
        )

    return [
        Planned(
            tuple(
                Reason(f"gap:{gap.draft_id}:{organisation.id}", draft_id=gap.draft_id)
                for gap in lacking
            ),
            compose(lacking),
        )
        for lacking in by_owner.values()
    ]


def _organisation_job(
    session: Session,
    found: PassContext,
    organisation_id: int,
    *,
    base_url: str,
    today: date,
    recorded_at: datetime,
) -> list[Planned]:
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        return []
    hits = found.index(session, SearchTarget.organisations).match_item(
        organisation_item(organisation)
    )
    planned = _search_plans(
        session,
        hits=hits,
        item_key=f"organisation:{organisation_id}",
        event=Event.organisation_matches_search,
        subject=lambda searches: (
            "An organisation for your "
            f"{'search' if searches == 1 else 'searches'}: {organisation.name}"
        ),
        body=f"{organisation.name} ({country_name(organisation.country)}, "
        f"{stakeholder_label(organisation.stakeholder_type)}) has a new or updated profile.\n"
        f"{web_page(base_url, f'/organisations/{organisation_id}')}",
        about=organisation_id,
        base_url=base_url,
        recorded_at=recorded_at,
    )
    gaps = found.gaps(session, today=today)
    return planned + _gap_plans(
        organisation,
        gaps,
        calls=found.call_terms,
        told=found.gap_told,
        base_url=base_url,
        recorded_at=recorded_at,
    )


_EXPANDERS = {
    JobKind.call: _call_job,
    JobKind.organisation: _organisation_job,
    JobKind.partner_request: _partner_request_job,
}


def _still_there(session: Session, kind: JobKind, item_id: int, *, today: date) -> bool:
    """Whether the item a job planned messages for is still there (and open), in the write
    transaction: its messages are not written for an item deleted or closed since."""
    if kind == JobKind.call:
        return _open_call(session, item_id, today=today) is not None
    if kind == JobKind.partner_request:
        return _open_request(session, item_id, today=today) is not None
    return session.get(Organisation, item_id) is not None


def _write_planned(
    session: Session, planned: list[Planned], *, told: Counter[int], now: datetime
) -> int:
    """Write each planned message naming the reasons still news (a search that still exists,
    a draft told of fewer than `GAP_PROFILES_PER_PASS` profiles in this pass, by `told`, which
    counts those written, a key free), none where no reason is left; how many were written. A
    draft left out keeps its key free: a later change of the profile may still tell it."""
    searches = {
        reason.search_id
        for plan in planned
        for reason in plan.reasons
        if reason.search_id is not None
    }
    kept = (
        set(session.scalars(select(col(SavedSearch.id)).where(col(SavedSearch.id).in_(searches))))
        if searches
        else set()
    )
    live = [
        [
            position
            for position, reason in enumerate(plan.reasons)
            if (reason.search_id is None or reason.search_id in kept)
            and (reason.draft_id is None or told[reason.draft_id] < GAP_PROFILES_PER_PASS)
        ]
        for plan in planned
    ]
    taken = claim_many(
        session,
        [
            plan.reasons[position].key
            for plan, positions in zip(planned, live, strict=True)
            for position in positions
        ],
        now=now,
    )
    messages = []
    for plan, positions in zip(planned, live, strict=True):
        news = [position for position in positions if plan.reasons[position].key in taken]
        full = set()
        for position in news:
            if (draft := plan.reasons[position].draft_id) is not None:
                told[draft] += 1
                if told[draft] == GAP_PROFILES_PER_PASS:
                    full.add(position)
        if news:
            messages.append(plan.compose(news, full))
    return len(add_messages(session, messages))


def expand_jobs(
    engine: Engine,
    *,
    base_url: str,
    clock: Callable[[], datetime] = utc_now,
    limit: int | None = None,
    writer: BackgroundWriter | None = None,
    context: PassContext | None = None,
) -> Expanded:
    """Expand the pending jobs, oldest first: each job's messages are found and built without
    the write lock, then written in one short write transaction of `writer` (which lets
    waiting writers in between two jobs). `context` carries the indexes a pass read in an
    earlier batch."""
    done = Expanded()
    writer = writer or BackgroundWriter(engine)
    found = context or PassContext()
    with session_scope(engine, read_only=True) as session:
        statement = (
            select(
                col(NotificationJob.id),
                col(NotificationJob.kind),
                col(NotificationJob.item_id),
                col(NotificationJob.created_at),
            )
            .where(col(NotificationJob.done_at).is_(None))
            .order_by(col(NotificationJob.id))
            .limit(limit)
        )
        pending = session.execute(statement).all()
    idle: list[int] = []  # jobs with nothing to write, marked done together
    for job_id, kind_name, item_id, recorded_at in pending:
        kind = JobKind(kind_name)
        now = clock()
        # In a read: an index built here (a fit) must not hold SQLite's write lock.
        with session_scope(engine, read_only=True) as session:
            planned = _EXPANDERS[kind](
                session,
                found,
                item_id,
                base_url=base_url,
                today=now.date(),
                recorded_at=as_utc(recorded_at),
            )
        if not planned:
            idle.append(job_id)
            if len(idle) == IDLE_CHUNK:
                done.jobs += _mark_done(writer, idle, now=now)
                idle = []
            continue
        with writer.transaction() as session:
            claimed = select(NotificationJob).where(
                col(NotificationJob.id) == job_id, col(NotificationJob.done_at).is_(None)
            )
            job = first_claimed(session, claimed)
            if job is None:  # another pass took it
                continue
            if _still_there(session, kind, item_id, today=now.date()):
                done.messages += _write_planned(session, planned, told=found.gap_told, now=now)
            job.done_at = now
            session.add(job)
            done.jobs += 1
    if idle:
        done.jobs += _mark_done(writer, idle, now=clock())
    return done


def _mark_done(writer: BackgroundWriter, job_ids: list[int], *, now: datetime) -> int:
    """Mark done the jobs not done yet (by another pass); how many."""
    with writer.transaction() as session:
        marked = session.scalars(
            update(NotificationJob)
            .where(col(NotificationJob.id).in_(job_ids), col(NotificationJob.done_at).is_(None))
            .values(done_at=now)
            .returning(col(NotificationJob.id))
        ).all()
    return len(marked)


def _deadline_key(draft: Consortium, call: Call) -> str:
    return f"deadline:{draft.id}:{call.deadline}"


def _reminded_key(draft: Consortium, call: Call) -> str:
    """Taken with a draft's first deadline reminder for its call: a reminder that finds it
    taken is of a deadline moved since (written from this key's introduction on)."""
    return f"deadline:{draft.id}:call:{call.id}"


def _deadline_message(
    call: Call, drafts: list[Consortium], *, moved: bool, today: date, base_url: str
) -> OutboxMessage:
    """The reminder to the owner of `drafts`, all for `call`, that its deadline is near;
    `moved`: the owner was reminded of another deadline of the call before."""
    deadline = call.deadline
    assert deadline is not None  # the query keeps calls with a deadline
    days = (deadline - today).days
    when = "today" if days == 0 else f"in {plural(days, 'day')}"
    first = drafts[0]
    names = and_list([quoted(draft.name) for draft in drafts])
    yours = f"your draft {names} is" if len(drafts) == 1 else f"your drafts {names} are"
    closes = f"closes {when}, on {say_date(deadline)}"
    if moved:
        opening = (
            f"The deadline of the call {call.identifier}, {call.title}, that {yours} written "
            f"for has changed: it now {closes}."
        )
    else:
        opening = f"The call {call.identifier}, {call.title}, that {yours} written for {closes}."
    if len(drafts) == 1:
        links = web_page(base_url, f"/consortia/{first.id}")
    else:
        links = "\n".join(
            f"Your draft {quoted(draft.name)}: {web_page(base_url, f'/consortia/{draft.id}')}"
            for draft in drafts
        )
    subject = f"{call.identifier} closes {when} ({say_date(deadline)})"
    return outbox_message(
        organisation_id=first.owner_organisation_id,
        event=Event.deadline_soon,
        subject=f"Deadline changed: {subject}" if moved else subject,
        body=f"{opening}\n{links}",
        ids=AboutIds(consortium_id=stored_id(first), call_id=stored_id(call)),
    )


def remind_deadlines(
    engine: Engine, *, base_url: str, clock: Callable[[], datetime] = utc_now
) -> int:
    """Remind each draft's owner once per deadline, when its call's deadline is at most
    `REMINDER_DAYS` days away (a pass that missed a day still reminds): one message per owner
    and call, naming its drafts not reminded of that deadline yet (each keeps its key), and
    saying the deadline changed when one of them was reminded of another before."""
    now = clock()
    today = now.date()
    due = (
        select(Consortium, Call)
        .join(Call, col(Call.id) == col(Consortium.call_id))
        .where(
            col(Call.deadline) >= today,
            col(Call.deadline) <= today + timedelta(days=REMINDER_DAYS),
        )
        .order_by(col(Consortium.id))
    )
    # Read first: most passes have nothing new to remind, and need not take the write lock.
    with session_scope(engine, read_only=True) as session:
        keys = [_deadline_key(draft, call) for draft, call in session.execute(due).all()]
        taken = set(
            session.scalars(
                select(col(NotificationKey.key)).where(col(NotificationKey.key).in_(keys))
            )
        )
    if not set(keys) - taken:
        return 0
    with session_scope(for_writing(engine)) as session:
        groups: dict[tuple[int, int], tuple[Call, list[Consortium]]] = {}
        for draft, call in session.execute(due).all():
            group = groups.setdefault((draft.owner_organisation_id, stored_id(call)), (call, []))
            group[1].append(draft)
        new = claim_many(
            session,
            [
                key
                for call, drafts in groups.values()
                for draft in drafts
                for key in (_deadline_key(draft, call), _reminded_key(draft, call))
            ],
            now=now,
        )
        messages = []
        for call, drafts in groups.values():
            news = [draft for draft in drafts if _deadline_key(draft, call) in new]
            if news:
                moved = any(_reminded_key(draft, call) not in new for draft in news)
                messages.append(
                    _deadline_message(call, news, moved=moved, today=today, base_url=base_url)
                )
        return len(add_messages(session, messages))


def run_events(
    engine: Engine,
    *,
    base_url: str,
    clock: Callable[[], datetime] = utc_now,
    limit: int | None = None,
    context: PassContext | None = None,
) -> Expanded:
    """One pass: expand the pending jobs (at most `limit`, with what `context` read before),
    then write the deadline reminders that are due."""
    done = expand_jobs(engine, base_url=base_url, clock=clock, limit=limit, context=context)
    done.reminders = remind_deadlines(engine, base_url=base_url, clock=clock)
    return done
