"""Before and after a contact request expires: a reminder to its recipient, a notice to its sender.

A request waits MATCHMAKER_CONTACT_REQUEST_DAYS for an answer, then reads as expired
(`contacts.effective_status`). Each delivery pass (`matchmaker.partnering.worker`) writes:

- `remind_recipients`: once a request has MATCHMAKER_CONTACT_REQUEST_REMINDER_DAYS or fewer
  left unanswered, one reminder to its recipient, saying until when it can be answered and
  linking to the inbox's waiting requests. A request that waits no longer than that in all is
  not reminded: the e-mail announcing it said until when, days before.
- `announce_expired`: once a request has expired unanswered, one notice to its sender, saying
  so, that neither address was shared, and where to send a new request or find other partners.

Neither is written for a request accepted, declined (a block declines silently) or withdrawn,
and deleting an organisation deletes its requests. Each message is written with a unique
`NotificationKey` derived from the request (`contact-request:<id>:expiring`, `...:expired`),
so passes run again, or in several worker processes at once, write each at most once (as
`trust.freshness.remind_owners` does); its Message-ID is random, as every notification's
(`outbox.new_message_id`). Messages written before the keys were kept have a Message-ID derived
from the request (`legacy_message_id`), which counts as written too. The messages follow the
organisation's e-mail preference and go to its webhooks.
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, Engine, String, cast, exists, literal, or_, select
from sqlmodel import Session, col

from matchmaker.countries import country_name
from matchmaker.db import for_writing, session_scope
from matchmaker.partnering.contacts import RECEIVED, about_call, inbox_link, request_ids
from matchmaker.partnering.outbox import (
    REPLIES_UNREAD,
    Event,
    enqueue,
    quoted_text,
    web_page,
    written_once,
)
from matchmaker.repository import stored_id
from matchmaker.wording import say_date, say_moment
from models.call import Call
from models.common import as_utc, utc_now
from models.organisation import Organisation
from models.partnering import ContactKind, ContactRequest, ContactStatus, OutboxMessage
from models.saved_search import NotificationKey

# A request that had expired longer ago than this when a pass first finds it (it expired before
# these notices existed, or while no pass ran) is not announced: its sender has seen it expired
# in the inbox by then, and a notice weeks late would announce news long past.
ANNOUNCE_WITHIN = timedelta(days=7)
# Messages written per transaction when a pass has no limit of its own.
CHUNK = 500

# The two messages a request may get, by the word in their key.
_EXPIRING = "expiring"
_EXPIRED = "expired"

# What the expiry notice calls the sender's request, in the words of its other notifications,
# to begin a sentence (`str.capitalize` would lower the name's capitals).
_SENT_TO = {
    ContactKind.interest: "Your answer to the partner request of {name}",
    ContactKind.contact: "Your message to {name}",
}


def notice_key(request_id: int, what: str) -> str:
    """The key of a request's one reminder (`what` "expiring") or expiry notice ("expired")."""
    return f"contact-request:{request_id}:{what}"


def legacy_message_id(request_id: int, what: str) -> str:
    """The Message-ID a request's reminder or notice was written under before keys were kept
    (not unique across installations: no longer written). Such a message keeps it, and counts
    as the request's."""
    return f"<contact-request-{request_id}-{what}@matchmaker>"


def _written(what: str) -> ColumnElement[bool]:
    """Whether the request's message of `what` was written: its key taken (`notice_key`), or
    the message in the outbox under its old Message-ID (`legacy_message_id`)."""
    request_id = cast(col(ContactRequest.id), String)
    key = literal("contact-request:", String) + request_id + literal(f":{what}", String)
    legacy_id = (
        literal("<contact-request-", String) + request_id + literal(f"-{what}@matchmaker>", String)
    )
    return or_(
        exists().where(col(NotificationKey.key) == key),
        exists().where(col(OutboxMessage.message_id) == legacy_id),
    )


def _pending() -> ColumnElement[bool]:
    return col(ContactRequest.status) == ContactStatus.pending.value


def _due_reminders(session: Session, now: datetime, limit: int, remind: timedelta) -> list[int]:
    """The requests whose recipient is due its reminder, soonest to expire first."""
    rows = session.execute(
        select(
            col(ContactRequest.id), col(ContactRequest.created_at), col(ContactRequest.expires_at)
        )
        .where(
            _pending(),
            col(ContactRequest.expires_at) > now,
            col(ContactRequest.expires_at) <= now + remind,
            ~_written(_EXPIRING),
        )
        .order_by(col(ContactRequest.expires_at), col(ContactRequest.id))
    ).all()
    # A request's whole wait, compared in Python: SQLite has no interval arithmetic. The rows
    # are those expiring within `remind`, a few days' requests at most.
    return [
        request_id
        for request_id, created_at, expires_at in rows
        if as_utc(expires_at) - as_utc(created_at) > remind
    ][:limit]


def _due_notices(session: Session, now: datetime, limit: int) -> list[int]:
    """The requests whose sender is due its expiry notice, first expired first."""
    return list(
        session.scalars(
            select(col(ContactRequest.id))
            .where(
                _pending(),
                col(ContactRequest.expires_at) <= now,
                col(ContactRequest.expires_at) > now - ANNOUNCE_WITHIN,
                ~_written(_EXPIRED),
            )
            .order_by(col(ContactRequest.expires_at), col(ContactRequest.id))
            .limit(limit)
        )
    )


def _write_due(
    engine: Engine,
    *,
    due: Callable[[Session, datetime, int], list[int]],
    write: Callable[[Session, ContactRequest], None],
    limit: int | None,
    clock: Callable[[], datetime],
) -> int:
    """Write the message of each request `due` names, each in a savepoint; return how many."""
    written = 0
    chunk = CHUNK if limit is None else limit
    while chunk > 0:
        now = clock()
        # Most passes find nothing due: look first without SQLite's write lock.
        with session_scope(engine, read_only=True) as session:
            if not due(session, now, 1):
                return written
        with session_scope(for_writing(engine)) as session:
            request_ids_due = due(session, now, chunk)
            # Locked as answering one locks it (PostgreSQL), so that a request answered at this
            # moment is read answered, and gets no message.
            requests = session.scalars(
                select(ContactRequest)
                .where(col(ContactRequest.id).in_(request_ids_due), _pending())
                .order_by(col(ContactRequest.id))
                .with_for_update()
            ).all()
            chunk_written = written_once(session, requests, lambda request: write(session, request))
        written += chunk_written
        if len(request_ids_due) < chunk or limit is not None or not chunk_written:
            return written
    return written


def _parties(session: Session, request: ContactRequest) -> tuple[Organisation, Organisation]:
    sender = session.get_one(Organisation, request.sender_organisation_id)
    recipient = session.get_one(Organisation, request.recipient_organisation_id)
    return sender, recipient


def _call(session: Session, request: ContactRequest) -> Call | None:
    return session.get(Call, request.call_id) if request.call_id is not None else None


def reminder_body(
    request: ContactRequest, sender: Organisation, call: Call | None, *, base_url: str
) -> str:
    """What a request's recipient reads a few days before it expires unanswered."""
    what = RECEIVED[ContactKind(request.kind)]
    waiting = web_page(base_url, "/inbox?status=pending")
    return (
        f"{sender.name} ({country_name(sender.country)}) sent you {what}{about_call(call)} on "
        f"{say_date(as_utc(request.created_at).date())}, still unanswered:\n\n"
        f"{quoted_text(request.message)}\n\n"
        f"Accept it or decline it in your inbox by {say_moment(request.expires_at)}, when it "
        f"expires unanswered: {REPLIES_UNREAD}. Their contact address is shown to you, and "
        "yours to them, only if you accept. This is the only reminder.\n\n"
        f"The requests waiting for your answer, once signed in with your organisation's key: "
        f"{waiting}\n"
    )


def _remind(session: Session, request: ContactRequest, *, base_url: str) -> None:
    sender, _ = _parties(session, request)
    what = RECEIVED[ContactKind(request.kind)]
    enqueue(
        session,
        organisation_id=request.recipient_organisation_id,
        about=request.sender_organisation_id,
        ids=request_ids(request),
        event=Event.request_expiring,
        subject=(
            f"{what.capitalize()} from {sender.name} waits for your answer until "
            f"{say_date(as_utc(request.expires_at).date())}"
        ),
        body=reminder_body(request, sender, _call(session, request), base_url=base_url),
        key=notice_key(stored_id(request), _EXPIRING),
    )


def notice_body(
    request: ContactRequest, recipient: Organisation, call: Call | None, *, base_url: str
) -> str:
    """What a request's sender reads once it expired unanswered: that nothing was shared, and
    where to write again or look for other partners."""
    kind = ContactKind(request.kind)
    what = _SENT_TO[kind].format(name=recipient.name)
    query = {"call_id": call.id} if call is not None else {}
    if call is not None and request.consortium_id is not None:
        query["consortium_id"] = request.consortium_id
    contact = f"/organisations/{recipient.id}/contact"
    new_request = web_page(base_url, f"{contact}?{urlencode(query)}" if query else contact)
    if call is None:
        others = f"Other calls, each with its suggested partners: {web_page(base_url, '/calls')}"
    elif kind is ContactKind.interest:
        others = (
            "Other organisations looking for partners for the call: "
            f"{web_page(base_url, f'/calls/{call.id}#partner-requests')}"
        )
    else:
        others = (
            "Other suggested partners for the call: "
            f"{web_page(base_url, f'/calls/{call.id}#suggestions')}"
        )
    return (
        f"{what}{about_call(call)}, sent on "
        f"{say_date(as_utc(request.created_at).date())}, expired unanswered on "
        f"{say_date(as_utc(request.expires_at).date())}. Your contact address was never shared "
        f"with {recipient.name}, nor theirs with you.\n\n"
        "You can send them a new request, or look for other partners:\n\n"
        f"A new request to {recipient.name}: {new_request}\n"
        f"{others}\n\n"
        f"{inbox_link(base_url)}\n"
    )


def _announce(session: Session, request: ContactRequest, *, base_url: str) -> None:
    _, recipient = _parties(session, request)
    what = _SENT_TO[ContactKind(request.kind)].format(name=recipient.name)
    enqueue(
        session,
        organisation_id=request.sender_organisation_id,
        about=request.recipient_organisation_id,
        ids=request_ids(request),
        event=Event.request_expired,
        subject=f"{what} expired unanswered",
        body=notice_body(request, recipient, _call(session, request), base_url=base_url),
        key=notice_key(stored_id(request), _EXPIRED),
    )


def remind_recipients(
    engine: Engine,
    *,
    remind_days: int,
    base_url: str,
    limit: int | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> int:
    """Write one reminder to the recipient of each unanswered request that expires within
    `remind_days` days (none when 0, none for a request that waits no longer in all); return
    how many."""
    if remind_days <= 0:
        return 0
    remind = timedelta(days=remind_days)
    return _write_due(
        engine,
        due=lambda session, now, most: _due_reminders(session, now, most, remind),
        write=lambda session, request: _remind(session, request, base_url=base_url),
        limit=limit,
        clock=clock,
    )


def announce_expired(
    engine: Engine,
    *,
    base_url: str,
    limit: int | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> int:
    """Write one notice to the sender of each request that expired unanswered (within
    ANNOUNCE_WITHIN before now); return how many."""
    return _write_due(
        engine,
        due=_due_notices,
        write=lambda session, request: _announce(session, request, base_url=base_url),
        limit=limit,
        clock=clock,
    )
