"""Delivering the outbox to a real SMTP server on loopback: once each, with a stable id,
never twice at once, and nothing lost when a worker is killed mid-batch."""

import email
import email.policy
import itertools
import logging
import os
import re
import signal
import ssl
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from matchmaker import db
from matchmaker.partnering.delivery import (
    ALWAYS_SENT,
    DIGEST_LIMIT,
    SEND_LEASE,
    SUBJECT_LIMIT,
    SmtpSender,
    SmtpServer,
    deliver_digests,
    deliver_pending,
    digest_of,
    digest_subject,
    email_of,
    parse_smtp_url,
    retry_delay,
    wire_bytes,
)
from matchmaker.partnering.outbox import Event, enqueue, quoted_text
from matchmaker.partnering.preferences import ensure_preference
from matchmaker.settings import get_settings
from models.common import StakeholderType, utc_now
from models.notifications import EmailFrequency
from models.organisation import Organisation
from models.partnering import OutboxMessage
from tests.matchmaker.partnering.smtp import Credentials, Recorder, RefusingRecorder, smtp_server

ROOT = Path(__file__).resolve().parents[3]


def seed(
    engine: Engine,
    count: int,
    *,
    address: str | None = "team@lab.example",
    subject: str = "Message {}",
    body: str = "Body {}\n",
    event: Event = Event.request_received,
    daily: bool = False,
) -> list[str]:
    """Store one organisation and `count` notifications of `event` for it (subject and body
    numbered where they hold "{}"; a digest a day, its last two days ago, if `daily`); return
    their Message-IDs."""
    with db.session_scope(db.for_writing(engine)) as session:
        organisation = Organisation(
            name="Lab",
            stakeholder_type=StakeholderType.academia,
            country="NL",
            contact_email=address,
        )
        session.add(organisation)
        session.flush()
        assert organisation.id is not None
        if daily:
            preference = ensure_preference(session, organisation_id=organisation.id, now=utc_now())
            preference.email = EmailFrequency.daily.value
            preference.digest_since = utc_now() - timedelta(days=2)
            session.add(preference)
        return [
            enqueue(
                session,
                organisation_id=organisation.id,
                event=event,
                subject=subject.format(number),
                body=body.format(number),
            ).message_id
            for number in range(count)
        ]


def statuses(engine: Engine) -> list[str]:
    """Every outbox message's status, oldest first."""
    with Session(engine) as session:
        return list(
            session.scalars(select(col(OutboxMessage.status)).order_by(col(OutboxMessage.id)))
        )


def local(port: int) -> SmtpServer:
    """The loopback server without credentials."""
    return SmtpServer("127.0.0.1", port, None, None, implicit_tls=False)


def test_smtp_url_is_read_with_credentials_and_default_ports() -> None:
    """User, password (percent-decoded), host and port; 25 or 465 when no port is given."""
    assert parse_smtp_url("smtp://mailer:p%40ss@mail.example:587") == SmtpServer(
        "mail.example", 587, "mailer", "p@ss", implicit_tls=False
    )
    assert parse_smtp_url("smtps://mail.example") == SmtpServer(
        "mail.example", 465, None, None, implicit_tls=True
    )
    with pytest.raises(ValueError, match="smtp://"):
        parse_smtp_url("http://mail.example")


def test_a_digest_sent_again_carries_the_same_message_id(engine: Engine) -> None:
    """A digest's Message-ID follows from the messages it lists: the same ones, the same id
    (a repeat after a crash can be dropped); other ones, another id."""
    seed(engine, 3)
    with Session(engine) as session:
        messages = list(session.scalars(select(OutboxMessage).order_by(col(OutboxMessage.id))))
    options = {"to": "a@b.example", "mail_from": "c@d.example", "unsubscribe": "https://x/u/t"}
    first = digest_of(messages, now=utc_now(), **options)
    again = digest_of(messages, now=utc_now() + timedelta(hours=1), **options)
    fewer = digest_of(messages[:2], now=utc_now(), **options)
    assert first["Message-ID"] == again["Message-ID"]
    assert first["Message-ID"] != fewer["Message-ID"]
    assert re.fullmatch(r"<digest-[0-9a-f]{32}@d\.example>", first["Message-ID"])
    assert first["Subject"] == "matchmaker: 3 new messages today"
    # Messages another installation wrote before Message-IDs were random held the same ids,
    # written at other moments: its digest has another id.
    elsewhere = [
        OutboxMessage(
            message_id=message.message_id,
            event=message.event,
            organisation_id=message.organisation_id,
            subject=message.subject,
            body=message.body,
            created_at=message.created_at - timedelta(seconds=1),
        )
        for message in messages
    ]
    assert digest_of(elsewhere, now=utc_now(), **options)["Message-ID"] != first["Message-ID"]


def test_a_digest_subject_says_what_it_holds_most_important_first() -> None:
    """A new message from an organisation (a partner or not yet) comes first, then an answer
    to one's own message, then the other kinds by name while they fit on a subject line; the
    rest are counted, never only "N notifications" when a kind can be named."""
    received, accepted = Event.request_received.value, Event.request_accepted.value
    declined = Event.request_declined.value
    deadline, match = Event.deadline_soon.value, Event.call_matches_search.value
    assert digest_subject([received]) == "matchmaker: a new message today"
    assert digest_subject([accepted]) == "matchmaker: an answer to your message today"
    assert digest_subject([match, accepted, received, declined]) == (
        "matchmaker: a new message and 3 other notifications today"
    )
    assert digest_subject([accepted, received, declined]) == (
        "matchmaker: a new message and 2 answers to your messages today"
    )
    assert digest_subject([deadline, deadline, match]) == (
        "matchmaker: 2 deadline reminders and a match for a search today"
    )
    crowded = [match, deadline, received, Event.confirm_reminder.value, deadline, accepted]
    assert digest_subject(crowded) == "matchmaker: a new message and 5 other notifications today"
    expiring = Event.request_expiring.value
    assert digest_subject([expiring] * 50 + [match] * 50) == (
        "matchmaker: 50 requests awaiting your answer and 50 more"
    )
    assert digest_subject([Event.key_recovery.value] * 2) == "matchmaker: 2 notifications today"
    every = [event.value for event in Event] * 3
    assert len(digest_subject(every)) <= SUBJECT_LIMIT
    assert digest_subject(every).startswith("matchmaker: 3 new messages and ")


def test_every_event_a_digest_can_hold_is_named_in_its_subject() -> None:
    """Each event but the one-time links (sent at once, never digested) has its own words: a
    digest holding only that event never reads "1 notification", nor one holding two."""
    digested = [event for event in Event if event.value not in ALWAYS_SENT]
    assert Event.draft_member_left in digested
    for event in digested:
        for count in (1, 2):
            subject = digest_subject([event.value] * count)
            assert "notification" not in subject, (event, subject)
    assert digest_subject([Event.draft_member_left.value]) == (
        "matchmaker: a member who left your drafts today"
    )
    # Nor, beside others, does the most important it holds go unnamed, however many of each.
    for first, then in itertools.product(digested, repeat=2):
        for count, rest in itertools.product((1, 2, 10, 50, 99), (0, 1, 2, 10, 50, 99)):
            if count + rest <= DIGEST_LIMIT:
                subject = digest_subject([first.value] * count + [then.value] * rest)
                assert len(subject) <= SUBJECT_LIMIT, subject
                assert not re.fullmatch(r"matchmaker: \d+ notifications today", subject)


def test_a_digest_of_a_member_leaving_says_so_in_its_subject(engine: Engine) -> None:
    """Through a real SMTP server: the daily digest holding only the notice that an organisation
    left the recipient's drafts names it in its subject, not "1 notification"."""
    seed(
        engine,
        1,
        subject='Oncomark left your draft "Liver screening"',
        body='Oncomark deleted its profile and left your draft "Liver screening".\n',
        event=Event.draft_member_left,
        daily=True,
    )
    recorder = Recorder()
    with smtp_server(recorder) as port:
        sender = SmtpSender(local(port))
        done = deliver_digests(engine, send=sender, mail_from="noreply@matchmaker.example")
        sender.close()
    assert (done.digests, done.messages) == (1, 1)
    [digest] = recorder.messages
    assert digest["Subject"] == "matchmaker: a member who left your drafts today"


def test_retry_waits_double_each_time_up_to_a_day() -> None:
    """One minute after the first failure, then 2, 4, ...; never more than a day."""
    assert [retry_delay(n) for n in (1, 2, 3)] == [
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=4),
    ]
    assert retry_delay(40) == timedelta(days=1)


def test_each_message_is_sent_once_with_its_stable_message_id(engine: Engine) -> None:
    """A pass sends every due message to the organisation's address; the next sends none."""
    ids = seed(engine, 3)
    recorder = Recorder()
    with smtp_server(recorder) as port:
        sender = SmtpSender(local(port))
        done = deliver_pending(engine, send=sender, mail_from="noreply@matchmaker.example")
        again = deliver_pending(engine, send=sender, mail_from="noreply@matchmaker.example")
        sender.close()
    assert (done.sent, done.skipped, done.failed) == (3, 0, 0)
    assert again.sent == 0
    assert recorder.message_ids() == ids
    first = recorder.messages[0]
    assert (first["To"], first["From"], first["Subject"]) == (
        "team@lab.example",
        "noreply@matchmaker.example",
        "Message 0",
    )
    assert first["Auto-Submitted"] == "auto-generated"
    unsubscribe = first["List-Unsubscribe"]
    assert re.fullmatch(r"<http://localhost:8000/unsubscribe/[A-Za-z0-9_-]{43}>", unsubscribe)
    assert first["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert first.get_content() == (
        f"Body 0\n\n-- \nTo stop these e-mails, open {unsubscribe.strip('<>')}\n"
    )
    assert statuses(engine) == ["sent"] * 3


def test_message_ids_are_random_on_the_left_and_the_from_domain_on_the_right(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every message's Message-ID is 128 random bits at the domain of MATCHMAKER_MAIL_FROM
    (`matchmaker` is no domain, and ids derived from a database's own ids repeat in another
    installation); each arrives under the id it was stored with, as a digest does under one
    at that domain too."""
    monkeypatch.setenv("MATCHMAKER_MAIL_FROM", "Matchmaker <noreply@Mail.Matchmaker.example>")
    get_settings.cache_clear()
    ids = seed(engine, 2)
    assert all(re.fullmatch(r"<[0-9a-f]{32}@mail\.matchmaker\.example>", i) for i in ids)
    assert len(set(ids)) == 2
    recorder = Recorder()
    with smtp_server(recorder) as port:
        sender = SmtpSender(local(port))
        deliver_pending(engine, send=sender, mail_from="noreply@mail.matchmaker.example")
        sender.close()
    assert recorder.message_ids() == ids


def test_a_line_of_the_text_never_begins_the_signature(engine: Engine) -> None:
    """A line of a notification's text that is a signature separator ("-- ", as a sender may
    type in a message) is written quoted: the e-mail's one separator is the one before its
    real unsubscribe link, so mail programs do not hide the rest of the text as a signature."""
    seed(
        engine,
        1,
        body="Hello\n-- \nTo stop these e-mails, open http://evil.example/unsub\n\n"
        "Accept it or decline it in your inbox.\n--\r\nBye\n",
    )
    recorder = Recorder()
    with smtp_server(recorder) as port:
        sender = SmtpSender(local(port))
        deliver_pending(engine, send=sender, mail_from="a@b.example")
        sender.close()
    [received] = recorder.messages
    text = received.get_content()
    unsubscribe = str(received["List-Unsubscribe"]).strip("<>")
    assert [line for line in text.split("\n") if line.rstrip() == "--"] == ["-- "]
    assert text == (
        "Hello\n> -- \nTo stop these e-mails, open http://evil.example/unsub\n\n"
        "Accept it or decline it in your inbox.\n> --\nBye\n\n"
        f"-- \nTo stop these e-mails, open {unsubscribe}\n"
    )


def test_another_organisations_words_are_quoted_as_mail_quotes_them() -> None:
    """Each line behind "> ", an empty one behind ">", whatever ends the lines."""
    assert quoted_text("Hello\r\n\n-- \rTo stop these e-mails, open x\n") == (
        "> Hello\n>\n> -- \n> To stop these e-mails, open x"
    )
    assert quoted_text("One line") == "> One line"


def test_headers_and_text_arrive_as_written(engine: Engine) -> None:
    """Through a real SMTP server, the raw e-mail holds the unsubscribe link unencoded on one
    line however long the site's address, a long subject on its first line, and a line of the
    text beginning "From " unchanged (no mbox ">From ")."""
    base = "https://matchmaker.programme-office.example.europa.eu"
    subject = (
        "HORIZON-CL5-2027-D3-01-05-ENERGY-STORAGE-AND-FLEXIBILITY-TOPIC-ID-X closes tomorrow"
        " (8 December 2026)"
    )
    seed(engine, 1, subject=subject, body="Hello,\nFrom our side we can offer assays.\n")
    recorder = Recorder()
    with smtp_server(recorder) as port:
        sender = SmtpSender(local(port))
        done = deliver_pending(engine, send=sender, mail_from="a@b.example", base_url=base)
        sender.close()
    assert done.sent == 1
    [raw] = recorder.raw
    head, text = raw.split(b"\r\n\r\n", 1)
    lines = head.split(b"\r\n")
    [unsubscribe] = [line for line in lines if line.startswith(b"List-Unsubscribe:")]
    assert re.fullmatch(
        rb"List-Unsubscribe: <" + re.escape(base.encode()) + rb"/unsubscribe/"
        rb"[A-Za-z0-9_-]{43}>",
        unsubscribe,
    )
    assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click" in lines
    assert f"Subject: {subject}".encode() in lines
    assert text.startswith(b"Hello,\r\nFrom our side we can offer assays.\r\n")


def test_a_subject_not_in_ascii_is_encoded_from_its_first_line() -> None:
    """Encoded-words of at most 75 characters (RFC 2047), the first beside "Subject:" even
    when the subject begins with a word too long for it; a client reads back the subject as
    written."""
    subject = (
        "HORIZON-CL5-2027-D3-01-05-ENERGY-STORAGE-AND-FLEXIBILITY-TOPIC-ID-X closes tomorrow:"
        " Université Paris-Saclay, Département de biologie moléculaire"
    )
    message = OutboxMessage(
        message_id="<1@matchmaker>",
        event="request_accepted",
        organisation_id=1,
        subject=subject,
        body="Body\n",
        created_at=utc_now(),
    )
    raw = wire_bytes(email_of(message, to="a@b.example", mail_from="c@d.example"))
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    start = head.index("Subject: ")
    end = head.index("\r\nMessage-ID:")
    folded = head[start:end].split("\r\n")
    assert len(folded) > 1
    assert folded[0].startswith("Subject: =?utf-8?q?HORIZON-CL5-2027")
    assert all(len(line) <= 78 for line in folded)
    assert all(len(word) <= 75 for line in folded for word in line.split())
    received = email.message_from_bytes(raw, policy=email.policy.default)
    assert received["Subject"] == subject


def test_message_to_an_organisation_without_address_is_skipped(engine: Engine) -> None:
    """No address, nothing to send: marked skipped, never retried."""
    seed(engine, 1, address=None)
    recorder = Recorder()
    with smtp_server(recorder) as port:
        done = deliver_pending(engine, send=SmtpSender(local(port)), mail_from="a@b.example")
    assert (done.sent, done.skipped) == (0, 1)
    assert recorder.messages == []
    assert statuses(engine) == ["skipped"]


def test_unreachable_server_leaves_messages_for_a_later_pass(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """A refused connection stops the pass; the message waits a minute, then goes out. The
    warning names the server that refused, never the recipient's address."""
    ids = seed(engine, 2)
    port = _closed_port()
    closed = SmtpSender(local(port), timeout=2)
    with caplog.at_level(logging.WARNING, logger="matchmaker.partnering.delivery"):
        done = deliver_pending(engine, send=closed, mail_from="a@b.example")
    assert (done.sent, done.failed) == (0, 1)
    [warning] = [record.getMessage() for record in caplog.records]
    assert f" through the SMTP server 127.0.0.1:{port}: " in warning
    assert warning.endswith("; it stays in the outbox and is tried again at a later pass.")
    assert "@" not in warning.split("through")[1]
    assert statuses(engine) == ["pending", "pending"]
    recorder = Recorder()
    with smtp_server(recorder) as port:
        sender = SmtpSender(local(port))
        soon = deliver_pending(engine, send=sender, mail_from="a@b.example")
        assert soon.sent == 1  # the failed one waits for its retry
        later = utc_now() + timedelta(minutes=2)
        deliver_pending(engine, send=sender, mail_from="a@b.example", clock=lambda: later)
        sender.close()
    assert sorted(recorder.message_ids()) == sorted(ids)
    with Session(engine) as session:
        attempts = session.scalars(
            select(col(OutboxMessage.attempts)).order_by(col(OutboxMessage.id))
        ).all()
    assert attempts == [2, 1]


def test_a_refused_recipient_is_retried_and_its_address_stays_out_of_the_log(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """A server that refuses the recipient (550): the message stays pending, the next one goes
    out, and the warning, whose error would name the refused address, withholds it."""
    seed(engine, 1, address="nobody@clinic.example")
    seed(engine, 1, address="team@lab.example")
    recorder = RefusingRecorder("nobody@clinic.example")
    with (
        smtp_server(recorder) as port,
        caplog.at_level(logging.WARNING, logger="matchmaker.partnering.delivery"),
    ):
        sender = SmtpSender(local(port))
        done = deliver_pending(engine, send=sender, mail_from="a@b.example")
        sender.close()
    assert (done.sent, done.failed) == (1, 1)
    assert statuses(engine) == ["pending", "sent"]
    [warning] = [record.getMessage() for record in caplog.records]
    assert "(address withheld)" in warning
    assert "No such user here" in warning
    assert "clinic.example" not in warning


def _closed_port() -> int:
    from tests.postgres import free_port

    return free_port()


def _certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def test_starttls_when_offered_then_login_with_the_credentials_of_the_url(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server offering STARTTLS gets TLS (its certificate verified) before the login."""
    seed(engine, 1)
    cert, key = _certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    recorder = Recorder()
    credentials = Credentials("mailer", "s3cret")
    with smtp_server(
        recorder,
        tls_context=context,
        require_starttls=True,
        authenticator=credentials,
        auth_required=True,
    ) as port:
        sender = SmtpSender(parse_smtp_url(f"smtp://mailer:s3cret@127.0.0.1:{port}"))
        done = deliver_pending(engine, send=sender, mail_from="a@b.example")
        sender.close()
    assert (done.sent, done.failed) == (1, 0)
    assert credentials.logins == ["mailer"]


def test_concurrent_workers_never_send_one_message_twice(engine: Engine) -> None:
    """Four workers drain one outbox at once: every message arrives exactly once."""
    ids = seed(engine, 40)
    recorder = Recorder()
    with smtp_server(recorder) as port:

        def work() -> None:
            sender = SmtpSender(local(port))
            deliver_pending(engine, send=sender, mail_from="a@b.example")
            sender.close()

        workers = [threading.Thread(target=work) for _ in range(4)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(60)
    assert sorted(recorder.message_ids()) == sorted(ids)
    assert statuses(engine) == ["sent"] * 40


def _notify_run(database_url: str, port: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "matchmaker.cli.main", "notify", "run"],
        cwd=ROOT,
        env={
            **os.environ,
            "MATCHMAKER_DATABASE_URL": database_url,
            "MATCHMAKER_SMTP_URL": f"smtp://127.0.0.1:{port}",
            "MATCHMAKER_MAIL_FROM": "noreply@matchmaker.example",
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.mark.slow
def test_worker_killed_mid_batch_loses_nothing_and_repeats_carry_the_same_id(
    engine: Engine, database_url: str
) -> None:
    """`matchmaker notify run` killed while the server holds its 10th message: the restarted
    pass delivers the rest, and the 10th once its lease has ended; it arrives twice, under one
    Message-ID; none is lost."""
    ids = seed(engine, 30)
    recorder = Recorder(stall_at=10)
    with smtp_server(recorder) as port:
        first = _notify_run(database_url, port)
        try:
            recorder.wait_for(10)
        finally:
            first.send_signal(signal.SIGKILL)
            first.communicate(timeout=30)
        recorder.released.set()
        assert statuses(engine) == ["sent"] * 9 + ["pending"] * 21
        second = _notify_run(database_url, port)
        output, _ = second.communicate(timeout=60)
        assert second.returncode == 0, output
        assert statuses(engine) == ["sent"] * 9 + ["pending"] + ["sent"] * 20
        sender = SmtpSender(local(port))
        lease_over = utc_now() + SEND_LEASE + timedelta(seconds=1)
        third = deliver_pending(
            engine, send=sender, mail_from="a@b.example", clock=lambda: lease_over
        )
        sender.close()
    assert "Sent 20, skipped 0 (no address), failed 0." in output
    assert third.sent == 1
    received = recorder.message_ids()
    assert len(received) == 31
    assert sorted(set(received)) == sorted(ids)
    assert [i for i in set(received) if received.count(i) > 1] == [ids[9]]
    repeats = [m for m in recorder.messages if m["Message-ID"] == ids[9]]
    assert [m.get_content().split("\n\n-- ")[0] for m in repeats] == ["Body 9", "Body 9"]
    assert statuses(engine) == ["sent"] * 30
