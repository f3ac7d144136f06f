"""What each notification's webhook names in `about`: the ids of what it reports, so that a
receiver acts on it without parsing its text; a one-time link's message names no secret and
goes to no webhook."""

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from matchmaker import db
from matchmaker.importers.runner import import_organisations_json
from matchmaker.partnering.expiry import announce_expired, remind_recipients
from matchmaker.partnering.fanout import run_events
from matchmaker.partnering.outbox import about_of
from matchmaker.partnering.webhooks import deliver_webhooks
from matchmaker.trust.freshness import remind_owners
from models.common import months_before, utc_now
from models.notifications import Webhook, WebhookDelivery
from models.partnering import OutboxMessage
from tests.factories import create_call, create_organisation
from tests.helpers import keyed, mark_confirmed
from tests.matchmaker.partnering.receiver import Receiver, webhook_receiver

SECRET = "whsec_about-test"
BASE = "https://matchmaker.example"
FAR = "2099-01-31"
# Every field of the payload: those before `about` are API since webhooks were added.
FIELDS = ["id", "event", "organisation_id", "subject", "body", "created_at", "about"]


def hook(engine: Engine, organisation_id: int, url: str) -> None:
    """Register a webhook at `url` for the organisation, signed with SECRET."""
    with db.session_scope(db.for_writing(engine)) as session:
        session.add(Webhook(organisation_id=organisation_id, url=f"{url}/hook", secret=SECRET))


def new(client: TestClient, url: str, engine: Engine, **fields: Any) -> tuple[int, TestClient]:
    """An organisation with a webhook at `url`: its id and a client with its key."""
    body = create_organisation(client, **fields)
    hook(engine, body["id"], url)
    return body["id"], keyed(client, body["api_key"])


def delivered(engine: Engine, receiver: Receiver) -> list[tuple[str, int, dict[str, int]]]:
    """Deliver every due webhook: (event, recipient, about) of each payload received, in
    order, once each checked to be signed and to hold every field, in order."""
    with httpx.Client() as http:
        done = deliver_webhooks(engine, client=http, allow_private=True)
    assert done.failed == 0
    assert [r.verified for r in receiver.received] == [True] * len(receiver.received)
    documents = [json.loads(r.body) for r in receiver.received]
    assert [list(document) for document in documents] == [FIELDS] * len(documents)
    return [
        (document["event"], document["organisation_id"], document["about"])
        for document in documents
    ]


def run(engine: Engine, *, on: date | None = None) -> None:
    """One events pass, on a given day (today by default)."""
    now = datetime.now(UTC) if on is None else datetime.combine(on, datetime.min.time(), UTC)
    run_events(engine, base_url=BASE, clock=lambda: now)


def test_contact_request_webhooks_name_the_request_its_call_draft_and_other_party(
    client: TestClient, engine: Engine
) -> None:
    """A received request names itself, its call, the sender's draft and the sender; an
    answer to a partner request names that too; acceptance and refusal name the request and
    the one who answered."""
    call = create_call(client, opening_date=None, deadline=FAR)
    receiver = Receiver(secret=SECRET)
    with webhook_receiver(receiver) as url:
        lab, lab_client = new(client, url, engine, name="Leiden Lab")
        sme, sme_client = new(client, url, engine, name="Oncomark", stakeholder_type="sme")
        patients, patients_client = new(
            client, url, engine, name="Liver Patients", stakeholder_type="patient_organisation"
        )
        draft = sme_client.post("/consortia", json={"name": "Screening", "call_id": call["id"]})
        assert draft.status_code == 201, draft.text
        asked = sme_client.post(
            f"/organisations/{lab}/contact-requests",
            json={
                "call_id": call["id"],
                "consortium_id": draft.json()["id"],
                "message": "Your biobank fits our proposal.",
            },
        )
        assert asked.status_code == 201, asked.text
        published = lab_client.post(
            f"/calls/{call['id']}/partner-requests",
            json={
                "stakeholder_types": ["patient_organisation"],
                "expertise": "Patient panels for liver disease screening.",
                "pitch": "Join a consortium on early detection.",
            },
        )
        assert published.status_code == 201, published.text
        answered = patients_client.post(
            f"/partner-requests/{published.json()['id']}/interest",
            json={"message": "We would like to join."},
        )
        assert answered.status_code == 201, answered.text
        assert lab_client.post(f"/contact-requests/{asked.json()['id']}/accept").is_success
        assert lab_client.post(f"/contact-requests/{answered.json()['id']}/decline").is_success
        received = delivered(engine, receiver)
    sent = {"contact_request_id": asked.json()["id"], "call_id": call["id"]}
    sent |= {"consortium_id": draft.json()["id"]}
    interest = {"contact_request_id": answered.json()["id"], "call_id": call["id"]}
    interest |= {"partner_request_id": published.json()["id"]}
    assert received == [
        ("request_received", lab, sent | {"organisation_id": sme}),
        ("request_received", lab, interest | {"organisation_id": patients}),
        ("request_accepted", sme, sent | {"organisation_id": lab}),
        ("request_declined", patients, interest | {"organisation_id": lab}),
    ]


def test_expiry_webhooks_name_the_request_and_the_other_party(
    client: TestClient, engine: Engine
) -> None:
    """The reminder to a request's recipient and the notice to its sender once it expired name
    the request, its call and draft, and the other party, as the request's other webhooks do."""
    call = create_call(client, opening_date=None, deadline=FAR)
    receiver = Receiver(secret=SECRET)
    with webhook_receiver(receiver) as url:
        lab, _ = new(client, url, engine, name="Leiden Lab")
        sme, sme_client = new(client, url, engine, name="Oncomark", stakeholder_type="sme")
        draft = sme_client.post("/consortia", json={"name": "Screening", "call_id": call["id"]})
        assert draft.status_code == 201, draft.text
        asked = sme_client.post(
            f"/organisations/{lab}/contact-requests",
            json={"call_id": call["id"], "consortium_id": draft.json()["id"], "message": "Hi."},
        )
        assert asked.status_code == 201, asked.text
        expires_at = datetime.fromisoformat(asked.json()["expires_at"])
        soon = expires_at - timedelta(days=1)
        assert remind_recipients(engine, remind_days=3, base_url=BASE, clock=lambda: soon) == 1
        assert announce_expired(engine, base_url=BASE, clock=lambda: expires_at) == 1
        received = delivered(engine, receiver)
    sent = {"contact_request_id": asked.json()["id"], "call_id": call["id"]}
    sent |= {"consortium_id": draft.json()["id"]}
    assert received == [
        ("request_received", lab, sent | {"organisation_id": sme}),
        ("request_expiring", lab, sent | {"organisation_id": sme}),
        ("request_expired", sme, sent | {"organisation_id": lab}),
    ]


def test_search_webhooks_name_the_item_and_the_saved_search(
    client: TestClient, engine: Engine
) -> None:
    """A call names itself; an organisation names itself; a partner request names itself, its
    call and its publisher; each names the saved search it matched."""
    receiver = Receiver(secret=SECRET)
    with webhook_receiver(receiver) as url:
        watcher, watcher_client = new(client, url, engine, name="Biopsy Watchers")
        panel, panel_client = new(
            client, url, engine, name="Panel Finders", stakeholder_type="patient_organisation"
        )
        run(engine)  # the watchers' own profiles, before any search is saved
        searches = [
            (watcher, watcher_client, {"target": "calls", "text": "liquid biopsy"}),
            (
                watcher,
                watcher_client,
                {
                    "target": "organisations",
                    "text": "liver disease patients",
                    "stakeholder_types": ["patient_organisation"],
                },
            ),
            (
                panel,
                panel_client,
                {"target": "partner_requests", "text": "patient panels liver screening"},
            ),
        ]
        ids = []
        for owner, owner_client, search in searches:
            saved = owner_client.post(f"/organisations/{owner}/saved-searches", json=search)
            assert saved.status_code == 201, saved.text
            ids.append(saved.json()["id"])
        call = create_call(client, opening_date=None, deadline=FAR)
        liver = create_organisation(
            client,
            name="European Liver Patients",
            stakeholder_type="patient_organisation",
            country="BE",
            description="Patients living with liver disease, their families and carers.",
        )
        publisher, publisher_client = new(
            client, url, engine, name="Oncomark Diagnostics", stakeholder_type="sme"
        )
        published = publisher_client.post(
            f"/calls/{call['id']}/partner-requests",
            json={
                "stakeholder_types": ["patient_organisation"],
                "expertise": "Patient panels for liver disease screening studies.",
                "pitch": "Our consortium needs patients involved from the start.",
            },
        )
        assert published.status_code == 201, published.text
        run(engine)
        received = delivered(engine, receiver)
    assert sorted(received) == [
        ("call_matches_search", watcher, {"call_id": call["id"], "saved_search_id": ids[0]}),
        (
            "organisation_matches_search",
            watcher,
            {"organisation_id": liver["id"], "saved_search_id": ids[1]},
        ),
        (
            "partner_request_matches_search",
            panel,
            {
                "call_id": call["id"],
                "organisation_id": publisher,
                "partner_request_id": published.json()["id"],
                "saved_search_id": ids[2],
            },
        ),
    ]


def test_a_call_matching_two_searches_of_one_organisation_is_one_webhook_call(
    client: TestClient, engine: Engine
) -> None:
    """An organisation two of whose searches match a new call receives one event, as its
    e-mail is one (it received one per search, the same call twice): `about` names the more
    relevant search, the text both."""
    receiver = Receiver(secret=SECRET)
    with webhook_receiver(receiver) as url:
        watcher, watcher_client = new(client, url, engine, name="Biopsy Watchers")
        ids = []
        for text in ("liquid biopsy cancer detection", "early detection"):
            saved = watcher_client.post(
                f"/organisations/{watcher}/saved-searches", json={"target": "calls", "text": text}
            )
            assert saved.status_code == 201, saved.text
            ids.append(saved.json()["id"])
        run(engine)
        call = create_call(client, opening_date=None, deadline=FAR)
        run(engine)
        received = delivered(engine, receiver)
        (document,) = [json.loads(r.body) for r in receiver.received]
    assert received == [
        ("call_matches_search", watcher, {"call_id": call["id"], "saved_search_id": ids[0]})
    ]
    assert (
        'It matches your saved searches "liquid biopsy cancer detection" (relevance'
        in document["body"]
    )
    assert '%) and "early detection" (relevance' in document["body"]


def test_gap_and_deadline_webhooks_name_the_draft_and_its_call(
    client: TestClient, engine: Engine
) -> None:
    """A profile filling a draft's gap names the draft, its call and the profile; a deadline
    reminder names the draft and its call."""
    today = date(2030, 3, 1)
    call = create_call(
        client,
        opening_date=None,
        deadline=(today + timedelta(days=7)).isoformat(),
        required_stakeholders={"academia": 1, "patient_organisation": 1},
    )
    receiver = Receiver(secret=SECRET)
    with webhook_receiver(receiver) as url:
        owner, owner_client = new(client, url, engine, name="Draft Owner")
        draft = owner_client.post("/consortia", json={"name": "Liver", "call_id": call["id"]})
        assert draft.status_code == 201, draft.text
        run(engine, on=today - timedelta(days=1))
        patients = create_organisation(
            client, name="Liver Patients Europe", stakeholder_type="patient_organisation"
        )
        run(engine, on=today)
        received = delivered(engine, receiver)
    named = {"consortium_id": draft.json()["id"], "call_id": call["id"]}
    assert received == [
        ("profile_fills_gap", owner, named | {"organisation_id": patients["id"]}),
        ("deadline_soon", owner, named),
    ]


def test_confirm_reminder_webhook_names_nothing(client: TestClient, engine: Engine) -> None:
    """A reminder to confirm a profile is about the recipient itself: `about` is empty."""
    receiver = Receiver(secret=SECRET)
    with webhook_receiver(receiver) as url:
        organisation, _ = new(client, url, engine, contact_email="office@lab.example")
        mark_confirmed(engine, organisation, months_before(utc_now(), 13))
        reminded = remind_owners(
            engine, remind_after_months=12, stale_after_months=13, base_url=BASE
        )
        assert reminded == 1
        received = delivered(engine, receiver)
    assert received == [("confirm_reminder", organisation, {})]


def test_one_time_link_messages_name_no_secret_and_reach_no_webhook(
    client: TestClient, engine: Engine, tmp_path: Path
) -> None:
    """A key recovery names nothing, a claim's confirmation only the claim; neither holds its
    token, and neither has a webhook delivery."""
    source = tmp_path / "record.json"
    record = {
        "external_id": "cordis:999991428",
        "name": "ONCOMARK DIAGNOSTICS BV",
        "stakeholder_type": "sme",
        "country": "NL",
        "website": "https://www.oncomark.example/",
    }
    source.write_text(json.dumps([record]))
    assert import_organisations_json(engine, source).created == 1
    receiver = Receiver(secret=SECRET)
    with webhook_receiver(receiver) as url:
        claimant, claimant_client = new(
            client, url, engine, name="Oncomark", contact_email="ceo@oncomark.example"
        )
        claimed = claimant_client.post(
            f"/organisations/{claimant}/claims",
            json={"record": "999991428", "email": "partnering"},
        )
        assert claimed.status_code == 201, claimed.text
        with Session(engine) as session:
            record_id = session.scalars(
                select(col(OutboxMessage.organisation_id)).where(
                    col(OutboxMessage.event) == "claim_confirmation"
                )
            ).one()
        hook(engine, record_id, url)
        recovered = claimant_client.post(
            f"/organisations/{claimant}/key-recovery",
            json={"contact_email": "ceo@oncomark.example"},
        )
        assert recovered.status_code == 202, recovered.text
        assert delivered(engine, receiver) == []
    with Session(engine) as session:
        messages = session.scalars(select(OutboxMessage).order_by(col(OutboxMessage.id))).all()
        assert session.scalars(select(WebhookDelivery)).all() == []
    assert [(message.event, about_of(message)) for message in messages] == [
        ("claim_confirmation", {"claim_id": claimed.json()["id"]}),
        ("key_recovery", {}),
    ]
