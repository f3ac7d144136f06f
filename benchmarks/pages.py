"""Server-side render time of each web page against the JSON endpoint it relies on.

    python -m benchmarks.pages                          # imports the CORDIS slice first
    python -m benchmarks.pages --database-url sqlite:///cordis.db --repeat 30

Without `--database-url` the CORDIS development slice (`--data-dir`, by default the shared
data folder beside the repository) is imported into a temporary SQLite file, as
`matchmaker import cordis` and `matchmaker import calls` would. Requests go through the ASGI
app in process (Starlette's TestClient), so the figures are the server's work: routing,
queries, matching, rendering. Each page cycles over a few calls and organisations spread
over the data; the first round warms up and is not counted. Prints p50 and p95 per page and
for its baseline, in milliseconds.
"""

import argparse
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from api.main import create_app
from matchmaker import db
from matchmaker.importers.runner import import_calls, import_cordis
from matchmaker.settings import Settings
from models.call import Call
from models.organisation import Organisation

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "cordis"
ADMIN = "benchmark-admin-token-0123456789abcdef"
SAMPLES = 5
BUDGET_MS = 300.0

# Starlette's TestClient still runs on httpx; its successor is not on the dependency list.
warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
from fastapi.testclient import TestClient  # noqa: E402

Request = Callable[[TestClient, int], Any]


def spread(ids: Sequence[int | None], n: int) -> list[int]:
    """n ids spread evenly over a sorted list."""
    present = [item for item in ids if item is not None]
    step = max(1, len(present) // n)
    return present[::step][:n]


def percentile(values: Sequence[float], share: float) -> float:
    """The value below which the given share of the values fall (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def timed(client: TestClient, request: Request, ids: Sequence[int], repeat: int) -> list[float]:
    """Milliseconds per request over `repeat` rounds of the ids (one warm-up round first)."""
    for item in ids:
        request(client, item).raise_for_status()
    times = []
    for _ in range(repeat):
        for item in ids:
            start = time.perf_counter()
            response = request(client, item)
            times.append((time.perf_counter() - start) * 1000)
            response.raise_for_status()
    return times


def import_slice(data_dir: Path, folder: Path) -> str:
    """Import the CORDIS slice into a new SQLite file; return its URL."""
    url = f"sqlite:///{folder / 'cordis.db'}"
    engine = db.create_db_engine(Settings(database_url=url))
    db.upgrade(engine)
    started = time.perf_counter()
    organisations = import_cordis(engine, data_dir)
    calls = import_calls(engine, data_dir / "topics.csv")
    engine.dispose()
    print(
        f"imported {organisations.created} organisations and {calls.created} calls "
        f"in {time.perf_counter() - started:.0f} s"
    )
    return url


def run(database_url: str, repeat: int) -> None:
    """Time every page and its baseline against one database and print the table."""
    settings = Settings(database_url=database_url, admin_token=ADMIN, write_rate_limit=0)
    with TestClient(create_app(settings), headers={"Authorization": f"Bearer {ADMIN}"}) as admin:
        engine = admin.app.state.engine  # type: ignore[attr-defined]
        with Session(engine) as session:
            call_ids = spread(
                session.scalars(select(col(Call.id)).order_by(col(Call.id))).all(), SAMPLES
            )
            organisation_ids = spread(
                session.scalars(select(col(Organisation.id)).order_by(col(Organisation.id))).all(),
                SAMPLES,
            )
            # Find expertise is asked for each sampled call's title, as a user pasting it would.
            titles = {call_id: session.get_one(Call, call_id).title for call_id in call_ids}
            counts = (
                session.scalar(select(func.count()).select_from(Organisation)),
                session.scalar(select(func.count()).select_from(Call)),
            )
        owner = admin.post(
            "/organisations",
            json={"name": "Benchmark Owner", "stakeholder_type": "sme", "country": "NL"},
        ).json()
        anonymous = TestClient(admin.app)
        anonymous.portal = admin.portal
        keyed = TestClient(admin.app, headers={"Authorization": f"Bearer {owner['api_key']}"})
        keyed.portal = admin.portal
        draft_ids = []
        for call_id in call_ids:
            proposal = keyed.post(f"/calls/{call_id}/consortium").json()["items"][0]
            members = [{"organisation_id": m["organisation"]["id"]} for m in proposal["members"]]
            # One member fewer than proposed, so the gap analysis has a gap to rank for.
            draft = keyed.post(
                "/consortia",
                json={"name": "bench", "call_id": call_id, "members": members[1:]},
            ).json()
            draft_ids.append(draft["id"])

        rows: list[tuple[str, str, TestClient, Request, Request, list[int]]] = [
            (
                "/ui/calls",
                "GET /calls?limit=200",
                anonymous,
                lambda c, _: c.get("/ui/calls"),
                lambda c, _: c.get("/calls?limit=200"),
                [0],
            ),
            (
                "/ui/calls?q=health&status=open",
                "GET /calls?status=open&limit=200",
                anonymous,
                lambda c, _: c.get("/ui/calls?q=health&status=open"),
                lambda c, _: c.get("/calls?status=open&limit=200"),
                [0],
            ),
            (
                "/ui/calls/{id}",
                "GET /calls/{id}/suggestions",
                anonymous,
                lambda c, i: c.get(f"/ui/calls/{i}"),
                lambda c, i: c.get(f"/calls/{i}/suggestions"),
                call_ids,
            ),
            (
                "/ui/calls/{id}?stakeholder_type=sme",
                "GET /calls/{id}/suggestions?stakeholder_type=sme",
                anonymous,
                lambda c, i: c.get(f"/ui/calls/{i}?stakeholder_type=sme"),
                lambda c, i: c.get(f"/calls/{i}/suggestions?stakeholder_type=sme"),
                call_ids,
            ),
            (
                "/ui/calls/{id}/consortium",
                "POST /calls/{id}/consortium (2 alternatives)",
                anonymous,
                lambda c, i: c.get(f"/ui/calls/{i}/consortium"),
                lambda c, i: c.post(f"/calls/{i}/consortium", json={"alternatives": 2}),
                call_ids,
            ),
            (
                "/ui/expertise?q={a call's title}",
                "POST /search {a call's title, limit 25}",
                anonymous,
                lambda c, i: c.get("/ui/expertise", params={"q": titles[i]}),
                lambda c, i: c.post("/search", json={"text": titles[i], "limit": 25}),
                call_ids,
            ),
            (
                "/ui/organisations",
                "GET /organisations?limit=25",
                anonymous,
                lambda c, _: c.get("/ui/organisations"),
                lambda c, _: c.get("/organisations?limit=25"),
                [0],
            ),
            (
                "/ui/organisations/{id}",
                "GET /organisations/{id}/calls",
                anonymous,
                lambda c, i: c.get(f"/ui/organisations/{i}"),
                lambda c, i: c.get(f"/organisations/{i}/calls"),
                organisation_ids,
            ),
            (
                "/ui/organisations/{id}/edit",
                "GET /organisations/{id}",
                anonymous,
                lambda c, i: c.get(f"/ui/organisations/{i}/edit"),
                lambda c, i: c.get(f"/organisations/{i}"),
                organisation_ids,
            ),
            (
                "/ui/consortia/{id}/panel",
                "GET /consortia/{id}/gaps",
                keyed,
                lambda c, i: c.get(f"/ui/consortia/{i}/panel"),
                lambda c, i: c.get(f"/consortia/{i}/gaps"),
                draft_ids,
            ),
            (
                "/ui/consortia/{id}/export.csv",
                "GET /consortia/{id}",
                keyed,
                lambda c, i: c.get(f"/ui/consortia/{i}/export.csv"),
                lambda c, i: c.get(f"/consortia/{i}"),
                draft_ids,
            ),
        ]
        print(f"{counts[0]} organisations, {counts[1]} calls; {repeat} rounds per page")
        header = f"{'page':38} {'p50':>7} {'p95':>7}   {'baseline':48} {'p50':>7} {'p95':>7}"
        print(header)
        print("-" * len(header))
        worst = 0.0
        for page, base, client, page_request, base_request, ids in rows:
            page_times = timed(client, page_request, ids, repeat)
            base_times = timed(client, base_request, ids, repeat)
            p95 = percentile(page_times, 0.95)
            worst = max(worst, p95)
            print(
                f"{page:38} {statistics.median(page_times):7.1f} {p95:7.1f}   "
                f"{base:48} {statistics.median(base_times):7.1f} "
                f"{percentile(base_times, 0.95):7.1f}"
            )
        verdict = "within" if worst < BUDGET_MS else "OVER"
        print(f"slowest page p95: {worst:.1f} ms ({verdict} the {BUDGET_MS:.0f} ms budget)")


def main(argv: Sequence[str] | None = None) -> None:
    """Parse arguments, import the slice if no database is given, and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="an already imported database")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--repeat", type=int, default=20, help="rounds per page")
    args = parser.parse_args(argv)
    if args.database_url:
        run(args.database_url, args.repeat)
        return
    with tempfile.TemporaryDirectory() as folder:
        run(import_slice(args.data_dir.resolve(), Path(folder)), args.repeat)


if __name__ == "__main__":
    main()
