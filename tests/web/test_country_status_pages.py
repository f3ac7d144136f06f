"""The administrator's country statuses page: the table by country name, with each status in
words and where each row stands today, and the form that gives a country a new status."""

import html
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from matchmaker.countries import name_order
from models.common import utc_today
from tests.factories import create_organisation
from tests.helpers import Page, bearer, created

PANEL = "/ui/admin/country-statuses/panel"
ROW = re.compile(
    r'<tr data-country="(?P<code>[A-Z]{2})" data-now="(?P<now>[a-z-]+)">(?P<cells>.*?)</tr>', re.S
)


def _cell(label: str, cells: str) -> str:
    """The text a row's cell starts with, by its label."""
    found = re.search(rf'data-label="{label}">([^<]+)', cells)
    assert found, (label, cells)
    return html.unescape(found[1]).strip()


def rows(markup: str) -> list[dict[str, str]]:
    """Each row of the table: its country's code, where it stands today, its name, its status
    and what it applies to, as shown, and its cells' markup."""
    return [
        {
            "code": match["code"],
            "now": match["now"],
            "name": _cell("Country", match["cells"]),
            "status": _cell("Status", match["cells"]),
            "covers": _cell("Applies to", match["cells"]),
            "cells": match["cells"],
        }
        for match in ROW.finditer(markup)
    ]


@pytest.mark.sqlite_only
def test_the_page_holds_a_labelled_form_and_only_an_administrator_reads_the_table(
    client: TestClient, anonymous: TestClient
) -> None:
    """The page is public HTML whose form labels every control and whose table is a fragment
    an administrator's key reads (not cached); without a key it is 401, with an
    organisation's 403, both problem details."""
    page = anonymous.get("/ui/admin/country-statuses")
    assert page.status_code == 200
    assert "<h1>Country statuses</h1>" in page.text
    assert f'data-fragment="{PANEL}"' in page.text
    parsed = Page(page.text)
    controls = {control["id"] for control in parsed.controls if "id" in control}
    assert {
        "status-country",
        "status-value",
        "status-parts-all",
        "status-except-eic-fund",
        "status-valid-from",
        "status-valid-to",
        "status-source",
        "status-note",
    } <= controls
    assert controls <= parsed.labels
    # The administrator's menu leads here, beside "Claims", and marks it on this page.
    link = '<li data-admin-only hidden><a href="/ui/admin/country-statuses"{}>Country statuses'
    assert link.format(' aria-current="page"') in page.text
    assert link.format("") in anonymous.get("/ui/admin/claims").text

    assert anonymous.get(PANEL).status_code == 401
    organisation = create_organisation(anonymous)
    refused = anonymous.get(PANEL, headers=bearer(organisation["api_key"]))
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    panel = client.get(PANEL)
    assert panel.status_code == 200
    assert panel.headers["cache-control"] == "no-store"


def test_an_end_before_the_start_is_refused_in_words_that_fit_the_form_and_the_api(
    client: TestClient, anonymous: TestClient
) -> None:
    """Until before From: the refusal names the field for the API (`valid_to`) and says what
    is wrong without the API's field names, since the form shows it beside "Until" (the control
    named `valid_to`, its message slot `error-valid_to`) and lists it by that label."""
    refused = client.post(
        "/admin/country-statuses",
        json={
            "country": "MA",
            "status": "associated",
            "valid_from": "2026-01-01",
            "valid_to": "2025-12-31",
            "parts": ["all"],
            "source": "Commission list",
        },
    )
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert problem["detail"] == "A status cannot end before it starts."
    assert problem["errors"] == [
        {"field": "valid_to", "message": "A status cannot end before it starts."}
    ]
    form = anonymous.get("/ui/admin/country-statuses").text
    assert '<label for="status-valid-to">Until</label>' in form
    assert (
        '<input type="date" id="status-valid-to" name="valid_to" '
        'aria-describedby="to-hint error-valid_to">'
    ) in form


def test_the_table_lists_statuses_by_country_name_with_what_they_mean_and_their_dates(
    client: TestClient,
) -> None:
    """Every row, by country name: "United Kingdom", not GB; its status in words; the parts
    it covers; from and until; an ended row marked "Ended", the one after it "In force"."""
    shown = rows(client.get(PANEL).text)
    table = client.get("/rules/countries").json()
    assert len(shown) == len(table)
    names = [row["name"] for row in shown]
    assert names == sorted(names, key=name_order)
    assert f"{len(table)} rows for {len({row['country'] for row in table})} countries" in (
        client.get(PANEL).text
    )
    uk = [row for row in shown if row["code"] == "GB"]
    assert [(row["name"], row["status"], row["now"]) for row in uk] == [
        ("United Kingdom", "Not associated", "ended"),
        ("United Kingdom", "Associated Country", "in-force"),
    ]
    assert uk[1]["covers"] == (
        "The whole programme, except the EIC Fund (the EIC Accelerator's equity part)"
    )
    assert '<time datetime="2023-12-31">31 Dec 2023</time>' in uk[0]["cells"]
    assert '<span class="badge badge-closed">Ended</span>' in uk[0]["cells"]
    assert "No end set" in uk[1]["cells"]
    assert '<span class="badge badge-open">In force</span>' in uk[1]["cells"]
    canada = [row for row in shown if row["code"] == "CA"]
    assert [row["covers"] for row in canada] == [
        "Pillar II, Global Challenges and European Industrial Competitiveness (IHI included)"
    ]
    # Only a country's last row offers to give it a new status.
    assert "New status<" not in uk[0]["cells"]
    assert (
        '<a class="button button-small button-quiet" '
        'href="/ui/admin/country-statuses?country=GB#new-status-heading">'
        'New status<span class="visually-hidden"> for United Kingdom</span></a>'
    ) in uk[1]["cells"]


@pytest.mark.sqlite_only
def test_an_added_row_shows_who_added_it_and_where_the_rows_before_it_stand(
    client: TestClient,
) -> None:
    """A row an administrator added says so, with its day; one starting today takes over from
    the country's shipped row ("Replaced by a later row"), and one starting next month is "Not
    yet in force"."""
    today = utc_today()
    for country, start in (("MA", today), ("JO", today + timedelta(days=30))):
        created(
            client.post(
                "/admin/country-statuses",
                json={
                    "country": country,
                    "status": "associated",
                    "valid_from": start.isoformat(),
                    "source": "Commission, List of participating countries, V3.1",
                    "note": "Association agreement in force.",
                },
            )
        )
    shown = rows(client.get(PANEL).text)
    morocco = [row for row in shown if row["code"] == "MA"]
    assert [(row["status"], row["now"]) for row in morocco] == [
        ("Not associated", "replaced"),
        ("Associated Country", "in-force"),
    ]
    assert "Shipped with matchmaker" in morocco[0]["cells"]
    assert "Added by an administrator on <time datetime=" in morocco[1]["cells"]
    assert "Association agreement in force." in morocco[1]["cells"]
    assert "Commission, List of participating countries, V3.1" in morocco[1]["cells"]
    [jordan] = [row for row in shown if row["code"] == "JO"]
    assert (jordan["name"], jordan["now"]) == ("Jordan", "future")
    assert '<span class="badge badge-forthcoming">Not yet in force</span>' in jordan["cells"]


@pytest.mark.sqlite_only
def test_a_country_in_the_address_is_chosen_in_the_form(anonymous: TestClient) -> None:
    """`?country=ma` (as the table's "New status" links give it) chooses Morocco in the form;
    an unknown code chooses nothing."""
    chosen = anonymous.get("/ui/admin/country-statuses", params={"country": "ma"}).text
    assert re.findall(r'<option value="(\w+)" selected>', chosen) == ["MA"]
    unknown = anonymous.get("/ui/admin/country-statuses", params={"country": "ZZ"}).text
    assert re.findall(r'<option value="(\w+)" selected>', unknown) == []


def test_the_table_shows_one_country_s_rows_when_one_is_chosen(
    client: TestClient, anonymous: TestClient
) -> None:
    """ "Show the rows of" Switzerland (`?show=ch`) reads the table for Switzerland alone, its
    two rows by start date; a country with no row says it is treated as not associated; an
    unknown code shows every country."""
    page = anonymous.get("/ui/admin/country-statuses", params={"show": "ch"}).text
    assert re.findall(r'<option value="(\w+)" selected>', page) == ["CH"]
    assert 'data-fragment="/ui/admin/country-statuses/panel?country=CH"' in page
    assert [c["id"] for c in Page(page).controls if c.get("name") == "show"] == ["show-country"]
    assert '<a class="button button-quiet" href="/ui/admin/country-statuses#table-heading">' in page

    swiss = client.get(PANEL, params={"country": "CH"}).text
    assert [(row["code"], row["status"], row["now"]) for row in rows(swiss)] == [
        ("CH", "Not associated", "ended"),
        ("CH", "Associated Country", "in-force"),
    ]
    assert "<p>2 rows for Switzerland, by start date." in swiss
    jordan = client.get(PANEL, params={"country": "JO"}).text
    assert rows(jordan) == []
    assert '<p class="empty">No row for Jordan: it is treated as not associated.</p>' in jordan

    unknown = anonymous.get("/ui/admin/country-statuses", params={"show": "ZZ"}).text
    assert 'data-fragment="/ui/admin/country-statuses/panel"' in unknown
    assert len(rows(client.get(PANEL, params={"country": "ZZ"}).text)) == len(
        client.get("/rules/countries").json()
    )
