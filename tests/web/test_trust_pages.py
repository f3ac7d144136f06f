"""The trust pages and marks: "Last confirmed on" beside stale profiles (as the staleness
setting has it), the owner's confirm and claim pages, and their forms."""

import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.main import create_app
from api.web.pages import FORM_ACTIONS
from matchmaker.importers.runner import import_organisations_json
from matchmaker.settings import Settings
from models.common import utc_now
from tests.factories import create_call, create_organisation
from tests.helpers import Page, bearer, mark_confirmed, settings_for


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Profiles go stale one month after their last confirmation (13 by default)."""
    return settings_for(database_url, stale_after_months=1)


# What a merge fills where the profile kept leaves them empty, as its button tells the script.
MERGE_FILLS = (
    "city, description, website, contact address, group and IHI in-kind contributor answer"
)


def shown_date(moment: datetime) -> str:
    """How a page writes the date of a last confirmation."""
    return (
        f'Last confirmed on <time datetime="{moment.date().isoformat()}">'
        f"{moment.day} {moment:%B %Y}</time>"
    )


def rows(page: str) -> dict[int, str]:
    """Each suggestion row's markup by its organisation's id."""
    return {
        int(found.group(1)): found.group(2)
        for found in re.finditer(r'<tr data-organisation-id="(\d+)"[^>]*>(.*?)</tr>', page, re.S)
    }


@pytest.mark.sqlite_only
def test_profile_page_says_when_a_stale_profile_was_last_confirmed(
    anonymous: TestClient, engine: Engine
) -> None:
    """With MATCHMAKER_STALE_AFTER_MONTHS=1 a profile confirmed 40 days ago reads "Last
    confirmed on <date>" on its page; one confirmed 20 days ago does not."""
    old = create_organisation(anonymous, name="Old Profile")
    recent = create_organisation(anonymous, name="Recent Profile")
    then = utc_now() - timedelta(days=40)
    mark_confirmed(engine, old["id"], then)
    mark_confirmed(engine, recent["id"], utc_now() - timedelta(days=20))
    page = anonymous.get(f"/ui/organisations/{old['id']}").text
    assert f"{shown_date(then)}</span>: this profile may be out of date." in page
    assert "Last confirmed on" not in anonymous.get(f"/ui/organisations/{recent['id']}").text


@pytest.mark.sqlite_only
def test_suggestion_rows_mark_stale_profiles(
    client: TestClient, anonymous: TestClient, engine: Engine
) -> None:
    """A call's suggested partners and the expertise search show "Last confirmed on" in the
    row of a stale profile only."""
    call = create_call(
        client,
        identifier="IHI-2026-LB-01",
        title="Liquid biopsy for early cancer detection",
        description="Liquid biopsy for early cancer detection.",
        opening_date="2026-01-10",
        deadline="2099-03-01",
    )
    stale = create_organisation(
        anonymous, name="Biopsy Assays BV", description="Liquid biopsy assays for cancer."
    )
    fresh = create_organisation(
        anonymous,
        name="Leiden Liquid Biopsy Lab",
        stakeholder_type="academia",
        description="Liquid biopsy and early cancer detection.",
    )
    then = utc_now() - timedelta(days=60)
    mark_confirmed(engine, stale["id"], then)
    for path in (f"/ui/calls/{call['id']}", "/ui/expertise?q=liquid+biopsy+cancer"):
        shown = rows(anonymous.get(path).text)
        assert sorted(shown) == sorted([stale["id"], fresh["id"]]), path
        assert shown_date(then) in shown[stale["id"]], path
        assert "Last confirmed on" not in shown[fresh["id"]], path


@pytest.mark.sqlite_only
def test_owner_actions_lead_to_the_claim_page_and_once_due_to_the_confirm_page(
    anonymous: TestClient, engine: Engine
) -> None:
    """The profile page's owner-only actions link to adding EU projects from CORDIS (a claim),
    and, once a confirmation is due (as old as the reminder's 12 months), to confirming the
    profile is current: a profile registered today is current and is not asked about."""
    organisation = create_organisation(anonymous)

    def actions() -> list[tuple[str, str]]:
        page = anonymous.get(f"/ui/organisations/{organisation['id']}").text
        [found] = re.findall(
            rf'<p class="actions" data-owner-only="{organisation["id"]}" data-not-admin hidden>'
            r"(.*?)</p>",
            page,
        )
        return re.findall(r'href="([^"]+)">([^<]+)</a>', found)

    edit = (f"/ui/organisations/{organisation['id']}/edit", "Edit your profile")
    claim = (f"/ui/organisations/{organisation['id']}/claim", "Add your EU projects from CORDIS")
    confirm = (f"/ui/organisations/{organisation['id']}/confirm", "Confirm this profile is current")
    assert actions() == [edit, claim]
    mark_confirmed(engine, organisation["id"], utc_now() - timedelta(days=330))
    assert actions() == [edit, claim]
    mark_confirmed(engine, organisation["id"], utc_now() - timedelta(days=370))
    assert actions() == [edit, confirm, claim]


@pytest.mark.sqlite_only
def test_confirm_and_claim_pages_hold_labelled_forms_that_need_the_script(
    anonymous: TestClient, engine: Engine
) -> None:
    """The confirm page says when the profile was last confirmed and the claim page asks for
    the record and an address, every control labelled; their forms post, without a script, to
    the explanation page; an unknown organisation is an HTML 404."""
    organisation = create_organisation(anonymous)
    then = utc_now() - timedelta(days=45)
    mark_confirmed(engine, organisation["id"], then)
    base = f"/ui/organisations/{organisation['id']}"

    confirm = anonymous.get(f"{base}/confirm")
    assert confirm.status_code == 200
    assert (
        f'<p id="confirmed-when"><span class="last-confirmed">{shown_date(then)}</span>. Others '
        "see this date beside the profile, because it is more than 1 month old."
    ) in confirm.text
    assert f'<form id="confirm-form" class="form stack" method="post" action="{base}/confirm"' in (
        confirm.text
    )

    claim = anonymous.get(f"{base}/claim")
    assert claim.status_code == 200
    assert f'action="{base}/claim"' in claim.text
    # "Your" projects to the owner; an administrator (the script shows which) reads "its".
    assert (
        "<h1><span data-not-admin>Add your EU projects from CORDIS</span>"
        "<span data-admin-only hidden>Add its EU projects from CORDIS</span></h1>"
    ) in claim.text
    page = Page(claim.text)
    assert [control["name"] for control in page.controls] == ["record", "email"]
    assert [control for control in page.controls if control["id"] not in page.labels] == []

    assert "/ui/organisations/{organisation_id}/confirm" in FORM_ACTIONS
    assert "/ui/organisations/{organisation_id}/claim" in FORM_ACTIONS
    for path in (f"{base}/confirm", f"{base}/claim"):
        refused = anonymous.post(path, data={"record": "999991428"})
        assert refused.status_code == 400
        assert "This form needs JavaScript" in refused.text
        missing = anonymous.get(path.replace(str(organisation["id"]), "999999"))
        assert missing.status_code == 404
        assert missing.headers["content-type"].startswith("text/html")
    assert anonymous.get(f"/organisations/{organisation['id']}").json()["version"] == 1


@pytest.mark.sqlite_only
def test_the_claim_page_writes_the_possessive_of_a_name_ending_in_a_stop_once(
    anonymous: TestClient,
) -> None:
    """A name ending in a full stop takes its possessive without a second stop: "Technical
    University of Denmark's own key", not "Denmark.'s"."""
    organisation = create_organisation(anonymous, name="Technical University of Denmark.")
    page = anonymous.get(f"/ui/organisations/{organisation['id']}/claim").text
    assert "<p>Only Technical University of Denmark's own key can make a claim" in page
    assert ".'s" not in page


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("contact", "shown"),
    [
        (None, "this site names no contact address"),
        ("admins@matchmaker.example", 'href="mailto:admins@matchmaker.example"'),
        ("https://help.matchmaker.example/verify", 'href="https://help.matchmaker.example/verify"'),
    ],
)
def test_the_verification_page_names_the_administrators_contact_when_one_is_set(
    database_url: str, engine: Engine, contact: str | None, shown: str
) -> None:
    """How to ask for verification names MATCHMAKER_ADMIN_CONTACT, never the no-reply sender
    of notification e-mails."""
    settings = settings_for(database_url, admin_contact=contact)
    with TestClient(create_app(settings)) as client:
        page = client.get("/ui/verification")
    assert page.status_code == 200
    assert shown in page.text
    assert settings.mail_from not in page.text


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("contact", "reach"),
    [
        (None, ", through whoever told you about it (this site names no contact address)"),
        (
            "admins@matchmaker.example",
            ' (<a href="mailto:admins@matchmaker.example">admins@matchmaker.example</a>)',
        ),
        (
            "https://help.matchmaker.example/keys",
            ' (<a href="https://help.matchmaker.example/keys">https://help.matchmaker.example/keys'
            "</a>)",
        ),
    ],
)
def test_the_key_recovery_page_says_how_to_reach_the_administrators_as_verification_does(
    database_url: str, engine: Engine, contact: str | None, reach: str
) -> None:
    """A profile without a contact e-mail is told to ask the administrators, now with
    MATCHMAKER_ADMIN_CONTACT (or that the site names none) in the verification page's words."""
    settings = settings_for(database_url, admin_contact=contact)
    with TestClient(create_app(settings)) as client:
        organisation = create_organisation(client, name="Nephron Patients")
        recovery = client.get("/ui/key-recovery", params={"organisation": organisation["id"]})
        verification = client.get("/ui/verification")
    assert recovery.status_code == verification.status_code == 200
    administrators = "the administrators of this site" + reach
    assert (
        "A profile without a contact e-mail cannot recover its key this way: ask "
        f"{administrators}.</p>" in recovery.text
    )
    assert f"write to {administrators} from an address of your organisation" in verification.text


@pytest.mark.sqlite_only
def test_a_merged_profile_page_links_to_the_profile_it_became(
    client: TestClient, anonymous: TestClient
) -> None:
    """The page of a profile merged into another is 404 with a link to the survivor's page,
    not the API's "read /organisations/{id}"; its other pages say the same."""
    survivor = create_organisation(anonymous, name="Nephron Labs")
    absorbed = create_organisation(anonymous, name="Nephron Labs ApS")
    merged = client.post(
        f"/admin/organisations/{survivor['id']}/merge", json={"absorb": absorbed["id"]}
    )
    assert merged.status_code == 200, merged.text
    for path in ("", "/edit", "/contact"):
        page = anonymous.get(f"/ui/organisations/{absorbed['id']}{path}")
        assert page.status_code == 404
        assert "<h1>Profile merged</h1>" in page.text
        assert (
            f'This profile was merged into <a href="/ui/organisations/{survivor["id"]}">'
            "Nephron Labs</a>" in page.text
        )
        assert "/organisations/" + str(survivor["id"]) + "." not in page.text


def test_the_claims_page_lists_pending_claims_by_name_for_an_administrator(
    client: TestClient, anonymous: TestClient, engine: Engine, tmp_path: Path
) -> None:
    """An administrator's key reads the pending claims with the claiming profile and the record
    by name, each with "Confirm" and "Refuse" named by the claim; other keys get problem
    details, not the list."""
    source = tmp_path / "record.json"
    record = {"external_id": "cordis:999991428", "name": "ONCOMARK DIAGNOSTICS BV"}
    source.write_text(json.dumps([{**record, "stakeholder_type": "sme", "country": "NL"}]))
    assert import_organisations_json(engine, source).created == 1
    claimant = create_organisation(anonymous, name="Oncomark Diagnostics", country="NL")
    made = anonymous.post(
        f"/organisations/{claimant['id']}/claims",
        json={"record": "999991428"},
        headers=bearer(claimant["api_key"]),
    )
    assert made.status_code == 201, made.text
    assert "Claims waiting for an administrator" in anonymous.get("/ui/admin/claims").text

    panel = client.get("/ui/admin/claims/panel")
    assert panel.status_code == 200
    [row] = re.findall(r"<tr data-claim-id=[^>]*>(.*?)</tr>", panel.text, re.S)
    assert f'<a href="/ui/organisations/{claimant["id"]}">Oncomark Diagnostics</a>' in row
    assert ">ONCOMARK DIAGNOSTICS BV</a>" in row
    assert "<code>cordis:999991428</code>" in row
    assert re.findall(r'data-action="(\w+-claim)" data-claim-id="(\d+)"', row) == [
        ("confirm-claim", str(made.json()["id"])),
        ("refuse-claim", str(made.json()["id"])),
    ]
    # What the questions before confirming and refusing name (the script asks them), and each
    # button's name, which says whose claim it is, as the draft's "Remove X" does.
    for words in ("Confirm", "Refuse"):
        assert (
            'data-claimant="Oncomark Diagnostics" data-claimant-possessive="Oncomark '
            'Diagnostics\'" data-record="ONCOMARK DIAGNOSTICS BV (cordis:999991428)" '
            f"aria-label=\"{words} Oncomark Diagnostics' claim to be ONCOMARK DIAGNOSTICS BV "
            f'(cordis:999991428)">{words}</button>'
        ) in row
    assert panel.headers["cache-control"] == "no-store"

    assert anonymous.get("/ui/admin/claims/panel").status_code == 401
    owner = anonymous.get("/ui/admin/claims/panel", headers=bearer(claimant["api_key"]))
    assert owner.status_code == 403
    assert "Oncomark" not in owner.text
    assert client.post(f"/claims/{made.json()['id']}/withdraw").status_code == 200
    assert "No claim is waiting." in client.get("/ui/admin/claims/panel").text


@pytest.mark.sqlite_only
def test_a_profile_page_offers_administrators_to_merge_its_lookalikes(
    anonymous: TestClient, client: TestClient
) -> None:
    """A profile's page lists, for administrators only (a fragment only an admin's key reads,
    fetched once the script sees one), the profiles that look like it, each with why and "Merge
    it into this profile"; a profile like no other has no such list."""
    first = create_organisation(anonymous, name="Nephron Labs GmbH", country="DE", website=None)
    second = create_organisation(anonymous, name="Nephron Labs", country="DE", website=None)
    alone = create_organisation(anonymous, name="Kidney Panels", country="AT", website=None)
    page = anonymous.get(f"/ui/organisations/{first['id']}").text
    panel = f"/ui/organisations/{first['id']}/lookalikes"
    assert f'data-admin-only hidden data-fragment="{panel}"' in page
    assert 'id="admin-duplicates"' not in page  # nothing computed for a visitor
    assert anonymous.get(panel).status_code == 401
    owner = anonymous.get(panel, headers=bearer(first["api_key"]))
    assert owner.status_code == 403
    [box] = re.findall(
        r'<div class="notice notice-warn" id="admin-duplicates">(.*?)</div>',
        client.get(panel).text,
        re.S,
    )
    assert f'<a href="/ui/organisations/{second["id"]}">Nephron Labs</a>' in box
    assert "a near-identical name in the same country" in box
    assert (
        f'data-action="merge-organisation" data-organisation-id="{first["id"]}" '
        'data-version="1" data-external-id="" data-verified="null" '
        f'data-absorb="{second["id"]}" data-absorb-name="Nephron Labs" '
        'data-absorb-possessive="Nephron Labs\'" data-absorb-keys="1" '
        'data-absorb-verified="null" data-absorb-external-id="" '
        f'data-fills="{MERGE_FILLS}">'
        "Merge it into this profile</button>" in box
    )
    assert (
        'id="admin-duplicates"'
        not in client.get(f"/ui/organisations/{alone['id']}/lookalikes").text
    )


def test_lookalikes_show_what_decides_a_merge_for_each_and_for_this_profile(
    anonymous: TestClient, client: TestClient, engine: Engine, tmp_path: Path
) -> None:
    """On an imported record's page, a verified profile registered here with two working keys
    (a third revoked) is listed as registered here, verified, with its 2 keys, its contact's
    domain (never the address) and its dates, and the record itself likewise above the list;
    the merge button carries both sides' facts for the question the script asks."""
    source = tmp_path / "record.json"
    record = {
        "external_id": "cordis:999990001",
        "name": "EUROPEAN MEDICINES AGENCY",
        "stakeholder_type": "regulator",
        "country": "NL",
        "website": "www.ema.europa.eu",
    }
    source.write_text(json.dumps([record]))
    assert import_organisations_json(engine, source).created == 1
    registered = create_organisation(
        anonymous,
        name="EMA",
        stakeholder_type="regulator",
        country="NL",
        website="https://www.ema.europa.eu/en",
        contact_email="Partnering@EMA.Europa.eu",
    )
    assert (
        client.post(f"/admin/organisations/{registered['id']}/type-verification").status_code == 200
    )
    for _ in range(2):
        issued = client.post(f"/organisations/{registered['id']}/keys")
        assert issued.status_code == 201, issued.text
    revoked = client.delete(f"/admin/keys/{issued.json()['id']}")
    assert revoked.status_code == 200, revoked.text
    [imported] = [
        found
        for found in client.get("/organisations", params={"q": "medicines"}).json()["items"]
        if found.get("external_id") == "cordis:999990001"
    ]
    today = utc_now()
    on = f"{today.day} {today:%b %Y}"

    panel = client.get(f"/ui/organisations/{imported['id']}/lookalikes").text
    assert (
        "This profile: imported record cordis:999990001; type unverified; 0 working keys; "
        f"no contact address; created {on}, last changed {on}.</p>"
    ) in panel
    [row] = re.findall(r"<li>(.*?)</li>", panel, re.S)
    assert (
        f'<a href="/ui/organisations/{registered["id"]}">EMA</a> (Regulator, Netherlands): '
        "the same website (registered here; type verified; 2 working keys; contact at "
        f"ema.europa.eu; created {on}, last changed {on}) <button"
    ) in row
    assert (
        f'data-organisation-id="{imported["id"]}" data-version="{imported["version"]}" '
        'data-external-id="cordis:999990001" data-verified="false" '
        f'data-absorb="{registered["id"]}" data-absorb-name="EMA" '
        'data-absorb-possessive="EMA\'s" data-absorb-keys="2" '
        'data-absorb-verified="true" data-absorb-external-id="" '
        f'data-fills="{MERGE_FILLS}">'
    ) in row
    assert "partnering" not in panel.casefold()

    # From the registered profile's page, the other way round.
    panel = client.get(f"/ui/organisations/{registered['id']}/lookalikes").text
    assert "This profile: registered here; type verified; 2 working keys; contact at " in panel
    assert "(imported record cordis:999990001; type unverified; 0 working keys;" in panel
    assert (
        'data-external-id="" data-verified="true" '
        f'data-absorb="{imported["id"]}" data-absorb-name="EUROPEAN MEDICINES AGENCY" '
        'data-absorb-possessive="EUROPEAN MEDICINES AGENCY\'s" '
        'data-absorb-keys="0" data-absorb-verified="false" '
        'data-absorb-external-id="cordis:999990001" '
        f'data-fills="{MERGE_FILLS}">'
    ) in panel


@pytest.mark.sqlite_only
def test_a_registered_profiles_lookalikes_say_to_claim_an_imported_record_only(
    anonymous: TestClient, engine: Engine, tmp_path: Path
) -> None:
    """After registering, a lookalike imported from CORDIS is marked so and the page says to
    claim it or have it merged; a lookalike registered here is one an administrator merges,
    with no word of claiming an imported record."""
    source = tmp_path / "record.json"
    record = {"external_id": "cordis:999991428", "name": "ONCOMARK DIAGNOSTICS BV"}
    source.write_text(json.dumps([{**record, "stakeholder_type": "sme", "country": "NL"}]))
    assert import_organisations_json(engine, source).created == 1
    create_organisation(anonymous, name="Nordlys Biobank AS", country="NO", website=None)
    imported = create_organisation(anonymous, name="Oncomark Diagnostics", website=None)
    registered = create_organisation(anonymous, name="Nordlys Biobank", country="NO", website=None)

    page = anonymous.get(f"/ui/organisations/new?registered={imported['id']}").text
    assert (
        "If one is yours, ask an administrator to merge the two or claim the imported record, "
        "rather than keeping both:"
    ) in page
    assert ">ONCOMARK DIAGNOSTICS BV</a> (SME, Netherlands, imported from CORDIS):" in page
    page = anonymous.get(f"/ui/organisations/new?registered={registered['id']}").text
    assert (
        "If one is yours (registered here before, by a colleague perhaps), ask an administrator "
        "to merge the two, rather than keeping both:"
    ) in page
    assert ">Nordlys Biobank AS</a> (Academia, Norway):" in page
    assert "claim" not in page.split('id="duplicates"')[1].split("</div>")[0]


@pytest.mark.sqlite_only
def test_the_claim_page_lists_the_imported_records_like_the_profile_with_their_pic(
    anonymous: TestClient, client: TestClient, engine: Engine, tmp_path: Path
) -> None:
    """The claim form lists the imported CORDIS records that look like the profile, each with
    its PIC and a link that fills the form with it; a lookalike registered here is not one to
    claim. The record's own page shows its PIC, and so does the claimant's once the claim is
    confirmed (the record merged into it); a profile registered here shows none."""
    source = tmp_path / "record.json"
    record = {"external_id": "cordis:999991428", "name": "ONCOMARK DIAGNOSTICS BV"}
    source.write_text(json.dumps([{**record, "stakeholder_type": "sme", "country": "NL"}]))
    assert import_organisations_json(engine, source).created == 1
    registered = create_organisation(anonymous, name="Oncomark Diagnostics B.V.", country="NL")
    owner = create_organisation(anonymous, name="Oncomark Diagnostics", country="NL")

    page = anonymous.get(f"/ui/organisations/{owner['id']}/claim").text
    [listed] = re.findall(r'<div class="notice" id="claim-records">(.*?)</div>', page, re.S)
    assert "1 imported CORDIS record looks like Oncomark Diagnostics:" in listed
    assert "ONCOMARK DIAGNOSTICS BV</a> (Netherlands), PIC 999991428:" in listed
    assert '<a href="?record=999991428#claim-record">claim this record</a>' in listed
    assert "B.V." not in listed
    assert 'aria-describedby="claim-record-hint" value="">' in page

    filled = anonymous.get(f"/ui/organisations/{owner['id']}/claim?record=999991428").text
    assert 'aria-describedby="claim-record-hint" value="999991428">' in filled
    hostile = anonymous.get(f"/ui/organisations/{owner['id']}/claim", params={"record": '1">x'})
    assert 'aria-describedby="claim-record-hint" value="">' in hostile.text

    imported_id = int(re.findall(r'href="/ui/organisations/(\d+)">ONCOMARK', listed)[0])
    imported_page = anonymous.get(f"/ui/organisations/{imported_id}").text
    assert '<span id="cordis-pic">CORDIS PIC 999991428</span>' in imported_page
    assert 'id="cordis-pic"' not in anonymous.get(f"/ui/organisations/{registered['id']}").text
    assert 'id="cordis-pic"' not in anonymous.get(f"/ui/organisations/{owner['id']}").text

    made = anonymous.post(
        f"/organisations/{owner['id']}/claims",
        json={"record": "999991428"},
        headers=bearer(owner["api_key"]),
    )
    assert made.status_code == 201, made.text
    confirmed = client.post(f"/admin/claims/{made.json()['id']}/confirm")
    assert confirmed.status_code == 200, confirmed.text
    claimed_page = anonymous.get(f"/ui/organisations/{owner['id']}").text
    assert '<span id="cordis-pic">CORDIS PIC 999991428</span>' in claimed_page


def test_a_claim_of_a_record_without_a_website_is_refused_in_words_for_the_form_and_the_api(
    anonymous: TestClient, engine: Engine, tmp_path: Path
) -> None:
    """An address for a record with no website of its own is refused naming the field for the
    API (`email`) and saying what to do without the API's field name, since the claim form
    shows the refusal and marks the field it labels "Where to send the link (optional)"."""
    source = tmp_path / "record.json"
    record = {"external_id": "cordis:999991428", "name": "ONCOMARK DIAGNOSTICS BV"}
    source.write_text(json.dumps([{**record, "stakeholder_type": "sme", "country": "NL"}]))
    assert import_organisations_json(engine, source).created == 1
    owner = create_organisation(anonymous, name="Oncomark Diagnostics", country="NL")
    refused = anonymous.post(
        f"/organisations/{owner['id']}/claims",
        json={"record": "999991428", "email": "partnering"},
        headers=bearer(owner["api_key"]),
    )
    assert refused.status_code == 422, refused.text
    said = (
        "The record has no website of its own, so no address can confirm the claim: make the "
        "claim without an address and an administrator will confirm it."
    )
    assert refused.json()["detail"] == said
    assert refused.json()["errors"] == [{"field": "email", "message": said}]
    form = anonymous.get(f"/ui/organisations/{owner['id']}/claim").text
    assert '<label for="claim-email">Where to send the link (optional)</label>' in form
    assert 'id="claim-email" name="email"' in form


def test_a_profile_shows_the_pics_of_every_record_merged_into_it_through_a_chain(
    anonymous: TestClient, client: TestClient, engine: Engine, tmp_path: Path
) -> None:
    """Record 111 merged into record 222, then 222 into a registered profile: the profile shows
    both PICs."""
    source = tmp_path / "records.json"
    records = [
        {"external_id": f"cordis:{pic}", "name": f"Record {pic}", "stakeholder_type": "sme"}
        | {"country": "NL"}
        for pic in (111, 222)
    ]
    source.write_text(json.dumps(records))
    assert import_organisations_json(engine, source).created == 2
    found = anonymous.get("/organisations", params={"q": "record"}).json()["items"]
    ids = {item["name"]: item["id"] for item in found}
    registered = create_organisation(anonymous, name="Registered Here", country="NL")

    def merge(survivor: int, absorbed: int, version: int) -> None:
        response = client.post(
            f"/admin/organisations/{survivor}/merge",
            json={"absorb": absorbed, "absorb_version": version},
            headers={"If-Match": '"1"'},
        )
        assert response.status_code == 200, response.text

    merge(ids["Record 222"], ids["Record 111"], 1)
    survivor = anonymous.get(f"/organisations/{ids['Record 222']}").json()
    response = client.post(
        f"/admin/organisations/{registered['id']}/merge",
        json={"absorb": ids["Record 222"], "absorb_version": survivor["version"]},
        headers={"If-Match": '"1"'},
    )
    assert response.status_code == 200, response.text
    page = anonymous.get(f"/ui/organisations/{registered['id']}").text
    shown = re.findall(r'<span id="cordis-pic">[^<]*</span>', page)
    assert shown == ['<span id="cordis-pic">CORDIS PICs 111 and 222</span>']


@pytest.mark.sqlite_only
def test_deleting_an_imported_profile_is_asked_with_what_a_later_import_does(
    anonymous: TestClient, engine: Engine, tmp_path: Path
) -> None:
    """The administrator's "Delete this profile" of an imported profile is marked so that the
    question says later imports will not bring it back; a registered profile's is not."""
    source = tmp_path / "record.json"
    record = {"external_id": "cordis:999991428", "name": "ONCOMARK DIAGNOSTICS BV"}
    source.write_text(json.dumps([{**record, "stakeholder_type": "sme", "country": "NL"}]))
    assert import_organisations_json(engine, source).created == 1
    [imported] = anonymous.get("/organisations", params={"q": "oncomark"}).json()["items"]
    registered = create_organisation(anonymous, name="Nordlys Biobank", country="NO")
    for organisation, marked in ((imported, True), (registered, False)):
        page = anonymous.get(f"/ui/organisations/{organisation['id']}").text
        [button] = re.findall(r'<button [^>]*data-action="delete-organisation"[^>]*>', page)
        assert (" data-imported" in button) is marked, button
