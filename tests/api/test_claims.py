"""Claims of CORDIS records, confirmed by a one-time link e-mailed through a real SMTP server on
loopback to an address on the record's web domain, or by an admin: a confirmed claim merges the
record into the claimant with its projects verified; anything else changes nothing."""

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update
from sqlmodel import Session, col

from matchmaker.importers.runner import import_organisations_json
from matchmaker.partnering.delivery import deliver_pending
from matchmaker.partnering.outbox import REDACTED_BODY
from matchmaker.settings import Settings
from models.common import utc_now
from models.organisation import Organisation
from models.partnering import OutboxMessage
from models.trust import Claim
from tests.factories import create_organisation
from tests.helpers import assert_problem, bearer, count_rows, mailed_links, settings_for
from tests.matchmaker.partnering.smtp import Recorder, loopback_sender, smtp_server
from tests.servers import ADMIN_TOKEN

BASE_URL = "https://matchmaker.example"
LINK = re.compile(re.escape(BASE_URL) + r"/ui/claims/(\d+)/([A-Za-z0-9_-]+)")
RECORD_ACTIVITIES = [
    {"title": "EARLYDX: early detection of colorectal cancer", "year": 2022, "role": "coordinator"},
    {"title": "BIOBANK-EU", "year": 2019, "role": "participant"},
]


@pytest.fixture
def settings(database_url: str) -> Settings:
    """No write limits, links under a known base URL."""
    return settings_for(database_url, public_base_url=BASE_URL)


def import_record(engine: Engine, tmp_path: Path, **overrides: Any) -> None:
    """Import one CORDIS-like profile, cordis:999991428, on oncomark.example."""
    item = {
        "external_id": "cordis:999991428",
        "name": "ONCOMARK DIAGNOSTICS BV",
        "stakeholder_type": "sme",
        "country": "NL",
        "website": "https://www.oncomark.example/",
        "activities": RECORD_ACTIVITIES,
        **overrides,
    }
    source = tmp_path / "record.json"
    source.write_text(json.dumps([item]))
    assert import_organisations_json(engine, source).created == 1


def record_id(client: TestClient) -> int:
    """The id of the imported profile."""
    [item] = [
        item
        for item in client.get("/organisations").json()["items"]
        if item["external_id"] == "cordis:999991428"
    ]
    return int(item["id"])


def claim(client: TestClient, organisation: dict[str, Any], **body: Any) -> Any:
    """Make a claim with the organisation's own key."""
    return client.post(
        f"/organisations/{organisation['id']}/claims",
        json={"record": "999991428", **body},
        headers=bearer(organisation["api_key"]),
    )


def deliver(engine: Engine) -> Recorder:
    """Send the outbox to a loopback SMTP server; return what it received."""
    recorder = Recorder()
    with smtp_server(recorder) as port, loopback_sender(port) as sender:
        deliver_pending(engine, send=sender, mail_from="matchmaker@example.org")
    return recorder


def confirm(client: TestClient, claim_id: int, token: str) -> Any:
    """Use a claim's link through the API."""
    return client.post(f"/claims/{claim_id}/confirmation/{token}")


def test_a_claim_confirmed_by_its_link_merges_the_record_with_verified_projects(
    anonymous: TestClient, engine: Engine, tmp_path: Path
) -> None:
    """The link goes to the address on the record's domain; using it merges the record into
    the claimant, its projects verified; a second use is 404 and changes nothing."""
    import_record(engine, tmp_path)
    claimant = create_organisation(
        anonymous,
        name="Oncomark Diagnostics",
        stakeholder_type="sme",
        activities=[{"title": "A review of liquid biopsy", "year": 2024}],
        contact_email="ceo@gmail.example",
        website=None,
    )
    record = record_id(anonymous)
    made = claim(anonymous, claimant, email="partnering")
    assert made.status_code == 201, made.text
    body = made.json()
    assert {name: body[name] for name in ("organisation_id", "record_id", "external_id")} == {
        "organisation_id": claimant["id"],
        "record_id": record,
        "external_id": "cordis:999991428",
    }
    assert (body["email"], body["status"], body["confirmed_by"]) == (
        "partnering@oncomark.example",
        "pending",
        None,
    )
    # Nothing changes while the claim waits.
    assert anonymous.get(f"/organisations/{record}").status_code == 200
    before = anonymous.get(f"/organisations/{claimant['id']}").json()
    assert before["version"] == 1

    recorder = deliver(engine)
    [(to, claim_id, token)] = mailed_links(recorder.messages, LINK)
    assert (to, claim_id) == ("partnering@oncomark.example", body["id"])
    assert recorder.messages[0]["X-Matchmaker-Event"] == "claim_confirmation"
    # Whoever reads it can check the claimant first: its public profile is linked.
    mailed = recorder.messages[0].get_content()
    profile = re.search(r"\S+/ui/organisations/(\d+)\n", mailed)
    assert profile is not None
    assert int(profile.group(1)) == claimant["id"]
    assert anonymous.get(urlsplit(profile.group().strip()).path).status_code == 200
    with Session(engine) as session:
        assert session.scalars(select(col(OutboxMessage.body))).one() == REDACTED_BODY
        assert token not in (session.scalars(select(col(Claim.token_hash))).one() or "")

    page = anonymous.get(f"/ui/claims/{claim_id}/{token}")
    assert page.status_code == 200
    assert "Confirm the claim" in page.text
    confirmed = confirm(anonymous, claim_id, token)
    assert confirmed.status_code == 200, confirmed.text
    profile = confirmed.json()
    assert (profile["id"], profile["name"], profile["version"]) == (
        claimant["id"],
        "Oncomark Diagnostics",
        2,
    )
    assert [(a["title"], a["verified"]) for a in profile["activities"]] == [
        ("EARLYDX: early detection of colorectal cancer", True),
        ("BIOBANK-EU", True),
        ("A review of liquid biopsy", False),
    ]
    assert profile["website"] == "https://www.oncomark.example/"
    assert profile["contact_email"] == "ceo@gmail.example"
    gone = assert_problem(anonymous.get(f"/organisations/{record}"), 404)
    assert f"merged into organisation {claimant['id']}" in gone["detail"]

    assert_problem(confirm(anonymous, claim_id, token), 404)
    assert anonymous.get(f"/organisations/{claimant['id']}").json()["version"] == 2
    [listed] = anonymous.get(
        f"/organisations/{claimant['id']}/claims", headers=bearer(claimant["api_key"])
    ).json()["items"]
    assert (listed["status"], listed["confirmed_by"], listed["record_id"]) == (
        "confirmed",
        "link",
        None,
    )
    assert "token" not in json.dumps(listed)


def test_expired_reused_or_another_claims_link_does_nothing(
    anonymous: TestClient, engine: Engine, tmp_path: Path
) -> None:
    """A token on another claim's path, an unknown one, or one past its lifetime is 404 alike;
    the record stays, the claim stays pending."""
    import_record(engine, tmp_path)
    first = create_organisation(anonymous, name="Oncomark Diagnostics", stakeholder_type="sme")
    second = create_organisation(anonymous, name="Oncomark Labs", stakeholder_type="sme")
    assert claim(anonymous, first, email="one@oncomark.example").status_code == 201
    assert claim(anonymous, second, email="two@lab.oncomark.example").status_code == 201
    tokens = {
        to: (claim_id, token)
        for to, claim_id, token in mailed_links(deliver(engine).messages, LINK)
    }
    first_claim, first_token = tokens["one@oncomark.example"]
    second_claim, second_token = tokens["two@lab.oncomark.example"]

    crossed = confirm(anonymous, first_claim, second_token)
    unknown = confirm(anonymous, first_claim, "not-a-token-we-issued")
    assert assert_problem(crossed, 404)["detail"] == assert_problem(unknown, 404)["detail"]

    with Session(engine) as session:
        session.execute(
            update(Claim)
            .where(col(Claim.id) == first_claim)
            .values(expires_at=utc_now() - timedelta(seconds=1))
        )
        session.commit()
    assert_problem(confirm(anonymous, first_claim, first_token), 404)
    expired_page = anonymous.post(f"/ui/claims/{first_claim}/{first_token}")
    assert expired_page.status_code == 404
    assert "not valid" in expired_page.text
    record = record_id(anonymous)
    for organisation in (first, second):
        assert anonymous.get(f"/organisations/{organisation['id']}").json()["version"] == 1
    with Session(engine) as session:
        assert session.scalars(select(col(Claim.status))).all() == ["pending", "pending"]

    # The second claim's own link still works, through the page's button; the first claim's
    # record is gone with it, so an admin cannot confirm it either.
    done = anonymous.post(f"/ui/claims/{second_claim}/{second_token}")
    assert done.status_code == 200
    assert "Confirmed" in done.text
    assert_problem(anonymous.get(f"/organisations/{record}"), 404)
    admin = TestClient(anonymous.app, headers=bearer(ADMIN_TOKEN))
    admin.portal = anonymous.portal
    refused = assert_problem(admin.post(f"/admin/claims/{first_claim}/confirm"), 409)
    assert refused["detail"] == (
        f"Claim {first_claim} is closed: its record was merged into a profile while it "
        "waited; only a pending claim can be confirmed."
    )
    assert anonymous.get(f"/organisations/{first['id']}").json()["version"] == 1
    # The first claim no longer reads pending: it says how it ended.
    [ended] = anonymous.get(
        f"/organisations/{first['id']}/claims", headers=bearer(first["api_key"])
    ).json()["items"]
    assert (ended["status"], ended["record_id"], ended["confirmed_at"]) == (
        "record_merged",
        None,
        None,
    )
    assert admin.get("/admin/claims", params={"status": "pending"}).json()["total"] == 0
    merged = admin.get("/admin/claims", params={"status": "record_merged"}).json()
    assert [item["id"] for item in merged["items"]] == [first_claim]


def test_an_address_off_the_records_domain_is_refused_and_nothing_is_sent(
    anonymous: TestClient, engine: Engine, tmp_path: Path
) -> None:
    """Another domain, a look-alike domain or a record without a website is 422; no claim is
    stored and no e-mail queued; unknown records are 404, a bad one 422."""
    import_record(engine, tmp_path)
    claimant = create_organisation(anonymous, name="Oncomark Diagnostics", stakeholder_type="sme")
    for address in (
        "someone@evil.example",
        "partnering@oncomark.example.evil.example",
        "partnering@notoncomark.example",
        "not an address",
    ):
        assert_problem(claim(anonymous, claimant, email=address), 422, "email")
    unknown = assert_problem(claim(anonymous, claimant, record="cordis:123"), 404, "record")
    assert unknown["detail"] == (
        "No CORDIS record 123 was imported here: check the digits CORDIS shows for the "
        "organisation (its organisation id or PIC)."
    )
    assert_problem(claim(anonymous, claimant, record="PIC 12"), 422, "record")
    assert_problem(
        anonymous.post(f"/organisations/{claimant['id']}/claims", json={"record": "999991428"}),
        401,
    )
    assert (count_rows(engine, Claim), count_rows(engine, OutboxMessage)) == (0, 0)
    assert deliver(engine).messages == []


def test_an_admin_confirms_a_claim_without_a_link(
    anonymous: TestClient, client: TestClient, engine: Engine, tmp_path: Path
) -> None:
    """A claim without an address waits for an admin; the admin's confirmation merges; the
    claimant cannot confirm its own claim; owners keep `verified` only on unchanged projects
    and cannot set it."""
    import_record(engine, tmp_path, website=None)
    claimant = create_organisation(
        anonymous, name="Oncomark Diagnostics", stakeholder_type="sme", activities=[]
    )
    assert_problem(claim(anonymous, claimant, email="partnering"), 422, "email")
    made = claim(anonymous, claimant, record="cordis:999991428")
    assert made.status_code == 201, made.text
    assert (made.json()["email"], made.json()["expires_at"]) == (None, None)
    assert count_rows(engine, OutboxMessage) == 0
    pending = client.get("/admin/claims", params={"status": "pending"}).json()
    assert [item["id"] for item in pending["items"]] == [made.json()["id"]]
    url = f"/admin/claims/{made.json()['id']}/confirm"
    assert_problem(anonymous.post(url, headers=bearer(claimant["api_key"])), 403)

    confirmed = client.post(url)
    assert confirmed.status_code == 200, confirmed.text
    assert [a["verified"] for a in confirmed.json()["activities"]] == [True, True]
    assert_problem(client.post(url), 409)
    assert client.get("/admin/claims", params={"status": "pending"}).json()["total"] == 0

    profile_url = f"/organisations/{claimant['id']}"
    # The list is sent back as it was read, `verified` and all, one title changed: what says
    # the same stays verified, the renamed one does not, whatever `verified` it was sent with.
    activities = confirmed.json()["activities"]
    activities[1]["title"] = "BIOBANK-EU (renamed)"
    assert [a["verified"] for a in activities] == [True, True]
    kept = anonymous.patch(
        profile_url, json={"activities": activities}, headers=bearer(claimant["api_key"])
    )
    assert kept.status_code == 200, kept.text
    assert [a["verified"] for a in kept.json()["activities"]] == [True, False]
    without = [{k: v for k, v in a.items() if k != "verified"} for a in activities]
    again = anonymous.patch(
        profile_url, json={"activities": without}, headers=bearer(claimant["api_key"])
    )
    assert again.json()["version"] == kept.json()["version"]
    forged = [*activities, {"title": "Nobel prize", "verified": True}]
    sent = anonymous.patch(
        profile_url, json={"activities": forged}, headers=bearer(claimant["api_key"])
    )
    assert sent.status_code == 200, sent.text
    assert [a["verified"] for a in sent.json()["activities"]] == [True, False, False]
    # Read-only is not anything-goes: what is sent there must still be what answers show.
    for wrong in ("yes", 1):
        garbled = [{"title": "Nobel prize", "verified": wrong}]
        refused = anonymous.patch(
            profile_url, json={"activities": garbled}, headers=bearer(claimant["api_key"])
        )
        assert_problem(refused, 422, "activities.0.verified")
    with Session(engine) as session:
        stored = session.get_one(Organisation, claimant["id"]).activities
    assert [a.get("verified") for a in stored] == [True, None, None]


def test_the_claims_of_an_organisation_that_does_not_exist_are_404(
    client: TestClient, anonymous: TestClient
) -> None:
    """An admin listing the claims of an unknown id gets 404, as for the organisation's other
    lists (saved searches, webhooks), not an empty page that says it exists."""
    claimant = create_organisation(anonymous)
    listed = client.get(f"/organisations/{claimant['id']}/claims").json()
    assert (listed["items"], listed["total"]) == ([], 0)
    missing = assert_problem(client.get("/organisations/9999/claims"), 404)
    assert missing["detail"] == "No organisation with id 9999."


def test_a_claimant_withdraws_its_pending_claim_and_its_link_stops_working(
    anonymous: TestClient, client: TestClient, engine: Engine, tmp_path: Path
) -> None:
    """The claimant's key withdraws its pending claim (200, `withdrawn`, kept in its list); the
    link is then 404 and an admin cannot confirm it; withdrawing again is 409; another
    organisation's key is 404 as for a missing claim, no key 401; the record may be claimed
    again."""
    import_record(engine, tmp_path)
    claimant = create_organisation(anonymous, name="Oncomark Diagnostics", stakeholder_type="sme")
    stranger = create_organisation(anonymous, name="Other Lab", stakeholder_type="sme")
    made = claim(anonymous, claimant, email="partnering").json()
    [(_, claim_id, token)] = mailed_links(deliver(engine).messages, LINK)
    url = f"/claims/{claim_id}/withdraw"
    assert_problem(anonymous.post(url), 401)
    hidden = assert_problem(anonymous.post(url, headers=bearer(stranger["api_key"])), 404)
    assert hidden["detail"] == f"No claim with id {claim_id}."
    missing = anonymous.post("/claims/9999/withdraw", headers=bearer(stranger["api_key"]))
    assert assert_problem(missing, 404)["detail"] == "No claim with id 9999."

    withdrawn = anonymous.post(url, headers=bearer(claimant["api_key"]))
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json() == made | {"status": "withdrawn"}
    again = assert_problem(anonymous.post(url, headers=bearer(claimant["api_key"])), 409)
    assert again["detail"] == (
        f"Claim {claim_id} is withdrawn; only a pending claim can be withdrawn."
    )
    assert_problem(confirm(anonymous, claim_id, token), 404)
    assert_problem(client.post(f"/admin/claims/{claim_id}/confirm"), 409)
    record = record_id(anonymous)
    assert anonymous.get(f"/organisations/{record}").status_code == 200
    [listed] = anonymous.get(
        f"/organisations/{claimant['id']}/claims", headers=bearer(claimant["api_key"])
    ).json()["items"]
    assert listed["status"] == "withdrawn"
    assert claim(anonymous, claimant).status_code == 201


def test_a_second_pending_claim_of_the_same_record_is_409_naming_the_first(
    anonymous: TestClient, client: TestClient, engine: Engine, tmp_path: Path
) -> None:
    """The same organisation cannot claim one record twice while the first claim waits (in
    either spelling of the record); another organisation still can, and so can the first once
    its claim is withdrawn."""
    import_record(engine, tmp_path, website=None)
    claimant = create_organisation(anonymous, name="Oncomark Diagnostics", stakeholder_type="sme")
    first = claim(anonymous, claimant).json()["id"]
    for record in ("999991428", "cordis:999991428"):
        repeated = assert_problem(claim(anonymous, claimant, record=record), 409)
        assert repeated["detail"] == (
            f"Claim {first} of the record cordis:999991428 is pending already: confirm it, or "
            f"withdraw it (POST /claims/{first}/withdraw) to claim the record again."
        )
    assert count_rows(engine, Claim) == 1
    other = create_organisation(anonymous, name="Oncomark Labs", stakeholder_type="sme")
    assert claim(anonymous, other).status_code == 201
    assert client.post(f"/claims/{first}/withdraw").json()["status"] == "withdrawn"
    assert claim(anonymous, claimant).status_code == 201


def test_a_pending_claim_of_a_deleted_record_says_so(
    anonymous: TestClient, client: TestClient, engine: Engine, tmp_path: Path
) -> None:
    """Deleting the record ends the claims waiting for it as `record_deleted`; a confirmed or
    withdrawn claim keeps its status."""
    import_record(engine, tmp_path, website=None)
    claimant = create_organisation(anonymous, name="Oncomark Diagnostics", stakeholder_type="sme")
    other = create_organisation(anonymous, name="Oncomark Labs", stakeholder_type="sme")
    waiting = claim(anonymous, claimant).json()["id"]
    taken_back = claim(anonymous, other).json()["id"]
    assert client.post(f"/claims/{taken_back}/withdraw").status_code == 200
    assert client.delete(f"/organisations/{record_id(anonymous)}").status_code == 204
    statuses = {
        item["id"]: (item["status"], item["record_id"])
        for item in client.get("/admin/claims").json()["items"]
    }
    assert statuses == {waiting: ("record_deleted", None), taken_back: ("withdrawn", None)}
    refused = assert_problem(client.post(f"/admin/claims/{waiting}/confirm"), 409)
    assert "its record was deleted while it waited" in refused["detail"]


def test_a_claimant_merged_into_its_record_ends_its_claim_and_no_other(
    anonymous: TestClient, client: TestClient, engine: Engine, tmp_path: Path
) -> None:
    """An admin merging the claimant into the record it claims ends that claim as
    `record_merged` (the two are one profile now: nothing is left to confirm); another
    organisation's claim of the record, which is still stored, stays pending."""
    import_record(engine, tmp_path, website=None)
    claimant = create_organisation(anonymous, name="Oncomark Diagnostics", stakeholder_type="sme")
    other = create_organisation(anonymous, name="Oncomark Labs", stakeholder_type="sme")
    mine = claim(anonymous, claimant).json()["id"]
    theirs = claim(anonymous, other).json()["id"]
    record = record_id(anonymous)
    merged = client.post(f"/admin/organisations/{record}/merge", json={"absorb": claimant["id"]})
    assert merged.status_code == 200, merged.text
    statuses = {
        item["id"]: (item["status"], item["organisation_id"], item["record_id"])
        for item in client.get("/admin/claims").json()["items"]
    }
    assert statuses == {
        mine: ("record_merged", record, record),
        theirs: ("pending", other["id"], record),
    }
    assert_problem(client.post(f"/admin/claims/{mine}/confirm"), 409)


def test_a_claim_left_pending_without_its_record_is_refused_in_plain_words(
    anonymous: TestClient, client: TestClient, engine: Engine, tmp_path: Path
) -> None:
    """A claim a merge left pending without its record (before claims got a final status) is
    409 to an admin's confirmation, saying the record is gone; its claimant may withdraw it."""
    import_record(engine, tmp_path, website=None)
    claimant = create_organisation(anonymous, name="Oncomark Diagnostics", stakeholder_type="sme")
    made = claim(anonymous, claimant).json()["id"]
    with Session(engine) as session:
        session.execute(update(Claim).where(col(Claim.id) == made).values(record_id=None))
        session.commit()
    refused = assert_problem(client.post(f"/admin/claims/{made}/confirm"), 409)
    assert refused["detail"] == (
        f"Claim {made} is closed: its record is no longer stored; only a pending claim can be "
        "confirmed."
    )
    withdrawn = anonymous.post(f"/claims/{made}/withdraw", headers=bearer(claimant["api_key"]))
    assert withdrawn.json()["status"] == "withdrawn"
