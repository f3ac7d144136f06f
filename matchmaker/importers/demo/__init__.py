"""Demo data shipped with the package: real CORDIS organisations and calls (CC BY 4.0)."""

from pathlib import Path

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from matchmaker.importers.runner import import_calls, import_organisations_json
from models.call import Call
from models.organisation import Organisation

DEMO_DIR = Path(__file__).parent
ORGANISATIONS_JSON = DEMO_DIR / "organisations.json"
CALLS_JSON = DEMO_DIR / "calls.json"


def is_empty(engine: Engine) -> bool:
    """Whether the database holds no organisation and no call."""
    with Session(engine) as session:
        return (
            session.scalar(select(col(Organisation.id)).limit(1)) is None
            and session.scalar(select(col(Call.id)).limit(1)) is None
        )


def load_demo(engine: Engine) -> str:
    """Load the demo profiles and calls into an empty database; say what was loaded, or ''.

    Uses the same importers as `matchmaker import`, so a second call (or a second worker racing
    the first) only finds every row unchanged.
    """
    if not is_empty(engine):
        return ""
    organisations = import_organisations_json(engine, ORGANISATIONS_JSON)
    calls = import_calls(engine, CALLS_JSON)
    return f"{organisations.created} organisations, {calls.created} calls"
