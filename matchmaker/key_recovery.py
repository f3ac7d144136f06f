"""Key recovery: a one-time link, e-mailed to an organisation's contact address, issues a new key.

Asking (`request_recovery`) reveals nothing: the caller's answer is the same whether or not the
organisation exists and the address is its contact address. Only then is a link written to the
outbox (`matchmaker.partnering.outbox`, sent by `matchmaker notify run`); only the SHA-256 hash
of its token is stored. Redeeming it (`redeem_recovery`) within RECOVERY_LIFETIME, once, for the
organisation it was made for, revokes every key of the organisation, ends its other links and
issues a new key. An unknown, used, expired or another organisation's token is NotFound alike.
"""

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlmodel import Session, col

from matchmaker.auth import OPERATOR, hash_secret
from matchmaker.errors import NotFound
from matchmaker.keys import issue_organisation_key
from matchmaker.partnering.outbox import Event, enqueue, web_page
from matchmaker.wording import say_moment
from models.apikey import ApiKey
from models.common import utc_now
from models.keyrecovery import KeyRecoveryToken
from models.organisation import Organisation

RECOVERY_LIFETIME = timedelta(minutes=30)
ACCEPTED = (
    "If the organisation exists and the address is its contact address, a link valid for "
    "30 minutes is on its way there."
)
INVALID_LINK = (
    "This recovery link is not valid: it is unknown, already used, expired or for another "
    "organisation. Ask for a new one."
)


def recovery_link(base_url: str, organisation_id: int, token: str) -> str:
    """The page that redeems a token (its GET only shows a button; the POST redeems)."""
    return web_page(base_url, f"/key-recovery/{organisation_id}/{token}")


def _body(organisation: Organisation, link: str, until: datetime) -> str:
    return (
        f"Someone asked for a new organisation key for {organisation.name} on matchmaker: "
        "the key that signs in to the site.\n\n"
        f"To get one, open this link within 30 minutes (until {say_moment(until)}) and press "
        f"the button:\n\n{link}\n\n"
        "The link works once. The new key replaces every key the organisation has now: "
        "sign in with the new one, and give it to anyone (or any program) that used an old "
        "one.\n\n"
        "If you did not ask for this, ignore this message: nothing changes.\n"
    )


def request_recovery(
    session: Session,
    *,
    organisation_id: int,
    contact_email: str,
    base_url: str,
    clock: Callable[[], datetime] = utc_now,
) -> str | None:
    """Write a recovery link to the outbox when the address is the organisation's contact
    address; return the token (for tests and the command line), else None. Callers must answer
    the same either way."""
    organisation = session.get(Organisation, organisation_id)
    stored = organisation.contact_email if organisation is not None else None
    if organisation is None or not stored or stored.casefold() != contact_email.casefold():
        return None
    token = secrets.token_urlsafe(32)
    now = clock()
    session.add(
        KeyRecoveryToken(
            organisation_id=organisation_id,
            token_hash=hash_secret(token),
            created_at=now,
            expires_at=now + RECOVERY_LIFETIME,
        )
    )
    enqueue(
        session,
        organisation_id=organisation_id,
        event=Event.key_recovery,
        subject=f"A link to replace the matchmaker key of {organisation.name}",
        body=_body(
            organisation,
            recovery_link(base_url, organisation_id, token),
            now + RECOVERY_LIFETIME,
        ),
    )
    return token


def _rowcount(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount)


def redeem_recovery(
    session: Session,
    *,
    organisation_id: int,
    token: str,
    clock: Callable[[], datetime] = utc_now,
) -> tuple[ApiKey, str]:
    """Use a token once: revoke the organisation's keys, end its other links, issue a new key.

    The token is marked used by one conditional UPDATE, so two concurrent uses cannot both pass.
    """
    now = clock()
    used = session.execute(
        update(KeyRecoveryToken)
        .where(
            col(KeyRecoveryToken.token_hash) == hash_secret(token),
            col(KeyRecoveryToken.organisation_id) == organisation_id,
            col(KeyRecoveryToken.used_at).is_(None),
            col(KeyRecoveryToken.expires_at) > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if _rowcount(used) != 1:
        raise NotFound(INVALID_LINK)
    session.execute(
        update(KeyRecoveryToken)
        .where(
            col(KeyRecoveryToken.organisation_id) == organisation_id,
            col(KeyRecoveryToken.used_at).is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    # The organisation is locked before its keys, in the order a delete takes them; the new key
    # is then checked against the limit (`keys.issue_key`) like any other, and always has room.
    session.get(Organisation, organisation_id, with_for_update=True)
    session.execute(
        update(ApiKey)
        .where(col(ApiKey.organisation_id) == organisation_id, col(ApiKey.revoked_at).is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return issue_organisation_key(session, organisation_id=organisation_id, actor=OPERATOR)
