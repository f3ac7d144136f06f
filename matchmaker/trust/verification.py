"""Verified types: an admin's word that a profile is the regulator, patient organisation or
public body it says it is.

Anyone can register as "European Medicines Agency" with type `regulator`. The types in
`TYPES_VERIFIED_BY_ADMIN` are therefore self-declared until an admin verifies them
(`verify_type`, which sets `type_verified_at`); every answer that shows an organisation says
whether its type is verified. A call with `verified_types_required` counts only verified
members towards those types (`models.common.counts_as`, which the solver and the gap analysis
use). Changing a profile's type drops its verification (`models.organisation.
dropped_verification`, applied by `update_organisation`); an import leaves a verified type as
it is (`models.organisation.kept_from_import`). Neither the owner nor a confirmed CORDIS claim
can verify it: a claim proves the record, not the type.
"""

from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session

from matchmaker.auth import Principal, require_role
from matchmaker.errors import Conflict
from matchmaker.keys import ADMIN_ONLY
from matchmaker.organisations import get_organisation
from matchmaker.partnering import events
from matchmaker.repository import ExpectedVersion, check_version, versioned_update
from models.change import Entity
from models.common import TYPES_VERIFIED_BY_ADMIN, utc_now
from models.organisation import Organisation
from models.saved_search import JobKind

VERIFIABLE = ", ".join(sorted(TYPES_VERIFIED_BY_ADMIN))


def verify_type(
    session: Session,
    *,
    organisation_id: int,
    actor: Principal | None,
    expected_version: ExpectedVersion = None,
    clock: Callable[[], datetime] = utc_now,
) -> Organisation:
    """Record that an admin checked the profile is the regulator, patient organisation or
    public body it says it is (admins only). Verifying a verified profile changes nothing."""
    require_role(actor, ADMIN_ONLY)
    organisation = get_organisation(session, organisation_id=organisation_id, for_update=True)
    check_version(organisation, expected_version)
    if str(organisation.stakeholder_type) not in TYPES_VERIFIED_BY_ADMIN:
        raise Conflict(
            f"Organisation {organisation_id} is of type {organisation.stakeholder_type}, which "
            f"is self-declared and never verified; only {VERIFIABLE} are."
        )
    if organisation.type_verified_at is not None:
        return organisation
    verified = versioned_update(
        session,
        organisation,
        {"type_verified_at": clock()},
        entity=Entity.organisation,
        expected_version=expected_version,
    )
    # Verified, it may now fill a draft's gap that only verified members fill: tell owners.
    events.record(session, kind=JobKind.organisation, item_id=organisation_id)
    return verified


def unverify_type(
    session: Session,
    *,
    organisation_id: int,
    actor: Principal | None,
    expected_version: ExpectedVersion = None,
) -> Organisation:
    """Withdraw a type's verification (admins only); an unverified profile is left as it is."""
    require_role(actor, ADMIN_ONLY)
    organisation = get_organisation(session, organisation_id=organisation_id, for_update=True)
    check_version(organisation, expected_version)
    if organisation.type_verified_at is None:
        return organisation
    return versioned_update(
        session,
        organisation,
        {"type_verified_at": None},
        entity=Entity.organisation,
        expected_version=expected_version,
    )
