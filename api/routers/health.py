"""Liveness and readiness: the database answers and its schema is current."""

from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.errors import problem_response, problem_responses
from matchmaker import db

router = APIRouter(tags=["health"])


class IndexHealth(BaseModel):
    """What the matching index holds and how fresh it is."""

    documents: int
    calls: int
    vocabulary: int
    fitted_at: datetime | None
    drift: float
    refitting: bool
    mapped: bool = Field(
        description="Whether the organisation index is the saved copy, memory-mapped and "
        "shared by the workers of this machine (see MATCHMAKER_INDEX_DIR)."
    )


class Health(BaseModel):
    """The service's state."""

    status: str
    database: str
    schema_revision: str | None
    latest_revision: str | None
    index: IndexHealth


@router.get("/health", response_model=Health, responses=problem_responses(503))
def read_health(request: Request) -> Health | JSONResponse:
    """Report that the database is reachable and migrated to the latest revision (503 if not)."""
    engine = request.app.state.engine
    try:
        db.ping(engine)
        current = db.current_revision(engine)
    except Exception as error:  # any driver error means "not reachable" to a health probe
        return problem_response(
            request, status=503, detail=f"The database is not reachable: {type(error).__name__}."
        )
    latest = request.app.state.head_revision
    if current != latest:
        return problem_response(
            request,
            status=503,
            detail=f"The database schema is at {current}, not the latest {latest}; "
            "run `matchmaker db upgrade`.",
        )
    stats = request.app.state.matching.stats()
    return Health(
        status="ok",
        database=engine.dialect.name,
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
