"""What became of a record no longer stored: where an absorbed profile went (its merges,
followed to the profile that holds it now), and which imported records were deleted."""

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, select
from sqlmodel import Session, col

from matchmaker.errors import NotFound
from models.common import as_utc
from models.trust import DeletedRecord, OrganisationMerge

# Merges form chains (A into B, then B into C); a chain longer than this is a bug, not data.
MAX_CHAIN = 100


def merged_into(session: Session, *, organisation_id: int) -> int | None:
    """The profile an absorbed id now lives in, following later merges; None if never merged."""
    survivor = None
    current = organisation_id
    for _ in range(MAX_CHAIN):
        following = session.scalar(
            select(col(OrganisationMerge.survivor_id)).where(
                col(OrganisationMerge.absorbed_id) == current
            )
        )
        if following is None:
            return survivor
        survivor = current = following
    return survivor


def absorbed_external_ids(session: Session, external_ids: list[str]) -> dict[str, int]:
    """Of these external ids, those whose profile was merged into another, with the survivor."""
    if not external_ids:
        return {}
    rows = session.execute(
        select(
            col(OrganisationMerge.absorbed_external_id), col(OrganisationMerge.absorbed_id)
        ).where(col(OrganisationMerge.absorbed_external_id).in_(external_ids))
    ).all()
    found = {}
    for external_id, absorbed_id in rows:
        survivor = merged_into(session, organisation_id=absorbed_id)
        if external_id is not None and survivor is not None:
            found[external_id] = survivor
    return found


def held_external_ids(session: Session, *, organisation_id: int) -> list[str]:
    """The external ids of the profiles merged into this one, directly or through earlier
    merges into those (a claimed CORDIS record among them), in the order they were merged."""
    held: list[str] = []
    frontier = [organisation_id]
    for _ in range(MAX_CHAIN):
        if not frontier:
            break
        rows = session.execute(
            select(col(OrganisationMerge.absorbed_id), col(OrganisationMerge.absorbed_external_id))
            .where(col(OrganisationMerge.survivor_id).in_(frontier))
            .order_by(col(OrganisationMerge.id))
        ).all()
        frontier = [absorbed_id for absorbed_id, _ in rows]
        held.extend(external_id for _, external_id in rows if external_id)
    return held


def remember_deleted(session: Session, *, external_ids: Collection[str], when: datetime) -> None:
    """Remember that the records with these external ids were deleted at `when`, so that no
    import creates them again (`deleted_external_ids`). Only the id and the time are kept."""
    if not external_ids:
        return
    known = {
        row.external_id: row
        for row in session.scalars(
            select(DeletedRecord).where(col(DeletedRecord.external_id).in_(external_ids))
        )
    }
    for external_id in dict.fromkeys(external_ids):
        row = known.get(external_id)
        if row is None:
            session.add(DeletedRecord(external_id=external_id, deleted_at=when))
        else:
            row.deleted_at = when
    session.flush()


def deleted_external_ids(session: Session, external_ids: list[str]) -> dict[str, datetime]:
    """Of these external ids, those whose profile was deleted, with when (UTC)."""
    if not external_ids:
        return {}
    rows = session.execute(
        select(col(DeletedRecord.external_id), col(DeletedRecord.deleted_at)).where(
            col(DeletedRecord.external_id).in_(external_ids)
        )
    ).all()
    return {external_id: as_utc(deleted_at) for external_id, deleted_at in rows}


def deleted_note(external_id: str, deleted_at: datetime) -> str:
    """What an import or a claim says of a record it does not create again."""
    return f"{external_id} was deleted on request on {as_utc(deleted_at):%Y-%m-%d}"


def forget_deleted(session: Session, *, external_id: str) -> datetime:
    """Forget that a record was deleted, so that the next import creates it again (when its
    organisation asks to be listed again); return when it was deleted."""
    deleted_at = deleted_external_ids(session, [external_id]).get(external_id)
    if deleted_at is None:
        raise NotFound(
            f"No deleted record {external_id} is remembered: its profile was never deleted, "
            "or its deletion was forgotten already. Give the external id as the import "
            "report shows it, such as cordis:999991428."
        )
    session.execute(delete(DeletedRecord).where(col(DeletedRecord.external_id) == external_id))
    return deleted_at
