"""The change log: one row per write, so every worker can catch up with the others."""

from enum import StrEnum

from sqlmodel import Field, SQLModel

from models.common import IDS_NEVER_REUSED


class Entity(StrEnum):
    """What a change-log row is about: every kind of row whose writes are logged."""

    organisation = "organisation"
    call = "call"
    consortium = "consortium"


class Change(SQLModel, table=True):
    """A write to a matchable entity, numbered in the order it was made."""

    __tablename__ = "changes"
    __table_args__ = IDS_NEVER_REUSED

    id: int | None = Field(default=None, primary_key=True)
    entity: str = Field(max_length=40)  # an Entity, stored as plain text
    entity_id: int = Field(index=True)
