"""Calls from recorded Funding & Tenders Portal search results, imported into a real database."""

import json
from datetime import date
from pathlib import Path

import httpx
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from matchmaker.calls import CallFilters, list_calls
from matchmaker.importers.portal import call_from_result, html_to_text, is_search_response
from matchmaker.importers.runner import import_calls
from models.call import Call

RECORDED = Path(__file__).resolve().parents[2] / "data" / "portal" / "topics-page-1.json"


def stored(engine: Engine) -> list[Call]:
    """Every call, by identifier."""
    with Session(engine) as session:
        return list(session.scalars(select(Call).order_by(col(Call.identifier))).all())


def test_search_result_becomes_call_fields() -> None:
    """Identifier, title, programme, dates and the description's text come from metadata."""
    payload = json.loads(RECORDED.read_text(encoding="utf-8"))
    assert is_search_response(payload)
    assert not is_search_response([payload])
    fields = call_from_result(payload["results"][2])
    assert fields == {
        "identifier": "HORIZON-JU-IHI-2025-09-02-two-stage",
        "title": "Integrated care for multimorbidity",
        "programme": "IHI",
        "description": "Care pathways for people living with several chronic diseases.",
        "opening_date": "2025-05-06",
        "deadline": "2025-09-17",
    }


def test_description_html_keeps_paragraphs_and_bullets_as_lines() -> None:
    """Tags go, entities are decoded, paragraphs and list items become lines."""
    assert html_to_text(
        "<p><b>Scope:</b> A&nbsp;&amp;&rsquo;B</p><ul><li>one;</li><li>two.</li></ul>"
    ) == ("Scope: A &\u2019B\n• one;\n• two.")


def test_import_calls_reads_portal_search_results_once_per_topic(
    engine: Engine, tmp_path: Path
) -> None:
    """The English result of each topic is imported; a second run changes nothing."""
    summary = import_calls(engine, RECORDED)
    assert (summary.created, summary.updated, summary.rejected) == (2, 0, [])
    calls = stored(engine)
    assert [call.identifier for call in calls] == [
        "HORIZON-HLTH-2025-01-DISEASE-04",
        "HORIZON-JU-IHI-2025-09-02-TWO-STAGE",
    ]
    parkinson = calls[0]
    assert parkinson.title == "Pragmatic trials for Parkinson's disease"
    assert parkinson.programme == "Horizon Europe"
    assert (parkinson.opening_date, parkinson.deadline) == (date(2025, 1, 22), date(2025, 4, 10))
    assert parkinson.description.splitlines() == [
        "Expected Outcome: Patients with Parkinson\u2019s disease benefit from earlier diagnosis.",
        "• Wearable sensors validated in clinics;",
        "• patient organisations involved.",
        "Scope: SMEs and hospitals run pragmatic trials.",
    ]
    again = import_calls(engine, RECORDED)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    with Session(engine) as session:
        found, _ = list_calls(
            session, filters=CallFilters(q="wearable"), today=date(2025, 2, 1), limit=5, offset=0
        )
    assert [call.identifier for call in found] == ["HORIZON-HLTH-2025-01-DISEASE-04"]


def test_import_calls_reads_portal_results_from_a_url(engine: Engine) -> None:
    """The portal's answer fetched over HTTP (a recorded response) imports the same calls."""
    body = RECORDED.read_bytes()

    def answer(request: httpx.Request) -> httpx.Response:
        assert request.url.host == "api.tech.ec.europa.eu"
        return httpx.Response(200, content=body, headers={"Content-Type": "application/json"})

    with httpx.Client(transport=httpx.MockTransport(answer)) as client:
        summary = import_calls(
            engine,
            "https://api.tech.ec.europa.eu/search-api/prod/rest/search?apiKey=SEDIA&text=***",
            client=client,
        )
    assert summary.created == 2
