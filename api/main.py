"""The application factory: builds the app for given settings, engine opened in its lifespan."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware

from api import web
from api.deps import forbid_storing, get_actor, refuse_unexpected_body, refuse_unknown_query
from api.docs import install_docs
from api.errors import install_error_handlers
from api.head import HeadAndBodiless
from api.limits import BodySizeLimit
from api.openapi import install_openapi, operation_id
from api.routers import (
    admin,
    calls,
    consortia,
    health,
    keys,
    matching,
    notifications,
    organisations,
    partnering,
    saved_searches,
    trust,
)
from api.stale import StaleMarker
from matchmaker import db
from matchmaker.matching.service import MatchingService
from matchmaker.partnering.ranking import PartnerRequestIndex
from matchmaker.partnering.worker import DeliveryWorker
from matchmaker.ratelimit import WriteRateLimit
from matchmaker.settings import Settings, get_settings, split_origins

DESCRIPTION = """
Finds the partners a research consortium is missing. Organisations publish profiles,
programme offices publish calls for proposals (with a `publisher` key), and the service
suggests who fits.

Reads are public. Each operation lists the key roles it takes (`admin`, `publisher`,
`organisation`; `coordinator` is the old name of `publisher`, still accepted).

Errors are [RFC 9457](https://www.rfc-editor.org/rfc/rfc9457) problem details.
Lists are paginated with `limit` (at most 200) and `offset`.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; the database engine is created when it starts, not at import."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = db.create_db_engine(settings)
        app.state.settings = settings
        app.state.engine = engine
        app.state.head_revision = db.head_revision()
        app.state.write_limit = WriteRateLimit(settings.write_rate_limit, engine=engine)
        app.state.recovery_limit = WriteRateLimit(
            settings.key_recovery_rate_limit, engine=engine, counted="key-recovery request"
        )
        # The matching index reads the change log while a request holds a connection of the
        # main pool; from the same pool, a saturated worker deadlocked until the pool's
        # timeout (benchmarks/load.py on PostgreSQL). Its own small pool cannot: its holders
        # never wait for the main one.
        matching_engine = db.create_db_engine(settings, pool_size=2, max_overflow=3)
        app.state.matching = MatchingService(
            engine=matching_engine,
            refit_drift=settings.refit_drift,
            index_dir=settings.matching_index_dir(),
            stale_after_months=settings.stale_after_months,
        )
        delivery = DeliveryWorker(
            engine=engine, settings=settings, interval=settings.delivery_interval
        )
        if db.current_revision(engine) == app.state.head_revision:
            app.state.matching.start()
            if settings.delivery_interval > 0:
                delivery.start()
        try:
            yield
        finally:
            delivery.stop(settings.shutdown_timeout)
            # A refit still reading the database gets the shutdown's grace period to finish
            # before its connections close; after that it is abandoned, never installed.
            app.state.matching.stop(settings.shutdown_timeout)
            matching_engine.dispose()
            engine.dispose()

    app = FastAPI(
        title="matchmaker",
        summary="Partner suggestions for research consortia in public-private health calls.",
        description=DESCRIPTION,
        version="0.1.0",
        lifespan=lifespan,
        # Every request's key is checked, so a wrong or revoked key is 401 even on public reads.
        # A query parameter no operation declares, or a body sent to an operation that takes
        # none, is refused (422) rather than ignored. An answer holding a secret is not cached.
        dependencies=[
            Depends(get_actor),
            Depends(refuse_unknown_query),
            Depends(refuse_unexpected_body),
            Depends(forbid_storing),
        ],
        # Served by install_docs from the package's own copies of Swagger UI and ReDoc.
        docs_url=None,
        redoc_url=None,
        # An operation's id is its function's name (`create_organisation`), what a generated
        # client names its method, rather than FastAPI's name, path and method joined.
        generate_unique_id_function=operation_id,
    )
    install_error_handlers(app)
    install_openapi(app)
    install_docs(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(StaleMarker)
    app.add_middleware(HeadAndBodiless)
    # Outermost, so that every answer (a 413 or 429 too) carries the headers a browser needs.
    if origins := split_origins(settings.cors_origins):
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "If-Match"],
            expose_headers=["ETag", "Link", "Location", "Retry-After", "X-Matchmaker-Stale"],
            max_age=600,
        )
    app.include_router(health.router)
    app.include_router(organisations.router)
    app.include_router(calls.router)
    app.include_router(calls.programmes_router)
    app.include_router(consortia.router)
    app.include_router(matching.router)
    app.include_router(partnering.router)
    app.include_router(notifications.router)
    app.include_router(saved_searches.router)
    app.state.partner_requests = PartnerRequestIndex()
    app.include_router(admin.router)
    app.include_router(keys.router)
    app.include_router(keys.web_router)
    app.include_router(trust.router)
    app.include_router(trust.web_router)
    app.include_router(web.router)
    app.add_exception_handler(web.PageNotFound, web.page_not_found)
    app.mount(web.STATIC_URL, web.static_files(), name="web-static")
    return app
