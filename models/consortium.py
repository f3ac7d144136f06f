"""Consortium drafts: a named set of organisations preparing a proposal for one call."""

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, field_validator
from pydantic import Field as PydanticField
from sqlalchemy import DateTime, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from models import examples as ex
from models.call import ProgrammePart, RuleSet
from models.common import (
    IDS_NEVER_REUSED,
    Id,
    Int,
    StakeholderType,
    UtcDatetime,
    line,
    reference,
    refuse_null,
    utc_now,
    without_null,
)
from models.matching import MatchedTerm
from models.organisation import OrganisationSummary
from models.rules import Status

MAX_MEMBERS = 200
# A draft's answer lists this many of the members that left it, the most recent first (the
# owner's export lists them all).
DEPARTURES_SHOWN = 20


class Role(StrEnum):
    """A member's role in the consortium."""

    coordinator = "coordinator"
    partner = "partner"


class Consortium(SQLModel, table=True):
    """A draft consortium as stored."""

    __tablename__ = "consortia"
    __table_args__ = IDS_NEVER_REUSED

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    call_id: int = Field(
        # No cascade: deleting a call that drafts are written for is refused, not silent.
        sa_column=reference("calls", ondelete=None, nullable=False, index=True)
    )
    # The organisation whose key created the draft; deleting it deletes its drafts. Every
    # draft has one (an admin names it when creating a draft).
    owner_organisation_id: int = Field(
        sa_column=reference("organisations", nullable=False, index=True),
    )
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
    version: int = Field(default=1)


class ConsortiumMember(SQLModel, table=True):
    """One organisation in a draft, with its role."""

    __tablename__ = "consortium_members"
    __table_args__ = (UniqueConstraint("consortium_id", "organisation_id"), IDS_NEVER_REUSED)

    id: int | None = Field(default=None, primary_key=True)
    consortium_id: int = Field(sa_column=reference("consortia", nullable=False, index=True))
    organisation_id: int = Field(sa_column=reference("organisations", nullable=False, index=True))
    role: Role = Field(default=Role.partner, sa_type=String(20))


class ConsortiumDeparture(SQLModel, table=True):
    """A member that left a draft by deleting its profile, as it was then: its name, type and
    role, and when. Nothing points at the deleted organisation, which the row outlives; it goes
    with the draft."""

    __tablename__ = "consortium_departures"
    __table_args__ = IDS_NEVER_REUSED

    id: int | None = Field(default=None, primary_key=True)
    consortium_id: int = Field(sa_column=reference("consortia", nullable=False, index=True))
    name: str = Field(max_length=300)
    stakeholder_type: StakeholderType = Field(sa_type=String(32))
    role: Role = Field(sa_type=String(20))
    left_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))


class MemberIn(BaseModel):
    """An organisation to put in a draft."""

    model_config = ConfigDict(extra="forbid")

    organisation_id: Id = PydanticField(description="The organisation to add.")
    role: Role = PydanticField(
        default=Role.partner,
        description="`coordinator` (the consortium's lead; at most one) or `partner`.",
    )


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

    name: Annotated[str, line(200, min_length=1)] = PydanticField(
        description="A name for the draft, seen only by its owner."
    )
    call_id: Id = PydanticField(description="The call the draft is written for.")
    members: Annotated[list[MemberIn], PydanticField(max_length=MAX_MEMBERS)] = PydanticField(
        default=[], description="Organisations to start with, each with its role."
    )


# Columns that are NOT NULL: a partial update may leave them out, not set them to null.
CONSORTIUM_NOT_NULL = (
    "name",
    "call_id",
)


class ConsortiumUpdate(BaseModel):
    """A partial update of a draft's own fields (members have their own endpoints)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra=without_null(*CONSORTIUM_NOT_NULL, examples=[{"name": "LB-EU"}]),
    )

    name: Annotated[str, line(200, min_length=1)] | None = PydanticField(
        default=None, description="A new name for the draft."
    )
    call_id: Id | None = PydanticField(default=None, description="Move the draft to another call.")

    _not_null = field_validator(*CONSORTIUM_NOT_NULL, mode="before")(refuse_null)


class MemberRole(BaseModel):
    """The role to give a member."""

    model_config = ConfigDict(extra="forbid")

    role: Role = PydanticField(
        default=Role.partner,
        description="`coordinator` (the consortium's lead; a new one demotes the old) or "
        "`partner`.",
    )


class MemberPublic(BaseModel):
    """A member as shown: the organisation and its role."""

    model_config = ConfigDict(json_schema_extra=ex.examples(ex.MEMBER_PUBLIC))

    organisation: OrganisationSummary = PydanticField(description="The member organisation.")
    role: Role = PydanticField(description="`coordinator` (the consortium's lead) or `partner`.")


class DeparturePublic(BaseModel):
    """A member that left the draft by deleting its profile, as it was when it left."""

    model_config = ConfigDict(json_schema_extra=ex.examples(ex.DEPARTURE))

    name: str = PydanticField(
        description="The organisation's name as it was when it left (its profile no longer exists)."
    )
    stakeholder_type: StakeholderType = PydanticField(
        description="The kind of organisation it was when it left."
    )
    role: Role = PydanticField(
        description="Its role in the draft when it left: `coordinator` (the consortium's lead) "
        "or `partner`."
    )
    left_at: UtcDatetime = PydanticField(
        description="When it deleted its profile, and so left the draft (UTC)."
    )


class ConsortiumPublic(BaseModel):
    """A draft as shown, with its members."""

    model_config = ConfigDict(json_schema_extra=ex.examples(ex.CONSORTIUM_PUBLIC))

    id: int = PydanticField(description="The draft's id.")
    name: str = PydanticField(description="The draft's name.")
    call_id: int = PydanticField(description="The call the draft is written for.")
    owner_organisation_id: int = PydanticField(
        description="The organisation whose key created the draft and alone (with admins) sees it."
    )
    members: list[MemberPublic] = PydanticField(
        description="The organisations in the draft, the coordinator first."
    )
    departures: list[DeparturePublic] = PydanticField(
        description="Members that left the draft by deleting their profiles, the most recent "
        f"first: the {DEPARTURES_SHOWN} most recent (the owner's export lists them all). A "
        "member taken out of the draft by its owner is not listed."
    )
    created_at: UtcDatetime = PydanticField(description="When the draft was created (UTC).")
    updated_at: UtcDatetime = PydanticField(
        description="When the draft or its members last changed (UTC)."
    )
    version: int = PydanticField(
        description="Goes up by one on every change, members included; send it in If-Match (it "
        "is also the ETag)."
    )


class Membership(BaseModel):
    """A draft an organisation is in, as its data export lists it."""

    model_config = ConfigDict(json_schema_extra=ex.examples(ex.MEMBERSHIP))

    consortium_id: int = PydanticField(description="The draft's id.")
    name: str = PydanticField(description="The draft's name.")
    call_id: int = PydanticField(description="The call the draft is written for.")
    role: Role = PydanticField(description="The organisation's role in it.")


class ProposalRequest(BaseModel):
    """Organisations that must be in or out, and how many alternatives to propose."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"include": [], "exclude": [], "alternatives": 1}]},
    )

    include: Annotated[list[Id], PydanticField(max_length=MAX_MEMBERS)] = PydanticField(
        default=[], description="Organisations that must be in every proposal."
    )
    exclude: Annotated[list[Id], PydanticField(max_length=1000)] = PydanticField(
        default=[], description="Organisations that must be in none."
    )
    alternatives: Annotated[Int, PydanticField(ge=0, le=5)] = PydanticField(
        default=0,
        description="How many next-best consortia to propose after the best, each differing in "
        "at least one member (0 to 5).",
    )


class ProposedMember(BaseModel):
    """A proposed partner: the requirement it fills and why it was chosen."""

    model_config = ConfigDict(json_schema_extra=ex.examples(ex.PROPOSED_MEMBER))

    organisation: OrganisationSummary = PydanticField(description="The proposed partner.")
    fills: str = PydanticField(
        description="The requirement it fills: the stakeholder type whose minimum it counts "
        "towards, else `country coverage` or `additional partner`."
    )
    included: bool = PydanticField(description="Whether it is in because `include` asked for it.")
    score: float = PydanticField(description="Its fit with the call, from 0 to 1.")
    matched_terms: list[MatchedTerm] = PydanticField(
        description="The terms it shares with the call, heaviest first."
    )


class ShortfallOut(BaseModel):
    """A requirement a proposal cannot meet, and by how much."""

    model_config = ConfigDict(json_schema_extra=ex.examples(ex.SHORTFALL))

    requirement: str = PydanticField(
        description="The requirement that cannot be met: `stakeholder_type`, `countries`, "
        "`size` or `eligibility`."
    )
    stakeholder_type: str | None = PydanticField(
        description="For a stakeholder requirement, the type short of partners."
    )
    needed: int = PydanticField(description="How many the call asks for.")
    achieved: int = PydanticField(description="How many the best consortium reaches.")
    message: str = PydanticField(description="The shortfall in a sentence.")
    rule: str | None = PydanticField(
        default=None, description="For an eligibility shortfall: the programme rule that fails."
    )
    unverified: list[OrganisationSummary] = PydanticField(
        default=[],
        description="For a type the call requires verified (`verified_types_required`): "
        "candidates of that type it did not count because no admin verified their type, best "
        "first (at most 5); the message names them.",
    )


class ProposalOut(BaseModel):
    """One proposed consortium."""

    model_config = ConfigDict(json_schema_extra=ex.examples(ex.PROPOSAL))

    feasible: bool = PydanticField(description="Whether the consortium meets every requirement.")
    method: Literal["milp", "greedy"] = PydanticField(
        description="How it was found: `milp` (an integer program, proven optimal) or `greedy`."
    )
    objective: float = PydanticField(
        description="The value the solver maximised: total score less the diversity penalty."
    )
    total_score: float = PydanticField(description="The sum of the members' scores.")
    diversity_penalty: float = PydanticField(
        description="What the solver subtracted for members too alike (same country and type)."
    )
    members: list[ProposedMember] = PydanticField(description="The proposed partners.")
    shortfalls: list[ShortfallOut] = PydanticField(
        description="The requirements the consortium misses (empty when feasible)."
    )


class EffectiveRequirements(BaseModel):
    """The requirements a proposal was built for (max_partners filled in when the call has none)."""

    model_config = ConfigDict(json_schema_extra=ex.examples(ex.EFFECTIVE_REQUIREMENTS))

    required_stakeholders: dict[str, int] = PydanticField(
        description="Partners needed per stakeholder type."
    )
    min_countries: int = PydanticField(description="Different countries needed.")
    max_partners: int = PydanticField(
        description="The most partners allowed (a default when the call sets none)."
    )
    verified_types_required: bool = PydanticField(
        default=False,
        description="Whether only members whose type an admin verified count towards the "
        "regulator, patient organisation and public body places.",
    )


class Proposals(BaseModel):
    """The best consortium for a call, then the alternatives asked for."""

    model_config = ConfigDict(json_schema_extra=ex.examples(ex.PROPOSALS))

    call_id: int = PydanticField(description="The call the consortia are for.")
    requirements: EffectiveRequirements = PydanticField(
        description="The requirements the proposals were built for."
    )
    items: list[ProposalOut] = PydanticField(
        description="The best consortium, then the alternatives asked for."
    )


class GapCandidate(BaseModel):
    """An organisation that could close a gap, with its fit and the reasons."""

    model_config = ConfigDict(json_schema_extra=ex.examples(ex.GAP_CANDIDATE))

    organisation: OrganisationSummary = PydanticField(
        description="An organisation that could close the gap."
    )
    score: float = PydanticField(
        description="How well it closes the gap, from 0 to 1: its fit with the call raised by "
        "what it brings (a new country, past partners)."
    )
    relevance: float = PydanticField(description="Its fit with the call's text alone, from 0 to 1.")
    matched_terms: list[MatchedTerm] = PydanticField(
        description="The terms it shares with the call."
    )
    reasons: list[str] = PydanticField(description="Why it is suggested, in sentences.")


class RequirementGap(BaseModel):
    """One requirement of the call, how far the draft is from it, and who could close it."""

    model_config = ConfigDict(json_schema_extra=ex.examples(ex.REQUIREMENT_GAP))

    requirement: str = PydanticField(
        description="The requirement: `stakeholder_type`, `countries` or `size` (only for a "
        "call that sets `max_partners`)."
    )
    stakeholder_type: str | None = PydanticField(
        default=None, description="For a stakeholder requirement, which type."
    )
    required: int = PydanticField(
        description="How many the call asks for (for `size`, the most allowed)."
    )
    present: int = PydanticField(description="How many the draft has.")
    missing: int = PydanticField(
        description="How many more the draft needs (for `size`, how many too many); 0 when met."
    )
    message: str = PydanticField(description="The gap in a sentence.")
    verified_only: bool = PydanticField(
        default=False,
        description="For a stakeholder type: whether only members whose type an admin verified "
        "count towards it (the call's `verified_types_required`, for regulators, patient "
        "organisations and public bodies); `present`, `available` and `candidates` then count "
        "and list only verified ones.",
    )
    unverified: list[OrganisationSummary] = PydanticField(
        default=[],
        description="With `verified_only`: the draft's members of this type that do not count "
        "because no admin verified their type; the message names them.",
    )
    available: int | None = PydanticField(
        default=None,
        description="For a stakeholder type: how many organisations of that type exist "
        "outside the draft (under programme rules, outside the countries the programme "
        "excludes).",
    )
    candidates: list[GapCandidate] = PydanticField(
        description="The best organisations to close the gap, best first."
    )


class Gaps(BaseModel):
    """Every requirement of the draft's call, met or not."""

    model_config = ConfigDict(json_schema_extra=ex.examples(ex.GAPS))

    consortium_id: int = PydanticField(description="The draft's id.")
    call_id: int = PydanticField(description="The call the draft is written for.")
    satisfied: bool = PydanticField(description="Whether the draft meets every requirement.")
    requirements: list[RequirementGap] = PydanticField(
        description="Each requirement of the call, met or not."
    )
    eligibility: "Eligibility | None" = PydanticField(
        default=None, description="The programme's rules (GET /consortia/{id}/eligibility)."
    )


class RuleCheck(BaseModel):
    """One programme rule: met or not, why, what would fix it, and who could."""

    model_config = ConfigDict(json_schema_extra=ex.examples(ex.RULE_CHECK))

    rule: str = PydanticField(
        description="The rule's name: `independent-entities` (at least three independent legal "
        "entities, each in a different Member State or Associated Country), `member-state` (at "
        "least one of them in an EU Member State), `no-excluded-entities` (no member in a "
        "country excluded from the programme, such as Russia or Belarus after 10 May 2022), and "
        "for IHI calls `in-kind-contributor` (single-stage: at least one member contributes in "
        "kind) or `stage-1-applicants` (stage 1 of a two-stage call: none does)."
    )
    title: str = PydanticField(description="The rule in a sentence.")
    met: bool = PydanticField(description="Whether the draft meets the rule.")
    message: str = PydanticField(
        description="How the draft stands against the rule, in a sentence (for example which "
        "countries its independent entities are in)."
    )
    fix: str | None = PydanticField(
        description="What would make the draft meet the rule; null when it is met."
    )
    source: str = PydanticField(description="The document and article the rule comes from.")
    candidates: list[GapCandidate] = PydanticField(
        description="Organisations outside the draft that could fix the rule, best first: "
        "independent of every member and in a country that counts. Empty when the rule is met, "
        "for the IHI rules (no partner's country fixes them) or when none is found."
    )


class ParticipantEligibility(BaseModel):
    """A member's country status for the call and whether it can be funded."""

    model_config = ConfigDict(json_schema_extra=ex.examples(ex.PARTICIPANT_ELIGIBILITY))

    organisation: OrganisationSummary = PydanticField(description="The member organisation.")
    country_status: Status = PydanticField(
        description="Its country's status for the call, on the call's deadline and for its "
        "programme part: `member_state`, `associated`, `funding_eligible` (a low- or "
        "middle-income country: funded, but not counted towards the consortium rule), "
        "`non_associated` (also for a country with no row in the table) or `excluded` (its "
        "entities may not take part at all: the `no-excluded-entities` rule fails)."
    )
    funded: bool = PydanticField(
        description="Whether it can be funded: false in a non-associated country (it may take "
        "part, but is not automatically eligible for funding), in an excluded one (it may not "
        "take part) and, in IHI calls, for in-kind contributors."
    )
    note: str = PydanticField(description="Why it can or cannot be funded, in a sentence.")


class LikelyAffiliates(BaseModel):
    """Two members that look affiliated (flagged for review, never merged)."""

    model_config = ConfigDict(json_schema_extra=ex.examples(ex.LIKELY_AFFILIATES))

    organisation_ids: list[int] = PydanticField(
        description="The two members, in different declared groups (or none), that look affiliated."
    )
    reason: str = PydanticField(
        description="Why they were flagged: the same website host, or near-identical names once "
        "legal forms are ignored. A hint for a person to check (and declare a shared `group` if "
        "so), not proof; the rules still count them as independent."
    )


class Eligibility(BaseModel):
    """Whether a draft meets its call's programme rules, evaluated at the call's deadline."""

    model_config = ConfigDict(json_schema_extra=ex.examples(ex.ELIGIBILITY))

    consortium_id: int = PydanticField(description="The draft's id.")
    call_id: int = PydanticField(description="The call the draft is written for.")
    rule_set: RuleSet = PydanticField(
        description="The call's programme rules: `horizon-europe`, `horizon-europe-csa` or "
        "`horizon-europe-single` (one entity suffices), `ihi` (the Horizon Europe consortium "
        "rule plus IHI's in-kind rule) or `none` (no programme rule; the call's own conditions "
        "are in the gaps view)."
    )
    programme_part: ProgrammePart | None = PydanticField(
        description="The part of Horizon Europe the call belongs to (`pillar-1`, `pillar-2`, "
        "`pillar-3`, `widening`, `eic-fund`), which decides the countries associated to it; "
        "null for none, when only whole-programme associations count."
    )
    evaluated_on: date = PydanticField(
        description="The date the country statuses were taken on: the call's deadline, or "
        "today when it has none."
    )
    eligible: bool = PydanticField(description="Whether the draft meets every rule.")
    rules: list[RuleCheck] = PydanticField(
        description="Each rule of the rule set, met or not (empty for `none`)."
    )
    participants: list[ParticipantEligibility] = PydanticField(
        description="Each member's country status and whether it can be funded."
    )
    likely_affiliates: list[LikelyAffiliates] = PydanticField(
        description="Pairs of members that look affiliated though they declare no shared "
        "group, for a person to review; never merged."
    )


Gaps.model_rebuild()
