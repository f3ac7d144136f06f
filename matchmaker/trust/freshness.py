"""Freshness: when a profile was last confirmed as current, and when that makes it stale.

A profile is confirmed on creation and by its owner (`confirm_organisation`). Past
`stale_after_months` months without a confirmation it is stale: the API shows it with
`stale: true` beside its `confirmed_at`, so that readers see "last confirmed on ...".

`remind_owners` (run by every delivery pass) writes one reminder to the outbox for each profile
whose last confirmation is `confirm_reminder_months` old. It is written with a unique key
derived from the profile and that confirmation (`reminder_key`), so re-running a pass (or two
passes at once) never reminds twice for one confirmation; the next confirmation starts a new
period. Its Message-ID is random, as every notification's (`outbox.new_message_id`).
The mail links to the profile's confirm page, which holds no secret: only the owner's key, sent
by the page's script, can confirm (a forwarded or scanned mail confirms nothing).
"""

from collections.abc import Callable, Iterable
from datetime import datetime
from functools import partial

from sqlalchemy import Engine, exists, select
from sqlmodel import Session, col

from matchmaker.auth import Principal, require_organisation
from matchmaker.db import for_writing, session_scope
from matchmaker.organisations import get_organisation
from matchmaker.partnering.outbox import REPLIES_UNREAD, Event, enqueue, web_page, written_once
from matchmaker.repository import ExpectedVersion, versioned_update
from matchmaker.wording import say_date
from models.change import Entity
from models.common import as_utc, months_before, stale_before, utc_now
from models.organisation import Organisation
from models.partnering import OutboxMessage

# Reminders written per transaction when a pass has no limit of its own.
REMINDER_CHUNK = 500


def profile_context(months: int, *, now: datetime | None = None) -> dict[str, datetime]:
    """The validation context that marks stale profiles in the API's profile schemas."""
    return {"stale_before": stale_before(months, now=now)}


def confirm_organisation(
    session: Session,
    *,
    organisation_id: int,
    actor: Principal | None,
    expected_version: ExpectedVersion = None,
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


def stale_among(
    session: Session, organisation_ids: Iterable[int], *, months: int, now: datetime | None = None
) -> dict[int, datetime]:
    """When each stale profile among the given ones was last confirmed (fresh ones left out)."""
    ids = sorted(set(organisation_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(col(Organisation.id), col(Organisation.confirmed_at)).where(
            col(Organisation.id).in_(ids),
            col(Organisation.confirmed_at) < stale_before(months, now=now),
        )
    )
    return {int(row_id): as_utc(confirmed) for row_id, confirmed in rows}


def due_before(remind_after_months: int, *, now: datetime | None = None) -> datetime:
    """Profiles last confirmed before this are due for their owner's confirmation: the delivery
    pass reminds their owners (`remind_owners`), and their pages offer the owner to confirm
    (a profile registered or confirmed since is current, and is not asked about)."""
    return months_before(now or utc_now(), remind_after_months)


def confirmation_due(
    confirmed_at: datetime, *, remind_after_months: int, now: datetime | None = None
) -> bool:
    """Whether a profile last confirmed at `confirmed_at` is due for confirmation now."""
    return as_utc(confirmed_at) < due_before(remind_after_months, now=now)


def confirm_page(base_url: str, organisation_id: int) -> str:
    """The page where the signed-in owner confirms a profile is current."""
    return web_page(base_url, f"/organisations/{organisation_id}/confirm")


def recovery_page(base_url: str, organisation_id: int) -> str:
    """The page that asks for a link to a new key for this organisation, when its key is lost."""
    return web_page(base_url, f"/key-recovery?organisation={organisation_id}")


def reminder_key(organisation_id: int, confirmed_at: datetime) -> str:
    """The key of the one reminder for this confirmation of this profile."""
    stamp = as_utc(confirmed_at).strftime("%Y%m%dT%H%M%S%f")
    return f"confirm-reminder:{organisation_id}:{stamp}"


def _reminder_body(
    name: str,
    confirmed_at: datetime,
    *,
    link: str,
    recovery: str,
    stale_after_months: int,
    now: datetime,
) -> str:
    last = say_date(confirmed_at, full_month=True)
    stale_from = months_before(confirmed_at, -stale_after_months)
    when = (
        "It is now shown to others"
        if stale_from <= now
        else f"From {say_date(stale_from, full_month=True)} it is shown to others"
    )
    return (
        f"The profile of {name} on matchmaker was last confirmed as current on {last}.\n\n"
        f'{when} as "Last confirmed on {last}", so that partners know it may be out of date.\n\n'
        "If it is still right (or once you have updated it), sign in with your organisation's "
        f"key and confirm it here ({REPLIES_UNREAD}):\n\n{link}\n\n"
        "This link holds no key: only someone signed in with your organisation's key can "
        "confirm. You are reminded once for each confirmation.\n\n"
        "Lost the key since? A link to a new one can be e-mailed to this address, from "
        f"here:\n\n{recovery}\n"
    )


def _remind(
    session: Session,
    row: tuple[int, str, datetime],
    *,
    base_url: str,
    stale_after_months: int,
    now: datetime,
) -> None:
    """Enqueue the reminder to confirm one organisation's profile."""
    organisation_id, name, confirmed_at = row
    enqueue(
        session,
        organisation_id=organisation_id,
        event=Event.confirm_reminder,
        subject=f"Is the profile of {name} on matchmaker still current?",
        body=_reminder_body(
            name,
            as_utc(confirmed_at),
            link=confirm_page(base_url, organisation_id),
            recovery=recovery_page(base_url, organisation_id),
            stale_after_months=stale_after_months,
            now=now,
        ),
        key=reminder_key(organisation_id, confirmed_at),
    )


def remind_owners(
    engine: Engine,
    *,
    remind_after_months: int,
    stale_after_months: int,
    base_url: str,
    limit: int | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> int:
    """Write a reminder to the outbox for each profile with a contact address whose last
    confirmation is `remind_after_months` old and not yet reminded of; return how many."""
    written = 0
    chunk = REMINDER_CHUNK if limit is None else limit
    while chunk > 0:
        now = clock()
        reminded = exists().where(
            col(OutboxMessage.organisation_id) == col(Organisation.id),
            col(OutboxMessage.event) == Event.confirm_reminder.value,
            col(OutboxMessage.created_at) >= col(Organisation.confirmed_at),
        )
        statement = (
            select(col(Organisation.id), col(Organisation.name), col(Organisation.confirmed_at))
            .where(
                col(Organisation.confirmed_at) < due_before(remind_after_months, now=now),
                col(Organisation.contact_email).is_not(None),
                ~reminded,
            )
            .order_by(col(Organisation.id))
            .limit(chunk)
        )
        # Most passes find nothing due: look first without SQLite's write lock.
        with session_scope(engine, read_only=True) as session:
            if session.execute(statement.limit(1)).first() is None:
                return written
        with session_scope(for_writing(engine)) as session:
            due = session.execute(statement).all()

            remind = partial(
                _remind,
                session,
                base_url=base_url,
                stale_after_months=stale_after_months,
                now=now,
            )
            chunk_written = written_once(session, due, remind)
        written += chunk_written
        if len(due) < chunk or limit is not None or not chunk_written:
            return written
    return written
