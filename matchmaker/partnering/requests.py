"""Partner requests: an organisation looking for partners for a call publishes what it seeks.

A request is open until the earlier of its own closing day and the call's deadline, unless its
publisher withdrew it. It shows who is looking, never their contact address or draft.
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, func, or_, select
from sqlmodel import Session, col

from matchmaker import auth
from matchmaker.auth import Principal
from matchmaker.calls import get_call
from matchmaker.consortium.drafts import body_draft, get_consortium
from matchmaker.consortium.gaps import needs_of_draft
from matchmaker.countries import country_name, name_order
from matchmaker.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from matchmaker.matching.explanations import call_summary
from matchmaker.partnering import events
from matchmaker.repository import ExpectedVersion, check_unversioned, stored_id
from matchmaker.wording import or_list, say_date, stakeholder_noun, with_article
from models.call import Call
from models.common import StakeholderType, utc_now
from models.organisation import Organisation, OrganisationSummary
from models.partnering import (
    DraftPartnerRequestCreate,
    PartnerRequest,
    PartnerRequestCreate,
    PartnerRequestPublic,
    PartnerRequestStatus,
)
from models.saved_search import JobKind


def require_organisation_key(actor: Principal | None) -> tuple[Principal, int]:
    """Refuse every caller but an organisation's key (admins included: they have no
    organisation to act for); return the key and its organisation."""
    return auth.require_organisation_key(
        actor, refusal="This acts for an organisation: use that organisation's key."
    )


def closing_day(request: PartnerRequest, call: Call) -> date | None:
    """The last day a request is open: the earlier of its own and the call's deadline."""
    days = [day for day in (request.closes_on, call.deadline) if day is not None]
    return min(days) if days else None


def status_of(request: PartnerRequest, call: Call, *, today: date) -> PartnerRequestStatus:
    """Whether a request is open, closed or withdrawn today."""
    if request.withdrawn_at is not None:
        return PartnerRequestStatus.withdrawn
    last = closing_day(request, call)
    if last is not None and last < today:
        return PartnerRequestStatus.closed
    return PartnerRequestStatus.open


def open_requests(today: date) -> Select[PartnerRequest, Call, Organisation]:
    """The statement selecting the requests open today with their calls and publishers."""
    return (
        select(PartnerRequest, Call, Organisation)
        .join(Call, col(Call.id) == col(PartnerRequest.call_id))
        .join(Organisation, col(Organisation.id) == col(PartnerRequest.organisation_id))
        .where(
            *PartnerRequest.still_open(today),
            or_(col(Call.deadline).is_(None), col(Call.deadline) >= today),
        )
    )


def to_public(
    request: PartnerRequest, call: Call, organisation: Organisation, *, today: date
) -> PartnerRequestPublic:
    """A request as anyone may read it."""
    return PartnerRequestPublic(
        id=stored_id(request),
        call=call_summary(call, today=today),
        organisation=OrganisationSummary.model_validate(organisation),
        stakeholder_types=request.stakeholder_types,
        countries=request.countries,
        expertise=request.expertise,
        pitch=request.pitch,
        closes_on=closing_day(request, call),
        status=status_of(request, call, today=today),
        created_at=request.created_at,
    )


def _refuse_second_for_draft(session: Session, *, consortium_id: int, today: date) -> None:
    """Refuse a request for a draft that already has one open: it would be listed twice on
    the call's page and count twice against the publisher's limit."""
    earlier = session.execute(
        open_requests(today)
        .where(col(PartnerRequest.consortium_id) == consortium_id)
        .order_by(col(PartnerRequest.id))
        .limit(1)
    ).first()
    if earlier is not None:
        published = say_date(earlier[0].created_at.date())
        raise Conflict(
            f"This draft already has an open partner request, published on {published}; "
            "withdraw it first to publish another."
        )


def create_partner_request(
    session: Session,
    *,
    call_id: int,
    data: PartnerRequestCreate,
    actor: Principal | None,
    max_open: int,
    today: date,
) -> tuple[PartnerRequest, Call, Organisation]:
    """Publish a request for an open call, as the calling organisation (at most `max_open`
    open at once)."""
    _, organisation_id = require_organisation_key(actor)
    call = get_call(session, call_id=call_id)
    if call.deadline is not None and call.deadline < today:
        raise Conflict(f"The call's deadline, {say_date(call.deadline)}, has passed.")
    if data.closes_on is not None and data.closes_on < today:
        raise InvalidInput("closes_on must not be in the past.", field="closes_on")
    if data.closes_on is not None and call.deadline is not None and data.closes_on > call.deadline:
        raise InvalidInput(
            f"closes_on must not be after the call's deadline, {say_date(call.deadline)}.",
            field="closes_on",
        )
    if data.consortium_id is not None:
        draft = body_draft(session, consortium_id=data.consortium_id, actor=actor)
        if draft.call_id != call_id:
            raise InvalidInput("The draft is for another call.", field="consortium_id")
    organisation = session.get(Organisation, organisation_id, with_for_update=True)
    if organisation is None:
        raise NotFound(f"No organisation with id {organisation_id}.")
    count = session.scalar(
        select(func.count()).select_from(
            open_requests(today)
            .where(col(PartnerRequest.organisation_id) == organisation_id)
            .subquery()
        )
    )
    if (count or 0) >= max_open:
        raise Conflict(
            f"Your organisation already has {count} open partner requests, the most allowed; "
            "withdraw one first."
        )
    if data.consortium_id is not None:
        _refuse_second_for_draft(session, consortium_id=data.consortium_id, today=today)
    request = PartnerRequest(
        call_id=call_id,
        organisation_id=organisation_id,
        consortium_id=data.consortium_id,
        stakeholder_types=sorted(set(map(str, data.stakeholder_types))),
        countries=sorted(set(data.countries)),
        expertise=data.expertise,
        pitch=data.pitch,
        closes_on=data.closes_on,
    )
    session.add(request)
    session.flush()
    events.record(session, kind=JobKind.partner_request, item_id=request.id)
    return request, call, organisation


def publish_draft_gaps(
    session: Session,
    *,
    consortium_id: int,
    data: DraftPartnerRequestCreate,
    actor: Principal | None,
    max_open: int,
    today: date,
) -> tuple[PartnerRequest, Call, Organisation]:
    """Publish a request for the draft's call seeking the stakeholder types the draft lacks,
    tied to the draft (its owner only; the limits of `create_partner_request` apply)."""
    require_organisation_key(actor)
    draft = get_consortium(session, consortium_id=consortium_id, actor=actor)
    missing = needs_of_draft(
        session, consortium_id=consortium_id, call_id=draft.call_id, actor=actor
    ).types
    if not missing:
        raise Conflict(
            "Your draft already has every stakeholder type its call requires, so there is no "
            f"gap to publish; to seek other partners, use POST /calls/{draft.call_id}"
            "/partner-requests."
        )
    request = PartnerRequestCreate(
        consortium_id=consortium_id,
        stakeholder_types=[StakeholderType(kind) for kind in missing],
        countries=data.countries,
        expertise=data.expertise,
        pitch=data.pitch,
        closes_on=data.closes_on,
    )
    return create_partner_request(
        session,
        call_id=draft.call_id,
        data=request,
        actor=actor,
        max_open=max_open,
        today=today,
    )


def get_partner_request(
    session: Session, *, request_id: int, for_update: bool = False
) -> tuple[PartnerRequest, Call, Organisation]:
    """One request (withdrawn and closed ones too) with its call and publisher, or NotFound."""
    statement = (
        select(PartnerRequest, Call, Organisation)
        .join(Call, col(Call.id) == col(PartnerRequest.call_id))
        .join(Organisation, col(Organisation.id) == col(PartnerRequest.organisation_id))
        .where(col(PartnerRequest.id) == request_id)
    )
    if for_update:
        statement = statement.with_for_update(of=PartnerRequest)
    row = session.execute(statement).one_or_none()
    if row is None:
        raise NotFound(f"No partner request with id {request_id}.")
    request, call, organisation = row
    return request, call, organisation


def drafts_published_from(session: Session, request_ids: Collection[int]) -> dict[int, int]:
    """Of these partner requests, those a draft published, with the draft's id (one query)."""
    if not request_ids:
        return {}
    rows = session.execute(
        select(col(PartnerRequest.id), col(PartnerRequest.consortium_id)).where(
            col(PartnerRequest.id).in_(sorted(request_ids)),
            col(PartnerRequest.consortium_id).is_not(None),
        )
    )
    return {int(request_id): int(draft_id) for request_id, draft_id in rows}


def list_call_requests(
    session: Session, *, call_id: int, today: date, limit: int, offset: int
) -> tuple[list[tuple[PartnerRequest, Call, Organisation]], int]:
    """One page of a call's open requests, newest first."""
    get_call(session, call_id=call_id)
    statement = (
        open_requests(today)
        .where(col(PartnerRequest.call_id) == call_id)
        .order_by(col(PartnerRequest.id).desc())
    )
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    rows = session.execute(statement.limit(limit).offset(offset)).all()
    return [(request, call, organisation) for request, call, organisation in rows], int(total or 0)


def list_draft_requests(
    session: Session, *, consortium_id: int, actor: Principal | None, today: date, limit: int
) -> list[PartnerRequestPublic]:
    """The partner requests published for a draft, newest first, for whoever may read the
    draft: open, closed and withdrawn alike (the draft link is never shown to others)."""
    get_consortium(session, consortium_id=consortium_id, actor=actor)
    rows = session.execute(
        select(PartnerRequest, Call, Organisation)
        .join(Call, col(Call.id) == col(PartnerRequest.call_id))
        .join(Organisation, col(Organisation.id) == col(PartnerRequest.organisation_id))
        .where(col(PartnerRequest.consortium_id) == consortium_id)
        .order_by(col(PartnerRequest.id).desc())
        .limit(limit)
    ).all()
    return [to_public(request, call, publisher, today=today) for request, call, publisher in rows]


def withdraw_partner_request(
    session: Session,
    *,
    request_id: int,
    actor: Principal | None,
    expected_version: ExpectedVersion = None,
) -> None:
    """Withdraw a request (its publisher only); it is no longer listed or answerable."""
    _, organisation_id = require_organisation_key(actor)
    request, _, _ = get_partner_request(session, request_id=request_id, for_update=True)
    if request.organisation_id != organisation_id:
        raise PermissionDenied("Only the organisation that published a request withdraws it.")
    check_unversioned(expected_version)
    if request.withdrawn_at is None:
        request.withdrawn_at = request.updated_at = utc_now()
        session.add(request)
        session.flush()


@dataclass(frozen=True, slots=True)
class RequestFit:
    """Whether an organisation fits a partner request (is of a type and in a country it
    seeks) and, when not, why in words: to the organisation (`why_not`: "It seeks partners from
    Germany; yours is in Belgium.") and to the request's publisher, of its answer
    (`to_publisher`: "It is not of a type or from a country your request seeks: ...")."""

    fits: bool
    why_not: str = ""
    to_publisher: str = ""


def request_fit(request: PartnerRequest, organisation: Organisation) -> RequestFit:
    """Whether an organisation fits a request, and if not, why: the one answer to the question
    for a profile's fitting requests, a call's page, the answer form, the notifications of
    saved searches and what the publisher is told of an answer. A request seeking no type (or
    no country) takes any."""
    reasons = []
    is_, seeks = [], []
    if request.stakeholder_types and organisation.stakeholder_type not in request.stakeholder_types:
        sought = or_list([stakeholder_noun(kind, 2) for kind in sorted(request.stakeholder_types)])
        mine = with_article(stakeholder_noun(organisation.stakeholder_type))
        reasons.append(f"It seeks {sought}; yours is {mine}.")
        is_.append(mine)
        seeks.append(sought)
    if request.countries and organisation.country not in request.countries:
        sought = or_list(sorted({country_name(code) for code in request.countries}, key=name_order))
        reasons.append(
            f"It seeks partners from {sought}; yours is in {country_name(organisation.country)}."
        )
        is_.append(f"in {country_name(organisation.country)}")
        seeks.append(f"{'' if seeks else 'partners '}from {sought}")
    if not reasons:
        return RequestFit(fits=True)
    return RequestFit(
        fits=False,
        why_not=" ".join(reasons),
        to_publisher="It is not of a type or from a country your request seeks: "
        f"{organisation.name} is {' '.join(is_)}; your request seeks {' '.join(seeks)}.",
    )


def fits_among(
    session: Session, request_ids: Collection[int], organisation: Organisation
) -> dict[int, RequestFit]:
    """Of these partner requests (unknown ids left out), whether the organisation fits each,
    in one query: a call's page asks it of every request it lists. Its own requests fit."""
    if not request_ids:
        return {}
    found = session.scalars(
        select(PartnerRequest).where(col(PartnerRequest.id).in_(sorted(request_ids)))
    )
    return {
        int(request.id): fit_for_viewer(request, organisation)
        for request in found
        if request.id is not None
    }


def fit_for_viewer(request: PartnerRequest, organisation: Organisation) -> RequestFit:
    """`request_fit` as a page tells the signed-in organisation: its own requests fit it."""
    if request.organisation_id == organisation.id:
        return RequestFit(fits=True)
    return request_fit(request, organisation)
