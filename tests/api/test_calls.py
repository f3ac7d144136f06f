"""Calls for proposals over HTTP: every verb, its errors, validation and derived status."""

import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from fastapi.testclient import TestClient

from models.common import utc_today
from tests.factories import call_payload, create_call, create_organisation
from tests.helpers import assert_problem, keyed

TODAY = utc_today()


def test_create_call_returns_it_with_status(client: TestClient) -> None:
    """Creating answers 201 with the stored call, its derived status and an ETag."""
    response = client.post("/calls", json=call_payload())
    assert response.status_code == 201
    body = response.json()
    assert body["identifier"] == "IHI-2023-05-02"
    assert body["required_stakeholders"] == {"academia": 2, "industry": 1, "sme": 1}
    assert body["status"] == "closed"
    assert body["min_countries"] == 3
    assert response.headers["location"] == f"/calls/{body['id']}"
    assert response.headers["etag"] == '"1"'


def test_create_call_defaults(client: TestClient) -> None:
    """Only identifier and title are required; min_countries defaults to 3."""
    response = client.post("/calls", json={"identifier": "X-1", "title": "Anything"})
    body = response.json()
    assert response.status_code == 201
    assert body["min_countries"] == 3
    assert body["max_partners"] is None
    assert body["required_stakeholders"] == {}
    assert body["status"] == "open"


def test_a_call_without_requirements_gets_a_suggestion_it_does_not_store(
    client: TestClient,
) -> None:
    """The mix its text names comes back as suggested_requirements; nothing is applied."""
    payload = call_payload(
        description="Expected outcomes: patient organisations co-design the study. Scope: "
        "SMEs develop the device and hospitals pilot it, with regulators consulted early."
    )
    del payload["required_stakeholders"]
    response = client.post("/calls", json=payload)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["suggested_requirements"] == {
        "sme": 1,
        "patient_organisation": 1,
        "regulator": 1,
        "healthcare_provider": 1,
    }
    assert body["required_stakeholders"] == {}
    stored = client.get(f"/calls/{body['id']}").json()
    assert stored["required_stakeholders"] == {}
    assert "suggested_requirements" not in stored
    assert stored["version"] == 1


def test_a_call_with_requirements_gets_no_suggestion(client: TestClient) -> None:
    """Requirements the publisher sent are the call's; the text is not read for more."""
    payload = call_payload(description="With patient organisations, SMEs and hospitals.")
    body = client.post("/calls", json=payload).json()
    assert body["suggested_requirements"] == {}
    assert body["required_stakeholders"] == {"academia": 2, "industry": 1, "sme": 1}


def test_a_call_whose_text_names_no_one_gets_an_empty_suggestion(client: TestClient) -> None:
    body = client.post("/calls", json={"identifier": "X-2", "title": "Anything"}).json()
    assert body["suggested_requirements"] == {}


def test_duplicate_call_identifier_is_409(client: TestClient) -> None:
    """A second call with the same identifier is a conflict, and only one is stored."""
    create_call(client)
    body = assert_problem(client.post("/calls", json=call_payload(title="Other")), 409)
    assert "IHI-2023-05-02" in body["detail"]
    assert client.get("/calls").json()["total"] == 1


@pytest.mark.parametrize(
    ("opening", "deadline", "status"),
    [
        (TODAY - timedelta(days=10), TODAY + timedelta(days=10), "open"),
        (TODAY, TODAY, "open"),
        (TODAY + timedelta(days=1), TODAY + timedelta(days=30), "forthcoming"),
        (TODAY - timedelta(days=30), TODAY - timedelta(days=1), "closed"),
        (None, None, "open"),
    ],
)
def test_call_status_is_derived_from_dates(
    client: TestClient, opening: date | None, deadline: date | None, status: str
) -> None:
    """Status is forthcoming before opening, closed after the deadline, open in between."""
    payload = call_payload(
        opening_date=opening and opening.isoformat(), deadline=deadline and deadline.isoformat()
    )
    created = client.post("/calls", json=payload).json()
    assert created["status"] == status
    listed = client.get("/calls", params={"status": status}).json()
    assert [item["id"] for item in listed["items"]] == [created["id"]]


def test_list_calls_filters_by_status_and_programme(client: TestClient) -> None:
    """Status and programme filters combine and may repeat."""
    soon = (TODAY + timedelta(days=5)).isoformat()
    later = (TODAY + timedelta(days=50)).isoformat()
    create_call(client, identifier="A-1", programme="IHI", opening_date=None, deadline=later)
    create_call(client, identifier="A-2", programme="IMI2")
    create_call(client, identifier="A-3", programme="IHI", opening_date=soon, deadline=later)
    both = client.get("/calls", params=[("status", "open"), ("status", "forthcoming")]).json()
    assert [item["identifier"] for item in both["items"]] == ["A-1", "A-3"]
    ihi_open = client.get("/calls", params={"status": "open", "programme": "IHI"}).json()
    assert [item["identifier"] for item in ihi_open["items"]] == ["A-1"]
    imi = client.get("/calls", params={"programme": "IMI2"}).json()
    assert [item["identifier"] for item in imi["items"]] == ["A-2"]
    # In any case, as a saved search compares it.
    lower = client.get("/calls", params=[("programme", "ihi"), ("programme", "imi2")]).json()
    assert [item["identifier"] for item in lower["items"]] == ["A-1", "A-2", "A-3"]
    assert_problem(client.get("/calls", params={"status": "ongoing"}), 422, "query.status.0")


def test_list_calls_paginates(client: TestClient) -> None:
    """limit and offset select a page; total counts every match."""
    for number in range(3):
        create_call(client, identifier=f"P-{number}")
    page = client.get("/calls", params={"limit": 1, "offset": 1}).json()
    assert page["total"] == 3
    assert [item["identifier"] for item in page["items"]] == ["P-1"]
    assert_problem(client.get("/calls", params={"limit": 500}), 422, "query.limit")


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("identifier", ""),
        ("identifier", "has space"),
        ("identifier", "i" * 121),
        ("title", ""),
        ("title", "t" * 501),
        ("programme", "p" * 101),
        ("description", "d" * 50_001),
        ("required_stakeholders", {"pharma": 1}),
        ("required_stakeholders", {"academia": -1}),
        ("required_stakeholders", {"academia": "two"}),
        ("min_countries", -1),
        ("min_countries", 51),
        ("max_partners", 0),
        ("opening_date", "yesterday"),
        ("deadline", "2024-02-30"),
        ("status", "open"),
        ("id", 5),
    ],
)
def test_create_call_validates_every_field(client: TestClient, field: str, value: Any) -> None:
    """Each invalid field is refused with 422 naming it, and nothing is stored."""
    body = assert_problem(client.post("/calls", json=call_payload(**{field: value})), 422)
    assert any(error["field"].split(".")[0] == field for error in body["errors"]), body
    assert client.get("/calls").json()["total"] == 0


@pytest.mark.sqlite_only
def test_create_call_refuses_deadline_before_opening(client: TestClient) -> None:
    """A deadline before the opening date is 422 on deadline."""
    payload = call_payload(opening_date="2024-03-01", deadline="2024-02-01")
    assert_problem(client.post("/calls", json=payload), 422, "deadline")


@pytest.mark.sqlite_only
def test_create_call_refuses_max_partners_below_requirements(client: TestClient) -> None:
    """max_partners must leave room for every required partner."""
    payload = call_payload(max_partners=3, required_stakeholders={"academia": 2, "sme": 2})
    body = assert_problem(client.post("/calls", json=payload), 422, "max_partners")
    assert "4 partners" in body["detail"]


def test_update_call_changes_fields_and_version(client: TestClient) -> None:
    """PATCH changes the fields sent and bumps the version."""
    created = create_call(client)
    response = client.patch(f"/calls/{created['id']}", json={"deadline": "2030-01-01"})
    assert response.status_code == 200
    body = response.json()
    assert body["deadline"] == "2030-01-01"
    assert body["status"] == "open"
    assert body["version"] == 2
    assert body["title"] == created["title"]


def test_update_call_checks_rules_against_stored_values(client: TestClient) -> None:
    """A PATCH that would make the stored call contradict itself is refused."""
    created = create_call(client)
    url = f"/calls/{created['id']}"
    assert_problem(client.patch(url, json={"deadline": "2020-01-01"}), 422, "deadline")
    assert_problem(client.patch(url, json={"max_partners": 2}), 422, "max_partners")
    assert_problem(client.patch(url, json={"title": None}), 422, "title")
    assert client.get(url).json()["version"] == 1


@pytest.mark.parametrize(
    ("change", "field", "detail"),
    [
        (
            {"opening_date": "2025-01-01"},
            "opening_date",
            "The opening date cannot be after the deadline (deadline).",
        ),
        (
            {"deadline": "2020-01-01"},
            "deadline",
            "The deadline cannot be before the opening date (opening_date).",
        ),
        (
            {"required_stakeholders": {"academia": 20}},
            "required_stakeholders",
            "required_stakeholders asks for 20 partners, more than max_partners (12) allows.",
        ),
        (
            {"max_partners": 2, "required_stakeholders": {}},
            "max_partners",
            "max_partners (2) is less than min_countries (3): each country needs a partner of its "
            "own, so no consortium could meet the call.",
        ),
        (
            {"min_countries": 20},
            "min_countries",
            "min_countries (20) is more than max_partners (12): each country needs a partner of "
            "its own, so no consortium could meet the call.",
        ),
    ],
)
def test_update_call_names_the_field_it_sent_of_two_that_disagree(
    client: TestClient, change: dict[str, Any], field: str, detail: str
) -> None:
    """Of two fields that contradict each other, the refusal names the one the update sent
    (an opening date after the stored deadline is the opening date's fault)."""
    created = create_call(client)
    body = assert_problem(client.patch(f"/calls/{created['id']}", json=change), 422, field)
    assert body["detail"] == detail


def test_update_call_identifier_to_taken_one_is_409(client: TestClient) -> None:
    """Renaming a call to another call's identifier is a conflict."""
    create_call(client, identifier="A-1")
    second = create_call(client, identifier="A-2")
    assert_problem(client.patch(f"/calls/{second['id']}", json={"identifier": "A-1"}), 409)
    renamed = client.patch(f"/calls/{second['id']}", json={"identifier": "A-2"})
    assert renamed.status_code == 200


def test_update_call_with_stale_if_match_is_412(client: TestClient) -> None:
    """A PATCH against an old version changes nothing."""
    created = create_call(client)
    url = f"/calls/{created['id']}"
    client.patch(url, json={"title": "New title"})
    assert_problem(client.patch(url, json={"title": "Lost"}, headers={"If-Match": '"1"'}), 412)
    assert_problem(client.patch(url, json={"title": "Lost"}, headers={"If-Match": "junk"}), 412)
    assert client.get(url).json()["title"] == "New title"


def test_delete_call_removes_it(client: TestClient) -> None:
    """DELETE answers 204, after which the call is 404."""
    created = create_call(client)
    url = f"/calls/{created['id']}"
    assert client.delete(url).status_code == 204
    assert_problem(client.get(url), 404)
    assert_problem(client.delete(url), 404)
    assert_problem(client.patch(url, json={"title": "x"}), 404)


def test_a_call_with_open_partner_requests_is_kept_until_it_closes(client: TestClient) -> None:
    """Organisations' open partner requests would go with a deleted call: 409, saying how to
    close it instead; once they are withdrawn, or the call has closed, it can be deleted."""
    call = create_call(client, opening_date=None, deadline="2099-01-31")
    url = f"/calls/{call['id']}"
    publishers = [keyed(client, create_organisation(client)["api_key"]) for _ in range(2)]
    posted = [
        publisher.post(f"{url}/partner-requests", json={"stakeholder_types": ["sme"]})
        for publisher in publishers
    ]
    assert [answer.status_code for answer in posted] == [201, 201]
    refused = assert_problem(client.delete(url), 409)
    assert refused["detail"].startswith("2 partner requests of organisations looking for")
    assert "set its deadline" in refused["detail"]
    assert publishers[0].delete(f"/partner-requests/{posted[0].json()['id']}").status_code == 204
    single = assert_problem(client.delete(url), 409)["detail"]
    assert single.startswith("1 partner request of")
    assert "deleted while it is, as it would go" in single
    yesterday = (utc_today() - timedelta(days=1)).isoformat()
    assert client.patch(url, json={"deadline": yesterday}).status_code == 200
    assert client.delete(url).status_code == 204
    assert_problem(client.get(f"/partner-requests/{posted[1].json()['id']}"), 404)


def test_list_calls_searches_words_and_deadlines(client: TestClient) -> None:
    """q needs every word in identifier, title or programme; deadlines bound the range, and
    a range that ends before it starts is 422 rather than an empty list."""
    create_call(client, identifier="HLTH-1", title="Cancer screening", deadline="2030-03-01")
    create_call(client, identifier="HLTH-2", title="Heart failure care", deadline="2030-06-01")
    create_call(
        client,
        identifier="CL5-1",
        title="Battery recycling",
        programme="CL5",
        deadline="2030-09-01",
    )
    by_words = client.get("/calls", params={"q": "hlth SCREENING"}).json()
    assert [item["identifier"] for item in by_words["items"]] == ["HLTH-1"]
    ranged = client.get(
        "/calls", params={"deadline_from": "2030-04-01", "deadline_to": "2030-12-31"}
    ).json()
    assert [item["identifier"] for item in ranged["items"]] == ["HLTH-2", "CL5-1"]
    assert_problem(client.get("/calls", params={"deadline_to": "soon"}), 422, "query.deadline_to")
    swapped = {"deadline_from": "2030-12-31", "deadline_to": "2030-04-01"}
    assert assert_problem(client.get("/calls", params=swapped), 422)["errors"] == [
        {
            "field": "query.deadline_to",
            "message": "deadline_to (2030-04-01) is before deadline_from (2030-12-31): no "
            "deadline falls between them; swap them.",
        }
    ]
    one_day = {"deadline_from": "2030-06-01", "deadline_to": "2030-06-01"}
    assert [
        item["identifier"] for item in client.get("/calls", params=one_day).json()["items"]
    ] == ["HLTH-2"]


def test_list_calls_ignores_a_search_of_no_words(client: TestClient) -> None:
    """A `q` holding no word ("*", "^", punctuation only) is no search, as on the calls page:
    the calls of the other filters are listed by id (no relevance to sort by), without
    snippets; a `q` with words still searches."""
    create_call(client, identifier="IHI-1", title="Kidney care", programme="IHI")
    create_call(client, identifier="CL5-1", title="Battery recycling", programme="CL5")
    create_call(client, identifier="IHI-2", title="Cancer screening", programme="IHI")
    for q in ["*", "^", "%", "-- ?!", '""']:
        page = client.get("/calls", params={"q": q, "programme": "ihi"}).json()
        assert [item["identifier"] for item in page["items"]] == ["IHI-1", "IHI-2"], q
        assert [item["snippet"] for item in page["items"]] == [None, None], q
    by_deadline = client.get("/calls", params={"q": "^", "sort": "deadline"})
    assert by_deadline.status_code == 200
    assert by_deadline.json()["total"] == 3
    searched = client.get("/calls", params={"q": "screening", "programme": "IHI"}).json()
    assert [item["identifier"] for item in searched["items"]] == ["IHI-2"]


def test_list_calls_filters_by_created_after(client: TestClient) -> None:
    """created_after keeps the calls stored after the moment, whatever offset names it (UTC
    without one), and combines with the other filters."""
    first = create_call(client, identifier="NEW-1", programme="IHI")
    second = create_call(client, identifier="NEW-2", programme="IHI")
    create_call(client, identifier="NEW-3", programme="CL5")
    moment = datetime.fromisoformat(first["created_at"])
    assert datetime.fromisoformat(second["created_at"]) > moment
    for written in [
        moment.isoformat(),
        moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        moment.replace(tzinfo=None).isoformat(),
        moment.astimezone(timezone(timedelta(hours=2))).isoformat(),
    ]:
        after = client.get("/calls", params={"created_after": written}).json()
        assert [item["identifier"] for item in after["items"]] == ["NEW-2", "NEW-3"], written
    ihi = client.get("/calls", params={"created_after": moment.isoformat(), "programme": "IHI"})
    assert ihi.json()["total"] == 1
    for refused in ("yesterday", "0", moment.date().isoformat()):
        assert_problem(client.get("/calls", params={"created_after": refused}), 422)
    # A moment UTC cannot write is refused, not a server error.
    for beyond in ("9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00"):
        problem = client.get("/calls", params={"created_after": beyond})
        assert_problem(problem, 422)
        assert "between the years 1 and 9999" in problem.json()["detail"]


def test_list_calls_sorted_by_deadline(client: TestClient) -> None:
    """sort=deadline lists open calls, then forthcoming, then closed, nearest deadline first."""
    soon = (TODAY + timedelta(days=3)).isoformat()
    later = (TODAY + timedelta(days=30)).isoformat()
    create_call(client, identifier="CLOSED-OLD", opening_date=None, deadline="2020-01-01")
    create_call(client, identifier="OPEN-LATE", opening_date=None, deadline=later)
    create_call(client, identifier="SOON", opening_date=soon, deadline=later)
    create_call(client, identifier="CLOSED-NEW", opening_date=None, deadline="2024-01-01")
    create_call(client, identifier="OPEN-SOON", opening_date=None, deadline=soon)
    body = client.get("/calls", params={"sort": "deadline"}).json()
    assert [item["identifier"] for item in body["items"]] == [
        "OPEN-SOON",
        "OPEN-LATE",
        "SOON",
        "CLOSED-NEW",
        "CLOSED-OLD",
    ]
    assert_problem(client.get("/calls", params={"sort": "title"}), 422, "query.sort")


def test_programmes_lists_each_programme_once(client: TestClient) -> None:
    """GET /programmes offers every programme a call names, sorted."""
    create_call(client, identifier="A", programme="IHI")
    create_call(client, identifier="B", programme="CL5")
    create_call(client, identifier="C", programme="IHI")
    create_call(client, identifier="D", programme=None)
    assert client.get("/programmes").json() == {"items": ["CL5", "IHI"]}


@pytest.mark.sqlite_only
def test_query_text_with_control_characters_is_422(client: TestClient) -> None:
    """A NUL or other control character in a search or filter is invalid input, not a 500."""
    assert_problem(client.get("/calls", params={"programme": "a\x00b"}), 422, "query.programme.0")
    assert_problem(client.get("/calls", params={"q": "x\x01"}), 422, "query.q")
    assert_problem(client.get("/organisations", params={"q": "\x00"}), 422, "query.q")


@pytest.fixture
def server_time_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Sets the process's time zone (TZ) for one test, and restores it."""

    def set_zone(zone: str) -> None:
        monkeypatch.setenv("TZ", zone)
        time.tzset()

    yield set_zone
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Etc/GMT+12"])
def test_status_is_read_on_the_utc_date_whatever_the_server_time_zone(
    client: TestClient, server_time_zone: Any, zone: str
) -> None:
    """A server 14 hours ahead of UTC or 12 behind derives the same statuses as one on UTC: at
    any hour one of the two is on another date than UTC, and the statuses follow UTC's."""
    # Today as the test runs, not as the module was imported: a run may pass midnight UTC.
    today = utc_today()
    tomorrow = (today + timedelta(days=1)).isoformat()
    yesterday = (today - timedelta(days=1)).isoformat()
    due_today = create_call(
        client, identifier="DUE-TODAY", title="x", opening_date=yesterday, deadline=str(today)
    )
    opens_today = create_call(
        client, identifier="OPENS-TODAY", title="x", opening_date=str(today), deadline=None
    )
    opens_later = create_call(
        client, identifier="OPENS-LATER", title="x", opening_date=tomorrow, deadline=None
    )
    server_time_zone(zone)
    statuses = {
        call["id"]: client.get(f"/calls/{call['id']}").json()["status"]
        for call in (due_today, opens_today, opens_later)
    }
    assert statuses == {
        due_today["id"]: "open",
        opens_today["id"]: "open",
        opens_later["id"]: "forthcoming",
    }
