"""Contact requests about to expire remind their recipient once, and those that expired
unanswered tell their sender once, through the delivery pass and a real SMTP server."""

import json
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, select, update
from sqlmodel import Session, col

from matchmaker.partnering.expiry import (
    announce_expired,
    legacy_message_id,
    notice_key,
    remind_recipients,
)
from matchmaker.partnering.outbox import Event, enqueue
from matchmaker.partnering.webhooks import payload
from matchmaker.settings import get_settings
from matchmaker.wording import say_date, say_moment
from models.common import as_utc
from models.partnering import ContactRequest, OutboxMessage
from models.saved_search import NotificationKey
from tests.factories import (
    Party,
    interest,
    leiden_university,
    liver_patients,
    liver_screening_call,
    publish,
)
from tests.matchmaker.partnering.smtp import Recorder, smtp_server, worker_pass

BASE_URL = "https://matchmaker.example"
EXPIRY_EVENTS = (Event.request_expiring.value, Event.request_expired.value)


@pytest.fixture
def call(client: TestClient) -> dict[str, Any]:
    """An open call, its deadline 90 days away."""
    return liver_screening_call(client)


@pytest.fixture
def publisher(client: TestClient) -> Party:
    """A university that receives messages."""
    return leiden_university(client)


@pytest.fixture
def patients(client: TestClient) -> Party:
    """A patient organisation that writes to others."""
    return liver_patients(client)


def write(sender: Party, recipient: Party, call_id: int, message: str = "Could we talk?") -> int:
    """Send a message about a call from `sender` to `recipient`; its id."""
    response = sender.client.post(
        f"/organisations/{recipient.id}/contact-requests",
        json={"call_id": call_id, "message": message},
    )
    assert response.status_code == 201, response.text
    request_id: int = response.json()["id"]
    return request_id


def dates(engine: Engine, request_id: int) -> tuple[datetime, datetime]:
    """When a request was sent and when it expires."""
    with Session(engine) as session:
        request = session.get_one(ContactRequest, request_id)
        return as_utc(request.created_at), as_utc(request.expires_at)


def expiry_mail(recorder: Recorder) -> list[tuple[str, str]]:
    """The reminders and expiry notices received, as (event, To)."""
    return [
        (str(message["X-Matchmaker-Event"]), str(message["To"]))
        for message in recorder.messages
        if str(message["X-Matchmaker-Event"]) in EXPIRY_EVENTS
    ]


def only(recorder: Recorder, event: Event) -> EmailMessage:
    """The one e-mail of this event received."""
    [message] = [m for m in recorder.messages if str(m["X-Matchmaker-Event"]) == event.value]
    return message


def test_recipient_is_reminded_once_and_sender_told_once_when_a_request_expires(
    client: TestClient, call: dict[str, Any], publisher: Party, patients: Party, engine: Engine
) -> None:
    """Three days before a message expires unanswered its recipient gets one reminder, and
    once it expired its sender one notice: each to that party only, neither again on later
    passes, and none for requests accepted, declined, withdrawn or whose recipient was deleted.
    """
    waiting = write(patients, publisher, call["id"])
    accepted_by = Party(client, name="Karolinska Institutet", contact_email="it@ki.example")
    declined_by = Party(client, name="Oncomark", contact_email="bd@onco.example")
    withdrawn_to = Party(client, name="Hepatica Labs", contact_email="lab@hepatica.example")
    deleted = Party(client, name="Gone Ltd", contact_email="info@gone.example")
    accepted = write(patients, accepted_by, call["id"])
    declined = write(patients, declined_by, call["id"])
    withdrawn = write(patients, withdrawn_to, call["id"])
    write(patients, deleted, call["id"])
    assert accepted_by.client.post(f"/contact-requests/{accepted}/accept").is_success
    assert declined_by.client.post(f"/contact-requests/{declined}/decline").is_success
    assert patients.client.post(f"/contact-requests/{withdrawn}/withdraw").is_success
    assert deleted.client.delete(f"/organisations/{deleted.id}").status_code == 204
    sent_at, expires_at = dates(engine, waiting)
    assert expires_at - sent_at == timedelta(days=14)

    recorder = Recorder()
    with smtp_server(recorder) as port:

        def run(moment: datetime) -> tuple[int, int]:
            done = worker_pass(engine, port, base_url=BASE_URL, clock=lambda: moment)
            return done.request_reminders, done.expiry_notices

        assert run(expires_at - timedelta(days=3, minutes=1)) == (0, 0)
        assert run(expires_at - timedelta(days=2, hours=23)) == (1, 0)
        assert run(expires_at - timedelta(days=1)) == (0, 0)
        assert expiry_mail(recorder) == [("request_expiring", publisher.email)]
        assert run(expires_at + timedelta(minutes=1)) == (0, 1)
        assert run(expires_at + timedelta(minutes=2)) == (0, 0)
        assert run(expires_at + timedelta(days=3)) == (0, 0)

    assert expiry_mail(recorder) == [
        ("request_expiring", publisher.email),
        ("request_expired", patients.email),
    ]
    reminder = only(recorder, Event.request_expiring)
    assert reminder["Subject"] == (
        "A message from European Liver Patients waits for your answer until "
        f"{say_date(expires_at.date())}"
    )
    assert reminder.get_content().startswith(
        "European Liver Patients (Belgium) sent you a message about the call IHI-2027-01-01 "
        f"(Liver disease screening) on {say_date(sent_at.date())}, still unanswered:\n\n"
        "> Could we talk?\n\n"
        f"Accept it or decline it in your inbox by {say_moment(expires_at)}, when it expires "
        "unanswered: replies to this e-mail are not read. Their contact address is shown to "
        "you, and yours to them, only if you accept. This is the only reminder.\n\n"
        "The requests waiting for your answer, once signed in with your organisation's key: "
        f"{BASE_URL}/ui/inbox?status=pending\n"
    )
    notice = only(recorder, Event.request_expired)
    assert notice["Subject"] == "Your message to Leiden University expired unanswered"
    assert notice.get_content().startswith(
        "Your message to Leiden University about the call IHI-2027-01-01 (Liver disease "
        f"screening), sent on {say_date(sent_at.date())}, expired unanswered on "
        f"{say_date(expires_at.date())}. Your contact address was never shared with Leiden "
        "University, nor theirs with you.\n\n"
        "You can send them a new request, or look for other partners:\n\n"
        "A new request to Leiden University: "
        f"{BASE_URL}/ui/organisations/{publisher.id}/contact?call_id={call['id']}\n"
        "Other suggested partners for the call: "
        f"{BASE_URL}/ui/calls/{call['id']}#suggestions\n\n"
        f"Your inbox, once signed in with your organisation's key: {BASE_URL}/ui/inbox\n"
    )
    # Neither e-mail shows either party's address.
    for message in (reminder, notice):
        assert publisher.email not in message.get_content()
        assert patients.email not in message.get_content()


def test_an_answer_to_a_partner_request_that_expires_links_the_calls_partner_requests(
    call: dict[str, Any], publisher: Party, patients: Party, engine: Engine
) -> None:
    """The notice of an expired answer to a partner request calls it that, and offers the
    call's other partner requests; the webhook-style ids name the request and the publisher."""
    partner_request = publish(publisher, call["id"])
    answer = interest(patients, partner_request["id"]).json()["id"]
    _, expires_at = dates(engine, answer)
    assert announce_expired(engine, base_url=BASE_URL, clock=lambda: expires_at) == 1
    with Session(engine) as session:
        [notice] = session.scalars(
            select(OutboxMessage).where(col(OutboxMessage.event) == "request_expired")
        ).all()
    assert (notice.organisation_id, notice.about_organisation_id) == (patients.id, publisher.id)
    assert notice.about_ids == {
        "contact_request_id": answer,
        "call_id": call["id"],
        "partner_request_id": partner_request["id"],
    }
    assert notice.subject == (
        "Your answer to the partner request of Leiden University expired unanswered"
    )
    assert (
        "Other organisations looking for partners for the call: "
        f"{BASE_URL}/ui/calls/{call['id']}#partner-requests\n"
    ) in notice.body


def test_a_request_that_waits_no_longer_than_the_reminder_period_is_not_reminded(
    call: dict[str, Any], publisher: Party, patients: Party, engine: Engine
) -> None:
    """A request that waits two days in all gets no reminder three days before (its e-mail
    said until when); its sender is still told when it expires. 0 days turns reminders off."""
    short = write(patients, publisher, call["id"])
    sent_at, _ = dates(engine, short)
    with Session(engine) as session:
        session.execute(update(ContactRequest).values(expires_at=sent_at + timedelta(days=2)))
        session.commit()
    for moment in (sent_at + timedelta(hours=1), sent_at + timedelta(days=1, hours=23)):
        clock = (lambda at: lambda: at)(moment)
        assert remind_recipients(engine, remind_days=3, base_url=BASE_URL, clock=clock) == 0
    later = sent_at + timedelta(days=1)
    assert remind_recipients(engine, remind_days=1, base_url=BASE_URL, clock=lambda: later) == 1
    assert remind_recipients(engine, remind_days=0, base_url=BASE_URL, clock=lambda: later) == 0
    expired = sent_at + timedelta(days=2)
    assert announce_expired(engine, base_url=BASE_URL, clock=lambda: expired) == 1


def test_a_request_expired_long_before_the_pass_is_not_announced(
    call: dict[str, Any], publisher: Party, patients: Party, engine: Engine
) -> None:
    """A request that expired more than a week before a pass first finds it (before the notices
    existed, or while no pass ran) gets no notice weeks late."""
    request_id = write(patients, publisher, call["id"])
    _, expires_at = dates(engine, request_id)
    late = expires_at + timedelta(days=7, minutes=1)
    assert announce_expired(engine, base_url=BASE_URL, clock=lambda: late) == 0


@pytest.mark.parametrize("written_as", ["key", "legacy Message-ID"])
def test_a_message_already_written_is_not_written_again_and_the_pass_goes_on(
    call: dict[str, Any], publisher: Party, patients: Party, engine: Engine, written_as: str
) -> None:
    """A reminder or notice already written for a request (its key taken, as another worker
    takes it, or in the outbox under the Message-ID derived from the request, as they were
    written before keys were kept) is not written again, and the pass writes the next
    request's."""
    first = write(patients, publisher, call["id"])
    second = write(publisher, patients, call["id"])
    _, expires_at = dates(engine, second)
    with Session(engine) as session:
        for what, event in (
            ("expiring", Event.request_expiring),
            ("expired", Event.request_expired),
        ):
            by_key = written_as == "key"
            enqueue(
                session,
                organisation_id=publisher.id,
                event=event,
                subject="Another worker's message",
                body="...",
                key=notice_key(first, what) if by_key else None,
                message_id=None if by_key else legacy_message_id(first, what),
            )
        session.commit()
    soon = expires_at - timedelta(days=1)
    assert remind_recipients(engine, remind_days=3, base_url=BASE_URL, clock=lambda: soon) == 1
    assert announce_expired(engine, base_url=BASE_URL, clock=lambda: expires_at) == 1
    assert written(engine) == [
        ("request_expiring", publisher.id),
        ("request_expired", publisher.id),
        ("request_expiring", patients.id),
        ("request_expired", publisher.id),
    ]


def test_a_reminder_written_again_in_another_installation_has_another_message_id(
    call: dict[str, Any],
    publisher: Party,
    patients: Party,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A copy of the database (a staging instance, one rebuilt from a backup taken before the
    reminder) holds the same request under the same id, and writes its own reminder of it: it
    arrives under another Message-ID, at the domain of MATCHMAKER_MAIL_FROM, so that a mail
    provider that saw the first does not drop it; each keeps its one id on every attempt."""
    monkeypatch.setenv("MATCHMAKER_MAIL_FROM", "noreply@matchmaker.example")
    get_settings.cache_clear()
    request_id = write(patients, publisher, call["id"])
    _, expires_at = dates(engine, request_id)
    soon = expires_at - timedelta(days=1)
    recorder = Recorder()
    with smtp_server(recorder) as port:
        worker_pass(engine, port, base_url=BASE_URL, clock=lambda: soon)
        with Session(engine) as session:
            # The copy: the request as it was before this installation reminded of it.
            session.execute(
                delete(OutboxMessage).where(col(OutboxMessage.event) == "request_expiring")
            )
            session.execute(delete(NotificationKey))
            session.commit()
        worker_pass(engine, port, base_url=BASE_URL, clock=lambda: soon)
        worker_pass(engine, port, base_url=BASE_URL, clock=lambda: soon + timedelta(hours=1))
    reminders = [
        str(message["Message-ID"])
        for message in recorder.messages
        if str(message["X-Matchmaker-Event"]) == "request_expiring"
    ]
    assert len(reminders) == len(set(reminders)) == 2
    assert all(
        re.fullmatch(r"<[0-9a-f]{32}@matchmaker\.example>", message_id) for message_id in reminders
    )


def test_a_reminder_quotes_the_senders_message_which_cannot_pass_for_the_services_text(
    call: dict[str, Any], publisher: Party, patients: Party, engine: Engine
) -> None:
    """The sender's own words are quoted, each line behind "> ", in the e-mail and in the
    webhooks' `body` (the same text): a "-- " and a fake unsubscribe line of theirs neither
    begin the e-mail's signature nor pass for its footer."""
    typed = "Hello,\n-- \nTo stop these e-mails, open http://evil.example/unsub"
    request_id = write(patients, publisher, call["id"], message=typed)
    _, expires_at = dates(engine, request_id)
    recorder = Recorder()
    with smtp_server(recorder) as port:
        worker_pass(engine, port, base_url=BASE_URL, clock=lambda: expires_at - timedelta(days=1))
    reminder = only(recorder, Event.request_expiring)
    text = reminder.get_content()
    quoted = (
        "still unanswered:\n\n"
        "> Hello,\n> -- \n> To stop these e-mails, open http://evil.example/unsub\n\n"
        "Accept it or decline it in your inbox by"
    )
    assert quoted in text
    assert [line for line in text.split("\n") if line == "-- "] == ["-- "]
    unsubscribe = str(reminder["List-Unsubscribe"]).strip("<>")
    assert text.endswith(f"\n-- \nTo stop these e-mails, open {unsubscribe}\n")
    with Session(engine) as session:
        [stored] = session.scalars(
            select(OutboxMessage).where(col(OutboxMessage.event) == "request_expiring")
        ).all()
    assert quoted in json.loads(payload(stored))["body"]


def written(engine: Engine) -> list[tuple[str, int]]:
    """The reminders and expiry notices in the outbox, oldest first, as (event, recipient)."""
    with Session(engine) as session:
        rows = session.execute(
            select(col(OutboxMessage.event), col(OutboxMessage.organisation_id))
            .where(col(OutboxMessage.event).in_(EXPIRY_EVENTS))
            .order_by(col(OutboxMessage.id))
        ).all()
    return [(event, organisation_id) for event, organisation_id in rows]


def test_passes_at_once_write_each_message_once(
    client: TestClient, call: dict[str, Any], patients: Party, engine: Engine
) -> None:
    """Four passes running at once (the workers of several processes) write one reminder per
    request between them, then one notice per request."""
    recipients = [
        Party(client, name=f"Partner {number}", contact_email=f"p{number}@partner.example")
        for number in range(6)
    ]
    requests = [write(patients, recipient, call["id"]) for recipient in recipients]
    _, expires_at = dates(engine, requests[-1])

    def at_once(task: Callable[[], int]) -> list[int]:
        barrier = threading.Barrier(4)

        def run() -> int:
            barrier.wait()
            return task()

        with ThreadPoolExecutor(4) as pool:
            return list(pool.map(lambda _: run(), range(4)))

    soon = expires_at - timedelta(hours=1)
    reminders = at_once(
        lambda: remind_recipients(engine, remind_days=3, base_url=BASE_URL, clock=lambda: soon)
    )
    notices = at_once(lambda: announce_expired(engine, base_url=BASE_URL, clock=lambda: expires_at))
    assert (sum(reminders), sum(notices)) == (6, 6)
    assert sorted(written(engine)) == sorted(
        [("request_expiring", recipient.id) for recipient in recipients]
        + [("request_expired", patients.id)] * 6
    )
