"""Every web page in Chromium, signed out and signed in, at a desktop's, a laptop's, a tablet's
and a phone's width.

What Chromium itself computes is checked: each form control in its accessibility tree has a
name (a label that points nowhere leaves the control nameless), no id is used twice on a page,
no page scrolls sideways, and no table is wider than its box (a table in a scrolling box hides
its last columns, the row's buttons say, until the reader scrolls it).
"""

from typing import Any

import pytest
from playwright import sync_api

from tests.web.browser import (
    DESKTOP,
    LAPTOP,
    PHONE,
    SIDEWAYS,
    TABLET,
    audited_pages,
    page_problems,
    sign_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_calls_page_status_filter_has_its_label(context: Any) -> None:
    """The Status select is named by its label, and the live region keeps its own id."""
    page = context.new_page()
    page.goto("/ui/calls")

    status = page.get_by_role("combobox", name="Status")

    sync_api.expect(status).to_have_count(1)
    sync_api.expect(status).to_have_attribute("name", "status")


@pytest.mark.parametrize("signed_in", [False, True], ids=["signed-out", "signed-in"])
def test_every_page_names_its_controls_has_unique_ids_and_fits_the_screen(
    context: Any, audit: dict[str, Any], signed_in: bool
) -> None:
    """Signed out and signed in, each page at a desktop's, a laptop's, a tablet's and a phone's
    width: no nameless control, no repeated id, no sideways scroll, no table wider than its
    box. Each page is loaded once and resized to each width (`page_problems`), where loading
    it at each width took four times the browser's and the server's work."""
    page = context.new_page()
    if signed_in:
        sign_in(page, audit["key"], audit["organisation"]["name"])
    paths = audited_pages(audit, signed_in=signed_in)
    widths = [DESKTOP, LAPTOP, TABLET, PHONE]
    problems = [problem for path in paths for problem in page_problems(page, path, widths)]

    assert problems == []


def test_a_drafts_coverage_takes_three_eighths_of_a_desktop_screen(
    context: Any, audit: dict[str, Any], server: Any
) -> None:
    """At 1280 px a draft's coverage (what it lacks and who could fill it) sits beside its
    members in three eighths of the width, not a 21rem strip, and the members' table still fits
    its box with a member whose name holds a long word."""
    key = audit["key"]
    long_named = _registered(
        server,
        name="Deutsches Krebsforschungszentrum Heidelberg",
        stakeholder_type="academia",
        country="DE",
        description="Cancer research.",
    )
    draft = _draft(server, audit, "Coverage width", [long_named["id"]])
    page = context.new_page()
    sign_in(page, key, audit["organisation"]["name"])
    assert page_problems(page, f"/ui/consortia/{draft['id']}") == []
    widths = page.evaluate(
        """() => [".draft-builder", ".draft-builder > .coverage"].map(
             (s) => document.querySelector(s).getBoundingClientRect().width)"""
    )
    assert widths[1] / widths[0] > 0.35


def test_a_drafts_members_table_fits_beside_its_coverage_with_capitalised_names(
    context: Any, audit: dict[str, Any], server: Any
) -> None:
    """At 1280 px and 1440 px the members' table of a draft as the builder fills it (CORDIS names
    in capitals, a healthcare provider, partners with "Make coordinator") fits its box: no row's
    buttons are cut off behind a scroll bar."""
    key = audit["key"]
    partners = [
        _registered(server, name=name, stakeholder_type=kind, country="DE")["id"]
        for name, kind in [
            ("DEUTSCHES KREBSFORSCHUNGSZENTRUM HEIDELBERG", "academia"),
            (
                "FUNDACIO HOSPITAL UNIVERSITARI VALL D'HEBRON - INSTITUT DE RECERCA",
                "healthcare_provider",
            ),
        ]
    ]
    draft = _draft(server, audit, "Capitals", partners)
    page = context.new_page()
    sign_in(page, key, audit["organisation"]["name"])
    problems = page_problems(page, f"/ui/consortia/{draft['id']}")
    page.set_viewport_size({"width": 1440, "height": 900})
    problems += page_problems(page, f"/ui/consortia/{draft['id']}")

    assert problems == []


# The rendered width of each country's name in a table's "Type and country" cells, in px (a name
# kept for screen readers only is clipped to 1 px).
COUNTRY_NAME_WIDTHS = """(table) => [...document.querySelectorAll(table + " .country-name")]
  .map((e) => [e.textContent, Math.round(e.getBoundingClientRect().width)])"""


def test_the_builder_and_a_draft_show_each_members_country_by_name_and_still_fit(
    context: Any, audit: dict[str, Any], server: Any
) -> None:
    """At 1280 px and 1440 px the builder's proposal and a draft's members show each member's
    country by its name, not by its code alone, and both tables still fit their boxes with a
    long country name under a long-named healthcare provider the proposal keeps."""
    key = audit["key"]
    clinic = _registered(
        server,
        name="KLINICKI CENTAR UNIVERZITETA U SARAJEVU - UNIVERSITY CLINICAL CENTRE",
        stakeholder_type="healthcare_provider",
        country="BA",
        description="Tumour microenvironment and host response in cancer patients.",
    )
    draft = _draft(server, audit, "Country names", [clinic["id"]])
    builder = f"/ui/calls/{audit['call']['id']}/consortium?include={clinic['id']}"
    page = context.new_page()
    sign_in(page, key, audit["organisation"]["name"])
    problems, hidden = [], []
    for width in (1280, 1440):
        page.set_viewport_size({"width": width, "height": 900})
        for path, table in [
            (builder, ".builder-main > .table-scroll .proposal-table"),
            (f"/ui/consortia/{draft['id']}", "#member-table"),
        ]:
            problems += page_problems(page, path)
            names = page.evaluate(COUNTRY_NAME_WIDTHS, table)
            assert names, f"{path}: no country in {table}"
            hidden += [f"{path} at {width} px: {name}" for name, shown in names if shown < 20]
            assert "Bosnia and Herzegovina" in [name for name, _ in names]

    assert problems == []
    assert hidden == []


# Each country's name in the candidates (`li.candidate`) under `list`, with its width in px.
CANDIDATE_COUNTRY_WIDTHS = """(list) => [...document.querySelectorAll(list + " li.candidate")]
  .map((e) => e.querySelector(".country-name"))
  .map((e) => [e.textContent, Math.round(e.getBoundingClientRect().width)])"""
OPEN_MORE_CANDIDATES = """() => document.querySelectorAll("details.more-candidates")
  .forEach((details) => { details.open = true; })"""


def test_a_drafts_candidates_and_finder_show_each_country_by_name_and_still_fit(
    context: Any, audit: dict[str, Any], server: Any
) -> None:
    """At 390, 1280 and 1440 px a draft's coverage candidates (those behind "more candidates"
    too) and the organisations its finder lists show each one's country by its name, not by
    its code alone, and the page still fits the screen with a long country name under a
    long-named candidate."""
    _registered(
        server,
        name="UNIVERZITETSKI KLINICKI CENTAR TUZLA - TUMOUR IMMUNOLOGY CLINIC",
        stakeholder_type="healthcare_provider",
        country="BA",
        description="Tumour-host interactions and immune system-centred treatment and "
        "care of childhood, adolescent, adult and elderly cancer patients.",
    )
    path = f"/ui/consortia/{audit['draft']['id']}"
    page = context.new_page()
    sign_in(page, audit["key"], audit["organisation"]["name"])
    problems, hidden = [], []
    for width in (390, 1280, 1440):
        page.set_viewport_size({"width": width, "height": 900})
        problems += page_problems(page, path)
        page.evaluate(OPEN_MORE_CANDIDATES)
        candidates = page.evaluate(CANDIDATE_COUNTRY_WIDTHS, ".coverage")
        assert len(candidates) >= 4, f"{width} px: {candidates}"
        assert "Bosnia and Herzegovina" in [name for name, _ in candidates]
        found = []
        for words, count in [("Tuzla", 1), ("cancer", 10)]:
            page.get_by_label("Name or expertise").fill(words)
            page.get_by_role("button", name="Find").click()
            sync_api.expect(page.locator("#finder-results li.candidate")).to_have_count(count)
            found += page.evaluate(CANDIDATE_COUNTRY_WIDTHS, "#finder-results")
            if (sideways := page.evaluate(SIDEWAYS)) > 0:
                problems.append(f"finder ({words}): {sideways} px wider than {width} px")
        assert found[0][0] == "Bosnia and Herzegovina"
        hidden += [f"{name} at {width} px" for name, shown in candidates + found if shown < 20]

    assert problems == []
    assert hidden == []


def _registered(server: Any, **profile: str) -> dict[str, Any]:
    """A profile registered through the API, as its answer gives it."""
    created = server.post("/organisations", json=profile)
    assert created.status_code == 201, created.text
    answer: dict[str, Any] = created.json()
    return answer


def _draft(server: Any, audit: dict[str, Any], name: str, partners: list[int]) -> dict[str, Any]:
    """A draft of the audited organisation (its coordinator) for the audited call, with these
    partners."""
    created = server.post(
        "/consortia",
        headers={"Authorization": f"Bearer {audit['key']}"},
        json={
            "name": name,
            "call_id": audit["call"]["id"],
            "members": [
                {"organisation_id": audit["organisation"]["id"], "role": "coordinator"},
                *({"organisation_id": partner, "role": "partner"} for partner in partners),
            ],
        },
    )
    assert created.status_code == 201, created.text
    answer: dict[str, Any] = created.json()
    return answer
