"""Take the README's screenshots: the calls page, a call's suggested partners and the consortium
builder, each at 1280 and 390 px wide, into docs/screenshots/.

    .venv/bin/python -m scripts.screenshots [--out docs/screenshots]

(run from the repository's root, as a module, so that the shared helpers in the tests package
import).

Serves the demo data with a real uvicorn (a fresh SQLite file, as the browser tests do: see
tests/web/browser.py) and drives Debian's headless Chromium (`/usr/bin/chromium`, installed by
`scripts/test`) with Playwright. The call shown is the demo's first open IHI-style health call
(the calls page opens on it). For the builder, a fictional SME registers, starts a draft for
that call and signs in, as a user would, so the builder shows the signed-in sidebar ("Your
drafts for this call") and proposes a consortium with that SME in it. Each PNG is written with
Pillow's `optimize`, losslessly.
"""

import argparse
import tempfile
from pathlib import Path
from typing import Any

import httpx
from PIL import Image
from playwright import sync_api

from tests.servers import uvicorn_server
from tests.web.browser import (
    DESKTOP,
    PHONE,
    SETTLED,
    TIMEOUT_MS,
    demo_database,
    launch_chromium,
    sign_in,
)

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
SIZES = {"1280": DESKTOP, "390": PHONE}
MARGIN = 16  # px below the last element a screenshot shows
SUGGESTIONS_SHOWN = 5  # rows of the suggestion table in the desktop screenshot
SUGGESTIONS_SHOWN_PHONE = 3  # and in the phone one
ORGANISATION = {
    "name": "Oncomark Diagnostics",
    "stakeholder_type": "sme",
    "country": "NL",
    "city": "Leiden",
    "description": "Liquid biopsy assays and digital biomarkers for cancer patients: "
    "treatment monitoring in routine care, data from hospitals and patients' own devices.",
    "keywords": ["liquid biopsy", "oncology", "digital biomarkers", "health data"],
}


def first_open_health_call(client: httpx.Client) -> dict[str, Any]:
    """The call the calls page opens on: open, IHI, nearest deadline first."""
    answer = client.get(
        "/calls", params={"status": "open", "programme": "IHI", "sort": "deadline", "limit": 1}
    )
    answer.raise_for_status()
    items: list[dict[str, Any]] = answer.json()["items"]
    if not items:
        raise SystemExit("the demo data has no open IHI call")
    return items[0]


def register_with_a_draft(client: httpx.Client, call_id: int) -> dict[str, Any]:
    """Register the fictional SME (its key comes back once) and start a draft for the call."""
    created = client.post("/organisations", json=ORGANISATION)
    created.raise_for_status()
    organisation: dict[str, Any] = created.json()
    draft = client.post(
        "/consortia",
        headers={"Authorization": f"Bearer {organisation['api_key']}"},
        json={
            "name": "Cancer care monitoring consortium",
            "call_id": call_id,
            "members": [{"organisation_id": organisation["id"], "role": "coordinator"}],
        },
    )
    draft.raise_for_status()
    return organisation


def shot(
    page: Any,
    target: Path,
    *,
    down_to: str | None = None,
    up_from: str | None = None,
    margin: int = MARGIN,
) -> None:
    """A screenshot of what the screen shows now, or of the page from its top (or from the top
    of the element `up_from` selects) down to the end of the element `down_to` selects; without
    a hover; written as an optimised PNG."""
    page.wait_for_function(SETTLED)
    page.mouse.move(0, 0)
    if down_to is None:
        page.screenshot(path=str(target))
    else:
        top = 0 if up_from is None else _page_y(page, up_from, "top")
        bottom = _page_y(page, down_to, "bottom") + margin
        width = page.viewport_size["width"]
        clip = {"x": 0, "y": top, "width": width, "height": bottom - top}
        page.screenshot(path=str(target), full_page=True, clip=clip)
    with Image.open(target) as image:
        image.load()
    image.save(target, optimize=True)
    print(f"{target}: {image.width} x {image.height} px, {target.stat().st_size:,} bytes")


def _page_y(page: Any, selector: str, edge: str) -> int:
    """Where the top or bottom edge of the first element `selector` finds is, from the page's
    top."""
    where = page.locator(selector).first.evaluate(
        f"element => element.getBoundingClientRect().{edge} + window.scrollY"
    )
    return round(where)


def take(base_url: str, client: httpx.Client, out: Path) -> None:
    """Every screenshot, at both widths."""
    call = first_open_health_call(client)
    expect = sync_api.expect
    with sync_api.sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            contexts: dict[str, Any] = {}
            for width, viewport in SIZES.items():
                context = browser.new_context(viewport=viewport, base_url=base_url)
                context.set_default_timeout(TIMEOUT_MS)
                contexts[width] = context
                page = context.new_page()

                # The calls page as a visitor first sees it: the open IHI call on top.
                page.goto("/ui/calls")
                first = page.locator("ol.cards > li").first
                expect(first).to_contain_text(call["identifier"])
                if viewport is PHONE:  # down to the end of the first call
                    shot(page, out / f"calls-{width}.png", down_to="ol.cards > li")
                else:
                    shot(page, out / f"calls-{width}.png")

                # The call and its suggested partners (on a phone, the partners only).
                page.goto(f"/ui/calls/{call['id']}")
                expect(page.locator("#suggestion-table tbody tr").first).to_be_visible()
                if viewport is PHONE:
                    last = f"#suggestion-table tbody tr:nth-child({SUGGESTIONS_SHOWN_PHONE})"
                    shot(
                        page,
                        out / f"suggestions-{width}.png",
                        up_from="#suggestions",
                        down_to=last,
                        margin=1,
                    )
                else:
                    last = f"#suggestion-table tbody tr:nth-child({SUGGESTIONS_SHOWN})"
                    shot(page, out / f"suggestions-{width}.png", down_to=last, margin=1)

            # Registered only now, so that the suggestions above are the demo's own.
            organisation = register_with_a_draft(client, call["id"])
            for width, context in contexts.items():
                # The builder, signed in: our SME kept in the proposal, our draft in the sidebar.
                page = context.pages[0]
                sign_in(page, organisation["api_key"], organisation["name"])
                page.goto(f"/ui/calls/{call['id']}/consortium?include={organisation['id']}")
                expect(page.get_by_role("heading", name="Consortium builder")).to_be_visible()
                expect(page.locator(".badge-pinned").first).to_be_visible()
                drafts = page.locator("[aria-labelledby='my-drafts-heading']")
                expect(drafts).to_contain_text("Cancer care monitoring consortium")
                if SIZES[width] is PHONE:
                    shot(page, out / f"builder-{width}.png")
                else:
                    shot(
                        page,
                        out / f"builder-{width}.png",
                        down_to="[aria-labelledby='my-drafts-heading']",
                    )
                context.close()
        finally:
            browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help="where to write the PNGs")
    arguments = parser.parse_args()
    arguments.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as directory:
        url = demo_database(Path(directory) / "demo.db")
        with uvicorn_server(url) as client:
            take(str(client.base_url).rstrip("/"), client, arguments.out.resolve())


if __name__ == "__main__":
    main()
