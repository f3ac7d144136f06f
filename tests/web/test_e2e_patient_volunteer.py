"""A volunteer of a small patient organisation, on a 390-px phone, in real Chromium against a
real uvicorn: text pasted from a word processor (invisible characters, Word's line break,
keywords listed with semicolons) registers instead of being refused for characters nobody
can see, and a key lost a year later is recovered by e-mail into a tab that is then signed
in, the key in a box that fits the screen, from the page the yearly reminder links to.
"""

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright import sync_api
from sqlmodel import Session, col, select

from matchmaker import db
from matchmaker.key_recovery import request_recovery
from matchmaker.settings import Settings
from models.keyrecovery import KeyRecoveryToken
from tests.factories import organisation_payload
from tests.web.browser import PHONE, SIDEWAYS, watched_tab

pytestmark = [pytest.mark.browser, pytest.mark.slow]
expect = sync_api.expect

# What copying from Word or a PDF brings along: a soft hyphen, a zero-width space, Word's
# manual line break (U+000B), a byte-order mark and a paragraph separator.
SOFT_HYPHEN, ZERO_WIDTH, WORD_BREAK = "\u00ad", "\u200b", "\u000b"
BOM, PARAGRAPH = "\ufeff", "\u2029"


# The conftest's `database` and `server`, on an empty database.
DEMO_DATA = False


@pytest.fixture
def phone(browser: Any, server: httpx.Client) -> Iterator[Any]:
    """A 390-px tab of its own on the server; the test fails if a script error happened on it."""
    with watched_tab(browser, server, PHONE) as tab:
        yield tab


def test_pasted_invisible_characters_and_semicolon_keywords_register_as_seen(
    server: httpx.Client, phone: Any
) -> None:
    """A name with a soft hyphen and a zero-width space, a project title with Word's line
    break, a description with a paragraph separator and keywords separated by semicolons: the
    profile is registered (the API alone refuses such characters) and stored as it reads,
    with one keyword for each item of the list."""
    phone.goto("/ui/organisations/new")
    phone.get_by_label("Name").fill(
        f"{BOM}European Kidney{SOFT_HYPHEN} Patients{ZERO_WIDTH} Alliance"
    )
    phone.get_by_label("Stakeholder type").select_option("patient_organisation")
    phone.get_by_label("Country").select_option("BE")
    phone.get_by_label("Expertise").fill(
        f"People living with rare kidney diseases.{PARAGRAPH}Patient registries{ZERO_WIDTH}."
    )
    phone.get_by_label("Keywords").fill("rare kidney disease; nephrology;PROMs ; ")
    phone.get_by_role("button", name="Add a past project").click()
    phone.get_by_label("Project title").fill(f"Kidney Voices{WORD_BREAK}survey")
    phone.get_by_label("What it was about").fill(f"Quality of life{WORD_BREAK}on dialysis.")
    phone.get_by_role("button", name="Register and get my key").click()
    expect(phone.locator("#key-panel")).to_be_visible()

    found = server.get("/organisations", params={"q": "alliance"}).json()["items"]
    [stored] = [server.get(f"/organisations/{item['id']}").json() for item in found]
    assert stored["name"] == "European Kidney Patients Alliance"
    assert stored["description"] == (
        "People living with rare kidney diseases.\nPatient registries."
    )
    assert stored["keywords"] == ["rare kidney disease", "nephrology", "PROMs"]
    assert [(item["title"], item["summary"]) for item in stored["activities"]] == [
        ("Kidney Voices survey", "Quality of life\non dialysis.")
    ]


def test_a_key_lost_by_the_time_of_the_reminder_is_recovered_into_a_signed_in_tab(
    server: httpx.Client, phone: Any, database: str
) -> None:
    """Signed out, the confirm page the reminder links to offers a new key by e-mail for this
    organisation; the e-mailed link's page shows the new key inside its box on a phone (no
    sideways scrolling), with "Copy key", and signs the tab in, so confirming needs no paste."""
    created = server.post(
        "/organisations",
        json=organisation_payload(
            name="Nephro Patients Europe",
            stakeholder_type="patient_organisation",
            country="BE",
            contact_email="volunteer@nephro.example",
        ),
    )
    assert created.status_code == 201, created.text
    organisation_id = created.json()["id"]

    phone.goto(f"/ui/organisations/{organisation_id}/confirm")
    lost = phone.locator("#confirm-lost-key")
    expect(lost).to_have_text(
        "Lost the key? Get a new one by e-mail, at the profile's contact address, then come "
        "back to this page."
    )
    lost.get_by_role("link", name="Get a new one by e-mail").click()
    expect(phone.locator("main")).to_contain_text("Organisation: Nephro Patients Europe (Belgium).")

    engine = db.create_db_engine(Settings(database_url=database))
    try:
        with Session(engine) as session:
            token = request_recovery(
                session,
                organisation_id=organisation_id,
                contact_email="volunteer@nephro.example",
                base_url=str(server.base_url),
            )
            session.commit()
    finally:
        engine.dispose()
    assert token is not None

    phone.goto(f"/ui/key-recovery/{organisation_id}/{token}")
    phone.get_by_role("button", name="Issue a new key").click()
    key = phone.locator("#new-key")
    expect(key).to_have_text(re.compile(r"^mm_[A-Za-z0-9_-]+$"))
    new_key = key.inner_text()
    assert phone.evaluate(SIDEWAYS) == 0
    box = key.bounding_box()
    assert box is not None
    assert (box["x"] >= 0, box["x"] + box["width"] <= PHONE["width"]) == (True, True)
    expect(phone.get_by_role("button", name="Copy key")).to_be_visible()
    expect(phone.locator("[data-who-name]")).to_have_text("Nephro Patients Europe")
    assert (
        server.get(
            f"/organisations/{organisation_id}", headers={"Authorization": f"Bearer {new_key}"}
        ).json()["contact_email"]
        == "volunteer@nephro.example"
    )

    phone.goto(f"/ui/organisations/{organisation_id}/confirm")
    phone.get_by_role("button", name="Confirm this profile is current").click()
    expect(phone.locator("#confirm-done")).to_be_visible()


def test_an_address_typed_wrong_for_a_new_key_is_corrected_and_sent_again(
    server: httpx.Client, phone: Any, database: str
) -> None:
    """The page says back the address a link was asked for; seeing a typo in it, the volunteer
    brings the form back with that address in it, corrects it and asks again, and only the
    corrected address gets a link."""
    created = server.post(
        "/organisations",
        json=organisation_payload(
            name="Kidney Families Flanders",
            stakeholder_type="patient_organisation",
            country="BE",
            contact_email="volunteer@kidneyfamilies.example",
        ),
    )
    assert created.status_code == 201, created.text
    organisation_id = created.json()["id"]

    phone.goto(f"/ui/key-recovery?organisation={organisation_id}")
    address = phone.get_by_label("Your organisation's contact e-mail")
    address.fill("volunteer@kidneyfamilies.exmaple")
    phone.get_by_role("button", name="E-mail me a link to a new key").click()
    sent = phone.locator("#key-recovery-sent")
    expect(sent).to_contain_text("If volunteer@kidneyfamilies.exmaple is the contact address")
    expect(address).to_be_hidden()

    sent.get_by_role("button", name="Typed it wrong? Try another address").click()
    expect(sent).to_be_hidden()
    expect(address).to_be_focused()
    expect(address).to_have_value("volunteer@kidneyfamilies.exmaple")
    assert _links_asked(database, organisation_id) == 0

    address.fill("volunteer@kidneyfamilies.example")
    phone.get_by_role("button", name="E-mail me a link to a new key").click()
    expect(sent).to_contain_text("If volunteer@kidneyfamilies.example is the contact address")
    assert phone.evaluate(SIDEWAYS) == 0
    assert _links_asked(database, organisation_id) == 1


def _links_asked(database: str, organisation_id: int) -> int:
    """How many one-time links to a new key the organisation has been sent."""
    engine = db.create_db_engine(Settings(database_url=database))
    try:
        with Session(engine) as session:
            return len(
                session.scalars(
                    select(KeyRecoveryToken).where(
                        col(KeyRecoveryToken.organisation_id) == organisation_id
                    )
                ).all()
            )
    finally:
        engine.dispose()
