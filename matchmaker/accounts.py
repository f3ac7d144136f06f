"""Key management, data export and admin actions, each checking who asks."""

from typing import Any

from sqlmodel import Session

from matchmaker import auth
from matchmaker.auth import Principal, require_organisation, require_role
from matchmaker.consortium.drafts import list_consortia, memberships_of, to_public
from matchmaker.errors import NotFound
from matchmaker.matching.service import MatchingService
from matchmaker.organisations import get_organisation
from models.apikey import ApiKey, KeyCreate, KeyPublic, KeyRole
from models.organisation import OrganisationPrivate

ADMIN_ONLY: tuple[KeyRole, ...] = ()


def issue_key(session: Session, *, data: KeyCreate, actor: Principal | None) -> tuple[ApiKey, str]:
    """Issue any kind of key (admins only)."""
    require_role(actor, ADMIN_ONLY)
    return auth.issue_key(session, data=data)


def issue_organisation_key(
    session: Session, *, organisation_id: int, actor: Principal | None
) -> tuple[ApiKey, str]:
    """Issue another key for an organisation (its owner or an admin), e.g. to rotate keys."""
    get_organisation(session, organisation_id=organisation_id)
    require_organisation(actor, organisation_id)
    return auth.issue_key(
        session,
        data=KeyCreate(role=KeyRole.organisation, organisation_id=organisation_id, label="owner"),
    )


def list_keys(
    session: Session, *, actor: Principal | None, limit: int, offset: int
) -> tuple[list[ApiKey], int]:
    """Every key, without secrets (admins only)."""
    require_role(actor, ADMIN_ONLY)
    return auth.list_keys(session, limit=limit, offset=offset)


def revoke_key(session: Session, *, key_id: int, actor: Principal | None) -> ApiKey:
    """Revoke a key: admins any key, organisations their own keys."""
    key = session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(f"No API key with id {key_id}.")
    require_organisation(actor, key.organisation_id)
    return auth.revoke_key(session, key_id=key_id)


def export_organisation(
    session: Session, *, organisation_id: int, actor: Principal | None
) -> dict[str, Any]:
    """Everything stored about an organisation, for its owner or an admin."""
    organisation = get_organisation(session, organisation_id=organisation_id)
    owner = Principal(role=KeyRole.organisation, organisation_id=organisation_id)
    require_organisation(actor, organisation_id)
    keys, _ = auth.list_keys(session, organisation_id=organisation_id, limit=10_000, offset=0)
    drafts, _ = list_consortia(session, actor=owner, limit=10_000, offset=0)
    return {
        "profile": OrganisationPrivate.model_validate(organisation, from_attributes=True),
        "api_keys": [KeyPublic.model_validate(key, from_attributes=True) for key in keys],
        "consortia_owned": [to_public(session, draft) for draft in drafts],
        "consortia_member_of": memberships_of(session, organisation_id=organisation_id),
    }


def request_refit(matching: MatchingService, *, actor: Principal | None) -> bool:
    """Start a background refit of the matching index (admins only)."""
    require_role(actor, ADMIN_ONLY)
    return matching.request_refit()
