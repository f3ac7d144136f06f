"""Key recovery: one-time links e-mailed to an organisation's contact address.

Only the hash of a link's token is stored, like an API key's secret; the token travels only in
the e-mail. A token is good for one use, for one organisation, within its lifetime.
"""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, EmailStr
from pydantic import Field as PydanticField
from sqlalchemy import DateTime
from sqlmodel import Field, SQLModel

from models.common import IDS_NEVER_REUSED, reference, utc_now


class KeyRecoveryToken(SQLModel, table=True):
    """A recovery link as stored: the hash of its token, never the token."""

    __tablename__ = "key_recovery_tokens"
    __table_args__ = IDS_NEVER_REUSED

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(sa_column=reference("organisations", nullable=False, index=True))
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
    expires_at: datetime = Field(sa_type=DateTime(timezone=True))
    used_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class KeyRecoveryRequest(BaseModel):
    """Who asks for a recovery link: the organisation's contact address, as stored."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"contact_email": "partnering@oncomark.example"}]},
    )

    contact_email: EmailStr = PydanticField(
        max_length=320,
        description="The organisation's contact address. The link is sent there, and only "
        "when it is the address the profile holds (compared without regard to case).",
    )


class KeyRecoveryAccepted(BaseModel):
    """The same answer whether or not a link was sent, so that it reveals nothing."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "detail": "If the organisation exists and the address is its contact "
                    "address, a link valid for 30 minutes is on its way there."
                }
            ]
        }
    )

    detail: str = PydanticField(description="What happens next, the same in every case.")
