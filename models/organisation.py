"""Organisation profiles: the table and the schemas the API reads and writes."""

import re
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AnyHttpUrl,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic import Field as PydanticField
from pydantic.json_schema import JsonDict
from sqlalchemy import JSON, DateTime, Dialect, String, TypeDecorator
from sqlmodel import Field, SQLModel

from models import examples as ex
from models.call import Identifier
from models.common import (
    IDS_NEVER_REUSED,
    SNIPPET_DESCRIPTION,
    CountryCode,
    Flag,
    Int,
    SnippetPart,
    StakeholderType,
    UtcDatetime,
    line,
    refuse_null,
    text,
    type_verified,
    utc_now,
    without_null,
)

MAX_DESCRIPTION = 20_000
MAX_KEYWORDS = 50
MAX_ACTIVITIES = 300

Keyword = Annotated[str, line(100, min_length=1)]


def distinct_keywords(keywords: Iterable[str]) -> list[str]:
    """Keywords without repeats: the first of those alike but for case. A keyword listed twice
    says nothing more, and must weigh no more in matching."""
    seen: set[str] = set()
    kept = []
    for keyword in keywords:
        if (key := keyword.casefold()) not in seen:
            seen.add(key)
            kept.append(keyword)
    return kept


Keywords = Annotated[
    list[Keyword], PydanticField(max_length=MAX_KEYWORDS), AfterValidator(distinct_keywords)
]
# A bare host name, optionally with a port and a path: what people type for a website.
_BARE_HOST = re.compile(r"^[\w-]+(\.[\w-]+)+(:\d+)?([/?#]|$)")


def with_scheme(value: object) -> object:
    """Read a web address typed without its scheme (`example.org/about`) as https."""
    if isinstance(value, str) and _BARE_HOST.match(value.strip()):
        return f"https://{value.strip()}"
    return value


def holds_credentials(url: str) -> bool:
    """Whether a URL carries a user name or password (`https://user:pass@host/`): a link that
    shows one host and leads to another, or leaks a secret. Webhooks refuse them too."""
    authority = re.split(r"[/?#]", url.partition("//")[2], maxsplit=1)[0]
    return "@" in authority


def without_credentials(url: AnyHttpUrl) -> AnyHttpUrl:
    """Refuse a web address with a user name or password in it."""
    if holds_credentials(str(url)):
        raise ValueError("Must not hold a user name or password (user:password@).")
    return url


Url = Annotated[
    AnyHttpUrl,
    BeforeValidator(with_scheme),
    AfterValidator(without_credentials),
    PydanticField(max_length=500),
]


# What each field of a profile means, shared by the schemas that show it.
ORGANISATION_FIELDS: dict[str, str] = {
    "id": "The organisation's id, used in every URL about it.",
    "name": "The organisation's name.",
    "stakeholder_type": "The kind of organisation, which calls ask for by number.",
    "type_verified": "Whether an admin verified the stakeholder type: for `regulator`, "
    "`patient_organisation` and `public_body` (which anyone could claim to be) false until an "
    "admin checks it, and false again whenever the type changes; null for the other types, "
    "which are self-declared and never verified. Calls may require verified members of those "
    "types (`verified_types_required`).",
    "type_verified_at": "When an admin verified the stakeholder type (UTC); null while it is "
    "not verified.",
    "country": "Where the organisation is, as an ISO 3166-1 alpha-2 code such as NL (XK: "
    "Kosovo); given in any case, stored upper-case.",
    "city": "The city the organisation is in.",
    "external_id": "Its id in the source it was imported from (CORDIS's organisation id); "
    "null for profiles registered over the API.",
    "description": "What the organisation does and knows: the main text it is matched on.",
    "keywords": "Areas of expertise, a few words each; matched like the description. A "
    "keyword listed again (in any case) is kept once.",
    "activities": "Past projects and publications that show the organisation's expertise; "
    "their titles and summaries are matched too.",
    "website": "The organisation's web address; one given without `https://` "
    "(`example.org`) is read as https.",
    "group": "The group of affiliated entities (a legal or capital link) the organisation "
    "belongs to, as a free name such as Siemens; members of one group count as one independent "
    "entity in the programme rules. Null when it declares none.",
    "ihi_contributor": "IHI calls: whether the organisation is a member of one of the industry "
    "associations whose members fund IHI (COCIR, EFPIA, EuropaBio, MedTech Europe) or in the same "
    'company group as a member (a "constituent or affiliated entity"), or a contributing '
    "partner, taking part with in-kind contributions and not funded. Null means yes for type "
    "industry, no for every other type.",
    "contact_email": "Who to write to about partnering: shown only to the organisation's own "
    "keys and admins.",
    "kept_on_import": "The fields of an imported record that a CORDIS import leaves as they "
    "are: those written here since the import (by the organisation, an admin or a merge), and "
    "the stakeholder type while an admin's verification of it stands. Empty for a profile "
    "registered here, which no import changes. Shown only to the organisation's own keys and "
    "admins.",
    "created_at": "When the profile was created (UTC).",
    "updated_at": "When the profile last changed (UTC).",
    "confirmed_at": "When the profile was last confirmed as current (UTC): on creation, and "
    "by its owner's POST /organisations/{id}/confirm.",
    "stale": "True once the last confirmation is older than MATCHMAKER_STALE_AFTER_MONTHS "
    '(13 by default): show it as "last confirmed on" its confirmed_at.',
    "version": "Goes up by one on every change; send it in If-Match to refuse stale writes "
    "(it is also the ETag).",
    "possible_duplicates": "Stored profiles this one looks like (same website host, or a "
    "near-identical name in the same country): the profile is created all the same; if it "
    "is one of them, ask an admin to merge the two or claim the imported record.",
    "api_key": "The new organisation's own key: shown only in this answer, stored only as a "
    "hash. Send it as `Authorization: Bearer <key>` to edit the profile and build drafts.",
    "api_key_id": "The id of that key (labelled `owner`), as the organisation's export lists "
    "it: `DELETE /admin/keys/{key_id}` with another of the organisation's keys revokes it.",
}
ACTIVITY_FIELDS: dict[str, str] = {
    "title": "The project's or publication's title.",
    "summary": "What it was about, in a few sentences.",
    "year": "The year it started or was published.",
    "url": "Its page; an address without `https://` is read as https.",
    "call": "The call (topic) the project was funded under, by its identifier as on the "
    "grant agreement, such as HORIZON-CL5-2022-D3-01-05 (letters, digits, `.`, `_`, `/` and "
    "`-`; given in any case, stored upper-case). Optional: null when not given, as for a "
    "publication. Shown with the project, never matched: it changes no score.",
    "verified": "True for a project taken from a CORDIS record the organisation proved it "
    "owns (a confirmed claim); set by the service only, never by a client.",
}


class ProjectRole(StrEnum):
    """The part an organisation played in a past project, as CORDIS names them."""

    coordinator = "coordinator"
    participant = "participant"
    associated_partner = "associated_partner"
    third_party = "third_party"


class Activity(BaseModel):
    """A past project or publication that shows an organisation's expertise."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=ex.examples(ex.ACTIVITY))

    title: Annotated[str, line(500, min_length=1)] = PydanticField(
        description=ACTIVITY_FIELDS["title"]
    )
    summary: Annotated[str, text(5_000)] = PydanticField(
        default="", description=ACTIVITY_FIELDS["summary"]
    )
    year: Annotated[Int, PydanticField(ge=1900, le=2100)] | None = PydanticField(
        default=None, description=ACTIVITY_FIELDS["year"]
    )
    url: Url | None = PydanticField(default=None, description=ACTIVITY_FIELDS["url"])
    role: ProjectRole | None = PydanticField(
        default=None, description="The organisation's part in the project (none for a publication)."
    )
    # Checked as a call's own identifier is, so that it reads as the stored call's.
    call: Identifier | None = PydanticField(default=None, description=ACTIVITY_FIELDS["call"])
    # Read-only, as answers show it: a client may send a list back as it read it.
    verified: Flag | None = PydanticField(
        default=None,
        exclude=True,
        description="Read-only: whether a confirmed claim verified the past project, as answers "
        "show it. Ignored when sent, so that a list can be sent back as it was read: a past "
        "project stays verified while it says the same, and no other becomes verified.",
    )


class ActivityPublic(Activity):
    """A past project as shown: what was given, and whether it is verified."""

    model_config = ConfigDict(extra="ignore", json_schema_extra=ex.examples(ex.ACTIVITY_SHOWN))

    verified: bool = PydanticField(default=False, description=ACTIVITY_FIELDS["verified"])


class OrganisationFields(SQLModel):
    """What an organisation says about itself, shared by the table and the schemas."""

    name: str = Field(min_length=1, max_length=300, index=True)
    stakeholder_type: StakeholderType = Field(index=True, sa_type=String(32))
    country: str = Field(min_length=2, max_length=2, index=True)
    city: str | None = Field(default=None, max_length=200)
    description: str = Field(default="", max_length=MAX_DESCRIPTION)
    website: str | None = Field(default=None, max_length=500)
    # Affiliated entities declare one group name: members of one group count as one entity.
    group: str | None = Field(default=None, max_length=200, index=True)
    # IHI: a constituent or affiliated entity of a private member or a contributing partner
    # (takes part with in-kind contributions, not funded); None: assumed for type industry.
    ihi_contributor: bool | None = Field(default=None)


# What a past project's optional fields hold when not given (`verified` is set only by a claim).
ACTIVITY_DEFAULTS: dict[str, Any] = {
    name: field.default
    for name, field in Activity.model_fields.items()
    if not field.is_required() and name != "verified"
}


class StoredActivities(TypeDecorator[list[dict[str, Any]]]):
    """Past projects as JSON, read back with every optional field present: one stored before a
    field existed (`call`, say) has it at its default. So a stored list compares equal to the
    same list sent again, and a new field rewrites nothing: not a profile sent back unchanged,
    not an imported record whose source leaves the field empty."""

    impl = JSON
    cache_ok = True

    def process_result_value(
        self, value: list[dict[str, Any]] | None, dialect: Dialect
    ) -> list[dict[str, Any]] | None:
        """The stored list, each past project with the optional fields it lacks at their
        defaults."""
        if value is None:
            return None
        return [{**ACTIVITY_DEFAULTS, **activity} for activity in value]


class Organisation(OrganisationFields, table=True):
    """An organisation profile as stored."""

    __tablename__ = "organisations"
    __table_args__ = IDS_NEVER_REUSED

    id: int | None = Field(default=None, primary_key=True)
    external_id: str | None = Field(default=None, max_length=64, unique=True, index=True)
    keywords: list[str] = Field(default_factory=list, sa_type=JSON)
    activities: list[dict[str, Any]] = Field(default_factory=list, sa_type=StoredActivities)
    contact_email: str | None = Field(default=None, max_length=320)
    # What duplicates are found by (matchmaker.trust.duplicates), kept in step on every write.
    name_key: str = Field(default="", max_length=300, index=True)
    website_host: str | None = Field(default=None, max_length=255, index=True)
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
    version: int = Field(default=1)
    # When the owner last said the profile is current (set on creation). Existing rows took
    # their created_at; the constant server default exists only for that migration.
    confirmed_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
    # Set only by an admin (matchmaker.trust.verification); cleared when the type changes.
    type_verified_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    # An imported record's fields written here since its import (by its organisation, an admin
    # or a merge): imports leave them as they are (`kept_from_import`). Empty for the others.
    owned_fields: list[str] = Field(default_factory=list, sa_type=JSON)

    @property
    def type_verified(self) -> bool | None:
        """Whether an admin verified the type; None for types that are never verified."""
        return type_verified(self.stakeholder_type, self.type_verified_at)

    @property
    def kept_on_import(self) -> list[str]:
        """The fields an import leaves as they are (`kept_from_import`), sorted; none for a
        profile registered here."""
        return sorted(kept_from_import(self)) if self.external_id is not None else []


def dropped_verification(row: Organisation, changes: dict[str, Any]) -> dict[str, Any]:
    """The change that clears a verified type when a write changes the profile's type: the
    admin verified what the profile was, not what it says now."""
    new_type = changes.get("stakeholder_type")
    changed = new_type is not None and str(new_type) != str(row.stakeholder_type)
    return {"type_verified_at": None} if changed and row.type_verified_at is not None else {}


def kept_from_import(row: Organisation) -> set[str]:
    """The fields an import leaves as they are: those written here since the record was
    imported (`owned_fields`), and the type while an admin's verification of it stands (an
    import never drops a verification)."""
    kept = set(row.owned_fields)
    if row.type_verified_at is not None:
        kept.add("stakeholder_type")
    return kept


def owned_now(row: Organisation, changes: dict[str, Any]) -> dict[str, Any]:
    """The change that adds the profile fields a write changes to an imported record's
    `owned_fields` (nothing for a profile registered here, which no import touches)."""
    if row.external_id is None:
        return {}
    changed = {
        name
        for name, value in changes.items()
        if name in OWNABLE_FIELDS and getattr(row, name) != value
    }
    if changed <= set(row.owned_fields):
        return {}
    return {"owned_fields": sorted(changed | set(row.owned_fields))}


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

    name: Annotated[str, line(300, min_length=1)] = PydanticField(
        description=ORGANISATION_FIELDS["name"]
    )
    stakeholder_type: StakeholderType = PydanticField(
        description=ORGANISATION_FIELDS["stakeholder_type"]
    )
    country: CountryCode = PydanticField(description=ORGANISATION_FIELDS["country"])
    city: Annotated[str, line(200)] | None = PydanticField(
        default=None, description=ORGANISATION_FIELDS["city"]
    )
    description: Annotated[str, text(MAX_DESCRIPTION)] = PydanticField(
        default="", description=ORGANISATION_FIELDS["description"]
    )
    keywords: Keywords = PydanticField(default=[], description=ORGANISATION_FIELDS["keywords"])
    activities: Annotated[list[Activity], PydanticField(max_length=MAX_ACTIVITIES)] = PydanticField(
        default=[], description=ORGANISATION_FIELDS["activities"]
    )
    website: Url | None = PydanticField(default=None, description=ORGANISATION_FIELDS["website"])
    contact_email: EmailStr | None = PydanticField(
        default=None, description=ORGANISATION_FIELDS["contact_email"]
    )
    group: Annotated[str, line(200, min_length=1)] | None = PydanticField(
        default=None, description=ORGANISATION_FIELDS["group"]
    )
    ihi_contributor: Flag | None = PydanticField(
        default=None, description=ORGANISATION_FIELDS["ihi_contributor"]
    )


# Columns that are NOT NULL: a partial update may leave them out, not set them to null.
ORGANISATION_NOT_NULL = (
    "name",
    "stakeholder_type",
    "country",
    "description",
    "keywords",
    "activities",
)


class OrganisationUpdate(BaseModel):
    """A partial update: only the fields given change."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra=without_null(
            *ORGANISATION_NOT_NULL,
            examples=[{"city": "Utrecht", "keywords": ["ctDNA"]}],
        ),
    )

    name: Annotated[str, line(300, min_length=1)] | None = PydanticField(
        default=None, description=ORGANISATION_FIELDS["name"]
    )
    stakeholder_type: StakeholderType | None = PydanticField(
        default=None, description=ORGANISATION_FIELDS["stakeholder_type"]
    )
    country: CountryCode | None = PydanticField(
        default=None, description=ORGANISATION_FIELDS["country"]
    )
    city: Annotated[str, line(200)] | None = PydanticField(
        default=None, description=ORGANISATION_FIELDS["city"]
    )
    description: Annotated[str, text(MAX_DESCRIPTION)] | None = PydanticField(
        default=None, description=ORGANISATION_FIELDS["description"]
    )
    keywords: Keywords | None = PydanticField(
        default=None, description=ORGANISATION_FIELDS["keywords"]
    )
    activities: Annotated[list[Activity], PydanticField(max_length=MAX_ACTIVITIES)] | None = (
        PydanticField(default=None, description=ORGANISATION_FIELDS["activities"])
    )
    website: Url | None = PydanticField(default=None, description=ORGANISATION_FIELDS["website"])
    contact_email: EmailStr | None = PydanticField(
        default=None, description=ORGANISATION_FIELDS["contact_email"]
    )
    group: Annotated[str, line(200, min_length=1)] | None = PydanticField(
        default=None, description=ORGANISATION_FIELDS["group"]
    )
    ihi_contributor: Flag | None = PydanticField(
        default=None, description=ORGANISATION_FIELDS["ihi_contributor"]
    )

    _not_null = field_validator(*ORGANISATION_NOT_NULL, mode="before")(refuse_null)


# The fields a write can make an imported record's own (`owned_now`): those an owner can edit.
OWNABLE_FIELDS = frozenset(OrganisationUpdate.model_fields)


class OrganisationSummary(BaseModel):
    """The few fields that identify an organisation in lists of matches."""

    model_config = ConfigDict(
        from_attributes=True, json_schema_extra=ex.examples(ex.ORGANISATION_SUMMARY)
    )

    id: int = PydanticField(description=ORGANISATION_FIELDS["id"])
    name: str = PydanticField(description=ORGANISATION_FIELDS["name"])
    stakeholder_type: StakeholderType = PydanticField(
        description=ORGANISATION_FIELDS["stakeholder_type"]
    )
    country: str = PydanticField(description=ORGANISATION_FIELDS["country"])
    type_verified: bool | None = PydanticField(
        default=None, description=ORGANISATION_FIELDS["type_verified"]
    )


class OrganisationPublic(OrganisationSummary):
    """A profile as anyone may read it: no personal data."""

    model_config = ConfigDict(json_schema_extra=ex.examples(ex.ORGANISATION_PUBLIC))

    city: str | None = PydanticField(description=ORGANISATION_FIELDS["city"])
    external_id: str | None = PydanticField(
        default=None, description=ORGANISATION_FIELDS["external_id"]
    )
    description: str = PydanticField(description=ORGANISATION_FIELDS["description"])
    keywords: list[str] = PydanticField(description=ORGANISATION_FIELDS["keywords"])
    activities: list[ActivityPublic] = PydanticField(description=ORGANISATION_FIELDS["activities"])
    website: str | None = PydanticField(description=ORGANISATION_FIELDS["website"])
    group: str | None = PydanticField(default=None, description=ORGANISATION_FIELDS["group"])
    ihi_contributor: bool | None = PydanticField(
        default=None, description=ORGANISATION_FIELDS["ihi_contributor"]
    )
    created_at: UtcDatetime = PydanticField(description=ORGANISATION_FIELDS["created_at"])
    updated_at: UtcDatetime = PydanticField(description=ORGANISATION_FIELDS["updated_at"])
    version: int = PydanticField(description=ORGANISATION_FIELDS["version"])
    confirmed_at: UtcDatetime = PydanticField(description=ORGANISATION_FIELDS["confirmed_at"])
    type_verified_at: UtcDatetime | None = PydanticField(
        default=None, description=ORGANISATION_FIELDS["type_verified_at"]
    )
    stale: bool = PydanticField(default=False, description=ORGANISATION_FIELDS["stale"])

    @model_validator(mode="after")
    def _staleness(self, info: ValidationInfo) -> "OrganisationPublic":
        """Mark the profile stale when validated with a `stale_before` context (the API's
        routers pass the one the settings give; see matchmaker.trust.freshness)."""
        stale_before = (info.context or {}).get("stale_before")
        if stale_before is not None:
            self.stale = self.confirmed_at < stale_before
        return self


class OrganisationFound(OrganisationPublic):
    """A profile in a list, with the passage of its profile a search matched."""

    model_config = ConfigDict(json_schema_extra=ex.examples(ex.ORGANISATION_FOUND))

    snippet: list[SnippetPart] | None = PydanticField(
        default=None,
        description=f"{SNIPPET_DESCRIPTION} Taken from the description, keywords or past "
        "projects, whichever matched best.",
    )


class OrganisationPrivate(OrganisationPublic):
    """A profile as its owner sees it, personal data included."""

    model_config = ConfigDict(json_schema_extra=ex.examples(ex.ORGANISATION_PRIVATE))

    contact_email: str | None = PydanticField(description=ORGANISATION_FIELDS["contact_email"])
    kept_on_import: list[str] = PydanticField(
        default=[], description=ORGANISATION_FIELDS["kept_on_import"]
    )


class DuplicateReason(StrEnum):
    """Why a stored profile looks like another: what they share."""

    external_id = "external_id"
    website = "website"
    name = "name"


class PossibleDuplicate(OrganisationSummary):
    """A stored profile that looks like the one written, and why."""

    model_config = ConfigDict(
        json_schema_extra=ex.examples(
            {**ex.ORGANISATION_SUMMARY, "external_id": "cordis:999991428", "reasons": ["website"]}
        )
    )

    # Whether it is an imported record, which its organisation may claim, or a profile
    # registered here, which only an admin's merge joins to another.
    external_id: str | None = PydanticField(
        default=None, description=ORGANISATION_FIELDS["external_id"]
    )
    reasons: list[DuplicateReason] = PydanticField(
        description="What the two share: `external_id`, the `website` host, or a near-"
        "identical `name` (compared without case, accents, punctuation or legal form such as "
        "GmbH or B.V.) in the same country."
    )


class OrganisationCreated(OrganisationPrivate):
    """A profile just created, with the owner key's token: shown this once, stored only hashed."""

    model_config = ConfigDict(json_schema_extra=ex.examples(ex.ORGANISATION_CREATED))

    api_key: str = PydanticField(description=ORGANISATION_FIELDS["api_key"])
    api_key_id: int = PydanticField(description=ORGANISATION_FIELDS["api_key_id"])
    possible_duplicates: list[PossibleDuplicate] = PydanticField(
        default=[], description=ORGANISATION_FIELDS["possible_duplicates"]
    )
