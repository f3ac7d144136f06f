"""Expressions of interest and contact requests: a message, then acceptance or not.

The privacy rule: neither party's contact address is shown to the other until the recipient
accepts; then both see each other's. Declined, withdrawn and expired requests reveal nothing.
Only the two parties (and no admin acting for nobody) read a request.

Abuse limits: a sender has at most `max_open` pending requests at once, one pending request per
recipient and subject, nothing to an organisation that blocked it, and every write counts
against the write rate limit (api.deps). Messages are plain text, rendered escaped.
"""

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, func, or_, select
from sqlmodel import Session, col

from matchmaker.auth import Principal
from matchmaker.calls import get_call
from matchmaker.consortium.drafts import body_draft
from matchmaker.countries import country_name
from matchmaker.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from matchmaker.matching.explanations import call_summary
from matchmaker.partnering.outbox import REPLIES_UNREAD, Event, enqueue, quoted_text, web_page
from matchmaker.partnering.requests import (
    get_partner_request,
    request_fit,
    require_organisation_key,
    status_of,
)
from matchmaker.repository import ExpectedVersion, check_unversioned, stored_id
from matchmaker.wording import say_date, say_moment
from models.apikey import ApiKey
from models.call import Call
from models.common import as_utc
from models.organisation import Organisation, OrganisationSummary
from models.partnering import (
    AboutIds,
    BlockPublic,
    ContactKind,
    ContactRequest,
    ContactRequestCreate,
    ContactRequestPublic,
    ContactStatus,
    Inbox,
    InterestCreate,
    OrganisationBlock,
    OutboxMessage,
    OutboxStatus,
    PartnerRequest,
    PartnerRequestStatus,
)

# What a notification calls each kind of request, in the words the web pages use.
RECEIVED = {
    ContactKind.interest: "an answer to your partner request",
    ContactKind.contact: "a message",
}
SENT = {
    ContactKind.interest: "your answer to their partner request",
    ContactKind.contact: "your message",
}


def inbox_link(base_url: str) -> str:
    """Where a notification sends its reader: the inbox page, signed in with the key."""
    return (
        f"Your inbox, once signed in with your organisation's key: {web_page(base_url, '/inbox')}"
    )


def about_call(call: Call | None) -> str:
    """What a notification says a request is about: " about the call ID (title)", or nothing."""
    return f" about the call {call.identifier} ({call.title})" if call is not None else ""


def effective_status(request: ContactRequest, *, now: datetime) -> ContactStatus:
    """A request's status now: a pending one past its expiry reads as expired."""
    if request.status == ContactStatus.pending and as_utc(request.expires_at) <= now:
        return ContactStatus.expired
    return ContactStatus(request.status)


def _live(now: datetime) -> ColumnElement[bool]:
    """The condition of a request still waiting for an answer."""
    return and_(
        col(ContactRequest.status) == ContactStatus.pending.value,
        col(ContactRequest.expires_at) > now,
    )


def _organisation(session: Session, organisation_id: int, *, lock: bool = False) -> Organisation:
    organisation = session.get(Organisation, organisation_id, with_for_update=lock or None)
    if organisation is None:
        raise NotFound(f"No organisation with id {organisation_id}.")
    return organisation


def _check_sender(
    session: Session,
    *,
    sender_id: int,
    recipient_id: int,
    max_open: int,
    now: datetime,
    partner_request_id: int | None = None,
) -> tuple[Organisation, Organisation]:
    """Refuse a request to oneself, to an organisation that blocks the sender, past the
    sender's limit of pending requests, or repeating one still pending; return both parties."""
    if sender_id == recipient_id and partner_request_id is not None:
        raise InvalidInput(
            "An organisation cannot answer its own partner request.", field="path.request_id"
        )
    if sender_id == recipient_id:
        raise InvalidInput("An organisation cannot write to itself.", field="path.organisation_id")
    # Locking the sender's row serialises its requests, so that two at once cannot both pass
    # the limit (SQLite's write lock does the same).
    sender = _organisation(session, sender_id, lock=True)
    recipient = _organisation(session, recipient_id)
    blocked = session.get(OrganisationBlock, (recipient_id, sender_id))
    if blocked is not None:
        raise PermissionDenied("This organisation does not accept requests from yours.")
    pending = session.scalars(
        select(ContactRequest).where(
            col(ContactRequest.sender_organisation_id) == sender_id,
            _live(now),
        )
    ).all()
    if len(pending) >= max_open:
        raise Conflict(
            f"Your organisation has {len(pending)} requests waiting for an answer, the most "
            "allowed; wait for answers or withdraw one."
        )
    earlier = waiting_request(
        session,
        sender_id=sender_id,
        recipient_id=recipient_id,
        partner_request_id=partner_request_id,
        now=now,
    )
    if earlier is not None:
        raise Conflict(still_waiting(earlier))
    return sender, recipient


def still_waiting(request: ContactRequest) -> str:
    """Why a second request to the same organisation (about the same thing) is refused."""
    return (
        f"Your earlier request, sent on {say_date(request.created_at.date())}, is still waiting "
        "for an answer."
    )


def waiting_request(
    session: Session,
    *,
    sender_id: int,
    recipient_id: int,
    partner_request_id: int | None = None,
    any_subject: bool = False,
    now: datetime,
) -> ContactRequest | None:
    """The sender's oldest request to this organisation (answering this partner request, or
    none; about anything with `any_subject`) that still waits for an answer, which a new one
    would repeat; None when there is none."""
    partner_request = (
        col(ContactRequest.partner_request_id).is_(None)
        if partner_request_id is None
        else col(ContactRequest.partner_request_id) == partner_request_id
    )
    return session.scalars(
        select(ContactRequest)
        .where(
            col(ContactRequest.sender_organisation_id) == sender_id,
            col(ContactRequest.recipient_organisation_id) == recipient_id,
            *([] if any_subject else [partner_request]),
            _live(now),
        )
        .order_by(col(ContactRequest.id))
        .limit(1)
    ).first()


def nobody_reads(session: Session, organisation: Organisation) -> bool:
    """Whether nothing sent to this organisation reaches anyone yet: no key of it works, so no
    one signs in to read its inbox, and its profile gives no address to e-mail (a profile
    imported from CORDIS that no one from the organisation has claimed, say)."""
    if organisation.contact_email:
        return False
    return stored_id(organisation) in nobody_reads_among(session, [stored_id(organisation)])


def nobody_reads_among(session: Session, organisation_ids: Collection[int]) -> set[int]:
    """Which of these organisations nothing sent to reaches yet (`nobody_reads`), asked in one
    query for them all (a list of suggested partners, or a draft's candidates, asks of every
    one it shows); by id, so that it serves any row that names an organisation (a summary has
    no contact address)."""
    if not organisation_ids:
        return set()
    working_key = (
        select(col(ApiKey.id))
        .where(
            col(ApiKey.organisation_id) == col(Organisation.id),
            col(ApiKey.revoked_at).is_(None),
        )
        .exists()
    )
    return set(
        session.scalars(
            select(col(Organisation.id)).where(
                col(Organisation.id).in_(set(organisation_ids)),
                or_(
                    col(Organisation.contact_email).is_(None), col(Organisation.contact_email) == ""
                ),
                ~working_key,
            )
        )
    )


def request_ids(request: ContactRequest) -> AboutIds:
    """What a notification of a contact request reports: the request, and the call, partner
    request and draft it names, if any."""
    ids = AboutIds(contact_request_id=stored_id(request))
    if request.call_id is not None:
        ids["call_id"] = request.call_id
    if request.partner_request_id is not None:
        ids["partner_request_id"] = request.partner_request_id
    if request.consortium_id is not None:
        ids["consortium_id"] = request.consortium_id
    return ids


def _notify_received(
    session: Session,
    request: ContactRequest,
    sender: Organisation,
    call: Call | None,
    *,
    base_url: str,
    note: str,
) -> None:
    what = RECEIVED[ContactKind(request.kind)]
    noted = f"{note}\n\n" if note else ""
    enqueue(
        session,
        organisation_id=request.recipient_organisation_id,
        about=request.sender_organisation_id,
        ids=request_ids(request),
        event=Event.request_received,
        subject=f"{what.capitalize()} from {sender.name}",
        body=(
            f"{sender.name} ({country_name(sender.country)}) sent you {what}{about_call(call)}:\n\n"
            f"{quoted_text(request.message)}\n\n{noted}"
            f"Accept it or decline it in your inbox by {say_moment(request.expires_at)}, "
            f"when it expires unanswered: {REPLIES_UNREAD}. Their contact address is shown to "
            "you, and yours to them, only if you accept.\n\n"
            f"{inbox_link(base_url)}\n"
        ),
    )


def _store(
    session: Session,
    *,
    kind: ContactKind,
    sender: Organisation,
    recipient: Organisation,
    message: str,
    call: Call | None,
    consortium_id: int | None,
    partner_request_id: int | None,
    expiry_days: int,
    base_url: str,
    now: datetime,
    note: str = "",
) -> ContactRequest:
    """Store a request and notify its recipient, with `note` after the message (to a partner
    request's publisher, that the answering organisation is not what it seeks)."""
    request = ContactRequest(
        kind=kind.value,
        sender_organisation_id=stored_id(sender),
        recipient_organisation_id=stored_id(recipient),
        partner_request_id=partner_request_id,
        call_id=call.id if call is not None else None,
        consortium_id=consortium_id,
        message=message,
        created_at=now,
        expires_at=now + timedelta(days=expiry_days),
    )
    session.add(request)
    session.flush()
    _notify_received(session, request, sender, call, base_url=base_url, note=note)
    return request


def express_interest(
    session: Session,
    *,
    partner_request_id: int,
    data: InterestCreate,
    actor: Principal | None,
    expiry_days: int,
    max_open: int,
    base_url: str,
    now: datetime,
) -> ContactRequest:
    """Answer an open partner request with a message to its publisher."""
    _, sender_id = require_organisation_key(actor)
    partner_request, call, owner = get_partner_request(session, request_id=partner_request_id)
    if status_of(partner_request, call, today=now.date()) is not PartnerRequestStatus.open:
        raise Conflict("This partner request is no longer open.")
    sender, recipient = _check_sender(
        session,
        sender_id=sender_id,
        recipient_id=stored_id(owner),
        max_open=max_open,
        now=now,
        partner_request_id=partner_request_id,
    )
    return _store(
        session,
        kind=ContactKind.interest,
        sender=sender,
        recipient=recipient,
        message=data.message,
        call=call,
        consortium_id=None,
        partner_request_id=partner_request_id,
        expiry_days=expiry_days,
        base_url=base_url,
        now=now,
        note=request_fit(partner_request, sender).to_publisher,
    )


def contact_organisation(
    session: Session,
    *,
    organisation_id: int,
    data: ContactRequestCreate,
    actor: Principal | None,
    expiry_days: int,
    max_open: int,
    base_url: str,
    now: datetime,
) -> ContactRequest:
    """Write to an organisation about a call or one of your drafts."""
    _, sender_id = require_organisation_key(actor)
    if data.call_id is None and data.consortium_id is None:
        raise InvalidInput("Name the call or your draft the message is about.", field="call_id")
    call_id = data.call_id
    if data.consortium_id is not None:
        draft = body_draft(session, consortium_id=data.consortium_id, actor=actor)
        if call_id is not None and call_id != draft.call_id:
            raise InvalidInput("The draft is for another call.", field="consortium_id")
        call_id = draft.call_id
    assert call_id is not None
    try:
        call = get_call(session, call_id=call_id)
    except NotFound as error:
        raise InvalidInput(error.detail, field="call_id") from None
    sender, recipient = _check_sender(
        session, sender_id=sender_id, recipient_id=organisation_id, max_open=max_open, now=now
    )
    return _store(
        session,
        kind=ContactKind.contact,
        sender=sender,
        recipient=recipient,
        message=data.message,
        call=call,
        consortium_id=data.consortium_id,
        partner_request_id=None,
        expiry_days=expiry_days,
        base_url=base_url,
        now=now,
    )


def present(
    session: Session, requests: Sequence[ContactRequest], *, viewer_id: int, now: datetime
) -> list[ContactRequestPublic]:
    """Requests as one of their parties sees them: the counterpart's contact address only on
    an accepted request, the sender's draft only to the sender."""
    organisation_ids = {
        i
        for request in requests
        for i in (request.sender_organisation_id, request.recipient_organisation_id)
    }
    organisations = {
        stored_id(o): o
        for o in session.scalars(
            select(Organisation).where(col(Organisation.id).in_(organisation_ids))
        )
    }
    call_ids = {request.call_id for request in requests if request.call_id is not None}
    calls = {
        stored_id(c): c for c in session.scalars(select(Call).where(col(Call.id).in_(call_ids)))
    }
    shown = []
    for request in requests:
        sent = request.sender_organisation_id == viewer_id
        counterpart = organisations[
            request.recipient_organisation_id if sent else request.sender_organisation_id
        ]
        status = effective_status(request, now=now)
        call = calls.get(request.call_id) if request.call_id is not None else None
        shown.append(
            ContactRequestPublic(
                id=stored_id(request),
                kind=ContactKind(request.kind),
                direction="sent" if sent else "received",
                status=status,
                counterpart=OrganisationSummary.model_validate(counterpart),
                partner_request_id=request.partner_request_id,
                call=None if call is None else call_summary(call, today=now.date()),
                consortium_id=request.consortium_id if sent else None,
                message=request.message,
                created_at=request.created_at,
                expires_at=request.expires_at,
                answered_at=request.answered_at,
                contact_email=(
                    counterpart.contact_email if status is ContactStatus.accepted else None
                ),
            )
        )
    return shown


def _box(
    session: Session,
    *,
    column: object,
    viewer_id: int,
    statuses: Sequence[ContactStatus],
    limit: int,
    offset: int,
    now: datetime,
) -> tuple[list[ContactRequest], int]:
    statement = select(ContactRequest).where(column == viewer_id)  # type: ignore[arg-type]
    if statuses:
        wanted: list[ColumnElement[bool]] = []
        stored = [
            s.value for s in statuses if s not in (ContactStatus.pending, ContactStatus.expired)
        ]
        if stored:
            wanted.append(col(ContactRequest.status).in_(stored))
        if ContactStatus.pending in statuses:
            wanted.append(_live(now))
        if ContactStatus.expired in statuses:
            wanted.append(
                and_(
                    col(ContactRequest.status) == ContactStatus.pending.value,
                    col(ContactRequest.expires_at) <= now,
                )
            )
        statement = statement.where(or_(*wanted))
    total = session.scalar(select(func.count()).select_from(statement.subquery()))
    rows = session.scalars(
        statement.order_by(col(ContactRequest.id).desc()).limit(limit).offset(offset)
    ).all()
    return list(rows), int(total or 0)


def read_inbox(
    session: Session,
    *,
    actor: Principal | None,
    statuses: Sequence[ContactStatus] = (),
    limit: int,
    offset: int,
    now: datetime,
) -> Inbox:
    """The requests the calling organisation received and sent, newest first."""
    _, viewer_id = require_organisation_key(actor)
    (received, received_total), (sent, sent_total) = (
        _box(
            session,
            column=column,
            viewer_id=viewer_id,
            statuses=statuses,
            limit=limit,
            offset=offset,
            now=now,
        )
        for column in (
            col(ContactRequest.recipient_organisation_id),
            col(ContactRequest.sender_organisation_id),
        )
    )
    return Inbox(
        received=present(session, received, viewer_id=viewer_id, now=now),
        sent=present(session, sent, viewer_id=viewer_id, now=now),
        received_total=received_total,
        sent_total=sent_total,
    )


def count_waiting(session: Session, *, actor: Principal | None, now: datetime) -> int:
    """How many requests the calling organisation received wait for its answer now: those
    `read_inbox` lists as pending, counted without reading them."""
    _, viewer_id = require_organisation_key(actor)
    total = session.scalar(
        select(func.count())
        .select_from(ContactRequest)
        .where(col(ContactRequest.recipient_organisation_id) == viewer_id, _live(now))
    )
    return int(total or 0)


def answers_to_partner_requests(
    session: Session, *, sender_id: int, partner_request_ids: Sequence[int], now: datetime
) -> dict[int, ContactRequestPublic]:
    """The sender's latest answer to each of these partner requests, as the sender sees it
    (keyed by partner request id; those it never answered are left out)."""
    if not partner_request_ids:
        return {}
    rows = session.scalars(
        select(ContactRequest)
        .where(
            col(ContactRequest.sender_organisation_id) == sender_id,
            col(ContactRequest.partner_request_id).in_(partner_request_ids),
        )
        .order_by(col(ContactRequest.id))
    ).all()
    latest = {row.partner_request_id: row for row in rows}
    return {
        shown.partner_request_id: shown
        for shown in present(session, list(latest.values()), viewer_id=sender_id, now=now)
        if shown.partner_request_id is not None
    }


def answers_off_request(
    session: Session, requests: Sequence[ContactRequestPublic]
) -> dict[int, str]:
    """What a publisher is told of each answer it received from an organisation its partner
    request does not seek (`request_fit`, as its e-mail says), keyed by contact request id;
    answers that fit, and every other request, are left out."""
    answers = [
        item
        for item in requests
        if item.direction == "received" and item.partner_request_id is not None
    ]
    if not answers:
        return {}
    partner_requests = {
        stored_id(found): found
        for found in session.scalars(
            select(PartnerRequest).where(
                col(PartnerRequest.id).in_({item.partner_request_id for item in answers})
            )
        )
    }
    senders = {
        stored_id(found): found
        for found in session.scalars(
            select(Organisation).where(
                col(Organisation.id).in_({item.counterpart.id for item in answers})
            )
        )
    }
    notes = {}
    for item in answers:
        sought = partner_requests.get(item.partner_request_id or 0)
        sender = senders.get(item.counterpart.id)
        if sought is not None and sender is not None:
            fit = request_fit(sought, sender)
            if not fit.fits:
                notes[item.id] = fit.to_publisher
    return notes


def answers_received(
    session: Session, *, publisher_id: int, partner_request_ids: Sequence[int], now: datetime
) -> dict[int, dict[ContactStatus, int]]:
    """How many answers each of a publisher's partner requests received, by their status now
    (keyed by partner request id; those none answered are left out)."""
    if not partner_request_ids:
        return {}
    rows = session.scalars(
        select(ContactRequest).where(
            col(ContactRequest.recipient_organisation_id) == publisher_id,
            col(ContactRequest.partner_request_id).in_(partner_request_ids),
        )
    ).all()
    counts: dict[int, dict[ContactStatus, int]] = {}
    for row in rows:
        if row.partner_request_id is not None:
            by_status = counts.setdefault(row.partner_request_id, {})
            status = effective_status(row, now=now)
            by_status[status] = by_status.get(status, 0) + 1
    return counts


def _party_request(
    session: Session, *, request_id: int, actor: Principal | None, for_update: bool = False
) -> tuple[ContactRequest, int]:
    """A request one of whose parties is calling, or NotFound (for anyone else alike)."""
    _, viewer_id = require_organisation_key(actor)
    request = session.get(ContactRequest, request_id, with_for_update=for_update or None)
    if request is None or viewer_id not in (
        request.sender_organisation_id,
        request.recipient_organisation_id,
    ):
        raise NotFound(f"No contact request with id {request_id}.")
    return request, viewer_id


def get_contact_request(
    session: Session, *, request_id: int, actor: Principal | None, now: datetime
) -> ContactRequestPublic:
    """One request, for either of its parties."""
    request, viewer_id = _party_request(session, request_id=request_id, actor=actor)
    return present(session, [request], viewer_id=viewer_id, now=now)[0]


def answer_contact_request(
    session: Session,
    *,
    request_id: int,
    accept: bool,
    actor: Principal | None,
    base_url: str,
    now: datetime,
) -> ContactRequestPublic:
    """Accept or decline a pending request (its recipient only); the sender is told, and, on
    an acceptance, given the recipient's contact address, or told it has none to give."""
    status = ContactStatus.accepted if accept else ContactStatus.declined
    request, viewer_id = _close_pending(
        session, request_id=request_id, actor=actor, now=now, by_recipient=True, status=status
    )
    recipient = _organisation(session, viewer_id)
    what = SENT[ContactKind(request.kind)]
    call = session.get(Call, request.call_id) if request.call_id is not None else None
    if accept:
        sender = _organisation(session, request.sender_organisation_id)
        if recipient.contact_email and sender.contact_email:
            told = (
                f"Write to them at {recipient.contact_email}: {REPLIES_UNREAD}.\n\n"
                "They now see your contact address too."
            )
        elif recipient.contact_email:
            told = (
                f"Write to them at {recipient.contact_email}: {REPLIES_UNREAD}.\n\n"
                "Your profile gives no contact address, so they cannot write to you until you "
                "add one."
            )
        elif sender.contact_email:
            told = (
                "Their profile gives no contact address: they now see yours, and will write "
                f"to you ({REPLIES_UNREAD})."
            )
        else:
            told = (
                "Neither profile gives a contact address: add one to yours, so that they can "
                "write to you."
            )
        enqueue(
            session,
            organisation_id=request.sender_organisation_id,
            about=viewer_id,
            ids=request_ids(request),
            event=Event.request_accepted,
            subject=f"{recipient.name} accepted {what}",
            body=(
                f"{recipient.name} accepted {what}{about_call(call)}. {told}\n\n"
                f"{inbox_link(base_url)}\n"
            ),
        )
    else:
        enqueue(
            session,
            organisation_id=request.sender_organisation_id,
            about=viewer_id,
            ids=request_ids(request),
            event=Event.request_declined,
            subject=f"{recipient.name} declined {what}",
            body=(
                f"{recipient.name} declined {what}{about_call(call)}. Neither of you sees the "
                "other's contact address.\n\n"
                f"{inbox_link(base_url)}\n"
            ),
        )
    return present(session, [request], viewer_id=viewer_id, now=now)[0]


def withdraw_contact_request(
    session: Session, *, request_id: int, actor: Principal | None, now: datetime
) -> ContactRequestPublic:
    """Withdraw a pending request (its sender only); nothing is revealed to either side."""
    request, viewer_id = _close_pending(
        session,
        request_id=request_id,
        actor=actor,
        now=now,
        by_recipient=False,
        status=ContactStatus.withdrawn,
    )
    # Nor is the recipient told of it any more, if it has not been yet.
    _drop_unsent_notices(
        session,
        recipient_id=request.recipient_organisation_id,
        sender_id=viewer_id,
        request_id=stored_id(request),
    )
    return present(session, [request], viewer_id=viewer_id, now=now)[0]


def _drop_unsent_notices(
    session: Session, *, recipient_id: int, sender_id: int, request_id: int | None = None
) -> None:
    """Drop the notices of requests from `sender_id` not yet sent to `recipient_id` (e-mail
    and webhooks), of one request or, without `request_id`, of all of them."""
    unsent = session.scalars(
        select(OutboxMessage).where(
            col(OutboxMessage.organisation_id) == recipient_id,
            col(OutboxMessage.about_organisation_id) == sender_id,
            col(OutboxMessage.event) == Event.request_received.value,
            col(OutboxMessage.status) == OutboxStatus.pending.value,
        )
    ).all()
    dropped = [
        stored_id(message)
        for message in unsent
        if request_id is None or (message.about_ids or {}).get("contact_request_id") == request_id
    ]
    if dropped:
        session.execute(delete(OutboxMessage).where(col(OutboxMessage.id).in_(dropped)))


def _close_pending(
    session: Session,
    *,
    request_id: int,
    actor: Principal | None,
    now: datetime,
    by_recipient: bool,
    status: ContactStatus,
) -> tuple[ContactRequest, int]:
    """Give a pending request its answer: the recipient accepts or declines, the sender
    withdraws; anyone else, or a request no longer pending, is refused."""
    request, viewer_id = _party_request(
        session, request_id=request_id, actor=actor, for_update=True
    )
    party = request.recipient_organisation_id if by_recipient else request.sender_organisation_id
    if party != viewer_id:
        who = "recipient accepts or declines" if by_recipient else "sender withdraws"
        raise PermissionDenied(f"Only the {who} a request.")
    current = effective_status(request, now=now)
    if current is not ContactStatus.pending:
        raise Conflict(f"This request is {current}, no longer waiting for an answer.")
    request.status = status.value
    request.answered_at = now
    session.add(request)
    session.flush()
    return request, viewer_id


def block_organisation(
    session: Session, *, organisation_id: int, actor: Principal | None, now: datetime
) -> BlockPublic:
    """Refuse further requests from an organisation; its pending ones are declined, silently,
    and the notifications of them not yet sent to the blocker are dropped."""
    _, viewer_id = require_organisation_key(actor)
    if organisation_id == viewer_id:
        raise InvalidInput("An organisation cannot block itself.", field="organisation_id")
    try:
        blocked = _organisation(session, organisation_id)
    except NotFound as error:
        raise NotFound(error.detail, field="organisation_id") from None
    block = session.get(OrganisationBlock, (viewer_id, organisation_id))
    if block is None:
        block = OrganisationBlock(
            organisation_id=viewer_id, blocked_organisation_id=organisation_id, created_at=now
        )
        session.add(block)
    for request in session.scalars(
        select(ContactRequest).where(
            col(ContactRequest.sender_organisation_id) == organisation_id,
            col(ContactRequest.recipient_organisation_id) == viewer_id,
            _live(now),
        )
    ):
        request.status = ContactStatus.declined.value
        request.answered_at = now
        session.add(request)
    # Nor is the blocker told any more of the requests it has not been sent word of yet.
    _drop_unsent_notices(session, recipient_id=viewer_id, sender_id=organisation_id)
    session.flush()
    return BlockPublic(
        organisation=OrganisationSummary.model_validate(blocked), created_at=block.created_at
    )


def unblock_organisation(
    session: Session,
    *,
    organisation_id: int,
    actor: Principal | None,
    expected_version: ExpectedVersion = None,
) -> None:
    """Accept requests from an organisation again; NotFound when the caller does not block it."""
    _, viewer_id = require_organisation_key(actor)
    block = session.get(OrganisationBlock, (viewer_id, organisation_id))
    if block is None:
        raise NotFound(f"Your organisation does not block organisation {organisation_id}.")
    check_unversioned(expected_version)
    session.delete(block)
    session.flush()


def list_blocks(session: Session, *, actor: Principal | None) -> list[BlockPublic]:
    """The organisations the caller blocks, most recent first."""
    _, viewer_id = require_organisation_key(actor)
    rows = session.execute(
        select(OrganisationBlock, Organisation)
        .join(Organisation, col(Organisation.id) == col(OrganisationBlock.blocked_organisation_id))
        .where(col(OrganisationBlock.organisation_id) == viewer_id)
        .order_by(col(OrganisationBlock.created_at).desc())
    ).all()
    return [
        BlockPublic(organisation=OrganisationSummary.model_validate(o), created_at=b.created_at)
        for b, o in rows
    ]
