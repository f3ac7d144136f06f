"""Signed webhooks: an organisation's notifications POSTed as JSON to the addresses it registers.

Every outbox message for an organisation gets one delivery per webhook it has at that moment,
written in the message's transaction (`matchmaker.partnering.outbox.enqueue`). Deliveries are
sent as e-mail is (`matchmaker.partnering.delivery`): claimed in a short write transaction (one
more attempt, the next one moved `delivery.SEND_LEASE` ahead, so no other worker finds it due),
POSTed with no transaction open (a slow receiver never holds SQLite's write lock), and the
answer recorded in a second one if the claim is still this worker's. A worker that dies after
claiming leaves the delivery to be retried when the lease ends; one that dies after the
receiver answered but before recording it POSTs it again then, under the same message id. At
least once, under the message's stable id; retried after 1, 2, 4, ... minutes until
MAX_ATTEMPTS, then marked failed. Messages holding a secret (key-recovery links) never go to a
webhook: a stolen key could register one and take over the organisation.

Each request carries `X-Matchmaker-Timestamp` (Unix seconds) and `X-Matchmaker-Signature:
sha256=<hex>`, the HMAC-SHA256 of `<timestamp>.<raw body>` under the webhook's secret
(`verify_signature` checks one). Webhook URLs must name public addresses: loopback, private,
link-local and other non-global addresses are refused when registered and again at each
delivery, and the request goes to the very address checked (no second DNS lookup to rebind).
"""

import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import httpx
from sqlalchemy import Engine, delete, func, select
from sqlmodel import Session, col

from matchmaker.auth import Principal, require_organisation
from matchmaker.db import BackgroundWriter, first_claimed
from matchmaker.errors import Conflict, InvalidInput, NotFound
from matchmaker.organisations import get_organisation
from matchmaker.partnering.delivery import SEND_LEASE, failure_text, retry_delay
from matchmaker.partnering.outbox import about_of
from matchmaker.repository import ExpectedVersion, check_unversioned, stored_id
from models.common import as_utc, utc_now
from models.notifications import (
    Webhook,
    WebhookCreate,
    WebhookDelivery,
    WebhookDeliveryPublic,
    WebhookDeliveryStatus,
)
from models.organisation import holds_credentials
from models.partnering import OutboxMessage

logger = logging.getLogger(__name__)

MAX_WEBHOOKS = 5
# After 12 attempts, 1 + 2 + ... + 1024 minutes (about 34 hours) have passed: given up.
MAX_ATTEMPTS = 12
# A receiver that stops answering is given up this many seconds into a connect, read or write
# (no transaction is open meanwhile; `delivery.SEND_LEASE` must outlast it).
WEBHOOK_TIMEOUT = 10
SECRET_PREFIX = "whsec_"  # noqa: S105 - the marker that starts every webhook secret
SIGNATURE_HEADER = "X-Matchmaker-Signature"
TIMESTAMP_HEADER = "X-Matchmaker-Timestamp"
MESSAGE_ID_HEADER = "X-Matchmaker-Message-Id"
EVENT_HEADER = "X-Matchmaker-Event"
USER_AGENT = "matchmaker-webhooks/1"

Resolver = Callable[[str, int], list[str]]


class UnsafeAddress(ValueError):
    """A webhook URL that is malformed or leads to an address the service must not call."""


def resolve(host: str, port: int) -> list[str]:
    """The IP addresses a host name stands for (a literal address stands for itself)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def is_public(address: str) -> bool:
    """Whether an IP address is a global unicast one (not loopback, private, link-local...)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def parse_url(url: str) -> httpx.URL:
    """An http(s) URL with a host and no credentials, as httpx will read it; else UnsafeAddress."""
    if any(character.isspace() or ord(character) < 32 for character in url):
        raise UnsafeAddress("The URL must not contain spaces or control characters.")
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError) as error:
        raise UnsafeAddress(f"The URL cannot be read: {error}.") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise UnsafeAddress("The URL must be an http:// or https:// address with a host.")
    if holds_credentials(url):
        raise UnsafeAddress("The URL must not hold a user name or password.")
    return parsed


def pinned_address(url: httpx.URL, *, allow_private: bool, resolver: Resolver = resolve) -> str:
    """The address to connect to for a URL; UnsafeAddress if any it resolves to is not public."""
    host = url.raw_host.decode("ascii")
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        addresses = resolver(host, port)
    except (OSError, UnicodeError):
        raise UnsafeAddress(f"The host {host} cannot be resolved.") from None
    if not addresses:
        raise UnsafeAddress(f"The host {host} cannot be resolved.")
    if not allow_private:
        refused = [address for address in addresses if not is_public(address)]
        if refused:
            raise UnsafeAddress(
                f"The host {host} resolves to {refused[0]}, a loopback, private or otherwise "
                "non-public address; webhooks must be reachable on the internet."
            )
    return addresses[0]


def new_secret() -> str:
    """A webhook's signing secret: 256 random bits."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The X-Matchmaker-Signature value: HMAC-SHA256 of `<timestamp>.<body>`, hex, prefixed."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def verify_signature(
    secret: str, *, timestamp: str, body: bytes, header: str, now: float, tolerance: int = 300
) -> bool:
    """What a receiver checks: the signature matches, and the timestamp is within `tolerance`
    seconds of `now` (so a captured request cannot be replayed later)."""
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs(now - sent) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, sent, body), header)


def payload(message: OutboxMessage) -> bytes:
    """The JSON body POSTed for an outbox message, `about` naming what it reports by id (its
    raw bytes are what is signed)."""
    document = {
        "id": message.message_id,
        "event": message.event,
        "organisation_id": message.organisation_id,
        "subject": message.subject,
        "body": message.body,
        "created_at": as_utc(message.created_at).isoformat().replace("+00:00", "Z"),
        "about": about_of(message),
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


# Registration


def _owned(session: Session, *, organisation_id: int, actor: Principal | None) -> None:
    require_organisation(actor, organisation_id)
    get_organisation(session, organisation_id=organisation_id)


def create_webhook(
    session: Session,
    *,
    organisation_id: int,
    data: WebhookCreate,
    actor: Principal | None,
    allow_private: bool,
    resolver: Resolver = resolve,
) -> Webhook:
    """Register a webhook for the caller's organisation; its secret is readable only now. A
    URL it already has is refused: every event would reach it twice."""
    require_organisation(actor, organisation_id)
    # Locked, so that two concurrent registrations cannot both pass the checks below.
    get_organisation(session, organisation_id=organisation_id, for_update=True)
    try:
        url = parse_url(data.url)
        pinned_address(url, allow_private=allow_private, resolver=resolver)
    except UnsafeAddress as error:
        raise InvalidInput(str(error), field="url") from None
    same = session.scalar(
        select(col(Webhook.id)).where(
            col(Webhook.organisation_id) == organisation_id, col(Webhook.url) == str(url)
        )
    )
    if same is not None:
        raise Conflict(
            f"Your organisation's webhook {same} already posts to {url}; every event would "
            "reach it twice. To get a new secret, delete that webhook and register the URL again."
        )
    count = session.scalar(
        select(func.count())
        .select_from(Webhook)
        .where(col(Webhook.organisation_id) == organisation_id)
    )
    if (count or 0) >= MAX_WEBHOOKS:
        raise Conflict(
            f"An organisation has at most {MAX_WEBHOOKS} webhooks; delete one to add another."
        )
    webhook = Webhook(organisation_id=organisation_id, url=str(url), secret=new_secret())
    session.add(webhook)
    session.flush()
    return webhook


def list_webhooks(
    session: Session, *, organisation_id: int, actor: Principal | None
) -> list[Webhook]:
    """The organisation's webhooks, oldest first (its own key or an admin's)."""
    _owned(session, organisation_id=organisation_id, actor=actor)
    return list(
        session.scalars(
            select(Webhook)
            .where(col(Webhook.organisation_id) == organisation_id)
            .order_by(col(Webhook.id))
        )
    )


def get_webhook(
    session: Session, *, organisation_id: int, webhook_id: int, actor: Principal | None
) -> Webhook:
    """One of the organisation's webhooks (its own key or an admin's); NotFound for another
    organisation's, as for a missing one."""
    _owned(session, organisation_id=organisation_id, actor=actor)
    webhook = session.get(Webhook, webhook_id)
    if webhook is None or webhook.organisation_id != organisation_id:
        raise NotFound(f"The organisation has no webhook {webhook_id}.")
    return webhook


def delete_webhook(
    session: Session,
    *,
    organisation_id: int,
    webhook_id: int,
    actor: Principal | None,
    expected_version: ExpectedVersion = None,
) -> None:
    """Delete a webhook and its delivery log; nothing more is sent to it."""
    get_webhook(session, organisation_id=organisation_id, webhook_id=webhook_id, actor=actor)
    check_unversioned(expected_version)
    # Core deletes, so the database's ON DELETE CASCADE removes the log without loading it.
    session.execute(delete(WebhookDelivery).where(col(WebhookDelivery.webhook_id) == webhook_id))
    session.execute(delete(Webhook).where(col(Webhook.id) == webhook_id))


def list_deliveries(
    session: Session,
    *,
    organisation_id: int,
    webhook_id: int,
    actor: Principal | None,
    limit: int,
    offset: int,
) -> tuple[list[WebhookDeliveryPublic], int]:
    """One page of a webhook's delivery log, newest first, and how many there are in all."""
    get_webhook(session, organisation_id=organisation_id, webhook_id=webhook_id, actor=actor)
    mine = col(WebhookDelivery.webhook_id) == webhook_id
    total = session.scalar(select(func.count()).select_from(WebhookDelivery).where(mine)) or 0
    rows = session.execute(
        select(WebhookDelivery, OutboxMessage)
        .join(OutboxMessage, col(OutboxMessage.id) == col(WebhookDelivery.outbox_message_id))
        .where(mine)
        .order_by(col(WebhookDelivery.id).desc())
        .limit(limit)
        .offset(offset)
    ).all()
    items = [
        WebhookDeliveryPublic(
            id=cast(int, delivery.id),
            message_id=message.message_id,
            event=message.event,
            about=about_of(message),
            status=WebhookDeliveryStatus(delivery.status),
            attempts=delivery.attempts,
            last_status_code=delivery.last_status_code,
            last_error=delivery.last_error,
            created_at=delivery.created_at,
            # Once delivered or given up, the stored time is the last claim's lease, a retry
            # that never comes.
            next_attempt_at=(
                delivery.next_attempt_at
                if delivery.status == WebhookDeliveryStatus.pending.value
                else None
            ),
            delivered_at=delivery.delivered_at,
        )
        for delivery, message in rows
    ]
    return items, int(total)


# Delivery


@dataclass(slots=True)
class WebhooksDelivered:
    """What one pass did."""

    delivered: int = 0
    failed: int = 0

    @property
    def attempted(self) -> int:
        """Deliveries tried in this pass."""
        return self.delivered + self.failed


def post(
    client: httpx.Client,
    *,
    webhook: Webhook,
    message: OutboxMessage,
    timestamp: int,
    allow_private: bool,
    resolver: Resolver = resolve,
) -> httpx.Response:
    """POST one message to one webhook, signed, to the address checked (raises on failure)."""
    url = parse_url(webhook.url)
    address = pinned_address(url, allow_private=allow_private, resolver=resolver)
    body = payload(message)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Host": url.netloc.decode("ascii"),
        SIGNATURE_HEADER: signature(webhook.secret, timestamp, body),
        TIMESTAMP_HEADER: str(timestamp),
        MESSAGE_ID_HEADER: message.message_id,
        EVENT_HEADER: message.event,
    }
    # Connect to the checked address; TLS still verifies the certificate for the host name.
    extensions: dict[str, Any] = {"sni_hostname": url.host} if url.scheme == "https" else {}
    return client.post(
        url.copy_with(host=address),
        content=body,
        headers=headers,
        extensions=extensions,
        follow_redirects=False,
        timeout=WEBHOOK_TIMEOUT,
    )


@dataclass(frozen=True, slots=True)
class _Claim:
    """A delivery claimed: which one, under which attempt, to which webhook, of which message
    (the rows as read in the claim, detached)."""

    id: int
    attempts: int
    webhook: Webhook
    message: OutboxMessage


def _claim_next(session: Session, *, now: datetime) -> _Claim | None:
    """In the caller's write transaction, the next due delivery with its lease taken; None when
    none is due."""
    statement = (
        select(WebhookDelivery)
        .where(
            col(WebhookDelivery.status) == WebhookDeliveryStatus.pending.value,
            col(WebhookDelivery.next_attempt_at) <= now,
        )
        .order_by(col(WebhookDelivery.id))
        .limit(1)
    )
    delivery = first_claimed(session, statement)
    if delivery is None:
        return None
    webhook = session.get(Webhook, delivery.webhook_id)
    message = session.get(OutboxMessage, delivery.outbox_message_id)
    # The cascades delete a delivery with its webhook and its message.
    assert webhook is not None
    assert message is not None
    delivery.attempts += 1
    delivery.next_attempt_at = now + SEND_LEASE
    session.add(delivery)
    return _Claim(
        id=stored_id(delivery), attempts=delivery.attempts, webhook=webhook, message=message
    )


def deliver_webhooks(
    engine: Engine,
    *,
    client: httpx.Client,
    allow_private: bool,
    limit: int | None = None,
    clock: Callable[[], datetime] = utc_now,
    resolver: Resolver = resolve,
    writer: BackgroundWriter | None = None,
) -> WebhooksDelivered:
    """POST the due deliveries, oldest first, each claimed, POSTed with no transaction open,
    then recorded; stop at `limit` or when none is due. A 2xx answer is delivered; anything
    else (a redirect too) is retried later."""
    done = WebhooksDelivered()
    writer = writer or BackgroundWriter(engine)
    while limit is None or done.attempted < limit:
        with writer.transaction() as session:
            claim = _claim_next(session, now=clock())
        if claim is None:
            return done
        status_code: int | None = None
        try:
            response = post(
                client,
                webhook=claim.webhook,
                message=claim.message,
                timestamp=int(clock().timestamp()),
                allow_private=allow_private,
                resolver=resolver,
            )
        except (httpx.HTTPError, UnsafeAddress, OSError) as error:
            failure: str | None = failure_text(error)
        else:
            status_code = response.status_code
            failure = None if response.is_success else f"HTTP {response.status_code}"
        now = clock()
        with writer.transaction() as session:
            delivery = session.get(WebhookDelivery, claim.id, with_for_update=True)
            # Unless deleted with its webhook meanwhile, or claimed again after the lease ended.
            if (
                delivery is not None
                and delivery.status == WebhookDeliveryStatus.pending.value
                and delivery.attempts == claim.attempts
            ):
                delivery.last_status_code = status_code
                delivery.last_error = failure
                if failure is None:
                    delivery.status = WebhookDeliveryStatus.delivered.value
                    delivery.delivered_at = now
                elif claim.attempts >= MAX_ATTEMPTS:
                    delivery.status = WebhookDeliveryStatus.failed.value
                else:
                    delivery.next_attempt_at = now + retry_delay(claim.attempts)
                session.add(delivery)
        if failure is None:
            done.delivered += 1
        else:
            done.failed += 1
            logger.warning(
                "Could not deliver %s to webhook %s: %s",
                claim.message.message_id,
                claim.webhook.id,
                failure,
            )
    return done
