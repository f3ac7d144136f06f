"""The private fragments a new user's pages fetch with the key: the draft's organisation finder
and the check the message form makes before it is shown."""

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from matchmaker.importers.runner import import_organisations_json
from tests.factories import create_call, create_organisation
from tests.helpers import bearer


def _scene(client: TestClient) -> dict[str, Any]:
    """A call, a university with a draft holding it, and a patient organisation."""
    call = create_call(client, identifier="FINDER-2099", opening_date=None, deadline="2099-03-01")
    writer = create_organisation(client, name="Finder University", keywords=["organoids"])
    patients = create_organisation(
        client,
        name="Finder Patients",
        stakeholder_type="patient_organisation",
        keywords=["organoids"],
    )
    draft = client.post(
        "/consortia",
        headers=bearer(writer["api_key"]),
        json={
            "name": "Finder draft",
            "call_id": call["id"],
            "members": [{"organisation_id": writer["id"], "role": "coordinator"}],
        },
    )
    assert draft.status_code == 201, draft.text
    return {"call": call, "writer": writer, "patients": patients, "draft": draft.json()}


def test_draft_finder_marks_members_and_is_private_to_the_drafts_owner(
    client: TestClient, anonymous: TestClient
) -> None:
    """The owner's finder marks its members "In the draft" and offers Add for the others; nobody
    else reads it (401 without a key, 404 with another organisation's)."""
    scene = _scene(client)
    path = f"/ui/consortia/{scene['draft']['id']}/organisation-picker"
    found = anonymous.get(
        path, params={"q": "organoids"}, headers=bearer(scene["writer"]["api_key"])
    )
    assert found.status_code == 200
    assert found.headers["cache-control"] == "no-store"
    assert 'aria-label="Add Finder University to the draft"' not in found.text
    assert "In the draft" in found.text
    assert 'aria-label="Add Finder Patients to the draft"' in found.text
    assert anonymous.get(path, params={"q": "organoids"}).status_code == 401
    other = anonymous.get(path, params={"q": "x"}, headers=bearer(scene["patients"]["api_key"]))
    assert other.status_code == 404


@pytest.mark.sqlite_only
def test_contact_check_says_own_organisation_and_an_earlier_request_waiting(
    client: TestClient, anonymous: TestClient
) -> None:
    """Nothing to say for a first message; a sentence for one's own organisation and for one
    with a request still waiting; a key is needed."""
    scene = _scene(client)
    writer, patients = scene["writer"], scene["patients"]
    check = f"/ui/organisations/{patients['id']}/contact/check"
    key = bearer(writer["api_key"])
    assert "data-contact-obstacle" not in anonymous.get(check, headers=key).text
    own = anonymous.get(f"/ui/organisations/{writer['id']}/contact/check", headers=key).text
    assert 'data-contact-obstacle="own"' in own
    sent = anonymous.post(
        f"/organisations/{patients['id']}/contact-requests",
        headers=key,
        json={"call_id": scene["call"]["id"], "message": "Join us?"},
    )
    assert sent.status_code == 201, sent.text
    waiting = anonymous.get(check, headers=key).text
    assert 'data-contact-obstacle="waiting"' in waiting
    assert "Your earlier request, sent on " in waiting
    assert f"request {sent.json()['id']}" not in waiting
    # An answer to a partner request is another subject: the check does not stop it.
    assert (
        "data-contact-obstacle"
        not in anonymous.get(check, params={"partner_request_id": "999"}, headers=key).text
    )
    assert anonymous.get(check).status_code == 401


@pytest.mark.sqlite_only
def test_contact_check_says_when_their_message_waits_for_your_answer(
    client: TestClient, anonymous: TestClient
) -> None:
    """Writing to an organisation whose own message waits for the writer's answer: the check
    says so and points to the inbox, without stopping the form; once answered, it says
    nothing."""
    scene = _scene(client)
    writer, patients = scene["writer"], scene["patients"]
    check = f"/ui/organisations/{patients['id']}/contact/check"
    key = bearer(writer["api_key"])
    assert "data-contact-theirs" not in anonymous.get(check, headers=key).text
    sent = anonymous.post(
        f"/organisations/{writer['id']}/contact-requests",
        headers=bearer(patients["api_key"]),
        json={"call_id": scene["call"]["id"], "message": "May we join your draft?"},
    )
    assert sent.status_code == 201, sent.text
    said = anonymous.get(check, headers=key).text
    assert "data-contact-obstacle" not in said
    assert "data-contact-theirs" in said
    assert "This organisation wrote to you on " in said
    assert '<a href="/ui/inbox?status=pending">inbox</a>' in said
    # The other way round, the patients' own check names only their request still waiting.
    back = f"/ui/organisations/{writer['id']}/contact/check"
    theirs = anonymous.get(back, headers=bearer(patients["api_key"])).text
    assert "data-contact-theirs" not in theirs
    accepted = anonymous.post(f"/contact-requests/{sent.json()['id']}/accept", headers=key)
    assert accepted.status_code == 200, accepted.text
    assert "data-contact-theirs" not in anonymous.get(check, headers=key).text


def test_draft_finder_lists_the_organisations_of_a_type_chosen(
    client: TestClient, anonymous: TestClient
) -> None:
    """A writer adding "a regulator" chooses the type: with no words the finder lists every
    organisation of it, with words only those of it that match, each with its verification;
    "Show more" keeps the type."""
    scene = _scene(client)
    agency = create_organisation(
        client, name="Medicines Agency", stakeholder_type="regulator", keywords=["approvals"]
    )
    for number in range(11):
        create_organisation(
            client, name=f"Regulatory Office {number}", stakeholder_type="regulator"
        )
    path = f"/ui/consortia/{scene['draft']['id']}/organisation-picker"
    key = bearer(scene["writer"]["api_key"])

    listed = anonymous.get(path, params={"stakeholder_type": "regulator"}, headers=key).text
    assert "12 regulators found, the first 10 shown." in listed
    assert 'aria-label="Add Medicines Agency to the draft"' in listed
    assert "Finder Patients" not in listed
    assert listed.count('class="badge badge-unverified"') == 10
    assert "stakeholder_type=regulator&amp;shown=20" in listed

    kept = anonymous.get(
        path, params={"q": "organoids", "stakeholder_type": "patient_organisation"}, headers=key
    ).text
    assert "1 patient organisation found." in kept
    assert "Finder Patients" in kept
    assert "Finder University" not in kept
    none = anonymous.get(
        path, params={"q": "organoids", "stakeholder_type": "regulator"}, headers=key
    ).text
    assert "No regulator's name or expertise matches “organoids”." in none
    assert agency["name"] not in none


@pytest.mark.sqlite_only
def test_contact_check_warns_when_no_one_from_the_organisation_can_read_a_message(
    client: TestClient, anonymous: TestClient, engine: Engine, tmp_path: Path
) -> None:
    """A profile imported from CORDIS that no one holds a key of or gives an address for: the
    check warns, above the form it leaves, that a message waits unread and expires, and points
    to the organisation's own website; a registered profile, with or without a contact e-mail,
    is read; so is the imported one once it has a key."""
    scene = _scene(client)
    source = tmp_path / "record.json"
    record = {"external_id": "cordis:999991428", "name": "FLOWVIEW DIAGNOSTICS BV"}
    source.write_text(json.dumps([{**record, "stakeholder_type": "sme", "country": "NL"}]))
    assert import_organisations_json(engine, source).created == 1
    [imported] = client.get("/organisations", params={"q": "flowview"}).json()["items"]
    key = bearer(scene["writer"]["api_key"])
    check = f"/ui/organisations/{imported['id']}/contact/check"

    said = anonymous.get(check, headers=key).text
    assert "data-contact-unread" in said
    assert "data-contact-obstacle" not in said
    assert "No one from FLOWVIEW DIAGNOSTICS BV can read a message here yet." in said
    assert "expires after 14 days unless someone from it claims the profile first" in said
    assert "use the contact details on its own website" in said

    silent = create_organisation(client, name="Silent Labs", contact_email=None)
    for registered in (scene["patients"], silent):
        read = anonymous.get(f"/ui/organisations/{registered['id']}/contact/check", headers=key)
        assert "data-contact-unread" not in read.text

    issued = client.post(
        "/admin/keys", json={"role": "organisation", "organisation_id": imported["id"]}
    )
    assert issued.status_code == 201, issued.text
    assert "data-contact-unread" not in anonymous.get(check, headers=key).text


@pytest.mark.sqlite_only
def test_contact_check_says_an_answer_to_a_publisher_without_an_address_is_not_e_mailed(
    client: TestClient, anonymous: TestClient
) -> None:
    """Answering a partner request whose publisher gives no contact e-mail, the check says,
    before the form and again (hidden, for the page to add once sent) after, that the
    publisher is not e-mailed and sees the answer when it next signs in; with its keys revoked
    too, that no one will read the answer now. A publisher with an address is e-mailed: none
    of it is said."""
    scene = _scene(client)
    quiet = create_organisation(client, name="Quiet Clinic", contact_email=None)
    requests = {}
    for publisher in (quiet, scene["writer"]):
        published = anonymous.post(
            f"/calls/{scene['call']['id']}/partner-requests",
            headers=bearer(publisher["api_key"]),
            json={"stakeholder_types": ["patient_organisation"]},
        )
        assert published.status_code == 201, published.text
        requests[publisher["id"]] = published.json()["id"]
    key = bearer(scene["patients"]["api_key"])

    def check(publisher: dict[str, Any]) -> str:
        return anonymous.get(
            f"/ui/organisations/{publisher['id']}/contact/check",
            params={"partner_request_id": str(requests[publisher["id"]])},
            headers=key,
        ).text

    said = check(quiet)
    assert "data-contact-unmailed" in said
    assert "data-contact-unread" not in said
    assert (
        "Quiet Clinic's profile gives no contact e-mail, so your answer is not e-mailed to "
        "it: it waits in Quiet Clinic's inbox here, and they see it when they next sign in"
    ) in said
    assert (
        "<p data-after-sent hidden>Quiet Clinic is not e-mailed about it, as its profile gives "
        "no contact e-mail: they will see it when they next sign in.</p>"
    ) in said
    mailed = check(scene["writer"])
    assert "data-contact-unmailed" not in mailed
    assert "data-after-sent" not in mailed

    [quiet_key] = [
        item
        for item in client.get("/admin/keys", params={"limit": 200}).json()["items"]
        if item["organisation_id"] == quiet["id"]
    ]
    assert client.delete(f"/admin/keys/{quiet_key['id']}").status_code == 200
    unread = check(quiet)
    assert "data-contact-unmailed" not in unread
    assert "data-contact-unread" in unread
    assert "No one will read your answer now: no key of Quiet Clinic's works any more" in unread
    assert (
        "<p data-after-sent hidden>No one from Quiet Clinic can read your answer yet: it waits "
        "unread, and expires after 14 days unless someone from it signs in first.</p>"
    ) in unread
