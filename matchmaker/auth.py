"""API keys and who may do what.

A token is `mm_<prefix>_<secret>`. The prefix finds the stored key; the secret is checked
against its SHA-256 hash in constant time. Tokens are 256-bit random values, so a fast hash
is enough (there is nothing to brute-force, unlike a password).
"""

import hashlib
import hmac
import secrets
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session

from matchmaker.errors import InvalidInput, NotFound, PermissionDenied, Unauthenticated
from matchmaker.repository import paginate
from models.apikey import ApiKey, KeyCreate, KeyRole
from models.common import utc_now
from models.organisation import Organisation

TOKEN_PREFIX = "mm"  # noqa: S105 - the fixed marker that starts every token, not a secret


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a key's role and, for organisation keys, which organisation."""

    role: KeyRole
    organisation_id: int | None = None
    key_id: int | None = None

    @property
    def is_admin(self) -> bool:
        """Whether this caller may do everything."""
        return self.role is KeyRole.admin

    @property
    def rate_key(self) -> str:
        """The identity write limits count against."""
        return f"key:{self.key_id}" if self.key_id is not None else f"role:{self.role}"


def hash_secret(secret: str) -> str:
    """The stored form of a key's secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_key(session: Session, *, data: KeyCreate) -> tuple[ApiKey, str]:
    """Store a new key and return it with its token, which is never stored."""
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


def authenticate(session: Session, *, token: str, admin_token: str | None) -> Principal:
    """The principal a bearer token stands for; Unauthenticated when it stands for nobody."""
    if admin_token and hmac.compare_digest(token.encode(), admin_token.encode()):
        return Principal(role=KeyRole.admin)
    parts = token.split("_", 2)
    if len(parts) == 3 and parts[0] == TOKEN_PREFIX:
        key = session.scalar(select(ApiKey).where(ApiKey.prefix == parts[1]))
        if (
            key is not None
            and key.revoked_at is None
            and hmac.compare_digest(hash_secret(parts[2]), key.secret_hash)
        ):
            return Principal(role=key.role, organisation_id=key.organisation_id, key_id=key.id)
    raise Unauthenticated("The API key is not valid (unknown, malformed or revoked).")


def require_key(actor: Principal | None) -> Principal:
    """Refuse anonymous callers."""
    if actor is None:
        raise Unauthenticated("This request needs an API key: Authorization: Bearer <token>.")
    return actor


def require_role(actor: Principal | None, roles: Collection[KeyRole]) -> Principal:
    """Refuse callers whose key has none of the roles (admins always pass)."""
    actor = require_key(actor)
    if not actor.is_admin and actor.role not in roles:
        allowed = ", ".join(sorted(str(role) for role in {*roles, KeyRole.admin}))
        raise PermissionDenied(f"This needs a key with one of the roles: {allowed}.")
    return actor


def require_organisation(actor: Principal | None, organisation_id: int | None) -> Principal:
    """Refuse callers other than the given organisation's own keys and admins."""
    actor = require_key(actor)
    if not actor.is_admin and (organisation_id is None or actor.organisation_id != organisation_id):
        raise PermissionDenied("Only the organisation's own key or an admin may do this.")
    return actor


def can_see_private(actor: Principal | None, organisation_id: int) -> bool:
    """Whether the caller may read an organisation's personal data."""
    return actor is not None and (actor.is_admin or actor.organisation_id == organisation_id)


def list_keys(
    session: Session, *, organisation_id: int | None = None, limit: int, offset: int
) -> tuple[list[ApiKey], int]:
    """One page of keys (their hashes stay inside), optionally one organisation's."""
    statement = select(ApiKey).order_by(ApiKey.id)  # type: ignore[arg-type]
    if organisation_id is not None:
        statement = statement.where(ApiKey.organisation_id == organisation_id)
    return paginate(session, statement, limit=limit, offset=offset)


def revoke_key(session: Session, *, key_id: int) -> ApiKey:
    """Revoke a key for good; revoking twice changes nothing."""
    key = session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(f"No API key with id {key_id}.")
    if key.revoked_at is None:
        key.revoked_at = utc_now()
        session.flush()
    return key
