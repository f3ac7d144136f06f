"""E-mail preferences per organisation (immediately, a daily digest, or off) and unsubscribing.

Every notification e-mail carries an unsubscribe link, `<base>/unsubscribe/<token>`, and the
same address in its `List-Unsubscribe` header: opening it shows a page whose button (a POST to
the same address, as RFC 8058's one-click POST from mail programs is) turns the organisation's
e-mail off, without a key. Opening the link changes nothing by itself, so that mail scanners
that fetch every link in a message unsubscribe nobody. The token is 256 random bits kept with the
preference, the same in every e-mail to that organisation; it only ever turns e-mail off.
Webhooks are not affected by the preference: deleting one stops it.
"""

import re
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from matchmaker.auth import Principal, require_organisation
from matchmaker.errors import NotFound
from matchmaker.organisations import get_organisation
from matchmaker.repository import ExpectedVersion, check_unversioned
from models.common import utc_now
from models.notifications import EmailFrequency, NotificationPreference
from models.organisation import Organisation

UNKNOWN_LINK = "This unsubscribe link is not valid (it may belong to a deleted organisation)."
# What every token issued (`secrets.token_urlsafe(32)`, 43 characters) matches, with room: a
# link a mail program mangled (a space, a trailing dot, cut or run on) matches nothing.
TOKEN_PATTERN = r"^[A-Za-z0-9_-]{1,100}$"  # noqa: S105  # a pattern, not a secret
_TOKEN = re.compile(TOKEN_PATTERN)


def unsubscribe_link(base_url: str, token: str) -> str:
    """The address that turns an organisation's e-mail off."""
    return f"{base_url.rstrip('/')}/unsubscribe/{token}"


def ensure_preference(
    session: Session, *, organisation_id: int, now: datetime | None = None
) -> NotificationPreference:
    """The organisation's preference row, created (e-mail immediately) if it has none yet.

    An insert that does nothing on conflict, so two workers creating it at once both succeed.
    """
    now = now or utc_now()
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        insert(NotificationPreference)
        .values(
            organisation_id=organisation_id,
            email=EmailFrequency.immediately.value,
            unsubscribe_token=secrets.token_urlsafe(32),
            digest_since=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["organisation_id"])
    )
    preference = session.get(NotificationPreference, organisation_id, populate_existing=True)
    assert preference is not None
    return preference


def frequency_of(session: Session, *, organisation_id: int) -> EmailFrequency:
    """When the organisation's e-mail goes out (immediately when it never said)."""
    preference = session.get(NotificationPreference, organisation_id)
    return EmailFrequency(preference.email) if preference else EmailFrequency.immediately


def read_preferences(
    session: Session, *, organisation_id: int, actor: Principal | None
) -> EmailFrequency:
    """The organisation's e-mail preference (its own key or an admin's)."""
    require_organisation(actor, organisation_id)
    get_organisation(session, organisation_id=organisation_id)
    return frequency_of(session, organisation_id=organisation_id)


def set_preferences(
    session: Session,
    *,
    organisation_id: int,
    email: EmailFrequency,
    actor: Principal | None,
    now: datetime | None = None,
    expected_version: ExpectedVersion = None,
) -> EmailFrequency:
    """Change when the organisation's e-mail goes out; choosing the digest starts its day."""
    require_organisation(actor, organisation_id)
    get_organisation(session, organisation_id=organisation_id)
    check_unversioned(expected_version)
    now = now or utc_now()
    preference = ensure_preference(session, organisation_id=organisation_id, now=now)
    _choose(session, preference, email, now)
    return email


def _choose(
    session: Session, preference: NotificationPreference, email: EmailFrequency, now: datetime
) -> None:
    """Store a choice of when e-mail goes out; choosing the digest starts its day."""
    if preference.email != email.value:
        if email is EmailFrequency.daily:
            preference.digest_since = now
        preference.email = email.value
        preference.updated_at = now
        session.add(preference)
        session.flush()


def holder(session: Session, *, token: str) -> Organisation:
    """The organisation an unsubscribe link's token belongs to; NotFound if none."""
    if not _TOKEN.fullmatch(token):
        raise NotFound(UNKNOWN_LINK)
    organisation_id = session.scalar(
        select(col(NotificationPreference.organisation_id)).where(
            col(NotificationPreference.unsubscribe_token) == token
        )
    )
    organisation = session.get(Organisation, organisation_id) if organisation_id else None
    if organisation is None:
        raise NotFound(UNKNOWN_LINK)
    return organisation


def unsubscribe(
    session: Session,
    *,
    token: str,
    now: datetime | None = None,
    email: EmailFrequency = EmailFrequency.off,
) -> Organisation:
    """Turn e-mail off (or to the daily digest, the link's page's other choice) for the
    organisation a link's token belongs to; NotFound if none."""
    organisation = holder(session, token=token)
    preference = session.get(NotificationPreference, organisation.id, with_for_update=True)
    if preference is None:  # deleted with its organisation meanwhile
        raise NotFound(UNKNOWN_LINK)
    _choose(session, preference, email, now or utc_now())
    return organisation
