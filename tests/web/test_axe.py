"""Every web page audited by axe-core, the WCAG engine, in Chromium: signed out and signed in, at
a desktop's and a phone's width, against the WCAG 2.0 and 2.1 rules of levels A and AA; and each
kind of link, button and field on them hovered, for the colour contrast a hover state changes
(axe sees only the state a page is in).

The pages are those test_accessibility visits (`browser.audited_pages`). A failure lists each
violation's rule, impact, what is wrong, the CSS selector of the element and an excerpt of its
HTML.
"""

from collections.abc import Iterator
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright import sync_api

from tests.servers import ADMIN_TOKEN
from tests.web.browser import DESKTOP, PHONE, SETTLED, audited_pages, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WCAG_A_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
EVERY_RULE = {"runOnly": {"type": "tag", "values": WCAG_A_AA}, "resultTypes": ["violations"]}
CONTRAST = {"runOnly": ["color-contrast"], "resultTypes": ["violations"]}
EXCERPT = 160  # characters of an element's HTML shown in a failure
HOVERED = "data-axe-hovered"
# Marks one control of each kind not in `seen` (its tag, classes, parent's classes and where it
# sits: header, footer, table, notice) with HOVERED and its number; returns the kinds it marked,
# in order. Only what a mouse can reach: not the skip link above the page until focused, nor
# visually hidden text. A kind already hovered on an earlier page (the header's buttons, say)
# is not hovered again.
MARK_KINDS = f"""(seen) => {{
  const kinds = new Set(seen);
  const marked = [];
  document.querySelectorAll("a, button, summary, label, input, select, textarea").forEach((e) => {{
    const box = e.getBoundingClientRect();
    if (box.width <= 1 || box.height <= 1 || box.bottom + window.scrollY <= 0) return;
    const parent = e.parentElement;
    const kind = [e.tagName, ...[...e.classList].sort(), "|", ...[...parent.classList].sort(),
      ...["header", "footer", "table", ".notice"].map((where) => Boolean(e.closest(where)))].join();
    if (kinds.has(kind)) return;
    kinds.add(kind);
    e.setAttribute("{HOVERED}", String(marked.length));
    marked.push(kind);
  }});
  return marked;
}}"""


def _lines(page: Any, path: str, results: dict[str, Any], state: str = "") -> list[str]:
    """Lines per element axe found at fault: where, rule, impact, what is wrong, selector, HTML."""
    width = page.viewport_size["width"]
    found = []
    for violation in results["violations"]:
        for node in violation["nodes"]:
            html = " ".join(node["html"].split())
            if len(html) > EXCERPT:
                html = html[: EXCERPT - 1] + "…"
            target = " ".join(str(part) for part in node["target"])
            checks = node["any"] + node["all"] + node["none"]
            why = checks[0]["message"] if checks else violation["help"]
            found.append(
                f"{path} at {width} px{state}: {violation['id']} ({violation['impact']}): "
                f"{why}\n    at {target}\n    {html}"
            )
    return found


def _visit(
    context: Any,
    audit: dict[str, Any],
    *,
    signed_in: bool,
    viewport: sync_api.ViewportSize = DESKTOP,
) -> Iterator[tuple[Any, str]]:
    """Each audited page opened in one tab at `viewport`, signed in or not, once the page's
    script has loaded what it loads: (the tab, the page's path)."""
    page = context.new_page()
    page.set_viewport_size(viewport)
    if signed_in:
        sign_in(page, audit["key"], audit["organisation"]["name"])
    for path in audited_pages(audit, signed_in=signed_in):
        page.goto(path)
        page.wait_for_function(SETTLED)
        yield page, path


@pytest.mark.parametrize("signed_in", [False, True], ids=["signed-out", "signed-in"])
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280px", "390px"])
def test_every_page_passes_axe_wcag_a_and_aa(
    context: Any, audit: dict[str, Any], viewport: sync_api.ViewportSize, signed_in: bool
) -> None:
    """No page breaks a WCAG 2.0 or 2.1 level A or AA rule that axe-core checks."""
    axe = Axe()
    found = []
    for page, path in _visit(context, audit, signed_in=signed_in, viewport=viewport):
        found += _lines(page, path, axe.run(page, options=EVERY_RULE).response)

    assert not found, f"{len(found)} axe violations:\n" + "\n".join(found)


# What only an administrator's key is shown: the figures and lists these pages load with it (the
# other keys' audit sees only what they say instead), and the menu's count of claims waiting.
ADMIN_PAGES = ("/ui/admin/outbox", "/ui/admin/claims", "/ui/admin/country-statuses")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280px", "390px"])
def test_the_administrators_pages_pass_axe_signed_in_as_one(
    context: Any, audit: dict[str, Any], viewport: sync_api.ViewportSize
) -> None:
    """Signed in with an administrator's key, its pages with what they load for it break no
    WCAG 2.0 or 2.1 level A or AA rule that axe-core checks."""
    axe = Axe()
    page = context.new_page()
    page.set_viewport_size(viewport)
    sign_in(page, ADMIN_TOKEN, "an administrator")
    found = []
    for path in ADMIN_PAGES:
        page.goto(path)
        page.wait_for_function(SETTLED)
        assert page.locator("main [data-admin-only]").first.is_visible(), path
        found += _lines(page, path, axe.run(page, options=EVERY_RULE).response)

    assert not found, f"{len(found)} axe violations:\n" + "\n".join(found)


@pytest.mark.parametrize("signed_in", [False, True], ids=["signed-out", "signed-in"])
def test_every_kind_of_control_keeps_its_contrast_when_hovered(
    context: Any, audit: dict[str, Any], signed_in: bool
) -> None:
    """Hovered, one link, button or field of each kind (on the first page that has it) still
    passes axe's colour contrast rule (WCAG 1.4.3), at a desktop's width, where a mouse
    hovers."""
    axe = Axe()
    found = []
    seen: list[str] = []
    for page, path in _visit(context, audit, signed_in=signed_in):
        marked = page.evaluate(MARK_KINDS, seen)
        seen += marked
        for number in range(len(marked)):
            selector = f"[{HOVERED}='{number}']"
            page.locator(selector).hover(force=True)
            results = axe.run(page, context=selector, options=CONTRAST).response
            found += _lines(page, path, results, " hovered")
        page.mouse.move(0, 0)

    assert not found, f"{len(found)} axe violations:\n" + "\n".join(found)


# What the API docs' own markup breaks and a stylesheet cannot change: Swagger UI's summary of an
# operation is a button holding other buttons (copy the path, the lock); ReDoc's examples are
# chosen with an unnamed select, in a scrolling panel that takes no focus.
SWAGGER_STRUCTURE = ["nested-interactive"]
REDOC_STRUCTURE = ["select-name", "scrollable-region-focusable"]


def _every_rule_but(rules: list[str]) -> dict[str, Any]:
    return {**EVERY_RULE, "rules": {rule: {"enabled": False} for rule in rules}}


def test_api_docs_pass_axe_with_operations_open_and_tried(context: Any) -> None:
    """/docs (Swagger UI, with `api-docs.css`) passes axe's WCAG A and AA rules other than
    Swagger's nested controls: collapsed, then with operations opened (parameters, request
    bodies, examples) and one tried out (its answer shown)."""
    page = context.new_page()
    page.goto("/docs")
    page.wait_for_selector(".opblock")
    axe = Axe()
    found = _lines(
        page, "/docs", axe.run(page, options=_every_rule_but(SWAGGER_STRUCTURE)).response
    )
    for operation in ("organisations-create_organisation", "calls-list_calls"):
        page.click(f"#operations-{operation} .opblock-summary-control")
    listing = page.locator("#operations-calls-list_calls")
    listing.locator(".try-out__btn").click()
    listing.locator(".execute").click()
    listing.locator(".live-responses-table").wait_for()
    page.mouse.move(0, 0)  # the last button clicked is audited as it rests, not hovered
    found += _lines(page, "/docs opened", axe.run(page, options=CONTRAST).response)

    assert not found, f"{len(found)} axe violations:\n" + "\n".join(found)


# Marks with TEXT_KIND one element of each kind of text on the page and returns how many it
# marked: an element with text of its own, told apart by what its colour contrast depends on
# (its tag, colour, size, weight, opacity and text shadow, and the background colours and
# images of it and its ancestors). Elements of one kind have the same contrast.
TEXT_KIND = "data-axe-text-kind"
MARK_TEXT_KINDS = f"""() => {{
  const backgrounds = new Map();
  const behind = (e) => {{
    if (!e) return "";
    if (!backgrounds.has(e)) {{
      const style = getComputedStyle(e);
      backgrounds.set(e, [style.backgroundColor, style.backgroundImage, style.opacity,
        behind(e.parentElement)].join("/"));
    }}
    return backgrounds.get(e);
  }};
  const kinds = new Set();
  document.querySelectorAll("body *").forEach((e) => {{
    const own = [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own) return;
    const style = getComputedStyle(e);
    const kind = [e.tagName, style.color, style.fontSize, style.fontWeight, style.textShadow,
      behind(e)].join("|");
    if (kinds.has(kind)) return;
    kinds.add(kind);
    e.setAttribute("{TEXT_KIND}", "");
  }});
  return kinds.size;
}}"""


def test_api_reference_passes_axe(context: Any) -> None:
    """/redoc (ReDoc, with our theme and `api-docs.css`) passes axe's WCAG A and AA rules other
    than what ReDoc's markup itself breaks.

    The colour contrast rule checks one text of each kind (`MARK_TEXT_KINDS`): the page holds
    every operation, about 29,000 elements, where checking every text took three quarters of
    the audit (over 20 s on an idle machine) to find what one of each kind finds."""
    page = context.new_page()
    page.goto("/redoc")
    page.wait_for_selector(".redoc-wrap h5")
    axe = Axe()
    rules = _every_rule_but([*REDOC_STRUCTURE, "color-contrast"])
    found = _lines(page, "/redoc", axe.run(page, options=rules).response)
    assert page.evaluate(MARK_TEXT_KINDS) > 50
    contrast = axe.run(page, context=f"[{TEXT_KIND}]", options=CONTRAST).response
    found += _lines(page, "/redoc", contrast)

    assert not found, f"{len(found)} axe violations:\n" + "\n".join(found)
