"""The outbox: notifications written in the same transaction as the change they report.

A change and its notification commit together or not at all, so no event is lost and none is
sent for a change that was rolled back. `matchmaker.partnering.delivery` sends them.
"""

import uuid
from enum import StrEnum

from sqlmodel import Session

from models.partnering import OutboxMessage


class Event(StrEnum):
    """What a notification reports."""

    request_received = "request_received"
    request_accepted = "request_accepted"
    request_declined = "request_declined"
    key_recovery = "key_recovery"


# Events whose body holds a secret (a one-time link): delivery blanks the body once it is sent.
REDACTED_EVENTS = frozenset({Event.key_recovery.value})
REDACTED_BODY = "(This message held a one-time link; its text is not kept once sent.)"


def new_message_id() -> str:
    """A Message-ID unique to one notification, kept on every attempt to deliver it."""
    return f"<{uuid.uuid4().hex}@matchmaker>"


def enqueue(
    session: Session, *, organisation_id: int, event: Event, subject: str, body: str
) -> OutboxMessage:
    """Add a notification for an organisation to the caller's transaction."""
    message = OutboxMessage(
        message_id=new_message_id(),
        event=event.value,
        organisation_id=organisation_id,
        subject=subject[:300],
        body=body,
    )
    session.add(message)
    session.flush()
    return message
