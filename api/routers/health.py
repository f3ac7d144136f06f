"""Liveness and readiness: the database answers and its schema is current."""

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.errors import problem_response, problem_responses
from api.openapi import PUBLIC
from matchmaker import db
from matchmaker.errors import Unavailable
from models import examples as ex

router = APIRouter(tags=["health"])


class IndexHealth(BaseModel):
    """What the matching index holds and how fresh it is."""

    documents: int = Field(description="Organisation profiles in the matching index.")
    calls: int = Field(description="Calls in the matching index.")
    vocabulary: int = Field(description="Terms in the fitted vocabulary.")
    fitted_at: datetime | None = Field(
        description="When the vocabulary was last fitted (UTC); null before the first fit."
    )
    drift: float = Field(
        description="Share of profiles added, changed or removed since that fit; a refit starts "
        "past MATCHMAKER_REFIT_DRIFT."
    )
    refitting: bool = Field(description="Whether a refit is running in the background.")
    mapped: bool = Field(
        description="Whether the organisation index is the saved copy, memory-mapped and "
        "shared by the workers of this machine (see MATCHMAKER_INDEX_DIR)."
    )


class Health(BaseModel):
    """The service's state."""

    model_config = ConfigDict(json_schema_extra=ex.examples(ex.HEALTH))

    status: Literal["ok", "degraded"] = Field(
        description="`ok`; or `degraded` while the database cannot be reached: matching reads "
        "answer from memory (marked `X-Matchmaker-Stale: true`), everything else 503."
    )
    database: str = Field(description="The database's kind: `sqlite` or `postgresql`.")
    schema_revision: str | None = Field(description="The migration the database is at.")
    latest_revision: str | None = Field(description="The latest migration this code knows.")
    index: IndexHealth = Field(description="The matching index.")


@router.get(
    "/health",
    openapi_extra=PUBLIC,
    response_model=Health,
    responses=problem_responses(
        503,
        when={
            503: "The database cannot be reached (and the matching index cannot answer from "
            "memory), or its schema is not at the latest migration (`matchmaker db upgrade`); "
            "`detail` says which."
        },
    ),
)
def read_health(request: Request) -> Health | JSONResponse:
    """Report that the database is reachable and migrated to the latest revision (503 if not);
    `degraded` while it cannot be reached but the matching index answers from memory."""
    engine = request.app.state.engine
    matching = request.app.state.matching
    latest = request.app.state.head_revision
    try:
        db.ping(engine)
        current = db.current_revision(engine)
    except Unavailable:
        if not matching.ready:
            return problem_response(request, status=503, detail="The database cannot be reached.")
        return _health(request, status="degraded", current=None, latest=latest)
    except Exception as error:  # any driver error means "not reachable" to a health probe
        return problem_response(
            request, status=503, detail=f"The database is not reachable: {type(error).__name__}."
        )
    if current != latest:
        return problem_response(
            request,
            status=503,
            detail=f"The database schema is at {current}, not the latest {latest}; "
            "run `matchmaker db upgrade`.",
        )
    return _health(request, status="ok", current=current, latest=latest)


def _health(request: Request, *, status: str, current: str | None, latest: str | None) -> Health:
    stats = request.app.state.matching.stats()
    return Health(
        status=status,
        database=request.app.state.engine.dialect.name,
        schema_revision=current,
        latest_revision=latest,
        index=IndexHealth(
            documents=stats.documents,
            calls=stats.calls,
            vocabulary=stats.vocabulary,
            fitted_at=stats.fitted_at,
            drift=round(stats.drift, 4),
            refitting=stats.refitting,
            mapped=stats.mapped,
        ),
    )
