"""Saved searches and the notification events they and other changes cause.

An organisation saves a search (`SavedSearch`): what it watches (calls, organisations or partner
requests), a text or, for calls, its own profile as the query, filters, and a relevance
threshold. A change that others may want to hear about (a new call, a new or changed profile, a
new partner request) writes a `NotificationJob` in its own transaction; the delivery pass
expands it into outbox messages. `NotificationKey` holds one unique key per thing notified
(a saved search and an item, a draft and a profile that fills its gap, a draft and its call's
deadline), written in the transaction of the message, so that no re-run notifies twice.
"""

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField
from sqlalchemy import JSON, DateTime, Index
from sqlmodel import Field, SQLModel

from models.common import (
    IDS_NEVER_REUSED,
    CountryCode,
    StakeholderType,
    UtcDatetime,
    line,
    reference,
    text,
    utc_now,
)

MAX_SEARCH_TEXT = 1_000
MAX_PROGRAMME = 100
MAX_FILTER_COUNTRIES = 60
# The default relevance threshold (`matchmaker.partnering.saved_searches.relevance`, the cosine of
# the two texts weighed over all their terms). With CORDIS project titles as searches and the 522
# topics with a text as the new calls, 0.03 lets 69% of the searches hear of their own topic and
# of 5 others; 0.1 of 23% and 0.1 others (`python -m benchmarks.saved_searches`).
DEFAULT_THRESHOLD = 0.03


class SearchTarget(StrEnum):
    """What a saved search watches."""

    calls = "calls"
    organisations = "organisations"
    partner_requests = "partner_requests"


class SavedSearch(SQLModel, table=True):
    """A search an organisation saved, to hear about new items above its threshold."""

    __tablename__ = "saved_searches"
    __table_args__ = IDS_NEVER_REUSED

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(sa_column=reference("organisations", nullable=False, index=True))
    target: str = Field(max_length=20, index=True)
    text: str = Field(default="", max_length=MAX_SEARCH_TEXT)
    # For calls: the organisation's profile (as matching reads it) is the query.
    fits_profile: bool = Field(default=False)
    stakeholder_types: list[str] = Field(default_factory=list, sa_type=JSON)
    countries: list[str] = Field(default_factory=list, sa_type=JSON)
    programme: str | None = Field(default=None, max_length=MAX_PROGRAMME)
    threshold: float = Field(default=DEFAULT_THRESHOLD)
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))


class JobKind(StrEnum):
    """What a notification job announces."""

    call = "call"
    organisation = "organisation"
    partner_request = "partner_request"


class NotificationJob(SQLModel, table=True):
    """A change to announce, written in its transaction and expanded by the delivery pass."""

    __tablename__ = "notification_jobs"
    __table_args__ = (Index("ix_notification_jobs_pending", "done_at", "id"), IDS_NEVER_REUSED)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)
    # The call, organisation or partner request; no foreign key: a job whose item is gone by
    # the time it is expanded is simply done.
    item_id: int
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
    done_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class NotificationKey(SQLModel, table=True):
    """One thing notified once, e.g. `search:12:call:34`; written with the message it caused."""

    __tablename__ = "notification_keys"
    __table_args__ = IDS_NEVER_REUSED

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))


# Schemas

SearchText = Annotated[str, text(MAX_SEARCH_TEXT)]
Programme = Annotated[str, line(MAX_PROGRAMME, min_length=1)]


class SavedSearchCreate(BaseModel):
    """A search to save: what to watch, a text (or your profile, for calls) and filters."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "target": "calls",
                    "text": "liquid biopsy early cancer detection",
                    "programme": "IHI",
                    "threshold": 0.1,
                },
                {"target": "calls", "fits_profile": True},
                {
                    "target": "organisations",
                    "text": "patient organisation liver disease",
                    "stakeholder_types": ["patient_organisation"],
                    "countries": ["BE", "NL"],
                },
            ]
        },
    )

    target: SearchTarget = PydanticField(
        description="What to hear about: new `calls`, new or changed `organisations`, or new "
        "`partner_requests` (only those your organisation fits: of a type and from a country "
        "they seek)."
    )
    text: SearchText = PydanticField(
        default="",
        description="What you look for, in plain text (at most 1,000 characters); required "
        "unless `fits_profile`.",
    )
    fits_profile: bool = PydanticField(
        default=False,
        description="Calls only: your organisation's own profile is the query (leave `text` "
        "empty).",
    )
    stakeholder_types: Annotated[list[StakeholderType], PydanticField(max_length=8)] = (
        PydanticField(
            default=[],
            description="Organisations of these types; partner requests seeking one of them; "
            "calls requiring one of them (or no type in particular). Empty: any.",
        )
    )
    countries: Annotated[list[CountryCode], PydanticField(max_length=MAX_FILTER_COUNTRIES)] = (
        PydanticField(
            default=[],
            description="Organisations, or publishers of partner requests, in these countries "
            "(not for calls). Empty: any.",
        )
    )
    programme: Programme | None = PydanticField(
        default=None,
        description="Calls, or partner requests for calls, of this programme (not for "
        "organisations). Unset: any.",
    )
    threshold: float = PydanticField(
        default=DEFAULT_THRESHOLD,
        ge=0,
        le=1,
        description="The relevance an item needs to be notified: the cosine, 0 to 1, of the "
        "search's and the item's texts, each weighed over all its terms, so that a long text "
        "naming the search's words once scores less than one about them; 0.03 by default. An "
        "item about what the search says typically scores 0.03 to 0.2. An item sharing no term "
        "with the query is never notified.",
    )


class SavedSearchPublic(BaseModel):
    """A saved search as its organisation reads it."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 4,
                    "target": "calls",
                    "text": "liquid biopsy early cancer detection",
                    "fits_profile": False,
                    "stakeholder_types": [],
                    "countries": [],
                    "programme": "IHI",
                    "threshold": 0.1,
                    "created_at": "2026-12-06T09:00:00Z",
                }
            ]
        },
    )

    id: int = PydanticField(description="The saved search's id.")
    target: SearchTarget = PydanticField(description="What it watches.")
    text: str = PydanticField(description="Its text; empty when `fits_profile`.")
    fits_profile: bool = PydanticField(description="Whether the profile is the query.")
    stakeholder_types: list[StakeholderType] = PydanticField(description="Types; empty: any.")
    countries: list[str] = PydanticField(description="Countries; empty: any.")
    programme: str | None = PydanticField(description="Programme; null: any.")
    threshold: float = PydanticField(description="The relevance needed, 0 to 1.")
    created_at: UtcDatetime = PydanticField(description="When it was saved (UTC).")
