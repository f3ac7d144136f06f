"""Claims: an organisation proves a CORDIS record is its own, and the record becomes its own.

A claim (`create_claim`) names the record (its CORDIS organisation id, which CORDIS's open data
also uses as the PIC) and, optionally, an address on the record's own web domain: the host of
the imported profile's website, or a subdomain of it. A one-time link is written to the outbox
for that address (only the SHA-256 hash of its token is stored). Using the link within
`claim_link_hours`, once, or an admin's confirmation, merges the record into the claimant
(`matchmaker.trust.merging`) with its activities marked verified. Until then nothing changes,
and the claimant may withdraw it. A pending claim whose record is merged some other way (another
claim confirmed first, an admin's merge) or deleted ends there: merging and deleting a profile
give its pending claims their final status (`record_merged`, `record_deleted`).
"""

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, cast

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import CursorResult, func, select, update
from sqlmodel import Session, col

from matchmaker.auth import (
    OPERATOR,
    Principal,
    hash_secret,
    organisation_rows,
    require_organisation,
    require_role,
)
from matchmaker.errors import Conflict, InvalidInput, NotFound
from matchmaker.keys import ADMIN_ONLY
from matchmaker.organisations import get_organisation, lookalikes
from matchmaker.partnering.outbox import Event, enqueue, web_page
from matchmaker.repository import get_or_raise, paginate, stored_id
from matchmaker.trust.duplicates import SHARED_HOSTS
from matchmaker.trust.history import absorbed_external_ids, deleted_external_ids, deleted_note
from matchmaker.trust.merging import merge_organisations
from models.apikey import KeyRole
from models.common import utc_now
from models.organisation import Organisation, PossibleDuplicate
from models.partnering import AboutIds
from models.trust import Claim, ClaimCreate, ClaimStatus, ConfirmedBy, MergeReason

CORDIS_PREFIX = "cordis:"
# Pending claims an organisation may have at once: each sends an e-mail to a stranger.
MAX_PENDING_CLAIMS = 5
INVALID_LINK = (
    "This confirmation link is not valid: it is unknown, already used, expired or for another "
    "claim. Make the claim again for a new one."
)


def record_external_id(record: str) -> str:
    """The external id of the CORDIS record a claim names (`123` or `cordis:123`)."""
    value = record.strip()
    if value.casefold().startswith(CORDIS_PREFIX):
        value = value[len(CORDIS_PREFIX) :].strip()
    if not value.isascii() or not value.isdigit():
        raise InvalidInput(
            f"{record!r} is not a CORDIS organisation id or PIC: give its digits, such as "
            "999991428.",
            field="record",
        )
    return f"{CORDIS_PREFIX}{value}"


def record_pic(external_id: str | None) -> str | None:
    """The PIC of an imported CORDIS record (its external id's digits); None for a profile
    registered here or imported from elsewhere."""
    if external_id is None or not external_id.startswith(CORDIS_PREFIX):
        return None
    return external_id[len(CORDIS_PREFIX) :]


def records_like(
    session: Session, organisation: Organisation
) -> list[tuple[str, PossibleDuplicate]]:
    """The imported CORDIS records that look like a profile (name and country, or web domain),
    each with its PIC: the records its owner may mean to claim."""
    found = []
    for lookalike in lookalikes(session, organisation):
        pic = record_pic(lookalike.external_id)
        if pic is not None:
            found.append((pic, lookalike))
    return found


def claim_address(email: str, *, host: str | None) -> str:
    """The full address a link goes to, checked to be on the record's web domain."""
    if host is None or host in SHARED_HOSTS:
        # `field` names it for the API; the claim form marks the field it labels so.
        raise InvalidInput(
            "The record has no website of its own, so no address can confirm the claim: make "
            "the claim without an address and an administrator will confirm it.",
            field="email",
        )
    address = email if "@" in email else f"{email}@{host}"
    try:
        address = validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise InvalidInput(f"{email!r} is not a usable address: {error}", field="email") from None
    domain = address.rpartition("@")[2].casefold()
    if domain != host and not domain.endswith(f".{host}"):
        raise InvalidInput(
            f"The address must be on the record's own web domain, {host} (or a subdomain).",
            field="email",
        )
    return address


def claim_link(base_url: str, claim_id: int, token: str) -> str:
    """The page that confirms a claim (its GET only shows a button; the POST confirms)."""
    return web_page(base_url, f"/claims/{claim_id}/{token}")


def _body(
    claimant: Organisation, record: Organisation, link: str, hours: int, base_url: str
) -> str:
    profile = web_page(base_url, f"/organisations/{stored_id(claimant)}")
    return (
        "matchmaker helps research consortia for EU health programmes find their partners; "
        "it holds profiles of organisations, some imported from the EU's CORDIS records of "
        "funded projects.\n\n"
        f"{claimant.name} (profile {claimant.id} on matchmaker) says it is {record.name}, "
        f"the organisation CORDIS lists as {record.external_id}, and asks to take over its "
        "record: its projects would be shown on that profile as verified. You can read the "
        f"profile first, without signing in:\n\n{profile}\n\n"
        f"If this is right, open this link within {hours} hours and confirm:\n\n{link}\n\n"
        "The link works once. If you do not know this profile, ignore this message: nothing "
        "changes.\n"
    )


def create_claim(
    session: Session,
    *,
    organisation_id: int,
    data: ClaimCreate,
    actor: Principal | None,
    base_url: str,
    lifetime: timedelta,
    clock: Callable[[], datetime] = utc_now,
) -> tuple[Claim, str | None]:
    """Store a pending claim and, when an address is given, mail its link; return the claim
    and the link's token (for tests and the command line; None without an address)."""
    require_organisation(actor, organisation_id)
    # Locked, so that two concurrent claims cannot both pass the checks below.
    claimant = get_organisation(session, organisation_id=organisation_id, for_update=True)
    external_id = record_external_id(data.record)
    record = session.scalar(
        select(Organisation).where(col(Organisation.external_id) == external_id)
    )
    if record is None:
        merged = absorbed_external_ids(session, [external_id]).get(external_id)
        if merged is not None:
            raise Conflict(
                f"The record {external_id} was merged into organisation {merged} already, so "
                "there is nothing left to claim; if that profile is not yours, write to the "
                "service's administrators."
            )
        deleted = deleted_external_ids(session, [external_id]).get(external_id)
        if deleted is not None:
            raise NotFound(
                f"The record {deleted_note(external_id, deleted)} and is not imported again, "
                "so there is nothing to claim; if it is yours and should be listed again, "
                "write to the service's administrators.",
                field="record",
            )
        raise NotFound(
            f"No CORDIS record {external_id.removeprefix(CORDIS_PREFIX)} was imported here: "
            "check the digits CORDIS shows for the organisation (its organisation id or PIC).",
            field="record",
        )
    if record.id == organisation_id:
        raise Conflict(f"The record {external_id} is this profile already.")
    now = clock()
    mine = (
        col(Claim.organisation_id) == organisation_id,
        col(Claim.status) == ClaimStatus.pending.value,
    )
    same = session.scalar(
        select(col(Claim.id)).where(*mine, col(Claim.record_id) == record.id).limit(1)
    )
    if same is not None:
        raise Conflict(
            f"Claim {same} of the record {external_id} is pending already: confirm it, or "
            f"withdraw it (POST /claims/{same}/withdraw) to claim the record again."
        )
    pending = session.scalar(select(func.count()).where(*mine))
    if (pending or 0) >= MAX_PENDING_CLAIMS:
        raise Conflict(
            f"The organisation has {MAX_PENDING_CLAIMS} pending claims; wait for them to be "
            "confirmed, or withdraw one, before making another."
        )
    address = claim_address(data.email, host=record.website_host) if data.email else None
    token = secrets.token_urlsafe(32) if address else None
    claim = Claim(
        organisation_id=organisation_id,
        record_id=record.id,
        external_id=external_id,
        email=address,
        token_hash=hash_secret(token) if token else None,
        created_at=now,
        expires_at=now + lifetime if token else None,
    )
    session.add(claim)
    session.flush()
    if address and token:
        hours = max(1, round(lifetime.total_seconds() / 3600))
        enqueue(
            session,
            # Filed under the record, not the claimant: nothing of the claimant's (a webhook,
            # its contact address) may ever receive the link.
            organisation_id=stored_id(record),
            event=Event.claim_confirmation,
            subject=f"Confirm that {claimant.name} is {record.name} on matchmaker",
            body=_body(
                claimant, record, claim_link(base_url, stored_id(claim), token), hours, base_url
            ),
            to_address=address,
            ids=AboutIds(claim_id=stored_id(claim)),
        )
    return claim, token


def _rowcount(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount)


def confirm_by_link(
    session: Session, *, claim_id: int, token: str, clock: Callable[[], datetime] = utc_now
) -> Organisation:
    """Use a claim's link once: the record merges into the claimant; return the claimant.

    The claim is marked confirmed by one conditional UPDATE, so two uses cannot both pass; an
    unknown, used, expired or another claim's token, or a record gone, is NotFound alike.
    """
    now = clock()
    used = session.execute(
        update(Claim)
        .where(
            col(Claim.id) == claim_id,
            col(Claim.token_hash) == hash_secret(token),
            col(Claim.status) == ClaimStatus.pending.value,
            col(Claim.expires_at) > now,
            col(Claim.record_id).is_not(None),
        )
        .values(
            status=ClaimStatus.confirmed.value,
            confirmed_at=now,
            confirmed_by=ConfirmedBy.link.value,
        )
        .execution_options(synchronize_session=False)
    )
    if _rowcount(used) != 1:
        raise NotFound(INVALID_LINK)
    return _merge(session, claim_id=claim_id)


def confirm_by_admin(
    session: Session,
    *,
    claim_id: int,
    actor: Principal | None,
    clock: Callable[[], datetime] = utc_now,
) -> Organisation:
    """An admin confirms a pending claim, link or not: the record merges into the claimant."""
    require_role(actor, ADMIN_ONLY)
    claim = get_or_raise(session, Claim, claim_id, noun="claim", for_update=True)
    if claim.status != ClaimStatus.pending.value or claim.record_id is None:
        raise Conflict(
            f"Claim {claim_id} is {_said(claim)}; only a pending claim can be confirmed."
        )
    claim.status = ClaimStatus.confirmed.value
    claim.confirmed_at = clock()
    claim.confirmed_by = ConfirmedBy.admin.value
    session.flush()
    return _merge(session, claim_id=claim_id)


_SAID = {
    ClaimStatus.record_merged.value: "closed: its record was merged into a profile while it waited",
    ClaimStatus.record_deleted.value: "closed: its record was deleted while it waited",
}


def _said(claim: Claim) -> str:
    """Where a claim stands, in words, for a refusal."""
    if claim.status == ClaimStatus.pending.value and claim.record_id is None:
        # Left pending by a record deleted outside the service (the foreign key empties
        # record_id); migration 5a9d3e7c1b48 ended those from before the final statuses.
        return "closed: its record is no longer stored"
    return _SAID.get(claim.status, claim.status)


def withdraw_claim(session: Session, *, claim_id: int, actor: Principal | None) -> Claim:
    """Withdraw a pending claim (the claimant's key, or an admin): it can no longer be
    confirmed and its link is void. Another organisation's claim is NotFound, as a missing one,
    so that no caller learns which claim ids exist."""
    actor = require_role(actor, (KeyRole.organisation,))
    claim = session.get(Claim, claim_id, with_for_update=True)
    if claim is None or not (actor.is_admin or claim.organisation_id == actor.organisation_id):
        raise NotFound(f"No claim with id {claim_id}.")
    if claim.status != ClaimStatus.pending.value:
        raise Conflict(
            f"Claim {claim_id} is {_said(claim)}; only a pending claim can be withdrawn."
        )
    claim.status = ClaimStatus.withdrawn.value
    claim.token_hash = None
    session.flush()
    return claim


def _merge(session: Session, *, claim_id: int) -> Organisation:
    claim = session.get_one(Claim, claim_id, populate_existing=True)
    record_id = claim.record_id
    if record_id is None:
        raise NotFound(INVALID_LINK)
    return merge_organisations(
        session,
        survivor_id=claim.organisation_id,
        absorbed_id=record_id,
        actor=OPERATOR,
        reason=MergeReason.claim,
        claim_id=claim_id,
        verify_absorbed=True,
    )


def list_claims(
    session: Session,
    *,
    actor: Principal | None,
    organisation_id: int | None = None,
    status: ClaimStatus | None = None,
    limit: int,
    offset: int,
) -> tuple[list[Claim], int]:
    """One page of claims, oldest first: one organisation's (its keys, admins; NotFound for
    one that does not exist, as for its other lists) or all (admins)."""
    statement = organisation_rows(
        select(Claim).order_by(col(Claim.id)),
        col(Claim.organisation_id),
        actor=actor,
        organisation_id=organisation_id,
    )
    if organisation_id is not None:
        get_organisation(session, organisation_id=organisation_id)
    if status is not None:
        statement = statement.where(col(Claim.status) == status.value)
    return paginate(session, statement, limit=limit, offset=offset)
