"""Delivering the outbox to signed webhooks on a real HTTP receiver on loopback: signed, retried
with a growing delay, once each however many workers, never to a private address unless allowed."""

import json
import os
import signal
import ssl
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, select, update
from sqlmodel import Session, col

from matchmaker import db
from matchmaker.auth import OPERATOR
from matchmaker.partnering.delivery import SEND_LEASE
from matchmaker.partnering.outbox import Event, enqueue
from matchmaker.partnering.webhooks import (
    MAX_ATTEMPTS,
    UnsafeAddress,
    deliver_webhooks,
    is_public,
    list_deliveries,
    parse_url,
    signature,
    verify_signature,
)
from models.common import StakeholderType, utc_now
from models.notifications import Webhook, WebhookDelivery, WebhookDeliveryPublic
from models.organisation import Organisation
from tests.matchmaker.partnering.receiver import Receiver, self_signed, webhook_receiver

SECRET = "whsec_test-secret"


def seed(
    engine: Engine, url: str, count: int, *, event: Event = Event.request_received
) -> list[str]:
    """One organisation with a webhook at `url`, then `count` notifications; their ids."""
    with db.session_scope(db.for_writing(engine)) as session:
        organisation = Organisation(
            name="Lab", stakeholder_type=StakeholderType.academia, country="NL"
        )
        session.add(organisation)
        session.flush()
        assert organisation.id is not None
        session.add(Webhook(organisation_id=organisation.id, url=f"{url}/hook", secret=SECRET))
        session.flush()
        return [
            enqueue(
                session,
                organisation_id=organisation.id,
                event=event,
                subject=f"Message {number}",
                body=f"Body {number}\n",
            ).message_id
            for number in range(count)
        ]


def deliveries(engine: Engine) -> list[WebhookDelivery]:
    """Every delivery, oldest first."""
    with Session(engine) as session:
        return list(session.scalars(select(WebhookDelivery).order_by(col(WebhookDelivery.id))))


def deliver(
    engine: Engine, *, clock: datetime | None = None, allow_private: bool = True
) -> tuple[int, int]:
    """One pass with a fresh client: (delivered, failed)."""
    with httpx.Client() as client:
        done = deliver_webhooks(
            engine,
            client=client,
            allow_private=allow_private,
            clock=(lambda: clock) if clock else utc_now,
        )
    return done.delivered, done.failed


def lease_over(engine: Engine) -> None:
    """Move every pending delivery's next attempt SEND_LEASE earlier: as if the lease of one
    claimed now had ended (the receiver checks the signature's timestamp against its own clock,
    so the pass's clock cannot be moved instead)."""
    with db.session_scope(db.for_writing(engine)) as session:
        for delivery in session.scalars(
            select(WebhookDelivery).where(col(WebhookDelivery.status) == "pending")
        ):
            delivery.next_attempt_at = delivery.next_attempt_at - SEND_LEASE
            session.add(delivery)


def test_public_addresses_only() -> None:
    """Loopback, private, link-local, shared, unspecified and mapped private addresses are not
    public; ordinary internet addresses are."""
    refused = ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254"]
    refused += ["100.64.0.1", "0.0.0.0", "::1", "fd00::1", "fe80::1", "::ffff:127.0.0.1"]
    assert [address for address in refused if is_public(address)] == []
    assert all(is_public(address) for address in ["93.184.216.34", "2606:4700::1111"])


@pytest.mark.parametrize(
    "url",
    [
        "ftp://hooks.example/x",
        "file:///etc/passwd",
        "https://user:pw@hooks.example/",
        "https:///no-host",
        "https://hooks.example/a b",
        "not a url",
    ],
)
def test_url_must_be_http_with_a_host_and_no_credentials(url: str) -> None:
    """Other schemes, no host, credentials or spaces are refused before any lookup."""
    with pytest.raises(UnsafeAddress):
        parse_url(url)


def test_signature_covers_timestamp_and_body() -> None:
    """The header is sha256=HMAC(secret, "<timestamp>.<body>"); a changed body, another secret
    or a stale timestamp does not verify."""
    body = b'{"id":"<1@matchmaker>"}'
    header = signature(SECRET, 1_700_000_000, body)
    assert header == (
        "sha256="
        + __import__("hmac").new(SECRET.encode(), b"1700000000." + body, "sha256").hexdigest()
    )
    check = {"timestamp": "1700000000", "now": 1_700_000_010.0}
    assert verify_signature(SECRET, body=body, header=header, **check)  # type: ignore[arg-type]
    assert not verify_signature(SECRET, body=body + b" ", header=header, **check)  # type: ignore[arg-type]
    assert not verify_signature("whsec_other", body=body, header=header, **check)  # type: ignore[arg-type]
    assert not verify_signature(
        SECRET, timestamp="1700000000", body=body, header=header, now=1_700_001_000.0
    )


def test_each_message_is_posted_once_signed_with_its_stable_id(engine: Engine) -> None:
    """A pass POSTs every message as signed JSON; the receiver verifies it; the next pass
    sends nothing."""
    receiver = Receiver(secret=SECRET)
    with webhook_receiver(receiver) as url:
        ids = seed(engine, url, 2)
        assert deliver(engine) == (2, 0)
        assert deliver(engine) == (0, 0)
    assert [r.message_id for r in receiver.received] == ids
    assert all(r.verified for r in receiver.received)
    first = receiver.received[0]
    assert first.path == "/hook"
    assert first.headers["content-type"] == "application/json"
    assert first.headers["x-matchmaker-event"] == "request_received"
    document = json.loads(first.body)
    assert {k: document[k] for k in ("id", "event", "subject", "body")} == {
        "id": ids[0],
        "event": "request_received",
        "subject": "Message 0",
        "body": "Body 0\n",
    }
    assert [(d.status, d.attempts, d.last_status_code) for d in deliveries(engine)] == [
        ("delivered", 1, 200),
        ("delivered", 1, 200),
    ]


def test_a_bad_signature_is_refused_by_the_receiver_and_retried(engine: Engine) -> None:
    """A receiver holding another secret answers 401: the delivery stays pending, logged."""
    receiver = Receiver(secret="whsec_not-the-one")
    with webhook_receiver(receiver) as url:
        seed(engine, url, 1)
        assert deliver(engine) == (0, 1)
    assert [r.verified for r in receiver.received] == [False]
    [delivery] = deliveries(engine)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 401)
    assert delivery.last_error == "HTTP 401"


def test_a_failing_receiver_gets_the_message_again_after_the_backoff(engine: Engine) -> None:
    """A 500 is retried a minute later (not before), under the same id; then delivered."""
    receiver = Receiver(statuses=(500, 200), secret=SECRET)
    with webhook_receiver(receiver) as url:
        [message_id] = seed(engine, url, 1)
        now = utc_now()
        assert deliver(engine, clock=now) == (0, 1)
        [delivery] = deliveries(engine)
        assert (delivery.status, delivery.last_status_code) == ("pending", 500)
        assert deliver(engine, clock=now + timedelta(seconds=59)) == (0, 0)
        assert deliver(engine, clock=now + timedelta(minutes=1)) == (1, 0)
    assert [r.message_id for r in receiver.received] == [message_id, message_id]
    assert all(r.verified for r in receiver.received)
    [delivery] = deliveries(engine)
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("delivered", 2, None)


def test_delivery_is_given_up_after_the_last_attempt(engine: Engine) -> None:
    """The MAX_ATTEMPTS-th failure marks the delivery failed; it is not tried again."""
    receiver = Receiver(statuses=(503,))
    with webhook_receiver(receiver) as url:
        seed(engine, url, 1)
        with db.session_scope(engine) as session:
            session.execute(update(WebhookDelivery).values(attempts=MAX_ATTEMPTS - 1))
        assert deliver(engine) == (0, 1)
        assert deliver(engine, clock=utc_now() + timedelta(days=2)) == (0, 0)
    [delivery] = deliveries(engine)
    assert (delivery.status, delivery.attempts) == ("failed", MAX_ATTEMPTS)


def test_the_log_names_a_next_attempt_only_while_one_will_come(engine: Engine) -> None:
    """Pending, the log says when it is tried next (a minute after a 500); given up, null,
    not the time the last attempt's claim would have ended."""
    receiver = Receiver(statuses=(500, 503))
    with webhook_receiver(receiver) as url:
        seed(engine, url, 1)
        now = utc_now()
        assert deliver(engine, clock=now) == (0, 1)
        [pending] = _log(engine)
        assert (pending.status, pending.next_attempt_at) == ("pending", _stored_next(engine))
        with db.session_scope(engine) as session:
            session.execute(update(WebhookDelivery).values(attempts=MAX_ATTEMPTS - 1))
        assert deliver(engine, clock=now + timedelta(minutes=1)) == (0, 1)
    [failed] = _log(engine)
    assert (failed.status, failed.next_attempt_at) == ("failed", None)


def _log(engine: Engine) -> list[WebhookDeliveryPublic]:
    """The only webhook's delivery log, as its owner reads it."""
    with Session(engine) as session:
        [webhook] = session.scalars(select(Webhook))
        assert webhook.id is not None
        items, _ = list_deliveries(
            session,
            organisation_id=webhook.organisation_id,
            webhook_id=webhook.id,
            actor=OPERATOR,
            limit=10,
            offset=0,
        )
    return items


def _stored_next(engine: Engine) -> datetime:
    """The only delivery's stored next attempt, in UTC."""
    [delivery] = deliveries(engine)
    return delivery.next_attempt_at.replace(tzinfo=UTC)


def test_private_address_is_refused_at_delivery_unless_allowed(engine: Engine) -> None:
    """A webhook on loopback gets nothing when private addresses are not allowed."""
    receiver = Receiver()
    with webhook_receiver(receiver) as url:
        seed(engine, url, 1)
        assert deliver(engine, allow_private=False) == (0, 1)
    assert receiver.received == []
    [delivery] = deliveries(engine)
    assert delivery.last_error is not None
    assert delivery.last_error.startswith("UnsafeAddress: The host 127.0.0.1 resolves to")


def test_key_recovery_links_never_go_to_webhooks(engine: Engine) -> None:
    """A message holding a secret link has no webhook delivery."""
    seed(engine, "http://127.0.0.1:9", 1, event=Event.key_recovery)
    assert deliveries(engine) == []


def test_concurrent_workers_never_post_one_delivery_twice(engine: Engine) -> None:
    """Four workers drain the deliveries at once: every message arrives exactly once."""
    receiver = Receiver(secret=SECRET)
    with webhook_receiver(receiver) as url:
        ids = seed(engine, url, 20)
        workers = [threading.Thread(target=deliver, args=(engine,)) for _ in range(4)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(60)
    assert sorted(r.message_id for r in receiver.received) == sorted(ids)
    assert [d.status for d in deliveries(engine)] == ["delivered"] * 20


def test_https_goes_to_the_checked_address_and_verifies_the_host_name(
    engine: Engine, tmp_path: Path
) -> None:
    """The request connects to the address the check resolved, sends the URL's host name in
    Host and SNI, and verifies the certificate for that name (the certificate holds no IP)."""
    cert, key = self_signed(tmp_path, "hooks.test")
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    receiver = Receiver(secret=SECRET)
    with webhook_receiver(receiver, tls=server_context) as url:
        port = int(url.rsplit(":", 1)[1])
        seed(engine, f"https://hooks.test:{port}", 1)
        with httpx.Client(verify=ssl.create_default_context(cafile=str(cert))) as client:
            done = deliver_webhooks(
                engine, client=client, allow_private=True, resolver=lambda host, _: ["127.0.0.1"]
            )
    assert (done.delivered, done.failed) == (1, 0)
    [received] = receiver.received
    assert received.verified
    assert received.headers["host"] == f"hooks.test:{port}"


def test_a_host_that_resolves_elsewhere_at_delivery_is_refused(engine: Engine) -> None:
    """A name that pointed to a public address when registered and to a private one now
    (DNS rebinding) gets nothing: the address is checked again before each delivery."""
    seed(engine, "https://hooks.test", 1)
    with httpx.Client() as client:
        done = deliver_webhooks(
            engine, client=client, allow_private=False, resolver=lambda host, _: ["10.0.0.7"]
        )
    assert (done.delivered, done.failed) == (0, 1)
    [delivery] = deliveries(engine)
    assert delivery.last_error is not None
    assert "resolves to 10.0.0.7" in delivery.last_error


ROOT = Path(__file__).resolve().parents[3]


def _notify_run(database_url: str) -> subprocess.Popen[str]:
    """`matchmaker notify run` in its own process, webhooks to loopback allowed, no e-mail."""
    environment = {
        name: value for name, value in os.environ.items() if name != "MATCHMAKER_SMTP_URL"
    }
    return subprocess.Popen(
        [sys.executable, "-m", "matchmaker.cli.main", "notify", "run"],
        cwd=ROOT,
        env={
            **environment,
            "MATCHMAKER_DATABASE_URL": database_url,
            "MATCHMAKER_WEBHOOK_ALLOW_PRIVATE": "true",
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.mark.slow
def test_worker_killed_mid_post_loses_no_delivery_and_repeats_carry_the_same_id(
    engine: Engine, database_url: str
) -> None:
    """`matchmaker notify run` killed while the receiver holds its 10th POST: the restarted
    pass delivers the rest, and the 10th once its lease has ended; it arrives twice under one
    message id; none is lost."""
    receiver = Receiver(secret=SECRET, stall_at=10)
    with webhook_receiver(receiver) as url:
        ids = seed(engine, url, 30)
        first = _notify_run(database_url)
        try:
            receiver.wait_for(10)
        finally:
            first.send_signal(signal.SIGKILL)
            first.communicate(timeout=30)
        receiver.released.set()
        # The delivery in flight stays claimed (pending, one attempt) until its lease ends.
        assert [(d.status, d.attempts) for d in deliveries(engine)] == [("delivered", 1)] * 9 + [
            ("pending", 1)
        ] + [("pending", 0)] * 20
        second = _notify_run(database_url)
        output, _ = second.communicate(timeout=60)
        assert second.returncode == 0, output
        assert [d.status for d in deliveries(engine)].count("pending") == 1
        assert deliver(engine) == (0, 0)
        lease_over(engine)
        assert deliver(engine) == (1, 0)
    assert "webhooks: delivered 20, failed 0." in output
    received = [r.message_id for r in receiver.received]
    assert len(received) == 31
    assert sorted(set(received)) == sorted(ids)
    assert [i for i in set(received) if received.count(i) > 1] == [ids[9]]
    repeats = [r for r in receiver.received if r.message_id == ids[9]]
    assert all(r.verified for r in receiver.received)
    assert [(json.loads(r.body)["id"], json.loads(r.body)["body"]) for r in repeats] == [
        (ids[9], "Body 9\n")
    ] * 2
    assert [d.status for d in deliveries(engine)] == ["delivered"] * 30
