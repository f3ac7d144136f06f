"""How an organisation hears of its notifications: e-mail preferences, signed webhooks.

`NotificationPreference` says whether e-mail goes out at once, as one daily digest, or not at
all, and holds the token of the unsubscribe link every notification e-mail carries. An
organisation also registers webhooks (`Webhook`); every outbox message for it is then POSTed to
each of them, one `WebhookDelivery` row per message and webhook, written in the same
transaction as the message and delivered by `matchmaker.partnering.webhooks`.
"""

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, field_validator
from pydantic import Field as PydanticField
from pydantic.json_schema import JsonDict
from sqlalchemy import DateTime, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.common import IDS_NEVER_REUSED, Page, UtcDatetime, reference, utc_now

MAX_URL = 2_000


class EmailFrequency(StrEnum):
    """When an organisation's notification e-mails go out."""

    immediately = "immediately"
    daily = "daily"
    off = "off"


class NotificationPreference(SQLModel, table=True):
    """An organisation's e-mail preference; no row reads as `immediately`."""

    __tablename__ = "notification_preferences"

    organisation_id: int = Field(sa_column=reference("organisations", primary_key=True))
    email: str = Field(default=EmailFrequency.immediately.value, max_length=16)
    # The secret part of the unsubscribe link (256 random bits), the same in every e-mail.
    unsubscribe_token: str = Field(max_length=64, unique=True)
    # The last daily digest, or when the digest was chosen: the next is due a day later.
    digest_since: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))


class Webhook(SQLModel, table=True):
    """An address an organisation's notifications are POSTed to, signed with its secret."""

    __tablename__ = "webhooks"
    __table_args__ = IDS_NEVER_REUSED

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(sa_column=reference("organisations", nullable=False, index=True))
    url: str = Field(max_length=MAX_URL)
    # Kept as issued: signing needs the secret itself, not a hash of it.
    secret: str = Field(max_length=100)
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))


class WebhookDeliveryStatus(StrEnum):
    """Where one message's delivery to one webhook stands."""

    pending = "pending"
    delivered = "delivered"
    # Given up after the last attempt; kept in the log.
    failed = "failed"


class WebhookDelivery(SQLModel, table=True):
    """One outbox message to POST to one webhook, and how the attempts went."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("webhook_id", "outbox_message_id"),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        IDS_NEVER_REUSED,
    )

    id: int | None = Field(default=None, primary_key=True)
    webhook_id: int = Field(sa_column=reference("webhooks", nullable=False, index=True))
    outbox_message_id: int = Field(
        sa_column=reference("outbox_messages", nullable=False, index=True)
    )
    status: str = Field(default=WebhookDeliveryStatus.pending.value, max_length=16)
    attempts: int = Field(default=0)
    last_status_code: int | None = Field(default=None)
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
    next_attempt_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
    delivered_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


# Schemas


class NotificationPreferences(BaseModel):
    """When your organisation's notification e-mails go out (webhooks are not affected)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"email": "daily"}]})

    email: EmailFrequency = PydanticField(
        description="immediately: one e-mail per notification (the default); daily: one "
        "digest a day listing them; off: none (key-recovery links still come, as they answer "
        "a request)."
    )


_WEBHOOK: JsonDict = {
    "id": 4,
    "url": "https://hooks.lumc.example/matchmaker",
    "created_at": "2026-12-06T09:00:00Z",
}


class WebhookCreate(BaseModel):
    """A new webhook: the http(s) address notifications are POSTed to."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"url": "https://hooks.lumc.example/matchmaker"}]},
    )

    url: str = PydanticField(
        min_length=1,
        max_length=MAX_URL,
        pattern=r"^https?://\S+$",
        description="An http or https URL on a public address (no loopback or private "
        "network), without user name or password.",
    )

    @field_validator("url", mode="before")
    @classmethod
    def _has_scheme(cls, url: object) -> object:
        """Refuse a URL without http:// or https:// by saying so."""
        # Left to the pattern, `hooks.example` would hear it holds characters not allowed.
        if isinstance(url, str) and url and not url.startswith(("http://", "https://")):
            raise ValueError(
                "Must be an address starting with https:// or http://, such as "
                "https://hooks.example.org/matchmaker."
            )
        return url


class WebhookPublic(BaseModel):
    """A webhook as its owner sees it; the secret is shown once, at creation."""

    model_config = ConfigDict(json_schema_extra={"examples": [_WEBHOOK]})

    id: int = PydanticField(description="The webhook's id.")
    url: str = PydanticField(description="Where notifications are POSTed.")
    created_at: UtcDatetime = PydanticField(description="When it was registered (UTC).")


class WebhookCreated(WebhookPublic):
    """A webhook just registered, with the secret that signs its requests (shown only now)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{**_WEBHOOK, "secret": "whsec_3q2-7wPz0rXk..."}]}
    )

    secret: str = PydanticField(
        description="The HMAC-SHA256 key of the X-Matchmaker-Signature header; keep it, it is "
        "not shown again."
    )


class WebhookDeliveryPublic(BaseModel):
    """One notification's delivery to a webhook: its attempts and its outcome."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 88,
                    "message_id": "<5f0c2b8e9d1a4c7b8e6f0a1b2c3d4e5f@matchmaker>",
                    "event": "request_received",
                    "about": {"call_id": 12, "contact_request_id": 7, "organisation_id": 45},
                    "status": "delivered",
                    "attempts": 2,
                    "last_status_code": 200,
                    "last_error": None,
                    "created_at": "2026-12-06T09:00:00Z",
                    "next_attempt_at": None,
                    "delivered_at": "2026-12-06T09:01:02Z",
                }
            ]
        }
    )

    id: int = PydanticField(description="The delivery's id.")
    message_id: str = PydanticField(
        description="The notification's stable id (X-Matchmaker-Message-Id), the same on "
        "every attempt."
    )
    event: str = PydanticField(description="What the notification reports.")
    about: dict[str, int] = PydanticField(
        description="What it reports, by id, as the delivered payload's `about` names it."
    )
    status: WebhookDeliveryStatus = PydanticField(
        description="pending (retried with a growing delay), delivered (a 2xx answer) or "
        "failed (given up)."
    )
    attempts: int = PydanticField(description="How many times it was POSTed.")
    last_status_code: int | None = PydanticField(
        description="The HTTP status of the last answer; null when none came."
    )
    last_error: str | None = PydanticField(description="Why the last attempt failed.")
    created_at: UtcDatetime = PydanticField(description="When the notification was written.")
    next_attempt_at: UtcDatetime | None = PydanticField(
        description="When it is tried next, while pending; null once delivered or given up."
    )
    delivered_at: UtcDatetime | None = PydanticField(description="When a 2xx answer came.")


# The administrator's view of the outbox (GET /admin/outbox, /ui/admin/outbox): figures and
# the deliveries being retried, never an address, a subject or a body (they are personal data).

_FAILING_EXAMPLE: JsonDict = {
    "id": 311,
    "event": "request_received",
    "organisation_id": 45,
    "organisation_name": "Leiden University Medical Center",
    "attempts": 3,
    "last_error": "SMTPRecipientsRefused: {'(address withheld)': (550, b'No such user')}",
    "reason": "The mail server refused the recipient's address.",
    "next_attempt_at": "2026-12-06T09:07:00Z",
}
_OUTBOX_EXAMPLE: JsonDict = {
    "email_configured": True,
    "emails": {
        "waiting": 4,
        "oldest_waiting_at": "2026-12-06T09:00:00Z",
        "retrying": 1,
        "given_up": 0,
        "muted": 3,
        "no_address": 1,
        "last_sent_at": "2026-12-06T08:58:12Z",
        "failing": {"items": [_FAILING_EXAMPLE], "total": 1, "limit": 25, "offset": 0},
    },
    "webhooks": {
        "waiting": 0,
        "oldest_waiting_at": None,
        "retrying": 0,
        "given_up": 0,
        "muted": 0,
        "no_address": 0,
        "last_sent_at": None,
        "failing": {"items": [], "total": 0, "limit": 25, "offset": 0},
    },
}


class FailingDelivery(BaseModel):
    """A notification whose last attempt failed: what it reports and to whom, never where it
    goes nor what it says."""

    model_config = ConfigDict(json_schema_extra={"examples": [_FAILING_EXAMPLE]})

    id: int = PydanticField(description="The outbox message's id, or the webhook delivery's.")
    event: str = PydanticField(description="What it reports (`request_received`, ...).")
    organisation_id: int = PydanticField(description="The organisation it is for.")
    organisation_name: str | None = PydanticField(
        description="That organisation's name; null when its profile is gone."
    )
    attempts: int = PydanticField(description="How many times it was tried.", ge=0)
    last_error: str = PydanticField(
        description="Why the last attempt failed, as the error said it, with every e-mail "
        "address in it withheld."
    )
    reason: str = PydanticField(
        description='What that error means, in words ("The mail server refused the '
        'connection: is it running, at that port?").'
    )
    next_attempt_at: UtcDatetime | None = PydanticField(
        description="When it is tried next (UTC); null once given up."
    )


class QueueFigures(BaseModel):
    """How one way of delivering notifications (e-mail, webhooks) is doing."""

    waiting: int = PydanticField(description="How many wait to be sent, due or retried.", ge=0)
    oldest_waiting_at: UtcDatetime | None = PydanticField(
        description="When the oldest of those was written (UTC); null when none waits."
    )
    retrying: int = PydanticField(
        description="How many of those failed at their last attempt and are retried later.",
        ge=0,
    )
    given_up: int = PydanticField(
        description="How many were given up after their last attempt (webhooks only: an "
        "e-mail is retried until it goes, so 0 for e-mail).",
        ge=0,
    )
    muted: int = PydanticField(
        description="How many were not sent, and never will be, because the organisation turned "
        "notification e-mail off (e-mail only; 0 for webhooks).",
        ge=0,
    )
    no_address: int = PydanticField(
        description="How many were not sent, and never will be, because the organisation has no "
        "contact address (e-mail only; 0 for webhooks).",
        ge=0,
    )
    last_sent_at: UtcDatetime | None = PydanticField(
        description="When the last one went out (the mail server took it, or the webhook "
        "answered 2xx), UTC; null when none has."
    )
    failing: Page[FailingDelivery] = PydanticField(
        description="The ones being retried or given up, oldest first."
    )


class OutboxReport(BaseModel):
    """What the service's notifications are doing, for an administrator."""

    model_config = ConfigDict(json_schema_extra={"examples": [_OUTBOX_EXAMPLE]})

    email_configured: bool = PydanticField(
        description="Whether MATCHMAKER_SMTP_URL is set; when it is not, e-mail waits in the "
        "outbox and nothing is sent."
    )
    emails: QueueFigures = PydanticField(description="Notification e-mails.")
    webhooks: QueueFigures = PydanticField(description="Deliveries to organisations' webhooks.")
