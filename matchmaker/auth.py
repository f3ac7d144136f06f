"""Who is calling and what they may do: tokens checked, roles and ownership required.

A token is `mm_<prefix>_<secret>`. The prefix finds the stored key; the secret is checked
against its SHA-256 hash in constant time. Tokens are 256-bit random values, so a fast hash
is enough (there is nothing to brute-force, unlike a password).
"""

import contextlib
import hashlib
import hmac
import threading
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from cachetools import TTLCache
from sqlalchemy import Select, select
from sqlmodel import Session, col

from matchmaker.errors import PermissionDenied, Unauthenticated, Unavailable
from models.apikey import ApiKey, KeyRole

TOKEN_PREFIX = "mm"  # noqa: S105 - the fixed marker that starts every token, not a secret
# A SELECT statement, narrowed and handed back with its type.
S = TypeVar("S", bound=Select[Any])


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
        """The identity write limits count against: the organisation, whichever of its keys
        writes (it can mint more); otherwise the key."""
        if self.organisation_id is not None:
            return f"organisation:{self.organisation_id}"
        return f"key:{self.key_id}" if self.key_id is not None else f"role:{self.role}"


# The service's own operator, acting as an admin: the command line, and a registration that
# issues the new organisation's first key.
OPERATOR: Final = Principal(role=KeyRole.admin)


def hash_secret(secret: str) -> str:
    """The stored form of a key's secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


# Keys this process verified lately, by the hash of the whole token: while the database cannot
# be reached a remembered key still identifies its caller, so that the reads answered from
# memory (suggestions, search, similar organisations, fitting calls: public data) serve keyed
# clients too. Nothing can be revoked during an outage (writes fail); a key revoked by another
# worker shortly before one is remembered here for at most KEY_MEMORY_SECONDS.
KEY_MEMORY_SECONDS: Final = 600
_remembered: TTLCache[str, Principal] = TTLCache(maxsize=10_000, ttl=KEY_MEMORY_SECONDS)
_remembered_lock = threading.Lock()


def authenticate(session: Session, *, token: str, admin_token: str | None) -> Principal:
    """The principal a bearer token stands for; Unauthenticated when it stands for nobody.

    While the database cannot be reached, a key verified within KEY_MEMORY_SECONDS is taken
    as verified; any other raises the database's `Unavailable`."""
    if admin_token and hmac.compare_digest(token.encode(), admin_token.encode()):
        return Principal(role=KeyRole.admin)
    parts = token.split("_", 2)
    if len(parts) == 3 and parts[0] == TOKEN_PREFIX:
        try:
            key = session.scalar(select(ApiKey).where(col(ApiKey.prefix) == parts[1]))
        except Unavailable:
            # The request's session may serve it on (from memory): end the broken transaction.
            with contextlib.suppress(Unavailable):
                session.rollback()
            with _remembered_lock:
                remembered = _remembered.get(hash_secret(token))
            if remembered is None:
                raise
            return remembered
        if (
            key is not None
            and key.revoked_at is None
            and hmac.compare_digest(hash_secret(parts[2]), key.secret_hash)
        ):
            # KeyRole(...) also reads a role stored under an old name (coordinator).
            principal = Principal(
                role=KeyRole(key.role), organisation_id=key.organisation_id, key_id=key.id
            )
            with _remembered_lock:
                _remembered[hash_secret(token)] = principal
            return principal
    raise Unauthenticated("The API key is not valid (unknown, malformed or revoked).")


NO_KEY = "This request needs an API key: Authorization: Bearer <token>."


def require_key(actor: Principal | None) -> Principal:
    """Refuse anonymous callers."""
    if actor is None:
        raise Unauthenticated(NO_KEY)
    return actor


def require_role(actor: Principal | None, roles: Collection[KeyRole]) -> Principal:
    """Refuse callers whose key has none of the roles (admins always pass)."""
    actor = require_key(actor)
    if not actor.is_admin and actor.role not in roles:
        allowed = ", ".join(sorted(str(role) for role in {*roles, KeyRole.admin}))
        raise PermissionDenied(f"This needs a key with one of the roles: {allowed}.")
    return actor


def require_organisation_key(actor: Principal | None, *, refusal: str) -> tuple[Principal, int]:
    """Refuse every caller but an organisation's key, with `refusal`; return it and its
    organisation."""
    # Admins included: they act for no organisation. `require_role` would name admin among
    # the roles that pass, which a publisher's key would then try in vain.
    actor = require_key(actor)
    if actor.role is not KeyRole.organisation or actor.organisation_id is None:
        raise PermissionDenied(refusal)
    return actor, actor.organisation_id


def require_organisation(actor: Principal | None, organisation_id: int | None) -> Principal:
    """Refuse callers other than the given organisation's own keys and admins."""
    actor = require_key(actor)
    if not actor.is_admin and (organisation_id is None or actor.organisation_id != organisation_id):
        raise PermissionDenied("Only the organisation's own key or an admin may do this.")
    return actor


def organisation_rows(
    statement: S, column: Any, *, actor: Principal | None, organisation_id: int | None
) -> S:
    """A listing narrowed to one organisation's rows (for its own keys and admins), or left
    whole when no organisation is named (for admins only)."""
    if organisation_id is None:
        require_role(actor, ())  # admins always pass
        return statement
    require_organisation(actor, organisation_id)
    return statement.where(column == organisation_id)


def can_see_private(actor: Principal | None, organisation_id: int) -> bool:
    """Whether the caller may read an organisation's personal data."""
    return actor is not None and (actor.is_admin or actor.organisation_id == organisation_id)
