"""Where an absorbed profile went: its merges, followed to the profile that holds it now."""

from sqlalchemy import select
from sqlmodel import Session, col

from models.trust import OrganisationMerge

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
