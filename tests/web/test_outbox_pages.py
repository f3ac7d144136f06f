"""The administrator's outbox page and GET /admin/outbox: how many e-mails and webhook
deliveries wait and since when, which failed and why, and when the last went out, never an
address, a subject or a body. (The count of claims waiting, beside "Claims" in the menu, is the
page's script's: test_e2e_programme_office.)"""

import html
import re
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine, func, select, update
from sqlmodel import col

from api.main import create_app
from matchmaker import db
from matchmaker.partnering.delivery import SmtpSender, SmtpServer, deliver_pending
from matchmaker.partnering.outbox import Event, enqueue
from matchmaker.partnering.preferences import ensure_preference
from matchmaker.partnering.webhooks import MAX_ATTEMPTS, deliver_webhooks
from matchmaker.settings import Settings
from models.common import StakeholderType, utc_now
from models.notifications import EmailFrequency, Webhook, WebhookDelivery
from models.organisation import Organisation
from models.partnering import OutboxMessage
from tests.factories import create_organisation
from tests.helpers import bearer, keyed
from tests.matchmaker.partnering.receiver import Receiver, webhook_receiver
from tests.matchmaker.partnering.smtp import (
    Recorder,
    RefusingRecorder,
    loopback_sender,
    smtp_server,
)
from tests.postgres import free_port
from tests.servers import ADMIN_TOKEN

PAGE = "/ui/admin/outbox"
PANEL = "/ui/admin/outbox/panel"
REFUSED = "nobody@clinic.example"


def _organisation(session: Any, name: str, address: str | None) -> int:
    organisation = Organisation(
        name=name, stakeholder_type=StakeholderType.academia, country="NL", contact_email=address
    )
    session.add(organisation)
    session.flush()
    assert organisation.id is not None
    return organisation.id


def _enqueue(session: Any, organisation_id: int, number: int) -> None:
    enqueue(
        session,
        organisation_id=organisation_id,
        event=Event.request_received,
        subject=f"Secret subject {number}",
        body=f"Private body {number}: write to someone@else.example\n",
    )


@pytest.fixture
def busy_outbox(engine: Engine) -> None:
    """An outbox as a day leaves it: one e-mail sent, two refused by the server (retried, their
    errors naming the refused address), three not yet tried; and the webhook deliveries of two
    of those, which a receiver answered 503, one of them at its last attempt (given up)."""
    with db.session_scope(db.for_writing(engine)) as session:
        lab = _organisation(session, "Lab of Sent Mail", "team@lab.example")
        _enqueue(session, lab, 0)
    with smtp_server(Recorder()) as port, loopback_sender(port) as sender:
        assert deliver_pending(engine, send=sender, mail_from="mm@example.org").sent == 1
    with db.session_scope(db.for_writing(engine)) as session:
        clinic = _organisation(session, "Clinic of Refused Mail", REFUSED)
        _enqueue(session, clinic, 1)
        _enqueue(session, clinic, 2)
        later = _organisation(session, "Institute Not Yet Tried", "office@institute.example")
        _enqueue(session, later, 3)
    with smtp_server(RefusingRecorder(REFUSED)) as port, loopback_sender(port) as sender:
        done = deliver_pending(engine, send=sender, mail_from="mm@example.org", limit=2)
    assert (done.sent, done.failed) == (0, 2)

    receiver = Receiver(statuses=(503,))
    with webhook_receiver(receiver) as url:
        with db.session_scope(db.for_writing(engine)) as session:
            hooked = _organisation(session, "Hooked Hospital", "hooks@hospital.example")
            session.add(Webhook(organisation_id=hooked, url=f"{url}/hook", secret="whsec_x"))
            session.flush()
            _enqueue(session, hooked, 4)
            _enqueue(session, hooked, 5)
        with db.session_scope(db.for_writing(engine)) as session:
            first = session.scalar(select(func.min(col(WebhookDelivery.id))))
            session.execute(
                update(WebhookDelivery)
                .where(col(WebhookDelivery.id) == first)
                .values(attempts=MAX_ATTEMPTS - 1)
            )
        with httpx.Client() as client:
            done_hooks = deliver_webhooks(engine, client=client, allow_private=True)
        assert (done_hooks.delivered, done_hooks.failed) == (0, 2)


def _text(markup: str) -> str:
    """A fragment's words, tags dropped and spaces folded."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", markup)).strip())


@pytest.mark.usefixtures("busy_outbox")
def test_an_administrator_sees_what_waits_what_fails_and_when_mail_last_went(
    client: TestClient,
) -> None:
    """The figures in words: five e-mails wait (two retried, with the server's refusal and the
    address in it withheld), the last was sent a moment ago, e-mail is not configured here; two
    webhook deliveries failed, one given up. No address, subject or body is on the page."""
    panel = client.get(PANEL)
    assert panel.status_code == 200
    assert panel.headers["cache-control"] == "no-store"
    words = _text(panel.text)
    assert "E-mail is not configured: MATCHMAKER_SMTP_URL is not set" in words
    assert re.search(
        r"5 e-mails wait to be sent; the oldest was written (less than a minute|1 minute) ago",
        words,
    ), words
    assert "Of these, 2 failed and are being retried." in words
    assert re.search(r"The last e-mail was sent (less than a minute|1 minute) ago", words)
    assert "Showing 1\N{EN DASH}2 of 2 e-mails" in words
    assert words.count("Clinic of Refused Mail") == 2
    assert "(address withheld)" in words
    assert words.count("The mail server refused the recipient's address.") == 2
    assert "550, b'5.1.1 No such user here'" in words
    assert "Request received" in words
    # The webhooks' section.
    assert "2 webhook deliveries wait to be sent" not in words  # one is given up
    assert "1 webhook delivery waits to be sent" in words
    assert "Of these, 1 failed and is being retried." in words
    assert "1 webhook delivery was given up after the last attempt." in words
    assert "No webhook delivery has been answered yet." in words
    assert "Showing 1\N{EN DASH}2 of 2 webhook deliveries" in words
    assert words.count("The webhook answered HTTP 503, not a success. HTTP 503") == 2
    assert "none: given up" in words
    # Nothing of what a message says nor where it goes.
    for private in ("@", "Secret subject", "Private body", "someone", "team@lab", "clinic.example"):
        assert private not in panel.text, private


def test_the_api_answers_the_same_figures_and_says_when_e_mail_is_configured(
    settings: Settings, client: TestClient, busy_outbox: None
) -> None:
    """GET /admin/outbox: the page's figures as JSON, a page of the failing from `offset`;
    with MATCHMAKER_SMTP_URL set, e-mail is configured."""
    report = client.get("/admin/outbox", params={"limit": 1, "offset": 1}).json()
    assert report["email_configured"] is False
    emails, hooks = report["emails"], report["webhooks"]
    assert (emails["waiting"], emails["retrying"], emails["given_up"]) == (5, 2, 0)
    assert emails["last_sent_at"] is not None
    [failing] = emails["failing"]["items"]
    assert emails["failing"] | {"items": []} == {"items": [], "total": 2, "limit": 1, "offset": 1}
    assert failing["organisation_name"] == "Clinic of Refused Mail"
    assert failing["event"] == "request_received"
    assert failing["attempts"] == 1
    assert "@" not in failing["last_error"]
    assert "(address withheld)" in failing["last_error"]
    assert failing["reason"] == "The mail server refused the recipient's address."
    assert (hooks["waiting"], hooks["retrying"], hooks["given_up"]) == (1, 1, 1)
    assert hooks["last_sent_at"] is None
    assert [item["next_attempt_at"] is None for item in hooks["failing"]["items"]] == [True]
    # No delivery pass in the background: only the setting is looked at.
    configured = settings.model_copy(
        update={"smtp_url": SecretStr("smtp://127.0.0.1:1"), "delivery_interval": 0}
    )
    with TestClient(create_app(configured)) as other:
        answer = keyed(other, ADMIN_TOKEN).get("/admin/outbox")
    assert answer.json()["email_configured"] is True


@pytest.mark.sqlite_only
def test_only_an_administrator_sees_the_outbox(client: TestClient, anonymous: TestClient) -> None:
    """The page is public HTML that loads its figures as a fragment; the fragment and the API
    answer 401 without a key and 403 to an organisation's, as the other admin pages do. The
    administrator's menu links to it."""
    page = anonymous.get(PAGE)
    assert page.status_code == 200
    assert "<h1>Outbox: e-mail and webhooks</h1>" in page.text
    assert f'data-fragment="{PANEL}"' in page.text
    link = '<li data-admin-only hidden><a href="/ui/admin/outbox"{}>Outbox</a></li>'
    assert link.format(' aria-current="page"') in page.text
    assert link.format("") in anonymous.get("/ui/admin/claims").text
    assert f'data-fragment="{PANEL}?page=2&amp;webhook_page=3"' in (
        anonymous.get(PAGE, params={"page": 2, "webhook_page": 3}).text
    )
    organisation = create_organisation(anonymous)
    for path in (PANEL, "/admin/outbox"):
        assert anonymous.get(path).status_code == 401
        refused = anonymous.get(path, headers=bearer(organisation["api_key"]))
        assert refused.status_code == 403
        assert refused.headers["content-type"] == "application/problem+json"


def test_an_empty_outbox_says_so(client: TestClient) -> None:
    """Nothing waits, fails or went out: each figure says so in words, with no list."""
    words = _text(client.get(PANEL).text)
    for said in (
        "No e-mail waits to be sent.",
        "No e-mail is failing.",
        "No e-mail has been sent yet.",
        "No webhook delivery waits to be sent.",
        "No webhook delivery is being retried.",
        "No webhook delivery was given up.",
        "No e-mail went unsent because an organisation turned e-mail off or has no contact "
        "address.",
    ):
        assert said in words
    assert "Showing" not in words


def test_e_mails_an_organisation_stopped_or_had_nowhere_to_go_are_counted_apart(
    client: TestClient, engine: Engine
) -> None:
    """E-mails of an organisation that turned e-mail off, and of one without a contact address:
    never sent and never retried, they are counted apart, in words and as JSON, and neither
    wait nor fail; no address is on the page."""
    with db.session_scope(db.for_writing(engine)) as session:
        quiet = _organisation(session, "Quiet Lab", "quiet@lab.example")
        ensure_preference(session, organisation_id=quiet).email = EmailFrequency.off.value
        _enqueue(session, quiet, 1)
        _enqueue(session, quiet, 2)
        _enqueue(session, _organisation(session, "Clinic Without Address", None), 3)
    with smtp_server(Recorder()) as port, loopback_sender(port) as sender:
        done = deliver_pending(engine, send=sender, mail_from="mm@example.org")
    assert (done.sent, done.muted, done.skipped) == (0, 2, 1)

    words = _text(client.get(PANEL).text)
    assert (
        "Not sent, and never will be: 2 e-mails whose organisation turned notification e-mail "
        "off; 1 e-mail whose organisation has no contact address."
    ) in words
    assert "No e-mail waits to be sent." in words
    assert "No e-mail is failing." in words
    assert "quiet@lab.example" not in words
    emails = client.get("/admin/outbox").json()["emails"]
    assert (emails["waiting"], emails["retrying"], emails["muted"], emails["no_address"]) == (
        0,
        0,
        2,
        1,
    )


def test_each_list_of_the_failing_is_paged_apart_and_past_its_end_shows_its_last(
    client: TestClient, engine: Engine
) -> None:
    """Thirty e-mails refused and their thirty webhook deliveries answered 503: each list 25 on
    its first page and 5 on its second, its links keeping the other list's page; a page past
    either's end shows its last."""
    receiver = Receiver(statuses=(503,))
    with webhook_receiver(receiver) as url:
        with db.session_scope(db.for_writing(engine)) as session:
            clinic = _organisation(session, "Clinic of Refused Mail", REFUSED)
            session.add(Webhook(organisation_id=clinic, url=f"{url}/hook", secret="whsec_x"))
            session.flush()
            for number in range(30):
                _enqueue(session, clinic, number)
        with httpx.Client() as http:
            assert deliver_webhooks(engine, client=http, allow_private=True).failed == 30
    with smtp_server(RefusingRecorder(REFUSED)) as port, loopback_sender(port) as sender:
        assert deliver_pending(engine, send=sender, mail_from="mm@example.org").failed == 30
    first = client.get(PANEL).text
    assert "Showing 1\N{EN DASH}25 of 30 e-mails" in _text(first)
    assert "Showing 1\N{EN DASH}25 of 30 webhook deliveries" in _text(first)
    assert first.count("<tr data-message-id=") == 25
    assert first.count("<tr data-delivery-id=") == 25
    assert 'href="/ui/admin/outbox?page=2" rel="next"' in first
    assert 'href="/ui/admin/outbox?webhook_page=2" rel="next"' in first
    for page, webhook_page in ((2, 2), (9, 7)):
        second = client.get(PANEL, params={"page": page, "webhook_page": webhook_page}).text
        assert "Showing 26\N{EN DASH}30 of 30 e-mails" in _text(second)
        assert "Showing 26\N{EN DASH}30 of 30 webhook deliveries" in _text(second)
        assert second.count("<tr data-message-id=") == 5
        assert second.count("<tr data-delivery-id=") == 5
        # Back to the e-mails' first page on the webhooks' second, and the other way round.
        assert 'href="/ui/admin/outbox?webhook_page=2" rel="prev"' in second
        assert 'href="/ui/admin/outbox?page=2" rel="prev"' in second


def test_the_oldest_waiting_e_mail_is_aged_in_words(client: TestClient, engine: Engine) -> None:
    """An e-mail written three hours ago and not yet sent: "written 3 hours ago"."""
    with db.session_scope(db.for_writing(engine)) as session:
        lab = _organisation(session, "Lab", "team@lab.example")
        _enqueue(session, lab, 0)
        session.execute(
            update(OutboxMessage).values(created_at=utc_now() - timedelta(hours=3, minutes=5))
        )
    assert "1 e-mail waits to be sent; the oldest was written 3 hours ago" in _text(
        client.get(PANEL).text
    )


def test_a_mail_server_that_cannot_be_reached_is_said_so(
    client: TestClient, engine: Engine
) -> None:
    """A pass against a port nothing listens on: the e-mail is retried, the reason says the
    server refused the connection and asks whether it runs at that port."""
    with db.session_scope(db.for_writing(engine)) as session:
        lab = _organisation(session, "Lab", "team@lab.example")
        _enqueue(session, lab, 0)
    sender = SmtpSender(SmtpServer("127.0.0.1", free_port(), None, None, implicit_tls=False))
    assert deliver_pending(engine, send=sender, mail_from="mm@example.org").failed == 1
    [failing] = client.get("/admin/outbox").json()["emails"]["failing"]["items"]
    assert failing["last_error"].startswith("ConnectionRefusedError: ")
    assert failing["reason"] == (
        "The mail server refused the connection: is it running, at that port?"
    )
