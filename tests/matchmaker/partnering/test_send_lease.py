"""Sending outside the write lock: e-mail, digests and webhooks are claimed in one short write
transaction, sent with none open, and recorded in another. Another writer gets in while a send
is in flight, two passes at once send each message once, and a claim whose worker died is sent
again when its lease ends (real SQLite files or PostgreSQL, a real SMTP server and a real HTTP
receiver on loopback)."""

import shutil
import sqlite3
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from matchmaker import db
from matchmaker.partnering.delivery import (
    SEND_LEASE,
    SmtpSender,
    SmtpServer,
    deliver_digests,
    deliver_pending,
)
from matchmaker.partnering.outbox import Event, enqueue
from matchmaker.partnering.preferences import ensure_preference
from matchmaker.partnering.webhooks import deliver_webhooks
from matchmaker.repository import stored_id
from matchmaker.settings import Settings
from models.common import StakeholderType, utc_now
from models.notifications import EmailFrequency, Webhook, WebhookDelivery
from models.organisation import Organisation
from models.partnering import OutboxMessage
from tests.matchmaker.partnering.receiver import Receiver, webhook_receiver
from tests.matchmaker.partnering.smtp import Recorder, smtp_server


class Died(BaseException):
    """What a worker killed in the middle of a send leaves behind: nothing after this point."""


def seed(
    engine: Engine, count: int, *, webhook: str | None = None, daily: bool = False
) -> list[str]:
    """One organisation with a contact address (a webhook at `webhook`, a digest a day and
    its last digest two days ago if `daily`) and `count` notifications; their Message-IDs."""
    with db.session_scope(db.for_writing(engine)) as session:
        organisation = Organisation(
            name="Lab",
            stakeholder_type=StakeholderType.academia,
            country="NL",
            contact_email="team@lab.example",
        )
        session.add(organisation)
        session.flush()
        organisation_id = stored_id(organisation)
        if webhook is not None:
            session.add(Webhook(organisation_id=organisation_id, url=f"{webhook}/hook", secret="s"))
            session.flush()
        if daily:
            preference = ensure_preference(session, organisation_id=organisation_id, now=utc_now())
            preference.email = EmailFrequency.daily.value
            preference.digest_since = utc_now() - timedelta(days=2)
            session.add(preference)
        return [
            enqueue(
                session,
                organisation_id=organisation_id,
                event=Event.request_received,
                subject=f"Message {number}",
                body=f"Body {number}\n",
            ).message_id
            for number in range(count)
        ]


def statuses(engine: Engine, table: type[OutboxMessage | WebhookDelivery]) -> list[tuple[str, int]]:
    """(status, attempts) of every outbox message or webhook delivery, oldest first."""
    with Session(engine) as session:
        rows = session.execute(
            select(col(table.status), col(table.attempts)).order_by(col(table.id))
        )
        return [(status, attempts) for status, attempts in rows]


def messages(engine: Engine) -> list[tuple[str, int]]:
    """(status, attempts) of every outbox message, oldest first."""
    return statuses(engine, OutboxMessage)


def deliveries(engine: Engine) -> list[tuple[str, int]]:
    """(status, attempts) of every webhook delivery, oldest first."""
    return statuses(engine, WebhookDelivery)


def sender(port: int, *, timeout: float = 60) -> SmtpSender:
    """A sender to the loopback SMTP server that waits up to `timeout` seconds for an answer
    (longer than a held message is held here, however loaded the machine)."""
    server = SmtpServer("127.0.0.1", port, None, None, implicit_tls=False)
    return SmtpSender(server, timeout=timeout)


def email_pass(engine: Engine, port: int, **options: Any) -> Any:
    """One `deliver_pending` pass to the loopback server on `port`, with its own connection."""
    send = sender(port)
    try:
        return deliver_pending(engine, send=send, mail_from="mm@example.org", **options)
    finally:
        send.close()


def digest_pass(engine: Engine, port: int, **options: Any) -> Any:
    """One `deliver_digests` pass to the loopback server on `port`, with its own connection."""
    send = sender(port)
    try:
        return deliver_digests(engine, send=send, mail_from="mm@example.org", **options)
    finally:
        send.close()


def webhook_pass(engine: Engine, **options: Any) -> Any:
    """One `deliver_webhooks` pass, loopback allowed, with its own HTTP client."""
    with httpx.Client() as client:
        return deliver_webhooks(engine, client=client, allow_private=True, **options)


class InThread:
    """A pass run in a thread, keeping its result or its error."""

    def __init__(self, run: Callable[[], Any]) -> None:
        self.result: Any = None
        self.error: BaseException | None = None
        self._run = run
        self.thread = threading.Thread(target=self._target, daemon=True)
        self.thread.start()

    def _target(self) -> None:
        try:
            self.result = self._run()
        except BaseException as error:  # handed to the test, which asserts on it
            self.error = error

    def join(self, seconds: float = 60) -> Any:
        """Wait for the pass; its result (its error raised again)."""
        self.thread.join(seconds)
        assert not self.thread.is_alive(), "the pass did not end"
        if self.error is not None:
            raise self.error
        return self.result


def write_elsewhere(path: Path) -> int:
    """Write through a connection of its own that does not wait for the lock at all (busy
    timeout 0): it fails at once if the lock is held. The outbox messages claimed but unsent."""
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("UPDATE organisations SET city = 'Gent'")
        (claimed,) = other.execute(
            "SELECT count(*) FROM outbox_messages WHERE status = 'pending' AND attempts = 1"
        ).fetchone()
        other.execute("COMMIT")
    finally:
        other.close()
    return int(claimed)


@pytest.fixture
def sqlite_file(sqlite_template: Path, tmp_path: Path) -> Iterator[tuple[Path, Engine]]:
    """A migrated SQLite file of the test's own and an engine on it."""
    path = tmp_path / "m.db"
    shutil.copyfile(sqlite_template, path)
    engine = db.create_db_engine(Settings(database_url=f"sqlite:///{path}"))
    yield path, engine
    engine.dispose()


# Another writer while a send is in flight (SQLite: the one write lock)


def test_another_connection_writes_while_an_email_is_being_sent(
    sqlite_file: tuple[Path, Engine],
) -> None:
    """While the mail server holds the first message unanswered, a connection with busy
    timeout 0 writes; then both messages are sent once and marked sent."""
    path, engine = sqlite_file
    ids = seed(engine, 2)
    recorder = Recorder(stall_at=1)
    with smtp_server(recorder) as port:
        running = InThread(lambda: email_pass(engine, port))
        recorder.wait_for(1)
        claimed = write_elsewhere(path)
        recorder.released.set()
        done = running.join()
    assert claimed == 1
    assert (done.sent, done.failed) == (2, 0)
    assert recorder.message_ids() == ids
    assert messages(engine) == [("sent", 1), ("sent", 1)]


def test_another_connection_writes_while_a_digest_is_being_sent(
    sqlite_file: tuple[Path, Engine],
) -> None:
    """While the mail server holds a digest unanswered, a connection with busy timeout 0
    writes; then the digest's messages are marked sent."""
    path, engine = sqlite_file
    seed(engine, 2, daily=True)
    recorder = Recorder(stall_at=1)
    with smtp_server(recorder) as port:
        running = InThread(lambda: digest_pass(engine, port))
        recorder.wait_for(1)
        claimed = write_elsewhere(path)
        recorder.released.set()
        done = running.join()
    assert claimed == 2
    assert (done.digests, done.messages, done.failed) == (1, 2, 0)
    assert recorder.messages[0]["Subject"] == "matchmaker: 2 new messages today"
    assert messages(engine) == [("sent", 1), ("sent", 1)]


def test_another_connection_writes_while_a_webhook_is_being_posted(
    sqlite_file: tuple[Path, Engine],
) -> None:
    """While the receiver holds the first POST unanswered, a connection with busy timeout 0
    writes; then both deliveries are marked delivered."""
    path, engine = sqlite_file
    receiver = Receiver(stall_at=1)
    with webhook_receiver(receiver) as url:
        seed(engine, 2, webhook=url)
        running = InThread(lambda: webhook_pass(engine))
        receiver.wait_for(1)
        write_elsewhere(path)
        receiver.released.set()
        done = running.join()
    assert (done.delivered, done.failed) == (2, 0)
    assert len(receiver.received) == 2
    assert deliveries(engine) == [("delivered", 1), ("delivered", 1)]


# Two passes at once


def test_a_second_pass_sends_the_other_emails_while_the_first_waits_on_the_server(
    engine: Engine,
) -> None:
    """A pass whose first message the server holds unanswered keeps its claim; a second pass
    started meanwhile sends the other four and ends; each message arrives exactly once."""
    ids = seed(engine, 5)
    recorder = Recorder(stall_at=1)
    with smtp_server(recorder) as port:
        first = InThread(lambda: email_pass(engine, port))
        recorder.wait_for(1)
        second = InThread(lambda: email_pass(engine, port)).join(30)
        assert first.thread.is_alive()
        recorder.released.set()
        done = first.join()
    assert (done.sent, second.sent) == (1, 4)
    assert sorted(recorder.message_ids()) == sorted(ids)
    assert messages(engine) == [("sent", 1)] * 5


def test_a_second_pass_posts_the_other_webhooks_while_the_first_waits_on_the_receiver(
    engine: Engine,
) -> None:
    """A pass whose first POST the receiver holds unanswered keeps its claim; a second pass
    started meanwhile posts the other four and ends; each message arrives exactly once."""
    receiver = Receiver(stall_at=1)
    with webhook_receiver(receiver) as url:
        ids = seed(engine, 5, webhook=url)
        first = InThread(lambda: webhook_pass(engine))
        receiver.wait_for(1)
        second = InThread(lambda: webhook_pass(engine)).join(30)
        assert first.thread.is_alive()
        receiver.released.set()
        done = first.join()
    assert (done.delivered, second.delivered) == (1, 4)
    assert sorted(r.message_id for r in receiver.received) == sorted(ids)
    assert deliveries(engine) == [("delivered", 1)] * 5


# A claim whose worker died


def dies(message: EmailMessage) -> None:
    """A sender whose worker is killed while the server holds the message."""
    raise Died


def test_an_email_claimed_by_a_pass_that_died_is_sent_when_its_lease_ends(
    engine: Engine,
) -> None:
    """The claim outlives its pass: a pass a minute later leaves the message alone; one after
    the lease sends it (its second attempt), once."""
    [message_id] = seed(engine, 1)
    now = utc_now()
    with pytest.raises(Died):
        deliver_pending(engine, send=dies, mail_from="mm@example.org", clock=lambda: now)
    assert messages(engine) == [("pending", 1)]
    recorder = Recorder()
    with smtp_server(recorder) as port:
        soon = email_pass(engine, port, clock=lambda: now + timedelta(minutes=1))
        later = email_pass(engine, port, clock=lambda: now + SEND_LEASE + timedelta(seconds=1))
    assert (soon.sent, later.sent) == (0, 1)
    assert recorder.message_ids() == [message_id]
    assert messages(engine) == [("sent", 2)]


def test_a_digest_claimed_by_a_pass_that_died_is_sent_when_its_lease_ends(
    engine: Engine,
) -> None:
    """A pass a minute later sends no digest to that organisation, neither of the claimed
    messages nor of one written since; after the lease, one digest lists all three."""
    seed(engine, 2, daily=True)
    now = utc_now()
    with pytest.raises(Died):
        deliver_digests(engine, send=dies, mail_from="mm@example.org", clock=lambda: now)
    with db.session_scope(db.for_writing(engine)) as session:
        [organisation] = session.scalars(select(Organisation))
        enqueue(
            session,
            organisation_id=stored_id(organisation),
            event=Event.request_received,
            subject="Message 2",
            body="Body 2\n",
        )
    recorder = Recorder()
    with smtp_server(recorder) as port:
        soon = digest_pass(engine, port, clock=lambda: now + timedelta(minutes=1))
        later = digest_pass(engine, port, clock=lambda: now + SEND_LEASE + timedelta(seconds=1))
    assert (soon.digests, later.digests, later.messages) == (0, 1, 3)
    assert [m["Subject"] for m in recorder.messages] == ["matchmaker: 3 new messages today"]
    assert messages(engine) == [("sent", 2), ("sent", 2), ("sent", 1)]


def test_a_webhook_claimed_by_a_pass_that_died_is_posted_when_its_lease_ends(
    engine: Engine,
) -> None:
    """The delivery's claim outlives its pass (which died resolving the host): a pass a
    minute later leaves it alone; one after the lease posts it (its second attempt), once."""

    def killed(host: str, port: int) -> list[str]:
        raise Died

    receiver = Receiver()
    with webhook_receiver(receiver) as url:
        [message_id] = seed(engine, 1, webhook=url)
        now = utc_now()
        with pytest.raises(Died):
            webhook_pass(engine, clock=lambda: now, resolver=killed)
        assert deliveries(engine) == [("pending", 1)]
        soon = webhook_pass(engine, clock=lambda: now + timedelta(minutes=1))
        later = webhook_pass(engine, clock=lambda: now + SEND_LEASE + timedelta(seconds=1))
    assert (soon.delivered, later.delivered) == (0, 1)
    assert [r.message_id for r in receiver.received] == [message_id]
    assert deliveries(engine) == [("delivered", 2)]
