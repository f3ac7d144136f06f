"""Partner requests, expressions of interest, contact requests, the inbox, blocks and limits."""

import re
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, update
from sqlmodel import Session, col

from matchmaker.partnering.outbox import REDACTED_BODY
from matchmaker.settings import Settings
from matchmaker.wording import say_moment
from models.common import utc_now, utc_today
from models.partnering import ContactRequest, OutboxMessage
from tests.factories import (
    LATER,
    Party,
    create_call,
    interest,
    leiden_university,
    liver_patients,
    liver_screening_call,
    publish,
)
from tests.helpers import assert_problem, created, keyed, settings_for

SOON = (utc_today() + timedelta(days=60)).isoformat()


@pytest.fixture
def settings(database_url: str) -> Settings:
    """The test database, no write rate limit, and small abuse limits to reach in a test."""
    return settings_for(database_url, max_open_partner_requests=2, max_open_contact_requests=2)


@pytest.fixture
def call(client: TestClient) -> dict[str, Any]:
    """An open call, its deadline 90 days away."""
    return liver_screening_call(client)


@pytest.fixture
def publisher(client: TestClient) -> Party:
    """A university looking for partners."""
    return leiden_university(client)


@pytest.fixture
def patients(client: TestClient) -> Party:
    """A patient organisation that answers requests."""
    return liver_patients(
        client,
        description="Patient panels and advocacy for people with liver disease.",
        keywords=["liver disease", "patient panels"],
        activities=[],
    )


def test_partner_request_is_listed_for_its_call_until_withdrawn(
    anonymous: TestClient, call: dict[str, Any], publisher: Party
) -> None:
    """A published request is listed for its call, without any address, until withdrawn."""
    created = publish(publisher, call["id"], closes_on=SOON)
    assert created["organisation"]["id"] == publisher.id
    assert created["closes_on"] == SOON
    assert created["status"] == "open"
    assert created["stakeholder_types"] == ["patient_organisation"]
    listed = anonymous.get(f"/calls/{call['id']}/partner-requests").json()
    assert [item["id"] for item in listed["items"]] == [created["id"]]
    assert listed["total"] == 1
    assert anonymous.get(f"/partner-requests/{created['id']}").json() == created
    assert publisher.client.delete(f"/partner-requests/{created['id']}").status_code == 204
    listed = anonymous.get(f"/calls/{call['id']}/partner-requests").json()
    assert (listed["items"], listed["total"]) == ([], 0)
    assert anonymous.get(f"/partner-requests/{created['id']}").json()["status"] == "withdrawn"


def test_partner_request_stays_open_until_the_call_deadline_at_most(
    call: dict[str, Any], publisher: Party
) -> None:
    """Without closes_on a request closes with the call; a later or past closes_on is refused."""
    assert publish(publisher, call["id"])["closes_on"] == LATER
    late = (utc_today() + timedelta(days=91)).isoformat()
    response = publisher.client.post(
        f"/calls/{call['id']}/partner-requests", json={"closes_on": late}
    )
    assert_problem(response, 422, "closes_on")
    past = (utc_today() - timedelta(days=1)).isoformat()
    response = publisher.client.post(
        f"/calls/{call['id']}/partner-requests", json={"closes_on": past}
    )
    assert_problem(response, 422, "closes_on")


def test_partner_request_for_a_closed_call_is_refused(client: TestClient, publisher: Party) -> None:
    """A call whose deadline has passed takes no new requests (409)."""
    closed = create_call(client, identifier="OLD-1", opening_date=None, deadline="2024-01-01")
    response = publisher.client.post(f"/calls/{closed['id']}/partner-requests", json={})
    refused = assert_problem(response, 409)
    assert refused["detail"] == "The call's deadline, 1 Jan 2024, has passed."


def test_partner_requests_need_an_organisation_key(
    anonymous: TestClient, client: TestClient, call: dict[str, Any]
) -> None:
    """Anonymous callers get 401; an admin's or a publisher's key, which act for no
    organisation, 403 saying so (not naming admin among the roles that pass)."""
    path = f"/calls/{call['id']}/partner-requests"
    assert_problem(anonymous.post(path, json={}), 401)
    token = client.post("/admin/keys", json={"role": "publisher"}).json()["token"]
    publisher = keyed(anonymous, token)
    for caller in (client, publisher):
        for refused in (caller.post(path, json={}), caller.get("/inbox")):
            assert assert_problem(refused, 403)["detail"] == (
                "This acts for an organisation: use that organisation's key."
            )
    draft = {"call_id": call["id"], "name": "Our draft"}
    assert assert_problem(publisher.post("/consortia", json=draft), 403)["detail"] == (
        "A draft belongs to the organisation whose key creates it: use that key."
    )


def test_only_the_publisher_withdraws_a_partner_request(
    call: dict[str, Any], publisher: Party, patients: Party
) -> None:
    """Another organisation's key cannot withdraw a request (403)."""
    created = publish(publisher, call["id"])
    assert_problem(patients.client.delete(f"/partner-requests/{created['id']}"), 403)


def test_partner_request_tied_to_a_draft_of_another_call_is_refused(
    client: TestClient, call: dict[str, Any], publisher: Party
) -> None:
    """A draft for another call cannot be named (422); another organisation's draft is 404."""
    other = create_call(client, identifier="OTHER-1", opening_date=None, deadline=LATER)
    draft = publisher.client.post(
        "/consortia", json={"name": "Draft", "call_id": other["id"], "members": []}
    )
    assert draft.status_code == 201, draft.text
    response = publisher.client.post(
        f"/calls/{call['id']}/partner-requests", json={"consortium_id": draft.json()["id"]}
    )
    assert_problem(response, 422, "consortium_id")
    own = publisher.client.post(
        "/consortia", json={"name": "Draft", "call_id": call["id"], "members": []}
    ).json()
    created = publish(publisher, call["id"], consortium_id=own["id"])
    assert "consortium_id" not in created


def test_open_partner_requests_per_organisation_are_limited(
    call: dict[str, Any], publisher: Party
) -> None:
    """Past the setting's number of open requests the next is refused until one is withdrawn."""
    first = publish(publisher, call["id"])
    publish(publisher, call["id"])
    response = publisher.client.post(f"/calls/{call['id']}/partner-requests", json={})
    assert_problem(response, 409)
    publisher.client.delete(f"/partner-requests/{first['id']}")
    publish(publisher, call["id"])


def test_partner_requests_for_an_organisation_rank_fitting_ones_first(
    client: TestClient,
    anonymous: TestClient,
    call: dict[str, Any],
    publisher: Party,
    patients: Party,
) -> None:
    """Requests the profile fits come best first with shared terms; others' types are left out,
    and so are the organisation's own requests."""
    other = Party(client, name="Another University", contact_email="x@another.example")
    off_topic = publish(
        other, call["id"], expertise="Robotic surgery instruments.", pitch="Hardware."
    )
    on_topic = publish(publisher, call["id"])
    publish(publisher, call["id"], stakeholder_types=["industry"])
    own = publish(patients, call["id"], stakeholder_types=[])
    ranked = anonymous.get(f"/organisations/{patients.id}/partner-requests").json()["items"]
    assert [item["request"]["id"] for item in ranked] == [on_topic["id"], off_topic["id"]]
    best = ranked[0]
    assert best["score"] > ranked[1]["score"]
    assert "liver disease" in [term["term"] for term in best["matched_terms"]]
    assert best["reasons"][0]["signal"] == "text_similarity"
    assert best["reasons"][0]["detail"].startswith("Shares ")
    assert best["reasons"][0]["detail"].endswith("with the request")
    assert own["id"] not in [item["request"]["id"] for item in ranked]
    assert_problem(anonymous.get("/organisations/999999/partner-requests"), 404)


def test_partner_requests_for_an_organisation_page_with_offset(
    client: TestClient,
    anonymous: TestClient,
    call: dict[str, Any],
    publisher: Party,
    patients: Party,
) -> None:
    """`offset` pages through the requests an organisation fits, as through its fitting calls:
    the pages join up into the whole ranking, past its end is empty, past 1000 is 422."""
    other = Party(client, name="Another University", contact_email="x@another.example")
    publish(other, call["id"], expertise="Robotic surgery instruments.", pitch="Hardware.")
    publish(publisher, call["id"])
    publish(publisher, call["id"], expertise="Liver biopsies.", pitch="Pathology.")
    path = f"/organisations/{patients.id}/partner-requests"
    whole = [item["request"]["id"] for item in anonymous.get(path).json()["items"]]
    assert len(whole) == 3
    pages = [
        item["request"]["id"]
        for offset in range(len(whole))
        for item in anonymous.get(path, params={"limit": 1, "offset": offset}).json()["items"]
    ]
    assert pages == whole
    assert anonymous.get(path, params={"offset": 3}).json()["items"] == []
    assert_problem(anonymous.get(path, params={"offset": 1001}), 422, "query.offset")


def test_interest_reaches_the_publisher_and_acceptance_shows_both_addresses(
    call: dict[str, Any], publisher: Party, patients: Party, engine: Engine
) -> None:
    """The inbox holds the message without addresses; once accepted both see each other's."""
    request = publish(publisher, call["id"])
    sent = interest(patients, request["id"], "We run <b>patient panels</b>.")
    assert sent.status_code == 201, sent.text
    sent_body = sent.json()
    assert sent_body["status"] == "pending"
    assert sent_body["direction"] == "sent"
    assert sent_body["contact_email"] is None
    assert sent_body["counterpart"]["id"] == publisher.id
    inbox = publisher.client.get("/inbox").json()
    assert inbox["received_total"] == 1
    received = inbox["received"][0]
    assert received["message"] == "We run <b>patient panels</b>."
    assert received["kind"] == "interest"
    assert received["partner_request_id"] == request["id"]
    assert received["call"]["id"] == call["id"]
    assert received["contact_email"] is None
    accepted = publisher.client.post(f"/contact-requests/{received['id']}/accept")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["contact_email"] == patients.email
    mine = patients.client.get(f"/contact-requests/{received['id']}").json()
    assert (mine["status"], mine["contact_email"]) == ("accepted", publisher.email)
    with Session(engine) as session:
        events = session.scalars(
            select(col(OutboxMessage.event)).order_by(col(OutboxMessage.id))
        ).all()
    assert events == ["request_received", "request_accepted"]


def test_notifications_name_the_request_and_the_call_and_link_the_inbox_page(
    call: dict[str, Any], publisher: Party, patients: Party, engine: Engine
) -> None:
    """The e-mails a request and its answers write say what they are about (the answer to a
    partner request, a message; the call) in the web pages' words, and lead to the inbox web
    page at the public address, never to an API call such as GET /inbox."""
    first = interest(patients, publish(publisher, call["id"])["id"], "We would like to join.")
    assert publisher.client.post(f"/contact-requests/{first.json()['id']}/decline").is_success
    message = patients.client.post(
        f"/organisations/{publisher.id}/contact-requests",
        json={"call_id": call["id"], "message": "Could we talk?"},
    )
    assert message.status_code == 201, message.text
    with Session(engine) as session:
        sent = session.scalars(select(OutboxMessage).order_by(col(OutboxMessage.id))).all()
    inbox = (
        "Your inbox, once signed in with your organisation's key: http://localhost:8000/ui/inbox\n"
    )
    about = "about the call IHI-2027-01-01 (Liver disease screening)"
    assert [(item.event, item.subject) for item in sent] == [
        ("request_received", "An answer to your partner request from European Liver Patients"),
        ("request_declined", "Leiden University declined your answer to their partner request"),
        ("request_received", "A message from European Liver Patients"),
    ]
    with Session(engine) as session:
        [expires] = session.scalars(
            select(col(ContactRequest.expires_at)).order_by(col(ContactRequest.id)).limit(1)
        ).all()
    # When it expires unanswered, as the inbox shows it, so that no answer is missed unseen.
    assert sent[0].body == (
        f"European Liver Patients (Belgium) sent you an answer to your partner request {about}:\n\n"
        "> We would like to join.\n\n"
        f"Accept it or decline it in your inbox by {say_moment(expires)}, when it expires "
        "unanswered: replies to this e-mail are not read. Their contact address is shown to "
        f"you, and yours to them, only if you accept.\n\n{inbox}"
    )
    assert sent[1].body == (
        f"Leiden University declined your answer to their partner request {about}. Neither of "
        f"you sees the other's contact address.\n\n{inbox}"
    )
    assert sent[2].body.startswith(f"European Liver Patients (Belgium) sent you a message {about}:")
    assert all("GET /" not in item.body for item in sent)


def test_declined_and_withdrawn_requests_reveal_nothing(
    call: dict[str, Any], publisher: Party, patients: Party
) -> None:
    """Neither side sees an address after a decline or a withdrawal."""
    request = publish(publisher, call["id"])
    first = interest(patients, request["id"]).json()
    declined = publisher.client.post(f"/contact-requests/{first['id']}/decline").json()
    assert (declined["status"], declined["contact_email"]) == ("declined", None)
    second = interest(patients, request["id"]).json()
    withdrawn = patients.client.post(f"/contact-requests/{second['id']}/withdraw").json()
    assert (withdrawn["status"], withdrawn["contact_email"]) == ("withdrawn", None)
    response = publisher.client.post(f"/contact-requests/{second['id']}/accept")
    assert_problem(response, 409)
    for party in (publisher, patients):
        inbox = party.client.get("/inbox").json()
        assert [r["contact_email"] for r in inbox["received"] + inbox["sent"]] == [None, None]


def test_a_withdrawn_request_is_not_told_to_its_recipient_afterwards(
    call: dict[str, Any], publisher: Party, patients: Party, engine: Engine
) -> None:
    """The notice of a request withdrawn before it was sent (a digest's, or before the next
    delivery pass) is dropped, e-mail and webhooks alike; another request's stays."""
    request = publish(publisher, call["id"])
    answer = interest(patients, request["id"]).json()
    body = {"call_id": call["id"], "message": "Join our biobank work package?"}
    direct = patients.client.post(f"/organisations/{publisher.id}/contact-requests", json=body)
    assert direct.status_code == 201, direct.text

    def unsent() -> list[int]:
        with Session(engine) as session:
            messages = session.scalars(
                select(OutboxMessage).where(
                    col(OutboxMessage.organisation_id) == publisher.id,
                    col(OutboxMessage.event) == "request_received",
                    col(OutboxMessage.status) == "pending",
                )
            ).all()
            return sorted((m.about_ids or {})["contact_request_id"] for m in messages)

    assert unsent() == sorted([answer["id"], direct.json()["id"]])
    withdrawn = patients.client.post(f"/contact-requests/{answer['id']}/withdraw")
    assert withdrawn.status_code == 200, withdrawn.text
    assert unsent() == [direct.json()["id"]]


def test_an_acceptance_tells_the_sender_how_to_reach_the_other_side(
    client: TestClient, call: dict[str, Any], publisher: Party, engine: Engine
) -> None:
    """The sender of an accepted request is given the recipient's address, or told the
    recipient has none and will write; a sender without one of its own is told to add one."""
    silent = Party(client, name="Quiet Biobank", contact_email=None)

    def told(to: Party) -> str:
        with Session(engine) as session:
            bodies = session.scalars(
                select(col(OutboxMessage.body))
                .where(
                    col(OutboxMessage.organisation_id) == to.id,
                    col(OutboxMessage.event) == "request_accepted",
                )
                .order_by(col(OutboxMessage.id).desc())
            ).all()
        return bodies[0]

    answer = interest(publisher, publish(silent, call["id"])["id"]).json()
    assert silent.client.post(f"/contact-requests/{answer['id']}/accept").status_code == 200
    assert told(publisher).startswith("Quiet Biobank accepted your answer to their partner request")
    assert (
        "Their profile gives no contact address: they now see yours, and will write to you "
        "(replies to this e-mail are not read)." in told(publisher)
    )
    assert "(none given" not in told(publisher)

    theirs = interest(silent, publish(publisher, call["id"])["id"]).json()
    assert publisher.client.post(f"/contact-requests/{theirs['id']}/accept").status_code == 200
    assert f"Write to them at {publisher.email}" in told(silent)
    assert (
        "Your profile gives no contact address, so they cannot write to you until you add one."
        in told(silent)
    )


def test_unanswered_request_expires_and_cannot_be_accepted(
    call: dict[str, Any], publisher: Party, patients: Party, engine: Engine
) -> None:
    """Past its expiry a pending request reads as expired, and accepting it is 409."""
    request = publish(publisher, call["id"])
    sent = interest(patients, request["id"]).json()
    with Session(engine) as session:
        session.execute(update(ContactRequest).values(expires_at=utc_now() - timedelta(seconds=1)))
        session.commit()
    assert patients.client.get(f"/contact-requests/{sent['id']}").json()["status"] == "expired"
    assert_problem(publisher.client.post(f"/contact-requests/{sent['id']}/accept"), 409)
    expired = publisher.client.get("/inbox", params={"status": "expired"}).json()
    assert [r["id"] for r in expired["received"]] == [sent["id"]]
    assert publisher.client.get("/inbox", params={"status": "pending"}).json()["received"] == []


def test_waiting_counts_the_received_requests_still_to_answer(
    client: TestClient, call: dict[str, Any], publisher: Party, patients: Party, engine: Engine
) -> None:
    """GET /inbox/waiting counts the requests received and not yet answered, withdrawn or
    expired, as GET /inbox?status=pending totals them; what one sent is not counted."""

    def waiting(party: Party) -> int:
        response = party.client.get("/inbox/waiting")
        assert response.status_code == 200, response.text
        pending = party.client.get("/inbox", params={"status": "pending"}).json()
        assert response.json() == {"waiting": pending["received_total"]}
        count: int = response.json()["waiting"]
        return count

    hospital = Party(client, name="Leiden Hospital", stakeholder_type="healthcare_provider")
    clinic = Party(client, name="Utrecht Clinic", stakeholder_type="healthcare_provider")
    assert waiting(publisher) == 0
    answer = interest(patients, publish(publisher, call["id"])["id"]).json()
    body = {"call_id": call["id"], "message": "Shall we work together?"}
    messages = [
        created(party.client.post(f"/organisations/{publisher.id}/contact-requests", json=body))
        for party in (hospital, clinic)
    ]
    assert (waiting(publisher), waiting(patients)) == (3, 0)
    assert publisher.client.post(f"/contact-requests/{answer['id']}/accept").is_success
    assert waiting(publisher) == 2
    assert hospital.client.post(f"/contact-requests/{messages[0]['id']}/withdraw").is_success
    assert waiting(publisher) == 1
    with Session(engine) as session:
        session.execute(
            update(ContactRequest)
            .where(col(ContactRequest.id) == messages[1]["id"])
            .values(expires_at=utc_now() - timedelta(seconds=1))
        )
        session.commit()
    assert waiting(publisher) == 0


def test_waiting_needs_an_organisation_key(anonymous: TestClient, client: TestClient) -> None:
    """No key is 401; an admin's or a publisher's key, which has no inbox, 403 saying so."""
    assert_problem(anonymous.get("/inbox/waiting"), 401)
    token = client.post("/admin/keys", json={"role": "publisher"}).json()["token"]
    for caller in (client, keyed(anonymous, token)):
        assert assert_problem(caller.get("/inbox/waiting"), 403)["detail"] == (
            "This acts for an organisation: use that organisation's key."
        )


def test_expiry_follows_the_setting(
    call: dict[str, Any], publisher: Party, patients: Party
) -> None:
    """A request expires contact_request_days (14 by default) after it was sent."""
    sent = interest(patients, publish(publisher, call["id"])["id"]).json()
    created = date.fromisoformat(sent["created_at"][:10])
    assert date.fromisoformat(sent["expires_at"][:10]) == created + timedelta(days=14)


def test_blocked_sender_is_refused_and_its_pending_requests_declined(
    call: dict[str, Any], publisher: Party, patients: Party, engine: Engine
) -> None:
    """A block declines the sender's pending requests, drops their notifications not yet sent
    to the blocker, and refuses new ones; unblocking ends it."""
    request = publish(publisher, call["id"])
    pending = interest(patients, request["id"]).json()
    with Session(engine) as session:
        told = select(func.count()).where(
            col(OutboxMessage.organisation_id) == publisher.id,
            col(OutboxMessage.about_organisation_id) == patients.id,
        )
        assert session.scalar(told) == 1  # the answer's notification, not yet sent
    blocked = publisher.client.post("/inbox/blocks", json={"organisation_id": patients.id})
    assert blocked.status_code == 201, blocked.text
    assert blocked.json()["organisation"]["id"] == patients.id
    assert patients.client.get(f"/contact-requests/{pending['id']}").json()["status"] == (
        "declined"
    )
    with Session(engine) as session:
        assert session.scalar(told) == 0  # nor is the blocker told of it any more
        before = session.scalar(select(func.count()).select_from(OutboxMessage))
    assert_problem(interest(patients, request["id"]), 403)
    body = {"call_id": call["id"], "message": "Hello again."}
    assert_problem(
        patients.client.post(f"/organisations/{publisher.id}/contact-requests", json=body), 403
    )
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == before
    listed = publisher.client.get("/inbox/blocks").json()
    assert [b["organisation"]["id"] for b in listed] == [patients.id]
    assert publisher.client.delete(f"/inbox/blocks/{patients.id}").status_code == 204
    assert interest(patients, request["id"]).status_code == 201


def test_lifting_a_block_that_is_not_there_is_404(publisher: Party, patients: Party) -> None:
    """Unblocking an organisation not blocked, or unblocking twice, is 404 in a sentence, as
    any DELETE of something absent; the block itself is lifted once with 204."""
    never = assert_problem(publisher.client.delete(f"/inbox/blocks/{patients.id}"), 404)
    assert never["detail"] == f"Your organisation does not block organisation {patients.id}."
    assert publisher.client.post("/inbox/blocks", json={"organisation_id": patients.id}).is_success
    assert publisher.client.delete(f"/inbox/blocks/{patients.id}").status_code == 204
    assert_problem(publisher.client.delete(f"/inbox/blocks/{patients.id}"), 404)
    assert_problem(publisher.client.delete("/inbox/blocks/999999"), 404)


def test_pending_requests_per_sender_are_limited(
    client: TestClient, call: dict[str, Any], patients: Party
) -> None:
    """A sender has at most max_open_contact_requests pending, and one per recipient and
    subject; an answer frees a place."""
    recipients = [
        Party(client, name=f"Hospital {n}", stakeholder_type="healthcare_provider")
        for n in range(3)
    ]
    body = {"call_id": call["id"], "message": "Shall we work together?"}
    first = patients.client.post(f"/organisations/{recipients[0].id}/contact-requests", json=body)
    assert first.status_code == 201, first.text
    again = patients.client.post(f"/organisations/{recipients[0].id}/contact-requests", json=body)
    assert_problem(again, 409)
    second = patients.client.post(f"/organisations/{recipients[1].id}/contact-requests", json=body)
    assert second.status_code == 201
    third = patients.client.post(f"/organisations/{recipients[2].id}/contact-requests", json=body)
    assert_problem(third, 409)
    recipients[0].client.post(f"/contact-requests/{first.json()['id']}/decline")
    third = patients.client.post(f"/organisations/{recipients[2].id}/contact-requests", json=body)
    assert third.status_code == 201, third.text


def test_contact_request_names_a_call_or_the_senders_draft(
    call: dict[str, Any], publisher: Party, patients: Party
) -> None:
    """No call nor draft is 422; another's draft is 404; one's own draft names its call."""
    path = f"/organisations/{publisher.id}/contact-requests"
    assert_problem(patients.client.post(path, json={"message": "Hi"}), 422, "call_id")
    draft = publisher.client.post(
        "/consortia", json={"name": "Draft", "call_id": call["id"], "members": []}
    ).json()
    response = patients.client.post(path, json={"consortium_id": draft["id"], "message": "Hi"})
    assert_problem(response, 404)
    own = patients.client.post(
        "/consortia", json={"name": "Draft", "call_id": call["id"], "members": []}
    ).json()
    sent = patients.client.post(path, json={"consortium_id": own["id"], "message": "Hi"}).json()
    assert (sent["call"]["id"], sent["consortium_id"]) == (call["id"], own["id"])
    received = publisher.client.get("/inbox").json()["received"][0]
    assert received["consortium_id"] is None


def test_messages_are_plain_text_of_at_most_2000_characters(
    call: dict[str, Any], publisher: Party, patients: Party
) -> None:
    """A longer message, an empty or blank one or one with control characters is 422."""
    request = publish(publisher, call["id"])
    assert_problem(interest(patients, request["id"], "x" * 2001), 422, "message")
    assert_problem(interest(patients, request["id"], ""), 422, "message")
    assert_problem(interest(patients, request["id"], "  \n  "), 422, "message")
    assert_problem(interest(patients, request["id"], "bell\x07"), 422, "message")
    assert interest(patients, request["id"], "x" * 2000).status_code == 201


def test_an_id_in_the_body_that_names_nothing_is_404_naming_its_field(
    call: dict[str, Any], publisher: Party, patients: Party
) -> None:
    """Another organisation's draft as `consortium_id` (of a message or a partner request) and
    an unknown organisation to block stay 404, and the problem names the body field in
    `errors`, as a 422 does (it named none, and a client read the 404 as its address's)."""
    draft = publisher.client.post(
        "/consortia", json={"name": "Draft", "call_id": call["id"], "members": []}
    ).json()
    message = patients.client.post(
        f"/organisations/{publisher.id}/contact-requests",
        json={"consortium_id": draft["id"], "message": "Hi"},
    )
    request = patients.client.post(
        f"/calls/{call['id']}/partner-requests",
        json={"stakeholder_types": ["sme"], "consortium_id": draft["id"]},
    )
    block = patients.client.post("/inbox/blocks", json={"organisation_id": 99_999})
    for answer, field, detail in [
        (message, "consortium_id", f"No consortium with id {draft['id']}."),
        (request, "consortium_id", f"No consortium with id {draft['id']}."),
        (block, "organisation_id", "No organisation with id 99999."),
    ]:
        body = assert_problem(answer, 404, field)
        assert body["errors"] == [{"field": field, "message": detail}]
        assert body["detail"] == detail


def test_only_the_parties_read_a_request_and_only_the_recipient_answers(
    client: TestClient, call: dict[str, Any], publisher: Party, patients: Party
) -> None:
    """A third organisation gets 404; the sender cannot accept its own request (403)."""
    sent = interest(patients, publish(publisher, call["id"])["id"]).json()
    third = Party(client, name="Bystander")
    assert_problem(third.client.get(f"/contact-requests/{sent['id']}"), 404)
    assert_problem(third.client.post(f"/contact-requests/{sent['id']}/accept"), 404)
    assert_problem(patients.client.post(f"/contact-requests/{sent['id']}/accept"), 403)
    assert_problem(client.get("/inbox"), 403)


def test_interest_in_a_withdrawn_request_or_ones_own_is_refused(
    call: dict[str, Any], publisher: Party, patients: Party
) -> None:
    """A withdrawn request takes no interest (409); nor does one write to oneself (422)."""
    request = publish(publisher, call["id"])
    assert_problem(interest(publisher, request["id"]), 422)
    publisher.client.delete(f"/partner-requests/{request['id']}")
    assert_problem(interest(patients, request["id"]), 409)


def test_an_organisation_the_request_does_not_fit_may_still_answer_it(
    anonymous: TestClient, call: dict[str, Any], publisher: Party, patients: Party
) -> None:
    """A request seeking partners from Germany is not among those a Belgian patient
    organisation fits, yet its answer is sent: what a request seeks guides who answers, the
    publisher decides (the web pages say first why it does not fit)."""
    request = publish(publisher, call["id"], countries=["DE"])
    fitting = anonymous.get(f"/organisations/{patients.id}/partner-requests").json()
    assert fitting["items"] == []
    answered = interest(patients, request["id"], "Belgian panels, near the border.")
    assert answered.status_code == 201, answered.text
    assert answered.json()["partner_request_id"] == request["id"]
    received = publisher.client.get("/inbox").json()["received"]
    assert [item["message"] for item in received] == ["Belgian panels, near the border."]


def test_the_publisher_is_told_when_an_answer_is_not_what_its_request_seeks(
    client: TestClient, call: dict[str, Any], publisher: Party, patients: Party, engine: Engine
) -> None:
    """An answer from an organisation of another type or country than the request seeks says
    so to the publisher, in one sentence (`request_fit`), in its e-mail and in its inbox; an
    answer that fits says nothing of it."""
    answers = []
    for overrides in (
        {"countries": ["DE", "AT"]},
        {"stakeholder_types": ["sme", "industry"]},
        {"stakeholder_types": ["sme"], "countries": ["DE"]},
        {},
    ):
        request = publish(publisher, call["id"], **overrides)
        answer = interest(patients, request["id"])
        assert answer.status_code == 201, answer.text
        answers.append(answer.json()["id"])
        # Room for the next request and answer (the test's limits are 2 open of each).
        assert publisher.client.post(f"/contact-requests/{answers[-1]}/decline").is_success
        assert publisher.client.delete(f"/partner-requests/{request['id']}").is_success
    told = "It is not of a type or from a country your request seeks: European Liver Patients is"
    expected = [
        f"{told} in Belgium; your request seeks partners from Austria or Germany.",
        f"{told} a patient organisation; your request seeks industry partners or SMEs.",
        f"{told} a patient organisation in Belgium; your request seeks SMEs from Germany.",
    ]
    with Session(engine) as session:
        bodies = session.scalars(
            select(col(OutboxMessage.body))
            .where(col(OutboxMessage.event) == "request_received")
            .order_by(col(OutboxMessage.id))
        ).all()
    for body, sentence in zip(bodies, expected, strict=False):
        assert f"We would like to join.\n\n{sentence}\n\nAccept it or decline it" in body
    assert "not of a type" not in bodies[3]
    panel = publisher.client.get("/ui/inbox/panel")
    assert panel.status_code == 200, panel.text
    cards = {
        int(found.group(1)): found.group(2)
        for found in re.finditer(r'<li [^>]*data-request-id="(\d+)"(.*?)</li>', panel.text, re.S)
    }
    for answer, sentence in zip(answers, expected, strict=False):
        assert f'<p class="meta sentence" data-request-fit="no">{sentence}</p>' in cards[answer]
    assert "not of a type" not in cards[answers[3]]
    mine = patients.client.get("/ui/inbox/panel")
    assert mine.status_code == 200
    assert "not of a type" not in mine.text


def draft_of(party: Party, call_id: int, *members: int) -> dict[str, Any]:
    """Start a draft for the call as `party` with these members and return its body."""
    response = party.client.post(
        "/consortia",
        json={
            "name": "Screening draft",
            "call_id": call_id,
            "members": [{"organisation_id": member} for member in members],
        },
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def test_draft_gaps_are_published_as_a_partner_request_in_one_step(
    anonymous: TestClient, engine: Engine, call: dict[str, Any], publisher: Party
) -> None:
    """With no body, the request seeks the types the draft lacks, for its call, tied to it."""
    draft = draft_of(publisher, call["id"], publisher.id)
    response = publisher.client.post(f"/consortia/{draft['id']}/partner-requests")
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["location"] == f"/partner-requests/{created['id']}"
    # The call needs 2 academia, 1 industry and 1 SME; the draft holds one university.
    assert created["stakeholder_types"] == ["academia", "industry", "sme"]
    assert created["call"]["id"] == call["id"]
    assert created["organisation"]["id"] == publisher.id
    assert (created["status"], created["closes_on"]) == ("open", LATER)
    assert "consortium_id" not in created
    with Session(engine) as session:
        from models.partnering import PartnerRequest

        stored = session.get(PartnerRequest, created["id"])
        assert stored is not None
        assert stored.consortium_id == draft["id"]
    listed = anonymous.get(f"/calls/{call['id']}/partner-requests").json()
    assert [item["id"] for item in listed["items"]] == [created["id"]]
    assert publisher.email not in anonymous.get(f"/partner-requests/{created['id']}").text


def test_draft_gaps_request_takes_countries_expertise_pitch_and_closing_day(
    call: dict[str, Any], publisher: Party, patients: Party
) -> None:
    """The optional body is the rest of a partner request; the types still come from the gaps."""
    draft = draft_of(publisher, call["id"], publisher.id, patients.id)
    response = publisher.client.post(
        f"/consortia/{draft['id']}/partner-requests",
        json={
            "countries": ["DE", "FR"],
            "expertise": "Diagnostics companies.",
            "pitch": "Join us.",
            "closes_on": SOON,
        },
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["stakeholder_types"] == ["academia", "industry", "sme"]
    assert (created["countries"], created["expertise"], created["pitch"]) == (
        ["DE", "FR"],
        "Diagnostics companies.",
        "Join us.",
    )
    assert created["closes_on"] == SOON
    refused = publisher.client.post(
        f"/consortia/{draft['id']}/partner-requests", json={"stakeholder_types": ["sme"]}
    )
    assert_problem(refused, 422, "stakeholder_types")
    late = publisher.client.post(
        f"/consortia/{draft['id']}/partner-requests",
        json={"closes_on": (utc_today() + timedelta(days=400)).isoformat()},
    )
    assert_problem(late, 422, "closes_on")


def test_draft_without_a_missing_type_has_no_gap_to_publish(
    client: TestClient, publisher: Party
) -> None:
    """A draft that holds every type its call requires is 409, and nothing is published."""
    call = create_call(
        client,
        identifier="IHI-2027-02-01",
        required_stakeholders={"academia": 1},
        opening_date=None,
        deadline=LATER,
    )
    draft = draft_of(publisher, call["id"], publisher.id)
    response = publisher.client.post(f"/consortia/{draft['id']}/partner-requests", json={})
    assert "every stakeholder type" in assert_problem(response, 409)["detail"]
    assert client.get(f"/calls/{call['id']}/partner-requests").json()["total"] == 0


def test_only_the_drafts_owner_publishes_its_gaps(
    client: TestClient,
    anonymous: TestClient,
    call: dict[str, Any],
    publisher: Party,
    patients: Party,
) -> None:
    """Nobody (401), an admin (403) and another organisation (404) cannot; limits apply."""
    draft = draft_of(publisher, call["id"], publisher.id)
    path = f"/consortia/{draft['id']}/partner-requests"
    assert_problem(anonymous.post(path), 401)
    assert_problem(client.post(path), 403)
    assert_problem(patients.client.post(path), 404)
    assert_problem(publisher.client.post("/consortia/999/partner-requests"), 404)
    assert publisher.client.post(path).status_code == 201
    for _ in range(2):
        other = draft_of(publisher, call["id"], publisher.id)
        last = publisher.client.post(f"/consortia/{other['id']}/partner-requests")
    assert "2 open partner requests" in assert_problem(last, 409)["detail"]


def test_a_draft_has_one_open_partner_request_at_most(
    anonymous: TestClient, call: dict[str, Any], publisher: Party
) -> None:
    """Publishing a draft's gaps again while its request is open is 409, said in a sentence,
    by either path; once that one is withdrawn, the draft publishes again."""
    draft = draft_of(publisher, call["id"], publisher.id)
    path = f"/consortia/{draft['id']}/partner-requests"
    first = publisher.client.post(path)
    assert first.status_code == 201, first.text
    today = utc_today()
    expected = (
        f"This draft already has an open partner request, published on {today.day} "
        f"{today:%b %Y}; withdraw it first to publish another."
    )
    again = assert_problem(publisher.client.post(path), 409)
    assert again["detail"] == expected
    by_call = publisher.client.post(
        f"/calls/{call['id']}/partner-requests", json={"consortium_id": draft["id"]}
    )
    assert assert_problem(by_call, 409)["detail"] == expected
    listed = anonymous.get(f"/calls/{call['id']}/partner-requests").json()
    assert [item["id"] for item in listed["items"]] == [first.json()["id"]]
    publisher.client.delete(f"/partner-requests/{first.json()['id']}")
    assert publisher.client.post(path).status_code == 201


def test_deleting_a_draft_withdraws_its_partner_requests(
    anonymous: TestClient, call: dict[str, Any], publisher: Party
) -> None:
    """The draft's open request leaves the call's page, reads withdrawn, and no longer counts
    against the publisher's limit of open requests (2 here); its other requests stay."""
    draft = draft_of(publisher, call["id"], publisher.id)
    tied = publisher.client.post(f"/consortia/{draft['id']}/partner-requests").json()
    untied = publish(publisher, call["id"])
    deleted = publisher.client.delete(f"/consortia/{draft['id']}")
    assert deleted.status_code == 204, deleted.text
    assert anonymous.get(f"/partner-requests/{tied['id']}").json()["status"] == "withdrawn"
    listed = anonymous.get(f"/calls/{call['id']}/partner-requests").json()
    assert [item["id"] for item in listed["items"]] == [untied["id"]]
    assert publish(publisher, call["id"])["status"] == "open"


def test_moving_a_draft_to_another_call_withdraws_its_partner_requests(
    client: TestClient, anonymous: TestClient, call: dict[str, Any], publisher: Party
) -> None:
    """A request seeks partners for the draft's call: once the draft moves to another call,
    it reads withdrawn and leaves the old call's page, and the draft publishes its gaps for
    the new call. Renaming the draft, or naming its own call again, withdraws nothing."""
    draft = draft_of(publisher, call["id"], publisher.id)
    path = f"/consortia/{draft['id']}"
    tied = publisher.client.post(f"{path}/partner-requests").json()
    other = create_call(client, identifier="OTHER-1", opening_date=None, deadline=LATER)
    for unchanged in ({"name": "Renamed"}, {"call_id": call["id"]}):
        assert publisher.client.patch(path, json=unchanged).status_code == 200
        assert anonymous.get(f"/partner-requests/{tied['id']}").json()["status"] == "open"

    moved = publisher.client.patch(path, json={"call_id": other["id"]})

    assert moved.status_code == 200, moved.text
    assert anonymous.get(f"/partner-requests/{tied['id']}").json()["status"] == "withdrawn"
    assert anonymous.get(f"/calls/{call['id']}/partner-requests").json()["items"] == []
    again = publisher.client.post(f"{path}/partner-requests")
    assert again.status_code == 201, again.text
    assert again.json()["call"]["id"] == other["id"]


def test_a_second_request_to_the_same_organisation_says_when_the_first_was_sent(
    call: dict[str, Any], publisher: Party, patients: Party
) -> None:
    """The refusal names the earlier request by its day, not by its id, once."""
    path = f"/organisations/{patients.id}/contact-requests"
    body = {"call_id": call["id"], "message": "Join us?"}
    assert publisher.client.post(path, json=body).status_code == 201
    today = utc_now().date()
    refused = assert_problem(publisher.client.post(path, json=body), 409)
    assert refused["detail"] == (
        f"Your earlier request, sent on {today.day} {today:%b %Y}, is still waiting for an answer."
    )
    assert "errors" not in refused


def test_export_holds_the_organisations_partnering_data_and_messages_only_for_itself(
    client: TestClient, call: dict[str, Any], publisher: Party, patients: Party
) -> None:
    """GET /organisations/{id}/export, "everything stored about it", holds its partner
    requests, messages, blocks, saved searches, webhooks (no secret), e-mail preference and
    claims; its messages only in its own export, never with the other party's address."""
    request = publish(publisher, call["id"])
    answered = interest(patients, request["id"])
    assert answered.status_code == 201, answered.text
    accepted = publisher.client.post(f"/contact-requests/{answered.json()['id']}/accept")
    assert accepted.json()["contact_email"] == patients.email
    other = Party(client, name="Spam University", contact_email="x@spam.example")
    assert publisher.client.post("/inbox/blocks", json={"organisation_id": other.id}).is_success
    base = f"/organisations/{publisher.id}"
    search = publisher.client.post(
        f"{base}/saved-searches", json={"target": "calls", "text": "liver"}
    )
    webhook = publisher.client.post(f"{base}/webhooks", json={"url": "https://93.184.216.34/hook"})
    preference = publisher.client.put(f"{base}/notification-preferences", json={"email": "daily"})
    assert (search.status_code, webhook.status_code, preference.status_code) == (201, 201, 200)

    own = publisher.client.get(f"{base}/export").json()
    assert [(item["id"], item["status"]) for item in own["partner_requests"]] == [
        (request["id"], "open")
    ]
    messages = own["contact_requests"]
    assert (messages["received_total"], messages["sent_total"]) == (1, 0)
    [received] = messages["received"]
    assert (received["id"], received["status"]) == (answered.json()["id"], "accepted")
    assert received["message"] == "We would like to join."
    assert received["contact_email"] is None
    assert "hello@liver-patients.example" not in str(own)
    assert [block["organisation"]["id"] for block in own["blocks"]] == [other.id]
    assert [item["id"] for item in own["saved_searches"]] == [search.json()["id"]]
    assert own["webhooks"] == [{key: webhook.json()[key] for key in ("id", "url", "created_at")}]
    assert own["notification_preferences"] == {"email": "daily"}
    assert own["claims"] == []

    by_admin = client.get(f"{base}/export").json()
    assert (by_admin["contact_requests"], by_admin["notifications"]) == (None, None)
    private = ("contact_requests", "notifications")
    assert {key: value for key, value in by_admin.items() if key not in private} == {
        key: value for key, value in own.items() if key not in private
    }


def test_export_holds_the_notifications_sent_to_it_without_addresses_or_links(
    call: dict[str, Any], publisher: Party, patients: Party, engine: Engine
) -> None:
    """The organisation's own export lists the notifications queued or sent to it (the
    outbox), oldest first, with the other party's address withheld from an accepted request's
    and a pending one-time link's text never shown; another organisation's are not in it."""
    answered = interest(patients, publish(publisher, call["id"])["id"]).json()
    assert publisher.client.post(f"/contact-requests/{answered['id']}/accept").is_success
    asked = patients.client.post(
        f"/organisations/{patients.id}/key-recovery", json={"contact_email": patients.email}
    )
    assert asked.status_code == 202, asked.text

    exported = patients.client.get(f"/organisations/{patients.id}/export").json()
    with Session(engine) as session:
        stored = session.scalars(
            select(OutboxMessage)
            .where(col(OutboxMessage.organisation_id) == patients.id)
            .order_by(col(OutboxMessage.id))
        ).all()
    assert [(item["event"], item["status"]) for item in exported["notifications"]] == [
        ("request_accepted", "pending"),
        ("key_recovery", "pending"),
    ]
    accepted, recovery = exported["notifications"]
    assert [item["message_id"] for item in exported["notifications"]] == [
        message.message_id for message in stored
    ]
    assert "partnering@leiden.example" in stored[0].body
    assert accepted["body"] == (
        "Leiden University accepted your answer to their partner request about the call "
        "IHI-2027-01-01 (Liver disease screening). Write to them at (address withheld): "
        "replies to this e-mail are not read.\n\n"
        "They now see your contact address too.\n\n"
        "Your inbox, once signed in with your organisation's key: "
        "http://localhost:8000/ui/inbox\n"
    )
    assert (accepted["subject"], accepted["attempts"], accepted["sent_at"]) == (
        "Leiden University accepted your answer to their partner request",
        0,
        None,
    )
    assert accepted["about"] == {
        "call_id": call["id"],
        "contact_request_id": answered["id"],
        "organisation_id": publisher.id,
        "partner_request_id": answered["partner_request_id"],
    }
    assert "/ui/key-recovery/" in stored[1].body
    assert (recovery["body"], recovery["about"]) == (REDACTED_BODY, {})
    assert "partnering@leiden.example" not in str(exported)
    theirs = publisher.client.get(f"/organisations/{publisher.id}/export").json()
    assert [item["event"] for item in theirs["notifications"]] == ["request_received"]


def test_writing_to_oneself_names_the_path_parameter_that_says_who(
    call: dict[str, Any], publisher: Party
) -> None:
    """Contacting one's own organisation or answering one's own partner request is 422 naming
    the path's parameter, as a malformed id there is, and a sentence for each case."""
    own = publish(publisher, call["id"])
    answered = assert_problem(interest(publisher, own["id"]), 422, "path.request_id")
    assert answered["detail"] == "An organisation cannot answer its own partner request."
    contacted = publisher.client.post(
        f"/organisations/{publisher.id}/contact-requests",
        json={"call_id": call["id"], "message": "Hello."},
    )
    written = assert_problem(contacted, 422, "path.organisation_id")
    assert written["detail"] == "An organisation cannot write to itself."
