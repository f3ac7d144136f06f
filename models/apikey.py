"""API keys: bearer tokens stored only as hashes, each with a role."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, WithJsonSchema
from pydantic import Field as PydanticField
from pydantic.json_schema import JsonDict
from sqlalchemy import DateTime, String
from sqlmodel import Field, SQLModel

from models.common import IDS_NEVER_REUSED, Id, UtcDatetime, line, reference, utc_now

# Old role names still accepted: a "coordinator" key published calls, which EU users read as a
# consortium's lead (what a draft's coordinator member is), so the role became "publisher".
ROLE_ALIASES = {"coordinator": "publisher"}


class KeyRole(StrEnum):
    """What a key may do: `admin` everything; `publisher` publish calls and edit or delete the
    calls it published (`coordinator` is its old name, still accepted); `organisation` act for
    one organisation (its profile, keys and drafts)."""

    admin = "admin"
    publisher = "publisher"
    organisation = "organisation"

    @classmethod
    def _missing_(cls, value: object) -> "KeyRole | None":
        """Read an old role name (`coordinator`) as the role it became."""
        alias = ROLE_ALIASES.get(value.strip().lower()) if isinstance(value, str) else None
        return cls(alias) if alias else None


class ApiKey(SQLModel, table=True):
    """A key as stored: a lookup prefix and the hash of the secret, never the secret."""

    __tablename__ = "api_keys"
    __table_args__ = IDS_NEVER_REUSED

    id: int | None = Field(default=None, primary_key=True)
    prefix: str = Field(max_length=16, unique=True, index=True)
    secret_hash: str = Field(max_length=64)
    role: KeyRole = Field(sa_type=String(20))
    organisation_id: int | None = Field(
        default=None,
        sa_column=reference("organisations", nullable=True, index=True),
    )
    label: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
    revoked_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


ROLE_DESCRIPTION = (
    "What the key may do: `admin` everything; `publisher` publish calls and edit or delete "
    "the calls it published; `organisation` act for one organisation (its profile, keys and "
    "drafts)."
)
# Input also takes the old names, documented so that a client sending one is not surprised.
RoleIn = Annotated[
    KeyRole,
    WithJsonSchema({"type": "string", "enum": [*(role.value for role in KeyRole), *ROLE_ALIASES]}),
    PydanticField(
        description=ROLE_DESCRIPTION + " `coordinator`, the old name of `publisher`, is "
        "accepted and stored as `publisher`."
    ),
]


class KeyCreate(BaseModel):
    """A key to issue; organisation keys name their organisation."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"role": "publisher", "label": "IHI programme office"}]},
    )

    role: RoleIn
    organisation_id: Id | None = PydanticField(
        default=None,
        description="For an organisation key, the organisation it acts for; none for the "
        "other roles.",
    )
    label: Annotated[str, line(200)] = PydanticField(
        default="", description="A note on who holds the key, for the admins' list."
    )


OWNER_LABEL = "owner"


class OrganisationKeyCreate(BaseModel):
    """Another key for an organisation, optionally labelled for the system that will hold it."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"label": "CRM integration"}]}
    )

    label: Annotated[str, line(200, min_length=1)] = PydanticField(
        default=OWNER_LABEL,
        description="A note on who holds the key, shown wherever the key is listed (the "
        "organisation's export, the admins' list); `owner` when left out.",
    )


_KEY_EXAMPLE: JsonDict = {
    "id": 7,
    "prefix": "3f9a1c0b7d2e",
    "role": "publisher",
    "organisation_id": None,
    "label": "IHI programme office",
    "created_at": "2026-12-01T09:30:00Z",
    "revoked_at": None,
}


class KeyPublic(BaseModel):
    """A key as listed: never its secret."""

    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [_KEY_EXAMPLE]})

    id: int = PydanticField(description="The key's id, to revoke it by.")
    prefix: str = PydanticField(
        description="The token's public part, after `mm_`: tells keys apart without the secret."
    )
    role: KeyRole = PydanticField(description=ROLE_DESCRIPTION)
    organisation_id: int | None = PydanticField(
        description="The organisation an organisation key acts for; null for other roles."
    )
    label: str = PydanticField(description="A note on who holds the key.")
    created_at: UtcDatetime = PydanticField(description="When the key was issued (UTC).")
    revoked_at: UtcDatetime | None = PydanticField(
        description="When the key was revoked (UTC); null while it works."
    )


class IssuedKey(KeyPublic):
    """A key just issued: the token is shown this once and never again."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_KEY_EXAMPLE,
                    "token": "mm_3f9a1c0b7d2e_q8XvT2mZr0bKp4fWc7LhN1sYd5GaJ3uE9iOvR6kPwQs",
                }
            ]
        }
    )

    token: str = PydanticField(
        description="The bearer token, `mm_<prefix>_<secret>`: shown only in this answer, "
        "stored only as a hash. Send it as `Authorization: Bearer <token>`."
    )

    @classmethod
    def of(cls, key: object, token: str) -> "IssuedKey":
        """A stored key with its token, as the answer that shows the token once."""
        return cls(**KeyPublic.model_validate(key).model_dump(), token=token)
