"""Partner requests, expressions of interest, contact requests, blocks and the outbox.

An organisation publishes a partner request for a call ("looking for partners"); another answers
it with an expression of interest, or writes to an organisation directly with a contact request.
Both are `ContactRequest` rows: a message from a sender to a recipient that the recipient
accepts or declines. Only once accepted does either side see the other's contact address.
Every event that someone should hear about is an `OutboxMessage`, written in the same
transaction as the change, and delivered by `matchmaker notify run`.
"""

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, TypedDict

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField
from pydantic.json_schema import JsonDict
from sqlalchemy import JSON, Column, ColumnElement, Date, DateTime, Index, or_
from sqlmodel import Field, SQLModel, col

from models.common import (
    IDS_NEVER_REUSED,
    CountryCode,
    Id,
    IsoDate,
    StakeholderType,
    UtcDatetime,
    reference,
    text,
    utc_now,
)
from models.matching import CallSummary, MatchedTerm, Reason
from models.organisation import OrganisationSummary

MAX_MESSAGE = 2_000
MAX_EXPERTISE = 2_000
MAX_PITCH = 500
MAX_COUNTRIES = 60


class PartnerRequest(SQLModel, table=True):
    """A call's "looking for partners" announcement, published by one organisation."""

    __tablename__ = "partner_requests"
    __table_args__ = IDS_NEVER_REUSED

    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(sa_column=reference("calls", nullable=False, index=True))
    organisation_id: int = Field(sa_column=reference("organisations", nullable=False, index=True))
    # The publisher's own draft it is for; private to the publisher, never shown to others.
    consortium_id: int | None = Field(
        default=None,
        sa_column=reference("consortia", ondelete="SET NULL", nullable=True, index=True),
    )
    stakeholder_types: list[str] = Field(default_factory=list, sa_type=JSON)
    countries: list[str] = Field(default_factory=list, sa_type=JSON)
    expertise: str = Field(default="", max_length=MAX_EXPERTISE)
    pitch: str = Field(default="", max_length=MAX_PITCH)
    # Open until the call's deadline or this earlier day, whichever comes first.
    closes_on: date | None = Field(default=None, sa_column=Column(Date, nullable=True, index=True))
    withdrawn_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))

    @staticmethod
    def still_open(today: date) -> tuple[ColumnElement[bool], ...]:
        """The conditions a request meets while open today as far as it alone says (not
        withdrawn, its own closing day not past); its call's deadline closes it too."""
        return (
            col(PartnerRequest.withdrawn_at).is_(None),
            or_(col(PartnerRequest.closes_on).is_(None), col(PartnerRequest.closes_on) >= today),
        )


class ContactKind(StrEnum):
    """What a contact request answers: a partner request, or a suggestion."""

    interest = "interest"
    contact = "contact"


class ContactStatus(StrEnum):
    """Where a contact request stands; `expired` is derived from `expires_at`."""

    pending = "pending"
    accepted = "accepted"
    declined = "declined"
    withdrawn = "withdrawn"
    expired = "expired"


class ContactRequest(SQLModel, table=True):
    """A message from one organisation to another, waiting to be accepted or declined."""

    __tablename__ = "contact_requests"
    __table_args__ = (
        Index("ix_contact_requests_sender_status", "sender_organisation_id", "status"),
        IDS_NEVER_REUSED,
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)  # a ContactKind
    sender_organisation_id: int = Field(sa_column=reference("organisations", nullable=False))
    recipient_organisation_id: int = Field(
        sa_column=reference("organisations", nullable=False, index=True)
    )
    partner_request_id: int | None = Field(
        default=None,
        sa_column=reference("partner_requests", ondelete="SET NULL", nullable=True, index=True),
    )
    call_id: int | None = Field(
        default=None, sa_column=reference("calls", ondelete="SET NULL", nullable=True, index=True)
    )
    # The sender's draft it names; shown to the sender only.
    consortium_id: int | None = Field(
        default=None,
        sa_column=reference("consortia", ondelete="SET NULL", nullable=True, index=True),
    )
    message: str = Field(max_length=MAX_MESSAGE)
    # pending, accepted, declined or withdrawn (a ContactStatus); pending past expires_at reads
    # as expired.
    status: str = Field(default=ContactStatus.pending.value, max_length=16)
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
    expires_at: datetime = Field(sa_type=DateTime(timezone=True))
    answered_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class OrganisationBlock(SQLModel, table=True):
    """An organisation that refuses requests from another."""

    __tablename__ = "organisation_blocks"

    organisation_id: int = Field(sa_column=reference("organisations", primary_key=True))
    blocked_organisation_id: int = Field(sa_column=reference("organisations", primary_key=True))
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))


class OutboxStatus(StrEnum):
    """Where an outbox message stands."""

    pending = "pending"
    sent = "sent"
    # Nobody to send it to: the recipient has no contact address.
    skipped = "skipped"
    # Not sent: the organisation turned notification e-mail off.
    muted = "muted"


class AboutIds(TypedDict, total=False):
    """The ids of what a notification reports, as its webhook's `about` names them (the other
    organisation's is `OutboxMessage.about_organisation_id`, never stored here twice)."""

    call_id: int
    saved_search_id: int
    partner_request_id: int
    contact_request_id: int
    consortium_id: int
    claim_id: int


class OutboxMessage(SQLModel, table=True):
    """A notification to deliver, written in the transaction of the change it reports."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        Index("ix_outbox_messages_due", "status", "next_attempt_at"),
        IDS_NEVER_REUSED,
    )

    id: int | None = Field(default=None, primary_key=True)
    # The e-mail's Message-ID, the same on every attempt, so that receivers drop repeats.
    message_id: str = Field(max_length=200, unique=True)
    event: str = Field(max_length=40)
    organisation_id: int = Field(sa_column=reference("organisations", nullable=False, index=True))
    # Where it goes when not to the organisation's contact address (a claim's link goes to an
    # address on the claimed record's web domain).
    to_address: str | None = Field(default=None, max_length=320)
    # The organisation the message is about (a request's other party, a match, a gap's filler),
    # when not the recipient: deleting that profile deletes the message, queued or sent, as
    # its text holds the profile's name, message or contact address.
    about_organisation_id: int | None = Field(
        default=None, sa_column=reference("organisations", nullable=True, index=True)
    )
    # What else it reports (`AboutIds`), so that a webhook's receiver need not parse the text;
    # null for messages written before it was kept, and for those naming nothing.
    about_ids: dict[str, int] | None = Field(default=None, sa_type=JSON(none_as_null=True))
    subject: str = Field(max_length=300)
    body: str = Field(max_length=20_000)
    status: str = Field(default=OutboxStatus.pending.value, max_length=16)
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
    next_attempt_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
    sent_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


# Schemas

Message = Annotated[str, text(MAX_MESSAGE, min_length=1)]
Expertise = Annotated[str, text(MAX_EXPERTISE)]
Pitch = Annotated[str, text(MAX_PITCH)]

_SUMMARY: JsonDict = {
    "id": 12,
    "name": "Oncomark Diagnostics",
    "stakeholder_type": "sme",
    "country": "NL",
    "type_verified": None,
}
_OTHER: JsonDict = {
    "id": 31,
    "name": "European Liver Patients' Association",
    "stakeholder_type": "patient_organisation",
    "country": "BE",
    "type_verified": False,
}
_CALL: JsonDict = {
    "id": 3,
    "identifier": "IHI-2023-05-02",
    "title": "Integrated solutions for early cancer detection",
    "programme": "IHI",
    "deadline": "2027-02-21",
    "status": "open",
}
PARTNER_REQUEST_EXAMPLE: JsonDict = {
    "id": 7,
    "call": _CALL,
    "organisation": _SUMMARY,
    "stakeholder_types": ["patient_organisation"],
    "countries": [],
    "expertise": "Patient panels for liver disease screening studies.",
    "pitch": "Our liquid biopsy consortium needs patients involved from the start.",
    "closes_on": "2027-01-31",
    "status": "open",
    "created_at": "2026-12-06T09:00:00Z",
}
CONTACT_REQUEST_EXAMPLE: JsonDict = {
    "id": 41,
    "kind": "interest",
    "direction": "received",
    "status": "accepted",
    "counterpart": _OTHER,
    "partner_request_id": 7,
    "call": _CALL,
    "consortium_id": None,
    "message": "We run patient panels on liver disease and would like to join.",
    "created_at": "2026-12-06T10:00:00Z",
    "expires_at": "2026-12-20T10:00:00Z",
    "answered_at": "2026-12-07T08:30:00Z",
    "contact_email": "partnering@elpa.example",
}


class _Sought(BaseModel):
    """What every new partner request says: where from, what expertise, why, until when."""

    countries: Annotated[list[CountryCode], PydanticField(max_length=MAX_COUNTRIES)] = (
        PydanticField(default=[], description="The countries sought; empty: any country.")
    )
    expertise: Expertise = PydanticField(
        default="", description="The expertise sought, in plain text (at most 2,000 characters)."
    )
    pitch: Pitch = PydanticField(
        default="", description="Why join, in a few sentences (at most 500 characters)."
    )
    closes_on: IsoDate | None = PydanticField(
        default=None,
        description="The last day the request is open, no later than the call's deadline; "
        "unset: the call's deadline.",
    )


class PartnerRequestCreate(_Sought):
    """A new partner request for a call: who is sought and why."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "stakeholder_types": ["patient_organisation"],
                    "expertise": "Patient panels for liver disease screening studies.",
                    "pitch": "Our liquid biopsy consortium needs patients involved early.",
                    "closes_on": "2027-01-31",
                }
            ]
        },
    )

    consortium_id: Id | None = PydanticField(
        default=None, description="Your draft for this call that the request is for (optional)."
    )
    stakeholder_types: Annotated[list[StakeholderType], PydanticField(max_length=8)] = (
        PydanticField(default=[], description="The kinds of partner sought; empty: any kind.")
    )


class DraftPartnerRequestCreate(_Sought):
    """A partner request made from a draft: the stakeholder types it lacks are sought."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "pitch": "Our liquid biopsy consortium needs patients involved early.",
                    "closes_on": "2027-01-31",
                }
            ]
        },
    )


class PartnerRequestStatus(StrEnum):
    """Whether a partner request can still be answered."""

    open = "open"
    closed = "closed"
    withdrawn = "withdrawn"


class PartnerRequestPublic(BaseModel):
    """A partner request as anyone may read it (no contact address, no draft)."""

    model_config = ConfigDict(json_schema_extra={"examples": [PARTNER_REQUEST_EXAMPLE]})

    id: int = PydanticField(description="The request's id.")
    call: CallSummary = PydanticField(description="The call the partners are sought for.")
    organisation: OrganisationSummary = PydanticField(description="Who is looking.")
    stakeholder_types: list[StakeholderType] = PydanticField(
        description="The kinds of partner sought; empty: any kind."
    )
    countries: list[str] = PydanticField(description="The countries sought; empty: any.")
    expertise: str = PydanticField(description="The expertise sought.")
    pitch: str = PydanticField(description="Why join.")
    closes_on: date | None = PydanticField(
        description="The last day it is open: the earlier of its own closing day and the "
        "call's deadline."
    )
    status: PartnerRequestStatus = PydanticField(
        description="open; closed after `closes_on`; withdrawn by its publisher."
    )
    created_at: UtcDatetime = PydanticField(description="When it was published (UTC).")


class PartnerRequestMatch(BaseModel):
    """An open partner request that fits an organisation, with why."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "request": PARTNER_REQUEST_EXAMPLE,
                    "score": 0.41,
                    "matched_terms": [{"term": "liver disease", "weight": 0.22}],
                    "reasons": [
                        {
                            "signal": "text_similarity",
                            "value": 0.41,
                            "factor": 0.41,
                            "detail": "Shares liver disease with the request",
                            "organisation_ids": [],
                            "projects": [],
                        }
                    ],
                }
            ]
        }
    )

    request: PartnerRequestPublic = PydanticField(description="The partner request.")
    score: float = PydanticField(
        ge=0, le=1, description="Cosine of the profile's and the request's texts, 0 to 1."
    )
    matched_terms: list[MatchedTerm] = PydanticField(
        description="The terms the profile and the request share, heaviest first."
    )
    reasons: list[Reason] = PydanticField(description="Why it fits, in sentences.")


class PartnerRequestMatches(BaseModel):
    """Open partner requests that fit an organisation, best first."""

    items: list[PartnerRequestMatch] = PydanticField(description="The requests, best first.")


class InterestCreate(BaseModel):
    """An answer to a partner request: a plain-text message to its publisher."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"message": "We run patient panels; can we talk?"}]},
    )

    message: Message = PydanticField(
        description="Plain text, at most 2,000 characters; shown escaped, never as markup."
    )


class ContactRequestCreate(BaseModel):
    """A message to an organisation, naming the call or your draft it is about."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"call_id": 3, "message": "Your biobank fits our proposal."}]
        },
    )

    call_id: Id | None = PydanticField(default=None, description="The call it is about.")
    consortium_id: Id | None = PydanticField(
        default=None, description="Your draft it is about (its call is named too)."
    )
    message: Message = PydanticField(
        description="Plain text, at most 2,000 characters; shown escaped, never as markup."
    )


class ContactRequestPublic(BaseModel):
    """A contact request or expression of interest as one of its two parties sees it."""

    model_config = ConfigDict(json_schema_extra={"examples": [CONTACT_REQUEST_EXAMPLE]})

    id: int = PydanticField(description="The request's id.")
    kind: ContactKind = PydanticField(
        description="interest: an answer to a partner request; contact: a direct message."
    )
    direction: str = PydanticField(description="sent or received, as you see it.")
    status: ContactStatus = PydanticField(
        description="pending until the recipient accepts or declines, the sender withdraws, "
        "or it expires unanswered."
    )
    counterpart: OrganisationSummary = PydanticField(description="The other organisation.")
    partner_request_id: int | None = PydanticField(
        description="The partner request it answers (interest only)."
    )
    call: CallSummary | None = PydanticField(description="The call it is about.")
    consortium_id: int | None = PydanticField(
        description="The sender's draft it names; shown to the sender only."
    )
    message: str = PydanticField(description="The sender's message (plain text).")
    created_at: UtcDatetime = PydanticField(description="When it was sent (UTC).")
    expires_at: UtcDatetime = PydanticField(description="When it expires if unanswered (UTC).")
    answered_at: UtcDatetime | None = PydanticField(
        description="When it was accepted, declined or withdrawn (UTC)."
    )
    contact_email: str | None = PydanticField(
        description="The other organisation's contact address: only once accepted."
    )


class Inbox(BaseModel):
    """The requests you received and those you sent, newest first."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "received": [CONTACT_REQUEST_EXAMPLE],
                    "sent": [],
                    "received_total": 1,
                    "sent_total": 0,
                }
            ]
        }
    )

    received: list[ContactRequestPublic] = PydanticField(description="Received, newest first.")
    sent: list[ContactRequestPublic] = PydanticField(description="Sent, newest first.")
    received_total: int = PydanticField(description="How many you received in all.")
    sent_total: int = PydanticField(description="How many you sent in all.")


class InboxWaiting(BaseModel):
    """How many requests your organisation received wait for its answer."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"waiting": 2}]})

    waiting: int = PydanticField(
        description=(
            "How many requests you received wait for your answer (neither answered, "
            "withdrawn nor expired): those `GET /inbox?status=pending` lists as received."
        )
    )


class BlockCreate(BaseModel):
    """An organisation whose requests you no longer accept."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"organisation_id": 31}]}
    )

    organisation_id: Id = PydanticField(description="The organisation to block.")


_NOTIFICATION_EXAMPLE: JsonDict = {
    "message_id": "<5f0c2d8e9b7a4c3e8d1f6a2b9c0e7d41@matchmaker>",
    "event": "request_accepted",
    "subject": "European Liver Patients' Association accepted your request",
    "body": "European Liver Patients' Association accepted your request. Write to them at "
    "(address withheld): replies to this e-mail are not read.\n\nThey now see your contact "
    "address too.\n",
    "status": "sent",
    "attempts": 1,
    "created_at": "2026-12-06T11:00:00Z",
    "sent_at": "2026-12-06T11:01:00Z",
    "about": {"call_id": 12, "contact_request_id": 7, "organisation_id": 45},
}


class NotificationPublic(BaseModel):
    """A notification queued or sent to an organisation (the outbox), as its export shows it."""

    model_config = ConfigDict(json_schema_extra={"examples": [_NOTIFICATION_EXAMPLE]})

    message_id: str = PydanticField(
        description="The notification's stable id: the e-mail's Message-ID, and the "
        "`X-Matchmaker-Message-Id` its webhooks received."
    )
    event: str = PydanticField(
        description="What it reports, as `X-Matchmaker-Event` names it (`request_received`, "
        "`call_matches_search`, ...)."
    )
    subject: str = PydanticField(description="The e-mail's subject.")
    body: str = PydanticField(
        description="The e-mail's text, with every e-mail address in it withheld (an accepted "
        "request's names the other party's; GET /inbox shows it). A one-time link's message "
        "(key recovery, a claim's confirmation) never shows its text here."
    )
    status: OutboxStatus = PydanticField(
        description="`pending` (to be sent), `sent`, `skipped` (no contact address to send it "
        "to) or `muted` (e-mail was off)."
    )
    attempts: int = PydanticField(description="How many times sending it was tried.", ge=0)
    created_at: UtcDatetime = PydanticField(description="When it was queued (UTC).")
    sent_at: UtcDatetime | None = PydanticField(
        description="When the mail server took it (UTC); null until then."
    )
    about: dict[str, int] = PydanticField(
        description="The ids of what it reports, as its webhooks' `about` gives them "
        "(`call_id`, `saved_search_id`, `partner_request_id`, `contact_request_id`, "
        "`consortium_id`, `organisation_id` of the other organisation, `claim_id`); `{}` when "
        "it names nothing or was written before these were kept."
    )


class BlockPublic(BaseModel):
    """An organisation you block."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"organisation": _OTHER, "created_at": "2026-12-06T11:00:00Z"}]
        }
    )

    organisation: OrganisationSummary = PydanticField(description="The organisation blocked.")
    created_at: UtcDatetime = PydanticField(description="Since when (UTC).")
