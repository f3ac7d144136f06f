"""Full-text search on each database's own engine: ranking, snippets, accents, phrases, writes."""

import sqlite3
import threading
import time
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session

from matchmaker import db, search
from matchmaker.calls import CallFilters, list_calls
from matchmaker.db import session_scope
from matchmaker.organisations import list_organisations
from matchmaker.repository import create_many
from matchmaker.search import Query, Segment, Term
from models.change import Entity
from models.organisation import Organisation
from tests.factories import create_call, create_organisation
from tests.helpers import settings_for

TODAY = date(2026, 12, 6)


def call_ids(client: TestClient, q: str, **params: str) -> list[str]:
    """The identifiers of the calls a search finds, in the order the API lists them."""
    body = client.get("/calls", params={"q": q, **params}).json()
    return [item["identifier"] for item in body["items"]]


def organisation_names(client: TestClient, q: str) -> list[str]:
    """The names of the organisations a search finds, in the order the API lists them."""
    body = client.get("/organisations", params={"q": q}).json()
    return [item["name"] for item in body["items"]]


def test_query_parse_reads_words_phrases_and_prefixes() -> None:
    """Bare words, quoted phrases, `*` prefixes and punctuated identifiers become terms."""
    query = Query.parse('Liquid "early  Detection" onco* HORIZON-HLTH-2024 "rare dis"* %')
    assert query.terms == (
        Term(("liquid",)),
        Term(("early", "detection")),
        Term(("onco",), prefix=True),
        Term(("horizon", "hlth", "2024")),
        Term(("rare", "dis"), prefix=True),
    )
    assert query.fts5() == (
        '"liquid" AND "early detection" AND "onco"* AND "horizon hlth 2024" AND "rare dis"*'
    )
    assert query.tsquery() == (
        "'liquid' & 'early' <-> 'detection' & 'onco':* & 'horizon' <-> 'hlth' <-> '2024' "
        "& 'rare' <-> 'dis':*"
    )
    assert Query.parse("% _ ' \"").terms == ()


def test_query_searches_each_british_and_american_spelling() -> None:
    """A word with two spellings is searched in both, a phrase in each combination, the typed
    one first; a word spelled one way alone is left as it is."""
    query = Query.parse('tumor "paediatric oncology" behavio*')
    assert query.fts5() == (
        '("tumor" OR "tumour") AND ("paediatric oncology" OR "pediatric oncology") AND "behavio"*'
    )
    assert query.tsquery() == (
        "('tumor' | 'tumour') & (('paediatric' <-> 'oncology') | ('pediatric' <-> 'oncology')) "
        "& 'behavio':*"
    )
    assert Query.parse("behavior*").fts5() == '("behavior"* OR "behaviour"*)'


def test_search_finds_either_spelling(client: TestClient) -> None:
    """Tumor finds the tumours of a call written in Brussels, paediatric the pediatric profile
    written in Boston, and a phrase either way round; a word spelled alike finds what it did."""
    create_call(
        client,
        identifier="IHI-2025-TUM",
        title="Paediatric tumours",
        description="Personalised treatment of brain tumours in children.",
    )
    create_organisation(
        client,
        name="Boston Children's Lab",
        description="Pediatric tumor biology and behavioral oncology.",
        keywords=[],
        activities=[],
    )
    assert call_ids(client, "tumor") == ["IHI-2025-TUM"]
    assert call_ids(client, '"pediatric tumors" personalized') == ["IHI-2025-TUM"]
    assert organisation_names(client, "paediatric tumour behavioural") == ["Boston Children's Lab"]
    assert organisation_names(client, "oncology") == ["Boston Children's Lab"]


def test_call_search_reads_the_description(client: TestClient) -> None:
    """A word only the scope names finds the call (the issue's Parkinson example)."""
    create_call(
        client,
        identifier="IHI-2025-PD",
        title="Digital endpoints for neurodegeneration",
        description="Wearables to follow Parkinson's disease progression at home.",
    )
    create_call(client, identifier="IHI-2025-HF", title="Heart failure", description="Cardiology.")
    assert call_ids(client, "Parkinson") == ["IHI-2025-PD"]
    assert call_ids(client, "parkinson wearables") == ["IHI-2025-PD"]
    assert call_ids(client, "parkinson cardiology") == []


def test_call_search_ranks_title_matches_above_description_matches(client: TestClient) -> None:
    """The engine's rank orders results: a word in the title outweighs one in the scope."""
    create_call(
        client,
        identifier="A-1",
        title="Rare disease registries",
        description="Data standards for registries of patients with a biobank.",
    )
    create_call(
        client,
        identifier="B-2",
        title="Biobank networks for oncology",
        description="Sharing tumour samples across hospitals.",
    )
    create_call(client, identifier="C-3", title="Soil health", description="Compost.")
    assert call_ids(client, "biobank") == ["B-2", "A-1"]
    assert call_ids(client, "biobank", sort="id") == ["A-1", "B-2"]


def test_search_ignores_accents_both_ways(client: TestClient) -> None:
    """Zurich finds Zürich, sante finds Santé, and Épidémiology finds epidemiology."""
    create_organisation(
        client,
        name="Universität Zürich",
        description="Santé publique and epidemiology.",
        keywords=[],
        activities=[],
    )
    create_organisation(client, name="Leiden Lab", description="Oncology.", activities=[])
    assert organisation_names(client, "zurich") == ["Universität Zürich"]
    assert organisation_names(client, "universitat sante") == ["Universität Zürich"]
    assert organisation_names(client, "Épidémiology") == ["Universität Zürich"]


def test_phrase_needs_the_words_side_by_side(client: TestClient) -> None:
    """A quoted phrase matches only adjacent words; the bare words match either order."""
    create_call(client, identifier="P-1", title="Early cancer detection", description="")
    create_call(client, identifier="P-2", title="Detection of cancer, early", description="")
    assert call_ids(client, '"cancer detection"') == ["P-1"]
    assert sorted(call_ids(client, "cancer detection")) == ["P-1", "P-2"]
    assert call_ids(client, "p-2") == ["P-2"]


def test_prefix_query_matches_word_beginnings(client: TestClient) -> None:
    """`onco*` finds oncology and oncogenes; `onco` alone finds neither."""
    create_organisation(
        client, name="Alpha", description="Paediatric oncology.", keywords=[], activities=[]
    )
    create_organisation(
        client, name="Beta", description="Oncogenes in mice.", keywords=[], activities=[]
    )
    create_organisation(
        client, name="Gamma", description="Cardiology.", keywords=["once"], activities=[]
    )
    assert sorted(organisation_names(client, "onco*")) == ["Alpha", "Beta"]
    assert organisation_names(client, "onco") == []


def test_organisation_search_reads_keywords_and_activities(client: TestClient) -> None:
    """Keywords and past projects' titles and summaries are searched, not only names."""
    create_organisation(
        client,
        name="Keyword Org",
        description="",
        keywords=["pharmacovigilance"],
        activities=[],
    )
    create_organisation(
        client,
        name="Project Org",
        description="",
        keywords=[],
        activities=[{"title": "EPIDRUG", "summary": "Epigenetic drug screening in zebrafish."}],
    )
    assert organisation_names(client, "pharmacovigilance") == ["Keyword Org"]
    assert organisation_names(client, "zebrafish") == ["Project Org"]
    assert organisation_names(client, "epidrug") == ["Project Org"]


def test_a_write_is_searchable_at_once_and_a_delete_gone_at_once(client: TestClient) -> None:
    """Create, edit and delete through the API: the next search sees each change."""
    call = create_call(client, identifier="W-1", title="Antimicrobial resistance", description="")
    assert call_ids(client, "antimicrobial") == ["W-1"]
    client.patch(f"/calls/{call['id']}", json={"title": "Vaccine hesitancy"})
    assert call_ids(client, "antimicrobial") == []
    assert call_ids(client, "vaccine") == ["W-1"]
    assert client.delete(f"/calls/{call['id']}").status_code == 204
    assert call_ids(client, "vaccine") == []

    organisation = create_organisation(client, name="Microbiome Institute", activities=[])
    assert organisation_names(client, "microbiome") == ["Microbiome Institute"]
    client.patch(f"/organisations/{organisation['id']}", json={"keywords": ["metagenomics"]})
    assert organisation_names(client, "metagenomics") == ["Microbiome Institute"]
    assert client.delete(f"/organisations/{organisation['id']}").status_code == 204
    assert organisation_names(client, "microbiome") == []


def test_batch_writes_of_imports_are_searchable(engine: Engine) -> None:
    """Rows an import writes in one executemany INSERT are indexed too, by the triggers."""
    values = [
        {"name": f"Lab {word}", "stakeholder_type": "academia", "country": "NL"}
        for word in ("proteomics", "genomics")
    ]
    with session_scope(engine) as session:
        create_many(session, Organisation, values, entity=Entity.organisation)
    with Session(engine) as session:
        found, total = list_organisations(session, q="genomics", limit=10, offset=0)
    assert ([row.name for row in found], total) == (["Lab genomics"], 1)


def test_snippets_mark_the_matched_words_and_keep_text_as_text(client: TestClient) -> None:
    """A snippet shows the matching passage of the scope with each hit marked, and no marks.

    Markup in the text is never a mark (PostgreSQL's headline even drops tags); pages escape
    every segment (tests/web checks the rendering).
    """
    create_call(
        client,
        identifier="S-1",
        title="Trials",
        description="Pragmatic <b>trials</b> of minimally invasive diagnostics in Zürich.",
    )
    engine = client.app.state.engine  # type: ignore[attr-defined]
    query = Query.parse("zurich diagnostic*")
    with Session(engine) as session:
        calls, _ = list_calls(
            session, filters=CallFilters(q="zurich diagnostic*"), today=TODAY, limit=5, offset=0
        )
        found = search.snippets(session, "calls", query, [call.id for call in calls if call.id])
    (snippet,) = found.values()
    assert [segment.text for segment in snippet if segment.hit] == ["diagnostics", "Zürich"]
    assert "".join(segment.text for segment in snippet).startswith("Pragmatic ")
    assert Segment(" in ", hit=False) in snippet


def test_api_lists_carry_the_snippet_of_a_search(client: TestClient) -> None:
    """GET /calls?q= and /organisations?q= give each item its passage, hits marked; no q, null."""
    create_call(
        client,
        identifier="S-2",
        title="Trials",
        description="Pragmatic <b>trials</b> of minimally invasive diagnostics in Zürich.",
    )
    create_organisation(
        client,
        name="Alpine Diagnostics",
        description="",
        keywords=["point-of-care testing"],
        activities=[{"title": "ZURICH-POC", "summary": "Rapid sepsis tests in emergency rooms."}],
    )
    (call,) = client.get("/calls", params={"q": "zurich diagnostic*"}).json()["items"]
    assert [part["text"] for part in call["snippet"] if part["hit"]] == ["diagnostics", "Zürich"]
    assert "".join(part["text"] for part in call["snippet"]).startswith("Pragmatic ")
    (organisation,) = client.get("/organisations", params={"q": "sepsis"}).json()["items"]
    assert [part for part in organisation["snippet"] if part["hit"]] == [
        {"text": "sepsis", "hit": True}
    ]
    assert [item["snippet"] for item in client.get("/calls").json()["items"]] == [None]
    assert [item["snippet"] for item in client.get("/organisations").json()["items"]] == [None]
    assert [item["snippet"] for item in client.get("/calls?q=%20").json()["items"]] == [None]


def test_api_snippet_of_a_title_match_shows_the_description_unmarked(client: TestClient) -> None:
    """A call found by its title alone still shows its scope, with no word marked."""
    create_call(
        client, identifier="S-3", title="Antimicrobial resistance", description="One Health scope."
    )
    (call,) = client.get("/calls", params={"q": "antimicrobial"}).json()["items"]
    assert [part["hit"] for part in call["snippet"]] == [False]
    assert call["snippet"][0]["text"].startswith("One Health scope")


def test_search_without_words_is_no_search(client: TestClient) -> None:
    """A search of only punctuation holds no words: like an empty one, it filters not (as the
    pages, which say so), and a word beside the punctuation still filters."""
    create_call(client, identifier="N-1", title="100% recyclable", description="")
    create_call(client, identifier="N-2", title="Soil health", description="")
    assert call_ids(client, "%") == call_ids(client, "") == ["N-1", "N-2"]
    assert call_ids(client, "% recyclable") == ["N-1"]


@pytest.mark.parametrize("q", ['"unclosed', "AND OR NOT", "NEAR(a b)", "a:b", "x' | 'y", "-*"])
def test_search_syntax_of_the_engines_is_never_passed_through(client: TestClient, q: str) -> None:
    """Operators of FTS5 or tsquery in the text are words or nothing, never a 500."""
    create_call(client, identifier="Q-1", title="And or not near", description="")
    response = client.get("/calls", params={"q": q})
    assert response.status_code == 200


def test_search_triggers_exist_after_every_migration(engine: Engine) -> None:
    """A later migration that rebuilds calls or organisations must not lose search's triggers."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            statement = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        else:
            statement = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
        names = set(connection.execute(text(statement)).scalars())
    expected = (
        {
            f"{table}_search_{event}"
            for table in ("calls", "organisations")
            for event in ("insert", "update", "delete")
        }
        if engine.dialect.name == "sqlite"
        else {"calls_search_sync", "organisations_search_sync"}
    )
    assert expected <= names


# Long enough that a checkpoint waiting for the read would be seen waiting.
WAITED_MS = 60_000


@pytest.mark.sqlite_only
def test_forgetting_a_delete_never_holds_writers_off_while_a_read_uses_the_log(
    database_url: str,
) -> None:
    """The checkpoint after a delete waits for no read: a read that still uses the
    write-ahead log (an export, an index being built) leaves it to try again, outside any
    lock, and writes go through meanwhile. Once the read ends, the log is emptied. (A
    checkpoint that waited for reads held off every writer for as long as it waited: up to the
    busy timeout, which failed writes with "database is locked".)"""
    path = Path(database_url.removeprefix("sqlite:///"))
    engine = db.create_db_engine(settings_for(database_url, sqlite_busy_timeout_ms=WAITED_MS))
    with session_scope(engine) as session:
        create_many(
            session, Organisation, [_profile("Before the read")], entity=Entity.organisation
        )
    reading = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    reading.execute("BEGIN")
    assert reading.execute("SELECT count(*) FROM organisations").fetchone() == (1,)
    with session_scope(engine) as session:  # pages the read's snapshot predates
        create_many(session, Organisation, [_profile("After the read")], entity=Entity.organisation)
    tries: list[float] = []

    def pause(seconds: float) -> None:
        tries.append(seconds)
        if len(tries) == 3:
            reading.rollback()  # the read ends while the checkpoint keeps trying
        time.sleep(seconds)

    forgetting = threading.Thread(
        target=search.forget_deleted, args=(engine,), kwargs={"pause": pause}
    )
    forgetting.start()
    deadline = time.monotonic() + WAITED_MS / 3_000
    while not tries and time.monotonic() < deadline:
        time.sleep(0.01)
    assert tries, "the first try waited for the read"
    with session_scope(db.for_writing(engine)) as session:  # while the read still holds the log
        create_many(session, Organisation, [_profile("Meanwhile")], entity=Entity.organisation)
    forgetting.join(timeout=WAITED_MS / 1_000)

    assert not forgetting.is_alive()
    assert 3 <= len(tries) < search.CHECKPOINT_TRIES  # a write may hold off one more try
    assert path.with_name(path.name + "-wal").stat().st_size == 0
    with engine.connect() as connection:  # the connection it used waits as before
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == WAITED_MS
    reading.close()
    engine.dispose()


def _profile(name: str) -> dict[str, object]:
    return {"name": name, "stakeholder_type": "academia", "country": "NL"}
