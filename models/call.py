"""Calls for proposals: the table and the schemas the API reads and writes."""

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict
from pydantic import Field as PydanticField
from pydantic.json_schema import JsonDict
from sqlalchemy import JSON, DateTime
from sqlmodel import Field, SQLModel

from models.common import StakeholderType, UtcDatetime, line, text, utc_now

MAX_CALL_DESCRIPTION = 50_000


class CallStatus(StrEnum):
    """Where a call stands, derived from its dates."""

    forthcoming = "forthcoming"
    open = "open"
    closed = "closed"


def call_status(opening_date: date | None, deadline: date | None, today: date) -> CallStatus:
    """Derive a call's status: closed after the deadline, forthcoming before opening."""
    if deadline is not None and deadline < today:
        return CallStatus.closed
    if opening_date is not None and opening_date > today:
        return CallStatus.forthcoming
    return CallStatus.open


class CallFields(SQLModel):
    """What a call says, shared by the table and the schemas."""

    identifier: str = Field(max_length=120, unique=True, index=True)
    title: str = Field(max_length=500)
    programme: str | None = Field(default=None, max_length=100, index=True)
    description: str = Field(default="", max_length=MAX_CALL_DESCRIPTION)
    min_countries: int = Field(default=3)
    max_partners: int | None = Field(default=None)
    opening_date: date | None = Field(default=None, index=True)
    deadline: date | None = Field(default=None, index=True)


class Call(CallFields, table=True):
    """A call for proposals as stored."""

    __tablename__ = "calls"

    id: int | None = Field(default=None, primary_key=True)
    required_stakeholders: dict[str, int] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
    version: int = Field(default=1)


# Topic identifiers are case-insensitive in practice: stored upper-case, so that "rt-call-1"
# and "RT-CALL-1" are one identifier, which the unique index then holds once.
Identifier = Annotated[
    str,
    PydanticField(min_length=1, max_length=120, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$"),
    AfterValidator(str.upper),
]
Requirements = Annotated[
    dict[StakeholderType, Annotated[int, PydanticField(ge=0, le=100)]],
    PydanticField(max_length=len(StakeholderType)),
]

_EXAMPLE: JsonDict = {
    "identifier": "IHI-2023-05-02",
    "title": "Integrated solutions for early cancer detection",
    "programme": "IHI",
    "description": "Develop and validate minimally invasive liquid biopsy tools for early "
    "detection of cancer, with patients involved from the start.",
    "required_stakeholders": {"academia": 2, "industry": 1, "sme": 1, "patient_organisation": 1},
    "min_countries": 3,
    "max_partners": 12,
    "opening_date": "2023-10-10",
    "deadline": "2024-02-21",
}


class CallCreate(BaseModel):
    """A new call for proposals; server-owned fields are refused."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_EXAMPLE]})

    identifier: Identifier
    title: Annotated[str, line(500, min_length=1)]
    programme: Annotated[str, line(100)] | None = None
    description: Annotated[str, text(MAX_CALL_DESCRIPTION)] = ""
    required_stakeholders: Requirements = {}
    min_countries: Annotated[int, PydanticField(ge=0, le=50)] = 3
    max_partners: Annotated[int, PydanticField(ge=1, le=500)] | None = None
    opening_date: date | None = None
    deadline: date | None = None


class CallUpdate(BaseModel):
    """A partial update: only the fields given change."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"deadline": "2024-03-05"}]}
    )

    identifier: Identifier | None = None
    title: Annotated[str, line(500, min_length=1)] | None = None
    programme: Annotated[str, line(100)] | None = None
    description: Annotated[str, text(MAX_CALL_DESCRIPTION)] | None = None
    required_stakeholders: Requirements | None = None
    min_countries: Annotated[int, PydanticField(ge=0, le=50)] | None = None
    max_partners: Annotated[int, PydanticField(ge=1, le=500)] | None = None
    opening_date: date | None = None
    deadline: date | None = None


class CallPublic(BaseModel):
    """A call as anyone may read it, with its status derived from today's date."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    identifier: str
    title: str
    programme: str | None
    description: str
    required_stakeholders: dict[StakeholderType, int]
    min_countries: int
    max_partners: int | None
    opening_date: date | None
    deadline: date | None
    status: CallStatus
    created_at: UtcDatetime
    updated_at: UtcDatetime
    version: int
