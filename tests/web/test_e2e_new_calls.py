"""A returning reader of the calls list, end to end in Chromium against a real uvicorn serving
the demo data: the calls stored since this browser last showed the list are marked "New" and
counted, once.
"""

from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from playwright import sync_api

from tests.factories import create_call
from tests.web.browser import SETTLED

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TITLE = "Zebrafish models of heart regeneration"
# The tab's visit, as the script keeps it, last shown 31 minutes earlier than it was.
SET_VISIT_BACK = """() => {
  const visit = JSON.parse(sessionStorage.getItem("matchmaker.calls-visit"));
  const shown = Date.parse(visit.shown.slice(0, 23) + "Z") - 31 * 60 * 1000;
  visit.shown = new Date(shown).toISOString().replace("Z", "000Z");
  sessionStorage.setItem("matchmaker.calls-visit", JSON.stringify(visit));
}"""


def _visit(tab: Any, path: str, errors: list[str]) -> None:
    """Show `path` in `tab`, its script's requests answered; script errors go to `errors`."""
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.goto(path)
    tab.wait_for_function(SETTLED)


def test_a_call_stored_since_the_last_visit_is_marked_new_at_the_next_visit_only(
    server: httpx.Client, page: Any
) -> None:
    """The first visit marks nothing and claims nothing new, though every demo call was stored
    moments before; a call stored afterwards is marked "New" (in words a screen reader reads)
    and counted at the next visit, in a new tab, through its search and a reload; the visit
    after that (a new tab, or the same one back after 30 minutes) marks nothing."""
    expect = sync_api.expect
    errors: list[str] = []
    _visit(page, "/ui/calls", errors)
    expect(page.locator(".cards .card").first).to_be_visible()
    expect(page.locator(".badge-new")).to_have_count(0)
    expect(page.locator("#new-calls")).to_be_hidden()
    assert "new since" not in page.locator("#main").inner_text()

    tomorrow = date.today() + timedelta(days=1)
    create_call(
        server,
        identifier="NEW-SINCE-2099",
        title=TITLE,
        description="Zebrafish models of heart regeneration after infarction.",
        opening_date=None,
        deadline=tomorrow.isoformat(),
    )
    last_visit = f"{date.today().day} {date.today():%B}"

    second = page.context.new_page()
    _visit(second, "/ui/calls", errors)
    expect(second.locator("#new-calls")).to_have_text(
        f"1 call is new since your last visit on {last_visit}."
    )
    # Open, with the nearest deadline, the new call comes first; it alone is marked.
    tags = second.locator(".badge-new")
    expect(tags).to_have_count(1)
    expect(tags).to_be_visible()
    expect(tags).to_have_text("New since your last visit")
    expect(second.locator(".card").first.get_by_role("heading")).to_have_accessible_name(
        f"{TITLE} New since your last visit"
    )

    second.get_by_role("searchbox", name="Search").fill("zebrafish heart")
    second.get_by_role("button", name="Show calls").click()
    second.wait_for_function(SETTLED)
    expect(second.locator("#new-calls")).to_have_text(
        f"1 of these calls is new since your last visit on {last_visit}."
    )
    expect(second.locator(".card", has_text=TITLE).locator(".badge-new")).to_have_count(1)
    second.reload()
    second.wait_for_function(SETTLED)
    expect(second.locator(".card", has_text=TITLE).locator(".badge-new")).to_have_count(1)

    third = page.context.new_page()
    _visit(third, "/ui/calls?q=zebrafish+heart", errors)
    expect(third.locator(".card", has_text=TITLE)).to_have_count(1)
    expect(third.locator("#new-calls")).to_have_text(
        f"None of these calls is new since your last visit on {last_visit}."
    )
    expect(third.locator(".badge-new")).to_have_count(0)

    # Back in the second tab more than 30 minutes after it last showed the list (its visit's
    # moment set back so): that, too, is the next visit.
    second.evaluate(SET_VISIT_BACK)
    second.reload()
    second.wait_for_function(SETTLED)
    expect(second.locator("#new-calls")).to_have_text(
        f"None of these calls is new since your last visit on {last_visit}."
    )
    expect(second.locator(".badge-new")).to_have_count(0)
    assert errors == []
