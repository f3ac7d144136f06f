"""API keys: issue, list, rotate and revoke them, each checking who asks.

A token is `mm_<prefix>_<secret>`; only the secret's hash is stored (`auth.hash_secret`), so a
token is shown once, when it is issued.
"""

import secrets
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlmodel import Session, col

from matchmaker.auth import (
    OPERATOR,
    TOKEN_PREFIX,
    Principal,
    hash_secret,
    organisation_rows,
    require_key,
    require_organisation,
    require_role,
)
from matchmaker.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    Unauthenticated,
)
from matchmaker.repository import ExpectedVersion, check_unversioned, get_or_raise, paginate
from models.apikey import OWNER_LABEL, ApiKey, KeyCreate, KeyRole
from models.common import utc_now
from models.organisation import Organisation

ADMIN_ONLY: tuple[KeyRole, ...] = ()
# Enough to rotate keys and give a few systems their own; revoked keys do not count.
MAX_ACTIVE_KEYS = 20


def issue_key(session: Session, *, data: KeyCreate, actor: Principal | None) -> tuple[ApiKey, str]:
    """Store a new key of any role (admins only) and return it with its token, never stored.

    An organisation key is refused past the organisation's MAX_ACTIVE_KEYS (`_check_room`), on
    every path that issues one: an admin's, the organisation's own, a recovery's.
    """
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
        _check_room(session, organisation_id=data.organisation_id)
    elif data.organisation_id is not None:
        article = "An" if data.role.value[0] in "aeiou" else "A"
        raise InvalidInput(
            f"{article} {data.role} key belongs to no organisation.", field="organisation_id"
        )
    return _store(session, data)


def _check_room(session: Session, *, organisation_id: int) -> None:
    """Refuse (409) a key past the organisation's MAX_ACTIVE_KEYS keys that are not revoked.

    The organisation's row is locked first, so that two concurrent issues cannot both pass the
    count (on PostgreSQL; SQLite's write transactions already hold the database lock).
    """
    session.get(Organisation, organisation_id, with_for_update=True)
    active = session.scalar(
        select(func.count()).where(
            col(ApiKey.organisation_id) == organisation_id, col(ApiKey.revoked_at).is_(None)
        )
    )
    if (active or 0) >= MAX_ACTIVE_KEYS:
        raise Conflict(
            f"The organisation already has {MAX_ACTIVE_KEYS} keys that are not revoked; revoke "
            "one (DELETE /admin/keys/{key_id}) before issuing another."
        )


def _store(session: Session, data: KeyCreate) -> tuple[ApiKey, str]:
    """Store a key as `data` says, checked by the caller, and return it with its token."""
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
    session: Session,
    *,
    organisation_id: int,
    actor: Principal | None,
    label: str = OWNER_LABEL,
) -> tuple[ApiKey, str]:
    """Issue another key for an organisation (its owner or an admin), e.g. to rotate keys,
    labelled for whoever will hold it.

    An organisation holds at most MAX_ACTIVE_KEYS keys that are not revoked (409 past it).
    """
    require_organisation(actor, organisation_id)
    get_or_raise(session, Organisation, organisation_id, noun="organisation")
    data = KeyCreate(role=KeyRole.organisation, organisation_id=organisation_id, label=label)
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
    keys too; NotFound for an organisation that does not exist)."""
    if organisation_id is not None:
        require_organisation(actor, organisation_id)
        get_or_raise(session, Organisation, organisation_id, noun="organisation")
    statement = organisation_rows(
        select(ApiKey).order_by(col(ApiKey.id)),
        col(ApiKey.organisation_id),
        actor=actor,
        organisation_id=organisation_id,
    )
    return paginate(session, statement, limit=limit, offset=offset)


def revoke_key(
    session: Session,
    *,
    key_id: int,
    actor: Principal | None,
    expected_version: ExpectedVersion = None,
) -> ApiKey:
    """Revoke a key for good (admins any key, organisations their own); twice changes nothing.

    The caller is authorised before the lookup, and another organisation's key is NotFound
    like a missing one, so that no caller learns which key ids exist.
    """
    actor = require_key(actor)
    if not actor.is_admin and actor.organisation_id is None:
        raise PermissionDenied("Only an organisation's own key or an admin may revoke keys.")
    key = session.get(ApiKey, key_id)
    if key is None or not (actor.is_admin or key.organisation_id == actor.organisation_id):
        raise NotFound(f"No API key with id {key_id}.")
    check_unversioned(expected_version)
    if key.revoked_at is None:
        key.revoked_at = utc_now()
        session.flush()
    return key


def rotate_key(
    session: Session, *, organisation_id: int, actor: Principal | None
) -> tuple[ApiKey, str]:
    """Replace the organisation key that calls: revoke it and issue a new one, at once (at
    MAX_ACTIVE_KEYS too: the count does not grow).

    Only an organisation's own issued key rotates (an admin issues keys instead). The key is
    revoked by one conditional UPDATE, so two rotations with one key cannot both pass: the
    second finds it revoked (401, as any revoked key).
    """
    actor = require_organisation(actor, organisation_id)
    if actor.organisation_id != organisation_id or actor.key_id is None:
        raise PermissionDenied(
            "Rotation replaces the organisation key that calls it; an admin issues keys with "
            "POST /organisations/{id}/keys."
        )
    revoked = session.execute(
        update(ApiKey)
        .where(col(ApiKey.id) == actor.key_id, col(ApiKey.revoked_at).is_(None))
        .values(revoked_at=utc_now())
        .execution_options(synchronize_session=False)
    )
    if int(cast(CursorResult[Any], revoked).rowcount) != 1:
        raise Unauthenticated("The API key is not valid (unknown, malformed or revoked).")
    # The new key takes the old one's place, so it keeps its label (which system holds it). One
    # key out, one in: the count stays as it was, so rotation is never refused for the limit,
    # even for an organisation a merge left above it.
    label = session.scalar(select(col(ApiKey.label)).where(col(ApiKey.id) == actor.key_id))
    data = KeyCreate(
        role=KeyRole.organisation, organisation_id=organisation_id, label=label or OWNER_LABEL
    )
    return _store(session, data)
