"""The change log: one row per write, so every worker can catch up with the others."""

from sqlmodel import Field, SQLModel


class Change(SQLModel, table=True):
    """A write to a matchable entity, numbered in the order it was made."""

    __tablename__ = "changes"

    id: int | None = Field(default=None, primary_key=True)
    entity: str = Field(max_length=40)
    entity_id: int = Field(index=True)
