"""Two profiles of one organisation made one: an admin's merge, or a confirmed claim's.

The survivor keeps its id, its fields (an empty one takes the absorbed profile's value) and
gains the absorbed profile's activities, keywords, keys, drafts, memberships, partner and
contact requests, claims and any other row that refers to it. Where both profiles had a row of
the same thing, what it meant stays true of the one organisation (`_move_references`). The
absorbed profile is deleted; an `OrganisationMerge` row records it, so its old id answers 404
naming the survivor and an import does not create its external id again. When the survivor is
an imported record, the fields the merge changes become its own (`owned_fields`): later imports
leave them as they are. Both rows are locked (in id order) and their versions checked, so a
merge and a concurrent edit cannot both win.
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
    or_,
    select,
    update,
)
from sqlmodel import Session, SQLModel, col

from matchmaker.auth import Principal, require_role
from matchmaker.errors import InvalidInput, NotFound, PreconditionFailed
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
from models.common import type_verified, utc_now
from models.consortium import Consortium, ConsortiumMember, Role
from models.keyrecovery import KeyRecoveryToken
from models.notifications import EmailFrequency, NotificationPreference
from models.organisation import MAX_ACTIVITIES, MAX_KEYWORDS, Organisation, owned_now
from models.partnering import ContactRequest, ContactStatus, OrganisationBlock
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
# E-mail preferences from the loudest to the quietest: an address both profiles gave keeps
# the quieter, so that a merge never mails someone who turned e-mail down.
_QUIETER = (EmailFrequency.immediately, EmailFrequency.daily, EmailFrequency.off)


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
    if absorbed_version is not None and absorbed.version != absorbed_version:
        raise PreconditionFailed(
            f"The profile to absorb, {absorbed.name} (id {absorbed_id}), is at version "
            f"{absorbed.version}, not absorb_version {absorbed_version}; read it again and retry."
        )
    changes = _merged_fields(survivor, absorbed, verify_absorbed=verify_absorbed)
    # What the merge writes into an imported survivor is kept by later imports.
    changes.update(owned_now(survivor, changes))
    drafts = _drafts_of(session, absorbed_id)
    _keep_preference(session, survivor, absorbed)
    _move_references(session, survivor_id=survivor_id, absorbed_id=absorbed_id, now=utc_now())
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


def _move_references(
    session: Session, *, survivor_id: int, absorbed_id: int, now: datetime
) -> None:
    """Point every row that refers to the absorbed profile at the survivor.

    Rows between the two (a block, a contact request) would refer to the survivor itself and
    are deleted; so are the absorbed profile's recovery links. Every other reference to
    `organisations.id`, in any table, moves; where a unique key would then repeat one of the
    survivor's rows (a draft listing both, a block of the same organisation, a one-row-per-
    organisation table), the survivor's row is kept and the absorbed profile's dropped, having
    first given the kept row what it meant: a draft's coordinator stays its coordinator, a
    block dates from the earlier of the two (`_keep_earliest_blocks`). Then what the service
    refuses of one organisation is ended as it would have been (`_end_what_is_now_refused`).
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
    # A draft has one coordinator: the absorbed profile's role in a draft that lists both
    # passes to the survivor's row, the one kept.
    session.execute(
        update(ConsortiumMember)
        .where(
            col(ConsortiumMember.organisation_id) == survivor_id,
            col(ConsortiumMember.consortium_id).in_(
                select(col(ConsortiumMember.consortium_id)).where(
                    col(ConsortiumMember.organisation_id) == absorbed_id,
                    col(ConsortiumMember.role) == Role.coordinator.value,
                )
            ),
        )
        .values(role=Role.coordinator.value)
    )
    _keep_earliest_blocks(session, survivor_id=survivor_id, absorbed_id=absorbed_id)
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
    _end_what_is_now_refused(session, survivor_id=survivor_id, now=now)
    session.expire_all()


def _keep_preference(session: Session, survivor: Organisation, absorbed: Organisation) -> None:
    """Leave the e-mail preference of the address the merged profile mails, for the move to
    keep: the absorbed profile's (its row, or none: e-mail at once) when the survivor takes its
    address; the survivor's when it keeps its own, or the quieter of the two when both gave
    that address; with no address on either side, the survivor's if it has one. The other
    row is deleted here."""
    ours = session.get(NotificationPreference, survivor.id)
    theirs = session.get(NotificationPreference, absorbed.id)
    if ours is None and theirs is None:
        return
    own, other = survivor.contact_email, absorbed.contact_email
    if not _empty(own):
        same = not _empty(other) and str(other).casefold() == str(own).casefold()
        keep_theirs = theirs is not None and same and _quietness(theirs) > _quietness(ours)
    elif not _empty(other):
        keep_theirs = True
    else:
        keep_theirs = ours is None
    dropped = ours if keep_theirs else theirs
    if dropped is not None:
        session.delete(dropped)
        session.flush()


def _quietness(preference: NotificationPreference | None) -> int:
    """How little e-mail a preference lets through (no row: e-mail at once)."""
    if preference is None:
        return 0
    return _QUIETER.index(EmailFrequency(preference.email))


def _keep_earliest_blocks(session: Session, *, survivor_id: int, absorbed_id: int) -> None:
    """Date each of the survivor's blocks that the absorbed profile also held (of the same
    organisation, or by it) from the earlier of the two: the organisation was blocked, or
    blocking, since then."""
    both = (survivor_id, absorbed_id)
    blocks = session.scalars(
        select(OrganisationBlock).where(
            col(OrganisationBlock.organisation_id).in_(both)
            | col(OrganisationBlock.blocked_organisation_id).in_(both)
        )
    ).all()

    def merged(block: OrganisationBlock) -> tuple[int, int]:
        return (
            survivor_id if block.organisation_id == absorbed_id else block.organisation_id,
            survivor_id
            if block.blocked_organisation_id == absorbed_id
            else block.blocked_organisation_id,
        )

    earliest: dict[tuple[int, int], datetime] = {}
    for block in blocks:
        key = merged(block)
        earliest[key] = min(earliest.get(key, block.created_at), block.created_at)
    for block in blocks:
        if absorbed_id not in (block.organisation_id, block.blocked_organisation_id):
            block.created_at = earliest[merged(block)]
    session.flush()


def _end_what_is_now_refused(session: Session, *, survivor_id: int, now: datetime) -> None:
    """End, as the service would have refused or ended them for one organisation, the
    survivor's requests and claims that its two profiles made twice or that a block now bars.

    A request still waiting between an organisation and one that blocks it is declined,
    silently, as blocking declines them. Of the requests still waiting from one organisation to
    another about the same thing (a message, or an answer to one partner request), a second
    would have been refused: the earliest keeps waiting, the others are withdrawn, each listed
    so in both inboxes. Of the survivor's pending claims of one record, the earliest stays
    pending, the others are withdrawn (their links void), as a second would have been refused.
    """
    survivors = or_(
        col(ContactRequest.sender_organisation_id) == survivor_id,
        col(ContactRequest.recipient_organisation_id) == survivor_id,
    )
    waiting = and_(
        survivors,
        col(ContactRequest.status) == ContactStatus.pending.value,
        col(ContactRequest.expires_at) > now,
    )
    blocked = exists().where(
        col(OrganisationBlock.organisation_id) == col(ContactRequest.recipient_organisation_id),
        col(OrganisationBlock.blocked_organisation_id)
        == col(ContactRequest.sender_organisation_id),
    )
    session.execute(
        update(ContactRequest)
        .where(waiting, blocked)
        .values(status=ContactStatus.declined.value, answered_at=now)
    )
    repeated = _repeats(
        session.execute(
            select(
                col(ContactRequest.id),
                col(ContactRequest.sender_organisation_id),
                col(ContactRequest.recipient_organisation_id),
                col(ContactRequest.partner_request_id),
            )
            .where(waiting)
            .order_by(col(ContactRequest.id))
        ).all()
    )
    if repeated:
        session.execute(
            update(ContactRequest)
            .where(col(ContactRequest.id).in_(repeated))
            .values(status=ContactStatus.withdrawn.value, answered_at=now)
        )
    claimed = _repeats(
        session.execute(
            select(col(Claim.id), col(Claim.record_id))
            .where(
                col(Claim.organisation_id) == survivor_id,
                col(Claim.status) == ClaimStatus.pending.value,
                col(Claim.record_id).is_not(None),
            )
            .order_by(col(Claim.id))
        ).all()
    )
    if claimed:
        session.execute(
            update(Claim)
            .where(col(Claim.id).in_(claimed))
            .values(status=ClaimStatus.withdrawn.value, token_hash=None)
        )


def _repeats(rows: Iterable[Any]) -> list[int]:
    """The ids of rows (id first, then what makes two the same) after the first of each kind,
    the rows in id order."""
    seen: set[tuple[Any, ...]] = set()
    repeated = []
    for row_id, *kind in rows:
        if tuple(kind) in seen:
            repeated.append(row_id)
        else:
            seen.add(tuple(kind))
    return repeated


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
