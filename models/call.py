"""Calls for proposals: the table and the schemas the API reads and writes."""

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, field_validator, model_validator
from pydantic import Field as PydanticField
from pydantic.json_schema import JsonDict
from sqlalchemy import JSON, DateTime
from sqlmodel import Field, SQLModel

from models import examples as ex
from models.common import (
    IDS_NEVER_REUSED,
    SNIPPET_DESCRIPTION,
    Flag,
    Int,
    IsoDate,
    SnippetPart,
    StakeholderType,
    UtcDatetime,
    line,
    refuse_null,
    text,
    utc_now,
    without_null,
)

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


class RuleSet(StrEnum):
    """The programme rules a consortium must meet (docs/eligibility.md cites each)."""

    horizon_europe = "horizon-europe"
    # One legal entity in a Member State or Associated Country suffices: coordination and
    # support actions (Art. 22(4)); ERC, EIC, training and mobility and programme co-fund
    # actions (Art. 22(3)) unless the work programme asks for more.
    horizon_europe_csa = "horizon-europe-csa"
    horizon_europe_single = "horizon-europe-single"
    ihi = "ihi"
    none = "none"


# Parts of Horizon Europe that associations can be limited to (matchmaker.country_statuses).
ProgrammePart = Literal["pillar-1", "pillar-2", "pillar-3", "widening", "eic-fund"]


def default_rule_set(
    programme: str | None, *, min_countries: int = 3
) -> tuple[RuleSet, ProgrammePart | None]:
    """The rule set and programme part a call gets from its programme label when it names none.

    IHI calls get ``ihi`` (an institutionalised partnership of Pillar II); Horizon Europe
    clusters and missions, and a call naming only the framework programme (``HORIZON``), get
    ``horizon-europe`` in Pillar II, unless the call asks for fewer than three countries (ERC,
    MSCA and CSAs are not bound by the three-entity rule); anything else gets ``none``
    (docs/eligibility.md).
    """
    label = (programme or "").casefold()
    if "ihi" in label.split() or "innovative health" in label or label.startswith("ihi"):
        return RuleSet.ihi, "pillar-2"
    collaborative = (
        label.startswith("horizon europe cluster")
        or label.startswith("eu mission")
        # The framework programme alone, as CORDIS names it: a call spanning three countries
        # is a collaborative action under the three-entity rule.
        or label.strip() in {"horizon", "horizon europe"}
    )
    if collaborative and min_countries >= 3:
        return RuleSet.horizon_europe, "pillar-2"
    return RuleSet.none, None


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
    # Defaults from the programme when a call is created without one (eligibility.py).
    rule_set: str = Field(default=RuleSet.none.value, max_length=32)
    programme_part: str | None = Field(default=None, max_length=32)
    two_stage: bool = Field(default=False)
    # Only admin-verified members count towards the types of TYPES_VERIFIED_BY_ADMIN.
    verified_types_required: bool = Field(default=False)


class Call(CallFields, table=True):
    """A call for proposals as stored."""

    __tablename__ = "calls"
    __table_args__ = IDS_NEVER_REUSED

    id: int | None = Field(default=None, primary_key=True)
    required_stakeholders: dict[str, int] = Field(default_factory=dict, sa_type=JSON)
    # The key that published the call, which alone (with admins) may change it; null for calls
    # an admin token or an import created, and for calls published before it was recorded. No
    # foreign key: SQLite adds one only by rebuilding `calls`, which drafts point at, and the
    # keys that publish (publisher and admin keys) are revoked, never deleted.
    created_by_key_id: int | None = Field(default=None, index=True)
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
    version: int = Field(default=1)


# Topic identifiers are case-insensitive in practice: stored upper-case, so that "rt-call-1"
# and "RT-CALL-1" are one identifier, which the unique index then holds once. A past
# project's `call` (models.organisation.Activity) is one too.
IDENTIFIER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._/-]*$"
Identifier = Annotated[
    str,
    PydanticField(min_length=1, max_length=120, pattern=IDENTIFIER_PATTERN),
    AfterValidator(str.upper),
]
Requirements = Annotated[
    dict[StakeholderType, Annotated[Int, PydanticField(ge=0, le=100)]],
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


# What each field of a call means, shared by the schemas that show it.
CALL_FIELDS: dict[str, str] = {
    "id": "The call's id, used in every URL about it.",
    "identifier": "The call's topic identifier, such as HORIZON-HLTH-2024-DISEASE-03-01 "
    "(letters, digits, `.`, `_`, `/` and `-`): unique, compared without case, stored "
    "upper-case.",
    "title": "The call's title.",
    "programme": "The funding programme, such as IHI, IMI2 or HORIZON; null when unknown.",
    "description": "The call's scope and expected outcomes: the text partners are matched against.",
    "required_stakeholders": "How many partners of each stakeholder type a consortium needs, "
    'such as {"academia": 2, "sme": 1}.',
    "min_countries": "How many different countries a consortium must span.",
    "max_partners": "The most partners a consortium may have; null when the call sets no limit.",
    "opening_date": "The day the call opens for submissions (null: already open).",
    "deadline": "The day submissions close (null: no deadline known).",
    "rule_set": "The programme's consortium rules the call is checked against: "
    "`horizon-europe` (three independent entities in different Member States or Associated "
    "Countries, one in a Member State), `horizon-europe-csa` (coordination and support "
    "actions: one entity), `horizon-europe-single` (ERC and other single-beneficiary actions: "
    "one entity in a Member State or Associated Country), `ihi` or `none`.",
    "programme_part": "The part of Horizon Europe, where associations differ by part.",
    "two_stage": "Whether the call has two stages (IHI: stage 1 admits no industry members).",
    "verified_types_required": "Whether only members whose type an admin verified count "
    "towards the call's `regulator`, `patient_organisation` and `public_body` places (see an "
    "organisation's `type_verified`); false by default, when every member counts as its "
    "declared type.",
    "status": "Where the call stands today, from its dates: `forthcoming`, `open` or `closed`.",
    "created_at": "When the call was stored (UTC).",
    "updated_at": "When the call last changed (UTC).",
    "suggested_requirements": "When the call was created without `required_stakeholders`, the "
    "stakeholder mix its title and description name (one partner of each type mentioned, such "
    'as "patient organisations", "SMEs", "regulators" or "hospitals"), for the coordinator to '
    "confirm with a PATCH; it is not stored or applied. Empty when the call came with "
    "requirements or its text names none.",
    "version": "Goes up by one on every change; send it in If-Match to refuse stale writes "
    "(it is also the ETag).",
}


class CallCreate(BaseModel):
    """A new call for proposals; server-owned fields are refused."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_EXAMPLE]})

    identifier: Identifier = PydanticField(description=CALL_FIELDS["identifier"])
    title: Annotated[str, line(500, min_length=1)] = PydanticField(description=CALL_FIELDS["title"])
    programme: Annotated[str, line(100)] | None = PydanticField(
        default=None, description=CALL_FIELDS["programme"]
    )
    description: Annotated[str, text(MAX_CALL_DESCRIPTION)] = PydanticField(
        default="", description=CALL_FIELDS["description"]
    )
    required_stakeholders: Requirements = PydanticField(
        default={}, description=CALL_FIELDS["required_stakeholders"]
    )
    min_countries: Annotated[Int, PydanticField(ge=0, le=50)] = PydanticField(
        default=3, description=CALL_FIELDS["min_countries"]
    )
    max_partners: Annotated[Int, PydanticField(ge=1, le=500)] | None = PydanticField(
        default=None, description=CALL_FIELDS["max_partners"]
    )
    opening_date: IsoDate | None = PydanticField(
        default=None, description=CALL_FIELDS["opening_date"]
    )
    deadline: IsoDate | None = PydanticField(default=None, description=CALL_FIELDS["deadline"])
    rule_set: RuleSet | None = PydanticField(
        default=None,
        description="The programme's consortium rules (`horizon-europe`, `horizon-europe-csa`, "
        "`horizon-europe-single`, `ihi` or `none`); by default taken from the programme (IHI "
        "-> ihi; Horizon Europe clusters and missions, and HORIZON alone, for three countries "
        "or more -> horizon-europe; else none; the CORDIS import also names CSAs and ERC "
        "grants). A later change of programme or countries brings its default along, unless "
        "the rule set was chosen.",
    )
    programme_part: ProgrammePart | None = PydanticField(
        default=None, description="The part of Horizon Europe, where associations differ by part."
    )
    two_stage: Flag = PydanticField(
        default=False, description="A two-stage call (IHI: stage 1 admits no industry members)."
    )
    verified_types_required: Flag = PydanticField(
        default=False, description=CALL_FIELDS["verified_types_required"]
    )

    @model_validator(mode="after")
    def _rule_set_from_programme(self) -> Self:
        """Every way a call comes in (API, import, demo) gets the programme's rule set."""
        if self.rule_set is None:
            self.rule_set, part = default_rule_set(self.programme, min_countries=self.min_countries)
            self.programme_part = self.programme_part or part
        return self


# Columns that are NOT NULL: a partial update may leave them out, not set them to null.
CALL_NOT_NULL = (
    "identifier",
    "title",
    "description",
    "required_stakeholders",
    "min_countries",
    "rule_set",
    "two_stage",
    "verified_types_required",
)


class CallUpdate(BaseModel):
    """A partial update: only the fields given change."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra=without_null(
            *CALL_NOT_NULL,
            examples=[{"deadline": "2024-03-05"}],
        ),
    )

    identifier: Identifier | None = PydanticField(
        default=None, description=CALL_FIELDS["identifier"]
    )
    title: Annotated[str, line(500, min_length=1)] | None = PydanticField(
        default=None, description=CALL_FIELDS["title"]
    )
    programme: Annotated[str, line(100)] | None = PydanticField(
        default=None, description=CALL_FIELDS["programme"]
    )
    description: Annotated[str, text(MAX_CALL_DESCRIPTION)] | None = PydanticField(
        default=None, description=CALL_FIELDS["description"]
    )
    required_stakeholders: Requirements | None = PydanticField(
        default=None, description=CALL_FIELDS["required_stakeholders"]
    )
    min_countries: Annotated[Int, PydanticField(ge=0, le=50)] | None = PydanticField(
        default=None, description=CALL_FIELDS["min_countries"]
    )
    max_partners: Annotated[Int, PydanticField(ge=1, le=500)] | None = PydanticField(
        default=None, description=CALL_FIELDS["max_partners"]
    )
    opening_date: IsoDate | None = PydanticField(
        default=None, description=CALL_FIELDS["opening_date"]
    )
    deadline: IsoDate | None = PydanticField(default=None, description=CALL_FIELDS["deadline"])
    rule_set: RuleSet | None = PydanticField(default=None, description=CALL_FIELDS["rule_set"])
    programme_part: ProgrammePart | None = PydanticField(
        default=None, description=CALL_FIELDS["programme_part"]
    )
    two_stage: Flag | None = PydanticField(default=None, description=CALL_FIELDS["two_stage"])
    verified_types_required: Flag | None = PydanticField(
        default=None, description=CALL_FIELDS["verified_types_required"]
    )

    _not_null = field_validator(*CALL_NOT_NULL, mode="before")(refuse_null)


class CallPublic(BaseModel):
    """A call as anyone may read it, with its status derived from today's date."""

    model_config = ConfigDict(from_attributes=True, json_schema_extra=ex.examples(ex.CALL_PUBLIC))

    id: int = PydanticField(description=CALL_FIELDS["id"])
    identifier: str = PydanticField(description=CALL_FIELDS["identifier"])
    title: str = PydanticField(description=CALL_FIELDS["title"])
    programme: str | None = PydanticField(description=CALL_FIELDS["programme"])
    description: str = PydanticField(description=CALL_FIELDS["description"])
    required_stakeholders: dict[StakeholderType, int] = PydanticField(
        description=CALL_FIELDS["required_stakeholders"]
    )
    min_countries: int = PydanticField(description=CALL_FIELDS["min_countries"])
    max_partners: int | None = PydanticField(description=CALL_FIELDS["max_partners"])
    opening_date: date | None = PydanticField(description=CALL_FIELDS["opening_date"])
    deadline: date | None = PydanticField(description=CALL_FIELDS["deadline"])
    rule_set: RuleSet = PydanticField(description=CALL_FIELDS["rule_set"])
    programme_part: ProgrammePart | None = PydanticField(description=CALL_FIELDS["programme_part"])
    two_stage: bool = PydanticField(description=CALL_FIELDS["two_stage"])
    verified_types_required: bool = PydanticField(
        default=False, description=CALL_FIELDS["verified_types_required"]
    )
    status: CallStatus = PydanticField(description=CALL_FIELDS["status"])
    created_at: UtcDatetime = PydanticField(description=CALL_FIELDS["created_at"])
    updated_at: UtcDatetime = PydanticField(description=CALL_FIELDS["updated_at"])
    version: int = PydanticField(description=CALL_FIELDS["version"])


class CallFound(CallPublic):
    """A call in a list, with the passage of its description a search matched."""

    model_config = ConfigDict(json_schema_extra=ex.examples(ex.CALL_FOUND))

    snippet: list[SnippetPart] | None = PydanticField(
        default=None, description=f"{SNIPPET_DESCRIPTION} Taken from the description."
    )


class CallCreated(CallPublic):
    """A call just published, with the stakeholder mix its text suggests (never applied)."""

    model_config = ConfigDict(json_schema_extra=ex.examples(ex.CALL_CREATED))

    suggested_requirements: dict[StakeholderType, int] = PydanticField(
        default_factory=dict, description=CALL_FIELDS["suggested_requirements"]
    )
