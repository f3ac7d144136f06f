"""The partnering pages, rendered by the server: a call's partner requests, "Contact", the
message form, the inbox and "Publish as partner request" on a draft's gaps."""

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event
from sqlmodel import Session, col, select

from api.web import partnering as partnering_pages
from matchmaker.importers.runner import import_organisations_json
from matchmaker.repository import stored_id
from models.organisation import Organisation
from tests.factories import create_call, create_organisation
from tests.helpers import Page, assert_problem, bearer
from tests.servers import ADMIN_TOKEN

HOSTILE = '<script>alert("x")</script> & <b>bold</b>'


def _scene(client: TestClient) -> dict[str, Any]:
    """A call needing a university and a patient organisation, and one of each."""
    call = create_call(
        client,
        identifier="LIVER-2099",
        title="Liver disease screening",
        description="Early detection of liver disease with patient panels.",
        rule_set="none",
        required_stakeholders={"academia": 1, "patient_organisation": 1},
        min_countries=1,
        opening_date=None,
        deadline="2099-03-01",
    )
    writer = create_organisation(
        client,
        name="Writer University",
        description="Liver disease screening studies.",
        contact_email="writer@private.example",
    )
    patients = create_organisation(
        client,
        name="Liver Patients Europe",
        stakeholder_type="patient_organisation",
        country="BE",
        description="Patient panels for liver disease screening.",
        contact_email="patients@private.example",
    )
    return {"call": call, "writer": writer, "patients": patients}


def _draft(client: TestClient, scene: dict[str, Any]) -> dict[str, Any]:
    response = client.post(
        "/consortia",
        headers=bearer(scene["writer"]["api_key"]),
        json={
            "name": "Screening draft",
            "call_id": scene["call"]["id"],
            "members": [{"organisation_id": scene["writer"]["id"]}],
        },
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _contact(client: TestClient, scene: dict[str, Any], message: str) -> dict[str, Any]:
    response = client.post(
        f"/organisations/{scene['patients']['id']}/contact-requests",
        headers=bearer(scene["writer"]["api_key"]),
        json={"call_id": scene["call"]["id"], "message": message},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _item(page: str, request_id: int) -> str:
    """The inbox's entry for one request."""
    return page.split(f'class="card contact-request" data-request-id="{request_id}"')[1].split(
        "</li>"
    )[0]


@pytest.mark.sqlite_only
def test_call_page_without_partner_requests_shows_no_count_of_zero(
    client: TestClient, anonymous: TestClient
) -> None:
    """With no partner request, neither the header's jump nor the section's heading reads
    "Looking for partners (0)": the section says there are none and how to publish one."""
    scene = _scene(client)
    page = anonymous.get(f"/ui/calls/{scene['call']['id']}").text
    assert "(0)" not in page
    assert "data-jump-requests>Looking for partners</a>" in page
    assert 'tabindex="-1">Looking for partners</h2>' in page
    assert "No organisation is looking for partners for this call yet." in page


@pytest.mark.sqlite_only
def test_call_page_says_the_countries_a_request_seeks_with_the_types_it_seeks(
    client: TestClient, anonymous: TestClient
) -> None:
    """A request from a Dutch university seeking patient organisations from Germany reads
    "Looking for: Patient organisation, from Germany", as the answer form and the profile's
    fitting requests say it, not "From Germany" beside the university's own country, where it
    read as where the university is from."""
    scene = _scene(client)
    call_id = scene["call"]["id"]
    published = client.post(
        f"/calls/{call_id}/partner-requests",
        headers=bearer(scene["writer"]["api_key"]),
        json={"stakeholder_types": ["patient_organisation"], "countries": ["DE", "AT"]},
    )
    assert published.status_code == 201, published.text
    request_id = published.json()["id"]
    page = anonymous.get(f"/ui/calls/{call_id}").text
    card = page.split(f'data-partner-request-id="{request_id}"')[1].split("</li>")[0]
    sought = "<strong>Looking for:</strong> Patient organisation, from Austria, Germany</p>"
    assert sought in card
    meta = card.split('<p class="meta">')[1].split("</p>")[0]
    assert "Germany" not in meta
    assert "Austria" not in meta
    answer = anonymous.get(f"/ui/partner-requests/{request_id}/answer").text
    assert sought in answer


@pytest.mark.sqlite_only
def test_a_request_says_beside_its_answer_when_the_organisation_is_not_what_it_seeks(
    client: TestClient, anonymous: TestClient
) -> None:
    """The Berlin demo case: a request seeking patient organisations from Germany. On the
    call's page its "Answer" loads, with the signed-in key, whether the organisation fits: a
    Belgian patient organisation reads that it is not what the request seeks and why (and
    that it can still answer), a German one nothing, nor the publisher; the answer form loads
    the same warning above the message, before anything is sent. The question is
    `request_fit`'s, as the profile's list (which leaves the request out for the Belgian one)
    and the saved searches ask it."""
    scene = _scene(client)
    call_id = scene["call"]["id"]
    belgian = scene["patients"]
    german = create_organisation(
        client, name="Leberhilfe Berlin", stakeholder_type="patient_organisation", country="DE"
    )
    published = client.post(
        f"/calls/{call_id}/partner-requests",
        headers=bearer(scene["writer"]["api_key"]),
        json={"stakeholder_types": ["patient_organisation"], "countries": ["DE"]},
    )
    assert published.status_code == 201, published.text
    request_id = published.json()["id"]
    fit_url = f"/ui/partner-requests/{request_id}/fit"

    call_page = anonymous.get(f"/ui/calls/{call_id}").text
    card = call_page.split(f'data-partner-request-id="{request_id}"')[1]
    actions = card.split(f'data-not-self="{scene["writer"]["id"]}" hidden>')[1].split("</li>")[0]
    assert (
        f'>Answer</a><div class="request-fit-slot" data-fit-slot="{request_id}"></div>' in actions
    )
    # The page asks once for the whole list; the answer holds a note for each request that does
    # not fit the organisation signed in, and nothing for the others.
    fits_url = f"/ui/partner-requests/fits?id={request_id}"
    assert f'data-request-fits="{fits_url}"' in call_page
    answer_form = anonymous.get(f"/ui/partner-requests/{request_id}/answer").text
    warning = f'<div id="request-fit" data-organisation-key data-fragment="{fit_url}"></div>'
    assert answer_form.index(warning) < answer_form.index('id="contact-form"')

    told = anonymous.get(fit_url, headers=bearer(belgian["api_key"]))
    assert told.status_code == 200
    assert told.headers["cache-control"] == "no-store"
    assert (
        '<p class="notice notice-warn request-fit" data-request-fit="no"><strong>Not what this '
        "request seeks.</strong> It seeks partners from Germany; yours is in Belgium. You can "
        "still answer: say why your organisation would help all the same.</p>"
    ) in told.text
    ranked = anonymous.get(
        f"/organisations/{belgian['id']}/partner-requests", headers=bearer(belgian["api_key"])
    )
    assert ranked.json()["items"] == []
    listed = anonymous.get(f"{fits_url}&id=999", headers=bearer(belgian["api_key"]))
    assert listed.headers["cache-control"] == "no-store"
    notes = listed.text.split(f'<template data-fit-for="{request_id}">')
    assert len(notes) == 2
    assert "data-fit-for" not in notes[0] + notes[1]
    assert notes[1].split("</template>")[0].strip() == told.text.strip()
    for fits in (german, scene["writer"]):
        quiet = anonymous.get(fit_url, headers=bearer(fits["api_key"]))
        assert (quiet.status_code, "request-fit" in quiet.text) == (200, False)
        none = anonymous.get(fits_url, headers=bearer(fits["api_key"]))
        assert (none.status_code, "data-fit-for" in none.text) == (200, False)
    academic = create_organisation(client, name="Berlin University", country="DE")
    other_type = anonymous.get(fit_url, headers=bearer(academic["api_key"])).text
    assert "It seeks patient organisations; yours is an academic partner." in other_type

    assert_problem(anonymous.get(fit_url), 401)
    assert_problem(anonymous.get(fits_url), 401)
    assert_problem(anonymous.get(fits_url, headers=bearer(ADMIN_TOKEN)), 403)
    many = "&".join(f"id={number}" for number in range(1, 502))
    assert_problem(
        anonymous.get(f"/ui/partner-requests/fits?{many}", headers=bearer(belgian["api_key"])), 422
    )
    assert_problem(anonymous.get(fit_url, headers=bearer(ADMIN_TOKEN)), 403)
    missing = "/ui/partner-requests/999/fit"
    assert_problem(anonymous.get(missing, headers=bearer(belgian["api_key"])), 404)


@pytest.mark.sqlite_only
def test_call_page_lists_its_open_partner_requests_without_addresses(
    client: TestClient, anonymous: TestClient
) -> None:
    """Who is looking, for which types, until when, and the pitch, escaped; no address."""
    scene = _scene(client)
    call_id = scene["call"]["id"]
    empty = anonymous.get(f"/ui/calls/{call_id}").text
    assert "No organisation is looking for partners for this call yet." in empty
    published = client.post(
        f"/calls/{call_id}/partner-requests",
        headers=bearer(scene["writer"]["api_key"]),
        json={"stakeholder_types": ["patient_organisation"], "pitch": HOSTILE},
    )
    assert published.status_code == 201, published.text
    page = anonymous.get(f"/ui/calls/{call_id}").text
    assert 'Looking for partners <span class="count">(1)</span>' in page
    card = page.split(f'data-partner-request-id="{published.json()["id"]}"')[1].split("</li>")[0]
    assert "Writer University" in card
    assert "<strong>Looking for:</strong> Patient organisation" in card
    assert "Open until" in card
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in card
    assert "<script>alert" not in page
    assert "@private.example" not in page
    client.delete(
        f"/partner-requests/{published.json()['id']}", headers=bearer(scene["writer"]["api_key"])
    )
    withdrawn = anonymous.get(f"/ui/calls/{call_id}").text
    assert "No organisation is looking for partners for this call yet." in withdrawn
    assert "(0)" not in withdrawn


@pytest.mark.sqlite_only
def test_call_suggestions_offer_contact_once_signed_in(
    client: TestClient, anonymous: TestClient
) -> None:
    """Each suggested organisation has a Contact link naming the call, hidden until sign-in;
    on Find expertise, the link names no call."""
    scene = _scene(client)
    call_id = scene["call"]["id"]
    page = anonymous.get(f"/ui/calls/{call_id}").text
    links = re.findall(
        r'<a class="button button-small" data-when="signed-in"[^>]*>Contact</a>', page
    )
    assert len(links) == len(Page(page).rows) == 2
    patients_id = scene["patients"]["id"]
    assert (
        f'data-not-self="{patients_id}" hidden '
        f'href="/ui/organisations/{patients_id}/contact?call_id={call_id}" '
        'aria-label="Contact Liver Patients Europe"'
    ) in page
    # Find expertise has no call: the contact page asks which one the message is about.
    expertise = anonymous.get("/ui/expertise?q=liver+disease").text
    assert (
        f'data-not-self="{patients_id}" hidden '
        f'href="/ui/organisations/{patients_id}/contact" '
        'aria-label="Contact Liver Patients Europe"'
    ) in expertise


@contextmanager
def statements_on(table: str) -> Iterator[list[str]]:
    """The SQL statements any engine runs, meanwhile, that name `table`."""
    seen: list[str] = []

    def note(*args: Any) -> None:
        statement = args[2]
        if table in statement:
            seen.append(statement)

    event.listen(Engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", note)


def test_suggestions_say_which_organisations_no_one_reads_messages_for_yet(
    client: TestClient, anonymous: TestClient, engine: Engine, tmp_path: Path
) -> None:
    """Profiles copied from CORDIS that no one claimed (no key, no contact e-mail) are counted
    above a call's suggested partners and Find expertise's, and each of their rows says so in
    words, its Contact link described by it; a registered profile without an e-mail (its key
    reads) and an imported one given a key are not, until the registered one's key is revoked.
    The page asks about keys in one query."""
    scene = _scene(client)
    source = tmp_path / "cordis.json"
    records = [
        {"external_id": f"cordis:99999{n}", "name": name, "stakeholder_type": "sme"}
        for n, name in enumerate(["HEPASCAN BV", "LIVERLINE GMBH", "SCREENHEP SRL"])
    ]
    for record in records:
        record["description"] = "Liver disease screening with patient panels."
        record["country"] = "NL"
    source.write_text(json.dumps(records))
    assert import_organisations_json(engine, source).created == 3
    imported = {
        item["name"]: item["id"]
        for item in client.get("/organisations", params={"stakeholder_type": "sme"}).json()["items"]
    }
    claimed = imported["SCREENHEP SRL"]
    issued = client.post("/admin/keys", json={"role": "organisation", "organisation_id": claimed})
    assert issued.status_code == 201, issued.text
    silent = create_organisation(
        client,
        name="Quiet Liver Lab",
        description="Liver disease screening studies.",
        contact_email=None,
    )
    unread = {imported["HEPASCAN BV"], imported["LIVERLINE GMBH"]}
    mark = "No one reads messages here yet"
    call_page = f"/ui/calls/{scene['call']['id']}"
    for path in (call_page, "/ui/expertise?q=liver+disease+screening"):
        with statements_on("api_keys") as asked:
            page = anonymous.get(path).text
        assert len(asked) == 1, path
        shown = {
            int(found.group(1)): found.group(2)
            for found in re.finditer(
                r'<tr data-organisation-id="(\d+)"[^>]*>(.*?)</tr>', page, re.S
            )
        }
        assert set(shown) >= unread | {claimed, silent["id"], scene["patients"]["id"]}, path
        assert (
            f"2 of these {len(shown)} have no one on matchmaker to read a message yet, "
            f"marked “{mark}”."
        ) in page, path
        assert "to reach one now, use the contact details on its own website." in page, path
        for organisation_id, row in shown.items():
            marked = f'id="unread-{organisation_id}" data-unread>{mark}</p>'
            assert (marked in row) is (organisation_id in unread), (path, organisation_id)
            described = f'aria-describedby="unread-{organisation_id}"'
            assert (described in row) is (organisation_id in unread), (path, organisation_id)

    # Once its key is revoked, no one reads the registered profile without an e-mail either.
    [key] = [
        item
        for item in client.get("/admin/keys", params={"limit": 200}).json()["items"]
        if item["organisation_id"] == silent["id"]
    ]
    assert client.delete(f"/admin/keys/{key['id']}").status_code == 200
    page = anonymous.get(call_page).text
    assert "3 of these " in page
    assert f'id="unread-{silent["id"]}" data-unread>{mark}</p>' in page


def _unclaimed(engine: Engine, tmp_path: Path, kind: str, names: dict[str, str]) -> dict[str, int]:
    """Profiles of `kind` (by name, each in its country) copied from CORDIS as no one has
    claimed them: no key, no e-mail."""
    source = tmp_path / f"cordis-{kind}.json"
    records = [
        {
            "external_id": f"cordis:98{n}",
            "name": name,
            "stakeholder_type": kind,
            "country": country,
            "description": "Patient panels for liver disease screening.",
        }
        for n, (name, country) in enumerate(names.items())
    ]
    source.write_text(json.dumps(records))
    assert import_organisations_json(engine, source).created == len(names)
    with Session(engine) as session:
        found = session.exec(select(Organisation).where(col(Organisation.name).in_(names)))
        return {organisation.name: stored_id(organisation) for organisation in found}


@pytest.mark.sqlite_only
def test_draft_candidates_say_which_no_one_reads_messages_for_yet(
    client: TestClient, engine: Engine, tmp_path: Path
) -> None:
    """A draft's candidates for a gap mark those no one reads messages for yet (imported and
    unclaimed, or registered without an e-mail and with no working key), in the suggestions'
    words, the mark describing the candidate's Contact link, and a sentence above the list
    counts them; a claimed profile and one with an e-mail are not marked. The panel asks about
    keys in one query for all its lists."""
    scene = _scene(client)
    ruled = create_call(
        client,
        identifier="HORIZON-LIVER-2099",
        title="Liver disease screening under Horizon Europe's rules",
        description="Early detection of liver disease with patient panels.",
        programme="Horizon Europe",
        rule_set="horizon-europe",
        required_stakeholders={"patient_organisation": 1},
        opening_date="2024-01-10",
        deadline="2099-03-01",
    )
    draft = _draft(client, {**scene, "call": ruled})
    imported = _unclaimed(
        engine,
        tmp_path,
        "patient_organisation",
        {"HEPAPANEL": "NL", "LIVERVOICE": "AT", "SCREENVOICE": "NL"},
    )
    claimed = imported.pop("SCREENVOICE")
    issued = client.post("/admin/keys", json={"role": "organisation", "organisation_id": claimed})
    assert issued.status_code == 201, issued.text
    silent = create_organisation(
        client,
        name="Quiet Liver Patients",
        stakeholder_type="patient_organisation",
        description="Patient panels for liver disease screening.",
        contact_email=None,
    )
    [key] = [
        item
        for item in client.get("/admin/keys", params={"limit": 200}).json()["items"]
        if item["organisation_id"] == silent["id"]
    ]
    assert client.delete(f"/admin/keys/{key['id']}").status_code == 200
    unread = {*imported.values(), silent["id"]}
    mark = "No one reads messages here yet"

    with statements_on("api_keys") as asked:
        page = client.get(f"/ui/consortia/{draft['id']}/panel").text
    assert len(asked) == 1
    # Each list, up to the next requirement or rule: a gap's, and a programme rule's.
    lists = {
        name: page.split(f'data-{name}"')[1].split('class="requirement ')[0]
        for name in ('requirement="patient_organisation', 'rule="independent-entities')
    }
    gap, rule = lists.values()
    in_gap = re.findall(r'<li class="candidate" data-organisation-id="(\d+)"', gap)
    assert set(map(int, in_gap)) >= unread | {claimed, scene["patients"]["id"]}
    assert (
        f"3 of these {len(in_gap)} have no one on matchmaker to read a message yet, "
        f"marked “{mark}”."
    ) in gap
    # Imported in Austria, LIVERVOICE would also meet the rule; the others are in the
    # Netherlands, as the draft's member is.
    in_rule = re.findall(r'<li class="candidate" data-organisation-id="(\d+)"', rule)
    assert str(imported["LIVERVOICE"]) in in_rule
    assert f"1 of these {len(in_rule)} has no one on matchmaker" in rule
    every = re.findall(r'<li class="candidate" data-organisation-id="(\d+)">(.*?)</li>', page, re.S)
    assert len(every) > len(in_gap) + len(in_rule)
    for organisation_id, item in every:
        found = re.search(r'<p class="[^"]*" id="(unread-[\w-]+)" data-unread>([^<]*)</p>', item)
        assert (found is not None) is (int(organisation_id) in unread), organisation_id
        if found is not None:
            assert found.group(2) == mark
            assert f'aria-describedby="{found.group(1)}">Contact</a>' in item
            assert page.count(f'id="{found.group(1)}"') == 1
        else:
            assert "aria-describedby" not in item


@pytest.mark.sqlite_only
def test_builder_marks_proposed_members_no_one_reads_messages_for_yet(
    client: TestClient, anonymous: TestClient, engine: Engine, tmp_path: Path
) -> None:
    """The consortium builder's proposal and its alternatives mark, in the suggestions' words,
    the members no one reads messages for yet; a claimed profile and ones with an e-mail are
    not marked. The page asks about keys in one query for every proposal it shows."""
    scene = _scene(client)
    imported = _unclaimed(
        engine, tmp_path, "patient_organisation", {"HEPAPANEL": "NL", "SCREENVOICE": "NL"}
    )
    claimed = imported.pop("SCREENVOICE")
    issued = client.post("/admin/keys", json={"role": "organisation", "organisation_id": claimed})
    assert issued.status_code == 201, issued.text
    unread = set(imported.values())
    builder = f"/ui/calls/{scene['call']['id']}/consortium"
    mark = '<p class="evidence unread-mark" data-unread>No one reads messages here yet</p>'

    with statements_on("api_keys") as asked:
        page = anonymous.get(builder, params={"include": imported["HEPAPANEL"]}).text
    assert len(asked) == 1
    rows = re.findall(r'<tr data-organisation-id="(\d+)"[^>]*>(.*?)</tr>', page, re.S)
    shown = {int(organisation_id) for organisation_id, _ in rows}
    assert shown >= unread | {claimed, scene["writer"]["id"], scene["patients"]["id"]}
    for organisation_id, row in rows:
        assert (mark in row) is (int(organisation_id) in unread), organisation_id
    proposed = (
        len(page.split('id="unread-proposal">')[1].split("</table>")[0].split("<tr data-")) - 1
    )
    assert (
        f'<p class="notice" id="unread-proposal">1 of these {proposed} has no one on matchmaker '
        "to read a message yet, marked “No one reads messages here yet”.</p>"
    ) in page
    # Without it kept, the proposal has no such member and the page says nothing of it.
    page = anonymous.get(builder, params={"exclude": imported["HEPAPANEL"]}).text
    assert "data-unread" not in page


@pytest.mark.sqlite_only
def test_lists_where_no_one_reads_messages_for_any_say_it_once(
    client: TestClient, anonymous: TestClient, engine: Engine, tmp_path: Path
) -> None:
    """In a new deployment of profiles copied from CORDIS, no one reads messages for any of
    them: a call's suggested partners, the builder's proposal (and each alternative) and a
    draft's candidates say so once, in the sentence above the list, with no line repeated on
    each row, and each Contact link is described by that sentence."""
    call = create_call(
        client,
        identifier="LIVER-2099",
        title="Liver disease screening",
        description="Early detection of liver disease with patient panels.",
        rule_set="none",
        required_stakeholders={"patient_organisation": 1},
        min_countries=1,
        opening_date=None,
        deadline="2099-03-01",
    )
    imported = _unclaimed(
        engine,
        tmp_path,
        "patient_organisation",
        {"HEPAPANEL": "NL", "LIVERVOICE": "AT", "SCREENVOICE": "BE"},
    )
    mark = "No one reads messages here yet"

    page = client.get(f"/ui/calls/{call['id']}").text
    rows = dict(re.findall(r'<tr data-organisation-id="(\d+)"[^>]*>(.*?)</tr>', page, re.S))
    assert set(map(int, rows)) == set(imported.values())
    assert (
        '<p class="notice" id="unread-suggestions">None of these 3 has anyone on matchmaker '
        "to read a message yet."
    ) in page
    assert mark not in page
    for row in rows.values():
        assert 'aria-describedby="unread-suggestions">Contact</a>' in row

    page = anonymous.get(f"/ui/calls/{call['id']}/consortium").text
    proposed = re.findall(r'<tr data-organisation-id="(\d+)"[^>]*>', page)
    assert proposed
    assert set(map(int, proposed)) <= set(imported.values())
    said = (
        "No one on matchmaker reads messages to this organisation yet."
        if len(set(proposed)) == 1
        else f"None of these {len(set(proposed))} has anyone on matchmaker"
    )
    assert f'<p class="notice" id="unread-proposal">{said}' in page
    # Each alternative, folded away under its own heading, says it above its own table.
    alternatives = page.count('<section class="alternative"')
    assert alternatives
    assert page.count('<p class="notice" id="unread-alternative-') == alternatives
    assert "data-unread>" not in page

    writer = create_organisation(
        client,
        name="Writer University",
        description="Liver disease screening studies.",
        contact_email="writer@private.example",
    )
    draft = _draft(client, {"call": call, "writer": writer})
    page = client.get(f"/ui/consortia/{draft['id']}/panel").text
    gap = page.split('data-requirement="patient_organisation"')[1]
    items = re.findall(r'<li class="candidate" data-organisation-id="(\d+)">(.*?)</li>', gap, re.S)
    assert {int(organisation_id) for organisation_id, _ in items} == set(imported.values())
    [sentence] = re.findall(
        r'<p class="requirement-message" id="(unread-[\w-]+)" data-unread-count>([^<]*)</p>', gap
    )
    assert sentence[1] == "None of these 3 has anyone on matchmaker to read a message yet."
    assert mark not in page
    for _, item in items:
        assert f'aria-describedby="{sentence[0]}">Contact</a>' in item
    assert page.count(f'id="{sentence[0]}"') == 1


@pytest.mark.sqlite_only
def test_contact_page_names_the_call_and_draft_and_keeps_addresses_out(
    client: TestClient, anonymous: TestClient
) -> None:
    """The form names its recipient, call and draft; without a call, it asks which one first."""
    scene = _scene(client)
    patients_id, call = scene["patients"]["id"], scene["call"]
    response = anonymous.get(
        f"/ui/organisations/{patients_id}/contact?call_id={call['id']}&consortium_id=7"
    )
    assert response.status_code == 200
    page = response.text
    assert "<h1>Write to Liver Patients Europe</h1>" in page
    assert f'data-call-id="{call["id"]}" data-consortium-id="7"' in page
    assert f'action="/ui/organisations/{patients_id}/contact"' in page
    assert 'maxlength="2000"' in page
    assert "Plain text, at most 2,000 characters" in page
    assert "within 14 days" in page
    assert "@private.example" not in page
    parsed = Page(page)
    assert {control["id"] for control in parsed.controls} <= parsed.labels
    for query in ("", "?call_id=999", "?call_id=abc&consortium_id=3"):
        unnamed = anonymous.get(f"/ui/organisations/{patients_id}/contact{query}")
        assert unnamed.status_code == 200, query
        assert 'id="contact-form"' not in unnamed.text
        # Which call, then, chosen in the page: the calls that fit the recipient come first.
        chooser = unnamed.text.split('id="call-choice-form"')[1].split("</form>")[0]
        assert 'method="get"' in unnamed.text.split('id="call-choice-form"')[0][-200:]
        assert '<optgroup label="Calls that fit Liver Patients Europe">' in chooser
        assert (
            f'<option value="{call["id"]}">LIVER-2099: Liver disease screening</option>' in chooser
        )
        assert ("no longer exists" in unnamed.text) is bool(query), query
        # With no call to lead back to, the way back is the recipient's profile.
        assert (
            f'<li><a href="/ui/organisations/{patients_id}">Liver Patients Europe</a></li>'
        ) in unnamed.text.split('aria-label="Breadcrumb"')[1].split("</nav>")[0]
    missing = anonymous.get("/ui/organisations/999/contact?call_id=1")
    assert missing.status_code == 404
    assert "text/html" in missing.headers["content-type"]
    refused = anonymous.post(f"/ui/organisations/{patients_id}/contact", data={"message": "x"})
    assert refused.status_code == 400
    assert "This form needs JavaScript" in refused.text


@pytest.mark.sqlite_only
def test_inbox_panel_shows_received_and_sent_with_their_actions_and_messages_escaped(
    client: TestClient, anonymous: TestClient
) -> None:
    """The recipient may accept, decline or block; the sender may withdraw; text is escaped."""
    scene = _scene(client)
    sent = _contact(client, scene, HOSTILE)
    shell = anonymous.get("/ui/inbox")
    assert shell.status_code == 200
    assert 'data-fragment="/ui/inbox/panel"' in shell.text
    assert anonymous.get("/ui/inbox/panel").status_code == 401
    admin = client.get("/ui/inbox/panel")
    assert admin.status_code == 403

    received = anonymous.get("/ui/inbox/panel", headers=bearer(scene["patients"]["api_key"]))
    assert received.status_code == 200
    assert received.headers["cache-control"] == "no-store"
    page = received.text
    item = _item(page, sent["id"])
    assert 'data-status="pending"' in page
    assert "From <a" in item
    assert "Writer University" in item
    assert "Waiting for your answer" in item
    # Type, country, status and date are set apart by space on the page; a screen reader hears
    # them apart too, never as one phrase.
    line = re.search(r'<p class="meta">(.*?)</p>', item, re.S)
    assert line is not None
    heard = re.sub(r'<span class="country-code" aria-hidden="true">\w+</span>', "", line[1])
    heard = " ".join(re.sub(r"<[^>]+>", "", heard).split())
    assert re.fullmatch(
        r"Academia, Netherlands, Waiting for your answer, Sent \d+ \w{3} \d{4}", heard
    ), heard
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in item
    assert "<script>" not in page
    assert "<b>bold" not in page
    assert 'aria-label="Accept the request from Writer University"' in item
    assert 'aria-label="Decline the request from Writer University"' in item
    assert 'aria-label="Block Writer University"' in item
    assert "Nothing sent yet." in page
    assert "@private.example" not in page

    mine = anonymous.get("/ui/inbox/panel", headers=bearer(scene["writer"]["api_key"])).text
    item = _item(mine, sent["id"])
    assert "To <a" in item
    assert 'aria-label="Withdraw your request to Liver Patients Europe"' in item
    assert "Accept" not in item
    assert "Nothing received yet." in mine
    assert "@private.example" not in mine


@pytest.mark.sqlite_only
def test_inbox_counts_none_of_zero_and_its_empty_sent_box_links_say_where_they_go(
    client: TestClient, anonymous: TestClient
) -> None:
    """A side of the inbox with nothing in it reads "Sent", never "Sent (0)", as the call page
    does for "Looking for partners"; the empty "Sent" box links to the calls and the drafts
    by what they are, not through a lone word such as "call's"."""
    scene = _scene(client)
    _contact(client, scene, "Shall we write the liver proposal together?")
    page = anonymous.get("/ui/inbox/panel", headers=bearer(scene["patients"]["api_key"])).text
    assert 'tabindex="-1">Received <span class="count">(1)</span></h2>' in page
    assert 'tabindex="-1">Sent</h2>' in page
    assert "(0)" not in page
    sent_box = page.split('id="sent-heading"')[1].split("</section>")[0]
    assert re.findall(r'<a href="([^"]+)">([^<]+)</a>', sent_box) == [
        ("/ui/calls", "find a call"),
        ("/ui/drafts", "open your drafts"),
    ]
    writer = anonymous.get("/ui/inbox/panel", headers=bearer(scene["writer"]["api_key"])).text
    assert 'tabindex="-1">Received</h2>' in writer
    assert 'tabindex="-1">Sent <span class="count">(1)</span></h2>' in writer


@pytest.mark.sqlite_only
def test_inbox_names_the_draft_a_sent_message_named(
    client: TestClient, anonymous: TestClient
) -> None:
    """A writer with two drafts for a call reads which one each message it sent named, by
    name and linked; the recipient reads only the call (the draft is the sender's)."""
    scene = _scene(client)
    _draft(client, scene)
    named = client.post(
        "/consortia",
        headers=bearer(scene["writer"]["api_key"]),
        json={"name": "Second screening bid", "call_id": scene["call"]["id"]},
    ).json()
    sent = client.post(
        f"/organisations/{scene['patients']['id']}/contact-requests",
        headers=bearer(scene["writer"]["api_key"]),
        json={
            "call_id": scene["call"]["id"],
            "consortium_id": named["id"],
            "message": "Join our second bid?",
        },
    )
    assert sent.status_code == 201, sent.text
    mine = anonymous.get("/ui/inbox/panel", headers=bearer(scene["writer"]["api_key"])).text
    assert (
        f'A message about <a href="/ui/calls/{scene["call"]["id"]}">LIVER-2099</a> and your '
        f'draft <a href="/ui/consortia/{named["id"]}">Second screening bid</a>.'
    ) in _item(mine, sent.json()["id"])
    theirs = anonymous.get("/ui/inbox/panel", headers=bearer(scene["patients"]["api_key"])).text
    assert "Second screening bid" not in theirs
    assert "draft" not in _item(theirs, sent.json()["id"])


@pytest.mark.sqlite_only
def test_inbox_panel_shows_both_addresses_after_acceptance_and_lists_blocks(
    client: TestClient, anonymous: TestClient
) -> None:
    """Accepted: each side sees the other's address; a blocked sender is listed to unblock."""
    scene = _scene(client)
    sent = _contact(client, scene, "Shall we talk?")
    accepted = client.post(
        f"/contact-requests/{sent['id']}/accept", headers=bearer(scene["patients"]["api_key"])
    )
    assert accepted.status_code == 200, accepted.text
    theirs = anonymous.get("/ui/inbox/panel", headers=bearer(scene["patients"]["api_key"])).text
    assert 'href="mailto:writer@private.example"' in theirs
    assert "patients@private.example" not in theirs
    assert "Accepted" in theirs
    assert "Accept the request" not in theirs
    mine = anonymous.get("/ui/inbox/panel", headers=bearer(scene["writer"]["api_key"])).text
    assert 'href="mailto:patients@private.example"' in mine
    assert "writer@private.example" not in mine

    blocked = client.post(
        "/inbox/blocks",
        headers=bearer(scene["patients"]["api_key"]),
        json={"organisation_id": scene["writer"]["id"]},
    )
    assert blocked.status_code == 201, blocked.text
    theirs = anonymous.get("/ui/inbox/panel", headers=bearer(scene["patients"]["api_key"])).text
    assert "Blocked senders" in theirs
    assert 'aria-label="Unblock Writer University"' in theirs
    assert 'aria-label="Block Writer University"' not in theirs


@pytest.mark.sqlite_only
def test_inbox_panel_warns_an_organisation_without_a_contact_address_before_it_accepts(
    client: TestClient, anonymous: TestClient
) -> None:
    """A recipient whose profile gives no contact address is told, before accepting and after,
    that the sender sees no address of its own, with a link to add one; the sender's side and
    a recipient with an address read as before."""
    scene = _scene(client)
    silent = create_organisation(
        client,
        name="Quiet Clinic",
        stakeholder_type="healthcare_provider",
        description="Liver disease screening in hospitals.",
        contact_email=None,
    )
    response = client.post(
        f"/organisations/{silent['id']}/contact-requests",
        headers=bearer(scene["writer"]["api_key"]),
        json={"call_id": scene["call"]["id"], "message": "Shall we talk?"},
    )
    assert response.status_code == 201, response.text
    request_id = response.json()["id"]
    edit = f'<a href="/ui/organisations/{silent["id"]}/edit">'

    pending = _item(
        anonymous.get("/ui/inbox/panel", headers=bearer(silent["api_key"])).text, request_id
    )
    assert (
        "Your profile gives no contact address: accepting would show you Writer University's"
        " address, but Writer University would see none of yours." in pending
    )
    assert f"{edit}Add one to your profile</a> before you accept." in pending
    assert 'data-name="Writer University" data-no-address' in pending

    accepted = client.post(
        f"/contact-requests/{request_id}/accept", headers=bearer(silent["api_key"])
    )
    assert accepted.status_code == 200, accepted.text
    after = _item(
        anonymous.get("/ui/inbox/panel", headers=bearer(silent["api_key"])).text, request_id
    )
    assert 'href="mailto:writer@private.example"' in after
    assert "They see your organisation's contact address too." not in after
    assert (
        f"Your profile gives no contact address, so they see none: {edit}add one to your"
        " profile</a>." in after
    )
    sender = _item(
        anonymous.get("/ui/inbox/panel", headers=bearer(scene["writer"]["api_key"])).text,
        request_id,
    )
    assert "Quiet Clinic gives no contact address in its profile." in sender
    assert "They see your organisation's contact address too." in sender

    other = _contact(client, scene, "And you?")
    with_address = _item(
        anonymous.get("/ui/inbox/panel", headers=bearer(scene["patients"]["api_key"])).text,
        other["id"],
    )
    assert "data-no-address" not in with_address
    assert "Your profile gives no contact address" not in with_address


@pytest.mark.sqlite_only
def test_draft_panel_offers_contact_and_publishing_its_gaps(
    client: TestClient, anonymous: TestClient
) -> None:
    """Gap candidates have Contact naming the draft; the missing types can be published."""
    scene = _scene(client)
    draft = _draft(client, scene)
    call_id, patients_id = scene["call"]["id"], scene["patients"]["id"]
    page = anonymous.get(
        f"/ui/consortia/{draft['id']}/panel", headers=bearer(scene["writer"]["api_key"])
    ).text
    assert (
        f'href="/ui/organisations/{patients_id}/contact?call_id={call_id}&amp;'
        f'consortium_id={draft["id"]}" aria-label="Contact Liver Patients Europe"'
    ) in page
    assert "looking for: Patient organisation." in page
    assert 'data-action="publish-request" method="post" action="/ui/drafts"' in page
    assert ">Publish as partner request</button>" in page
    parsed = Page(page)
    assert {control["id"] for control in parsed.controls} <= parsed.labels

    added = client.put(
        f"/consortia/{draft['id']}/members/{patients_id}",
        headers={**bearer(scene["writer"]["api_key"]), "If-Match": f'"{draft["version"]}"'},
    )
    assert added.status_code == 200, added.text
    full = anonymous.get(
        f"/ui/consortia/{draft['id']}/panel", headers=bearer(scene["writer"]["api_key"])
    )
    assert "Publish as partner request" not in full.text


@pytest.mark.sqlite_only
def test_partnering_pages_load_only_this_sites_assets_under_the_policy(
    client: TestClient, anonymous: TestClient
) -> None:
    """The inbox and the message form, like every page: no inline script or style, a CSP."""
    scene = _scene(client)
    paths = [
        "/ui/inbox",
        f"/ui/organisations/{scene['patients']['id']}/contact?call_id={scene['call']['id']}",
    ]
    for path in paths:
        response = anonymous.get(path)
        assert response.status_code == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page = Page(response.text)
        assert (page.inline_scripts, page.inline_styles) == (0, 0), path
        assert set(page.assets) == {
            "/ui/static/app.css",
            "/ui/static/app.js",
            "/ui/static/favicon.svg",
        }


@pytest.mark.sqlite_only
def test_partner_requests_are_answered_from_a_form_of_their_own(
    client: TestClient, anonymous: TestClient
) -> None:
    """The call page links each request to its answer form; a withdrawn one is not answerable."""
    scene = _scene(client)
    call_id = scene["call"]["id"]
    published = client.post(
        f"/calls/{call_id}/partner-requests",
        headers=bearer(scene["writer"]["api_key"]),
        json={"stakeholder_types": ["patient_organisation"], "expertise": "Patient panels."},
    )
    assert published.status_code == 201, published.text
    request_id = published.json()["id"]
    call_page = anonymous.get(f"/ui/calls/{call_id}").text
    assert (
        f'data-when="signed-in" data-not-self="{scene["writer"]["id"]}" hidden>'
        f'<a class="button button-small" href="/ui/partner-requests/{request_id}/answer" '
        'aria-label="Answer Writer University\'s partner request">Answer</a>'
    ) in call_page

    response = anonymous.get(f"/ui/partner-requests/{request_id}/answer")
    assert response.status_code == 200
    page = response.text
    assert "<h1>Answer Writer University's partner request</h1>" in page
    assert "<strong>Looking for:</strong> Patient organisation" in page
    assert "Patient panels." in page
    assert f'data-partner-request-id="{request_id}"' in page
    assert "writer@private.example" not in page

    client.delete(f"/partner-requests/{request_id}", headers=bearer(scene["writer"]["api_key"]))
    withdrawn = anonymous.get(f"/ui/partner-requests/{request_id}/answer").text
    assert "This partner request is withdrawn: it can no longer be answered." in withdrawn
    assert 'id="contact-form"' not in withdrawn
    missing = anonymous.get("/ui/partner-requests/999/answer")
    assert missing.status_code == 404
    assert "text/html" in missing.headers["content-type"]


def test_inbox_pages_through_requests_and_filters_them_by_status(
    client: TestClient, anonymous: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Newest first, a page at a time with Previous and Next links that keep the filter; the
    filter shows one status; a page past the end shows the last one."""
    monkeypatch.setattr(partnering_pages, "INBOX_PAGE", 2)
    scene = _scene(client)
    patients = bearer(scene["patients"]["api_key"])
    sent = []
    for number in range(3):
        writer = create_organisation(
            client, name=f"Writer {number}", description="Liver disease screening studies."
        )
        sent.append(_contact(client, {**scene, "writer": writer}, f"Message {number}"))
    accepted = client.post(f"/contact-requests/{sent[0]['id']}/accept", headers=patients)
    assert accepted.status_code == 200, accepted.text

    def shown(page: str) -> list[int]:
        return [
            int(number) for number in re.findall(r'contact-request" data-request-id="(\d+)"', page)
        ]

    first = anonymous.get("/ui/inbox/panel", headers=patients).text
    assert shown(first) == [sent[2]["id"], sent[1]["id"]]
    assert 'Received <span class="count">(3)</span>' in first
    assert "Page 1 of 2" in first
    assert 'href="/ui/inbox?page=2" rel="next"' in first
    second = anonymous.get("/ui/inbox/panel?page=2", headers=patients).text
    assert shown(second) == [sent[0]["id"]]
    assert 'href="/ui/inbox" rel="prev"' in second
    assert "Nothing sent yet." in second
    assert shown(anonymous.get("/ui/inbox/panel?page=9", headers=patients).text) == shown(second)

    pending = anonymous.get("/ui/inbox/panel?status=pending", headers=patients).text
    assert shown(pending) == [sent[2]["id"], sent[1]["id"]]
    assert 'Received · waiting for an answer <span class="count">(2)</span>' in pending
    assert "Page 1 of 1" not in pending  # one page: no pager
    assert "None waiting for an answer." in pending  # the sent box
    only_accepted = anonymous.get("/ui/inbox/panel?status=accepted", headers=patients).text
    assert shown(only_accepted) == [sent[0]["id"]]
    unknown = anonymous.get("/ui/inbox/panel?status=lost", headers=patients).text
    assert shown(unknown) == shown(first)

    shell = anonymous.get("/ui/inbox?status=accepted&page=2").text
    assert 'data-fragment="/ui/inbox/panel?status=accepted&amp;page=2"' in shell
    assert '<option value="accepted" selected>Accepted</option>' in shell
    parsed = Page(shell)
    assert {control["id"] for control in parsed.controls} <= parsed.labels


@pytest.mark.sqlite_only
def test_draft_panel_lists_its_partner_requests_with_withdraw_while_open(
    client: TestClient, anonymous: TestClient
) -> None:
    """Requests published for the draft appear in its panel, newest first, with a Withdraw
    button while open; a withdrawn one stays listed as withdrawn; other drafts' do not."""
    scene = _scene(client)
    draft = _draft(client, scene)
    writer = bearer(scene["writer"]["api_key"])
    panel_url = f"/ui/consortia/{draft['id']}/panel"
    assert "Your partner requests" not in anonymous.get(panel_url, headers=writer).text
    published = client.post(
        f"/consortia/{draft['id']}/partner-requests", headers=writer, json={"pitch": HOSTILE}
    )
    assert published.status_code == 201, published.text
    elsewhere = client.post(
        f"/calls/{scene['call']['id']}/partner-requests",
        headers=writer,
        json={"stakeholder_types": ["sme"], "pitch": "Not for the draft."},
    )
    assert elsewhere.status_code == 201, elsewhere.text
    request_id = published.json()["id"]

    page = anonymous.get(panel_url, headers=writer).text
    assert 'Your partner requests <span class="count">(1)</span>' in page
    card = page.split(f'data-partner-request-id="{request_id}"')[1].split("</li>")[0]
    assert 'data-status="open"' in page
    assert "Looking for Patient organisation, open until" in card
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in card
    assert f'data-action="withdraw-request" data-request-id="{request_id}"' in card
    assert "Not for the draft." not in page

    withdrawn = client.delete(f"/partner-requests/{request_id}", headers=writer)
    assert withdrawn.status_code == 204
    page = anonymous.get(panel_url, headers=writer).text
    card = page.split(f'data-partner-request-id="{request_id}"')[1].split("</li>")[0]
    assert 'data-status="withdrawn"' in page
    assert ">Withdrawn</span>" in card
    assert "withdraw-request" not in card
    other = create_organisation(client, name="Other University")
    assert anonymous.get(panel_url, headers=bearer(other["api_key"])).status_code == 404


@pytest.mark.sqlite_only
def test_fitting_requests_panel_is_the_organisations_own_with_its_answers(
    client: TestClient, anonymous: TestClient
) -> None:
    """The profile's fragment of fitting partner requests needs the organisation's own key (or
    an admin's, shown without Answer); once answered it says so instead of offering Answer."""
    scene = _scene(client)
    published = client.post(
        f"/calls/{scene['call']['id']}/partner-requests",
        headers=bearer(scene["writer"]["api_key"]),
        json={"stakeholder_types": ["patient_organisation"], "pitch": HOSTILE},
    )
    assert published.status_code == 201, published.text
    request_id = published.json()["id"]
    url = f"/ui/organisations/{scene['patients']['id']}/partner-requests"
    answer_link = f'href="/ui/partner-requests/{request_id}/answer"'

    assert anonymous.get(url).status_code == 401
    other = anonymous.get(url, headers=bearer(scene["writer"]["api_key"]))
    assert other.status_code == 403
    assert (
        anonymous.get(
            "/ui/organisations/999/partner-requests", headers=bearer(ADMIN_TOKEN)
        ).status_code
        == 404
    )
    as_admin = anonymous.get(url, headers=bearer(ADMIN_TOKEN))
    assert as_admin.status_code == 200
    assert f'data-partner-request-id="{request_id}"' in as_admin.text
    assert answer_link not in as_admin.text

    own = anonymous.get(url, headers=bearer(scene["patients"]["api_key"]))
    assert own.status_code == 200
    assert own.headers["cache-control"] == "no-store"
    assert answer_link in own.text
    assert "&lt;script&gt;alert" in own.text
    assert "<script>alert" not in own.text
    assert "writer@private.example" not in own.text
    # Its percentage is a text similarity, labelled as one: not the chance a suggestion shows.
    assert '<span class="score-label">Wording shared</span>' in own.text
    assert "not the chance shown beside a call's suggested partners" in own.text

    interest = anonymous.post(
        f"/partner-requests/{request_id}/interest",
        headers=bearer(scene["patients"]["api_key"]),
        json={"message": "We would like to join."},
    )
    assert interest.status_code == 201, interest.text
    answered = anonymous.get(url, headers=bearer(scene["patients"]["api_key"])).text
    assert 'data-answer-status="pending"' in answered
    assert "waiting for their answer" in answered
    assert answer_link not in answered

    withdrawn = anonymous.post(
        f"/contact-requests/{interest.json()['id']}/withdraw",
        headers=bearer(scene["patients"]["api_key"]),
    )
    assert withdrawn.status_code == 200, withdrawn.text
    again = anonymous.get(url, headers=bearer(scene["patients"]["api_key"])).text
    assert "then withdrew your answer" in again
    assert (
        f'{answer_link} aria-label="Answer again Writer University\'s partner request">'
        "Answer again</a>"
    ) in again

    # The writer's own profile lists none: its request is its own.
    mine = anonymous.get(
        f"/ui/organisations/{scene['writer']['id']}/partner-requests",
        headers=bearer(scene["writer"]["api_key"]),
    ).text
    assert "data-partner-request-id" not in mine
    assert "No open partner request is looking for academic partners from your country" in mine


def test_call_page_shows_more_partner_requests_in_the_page_not_the_api(
    client: TestClient, anonymous: TestClient
) -> None:
    """Past the 20 newest, a call's page offers "Show more" in the page itself, keeping the
    suggestions' filter, instead of sending readers to the JSON API."""
    scene = _scene(client)
    call_id = scene["call"]["id"]
    for number in range(21):
        seeker = create_organisation(client, name=f"Seeker {number:02d}", contact_email=None)
        published = anonymous.post(
            f"/calls/{call_id}/partner-requests",
            headers=bearer(seeker["api_key"]),
            json={"pitch": f"Pitch {number:02d}"},
        )
        assert published.status_code == 201, published.text

    first = anonymous.get(f"/ui/calls/{call_id}?stakeholder_type=academia").text
    assert first.count('class="card partner-request"') == 20
    assert "The 20 newest of 21 are shown." in first
    assert "Pitch 00" not in first
    assert "JSON API.</p>" not in first
    assert (
        f'href="/ui/calls/{call_id}?stakeholder_type=academia&amp;requests=40#partner-requests" '
        "data-more-requests>Show 1 more partner request</a>"
    ) in first

    more = anonymous.get(f"/ui/calls/{call_id}?stakeholder_type=academia&requests=40").text
    assert more.count('class="card partner-request"') == 21
    assert "Pitch 00" in more
    assert "data-more-requests" not in more
    assert "newest of" not in more
    assert anonymous.get(f"/ui/calls/{call_id}?requests=0").status_code == 422


@pytest.mark.sqlite_only
def test_contact_page_without_any_open_call_says_so_instead_of_an_empty_choice(
    client: TestClient, anonymous: TestClient
) -> None:
    """With no open or forthcoming call there is nothing to choose: the page says so. Its link
    to the drafts says where it leads in its own words, not "draft" alone."""
    patients = create_organisation(client, name="Patients With Nothing To Join")
    page = anonymous.get(f"/ui/organisations/{patients['id']}/contact").text
    assert "No call is open or forthcoming now" in page
    assert 'id="call-choice-form"' not in page
    assert (
        'If you have a draft for that call (<a href="/ui/drafts">see your drafts</a>), the next '
        "step offers to name it too."
    ) in page


def test_own_profile_says_what_waits_in_the_inbox_and_names_the_drafts(
    client: TestClient, anonymous: TestClient
) -> None:
    """Where signing in leads, the owner's profile fetches what waits for it: how many requests
    wait for its answer (linked to them in the inbox) and its drafts; only its own key reads it,
    and with neither waiting it says nothing."""
    scene = _scene(client)
    patients = scene["patients"]
    url = f"/ui/organisations/{patients['id']}/waiting"
    profile = anonymous.get(f"/ui/organisations/{patients['id']}").text
    assert f'data-fragment="{url}"' in profile

    assert anonymous.get(url).status_code == 401
    assert anonymous.get(url, headers=bearer(scene["writer"]["api_key"])).status_code == 403
    assert anonymous.get(url, headers=bearer(ADMIN_TOKEN)).status_code == 403
    empty = anonymous.get(url, headers=bearer(patients["api_key"]))
    assert empty.status_code == 200
    assert empty.text.strip() == ""

    _contact(client, scene, "First message")
    one = anonymous.get(url, headers=bearer(patients["api_key"]))
    assert "<strong>1 request in your inbox waits for your answer.</strong>" in one.text
    assert '<a href="/ui/inbox?status=pending">Answer it</a>' in one.text
    other = create_organisation(client, name="Liver Clinic", description="Liver screening.")
    second = client.post(
        f"/organisations/{patients['id']}/contact-requests",
        headers=bearer(other["api_key"]),
        json={"call_id": scene["call"]["id"], "message": "Second message"},
    )
    assert second.status_code == 201, second.text
    waiting = anonymous.get(url, headers=bearer(patients["api_key"]))
    assert "<strong>2 requests in your inbox wait for your answer.</strong>" in waiting.text
    assert '<a href="/ui/inbox?status=pending">Answer them</a>' in waiting.text
    assert "owner-waiting-drafts" not in waiting.text

    draft = _draft(client, scene)
    writer = anonymous.get(
        f"/ui/organisations/{scene['writer']['id']}/waiting",
        headers=bearer(scene["writer"]["api_key"]),
    )
    assert "owner-waiting-inbox" not in writer.text
    assert f'Your draft:\n<a href="/ui/consortia/{draft["id"]}">Screening draft</a>' in writer.text
    assert "(LIVER-2099, changed" in writer.text


def test_draft_panel_counts_the_answers_each_partner_request_received(
    client: TestClient, anonymous: TestClient
) -> None:
    """A draft's partner request says how many answers it received, by status, and links to
    them in the inbox (to those waiting, while any waits); unanswered, it says so."""
    scene = _scene(client)
    draft = _draft(client, scene)
    writer = bearer(scene["writer"]["api_key"])
    panel_url = f"/ui/consortia/{draft['id']}/panel"
    published = client.post(
        f"/consortia/{draft['id']}/partner-requests", headers=writer, json={"pitch": "Join us."}
    )
    assert published.status_code == 201, published.text
    request_id = published.json()["id"]

    def card() -> str:
        page = anonymous.get(panel_url, headers=writer).text
        return page.split(f'data-partner-request-id="{request_id}"')[1].split("</li>")[0]

    assert '<p class="sentence muted" data-request-answers>No answer yet.</p>' in card()
    answers = []
    for sender in (
        scene["patients"],
        create_organisation(
            client, name="Liver Patients Two", stakeholder_type="patient_organisation"
        ),
    ):
        answered = client.post(
            f"/partner-requests/{request_id}/interest",
            headers=bearer(sender["api_key"]),
            json={"message": "We would like to join."},
        )
        assert answered.status_code == 201, answered.text
        answers.append(answered.json()["id"])
    assert "<strong>2 answers</strong>, waiting for your answer." in card()
    assert '<a href="/ui/inbox?status=pending">Answer in your inbox</a>' in card()

    accepted = client.post(f"/contact-requests/{answers[0]}/accept", headers=writer)
    assert accepted.status_code == 200, accepted.text
    assert "<strong>2 answers</strong>: 1 waiting for your answer, 1 accepted." in card()
    declined = client.post(f"/contact-requests/{answers[1]}/decline", headers=writer)
    assert declined.status_code == 200, declined.text
    assert "2 answers: 1 accepted, 1 declined." in card()
    assert '<a href="/ui/inbox">See them in your inbox</a>' in card()
