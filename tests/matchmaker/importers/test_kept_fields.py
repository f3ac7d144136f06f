"""A CORDIS import leaves what was written into an imported record since its import (by its
organisation, an admin or a merge) as it is, and still updates the fields nobody touched."""

import shutil
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from matchmaker.importers.runner import import_cordis
from models.organisation import Organisation
from tests.factories import create_organisation
from tests.helpers import keyed

EXTRACT = Path(__file__).resolve().parents[2] / "data" / "cordis"
EXTRACT_ORGANISATIONS = 52
APHP = "cordis:999645432"
ELIAVA = "cordis:949906936"
KEPT_LINE = (
    "1 profile kept fields written here since their import (by their organisation, an "
    "administrator or a merge) where the source gives other values."
)


def copied_extract(tmp_path: Path) -> Path:
    """The test extract, copied so that a test can change what CORDIS says."""
    folder = tmp_path / "cordis"
    shutil.copytree(EXTRACT, folder)
    return folder


def cordis_says(folder: Path, old: str, new: str) -> None:
    """Change one organisation's row of organisations.csv, as a later CORDIS download would."""
    path = folder / "organisations.csv"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")


def stored(engine: Engine, external_id: str) -> Organisation:
    """One stored profile by its external id."""
    with Session(engine) as session:
        return session.scalars(
            select(Organisation).where(col(Organisation.external_id) == external_id)
        ).one()


def owner_of(admin: TestClient, record: Organisation) -> TestClient:
    """A client with a key an admin issued for the imported record, as after a claim."""
    key = admin.post(
        "/admin/keys", json={"role": "organisation", "organisation_id": record.id}
    ).json()
    return keyed(admin, key["token"])


def profile(client: TestClient, organisation_id: int | None) -> dict[str, Any]:
    """A profile as the API shows it."""
    response = client.get(f"/organisations/{organisation_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_import_keeps_an_owners_description_and_verified_type_and_updates_the_rest(
    client: TestClient, anonymous: TestClient, engine: Engine, tmp_path: Path
) -> None:
    """An owner's description and type, and an admin's verification of that type, survive an
    import that gives other values; a field the owner sent back as it was (the city) is still
    CORDIS's, and CORDIS's new city comes in."""
    folder = copied_extract(tmp_path)
    import_cordis(engine, folder)
    record = stored(engine, APHP)
    assert (record.stakeholder_type, record.city) == ("healthcare_provider", "Paris")
    cordis_description = record.description
    owner = owner_of(client, record)
    edited = owner.patch(
        f"/organisations/{record.id}",
        json={
            "description": "The hospitals of Paris, run as one public body.",
            "stakeholder_type": "public_body",
            "city": "Paris",
        },
    )
    assert edited.status_code == 200, edited.text
    verified = client.post(f"/admin/organisations/{record.id}/type-verification")
    assert verified.status_code == 200, verified.text
    assert stored(engine, APHP).owned_fields == ["description", "stakeholder_type"]
    # The owner and admins see which fields an import will leave; the public does not.
    assert profile(owner, record.id)["kept_on_import"] == ["description", "stakeholder_type"]
    assert "kept_on_import" not in anonymous.get(f"/organisations/{record.id}").json()
    cordis_says(
        folder,
        "999645432,ASSISTANCE PUBLIQUE HOPITAUX DE PARIS,,REC,false,FR,Paris,",
        "999645432,ASSISTANCE PUBLIQUE HOPITAUX DE PARIS,,REC,false,FR,Paris Cedex 04,",
    )

    summary = import_cordis(engine, folder)

    assert (summary.created, summary.updated, summary.unchanged) == (
        0,
        1,
        EXTRACT_ORGANISATIONS - 1,
    )
    assert summary.kept_own == 1
    assert summary.lines()[1] == KEPT_LINE
    after = profile(client, record.id)
    assert after["description"] == "The hospitals of Paris, run as one public body."
    assert (after["stakeholder_type"], after["type_verified"]) == ("public_body", True)
    assert after["city"] == "Paris Cedex 04"
    assert cordis_description.startswith("Research organisation in Paris, France.")
    again = import_cordis(engine, folder)
    assert (again.updated, again.unchanged, again.kept_own) == (0, EXTRACT_ORGANISATIONS, 1)
    assert profile(client, record.id)["version"] == after["version"]


def test_import_after_a_merge_kept_the_record_keeps_what_the_merge_and_the_owner_wrote(
    client: TestClient, anonymous: TestClient, engine: Engine, tmp_path: Path
) -> None:
    """A registered profile merged into the imported record it duplicates: the website and
    projects the merge brought, and the description its key then wrote, survive an import;
    CORDIS's new city comes in."""
    folder = copied_extract(tmp_path)
    import_cordis(engine, folder)
    record = stored(engine, ELIAVA)
    assert (record.website, record.city) == (None, "Tbilisi")
    cordis_projects = [activity["title"] for activity in record.activities]
    registered = create_organisation(
        anonymous,
        name="Eliava Institute",
        stakeholder_type="academia",
        country="GE",
        city="Tbilisi",
        website="https://eliava.example/",
        keywords=["bacteriophages"],
        activities=[{"title": "Phage therapy for burn wounds", "year": 2022}],
    )
    # No import changes a profile registered here: nothing to keep from one.
    assert profile(client, registered["id"])["kept_on_import"] == []
    merged = client.post(
        f"/admin/organisations/{record.id}/merge", json={"absorb": registered["id"]}
    )
    assert merged.status_code == 200, merged.text
    owner = keyed(client, registered["api_key"])
    edited = owner.patch(
        f"/organisations/{record.id}",
        json={"description": "Bacteriophage research and phage therapy since 1923."},
    )
    assert edited.status_code == 200, edited.text
    assert stored(engine, ELIAVA).owned_fields == [
        "activities",
        "contact_email",
        "description",
        "keywords",
        "website",
    ]
    cordis_says(folder, ",OTH,false,GE,Tbilisi,", ",OTH,false,GE,Tbilisi 0160,")

    summary = import_cordis(engine, folder)

    assert (summary.updated, summary.unchanged, summary.kept_own) == (
        1,
        EXTRACT_ORGANISATIONS - 1,
        1,
    )
    after = profile(client, record.id)
    assert after["kept_on_import"] == stored(engine, ELIAVA).owned_fields
    assert after["description"] == "Bacteriophage research and phage therapy since 1923."
    assert after["website"] == "https://eliava.example/"
    assert after["keywords"] == ["bacteriophages"]
    assert [activity["title"] for activity in after["activities"]] == [
        *cordis_projects,
        "Phage therapy for burn wounds",
    ]
    assert after["city"] == "Tbilisi 0160"
    assert after["name"] == record.name


def test_import_still_updates_an_imported_record_nobody_wrote_to(
    engine: Engine, tmp_path: Path
) -> None:
    """A record with no fields of its own takes every change CORDIS makes, and the summary
    says nothing of kept fields."""
    folder = copied_extract(tmp_path)
    import_cordis(engine, folder)
    cordis_says(folder, ",OTH,false,GE,Tbilisi,", ",OTH,false,GE,Tbilisi 0160,")

    summary = import_cordis(engine, folder)

    record = stored(engine, ELIAVA)
    assert (record.city, record.owned_fields) == ("Tbilisi 0160", [])
    assert record.description.startswith("Organisation in Tbilisi 0160, Georgia.")
    assert summary.kept_own == 0
    assert summary.lines() == [
        f"organisations: 0 created, 1 updated, {EXTRACT_ORGANISATIONS - 1} unchanged, 0 rejected."
    ]


def test_a_verified_type_is_kept_on_import_though_nobody_wrote_it(
    client: TestClient, engine: Engine, tmp_path: Path
) -> None:
    """An admin's verification of an imported record's type keeps the type from the next
    import, and the private answer says so, though no field was written here."""
    import_cordis(engine, copied_extract(tmp_path))
    with Session(engine) as session:
        record = session.scalars(
            select(Organisation)
            .where(col(Organisation.stakeholder_type) == "public_body")
            .order_by(col(Organisation.id))
        ).first()
    assert record is not None
    assert record.external_id is not None
    assert profile(client, record.id)["kept_on_import"] == []
    verified = client.post(f"/admin/organisations/{record.id}/type-verification")
    assert verified.status_code == 200, verified.text
    assert stored(engine, record.external_id).owned_fields == []
    assert profile(client, record.id)["kept_on_import"] == ["stakeholder_type"]


def test_past_projects_stored_before_a_field_existed_sent_back_as_read_change_nothing(
    client: TestClient, engine: Engine, tmp_path: Path
) -> None:
    """An imported record whose past projects were stored before they had a call (or a role,
    or a URL) reads with those fields at their defaults. Its owner sending the list back as it
    read it writes nothing: no new version, and the past projects stay CORDIS's to update."""
    folder = copied_extract(tmp_path)
    import_cordis(engine, folder)
    record = stored(engine, APHP)
    assert record.activities, "the test needs a record with past projects"
    legacy = [{"title": a["title"], "summary": a["summary"]} for a in record.activities]
    with engine.begin() as connection:
        connection.execute(
            Organisation.__table__.update()  # type: ignore[attr-defined]
            .where(Organisation.__table__.c.id == record.id)  # type: ignore[attr-defined]
            .values(activities=legacy)
        )
    owner = owner_of(client, record)
    read = profile(owner, record.id)
    assert [(a["call"], a["role"], a["url"]) for a in read["activities"]] == [
        (None, None, None)
    ] * len(legacy)

    sent = owner.patch(f"/organisations/{record.id}", json={"activities": read["activities"]})

    assert sent.status_code == 200, sent.text
    assert (sent.json()["version"], sent.headers["etag"]) == (
        read["version"],
        f'"{read["version"]}"',
    )
    assert sent.json()["kept_on_import"] == []
    assert stored(engine, APHP).owned_fields == []
    # A change to one of them is the owner's, as before.
    changed = [{**read["activities"][0], "summary": "Rewritten here."}, *read["activities"][1:]]
    edited = owner.patch(f"/organisations/{record.id}", json={"activities": changed})
    assert edited.json()["version"] == read["version"] + 1
    assert edited.json()["kept_on_import"] == ["activities"]


def test_a_field_handed_back_takes_the_next_imports_value(
    client: TestClient, engine: Engine, tmp_path: Path
) -> None:
    """The owner hands its description back: the profile keeps it until the next import,
    which brings CORDIS's; handing back what is not kept changes nothing."""
    folder = copied_extract(tmp_path)
    import_cordis(engine, folder)
    record = stored(engine, APHP)
    cordis_description = record.description
    owner = owner_of(client, record)
    edited = owner.patch(
        f"/organisations/{record.id}", json={"description": "Our own words.", "city": "Paris 4e"}
    )
    assert edited.json()["kept_on_import"] == ["city", "description"]
    url = f"/organisations/{record.id}/kept-on-import/description"
    stale = owner.delete(url, headers={"If-Match": '"1"'})
    assert stale.status_code == 412, stale.text

    handed = owner.delete(url, headers={"If-Match": edited.headers["etag"]})

    assert handed.status_code == 200, handed.text
    body = handed.json()
    assert (body["kept_on_import"], body["description"]) == (["city"], "Our own words.")
    assert body["version"] == edited.json()["version"] + 1
    assert handed.headers["etag"] == f'"{body["version"]}"'
    again = owner.delete(url)
    assert (again.status_code, again.json()["version"]) == (200, body["version"])
    summary = import_cordis(engine, folder)
    after = profile(owner, record.id)
    assert (after["description"], after["city"]) == (cordis_description, "Paris 4e")
    assert after["kept_on_import"] == ["city"]
    assert summary.updated == 1


def test_handing_back_is_refused_where_nothing_can_be_handed_back(
    client: TestClient, anonymous: TestClient, engine: Engine, tmp_path: Path
) -> None:
    """A profile registered here has nothing kept, a verified type stays kept while the
    verification stands, an unknown field is no field, and only the organisation's own keys
    and admins may hand anything back: each refusal says why."""
    import_cordis(engine, copied_extract(tmp_path))
    record = stored(engine, APHP)
    registered = create_organisation(client, name="Registered here")
    refused = client.delete(f"/organisations/{registered['id']}/kept-on-import/description")
    assert (refused.status_code, refused.json()["title"]) == (409, "Conflict")
    assert "registered here, not imported" in refused.json()["detail"]
    other = keyed(client, registered["api_key"])
    url = f"/organisations/{record.id}/kept-on-import"
    assert other.delete(f"{url}/description").status_code == 403
    assert anonymous.delete(f"{url}/description").status_code == 401
    unknown = client.delete(f"{url}/colour")
    assert unknown.status_code == 404
    assert "description" in unknown.json()["detail"]
    client.patch(f"/organisations/{record.id}", json={"stakeholder_type": "public_body"})
    assert client.post(f"/admin/organisations/{record.id}/type-verification").status_code == 200

    verified = client.delete(f"{url}/stakeholder_type")

    assert verified.status_code == 409, verified.text
    assert "type-verification" in verified.json()["detail"]
    assert profile(client, record.id)["kept_on_import"] == ["stakeholder_type"]
    assert client.delete(f"/admin/organisations/{record.id}/type-verification").status_code == 200
    handed = client.delete(f"{url}/stakeholder_type")
    assert (handed.status_code, handed.json()["kept_on_import"]) == (200, [])


def test_the_edit_form_of_an_imported_profile_says_what_editing_keeps(
    client: TestClient, engine: Engine, tmp_path: Path
) -> None:
    """Before an owner changes a field, the form says CORDIS imports will no longer update
    it, and where to hand it back; a profile registered here is told nothing of imports."""
    import_cordis(engine, copied_extract(tmp_path))
    record = stored(engine, APHP)
    registered = create_organisation(client, name="Registered here")

    imported_form = client.get(f"/ui/organisations/{record.id}/edit")
    registered_form = client.get(f"/ui/organisations/{registered['id']}/edit")

    assert imported_form.status_code == registered_form.status_code == 200
    hint = (
        "What you change here stays as you write it: CORDIS imports no longer update that "
        "field. The profile page lists those fields and lets you hand one back to CORDIS."
    )
    assert hint in imported_form.text
    assert 'id="kept-on-import-hint"' not in registered_form.text
