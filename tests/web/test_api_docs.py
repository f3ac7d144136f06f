"""The API's interactive docs work on a server without internet: every asset is served here."""

import re
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from api.docs import ASSETS_URL

# The docs pages and their assets are the same whatever the database.
pytestmark = pytest.mark.sqlite_only

DOCS_PAGES = ("/docs", "/redoc")


class Assets(HTMLParser):
    """The scripts, stylesheets and icons a page loads, and where its links point."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.assets: list[str] = []
        self.links: dict[str, str] = {}
        self._href: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Collect asset URLs and link targets."""
        found = {name: value or "" for name, value in attrs}
        if tag == "script" and "src" in found:
            self.assets.append(found["src"])
        if tag == "link" and "href" in found:
            self.assets.append(found["href"])
        if tag == "a":
            self._href = found.get("href")

    def handle_data(self, data: str) -> None:
        """Remember each link by its text."""
        if self._href is not None and data.strip():
            self.links[data.strip()] = self._href
            self._href = None


def test_api_docs_load_only_assets_this_server_serves(anonymous: TestClient) -> None:
    """/docs and /redoc name no other host, and each script, stylesheet and icon answers 200."""
    for path in DOCS_PAGES:
        page = anonymous.get(path)
        assert page.status_code == 200
        assert re.findall(r"(?:https?:)?//[\w.-]+", page.text) == []
        assets = Assets(page.text).assets
        assert any(url.endswith(".js") for url in assets)
        for url in assets:
            assert url.startswith("/")
            served = anonymous.get(url)
            assert served.status_code == 200, url
            if url.startswith(ASSETS_URL) and url.endswith((".js", ".css")):
                assert len(served.content) > 100_000, url  # the whole bundle, not a stub


def test_api_docs_declare_their_language(anonymous: TestClient) -> None:
    """/docs and /redoc say they are in English, as every page of the site does."""
    for path in DOCS_PAGES:
        page = anonymous.get(path)
        assert re.search(r"<html lang=\"en\">", page.text), path
        assert page.headers["content-type"].startswith("text/html")


def test_web_footer_links_the_json_api_to_its_docs(anonymous: TestClient) -> None:
    """The footer's "JSON API" link leads to the interactive docs, which are served."""
    links = Assets(anonymous.get("/ui/calls").text).links

    assert links["JSON API"] == "/docs"
    assert anonymous.get(links["JSON API"]).status_code == 200
