"""The interactive API docs, Swagger UI at /docs and ReDoc at /redoc, without a CDN.

Their scripts and stylesheet are the copies the `fastapi-offline` package ships and keeps up to
date; this server serves them, so the docs work on a server without internet. The pages are
plain routes, like FastAPI's own docs: no key is checked and no database is read to show them.
"""

import html
import json
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

from api.web import STATIC_URL

DOCS_URL = "/docs"
REDOC_URL = "/redoc"
ASSETS_URL = "/docs-assets"
ASSETS_DIR = Path(fastapi_offline.__file__).parent / "static"
FAVICON_URL = f"{STATIC_URL}/favicon.svg"
DOCS_CSS_URL = f"{STATIC_URL}/api-docs.css"  # colours of both with enough contrast
# ReDoc's colours with the contrast WCAG 2.1 AA asks of text (4.5:1) where its theme can give
# it (red code 3.9:1, grey text), and its links underlined inside text (ReDoc's theme options);
# `api-docs.css` darkens the grey headings the theme does not reach.
REDOC_THEME: dict[str, Any] = {
    "colors": {
        "text": {"secondary": "#5c6266"},
    },
    "typography": {
        "code": {"color": "#b3261e"},
        "links": {"textDecoration": "underline"},
    },
}


def install_docs(app: FastAPI) -> None:
    """Serve /docs and /redoc from this server's own copies of Swagger UI and ReDoc."""
    openapi_url = app.openapi_url or "/openapi.json"
    oauth2_redirect_url = app.swagger_ui_oauth2_redirect_url or "/docs/oauth2-redirect"

    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return _adapted(
            get_swagger_ui_html(
                openapi_url=f"{root}{openapi_url}",
                title=f"{app.title} · API docs",
                oauth2_redirect_url=f"{root}{oauth2_redirect_url}",
                swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
                swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
                swagger_favicon_url=f"{root}{FAVICON_URL}",
                swagger_ui_parameters=app.swagger_ui_parameters,
            ),
            stylesheet=f"{root}{DOCS_CSS_URL}",
        )

    async def swagger_ui_redirect(request: Request) -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return _adapted(
            get_redoc_html(
                openapi_url=f"{root}{openapi_url}",
                title=f"{app.title} · API reference",
                redoc_js_url=f"{root}{ASSETS_URL}/redoc.standalone.js",
                redoc_favicon_url=f"{root}{FAVICON_URL}",
                with_google_fonts=False,
            ),
            stylesheet=f"{root}{DOCS_CSS_URL}",
            redoc_theme=REDOC_THEME,
        )

    app.add_route(DOCS_URL, swagger_ui, include_in_schema=False)
    app.add_route(oauth2_redirect_url, swagger_ui_redirect, include_in_schema=False)
    app.add_route(REDOC_URL, redoc, include_in_schema=False)
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS_DIR), name="docs-assets")


def _adapted(
    page: HTMLResponse, *, stylesheet: str, redoc_theme: dict[str, Any] | None = None
) -> HTMLResponse:
    """FastAPI's page made ours: its language declared, which FastAPI's templates leave out (a
    screen reader then guesses how to pronounce it; axe's rule `html-has-lang`), `stylesheet`
    loaded after the page's own, and ReDoc's element given `redoc_theme` (its `theme`
    attribute)."""
    body = bytes(page.body).replace(b"<html>", b'<html lang="en">', 1)
    link = f'<link type="text/css" rel="stylesheet" href="{stylesheet}">\n</head>'
    body = body.replace(b"</head>", link.encode(), 1)
    if redoc_theme is not None:
        theme = html.escape(json.dumps(redoc_theme), quote=True)
        body = body.replace(b"<redoc ", f'<redoc theme="{theme}" '.encode(), 1)
    return HTMLResponse(body, status_code=page.status_code)
