"""A database that cannot be reached: matching reads (suggestions, search, similar
organisations, fitting calls) answer from memory, marked stale, the rest answers 503 with
Retry-After, and all is well again once it is back (issue 21)."""

import logging
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.stale import STALE_HEADER
from matchmaker.settings import Settings
from tests.factories import create_call, create_organisation, organisation_payload
from tests.helpers import assert_problem
from tests.servers import ADMIN_TOKEN

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


class Database:
    """A SQLite file in a folder that can be taken away: connecting then fails as it does for
    a lost mount (SQLITE_CANTOPEN), which the service treats as an unreachable database."""

    def __init__(self, folder: Path, client: TestClient) -> None:
        self.folder, self.away, self.client = folder, folder.with_name("away"), client

    def lose(self) -> None:
        """Close every pooled connection and take the file away."""
        state: Any = self.client.app.state  # type: ignore[attr-defined]
        state.engine.dispose()
        state.matching.engine.dispose()
        self.folder.rename(self.away)

    def restore(self) -> None:
        """Put the file back."""
        self.away.rename(self.folder)


@pytest.fixture
def database(tmp_path: Path, sqlite_template: Path) -> Iterator[Database]:
    """A started app (admin client) on a SQLite file holding a call and two organisations."""
    folder = tmp_path / "data"
    folder.mkdir()
    shutil.copyfile(sqlite_template, folder / "test.db")
    settings = Settings(
        database_url=f"sqlite:///{folder / 'test.db'}",
        admin_token=ADMIN_TOKEN,
        write_rate_limit=0,
        index_dir="",
    )
    with TestClient(create_app(settings), headers=ADMIN, raise_server_exceptions=False) as client:
        create_call(client, opening_date=None, deadline=None)
        create_organisation(
            client,
            name="Liquid Biopsy SME",
            stakeholder_type="sme",
            activities=[{"title": "ctDNA screening in colorectal cancer", "year": 2023}],
        )
        create_organisation(
            client, name="Oncology Hospital", stakeholder_type="healthcare_provider"
        )
        yield Database(folder, client)


def _fresh(response: Any) -> Any:
    assert response.status_code == 200, response.text
    assert STALE_HEADER not in response.headers
    return response.json()


def _stale(response: Any) -> Any:
    assert response.status_code == 200, response.text
    assert response.headers[STALE_HEADER] == "true"
    return response.json()


def _unavailable(response: Any) -> None:
    body = assert_problem(response, 503)
    assert response.headers["retry-after"] == "5"
    assert body["title"] == "Service Unavailable"


def test_matching_reads_answer_from_memory_marked_stale_while_the_database_is_away(
    database: Database,
) -> None:
    """Suggestions, search and similar organisations give the same answers as before, with
    the stale header; /health says degraded."""
    client = database.client
    suggestions = _fresh(client.get("/calls/1/suggestions"))
    search = _fresh(client.post("/search", json={"text": "liquid biopsy"}))
    similar = _fresh(client.get("/organisations/1/similar"))

    database.lose()
    assert _stale(client.get("/calls/1/suggestions")) == suggestions
    assert _stale(client.post("/search", json={"text": "liquid biopsy"})) == search
    assert _stale(client.get("/organisations/1/similar")) == similar
    health = _stale(client.get("/health"))
    assert health["status"] == "degraded"
    assert health["index"]["documents"] == 2
    # Only the database can say that these do not exist.
    _unavailable(client.get("/calls/9/suggestions"))
    _unavailable(client.get("/organisations/9/similar"))

    database.restore()
    assert _fresh(client.get("/calls/1/suggestions")) == suggestions
    assert _fresh(client.get("/health"))["status"] == "ok"


def _fitting(body: Any) -> list[tuple[Any, ...]]:
    """Fitting calls as (call, score, matched terms): terms of equal weight in either order
    (the last bits of a weight computed from the row or from the text decide it)."""
    return [
        (
            item["call"],
            item["score"],
            sorted((t["term"], t["weight"]) for t in item["matched_terms"]),
        )
        for item in body["items"]
    ]


def test_fitting_calls_answer_from_the_indexed_profile_marked_stale_while_the_database_is_away(
    database: Database,
) -> None:
    """The calls that fit an organisation come from its row in the profile index and the
    calls held in memory, status filter included: on a corpus this small (every phrase a
    term of both indexes) the answers of the full profile."""
    client = database.client
    create_call(
        client,
        identifier="CLOSED-1",
        title="Liquid biopsy screening for colorectal cancer",
        description="ctDNA screening",
        opening_date="2020-01-01",
        deadline="2020-06-01",
    )
    every = _fresh(client.get("/organisations/1/calls"))
    open_only = _fresh(client.get("/organisations/1/calls", params={"status": "open"}))
    closed = _fresh(client.get("/organisations/1/calls", params={"status": "closed"}))
    assert [item["call"]["identifier"] for item in every["items"]] == ["CLOSED-1", "IHI-2023-05-02"]
    assert [item["call"]["identifier"] for item in closed["items"]] == ["CLOSED-1"]

    database.lose()
    assert _fitting(_stale(client.get("/organisations/1/calls"))) == _fitting(every)
    stale_open = _stale(client.get("/organisations/1/calls", params={"status": "open"}))
    assert _fitting(stale_open) == _fitting(open_only)
    stale_closed = _stale(client.get("/organisations/1/calls", params={"status": "closed"}))
    assert _fitting(stale_closed) == _fitting(closed)
    assert _stale(client.get("/organisations/2/calls", params={"limit": 1}))["items"]
    # Only the database can say that this one does not exist.
    _unavailable(client.get("/organisations/9/calls"))

    database.restore()
    assert _fresh(client.get("/organisations/1/calls")) == every
    assert_problem(client.get("/organisations/9/calls"), 404)


def test_a_key_seen_before_the_outage_still_reads_from_memory(database: Database) -> None:
    """An organisation key verified before the database went away is remembered: its matching
    reads answer from memory like anyone's; a key never seen cannot be checked, so it is 503
    (never 401, and never served as anonymous); writes stay 503 for both."""
    client = database.client
    seen = create_organisation(client, name="Seen Before")["api_key"]
    unseen = create_organisation(client, name="Never Seen")["api_key"]
    as_seen = {"Authorization": f"Bearer {seen}"}
    expected = _fresh(client.get("/calls/1/suggestions", headers=as_seen))

    database.lose()
    assert _stale(client.get("/calls/1/suggestions", headers=as_seen)) == expected
    assert _stale(client.post("/search", json={"text": "liquid"}, headers=as_seen))["items"]
    _unavailable(client.get("/calls/1/suggestions", headers={"Authorization": f"Bearer {unseen}"}))
    _unavailable(client.patch("/organisations/3", json={"city": "Gent"}, headers=as_seen))
    wrong = seen[:-4] + "AAAA"
    _unavailable(client.get("/calls/1/suggestions", headers={"Authorization": f"Bearer {wrong}"}))

    database.restore()
    assert_problem(
        client.get("/calls/1/suggestions", headers={"Authorization": f"Bearer {wrong}"}), 401
    )


def test_writes_and_reads_needing_the_database_answer_503_with_retry_after(
    database: Database,
) -> None:
    """Writes, plain reads and a draft's needs are 503 problem details, never 500."""
    client = database.client
    _fresh(client.get("/calls/1/suggestions"))
    database.lose()
    _unavailable(client.post("/organisations", json=organisation_payload()))
    _unavailable(client.patch("/organisations/1", json={"city": "Utrecht"}))
    _unavailable(client.get("/organisations"))
    _unavailable(client.get("/calls/1"))
    _unavailable(client.get("/calls/1/suggestions?missing_for=1"))

    database.restore()
    create_organisation(client, name="After The Outage")
    assert client.get("/organisations").json()["total"] == 3


def test_web_pages_that_need_the_database_say_so_in_a_page(database: Database) -> None:
    """A page that needs the database is a 503 page in plain words with Retry-After, not a
    JSON problem; the Find expertise page keeps working from memory."""
    client = database.client
    before = client.get("/ui/expertise", params={"q": "liquid biopsy"})
    assert "Liquid Biopsy SME" in before.text
    database.lose()
    for path in ("/ui/calls", "/ui/calls/1", "/ui/organisations", "/ui/organisations/1"):
        response = client.get(path)
        assert response.status_code == 503, path
        assert response.headers["content-type"].startswith("text/html")
        assert response.headers["retry-after"] == "5"
        assert "Not available right now" in response.text
        assert "Try again in 5 seconds" in response.text
    expertise = client.get("/ui/expertise", params={"q": "liquid biopsy"})
    assert expertise.status_code == 200
    assert "Liquid Biopsy SME" in expertise.text


def test_outage_is_logged_once_when_it_starts_and_once_when_it_ends(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """Many failing requests make two log lines, and no traceback."""
    client = database.client
    database.lose()
    with caplog.at_level(logging.WARNING):
        for _ in range(5):
            client.get("/calls/1/suggestions")
            client.post("/organisations", json=organisation_payload())
        database.restore()
        client.get("/calls/1/suggestions")
        client.get("/calls/1/suggestions")
    messages = [record.getMessage() for record in caplog.records]
    assert [message.split(" (")[0].split(",")[0] for message in messages] == [
        f"The database sqlite:///{database.folder / 'test.db'} cannot be reached",
        f"The database sqlite:///{database.folder / 'test.db'} can be reached again",
    ]
    assert not any(record.exc_info for record in caplog.records)


def test_index_catches_up_with_writes_it_missed_once_the_database_is_back(
    database: Database,
) -> None:
    """A profile written just before the outage is missing from the stale answers and there
    after it, with no restart."""
    client = database.client
    _fresh(client.get("/calls/1/suggestions"))
    create_organisation(client, name="Liquid Biopsy Startup", stakeholder_type="sme")
    database.lose()
    assert len(_stale(client.get("/calls/1/suggestions"))["items"]) == 2

    database.restore()
    found = _fresh(client.get("/calls/1/suggestions"))["items"]
    assert sorted(item["organisation"]["name"] for item in found) == [
        "Liquid Biopsy SME",
        "Liquid Biopsy Startup",
        "Oncology Hospital",
    ]
