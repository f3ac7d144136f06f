"""Organisation profiles: the table and the schemas the API reads and writes."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, EmailStr
from pydantic import Field as PydanticField
from pydantic.json_schema import JsonDict
from sqlalchemy import JSON, DateTime, String
from sqlmodel import Field, SQLModel

from models.common import CountryCode, StakeholderType, UtcDatetime, line, text, utc_now

MAX_DESCRIPTION = 20_000
MAX_KEYWORDS = 50
MAX_ACTIVITIES = 300

Keyword = Annotated[str, line(100, min_length=1)]
Url = Annotated[AnyHttpUrl, PydanticField(max_length=500)]


class ProjectRole(StrEnum):
    """The part an organisation played in a past project, as CORDIS names them."""

    coordinator = "coordinator"
    participant = "participant"
    associated_partner = "associated_partner"
    third_party = "third_party"


class Activity(BaseModel):
    """A past project or publication that shows an organisation's expertise."""

    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, line(500, min_length=1)]
    summary: Annotated[str, text(5_000)] = ""
    year: Annotated[int, PydanticField(ge=1900, le=2100)] | None = None
    url: Url | None = None
    role: ProjectRole | None = PydanticField(
        default=None, description="The organisation's part in the project (none for a publication)."
    )


class OrganisationFields(SQLModel):
    """What an organisation says about itself, shared by the table and the schemas."""

    name: str = Field(min_length=1, max_length=300, index=True)
    stakeholder_type: StakeholderType = Field(index=True, sa_type=String(32))
    country: str = Field(min_length=2, max_length=2, index=True)
    city: str | None = Field(default=None, max_length=200)
    description: str = Field(default="", max_length=MAX_DESCRIPTION)
    website: str | None = Field(default=None, max_length=500)


class Organisation(OrganisationFields, table=True):
    """An organisation profile as stored."""

    __tablename__ = "organisations"

    id: int | None = Field(default=None, primary_key=True)
    external_id: str | None = Field(default=None, max_length=64, unique=True, index=True)
    keywords: list[str] = Field(default_factory=list, sa_type=JSON)
    activities: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    contact_email: str | None = Field(default=None, max_length=320)
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
    version: int = Field(default=1)


_EXAMPLE: JsonDict = {
    "name": "Oncomark Diagnostics",
    "stakeholder_type": "sme",
    "country": "NL",
    "city": "Leiden",
    "description": "Liquid biopsy assays and circulating tumour DNA analysis for early "
    "cancer detection; clinical validation with hospital biobanks.",
    "keywords": ["liquid biopsy", "oncology", "biomarkers"],
    "activities": [
        {
            "title": "ctDNA screening in colorectal cancer",
            "summary": "Validated a methylation panel on 2,000 plasma samples.",
            "year": 2023,
        }
    ],
    "website": "https://oncomark.example",
    "contact_email": "partnering@oncomark.example",
}


class OrganisationCreate(BaseModel):
    """A new organisation profile; server-owned fields are refused."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_EXAMPLE]})

    name: Annotated[str, line(300, min_length=1)]
    stakeholder_type: StakeholderType
    country: CountryCode
    city: Annotated[str, line(200)] | None = None
    description: Annotated[str, text(MAX_DESCRIPTION)] = ""
    keywords: Annotated[list[Keyword], PydanticField(max_length=MAX_KEYWORDS)] = []
    activities: Annotated[list[Activity], PydanticField(max_length=MAX_ACTIVITIES)] = []
    website: Url | None = None
    contact_email: EmailStr | None = None


class OrganisationUpdate(BaseModel):
    """A partial update: only the fields given change."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"city": "Utrecht", "keywords": ["ctDNA"]}]}
    )

    name: Annotated[str, line(300, min_length=1)] | None = None
    stakeholder_type: StakeholderType | None = None
    country: CountryCode | None = None
    city: Annotated[str, line(200)] | None = None
    description: Annotated[str, text(MAX_DESCRIPTION)] | None = None
    keywords: Annotated[list[Keyword], PydanticField(max_length=MAX_KEYWORDS)] | None = None
    activities: Annotated[list[Activity], PydanticField(max_length=MAX_ACTIVITIES)] | None = None
    website: Url | None = None
    contact_email: EmailStr | None = None


class OrganisationSummary(BaseModel):
    """The few fields that identify an organisation in lists of matches."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    stakeholder_type: StakeholderType
    country: str


class OrganisationPublic(OrganisationSummary):
    """A profile as anyone may read it: no personal data."""

    city: str | None
    external_id: str | None = None
    description: str
    keywords: list[str]
    activities: list[Activity]
    website: str | None
    created_at: UtcDatetime
    updated_at: UtcDatetime
    version: int


class OrganisationPrivate(OrganisationPublic):
    """A profile as its owner sees it, personal data included."""

    contact_email: str | None


class OrganisationCreated(OrganisationPrivate):
    """A profile just created, with the owner key's token: shown this once, stored only hashed."""

    api_key: str
