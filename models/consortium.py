"""Consortium drafts: a named set of organisations preparing a proposal for one call."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField
from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.common import Id, UtcDatetime, line, utc_now
from models.matching import MatchedTerm
from models.organisation import OrganisationSummary

MAX_MEMBERS = 200


class Role(StrEnum):
    """A member's role in the consortium."""

    coordinator = "coordinator"
    partner = "partner"


class Consortium(SQLModel, table=True):
    """A draft consortium as stored."""

    __tablename__ = "consortia"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    call_id: int = Field(
        # No cascade: deleting a call that drafts are written for is refused, not silent.
        sa_column=Column(Integer, ForeignKey("calls.id"), nullable=False, index=True)
    )
    # The organisation whose key created the draft; deleting it deletes its drafts.
    owner_organisation_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("organisations.id", ondelete="CASCADE"), nullable=True, index=True
        ),
    )
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
    version: int = Field(default=1)


class ConsortiumMember(SQLModel, table=True):
    """One organisation in a draft, with its role."""

    __tablename__ = "consortium_members"
    __table_args__ = (UniqueConstraint("consortium_id", "organisation_id"),)

    id: int | None = Field(default=None, primary_key=True)
    consortium_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("consortia.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    organisation_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("organisations.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    role: Role = Field(default=Role.partner, sa_type=String(20))


class MemberIn(BaseModel):
    """An organisation to put in a draft."""

    model_config = ConfigDict(extra="forbid")

    organisation_id: Id
    role: Role = Role.partner


class ConsortiumCreate(BaseModel):
    """A new draft for a call, optionally with its first members."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Liquid biopsy consortium",
                    "call_id": 1,
                    "members": [{"organisation_id": 1, "role": "coordinator"}],
                }
            ]
        },
    )

    name: Annotated[str, line(200, min_length=1)]
    call_id: Id
    members: Annotated[list[MemberIn], PydanticField(max_length=MAX_MEMBERS)] = []


class ConsortiumUpdate(BaseModel):
    """A partial update of a draft's own fields (members have their own endpoints)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"name": "LB-EU"}]})

    name: Annotated[str, line(200, min_length=1)] | None = None
    call_id: Id | None = None


class MemberRole(BaseModel):
    """The role to give a member."""

    model_config = ConfigDict(extra="forbid")

    role: Role = Role.partner


class MemberPublic(BaseModel):
    """A member as shown: the organisation and its role."""

    organisation: OrganisationSummary
    role: Role


class ConsortiumPublic(BaseModel):
    """A draft as shown, with its members."""

    id: int
    name: str
    call_id: int
    owner_organisation_id: int
    members: list[MemberPublic]
    created_at: UtcDatetime
    updated_at: UtcDatetime
    version: int


class Membership(BaseModel):
    """A draft an organisation is in, as its data export lists it."""

    consortium_id: int
    name: str
    call_id: int
    role: Role


class ProposalRequest(BaseModel):
    """Organisations that must be in or out, and how many alternatives to propose."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"include": [], "exclude": [], "alternatives": 1}]},
    )

    include: Annotated[list[Id], PydanticField(max_length=MAX_MEMBERS)] = []
    exclude: Annotated[list[Id], PydanticField(max_length=1000)] = []
    alternatives: Annotated[int, PydanticField(ge=0, le=5)] = 0


class ProposedMember(BaseModel):
    """A proposed partner: the requirement it fills and why it was chosen."""

    organisation: OrganisationSummary
    fills: str
    included: bool
    score: float
    matched_terms: list[MatchedTerm]


class ShortfallOut(BaseModel):
    """A requirement a proposal cannot meet, and by how much."""

    requirement: str
    stakeholder_type: str | None
    needed: int
    achieved: int
    message: str


class ProposalOut(BaseModel):
    """One proposed consortium."""

    feasible: bool
    method: str
    objective: float
    total_score: float
    diversity_penalty: float
    members: list[ProposedMember]
    shortfalls: list[ShortfallOut]


class EffectiveRequirements(BaseModel):
    """The requirements a proposal was built for (max_partners filled in when the call has none)."""

    required_stakeholders: dict[str, int]
    min_countries: int
    max_partners: int


class Proposals(BaseModel):
    """The best consortium for a call, then the alternatives asked for."""

    call_id: int
    requirements: EffectiveRequirements
    items: list[ProposalOut]


class GapCandidate(BaseModel):
    """An organisation that could close a gap, with its fit and the reasons."""

    organisation: OrganisationSummary
    score: float
    relevance: float
    matched_terms: list[MatchedTerm]
    reasons: list[str]


class RequirementGap(BaseModel):
    """One requirement of the call, how far the draft is from it, and who could close it."""

    requirement: str
    stakeholder_type: str | None = None
    required: int
    present: int
    missing: int
    message: str
    available: int | None = PydanticField(
        default=None,
        description="For a stakeholder type: how many organisations of that type exist "
        "outside the draft.",
    )
    candidates: list[GapCandidate]


class Gaps(BaseModel):
    """Every requirement of the draft's call, met or not."""

    consortium_id: int
    call_id: int
    satisfied: bool
    requirements: list[RequirementGap]
