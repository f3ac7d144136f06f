"""Merges of duplicate profiles and claims of CORDIS records: the tables and their schemas."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField
from pydantic.json_schema import JsonDict
from sqlalchemy import DateTime
from sqlmodel import Field, SQLModel

from models.common import IDS_NEVER_REUSED, MAX_ID, Id, Int, UtcDatetime, line, reference, utc_now


class MergeReason(StrEnum):
    """Why two profiles became one."""

    admin = "admin"
    claim = "claim"


class OrganisationMerge(SQLModel, table=True):
    """A profile absorbed into another: kept so that its old id and external id lead on."""

    __tablename__ = "organisation_merges"
    __table_args__ = IDS_NEVER_REUSED

    id: int | None = Field(default=None, primary_key=True)
    survivor_id: int = Field(sa_column=reference("organisations", nullable=False, index=True))
    # The absorbed row is deleted, so these are plain values, not references.
    absorbed_id: int = Field(index=True, unique=True)
    absorbed_external_id: str | None = Field(default=None, max_length=64, index=True)
    absorbed_name: str = Field(max_length=300)
    reason: str = Field(max_length=16)  # a MergeReason
    claim_id: int | None = Field(default=None)
    merged_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))


class DeletedRecord(SQLModel, table=True):
    """An imported record whose profile was deleted (its own, or the profile it was merged
    into): imports do not create it again until an admin forgets the deletion. Only the
    external id and the time are kept, nothing of the profile."""

    __tablename__ = "deleted_records"

    external_id: str = Field(primary_key=True, max_length=64)
    deleted_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))


class ClaimStatus(StrEnum):
    """Where a claim stands: pending, or one of the final statuses that say how it ended."""

    pending = "pending"
    confirmed = "confirmed"
    # Taken back by the claimant (or an admin) before it was confirmed.
    withdrawn = "withdrawn"
    # The record was merged into a profile by something else (another organisation's
    # confirmed claim, an admin's merge) while this claim waited: it can no longer be confirmed.
    record_merged = "record_merged"
    # The record was deleted while this claim waited.
    record_deleted = "record_deleted"


CLAIM_STATUS_DESCRIPTION = (
    "`pending` until it ends: `confirmed` (by its link or an admin: the record merged into "
    "the claimant), `withdrawn` (by the claimant, or an admin), `record_merged` (the record "
    "was merged into a profile some other way, such as another organisation's confirmed "
    "claim, while this one waited) or `record_deleted` (the record was deleted while it "
    "waited). Only a pending claim can be confirmed or withdrawn."
)


class ConfirmedBy(StrEnum):
    """How a claim was confirmed."""

    link = "link"
    admin = "admin"


class Claim(SQLModel, table=True):
    """An organisation's claim to a CORDIS record: pending until its link is used or an admin
    confirms it. Only the hash of the link's token is stored."""

    __tablename__ = "claims"
    __table_args__ = IDS_NEVER_REUSED

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(sa_column=reference("organisations", nullable=False, index=True))
    # The imported profile claimed; null once it is merged or deleted (the status says which).
    record_id: int | None = Field(
        default=None,
        sa_column=reference("organisations", ondelete="SET NULL", nullable=True, index=True),
    )
    external_id: str = Field(max_length=64)
    email: str | None = Field(default=None, max_length=320)
    token_hash: str | None = Field(default=None, max_length=64, unique=True)
    status: str = Field(default=ClaimStatus.pending.value, max_length=16)
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
    expires_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    confirmed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    confirmed_by: str | None = Field(default=None, max_length=16)  # a ConfirmedBy


class MergeRequest(BaseModel):
    """The profile to absorb into the one in the path."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"absorb": 15, "absorb_version": 3}]}
    )

    absorb: Id = PydanticField(
        description="The id of the profile to merge into this one; it is deleted, and its id "
        "then answers 404 naming this profile."
    )
    absorb_version: Annotated[Int, PydanticField(ge=1, le=MAX_ID)] | None = PydanticField(
        default=None,
        description="The absorbed profile's version as last read (its ETag); a newer one "
        "refuses the merge with 412. Send If-Match for this profile's own version.",
    )


class ClaimCreate(BaseModel):
    """A claim to a CORDIS record, and where to send the link that confirms it."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"record": "999991428", "email": "partnering"}]},
    )

    record: Annotated[str, line(64, min_length=1)] = PydanticField(
        description="The CORDIS organisation id (in CORDIS's open data it is the PIC), as "
        "`999991428` or `cordis:999991428`: the external id of an imported profile."
    )
    email: Annotated[str, line(320)] | None = PydanticField(
        default=None,
        description="Where to send the confirmation link: an address on the record's own web "
        "domain (the host of its website, or a subdomain), given in full or as its local part "
        "(`partnering` becomes partnering@<domain>). Leave it out to wait for an admin.",
    )


_CLAIM_EXAMPLE: JsonDict = {
    "id": 4,
    "organisation_id": 12,
    "record_id": 15,
    "external_id": "cordis:999991428",
    "email": "partnering@oncomark.example",
    "status": "pending",
    "created_at": "2026-12-05T09:00:00Z",
    "expires_at": "2026-12-07T09:00:00Z",
    "confirmed_at": None,
    "confirmed_by": None,
}


class ClaimPublic(BaseModel):
    """A claim as its organisation and admins see it: never its link."""

    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [_CLAIM_EXAMPLE]}
    )

    id: int = PydanticField(description="The claim's id.")
    organisation_id: int = PydanticField(description="The organisation that claims.")
    record_id: int | None = PydanticField(
        description="The imported profile claimed; null once it was merged into a profile or "
        "deleted (`status` says which)."
    )
    external_id: str = PydanticField(description="The claimed record's external id.")
    email: str | None = PydanticField(
        description="Where the confirmation link was sent; null when an admin is to confirm."
    )
    status: ClaimStatus = PydanticField(description=CLAIM_STATUS_DESCRIPTION)
    created_at: UtcDatetime = PydanticField(description="When the claim was made (UTC).")
    expires_at: UtcDatetime | None = PydanticField(
        description="Until when the e-mailed link works (UTC); an admin may confirm later."
    )
    confirmed_at: UtcDatetime | None = PydanticField(description="When it was confirmed (UTC).")
    confirmed_by: ConfirmedBy | None = PydanticField(
        description="`link` (the e-mailed link was used) or `admin`."
    )
