"""What the browser tests and `scripts/screenshots.py` share: Debian's headless Chromium driven by
Playwright (whose own browser downloads are never used), a migrated SQLite file holding the
demo data for a real uvicorn to serve, the two screen sizes, and signing in with a key.
"""

from pathlib import Path
from typing import Any

from playwright import sync_api

from matchmaker import db
from matchmaker.importers.demo import load_demo
from matchmaker.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP: sync_api.ViewportSize = {"width": 1280, "height": 900}
PHONE: sync_api.ViewportSize = {"width": 390, "height": 844}
TABLET: sync_api.ViewportSize = {"width": 820, "height": 1180}
LAPTOP: sync_api.ViewportSize = {"width": 1024, "height": 768}
TIMEOUT_MS = 15_000
# True once a page has no request of its own in flight (its script marks those aria-busy).
SETTLED = (
    "() => !document.querySelector('[aria-busy]') && !document.body.innerText.includes('Loading…')"
)


def demo_database(path: Path) -> str:
    """Create a migrated SQLite database at `path` holding the demo data; return its URL."""
    url = f"sqlite:///{path}"
    engine = db.create_db_engine(Settings(database_url=url))
    try:
        db.upgrade(engine)
        load_demo(engine)
    finally:
        engine.dispose()
    return url


def launch_chromium(playwright: sync_api.Playwright) -> sync_api.Browser:
    """Debian's Chromium, headless, launched by Playwright without any download."""
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
    )


def sign_in(page: Any, key: str, name: str) -> None:
    """Sign the page's tab in with an organisation key, as a user does on the sign-in page."""
    page.goto("/ui/sign-in")
    page.get_by_label("Organisation key").fill(key)
    page.get_by_role("button", name="Sign in", exact=True).click()
    sync_api.expect(page.locator("[data-who-name]")).to_have_text(name)
