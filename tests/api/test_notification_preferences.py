"""E-mail preferences and the unsubscribe link, with a real SMTP server on loopback: at once by
default, one digest a day, or off; the link in every e-mail turns e-mail off without a key."""

import re
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from matchmaker.partnering.delivery import (
    deliver_digests,
    deliver_pending,
)
from models.common import as_utc, utc_now
from models.partnering import OutboxMessage
from tests.factories import create_call, create_organisation
from tests.helpers import assert_problem, keyed
from tests.matchmaker.partnering.smtp import Recorder, loopback_sender, smtp_server

BASE = "https://matchmaker.example"
LINK = re.compile(r"https://matchmaker\.example(/unsubscribe/[A-Za-z0-9_-]+)")


class World:
    """A recipient organisation, a few senders and a call to write about."""

    def __init__(self, client: TestClient) -> None:
        body = create_organisation(client, contact_email="partnering@lumc.example")
        self.id: int = body["id"]
        self.owner = keyed(client, body["api_key"])
        self.call_id: int = create_call(client, opening_date=None, deadline="2099-01-31")["id"]
        self.senders = [
            keyed(client, create_organisation(client, name=f"Sender {n}")["api_key"])
            for n in range(3)
        ]
        self.sent = 0

    def notify(self) -> None:
        """Another organisation writes to the recipient: one notification for it."""
        sender = self.senders[self.sent]
        self.sent += 1
        answer = sender.post(
            f"/organisations/{self.id}/contact-requests",
            json={"call_id": self.call_id, "message": f"Message number {self.sent}."},
        )
        assert answer.status_code == 201, answer.text

    @property
    def path(self) -> str:
        """The preferences' address."""
        return f"/organisations/{self.id}/notification-preferences"


@pytest.fixture
def world(client: TestClient) -> World:
    """A fresh world."""
    return World(client)


def deliver(engine: Engine, **options: Any) -> list[EmailMessage]:
    """One immediate pass and one digest pass to a loopback SMTP server; what it received."""
    recorder = Recorder()
    with smtp_server(recorder) as port, loopback_sender(port) as sender:
        common: dict[str, Any] = {"send": sender, "mail_from": "mm@example.org", "base_url": BASE}
        deliver_pending(engine, **common, **options)
        deliver_digests(engine, **common, **options)
    return recorder.messages


def statuses(engine: Engine) -> list[str]:
    """Every outbox message's status, oldest first."""
    with Session(engine) as session:
        return list(
            session.scalars(select(col(OutboxMessage.status)).order_by(col(OutboxMessage.id)))
        )


def test_preferences_default_to_immediately_and_are_the_owners(
    client: TestClient, anonymous: TestClient, world: World
) -> None:
    """GET is `immediately` until changed; PUT sets it; others are 401/403; bad values 422."""
    assert world.owner.get(world.path).json() == {"email": "immediately"}
    answer = world.owner.put(world.path, json={"email": "daily"})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"email": "daily"}
    assert world.owner.get(world.path).json() == {"email": "daily"}
    assert client.get(world.path).json() == {"email": "daily"}  # an admin
    assert_problem(anonymous.get(world.path), 401)
    assert_problem(world.senders[0].put(world.path, json={"email": "off"}), 403)
    assert_problem(world.owner.put(world.path, json={"email": "weekly"}), 422, field="email")
    assert_problem(world.owner.put(world.path, json={"email": "off", "x": 1}), 422)
    assert_problem(client.get("/organisations/999999/notification-preferences"), 404)


def test_the_unsubscribe_link_of_an_email_turns_email_off(
    anonymous: TestClient, engine: Engine, world: World
) -> None:
    """The link in the text and in List-Unsubscribe is one; opening it without a key turns
    e-mail off; the next notification is muted, not sent."""
    world.notify()
    [email] = deliver(engine)
    match = LINK.search(email.get_content())
    assert match is not None, email.get_content()
    assert email["List-Unsubscribe"] == f"<{BASE}{match.group(1)}>"
    page = anonymous.get(match.group(1))
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert "Stop notification e-mails" in page.text
    # Opening the link (as a mail scanner would) changes nothing; its button does.
    assert world.owner.get(world.path).json() == {"email": "immediately"}
    done = anonymous.post(match.group(1))
    assert done.status_code == 200, done.text
    assert "will receive no more notification e-mails" in done.text
    assert world.owner.get(world.path).json() == {"email": "off"}
    world.notify()
    assert deliver(engine) == []
    assert statuses(engine) == ["sent", "muted"]


def test_the_unsubscribe_page_offers_one_e_mail_a_day_instead(
    anonymous: TestClient, engine: Engine, world: World
) -> None:
    """Beside stopping e-mail, the link's page offers the daily digest: its button (a POST with
    `?email=daily`) chooses it, its day starting then; the next notification waits for the
    digest rather than being muted. Any other `email` value stops e-mail, as the one-click
    POST does."""
    world.notify()
    [email] = deliver(engine)
    match = LINK.search(email.get_content())
    assert match is not None
    page = anonymous.get(match.group(1)).text
    assert '<form method="post" action="?email=daily" data-no-script>' in page
    assert ">One e-mail a day instead</button>" in page
    chosen = anonymous.post(f"{match.group(1)}?email=daily")
    assert chosen.status_code == 200, chosen.text
    assert "will receive one e-mail a day, listing the day's notifications" in chosen.text
    assert world.owner.get(world.path).json() == {"email": "daily"}
    world.notify()
    assert deliver(engine) == []
    assert statuses(engine) == ["sent", "pending"]
    stopped = anonymous.post(f"{match.group(1)}?email=weekly")
    assert "will receive no more notification e-mails" in stopped.text
    assert world.owner.get(world.path).json() == {"email": "off"}


def test_one_click_post_unsubscribes_and_an_unknown_token_is_404(
    anonymous: TestClient, engine: Engine, world: World
) -> None:
    """RFC 8058's POST works like the link; a token nobody holds is a 404 page."""
    world.notify()
    [email] = deliver(engine)
    link = str(email["List-Unsubscribe"]).strip("<>").removeprefix(BASE)
    answer = anonymous.post(link, data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200, answer.text
    assert world.owner.get(world.path).json() == {"email": "off"}
    assert anonymous.get("/unsubscribe/not-a-token").status_code == 404


@pytest.mark.sqlite_only
@pytest.mark.parametrize("token", ["bad%20token", "token.", "t" * 101, "%C3%A9t%C3%A9"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_mangled_unsubscribe_link_answers_the_page_the_document_declares(
    anonymous: TestClient, token: str, method: str
) -> None:
    """A link a mail program mangled (a space, a trailing dot, cut or run on) is a link that is
    not valid: the same HTML page as an unknown token, which the document declares, never a
    problem document a person cannot read."""
    document = anonymous.get("/openapi.json").json()
    declared = document["paths"]["/unsubscribe/{token}"][method]["responses"]["404"]
    assert list(declared["content"]) == ["text/html"]
    answer = getattr(anonymous, method)(f"/unsubscribe/{token}", headers={"Accept": "text/html"})
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert (
        "This unsubscribe link is not valid (it may belong to a deleted organisation)."
        in answer.text
    )


@pytest.mark.sqlite_only
@pytest.mark.parametrize("method", ["get", "post"])
def test_an_unsubscribe_link_a_tracker_added_parameters_to_still_works(
    anonymous: TestClient, engine: Engine, world: World, method: str
) -> None:
    """Mail programs and link trackers add parameters to links ("?utm_source=..."): the link
    still opens its page (and its button still turns e-mail off), where every other operation
    refuses a parameter it does not take; the document promises no 422 for it."""
    world.notify()
    [email] = deliver(engine)
    link = str(email["List-Unsubscribe"]).strip("<>").removeprefix(BASE)
    answer = getattr(anonymous, method)(f"{link}?utm_source=newsletter&utm_medium=email")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    preference = "off" if method == "post" else "immediately"
    assert world.owner.get(world.path).json() == {"email": preference}
    document = anonymous.get("/openapi.json").json()
    assert "422" not in document["paths"]["/unsubscribe/{token}"][method]["responses"]
    assert anonymous.get("/calls?utm_source=newsletter").status_code == 422


def test_daily_digest_lists_pending_messages_once_a_day(engine: Engine, world: World) -> None:
    """With `daily`, nothing goes out at once; a day after choosing it, one e-mail lists every
    pending notification, with the unsubscribe link; the next comes a day later."""
    assert world.owner.put(world.path, json={"email": "daily"}).status_code == 200
    world.notify()
    world.notify()
    assert deliver(engine) == []
    assert statuses(engine) == ["pending", "pending"]
    tomorrow = utc_now() + timedelta(days=1, seconds=5)
    [digest] = deliver(engine, clock=lambda: tomorrow)
    assert digest["To"] == "partnering@lumc.example"
    assert digest["Subject"] == "matchmaker: 2 new messages today"
    text = digest.get_content()
    assert "Message number 1." in text
    assert "Message number 2." in text
    assert LINK.search(text) is not None
    assert digest["List-Unsubscribe"] is not None
    assert statuses(engine) == ["sent", "sent"]
    world.notify()
    assert deliver(engine, clock=lambda: tomorrow + timedelta(hours=23)) == []
    [later] = deliver(engine, clock=lambda: tomorrow + timedelta(days=1))
    assert later["Subject"] == "matchmaker: a new message today"
    assert later["Message-ID"] != digest["Message-ID"]


def test_a_digest_dates_each_notification_in_plain_words(engine: Engine, world: World) -> None:
    """Each item of a digest says when it came as a sentence would, "7 Dec 2026, 05:46 UTC"
    (it said "Mon, 07 Dec 2026 05:46:27 GMT", a mail header's format)."""
    assert world.owner.put(world.path, json={"email": "daily"}).status_code == 200
    world.notify()
    world.notify()
    with Session(engine) as session:
        came = [
            as_utc(moment)
            for moment in session.scalars(
                select(col(OutboxMessage.created_at)).order_by(col(OutboxMessage.id))
            )
        ]
    [digest] = deliver(engine, clock=lambda: utc_now() + timedelta(days=1, seconds=5))
    lines = [line for line in digest.get_content().splitlines() if line[:3] in {"1. ", "2. "}]
    assert lines == [
        f"{number}. A message from Sender {number - 1} "
        f"({moment.day} {moment:%b %Y}, {moment:%H:%M} UTC)"
        for number, moment in enumerate(came, 1)
    ]
    assert "GMT" not in digest.get_content()


def test_key_recovery_link_is_sent_even_when_email_is_off(
    anonymous: TestClient, engine: Engine, world: World
) -> None:
    """A one-time link answers a request: sent whatever the preference, with no unsubscribe."""
    assert world.owner.put(world.path, json={"email": "off"}).status_code == 200
    answer = anonymous.post(
        f"/organisations/{world.id}/key-recovery",
        json={"contact_email": "partnering@lumc.example"},
    )
    assert answer.status_code == 202, answer.text
    [email] = deliver(engine)
    assert email["X-Matchmaker-Event"] == "key_recovery"
    assert email["List-Unsubscribe"] is None
