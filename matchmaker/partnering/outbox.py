"""The outbox: notifications written in the same transaction as the change they report.

A change and its notification commit together or not at all, so no event is lost and none is
sent for a change that was rolled back. `matchmaker.partnering.delivery` sends them by e-mail,
`matchmaker.partnering.webhooks` to the organisation's webhooks. `outbox_report` says to an
administrator how both are doing, in figures and the failing, never a message's address, subject
or body.
"""

import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from email.utils import parseaddr
from enum import StrEnum
from functools import lru_cache
from typing import Any, TypeVar, cast

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from matchmaker.settings import get_settings
from models.common import Page
from models.notifications import (
    FailingDelivery,
    OutboxReport,
    QueueFigures,
    Webhook,
    WebhookDelivery,
    WebhookDeliveryStatus,
)
from models.organisation import Organisation
from models.partnering import AboutIds, NotificationPublic, OutboxMessage, OutboxStatus
from models.saved_search import NotificationKey

T = TypeVar("T")


class Event(StrEnum):
    """What a notification reports."""

    request_received = "request_received"
    request_accepted = "request_accepted"
    request_declined = "request_declined"
    # A request's recipient reminded before it expires, and its sender told once it has.
    request_expiring = "request_expiring"
    request_expired = "request_expired"
    key_recovery = "key_recovery"
    claim_confirmation = "claim_confirmation"
    # Issue 16's events, expanded by `matchmaker.partnering.fanout`.
    call_matches_search = "call_matches_search"
    organisation_matches_search = "organisation_matches_search"
    partner_request_matches_search = "partner_request_matches_search"
    profile_fills_gap = "profile_fills_gap"
    deadline_soon = "deadline_soon"
    # Issue 18: a profile's owner is asked to confirm it is still current.
    confirm_reminder = "confirm_reminder"
    # A member organisation deleted its profile and left the recipient's drafts.
    draft_member_left = "draft_member_left"


# Events whose body holds a secret (a one-time link): delivery blanks the body once it is sent.
REDACTED_EVENTS = frozenset({Event.key_recovery.value, Event.claim_confirmation.value})
REDACTED_BODY = "(This message held a one-time link; its text is not kept once sent.)"


# In an export, every address in a notification's text is withheld: an accepted request's
# names the other party's (its data, which GET /inbox shows within that request), and a
# received message quotes whatever its sender typed.
_ADDRESS = re.compile(r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)+")
WITHHELD_ADDRESS = "(address withheld)"


def withheld(text: str) -> str:
    """Text with every e-mail address in it withheld (a refused recipient's, in an error)."""
    return _ADDRESS.sub(WITHHELD_ADDRESS, text)


def exported_notifications(session: Session, *, organisation_id: int) -> list[NotificationPublic]:
    """The notifications queued or sent to an organisation, oldest first, as its export shows
    them: no one-time link's text (even before it is sent) and no e-mail address."""
    messages = session.scalars(
        select(OutboxMessage)
        .where(col(OutboxMessage.organisation_id) == organisation_id)
        .order_by(col(OutboxMessage.id))
    )
    return [
        NotificationPublic(
            message_id=message.message_id,
            event=message.event,
            subject=withheld(message.subject),
            body=REDACTED_BODY if message.event in REDACTED_EVENTS else withheld(message.body),
            status=OutboxStatus(message.status),
            attempts=message.attempts,
            created_at=message.created_at,
            sent_at=message.sent_at,
            about=about_of(message),
        )
        for message in messages
    ]


def about_of(message: OutboxMessage) -> dict[str, int]:
    """The ids of what a message reports, by name, the other organisation's among them: a
    webhook's `about` (`{}` for a message naming nothing, or written before they were kept)."""
    about = dict(message.about_ids or {})
    if message.about_organisation_id is not None:
        about["organisation_id"] = message.about_organisation_id
    return dict(sorted(about.items()))


# Said where a notification's natural answer is a reply: every e-mail comes from the service's
# address (MATCHMAKER_MAIL_FROM), which nobody reads, and carries no Reply-To (the other party's
# address is shown only once a request is accepted).
REPLIES_UNREAD = "replies to this e-mail are not read"


def web_page(base_url: str, path: str) -> str:
    """The web page at `path` under `/ui`, for a link in a notification: people open these
    links in a browser, where the JSON API's own addresses would show them raw data."""
    return f"{base_url.rstrip('/')}/ui{path}"


def quoted_text(text: str) -> str:
    """Another organisation's own words (a message, an answer, a pitch) as e-mail quotes them:
    each line behind "> " (an empty one behind ">"), so that none of it passes for the
    service's text. A "-- " of theirs cannot begin the e-mail's signature, hiding what follows
    it, nor a line of theirs pass for the service's footer or its links."""
    return "\n".join(f"> {line}" if line else ">" for line in text.strip("\r\n").splitlines())


# What a Message-ID's right side may be (RFC 5322's dot-atom-text), and the right side of an
# address that is not one (`matchmaker@localhost` is the default MATCHMAKER_MAIL_FROM).
_DOT_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
NO_DOMAIN = "localhost"


@lru_cache(maxsize=16)
def mail_domain(mail_from: str) -> str:
    """The domain of a From address (`Matchmaker <noreply@matchmaker.example>`:
    `matchmaker.example`), as the right side of a Message-ID: lower case, a domain that is not
    ASCII in its `xn--` form."""
    domain = parseaddr(mail_from)[1].rpartition("@")[2].strip().lower()
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return NO_DOMAIN
    return domain if _DOT_ATOM.fullmatch(domain) else NO_DOMAIN


def new_message_id(domain: str | None = None) -> str:
    """A Message-ID for one notification, stored with it and kept on every attempt to deliver
    it, so that receivers drop a repeat. Its left side is 128 random bits, never derived from
    ids or dates: another installation (a staging copy, a database rebuilt from a backup) holds
    the same ids, and mail providers drop a second, different e-mail under a Message-ID they
    have seen. Its right side is `domain`, by default that of MATCHMAKER_MAIL_FROM, the address
    the e-mail comes from. What must be written once (a reminder) says so by a key
    (`enqueue`'s `key`), not by its Message-ID."""
    return f"<{uuid.uuid4().hex}@{domain or mail_domain(get_settings().mail_from)}>"


def outbox_message(
    *,
    organisation_id: int,
    event: Event,
    subject: str,
    body: str,
    to_address: str | None = None,
    message_id: str | None = None,
    about: int | None = None,
    ids: AboutIds | None = None,
) -> OutboxMessage:
    """A notification for an organisation, not yet in any transaction (`add_messages` adds it):
    a background pass builds its messages before it takes the write lock."""
    return OutboxMessage(
        message_id=message_id or new_message_id(),
        event=event.value,
        organisation_id=organisation_id,
        # None: the organisation's contact address; a claim's link goes elsewhere.
        to_address=to_address,
        about_organisation_id=about,
        # A TypedDict is a Mapping[str, object] to mypy; every value of AboutIds is an int.
        about_ids=dict(cast(Mapping[str, int], ids)) if ids else None,
        subject=subject[:300],
        body=body,
    )


def add_messages(session: Session, messages: list[OutboxMessage]) -> list[OutboxMessage]:
    """Add notifications to the caller's transaction, each with one delivery for each webhook
    of its organisation (none for a message holding a secret), in two flushes however many."""
    if not messages:
        return messages
    session.add_all(messages)
    session.flush()
    hooked = {m.organisation_id for m in messages if m.event not in REDACTED_EVENTS}
    if not hooked:
        return messages
    webhooks: dict[int, list[int]] = {}
    for webhook_id, organisation_id in session.execute(
        select(col(Webhook.id), col(Webhook.organisation_id))
        .where(col(Webhook.organisation_id).in_(hooked))
        .order_by(col(Webhook.id))
    ):
        webhooks.setdefault(organisation_id, []).append(webhook_id)
    deliveries = []
    for message in messages:
        assert message.id is not None
        if message.event in REDACTED_EVENTS:
            continue
        deliveries += [
            WebhookDelivery(
                webhook_id=webhook_id,
                outbox_message_id=message.id,
                created_at=message.created_at,
                next_attempt_at=message.created_at,
            )
            for webhook_id in webhooks.get(message.organisation_id, [])
        ]
    if deliveries:
        session.add_all(deliveries)
        session.flush()
    return messages


def written_once(session: Session, items: Iterable[T], write: Callable[[T], None]) -> int:
    """Write each item's message in a savepoint of its own and return how many were written:
    a message another worker wrote first (its `key` is unique) fails only its own item."""
    written = 0
    for item in items:
        try:
            with session.begin_nested():
                write(item)
        except IntegrityError:
            continue
        written += 1
    return written


def enqueue(
    session: Session,
    *,
    organisation_id: int,
    event: Event,
    subject: str,
    body: str,
    to_address: str | None = None,
    message_id: str | None = None,
    about: int | None = None,
    ids: AboutIds | None = None,
    key: str | None = None,
) -> OutboxMessage:
    """Add a notification for an organisation to the caller's transaction, with one delivery
    for each of its webhooks (none for a message holding a secret), under `message_id` or a
    new one (`new_message_id`). A given `key` (a `NotificationKey`, such as
    `contact-request:12:expiring`) is written with it and is unique: a second message under it
    fails with IntegrityError, so it is written once (`written_once`). `about` is the other
    organisation whose data the text holds: deleting its profile deletes the message, queued
    or sent, and its webhook deliveries. `ids` names what else it reports (never a secret:
    they go to webhooks and exports)."""
    message = outbox_message(
        organisation_id=organisation_id,
        event=event,
        subject=subject,
        body=body,
        to_address=to_address,
        message_id=message_id,
        about=about,
        ids=ids,
    )
    if key is not None:
        session.add(NotificationKey(key=key, created_at=message.created_at))
    (added,) = add_messages(session, [message])
    return added


def waiting(session: Session) -> int:
    """How many e-mails wait in the outbox to be sent (due now or retried later), for an
    operator asking whether one went out."""
    statement = select(func.count()).where(col(OutboxMessage.status) == OutboxStatus.pending)
    return int(session.scalar(statement) or 0)


# A stored error (`delivery.failure_text`: "<type>: <text>", or "HTTP <status>" from a webhook)
# in words, by its type: what an administrator can check. {peer} is "mail server" or "webhook".
_FAILURE_WORDS = {
    "SMTPRecipientsRefused": "The mail server refused the recipient's address.",
    "SMTPSenderRefused": "The mail server refused the sender's address (MATCHMAKER_MAIL_FROM).",
    "SMTPDataError": "The mail server refused the message.",
    "SMTPAuthenticationError": "The mail server refused the login in MATCHMAKER_SMTP_URL.",
    "SMTPNotSupportedError": "The mail server does not support what sending needs.",
    "SMTPServerDisconnected": "The mail server closed the connection.",
    "SSLError": "The secure connection to the {peer} failed.",
    "SSLCertVerificationError": "The certificate of the {peer} could not be verified.",
    "ConnectionRefusedError": "The {peer} refused the connection: is it running, at that port?",
    "ConnectError": "The {peer} could not be reached.",
    "gaierror": "The host name of the {peer} could not be found.",
    "TimeoutError": "The {peer} did not answer in time.",
    "ConnectTimeout": "The {peer} did not answer in time.",
    "ReadTimeout": "The {peer} did not answer in time.",
    "WriteTimeout": "The {peer} did not answer in time.",
    "UnsafeAddress": "The webhook's address leads somewhere the service must not call.",
}


def failure_in_words(error: str, *, peer: str) -> str:
    """What a stored error means, in words, for the `peer` it came from ("mail server",
    "webhook"); the error itself is shown beside it."""
    if error.startswith("HTTP "):
        return f"The webhook answered {error}, not a success."
    kind = error.split(":", 1)[0].strip()
    if kind in _FAILURE_WORDS:
        return _FAILURE_WORDS[kind].format(peer=peer)
    if kind in {"OSError", "ConnectionResetError", "SMTPConnectError", "RemoteProtocolError"}:
        return f"The connection to the {peer} failed."
    return "The last attempt failed."


def _failing_page(
    statement: Select[*tuple[Any, ...]], session: Session, *, limit: int, offset: int, peer: str
) -> Page[FailingDelivery]:
    """A page of the failing deliveries `statement` selects (id, event, organisation id and
    name, attempts, last error, next attempt, and for a webhook's its status), and how many
    there are in all: two queries."""
    total = int(
        session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0
    )
    rows = session.execute(statement.limit(limit).offset(offset))
    items = [
        FailingDelivery(
            id=row.id,
            event=row.event,
            organisation_id=row.organisation_id,
            organisation_name=row.name,
            attempts=row.attempts,
            last_error=withheld(row.last_error or "No error was recorded."),
            reason=failure_in_words(row.last_error or "", peer=peer),
            # Given up: never tried again.
            next_attempt_at=None
            if row._mapping.get("status") == WebhookDeliveryStatus.failed.value
            else row.next_attempt_at,
        )
        for row in rows
    ]
    return Page(items=items, total=total, limit=limit, offset=offset)


def email_figures(session: Session, *, limit: int, offset: int) -> QueueFigures:
    """How notification e-mail is doing: how many wait and since when, how many failed and are
    retried (a page of them, oldest first, with their errors but no address, subject or body),
    how many were not sent by the organisations' own doing (e-mail turned off, no contact
    address), and when the last went out. Four queries, however many messages."""
    status = col(OutboxMessage.status)
    pending = status == OutboxStatus.pending.value
    waiting_count, oldest, muted, no_address = session.execute(
        select(
            func.count().filter(pending),
            func.min(col(OutboxMessage.created_at)).filter(pending),
            func.count().filter(status == OutboxStatus.muted.value),
            func.count().filter(status == OutboxStatus.skipped.value),
        )
    ).one()
    retried: ColumnElement[bool] = pending & col(OutboxMessage.last_error).is_not(None)
    failing = (
        select(
            col(OutboxMessage.id),
            col(OutboxMessage.event),
            col(OutboxMessage.organisation_id),
            col(Organisation.name),
            col(OutboxMessage.attempts),
            col(OutboxMessage.last_error),
            col(OutboxMessage.next_attempt_at),
        )
        .outerjoin(Organisation, col(Organisation.id) == col(OutboxMessage.organisation_id))
        .where(retried)
        .order_by(col(OutboxMessage.id))
    )
    page = _failing_page(failing, session, limit=limit, offset=offset, peer="mail server")
    last_sent = session.scalar(
        select(func.max(col(OutboxMessage.sent_at))).where(
            col(OutboxMessage.status) == OutboxStatus.sent.value
        )
    )
    return QueueFigures(
        waiting=int(waiting_count or 0),
        oldest_waiting_at=oldest,
        retrying=page.total,
        given_up=0,
        muted=int(muted or 0),
        no_address=int(no_address or 0),
        last_sent_at=last_sent,
        failing=page,
    )


def webhook_figures(session: Session, *, limit: int, offset: int) -> QueueFigures:
    """How webhook deliveries are doing, as `email_figures` says it of e-mail, with those given
    up after their last attempt among the failing. Four queries, however many deliveries."""
    status = col(WebhookDelivery.status)
    pending = status == WebhookDeliveryStatus.pending.value
    given_up = status == WebhookDeliveryStatus.failed.value
    waiting_count, oldest, retrying, gone = session.execute(
        select(
            func.count().filter(pending),
            func.min(col(WebhookDelivery.created_at)).filter(pending),
            func.count().filter(pending & col(WebhookDelivery.last_error).is_not(None)),
            func.count().filter(given_up),
        ).where(status != WebhookDeliveryStatus.delivered.value)
    ).one()
    failing = (
        select(
            col(WebhookDelivery.id),
            col(OutboxMessage.event),
            col(Webhook.organisation_id),
            col(Organisation.name),
            col(WebhookDelivery.attempts),
            col(WebhookDelivery.last_error),
            col(WebhookDelivery.next_attempt_at),
            status,
        )
        .join(OutboxMessage, col(OutboxMessage.id) == col(WebhookDelivery.outbox_message_id))
        .join(Webhook, col(Webhook.id) == col(WebhookDelivery.webhook_id))
        .outerjoin(Organisation, col(Organisation.id) == col(Webhook.organisation_id))
        .where((pending & col(WebhookDelivery.last_error).is_not(None)) | given_up)
        .order_by(col(WebhookDelivery.id))
    )
    page = _failing_page(failing, session, limit=limit, offset=offset, peer="webhook")
    last_sent = session.scalar(
        select(func.max(col(WebhookDelivery.delivered_at))).where(
            status == WebhookDeliveryStatus.delivered.value
        )
    )
    return QueueFigures(
        waiting=int(waiting_count or 0),
        oldest_waiting_at=oldest,
        retrying=int(retrying or 0),
        given_up=int(gone or 0),
        muted=0,
        no_address=0,
        last_sent_at=last_sent,
        failing=page,
    )


def outbox_report(
    session: Session,
    *,
    email_configured: bool,
    limit: int,
    offset: int = 0,
    webhook_offset: int = 0,
) -> OutboxReport:
    """What the service's notifications are doing, for an administrator: e-mail's figures and
    webhooks', each with a page of the failing (from `offset` and `webhook_offset`)."""
    return OutboxReport(
        email_configured=email_configured,
        emails=email_figures(session, limit=limit, offset=offset),
        webhooks=webhook_figures(session, limit=limit, offset=webhook_offset),
    )
