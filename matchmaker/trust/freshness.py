"""Freshness: when a profile was last confirmed as current, and when that makes it stale.

A profile is confirmed on creation and by its owner (`confirm_organisation`). Past
`stale_after_months` months without a confirmation it is stale: the API shows it with
`stale: true` beside its `confirmed_at`, so that readers see "last confirmed on ...".
"""

from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session

from matchmaker.auth import Principal, require_organisation
from matchmaker.organisations import get_organisation
from matchmaker.repository import versioned_update
from models.change import Entity
from models.common import months_before, utc_now
from models.organisation import Organisation


def stale_before(months: int, *, now: datetime | None = None) -> datetime:
    """The moment before which a last confirmation makes a profile stale."""
    return months_before(now or utc_now(), months)


def profile_context(months: int, *, now: datetime | None = None) -> dict[str, datetime]:
    """The validation context that marks stale profiles in the API's profile schemas."""
    return {"stale_before": stale_before(months, now=now)}


def confirm_organisation(
    session: Session,
    *,
    organisation_id: int,
    actor: Principal | None,
    expected_version: int | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> Organisation:
    """Record that the owner (or an admin) confirmed the profile is current, now."""
    require_organisation(actor, organisation_id)
    organisation = get_organisation(session, organisation_id=organisation_id, for_update=True)
    return versioned_update(
        session,
        organisation,
        {"confirmed_at": clock()},
        entity=Entity.organisation,
        expected_version=expected_version,
    )
