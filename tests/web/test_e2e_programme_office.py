"""What a programme office and the service's administrator tripped on, end to end in Chromium
against a real uvicorn: signed in with a call publisher's key, which acts for no organisation,
the pages offered it what only an organisation's key can do (write to an organisation, answer
a partner request, start a draft) and called it "another organisation"; an administrator who
made a claim for an organisation was told that "an administrator will confirm it".
"""

import re
from typing import Any

import httpx
import pytest
from playwright import sync_api

from tests.factories import create_call, create_organisation
from tests.helpers import bearer, created
from tests.servers import ADMIN_TOKEN
from tests.web.browser import SETTLED, answer_next_dialog, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

expect = sync_api.expect


def _accept(dialog: Any, asked: list[str]) -> None:
    """Answer a confirmation with OK, noting its question."""
    asked.append(dialog.message)
    dialog.accept()


@pytest.fixture(scope="module")
def scene(server: httpx.Client) -> dict[str, Any]:
    """An IHI call, an SME looking for partners for it, and a publisher's key."""
    call = create_call(
        server,
        identifier="E2E-IHI-OFFICE-2099",
        title="Digital endpoints for neuromuscular trials",
        description="Digital endpoints, wearables and neuromuscular disease trials.",
        rule_set="none",
        required_stakeholders={"sme": 1, "patient_organisation": 1},
        min_countries=1,
        opening_date=None,
        deadline="2099-06-30",
    )
    sme = create_organisation(
        server,
        name="Neuromuscular Wearables ApS",
        stakeholder_type="sme",
        country="DK",
        description="Wearables and digital endpoints for neuromuscular disease trials.",
        keywords=["digital endpoints", "wearables"],
        activities=[],
    )
    created(
        server.post(
            f"/calls/{call['id']}/partner-requests",
            headers=bearer(sme["api_key"]),
            json={"stakeholder_types": ["patient_organisation"], "pitch": "Wearables SME."},
        )
    )
    publisher = created(
        server.post("/admin/keys", json={"role": "publisher", "label": "IHI programme office"})
    )
    return {"call": call, "sme": sme, "publisher": publisher["token"]}


def test_a_publisher_is_offered_nothing_only_an_organisation_key_can_do(
    page: Any, scene: dict[str, Any]
) -> None:
    """Signed in with a publisher's key: signing in leads to the calls (it has no drafts);
    a call's page offers no "Contact" nor "Answer"; the message form, the builder's draft form
    and the drafts page say why not; the inbox says whose key it is."""
    call, sme = scene["call"], scene["sme"]
    sign_in(page, scene["publisher"], "a call publisher")
    expect(page).to_have_url("/ui/calls")
    expect(page.locator(".session-who a")).to_have_attribute("href", "/ui/calls")

    page.goto(f"/ui/calls/{call['id']}")
    page.wait_for_function(SETTLED)
    expect(page.locator("#partner-requests")).to_contain_text("Neuromuscular Wearables ApS")
    answer = page.locator("#partner-requests a", has_text="Answer")
    expect(answer).to_have_count(1)
    expect(answer).to_be_hidden()
    contacts = page.locator("td.row-actions a", has_text="Contact")
    assert contacts.count() > 0
    for index in range(contacts.count()):
        expect(contacts.nth(index)).to_be_hidden()

    page.goto(f"/ui/organisations/{sme['id']}/contact?call_id={call['id']}")
    expect(page.locator("#contact-publisher")).to_be_visible()
    expect(page.locator("#contact-publisher")).to_contain_text(
        "You are signed in with a call publisher's key, which writes for no organisation"
    )
    expect(page.get_by_label("Your message")).to_be_hidden()

    page.goto("/ui/inbox")
    expect(page.locator("#inbox-panel")).to_have_text(
        "This belongs to an organisation, and a call publisher's key acts for none: "
        "sign in with the organisation's own key to see it."
    )

    page.goto(f"/ui/calls/{call['id']}/consortium")
    expect(page.locator("#draft-needs-organisation")).to_be_visible()
    expect(page.get_by_role("button", name="Create draft")).to_be_hidden()

    page.goto("/ui/drafts")
    expect(page.locator("#drafts-publisher")).to_be_visible()
    expect(page.get_by_text("To start a new draft")).to_be_hidden()

    page.goto(f"/ui/organisations/{sme['id']}/claim")
    expect(page.locator("#claim-not-owner")).to_be_visible()
    expect(page.locator("#claim-not-owner")).to_have_text(
        "You are signed in as a call publisher: only Neuromuscular Wearables ApS's own key can "
        "make a claim for it.",
        use_inner_text=True,
    )


def test_an_organisation_still_starts_drafts_and_writes(page: Any, scene: dict[str, Any]) -> None:
    """An organisation's key still sees "Create draft" and "Contact", and none of the
    publisher's notes."""
    call, sme = scene["call"], scene["sme"]
    sign_in(page, sme["api_key"], "Neuromuscular Wearables ApS")
    page.goto(f"/ui/calls/{call['id']}/consortium")
    expect(page.get_by_role("button", name="Create draft")).to_be_visible()
    expect(page.locator("#draft-needs-organisation")).to_be_hidden()
    page.goto("/ui/drafts")
    expect(page.get_by_text("To start a new draft")).to_be_visible()
    expect(page.locator("#drafts-publisher")).to_be_hidden()


def test_an_administrator_confirms_the_claim_it_made_on_the_page(
    page: Any, server: httpx.Client, scene: dict[str, Any]
) -> None:
    """An administrator claiming an imported record for a profile, without an address, is
    offered "Confirm the claim", which merges the record into the profile."""
    sme = scene["sme"]
    records = server.get("/organisations", params={"q": "hospital", "limit": 1}).json()
    [record] = records["items"]
    number = record["external_id"].removeprefix("cordis:")
    sign_in(page, ADMIN_TOKEN, "an administrator")
    page.goto(f"/ui/organisations/{sme['id']}/claim")
    page.get_by_label("CORDIS organisation id (PIC)").fill(number)
    page.get_by_role("button", name="Make the claim").click()
    expect(page.locator("#claim-done")).to_be_visible()
    expect(page.locator("#claim-done")).to_contain_text(
        f"Claim made. Once you have checked that this organisation is the one CORDIS lists as "
        f"cordis:{number}, confirm it"
    )
    asked: list[str] = []
    answer_next_dialog(page, asked, accept=True)
    page.get_by_role("button", name="Confirm the claim").click()
    expect(page).to_have_url(f"/ui/organisations/{sme['id']}")
    assert asked == [
        f"Confirm that Neuromuscular Wearables ApS is the CORDIS record cordis:{number}? The "
        "record's projects join Neuromuscular Wearables ApS's profile and the record is "
        "deleted; this cannot be undone."
    ]
    assert server.get(f"/organisations/{record['id']}").status_code == 404
    claims = server.get(f"/organisations/{sme['id']}/claims").json()["items"]
    assert [claim["status"] for claim in claims] == ["confirmed"]


def test_an_administrator_confirms_and_refuses_claims_from_the_claims_page(
    page: Any, server: httpx.Client, scene: dict[str, Any]
) -> None:
    """The administrator's menu leads to the claims waiting, their count beside "Claims" (and
    has no Inbox: its key acts for no organisation); "Refuse" withdraws one, "Confirm", asked
    first since it cannot be undone, merges the record into the claiming profile; both leave
    the list and the count, which is gone once none waits."""
    sme = scene["sme"]
    found = server.get("/organisations", params={"q": "universitat", "limit": 2}).json()
    claims = [
        created(
            server.post(
                f"/organisations/{sme['id']}/claims",
                headers=bearer(sme["api_key"]),
                json={"record": record["external_id"]},
            )
        )
        for record in found["items"]
    ]
    sign_in(page, ADMIN_TOKEN, "an administrator")
    menu = page.get_by_role("navigation", name="Main")
    expect(menu.get_by_role("link", name="Inbox")).to_be_hidden()
    claims_link = menu.locator("[data-claims-link]")
    badge = claims_link.locator("[data-claims-waiting]")
    expect(badge).to_have_text("2")
    expect(claims_link).to_have_accessible_name("Claims, 2 waiting for an administrator")
    claims_link.click()
    rows = page.locator("#claims-panel tbody tr")
    expect(rows).to_have_count(2)
    # Each row's buttons are named by its claim, not "Confirm, Refuse" again and again.
    claimed = [
        f"Neuromuscular Wearables ApS's claim to be {record['name']} ({record['external_id']})"
        for record in found["items"]
    ]
    for number, claim in enumerate(claimed):
        for words in ("Confirm", "Refuse"):
            button = rows.nth(number).get_by_role("button", name=f"{words} {claim}", exact=True)
            expect(button).to_have_text(words)
    refused: list[str] = []
    answer_next_dialog(page, refused, accept=True)
    rows.nth(0).get_by_role("button", name="Refuse").click()
    expect(page.locator("#status")).to_have_text(
        f"Refused {claimed[0]}: it is withdrawn and nothing changed."
    )
    assert refused == [f"Refuse {claimed[0]}? It is withdrawn and nothing changes."]
    expect(rows).to_have_count(1)
    expect(claims_link).to_have_accessible_name("Claims, 1 waiting for an administrator")
    asked: list[str] = []
    answer_next_dialog(page, asked, accept=False)
    rows.nth(0).get_by_role("button", name="Confirm").click()
    expect(page.locator("#status")).to_have_text(
        f"Refused {claimed[0]}: it is withdrawn and nothing changed."
    )
    waiting = server.get(f"/organisations/{sme['id']}/claims").json()["items"]
    assert [claim["status"] for claim in waiting if claim["id"] == claims[1]["id"]] == ["pending"]
    answer_next_dialog(page, asked, accept=True)
    rows.nth(0).get_by_role("button", name="Confirm").click()
    expect(page.locator("#status")).to_have_text(
        "Claim confirmed: its record is now part of Neuromuscular Wearables ApS."
    )
    expect(page.locator("#claims-panel")).to_contain_text("No claim is waiting.")
    expect(badge).to_be_hidden()
    expect(claims_link).to_have_accessible_name("Claims")
    # Another admin page: its figures load with the administrator's key, and no count.
    page.goto("/ui/admin/outbox")
    page.wait_for_function(SETTLED)
    expect(page.locator("#outbox-panel")).to_contain_text("No webhook delivery was given up.")
    expect(badge).to_be_hidden()
    expect(claims_link).not_to_have_attribute("aria-label", re.compile("."))
    statuses = {
        claim["id"]: claim["status"]
        for claim in server.get(f"/organisations/{sme['id']}/claims").json()["items"]
    }
    assert [statuses[claim["id"]] for claim in claims] == ["withdrawn", "confirmed"]
    record = found["items"][1]
    question = (
        f"Confirm that Neuromuscular Wearables ApS is {record['name']} "
        f"({record['external_id']})? The record's projects join Neuromuscular Wearables ApS's "
        "profile and the record is deleted; this cannot be undone."
    )
    assert asked == [question, question]


def test_a_claim_closed_meanwhile_leaves_the_claims_page(
    page: Any, server: httpx.Client, scene: dict[str, Any]
) -> None:
    """A claim withdrawn after the list was shown: confirming it is refused with the reason,
    and the row leaves the list, its count with it."""
    sme = scene["sme"]
    found = server.get("/organisations", params={"q": "research", "limit": 50}).json()["items"]
    record = next(item for item in found if (item["external_id"] or "").startswith("cordis:"))
    claim = created(
        server.post(
            f"/organisations/{sme['id']}/claims",
            headers=bearer(sme["api_key"]),
            json={"record": record["external_id"]},
        )
    )
    sign_in(page, ADMIN_TOKEN, "an administrator")
    page.goto("/ui/admin/claims")
    expect(page.locator("#claims-panel")).to_contain_text("1 claim waiting.")
    withdrawn = server.post(f"/claims/{claim['id']}/withdraw", headers=bearer(sme["api_key"]))
    assert withdrawn.status_code == 200
    answer_next_dialog(page, [], accept=True)
    page.locator("#claims-panel").get_by_role("button", name="Confirm").click()
    expect(page.locator("#status")).to_contain_text("Not confirmed: ")
    expect(page.locator("#claims-panel")).to_contain_text("No claim is waiting.")
    assert server.get(f"/organisations/{record['id']}").status_code == 200


def test_an_organisation_has_no_claims_entry_in_its_menu(page: Any, scene: dict[str, Any]) -> None:
    """Only an administrator's menu lists "Claims"; an organisation's keeps its inbox."""
    sign_in(page, scene["sme"]["api_key"], "Neuromuscular Wearables ApS")
    menu = page.get_by_role("navigation", name="Main")
    expect(menu.get_by_role("link", name="Claims")).to_be_hidden()
    expect(menu.get_by_role("link", name="Inbox")).to_be_visible()


def test_an_administrator_deletes_a_spam_profile_from_its_page(
    page: Any, server: httpx.Client
) -> None:
    """ "Delete this profile", asked first, deletes the profile and says so in the page; the
    profile is gone from the API too."""
    spam = create_organisation(
        server, name="Cheap Pills Online", description="Buy cheap pills now.", activities=[]
    )
    sign_in(page, ADMIN_TOKEN, "an administrator")
    page.goto(f"/ui/organisations/{spam['id']}")
    asked: list[str] = []
    page.once("dialog", lambda dialog: _accept(dialog, asked))
    page.get_by_role("button", name="Delete this profile").click()
    expect(page.locator("main")).to_have_text(
        "Cheap Pills Online's profile was deleted. Back to the organisations"
    )
    assert asked == [
        "Delete Cheap Pills Online's profile and everything stored about it (its keys, drafts, "
        "requests and messages)? This cannot be undone. Organisations whose drafts it is a "
        "member of are told that it left, by its name only, and their drafts show that it "
        "left, by its name and type."
    ]
    assert server.get(f"/organisations/{spam['id']}").status_code == 404


def test_an_organisation_is_not_offered_to_delete_its_profile_as_an_administrator(
    page: Any, scene: dict[str, Any]
) -> None:
    """The owner's own profile page has no administrator's "Delete this profile"."""
    sme = scene["sme"]
    sign_in(page, sme["api_key"], "Neuromuscular Wearables ApS")
    page.goto(f"/ui/organisations/{sme['id']}")
    expect(page.get_by_role("link", name="Edit your profile")).to_be_visible()
    expect(page.get_by_role("button", name="Delete this profile")).to_be_hidden()


def test_an_administrator_merges_a_lookalike_from_the_profile_page(
    page: Any, server: httpx.Client
) -> None:
    """A profile registered twice, the copy's type verified: the administrator merges the copy
    into the first from the first's page, asked first what follows (the copy's key acts for
    the first, which keeps its unverified type); the page says so in its status region, and
    the copy is gone and the list of lookalikes with it."""
    first = create_organisation(
        server,
        name="Rare Disease Patients Denmark",
        stakeholder_type="patient_organisation",
        country="DK",
        website=None,
    )
    copy = create_organisation(
        server,
        name="Rare Disease Patients Denmark.",
        stakeholder_type="patient_organisation",
        country="DK",
        website=None,
        keywords=["patient panels"],
    )
    verified = server.post(f"/admin/organisations/{copy['id']}/type-verification")
    assert verified.status_code == 200, verified.text
    sign_in(page, ADMIN_TOKEN, "an administrator")
    page.goto(f"/ui/organisations/{first['id']}")
    asked: list[str] = []
    answer_next_dialog(page, asked, accept=True)
    page.locator("#admin-duplicates").get_by_role(
        "button", name="Merge it into this profile"
    ).click()
    expect(page.locator("#admin-duplicates")).to_have_count(0)
    status = page.get_by_role("status")
    expect(status).to_have_text(
        "Rare Disease Patients Denmark. was merged into this profile: its projects, keywords, "
        "keys, drafts and requests are now this profile's, and the fields this profile left "
        "empty were filled from it. Its own profile is deleted; its old address links here."
    )
    expect(status).to_be_focused()
    # The page loaded again: it shows what the merge brought (the copy's keyword).
    expect(page.get_by_role("listitem").filter(has_text="patient panels").first).to_be_visible()
    assert asked == [
        "Merge Rare Disease Patients Denmark. into this profile? Rare Disease Patients "
        "Denmark's 1 key will act for this profile from now on: its holder may edit it. Rare "
        "Disease Patients Denmark. is verified; this profile is not: the merged profile keeps "
        "this profile's type and verification. Rare Disease Patients Denmark. is deleted; "
        "this cannot be undone."
    ]
    gone = server.get(f"/organisations/{copy['id']}")
    assert gone.status_code == 404
    assert f"merged into organisation {first['id']}" in gone.json()["detail"]
    assert "patient panels" in server.get(f"/organisations/{first['id']}").json()["keywords"]


def test_a_merge_refused_is_said_in_words_and_changes_nothing(
    page: Any, server: httpx.Client
) -> None:
    """An imported record and a profile registered here under its name: merging the profile
    into the record asks first, saying the record's fields win; the record changed after its
    page loaded, so the merge is refused, the status region says why and what to do, the
    button can be used again, and both profiles stay."""
    found = server.get("/organisations", params={"q": "clinical", "limit": 50}).json()["items"]
    first = next(item for item in found if (item["external_id"] or "").startswith("cordis:"))
    name = first["name"] + "."
    copy = create_organisation(
        server,
        name=name,
        stakeholder_type="patient_organisation",
        country=first["country"],
        website=None,
    )
    sign_in(page, ADMIN_TOKEN, "an administrator")
    page.goto(f"/ui/organisations/{first['id']}")
    merge = (
        page.locator("#admin-duplicates li")
        .filter(has=page.get_by_role("link", name=name, exact=True))
        .get_by_role("button", name="Merge it into this profile")
    )
    expect(merge).to_be_visible()
    changed = server.patch(f"/organisations/{first['id']}", json={"city": "Oslo"})
    assert changed.status_code == 200, changed.text
    asked: list[str] = []
    answer_next_dialog(page, asked, accept=True)
    merge.click()
    status = page.get_by_role("status")
    expect(status).to_have_text(
        "Not merged: the profile changed since this page was loaded; reload the page and "
        "check it again."
    )
    expect(status).to_be_focused()
    expect(merge).to_be_enabled()
    # The name ends in a full stop, which its possessive does not repeat: "Denmark's".
    owners = f"{first['name']}'s"
    assert asked == [
        f"Merge {name} into this profile? {owners} 1 key will act for this profile from now on: "
        f"its holder may edit it. This profile is the imported record {first['external_id']}; "
        f"{name} was registered here: the merged profile keeps this profile's name, type, "
        "city, description, website, contact address, group and IHI in-kind contributor answer "
        f"({owners} fill only those left empty) and "
        f"adds {owners} keywords and projects. Later CORDIS imports keep what the merge adds or "
        "fills and what its keys then edit, and update only the fields nobody here has changed. "
        f"To keep {owners}, merge the other way, from its page; imports then leave the merged "
        f"profile alone. {name} is deleted; this cannot be undone."
    ]
    assert server.get(f"/organisations/{copy['id']}").status_code == 200
