"""Two profiles of one organisation made one: an admin's merge, or a confirmed claim's.

The survivor keeps its id, its fields (an empty one takes the absorbed profile's value) and
gains the absorbed profile's activities, keywords, keys, drafts, memberships, partner and
contact requests, claims and any other row that refers to it. The absorbed profile is deleted;
an `OrganisationMerge` row records it, so its old id answers 404 naming the survivor and an
import does not create its external id again. When the survivor is an imported record, the
fields the merge changes become its own (`owned_fields`): later imports leave them as they are.
Both rows are locked (in id order) and their versions checked, so a merge and a concurrent edit
cannot both win.
"""

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    PrimaryKeyConstraint,
    Table,
    UniqueConstraint,
    and_,
    delete,
    exists,
    func,
    select,
    update,
)
from sqlmodel import Session, SQLModel, col

from matchmaker.auth import Principal, require_role
from matchmaker.errors import InvalidInput, NotFound
from matchmaker.keys import ADMIN_ONLY
from matchmaker.organisations import activity_content, get_organisation
from matchmaker.repository import (
    ExpectedVersion,
    check_version,
    versioned_delete,
    versioned_update,
    versioned_update_many,
)
from matchmaker.trust.duplicates import identity
from matchmaker.wording import PROFILE_FIELD_NOUNS
from models.apikey import ApiKey
from models.change import Entity
from models.common import type_verified
from models.consortium import Consortium, ConsortiumMember
from models.keyrecovery import KeyRecoveryToken
from models.organisation import MAX_ACTIVITIES, MAX_KEYWORDS, Organisation, owned_now
from models.partnering import ContactRequest, OrganisationBlock
from models.trust import Claim, ClaimStatus, MergeReason, OrganisationMerge

# Fields the survivor keeps, taking the absorbed profile's value only where its own is empty
# (the city only from a profile in the same country), each as the merge's question names it:
# the one list of what a merge fills, for the merge and for what it is said to do.
FILLED_FROM_ABSORBED = {
    field: PROFILE_FIELD_NOUNS[field]
    for field in ("city", "description", "website", "contact_email", "group", "ihi_contributor")
}
# References not moved: a claim of the absorbed record ends with it (set null above).
_NOT_MOVED = frozenset({("claims", "record_id")})


def merge_organisations(
    session: Session,
    *,
    survivor_id: int,
    absorbed_id: int,
    actor: Principal | None,
    expected_version: ExpectedVersion = None,
    absorbed_version: int | None = None,
    reason: MergeReason = MergeReason.admin,
    claim_id: int | None = None,
    verify_absorbed: bool = False,
) -> Organisation:
    """Merge `absorbed_id` into `survivor_id` (admins only); return the survivor.

    `expected_version` and `absorbed_version` are the versions the caller read (412 when
    either changed since). With `verify_absorbed` (a confirmed claim) the absorbed profile's
    activities are marked verified and come first.
    """
    require_role(actor, ADMIN_ONLY)
    if survivor_id == absorbed_id:
        raise InvalidInput("A profile cannot be merged into itself.", field="absorb")
    locked: dict[int, Organisation] = {}
    for organisation_id in sorted((survivor_id, absorbed_id)):
        try:
            locked[organisation_id] = get_organisation(
                session, organisation_id=organisation_id, for_update=True
            )
        except NotFound as error:
            if organisation_id != absorbed_id:
                raise
            raise NotFound(error.detail, field="absorb") from None
    survivor, absorbed = locked[survivor_id], locked[absorbed_id]
    check_version(survivor, expected_version)
    check_version(absorbed, absorbed_version)
    changes = _merged_fields(survivor, absorbed, verify_absorbed=verify_absorbed)
    # What the merge writes into an imported survivor is kept by later imports.
    changes.update(owned_now(survivor, changes))
    drafts = _drafts_of(session, absorbed_id)
    _move_references(session, survivor_id=survivor_id, absorbed_id=absorbed_id)
    versioned_update_many(session, [(draft, {}) for draft in drafts], entity=Entity.consortium)
    session.add(
        OrganisationMerge(
            survivor_id=survivor_id,
            absorbed_id=absorbed_id,
            absorbed_external_id=absorbed.external_id,
            absorbed_name=absorbed.name,
            reason=reason.value,
            claim_id=claim_id,
        )
    )
    versioned_delete(session, absorbed, entity=Entity.organisation, expected_version=None)
    return versioned_update(
        session, survivor, changes, entity=Entity.organisation, expected_version=None
    )


@dataclass(frozen=True)
class MergeSide:
    """What an administrator weighs before merging a profile into another or another into it:
    where it came from, whether its type is verified, who acts for it, whose domain it gives as
    its contact (the domain only) and how old it is."""

    # The imported record's id (cordis:...); None for a profile registered here.
    external_id: str | None
    # As Organisation.type_verified: None for types that are never verified.
    type_verified: bool | None
    # Keys not revoked: their holders act for the survivor once merged.
    working_keys: int
    contact_domain: str | None
    created_at: datetime
    updated_at: datetime


def merge_sides(session: Session, organisation_ids: Collection[int]) -> dict[int, MergeSide]:
    """The `MergeSide` of each stored profile of these ids, in one query for all of them."""
    if not organisation_ids:
        return {}
    keys = (
        select(col(ApiKey.organisation_id), func.count().label("working"))
        .where(col(ApiKey.organisation_id).in_(organisation_ids), col(ApiKey.revoked_at).is_(None))
        .group_by(col(ApiKey.organisation_id))
        .subquery()
    )
    rows = session.execute(
        select(
            col(Organisation.id),
            col(Organisation.external_id),
            col(Organisation.stakeholder_type),
            col(Organisation.type_verified_at),
            col(Organisation.contact_email),
            col(Organisation.created_at),
            col(Organisation.updated_at),
            func.coalesce(keys.c.working, 0),
        )
        .outerjoin(keys, keys.c.organisation_id == col(Organisation.id))
        .where(col(Organisation.id).in_(organisation_ids))
    ).all()
    return {
        organisation_id: MergeSide(
            external_id=external_id,
            type_verified=type_verified(stakeholder_type, type_verified_at),
            working_keys=working_keys,
            # The domain only: the mailbox is personal data the page need not show.
            contact_domain=contact_email.rpartition("@")[2].casefold() if contact_email else None,
            created_at=created_at,
            updated_at=updated_at,
        )
        for (
            organisation_id,
            external_id,
            stakeholder_type,
            type_verified_at,
            contact_email,
            created_at,
            updated_at,
            working_keys,
        ) in rows
    }


def _merged_fields(
    survivor: Organisation, absorbed: Organisation, *, verify_absorbed: bool
) -> dict[str, Any]:
    """The survivor's new fields: its own, empty ones filled, lists joined without repeats."""
    changes: dict[str, Any] = {
        field: getattr(absorbed, field)
        for field in FILLED_FROM_ABSORBED
        if _empty(getattr(survivor, field)) and not _empty(getattr(absorbed, field))
    }
    if absorbed.country != survivor.country:
        # A city is in its profile's country: Lahti does not go to a Swedish survivor.
        changes.pop("city", None)
    changes["keywords"] = _unique(
        [*survivor.keywords, *absorbed.keywords], key=str.casefold, limit=MAX_KEYWORDS
    )
    theirs = [
        {**activity, "verified": True} if verify_absorbed else dict(activity)
        for activity in absorbed.activities
    ]
    ours = [dict(activity) for activity in survivor.activities]
    if verify_absorbed:
        verified = {_activity_key(activity) for activity in theirs}
        ours = [
            {**activity, "verified": True} if _activity_key(activity) in verified else activity
            for activity in ours
        ]
    # A claim's verified record goes first, so that the cap never drops what it verified.
    ordered = [*theirs, *ours] if verify_absorbed else [*ours, *theirs]
    merged: dict[str, dict[str, Any]] = {}
    for activity in ordered:
        key = _activity_key(activity)
        if key in merged:
            merged[key]["verified"] = bool(merged[key].get("verified") or activity.get("verified"))
        else:
            merged[key] = activity
    changes["activities"] = [
        {name: value for name, value in activity.items() if name != "verified" or value}
        for activity in list(merged.values())[:MAX_ACTIVITIES]
    ]
    changes.update(identity(changes))
    return changes


def _empty(value: object) -> bool:
    """Whether a profile's field is left empty: no text, or no answer (an IHI contributor's
    "no" is an answer)."""
    return value is None or value == ""


def _activity_key(activity: dict[str, Any]) -> str:
    content = activity_content(activity)
    return f"{content['title'].casefold()}\x00{content['year']}"


def _unique(values: Iterable[str], *, key: Any, limit: int) -> list[str]:
    seen: set[str] = set()
    kept = []
    for value in values:
        if key(value) not in seen:
            seen.add(key(value))
            kept.append(value)
    return kept[:limit]


def _drafts_of(session: Session, organisation_id: int) -> list[Consortium]:
    """The drafts a profile owns or is a member of, locked: their member lists change."""
    member_of = select(col(ConsortiumMember.consortium_id)).where(
        col(ConsortiumMember.organisation_id) == organisation_id
    )
    return list(
        session.scalars(
            select(Consortium)
            .where(
                (col(Consortium.owner_organisation_id) == organisation_id)
                | col(Consortium.id).in_(member_of)
            )
            .order_by(col(Consortium.id))
            .with_for_update()
        )
    )


def _move_references(session: Session, *, survivor_id: int, absorbed_id: int) -> None:
    """Point every row that refers to the absorbed profile at the survivor.

    Rows between the two (a block, a contact request) would refer to the survivor itself and
    are deleted; so are the absorbed profile's recovery links. Every other reference to
    `organisations.id`, in any table, moves; where a unique key would then repeat one of the
    survivor's rows (a draft listing both, a block of the same organisation, a one-row-per-
    organisation table), the survivor's row is kept and the absorbed profile's dropped.
    """
    both = (survivor_id, absorbed_id)
    session.execute(
        delete(OrganisationBlock).where(
            col(OrganisationBlock.organisation_id).in_(both),
            col(OrganisationBlock.blocked_organisation_id).in_(both),
        )
    )
    session.execute(
        delete(ContactRequest).where(
            col(ContactRequest.sender_organisation_id).in_(both),
            col(ContactRequest.recipient_organisation_id).in_(both),
        )
    )
    session.execute(
        delete(KeyRecoveryToken).where(col(KeyRecoveryToken.organisation_id) == absorbed_id)
    )
    # A claim still waiting for the absorbed record (another organisation's, say), or one the
    # absorbed profile made of the survivor, can never be confirmed now: it ends here.
    session.execute(
        update(Claim)
        .where(
            col(Claim.status) == ClaimStatus.pending.value,
            (col(Claim.record_id) == absorbed_id)
            | ((col(Claim.record_id) == survivor_id) & (col(Claim.organisation_id) == absorbed_id)),
        )
        .values(status=ClaimStatus.record_merged.value)
    )
    session.execute(update(Claim).where(col(Claim.record_id) == absorbed_id).values(record_id=None))
    for table in SQLModel.metadata.sorted_tables:
        for column in table.columns:
            if (table.name, column.name) in _NOT_MOVED:
                continue
            if any(key.column.table.name == "organisations" for key in column.foreign_keys):
                for unique in _unique_keys(table, column):
                    _drop_repeats(session, table, column, unique, survivor_id, absorbed_id)
                session.execute(
                    update(table).where(column == absorbed_id).values({column.name: survivor_id})
                )
    session.expire_all()


def _unique_keys(table: Table, column: Column[Any]) -> list[list[Column[Any]]]:
    """The unique keys of a table (primary key, unique constraints and indexes) with `column`."""
    keys = [
        list(constraint.columns)
        for constraint in table.constraints
        if isinstance(constraint, PrimaryKeyConstraint | UniqueConstraint)
    ]
    keys += [list(index.columns) for index in table.indexes if index.unique]
    return [key for key in keys if any(part is column for part in key)]


def _drop_repeats(
    session: Session,
    table: Table,
    column: Column[Any],
    unique: list[Column[Any]],
    survivor_id: int,
    absorbed_id: int,
) -> None:
    """Delete the absorbed profile's rows that, moved, would repeat a survivor's row's key."""
    twin = table.alias("twin")
    same_key = [twin.c[column.name] == survivor_id] + [
        twin.c[part.name] == part for part in unique if part is not column
    ]
    session.execute(delete(table).where(column == absorbed_id, exists().where(and_(*same_key))))
