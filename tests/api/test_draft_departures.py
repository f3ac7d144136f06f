"""An organisation that deletes its profile leaves the drafts it was a member of: each of
their owners is told once, naming its drafts and what each now lacks for its call, with no
contact detail of the deleted organisation; a refused delete tells nobody."""

import json
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from matchmaker import db
from matchmaker.partnering.webhooks import deliver_webhooks
from matchmaker.settings import Settings
from models.consortium import ConsortiumDeparture
from models.notifications import Webhook
from models.partnering import OutboxMessage
from tests.factories import create_call, create_organisation
from tests.helpers import assert_problem, count_rows, keyed, settings_for
from tests.matchmaker.partnering.receiver import Receiver, webhook_receiver
from tests.matchmaker.partnering.smtp import Recorder, smtp_server, worker_pass

BASE = "https://matchmaker.example"
SECRET = "whsec_departure-test"
ADDRESS = "hello@liver-patients.example"
DESCRIPTION = "Hepatoqwz support groups for people living with liver disease."
EVENT = "draft_member_left"


@pytest.fixture
def settings(database_url: str) -> Settings:
    """The test database, with the address the notifications' links start with."""
    return settings_for(database_url, public_base_url=BASE)


def _draft(
    owner: dict[str, Any], client: TestClient, name: str, call_id: int, *members: int
) -> int:
    """A draft of `owner` for the call, with these members; its id."""
    response = keyed(client, owner["api_key"]).post(
        "/consortia",
        json={
            "name": name,
            "call_id": call_id,
            "members": [{"organisation_id": member, "role": "partner"} for member in members],
        },
    )
    assert response.status_code == 201, response.text
    draft_id: int = response.json()["id"]
    return draft_id


def _departures(engine: Engine) -> list[tuple[int, str, str, dict[str, int] | None]]:
    """Every departure notice in the outbox: (recipient, subject, body, about ids)."""
    with Session(engine) as session:
        return [
            (row.organisation_id, row.subject, row.body, row.about_ids)
            for row in session.scalars(
                select(OutboxMessage)
                .where(col(OutboxMessage.event) == EVENT)
                .order_by(col(OutboxMessage.organisation_id))
            )
        ]


def test_each_draft_owner_is_told_once_what_the_departure_left_missing(
    client: TestClient, engine: Engine
) -> None:
    """Two owners of drafts with the same member each get one notice naming their drafts
    and, for each, the call's requirements it now misses (none for a draft that still meets
    them), with links to the drafts; the deleted organisation's own draft and a draft without
    it tell nobody; neither the notice nor the webhook holds the deleted organisation's address
    or description, and a delete refused for a stale If-Match writes nothing. Each draft it
    left shows it among its departures, by name, type and role; the draft without it shows
    none."""
    call = create_call(
        client,
        identifier="IHI-2027-03-01",
        title="Liver disease screening",
        required_stakeholders={"patient_organisation": 1, "academia": 1},
        min_countries=3,
        opening_date=None,
        deadline="2099-01-31",
    )
    patients = create_organisation(
        client,
        name="European Liver Patients",
        stakeholder_type="patient_organisation",
        country="BE",
        contact_email=ADDRESS,
        description=DESCRIPTION,
    )
    leiden = create_organisation(client, name="Leiden University", contact_email="l@leiden.example")
    karolinska = create_organisation(client, name="Karolinska Institutet", country="SE")
    oncomark = create_organisation(
        client, name="Oncomark", stakeholder_type="sme", contact_email="bd@oncomark.example"
    )
    registry = create_organisation(
        client, name="Liver Registry", stakeholder_type="patient_organisation", country="DE"
    )
    gone = patients["id"]
    screening = _draft(
        leiden, client, "Liver screening", call["id"], gone, leiden["id"], karolinska["id"]
    )
    cohort = _draft(
        leiden,
        client,
        "Liver cohort",
        call["id"],
        gone,
        registry["id"],
        leiden["id"],
        karolinska["id"],
    )
    biomarkers = _draft(oncomark, client, "Biomarkers", call["id"], gone, oncomark["id"])
    # Its own draft goes with it; a draft it was never in does not change.
    _draft(patients, client, "Patients' own", call["id"], leiden["id"])
    without = _draft(karolinska, client, "Without them", call["id"], leiden["id"])
    member = keyed(client, patients["api_key"])

    receiver = Receiver(secret=SECRET)
    with webhook_receiver(receiver) as url:
        with db.session_scope(db.for_writing(engine)) as session:
            session.add(Webhook(organisation_id=oncomark["id"], url=f"{url}/hook", secret=SECRET))
        stale = member.delete(f"/organisations/{gone}", headers={"If-Match": '"7"'})
        assert_problem(stale, 412)
        assert _departures(engine) == []
        assert count_rows(engine, ConsortiumDeparture) == 0
        assert member.delete(f"/organisations/{gone}").status_code == 204
        with httpx.Client() as http:
            assert deliver_webhooks(engine, client=http, allow_private=True).failed == 0

    # Each draft it left says so itself; the draft without it says nothing.
    for owner, draft_id in ((leiden, screening), (leiden, cohort), (oncomark, biomarkers)):
        [left] = keyed(client, owner["api_key"]).get(f"/consortia/{draft_id}").json()["departures"]
        assert (left["name"], left["stakeholder_type"], left["role"]) == (
            "European Liver Patients",
            "patient_organisation",
            "partner",
        )
    unchanged = keyed(client, karolinska["api_key"]).get(f"/consortia/{without}").json()
    assert unchanged["departures"] == []

    for_call = "for the call IHI-2027-03-01, Liver disease screening"
    assert _departures(engine) == [
        (
            leiden["id"],
            'European Liver Patients left your drafts "Liver screening" and "Liver cohort"',
            'European Liver Patients deleted its profile and left your drafts "Liver screening" '
            'and "Liver cohort".\n\n'
            f'Your draft "Liver screening", {for_call}, now lacks a patient organisation and '
            "members from 3 countries (now 2), which the call requires: "
            f"{BASE}/ui/consortia/{screening}\n"
            f'Your draft "Liver cohort", {for_call}: {BASE}/ui/consortia/{cohort}\n\n'
            "Each draft's page lists the organisations that could take its place.\n",
            {"consortium_id": screening, "call_id": call["id"]},
        ),
        (
            oncomark["id"],
            'European Liver Patients left your draft "Biomarkers"',
            'European Liver Patients deleted its profile and left your draft "Biomarkers".\n\n'
            f'Your draft "Biomarkers", {for_call}, now lacks a patient organisation and members '
            "from 3 countries (now 1), which the call requires: "
            f"{BASE}/ui/consortia/{biomarkers}\n\n"
            "Each draft's page lists the organisations that could take its place.\n",
            {"consortium_id": biomarkers, "call_id": call["id"]},
        ),
    ]
    # The owner's export shows it as it was written, and the webhook as the outbox holds it.
    exported = keyed(client, leiden["api_key"]).get(f"/organisations/{leiden['id']}/export")
    [notice] = [n for n in exported.json()["notifications"] if n["event"] == EVENT]
    assert notice["about"] == {"call_id": call["id"], "consortium_id": screening}
    [payload] = [json.loads(request.body) for request in receiver.received]
    assert (payload["event"], payload["organisation_id"], payload["about"]) == (
        EVENT,
        oncomark["id"],
        {"call_id": call["id"], "consortium_id": biomarkers},
    )
    # The delivery pass e-mails each owner its one notice, at its own address.
    recorder = Recorder()
    with smtp_server(recorder) as port:
        worker_pass(engine, port, base_url=BASE)
    mailed = [m for m in recorder.messages if m["X-Matchmaker-Event"] == EVENT]
    assert sorted(str(m["To"]) for m in mailed) == ["bd@oncomark.example", "l@leiden.example"]
    for text in (
        *(f"{s} {b}" for _, s, b, _ in _departures(engine)),
        receiver.received[0].body.decode(),
        *(m.as_string() for m in mailed),
    ):
        assert ADDRESS not in text
        assert "Hepatoqwz" not in text


def test_an_owner_of_many_drafts_hears_of_the_first_ten_and_the_others_counted(
    client: TestClient, engine: Engine
) -> None:
    """Twelve drafts with the longest names, for a call with the longest title, make one
    notice the outbox takes (the delete succeeds): ten drafts named and listed, two counted,
    with a link to all the owner's drafts, and a subject that counts them. An administrator's
    delete tells them as the organisation's own does."""
    call = create_call(client, title="T" * 500, opening_date=None, deadline="2099-01-31")
    member = create_organisation(client, name="M" * 300, contact_email=ADDRESS)
    owner = create_organisation(client, name="Leiden University")
    drafts = [
        _draft(owner, client, f"{number:02d}" + "d" * 198, call["id"], member["id"])
        for number in range(12)
    ]
    # An administrator deletes it: its owners hear of it all the same.
    assert client.delete(f"/organisations/{member['id']}").status_code == 204

    [(recipient, subject, body, about)] = _departures(engine)
    assert (recipient, about) == (owner["id"], {"consortium_id": drafts[0], "call_id": call["id"]})
    assert subject == f"{'M' * 300} left 12 of your drafts"[:300]
    first, *lines, last = body.split("\n\n")
    named = [f'"{number:02d}{"d" * 198}"' for number in range(10)]
    assert first == (
        f"{'M' * 300} deleted its profile and left your drafts {', '.join(named)} "
        "and 2 other drafts."
    )
    listed = lines[0].split("\n")
    assert [line.rsplit(": ", 1)[1] for line in listed] == [
        *(f"{BASE}/ui/consortia/{draft}" for draft in drafts[:10]),
        f"{BASE}/ui/drafts",
    ]
    assert last == "Each draft's page lists the organisations that could take its place.\n"
