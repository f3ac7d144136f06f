"""Find expertise and the search boxes, end to end in Chromium against the demo data."""

from pathlib import Path

import httpx
import pytest
from playwright import sync_api

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
TIMEOUT_MS = 15_000

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_user_finds_expertise_by_free_text_and_narrows_it(
    server: httpx.Client, browser: object
) -> None:
    """From the nav, describe a need, get ranked organisations, then only one type and country."""
    base = str(server.base_url).rstrip("/")
    context = browser.new_context(  # type: ignore[attr-defined]
        viewport={"width": 1280, "height": 900}, base_url=base
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    expect = sync_api.expect
    need = "tumour microenvironment immunotherapy"

    page.goto("/ui/calls")
    page.get_by_role("link", name="Find expertise").click()
    page.get_by_label("Expertise needed").fill(need)
    page.get_by_role("button", name="Find organisations").click()
    rows = page.locator("#suggestion-table tbody tr")
    expect(rows.first).to_be_visible()
    everyone = rows.count()
    assert everyone > 1
    api = server.post("/search", json={"text": need, "limit": 50}).json()["items"]
    first = page.locator("#suggestion-table tbody tr th a").first.inner_text()
    assert first == api[0]["organisation"]["name"]
    assert everyone == 25 < len(api)

    # "Show more" adds the next ones of the same ranking.
    page.get_by_role("link", name="Show more").click()
    expect(rows).to_have_count(min(len(api), 50))
    expect(rows.nth(25)).to_be_focused()
    names = page.locator("#suggestion-table tbody tr th a").all_inner_texts()
    assert names == [item["organisation"]["name"] for item in api[: len(names)]]
    assert page.get_by_label("Expertise needed").input_value() == need

    kind, country = api[0]["organisation"]["stakeholder_type"], api[0]["organisation"]["country"]
    page.get_by_label("Stakeholder type").select_option(kind)
    page.get_by_label("Country").select_option(country)
    page.get_by_role("button", name="Find organisations").click()
    expect(rows.first).to_be_visible()
    narrowed = server.post(
        "/search", json={"text": need, "stakeholder_type": [kind], "country": [country]}
    ).json()["items"]
    expect(rows).to_have_count(len(narrowed))
    assert page.get_by_label("Expertise needed").input_value() == need
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "10-find-expertise.png"), full_page=True)

    # The calls page's search box reads the scope and marks why a call matched.
    page.goto("/ui/calls")
    page.get_by_role("searchbox", name="Search").fill('"tumour-host"')
    page.get_by_role("button", name="Show calls").click()
    expect(page.locator(".card").first).to_be_visible()
    expect(page.locator(".card mark").first).to_be_visible()
    context.close()
    assert problems == []
