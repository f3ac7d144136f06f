"""API keys: bearer tokens stored only as hashes, each with a role."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Column, DateTime, ForeignKey, Integer, String
from sqlmodel import Field, SQLModel

from models.common import Id, UtcDatetime, line, utc_now


class KeyRole(StrEnum):
    """What a key may do."""

    admin = "admin"
    coordinator = "coordinator"
    organisation = "organisation"


class ApiKey(SQLModel, table=True):
    """A key as stored: a lookup prefix and the hash of the secret, never the secret."""

    __tablename__ = "api_keys"

    id: int | None = Field(default=None, primary_key=True)
    prefix: str = Field(max_length=16, unique=True, index=True)
    secret_hash: str = Field(max_length=64)
    role: KeyRole = Field(sa_type=String(20))
    organisation_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("organisations.id", ondelete="CASCADE"), nullable=True, index=True
        ),
    )
    label: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
    revoked_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class KeyCreate(BaseModel):
    """A key to issue; organisation keys name their organisation."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"role": "coordinator", "label": "IHI programme office"}]},
    )

    role: KeyRole
    organisation_id: Id | None = None
    label: Annotated[str, line(200)] = ""


class KeyPublic(BaseModel):
    """A key as listed: never its secret."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    prefix: str
    role: KeyRole
    organisation_id: int | None
    label: str
    created_at: UtcDatetime
    revoked_at: UtcDatetime | None


class IssuedKey(KeyPublic):
    """A key just issued: the token is shown this once and never again."""

    token: str
