"""Duplicates: registration lists the stored profiles a new one looks like, imports note them,
and an admin merges two profiles into one, keeping activities, keys, drafts and history, under
If-Match even when an edit races the merge."""

import json
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from matchmaker.importers.runner import import_organisations_json
from matchmaker.trust.duplicates import name_key, website_host
from matchmaker.trust.merging import FILLED_FROM_ABSORBED
from models.change import Change
from models.common import utc_now
from models.partnering import OrganisationBlock
from models.trust import OrganisationMerge
from tests.factories import (
    Party,
    create_call,
    create_organisation,
    interest,
    leiden_university,
    liver_patients,
    liver_screening_call,
    publish,
)
from tests.helpers import assert_problem, bearer, created


def summary(body: dict[str, Any]) -> dict[str, Any]:
    """The fields a possible duplicate is shown with, without its reasons."""
    shown = ("id", "name", "stakeholder_type", "country", "type_verified", "external_id")
    return {name: body[name] for name in shown}


def test_name_key_ignores_case_accents_punctuation_and_legal_forms() -> None:
    """Names that differ only in how they are written compare equal; others do not."""
    assert name_key("Oncomark Diagnostics B.V.") == "oncomark diagnostics"
    assert name_key("ONCOMARK  diagnostics") == "oncomark diagnostics"
    assert name_key("Université de Genève") == name_key("Universite de Geneve")
    assert name_key("The Hyve") == "hyve"
    assert name_key("Siemens Healthineers AG") == "siemens healthineers"
    assert name_key("AB Science SA") == "ab science"
    assert name_key("GmbH") == "gmbh"
    assert name_key("Oncomark Therapeutics") != name_key("Oncomark Diagnostics")
    assert website_host("https://WWW.Oncomark.example:8443/about") == "oncomark.example"
    assert website_host("https://research.lumc.nl/") == "research.lumc.nl"
    assert website_host(None) is None


def test_registration_lists_possible_duplicates_and_creates_the_profile(
    anonymous: TestClient,
) -> None:
    """A near-identical name in the same country, or the same website host, is listed with
    why; a same name in another country or a shared host is not; the profile is created."""
    first = create_organisation(
        anonymous,
        name="Oncomark Diagnostics B.V.",
        stakeholder_type="sme",
        website="https://www.oncomark.example/",
    )
    assert first["possible_duplicates"] == []
    by_name = create_organisation(
        anonymous, name="ONCOMARK DIAGNOSTICS", stakeholder_type="sme", website=None
    )
    assert by_name["possible_duplicates"] == [
        {**summary(first), "reasons": ["name"]},
    ]
    by_both = create_organisation(
        anonymous,
        name="Oncomark Diagnostics",
        stakeholder_type="sme",
        website="oncomark.example/contact",
    )
    assert by_both["possible_duplicates"] == [
        {**summary(first), "reasons": ["website", "name"]},
        {**summary(by_name), "reasons": ["name"]},
    ]
    elsewhere = create_organisation(
        anonymous,
        name="Oncomark Diagnostics GmbH",
        country="DE",
        website="https://www.linkedin.com/company/oncomark",
    )
    assert elsewhere["possible_duplicates"] == []
    assert anonymous.get("/organisations").json()["total"] == 4


def test_import_notes_possible_duplicates(
    engine: Engine, anonymous: TestClient, tmp_path: Path
) -> None:
    """A new imported profile that looks like a registered one is created and noted."""
    registered = create_organisation(anonymous, website="https://www.lumc.nl/")
    source = tmp_path / "profiles.json"
    source.write_text(
        json.dumps(
            [
                {
                    "external_id": "cordis:999991428",
                    "name": "LEIDEN UNIVERSITY MEDICAL CENTER",
                    "stakeholder_type": "academia",
                    "country": "NL",
                    "website": "http://lumc.nl",
                },
                {
                    "external_id": "cordis:999000001",
                    "name": "Karolinska Institutet",
                    "stakeholder_type": "academia",
                    "country": "SE",
                },
            ]
        )
    )
    result = import_organisations_json(engine, source)
    assert (result.created, result.possible_duplicates) == (2, 1)
    assert result.notes == [
        f"cordis:999991428 'LEIDEN UNIVERSITY MEDICAL CENTER' may be a duplicate of: "
        f"{registered['id']} 'Leiden University Medical Center' (website/name)"
    ]


def _draft(client: TestClient, owner_key: str, call_id: int, members: list[int]) -> Any:
    response = client.post(
        "/consortia",
        json={
            "name": "Liquid biopsy",
            "call_id": call_id,
            "members": [{"organisation_id": member} for member in members],
        },
        headers=bearer(owner_key),
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_admin_merge_keeps_activities_keys_drafts_and_history(
    client: TestClient, anonymous: TestClient, engine: Engine
) -> None:
    """The survivor keeps its id and gains the other's activities, keywords, keys and drafts;
    the absorbed id is 404 naming the survivor; the merge and both writes are logged."""
    survivor = create_organisation(
        client,
        name="Oncomark Diagnostics",
        city=None,
        keywords=["liquid biopsy"],
        activities=[{"title": "ctDNA screening", "year": 2023}],
    )
    absorbed = create_organisation(
        client,
        name="Oncomark Diagnostics B.V.",
        city="Leiden",
        keywords=["Liquid Biopsy", "oncology"],
        activities=[
            {"title": "ctDNA screening", "year": 2023},
            {"title": "Methylation panel", "year": 2021},
        ],
    )
    other = create_organisation(client, name="Karolinska Institutet", country="SE")
    call = create_call(client)
    owned = _draft(anonymous, absorbed["api_key"], call["id"], [absorbed["id"], other["id"]])
    listing_both = _draft(anonymous, other["api_key"], call["id"], [survivor["id"], absorbed["id"]])

    response = client.post(
        f"/admin/organisations/{survivor['id']}/merge",
        json={"absorb": absorbed["id"], "absorb_version": 1},
        headers={"If-Match": '"1"'},
    )
    assert response.status_code == 200, response.text
    merged = response.json()
    assert response.headers["etag"] == '"2"'
    assert (merged["id"], merged["name"], merged["city"], merged["version"]) == (
        survivor["id"],
        "Oncomark Diagnostics",
        "Leiden",
        2,
    )
    assert merged["keywords"] == ["liquid biopsy", "oncology"]
    assert [(a["title"], a["verified"]) for a in merged["activities"]] == [
        ("ctDNA screening", False),
        ("Methylation panel", False),
    ]

    gone = assert_problem(anonymous.get(f"/organisations/{absorbed['id']}"), 404)
    assert gone["detail"] == (
        f"Organisation {absorbed['id']} was merged into organisation {survivor['id']}: "
        f"read /organisations/{survivor['id']}."
    )
    # The absorbed organisation's key now acts for the survivor, and its draft is the survivor's.
    private = anonymous.get(f"/organisations/{survivor['id']}", headers=bearer(absorbed["api_key"]))
    assert private.json()["contact_email"] == "partnering@lumc.example"
    draft = anonymous.get(f"/consortia/{owned['id']}", headers=bearer(survivor["api_key"]))
    assert draft.status_code == 200, draft.text
    assert [m["organisation"]["id"] for m in draft.json()["members"]] == [
        survivor["id"],
        other["id"],
    ]
    assert draft.json()["version"] == owned["version"] + 1
    both = anonymous.get(f"/consortia/{listing_both['id']}", headers=bearer(other["api_key"]))
    assert [m["organisation"]["id"] for m in both.json()["members"]] == [survivor["id"]]
    with Session(engine) as session:
        [record] = session.scalars(select(OrganisationMerge)).all()
        assert (record.survivor_id, record.absorbed_id, record.reason) == (
            survivor["id"],
            absorbed["id"],
            "admin",
        )
        logged = session.scalars(
            select(col(Change.entity_id)).where(col(Change.entity) == "organisation")
        ).all()
        assert logged[-2:] == [absorbed["id"], survivor["id"]]


def test_merge_refuses_non_admins_itself_unknown_and_stale_versions(
    client: TestClient, anonymous: TestClient
) -> None:
    """An organisation key is 403; merging into itself 422; an unknown id 404 naming `absorb`;
    a stale If-Match or absorb_version 412; nothing changes."""
    survivor = create_organisation(client, name="Oncomark Diagnostics")
    absorbed = create_organisation(client, name="Oncomark")
    url = f"/admin/organisations/{survivor['id']}/merge"
    assert_problem(
        anonymous.post(url, json={"absorb": absorbed["id"]}, headers=bearer(survivor["api_key"])),
        403,
    )
    assert_problem(anonymous.post(url, json={"absorb": absorbed["id"]}), 401)
    assert_problem(client.post(url, json={"absorb": survivor["id"]}), 422, "absorb")
    assert_problem(client.post(url, json={"absorb": 99_999}), 404, "absorb")
    assert_problem(client.post(url, json={"absorb": "x"}), 422, "absorb")
    client.patch(f"/organisations/{absorbed['id']}", json={"city": "Delft"})
    stale = client.post(url, json={"absorb": absorbed["id"], "absorb_version": 1})
    assert assert_problem(stale, 412)["detail"] == (
        f"The profile to absorb, Oncomark (id {absorbed['id']}), is at version 2, not "
        "absorb_version 1; read it again and retry."
    )
    assert_problem(
        client.post(url, json={"absorb": absorbed["id"]}, headers={"If-Match": '"7"'}), 412
    )
    assert client.get(f"/organisations/{absorbed['id']}").json()["version"] == 2
    assert client.get(f"/organisations/{survivor['id']}").json()["version"] == 1


def _race_edit_and_merge(client: TestClient, survivor_id: int, absorbed_id: int) -> dict[str, int]:
    """Send a PATCH and a merge at once, each with the survivor's version read before."""
    etag = client.get(f"/organisations/{survivor_id}").headers["etag"]
    start = threading.Barrier(2)
    results: dict[str, int] = {}

    def edit() -> None:
        start.wait()
        results["edit"] = client.patch(
            f"/organisations/{survivor_id}", json={"city": "Delft"}, headers={"If-Match": etag}
        ).status_code

    def merge() -> None:
        start.wait()
        results["merge"] = client.post(
            f"/admin/organisations/{survivor_id}/merge",
            json={"absorb": absorbed_id},
            headers={"If-Match": etag},
        ).status_code

    threads = [threading.Thread(target=edit), threading.Thread(target=merge)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_merge_racing_an_edit_under_if_match_lets_exactly_one_win(client: TestClient) -> None:
    """A PATCH and a merge both sent with the version they read: one lands, the other is 412,
    and the result is what the winner wrote, never a mix."""
    for round_number in range(3):
        survivor = create_organisation(client, name=f"Survivor {round_number}", city=None)
        absorbed = create_organisation(client, name=f"Absorbed {round_number}", city="Leiden")
        results = _race_edit_and_merge(client, survivor["id"], absorbed["id"])
        assert sorted(results.values()) == [200, 412], results
        final = client.get(f"/organisations/{survivor['id']}").json()
        assert final["version"] == 2
        absorbed_now = client.get(f"/organisations/{absorbed['id']}").status_code
        if results["merge"] == 200:
            assert (final["city"], absorbed_now) == ("Leiden", 404)
        else:
            assert (final["city"], absorbed_now) == ("Delft", 200)


def test_an_absorbed_external_id_is_not_imported_again(
    client: TestClient, engine: Engine, tmp_path: Path
) -> None:
    """Once an imported profile is merged into another, importing its record again creates
    nothing and says where it went."""
    source = tmp_path / "profiles.json"
    source.write_text(
        json.dumps(
            [
                {
                    "external_id": "cordis:999991428",
                    "name": "Oncomark",
                    "stakeholder_type": "sme",
                    "country": "NL",
                }
            ]
        )
    )
    assert import_organisations_json(engine, source).created == 1
    imported = client.get("/organisations").json()["items"][0]
    survivor = create_organisation(client, name="Oncomark Diagnostics", stakeholder_type="sme")
    merged = client.post(
        f"/admin/organisations/{survivor['id']}/merge", json={"absorb": imported["id"]}
    )
    assert merged.status_code == 200, merged.text
    again = import_organisations_json(engine, source)
    assert (again.created, again.unchanged) == (0, 1)
    assert again.notes == [
        f"cordis:999991428 was merged into organisation {survivor['id']}: not created again"
    ]
    assert client.get("/organisations").json()["total"] == 1


def test_merge_keeps_one_of_each_unique_row_and_drops_rows_between_the_two(
    client: TestClient, engine: Engine
) -> None:
    """Blocks the two both hold end as one of the survivor's; a block between them goes; a
    block only the absorbed profile held moves."""
    survivor = create_organisation(client, name="Oncomark Diagnostics")
    absorbed = create_organisation(client, name="Oncomark")
    first = create_organisation(client, name="Karolinska Institutet", country="SE")
    second = create_organisation(client, name="Charité", country="DE")
    with Session(engine) as session:
        session.add_all(
            [
                OrganisationBlock(
                    organisation_id=survivor["id"], blocked_organisation_id=first["id"]
                ),
                OrganisationBlock(
                    organisation_id=absorbed["id"], blocked_organisation_id=first["id"]
                ),
                OrganisationBlock(
                    organisation_id=absorbed["id"], blocked_organisation_id=second["id"]
                ),
                OrganisationBlock(
                    organisation_id=absorbed["id"], blocked_organisation_id=survivor["id"]
                ),
                OrganisationBlock(
                    organisation_id=first["id"], blocked_organisation_id=absorbed["id"]
                ),
            ]
        )
        session.commit()
    response = client.post(
        f"/admin/organisations/{survivor['id']}/merge", json={"absorb": absorbed["id"]}
    )
    assert response.status_code == 200, response.text
    with Session(engine) as session:
        blocks = session.execute(
            select(
                col(OrganisationBlock.organisation_id),
                col(OrganisationBlock.blocked_organisation_id),
            ).order_by(
                col(OrganisationBlock.organisation_id),
                col(OrganisationBlock.blocked_organisation_id),
            )
        ).all()
    assert sorted(tuple(row) for row in blocks) == sorted(
        [
            (survivor["id"], first["id"]),
            (survivor["id"], second["id"]),
            (first["id"], survivor["id"]),
        ]
    )


def test_a_merge_takes_no_city_from_a_profile_in_another_country(client: TestClient) -> None:
    """Empty fields are filled from the absorbed profile, but a city only from one in the same
    country: a Finnish record's Lahti does not land in a Swedish profile."""
    survivor = create_organisation(client, name="Malt Lab", country="SE", city=None)
    absorbed = create_organisation(
        client, name="Malt Lab Oy", country="FI", city="Lahti", group="Malt Group"
    )
    merged = client.post(
        f"/admin/organisations/{survivor['id']}/merge", json={"absorb": absorbed["id"]}
    ).json()
    assert (merged["country"], merged["city"]) == ("SE", None)
    assert merged["group"] == "Malt Group"


def test_a_merge_fills_every_empty_field_it_says_it_fills_and_no_other(
    client: TestClient,
) -> None:
    """Each field the merge's question lists (FILLED_FROM_ABSORBED) is filled where the kept
    profile leaves it empty, the IHI answer among them; the name and type stay the kept
    profile's; an answer of "no" is kept, not filled."""
    survivor = create_organisation(
        client,
        name="Empty Lab",
        city=None,
        description="",
        website=None,
        contact_email=None,
    )
    absorbed = create_organisation(
        client,
        name="Full Lab BV",
        stakeholder_type="industry",
        city="Delft",
        description="Assays.",
        website="https://full.example/",
        contact_email="hello@full.example",
        group="Full Group",
        ihi_contributor=True,
    )
    merged = client.post(
        f"/admin/organisations/{survivor['id']}/merge", json={"absorb": absorbed["id"]}
    ).json()
    assert set(FILLED_FROM_ABSORBED) == {
        "city",
        "description",
        "website",
        "contact_email",
        "group",
        "ihi_contributor",
    }
    assert {field: merged[field] for field in FILLED_FROM_ABSORBED} == {
        "city": "Delft",
        "description": "Assays.",
        "website": "https://full.example/",
        "contact_email": "hello@full.example",
        "group": "Full Group",
        "ihi_contributor": True,
    }
    assert (merged["name"], merged["stakeholder_type"]) == ("Empty Lab", "academia")

    answered_no = create_organisation(client, name="Said No Ltd", ihi_contributor=False)
    answered_yes = create_organisation(client, name="Said Yes Ltd", ihi_contributor=True)
    kept = client.post(
        f"/admin/organisations/{answered_no['id']}/merge", json={"absorb": answered_yes["id"]}
    ).json()
    assert kept["ihi_contributor"] is False


def _draft_with_roles(
    client: TestClient, owner_key: str, call_id: int, roles: dict[int, str]
) -> dict[str, Any]:
    """A draft owned by `owner_key`'s organisation, with each member in its role."""
    members = [{"organisation_id": member, "role": role} for member, role in roles.items()]
    response = client.post(
        "/consortia",
        json={"name": "Liver screening", "call_id": call_id, "members": members},
        headers=bearer(owner_key),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_draft_both_profiles_were_in_keeps_its_coordinator(
    client: TestClient, anonymous: TestClient
) -> None:
    """Where the absorbed profile coordinated a draft the survivor was a partner in, the
    survivor becomes its coordinator (the draft is never left without one); where the survivor
    coordinated, or both were partners, its role stays."""
    survivor = create_organisation(client, name="Oncomark Diagnostics")
    absorbed = create_organisation(client, name="Oncomark")
    owner = create_organisation(client, name="Karolinska Institutet", country="SE")
    call = create_call(client)
    led_by_absorbed = _draft_with_roles(
        anonymous,
        owner["api_key"],
        call["id"],
        {owner["id"]: "partner", survivor["id"]: "partner", absorbed["id"]: "coordinator"},
    )
    led_by_survivor = _draft_with_roles(
        anonymous,
        owner["api_key"],
        call["id"],
        {survivor["id"]: "coordinator", absorbed["id"]: "partner", owner["id"]: "partner"},
    )
    led_by_owner = _draft_with_roles(
        anonymous,
        owner["api_key"],
        call["id"],
        {owner["id"]: "coordinator", absorbed["id"]: "partner", survivor["id"]: "partner"},
    )
    merged = client.post(
        f"/admin/organisations/{survivor['id']}/merge", json={"absorb": absorbed["id"]}
    )
    assert merged.status_code == 200, merged.text

    def roles(draft: dict[str, Any]) -> dict[int, str]:
        answer = anonymous.get(f"/consortia/{draft['id']}", headers=bearer(owner["api_key"]))
        assert answer.json()["version"] == draft["version"] + 1
        return {m["organisation"]["id"]: m["role"] for m in answer.json()["members"]}

    assert roles(led_by_absorbed) == {survivor["id"]: "coordinator", owner["id"]: "partner"}
    assert roles(led_by_survivor) == {survivor["id"]: "coordinator", owner["id"]: "partner"}
    assert roles(led_by_owner) == {owner["id"]: "coordinator", survivor["id"]: "partner"}


def _contact(sender: Party, recipient: Party, call_id: int) -> int:
    """A message from `sender` to `recipient` about the call; its id."""
    return int(
        created(
            sender.client.post(
                f"/organisations/{recipient.id}/contact-requests",
                json={"call_id": call_id, "message": "Shall we write a proposal together?"},
            )
        )["id"]
    )


def test_a_merge_leaves_one_request_waiting_between_two_organisations_and_withdraws_the_rest(
    client: TestClient, engine: Engine
) -> None:
    """Requests that wait between the same two organisations about the same thing (a message,
    or an answer to one partner request), once one side's two profiles are one: the earliest
    keeps waiting and the others are withdrawn, as a second one would have been refused; both
    inboxes list them as such. Requests about other things, and answered ones, stay as they
    were."""
    call = liver_screening_call(client)
    survivor = Party(client, name="Oncomark Diagnostics")
    absorbed = Party(client, name="Oncomark")
    patients = liver_patients(client)
    other = leiden_university(client)
    wanted = publish(patients, call["id"])

    sent_by_absorbed = _contact(absorbed, patients, call["id"])
    sent_by_survivor = _contact(survivor, patients, call["id"])
    received_by_absorbed = _contact(patients, absorbed, call["id"])
    received_by_survivor = _contact(patients, survivor, call["id"])
    answer_of_survivor = created(interest(survivor, wanted["id"]))["id"]
    answer_of_absorbed = created(interest(absorbed, wanted["id"]))["id"]
    to_another = _contact(absorbed, other, call["id"])
    answered = _contact(other, absorbed, call["id"])
    assert absorbed.client.post(f"/contact-requests/{answered}/decline").is_success
    also_from_other = _contact(other, survivor, call["id"])

    merged = client.post(f"/admin/organisations/{survivor.id}/merge", json={"absorb": absorbed.id})
    assert merged.status_code == 200, merged.text

    def status(request_id: int) -> tuple[str, bool]:
        shown = patients.client.get(f"/contact-requests/{request_id}")
        if shown.status_code == 404:
            shown = other.client.get(f"/contact-requests/{request_id}")
        body = shown.json()
        return body["status"], body["answered_at"] is not None

    assert {
        request_id: status(request_id)
        for request_id in (
            sent_by_absorbed,
            sent_by_survivor,
            received_by_absorbed,
            received_by_survivor,
            answer_of_survivor,
            answer_of_absorbed,
            to_another,
            answered,
            also_from_other,
        )
    } == {
        sent_by_absorbed: ("pending", False),
        sent_by_survivor: ("withdrawn", True),
        received_by_absorbed: ("pending", False),
        received_by_survivor: ("withdrawn", True),
        answer_of_survivor: ("pending", False),
        answer_of_absorbed: ("withdrawn", True),
        to_another: ("pending", False),
        answered: ("declined", True),
        also_from_other: ("pending", False),
    }
    # Each inbox tells the truth: one request waits each way, nothing vanished.
    pending = patients.client.get("/inbox", params={"status": "pending"}).json()
    assert sorted(item["id"] for item in pending["received"]) == [
        sent_by_absorbed,
        answer_of_survivor,
    ]
    assert [item["id"] for item in pending["sent"]] == [received_by_absorbed]
    everything = survivor.client.get("/inbox").json()
    assert (everything["received_total"], everything["sent_total"]) == (4, 5)
    # As before the merge, a second message waits for the first to be answered.
    refused = assert_problem(
        survivor.client.post(
            f"/organisations/{patients.id}/contact-requests",
            json={"call_id": call["id"], "message": "Any news?"},
        ),
        409,
    )
    assert "still waiting" in refused["detail"]
    assert patients.client.post(f"/contact-requests/{sent_by_absorbed}/accept").is_success


def test_a_merge_declines_what_a_block_now_refuses_and_keeps_the_earliest_block(
    client: TestClient, engine: Engine
) -> None:
    """A block one profile held, or was the object of, refuses the merged organisation's
    waiting requests as blocking does (declined, silently), whichever profile they were
    to or from; a block both profiles held is kept from the earlier of the two."""
    call = liver_screening_call(client)
    survivor = Party(client, name="Oncomark Diagnostics")
    absorbed = Party(client, name="Oncomark")
    patients = liver_patients(client)
    university = leiden_university(client)
    third = Party(client, name="Charité", country="DE")
    to_blocker = _contact(survivor, patients, call["id"])
    from_blocked = _contact(university, absorbed, call["id"])
    from_third = _contact(third, absorbed, call["id"])
    assert patients.client.post("/inbox/blocks", json={"organisation_id": absorbed.id}).is_success
    assert survivor.client.post("/inbox/blocks", json={"organisation_id": university.id}).is_success
    earlier = utc_now() - timedelta(days=30)
    with Session(engine) as session:
        session.add_all(
            [
                OrganisationBlock(
                    organisation_id=absorbed.id,
                    blocked_organisation_id=third.id,
                    created_at=earlier,
                ),
                OrganisationBlock(organisation_id=survivor.id, blocked_organisation_id=third.id),
            ]
        )
        session.commit()

    merged = client.post(f"/admin/organisations/{survivor.id}/merge", json={"absorb": absorbed.id})
    assert merged.status_code == 200, merged.text

    assert survivor.client.get(f"/contact-requests/{to_blocker}").json()["status"] == "declined"
    assert survivor.client.get(f"/contact-requests/{from_blocked}").json()["status"] == "declined"
    assert survivor.client.get(f"/contact-requests/{from_third}").json()["status"] == "declined"
    assert survivor.client.get("/inbox", params={"status": "pending"}).json()["received"] == []
    blocks = {
        item["organisation"]["id"]: item["created_at"]
        for item in survivor.client.get("/inbox/blocks").json()
    }
    assert set(blocks) == {university.id, third.id}
    assert blocks[third.id][:10] == earlier.date().isoformat()


def test_a_merge_withdraws_the_later_of_two_pending_claims_of_one_record(
    client: TestClient, engine: Engine, tmp_path: Path
) -> None:
    """Both profiles claimed the same record, one after the other: once merged the earlier
    claim still waits and the later is withdrawn, as a second pending claim of one record is
    refused."""
    source = tmp_path / "record.json"
    source.write_text(
        json.dumps(
            [
                {
                    "external_id": "cordis:999991428",
                    "name": "ONCOMARK DIAGNOSTICS BV",
                    "stakeholder_type": "sme",
                    "country": "NL",
                }
            ]
        )
    )
    assert import_organisations_json(engine, source).created == 1
    survivor = create_organisation(client, name="Oncomark Diagnostics", stakeholder_type="sme")
    absorbed = create_organisation(client, name="Oncomark", stakeholder_type="sme")
    claims = [
        created(
            client.post(
                f"/organisations/{organisation['id']}/claims",
                json={"record": "999991428"},
                headers=bearer(organisation["api_key"]),
            )
        )["id"]
        for organisation in (absorbed, survivor)
    ]
    merged = client.post(
        f"/admin/organisations/{survivor['id']}/merge", json={"absorb": absorbed["id"]}
    )
    assert merged.status_code == 200, merged.text
    listed = client.get(f"/organisations/{survivor['id']}/claims").json()["items"]
    assert [(item["id"], item["status"]) for item in listed] == [
        (claims[0], "pending"),
        (claims[1], "withdrawn"),
    ]


def test_a_merge_keeps_the_email_preference_of_the_address_it_keeps(
    client: TestClient, anonymous: TestClient
) -> None:
    """E-mail goes to one contact address once merged, as that address's owner chose: the
    absorbed profile's choice when the survivor takes its address, the survivor's when it
    keeps its own, and the quieter when both gave the same address."""

    def profile(name: str, email: str | None, preference: str | None) -> dict[str, Any]:
        body = create_organisation(client, name=name, contact_email=email)
        if preference is not None:
            answer = anonymous.put(
                f"/organisations/{body['id']}/notification-preferences",
                json={"email": preference},
                headers=bearer(body["api_key"]),
            )
            assert answer.status_code == 200, answer.text
        return body

    def merged_preference(survivor: dict[str, Any], absorbed: dict[str, Any]) -> str:
        answer = client.post(
            f"/admin/organisations/{survivor['id']}/merge", json={"absorb": absorbed["id"]}
        )
        assert answer.status_code == 200, answer.text
        shown = client.get(f"/organisations/{survivor['id']}/notification-preferences")
        return str(shown.json()["email"])

    taken = merged_preference(
        profile("Empty Lab", None, "daily"), profile("Full Lab", "hello@full.example", "off")
    )
    own = merged_preference(
        profile("Own Lab", "hello@own.example", None),
        profile("Other Lab", "hello@other.example", "off"),
    )
    shared = merged_preference(
        profile("Same Lab", "hello@same.example", "daily"),
        profile("Same Lab BV", "hello@same.example", "off"),
    )
    assert (taken, own, shared) == ("off", "immediately", "off")
