"""The web interface: server-rendered pages over the same services the JSON API calls.

Mount it in the app factory with::

    app.include_router(web.router)
    app.add_exception_handler(web.PageNotFound, web.page_not_found)
    app.mount(web.STATIC_URL, web.static_files(), name="web-static")
"""

from fastapi import APIRouter
from starlette.staticfiles import StaticFiles

from api.web import (
    calls,
    country_statuses,
    drafts,
    organisations,
    outbox,
    pages,
    partnering,
    saved_searches,
    trust,
)
from api.web.pages import PageNotFound, page_not_found
from api.web.templating import STATIC_DIR, STATIC_URL

router = APIRouter(include_in_schema=False)
router.include_router(pages.router)
router.include_router(calls.router)
router.include_router(organisations.router)
router.include_router(drafts.router)
router.include_router(partnering.router)
router.include_router(saved_searches.router)
router.include_router(trust.router)
router.include_router(country_statuses.router)
router.include_router(outbox.router)


def static_files() -> StaticFiles:
    """The stylesheet, script and icon the pages load; nothing is fetched from elsewhere."""
    return StaticFiles(directory=STATIC_DIR)


__all__ = ["STATIC_URL", "PageNotFound", "page_not_found", "router", "static_files"]
