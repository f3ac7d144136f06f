"""API keys: issue, list and revoke them, each checking who asks.

A token is `mm_<prefix>_<secret>`; only the secret's hash is stored (`auth.hash_secret`), so a
token is shown once, when it is issued.
"""

import secrets

from sqlalchemy import select
from sqlmodel import Session, col

from matchmaker.auth import (
    OPERATOR,
    TOKEN_PREFIX,
    Principal,
    hash_secret,
    require_organisation,
    require_role,
)
from matchmaker.errors import InvalidInput, NotFound
from matchmaker.repository import get_or_raise, paginate
from models.apikey import ApiKey, KeyCreate, KeyRole
from models.common import utc_now
from models.organisation import Organisation

ADMIN_ONLY: tuple[KeyRole, ...] = ()


def issue_key(session: Session, *, data: KeyCreate, actor: Principal | None) -> tuple[ApiKey, str]:
    """Store a new key of any role (admins only) and return it with its token, never stored."""
    require_role(actor, ADMIN_ONLY)
    if data.role is KeyRole.organisation:
        if data.organisation_id is None:
            raise InvalidInput(
                "An organisation key names its organisation.", field="organisation_id"
            )
        if session.get(Organisation, data.organisation_id) is None:
            raise InvalidInput(
                f"No organisation with id {data.organisation_id}.", field="organisation_id"
            )
    elif data.organisation_id is not None:
        raise InvalidInput(
            f"A {data.role} key belongs to no organisation.", field="organisation_id"
        )
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    key = ApiKey(
        prefix=prefix,
        secret_hash=hash_secret(secret),
        role=data.role,
        organisation_id=data.organisation_id,
        label=data.label,
    )
    session.add(key)
    session.flush()
    return key, f"{TOKEN_PREFIX}_{prefix}_{secret}"


def issue_organisation_key(
    session: Session, *, organisation_id: int, actor: Principal | None
) -> tuple[ApiKey, str]:
    """Issue another key for an organisation (its owner or an admin), e.g. to rotate keys."""
    get_or_raise(session, Organisation, organisation_id, noun="organisation")
    require_organisation(actor, organisation_id)
    data = KeyCreate(role=KeyRole.organisation, organisation_id=organisation_id, label="owner")
    return issue_key(session, data=data, actor=OPERATOR)


def list_keys(
    session: Session,
    *,
    actor: Principal | None,
    organisation_id: int | None = None,
    limit: int,
    offset: int,
) -> tuple[list[ApiKey], int]:
    """One page of keys, never their hashes: every key (admins) or one organisation's (its own
    keys too)."""
    statement = select(ApiKey).order_by(col(ApiKey.id))
    if organisation_id is None:
        require_role(actor, ADMIN_ONLY)
    else:
        require_organisation(actor, organisation_id)
        statement = statement.where(col(ApiKey.organisation_id) == organisation_id)
    return paginate(session, statement, limit=limit, offset=offset)


def revoke_key(session: Session, *, key_id: int, actor: Principal | None) -> ApiKey:
    """Revoke a key for good (admins any key, organisations their own); twice changes nothing."""
    key = session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(f"No API key with id {key_id}.")
    require_organisation(actor, key.organisation_id)
    if key.revoked_at is None:
        key.revoked_at = utc_now()
        session.flush()
    return key
