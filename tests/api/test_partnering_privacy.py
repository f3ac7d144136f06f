"""The privacy rule, walked: before a request is accepted neither party's contact address is
in any answer the other can get (every API read, every web page, the notifications); after,
each finds the other's, and only in that request."""

import importlib
import itertools
import pkgutil
import re
from types import ModuleType

import pytest
from fastapi import APIRouter
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlmodel import Session, col

import api.web
from models.partnering import OutboxMessage
from tests.factories import Party, create_call

PARAMETER = re.compile(r"{(\w+)}")


def web_modules() -> list[ModuleType]:
    """Every module of api/web that serves pages (a router of its own)."""
    found = [
        importlib.import_module(f"api.web.{info.name}")
        for info in pkgutil.iter_modules(api.web.__path__)
    ]
    modules = [module for module in found if isinstance(getattr(module, "router", None), APIRouter)]
    assert len(modules) >= 5
    return modules


def readable_paths(client: TestClient) -> list[str]:
    """Every GET path of the API (from its OpenAPI document) and of the web interface."""
    document = client.get("/openapi.json").json()
    api = [path for path, item in document["paths"].items() if "get" in item]
    web = [
        route.path
        for module in web_modules()
        for route in module.router.routes
        if isinstance(route, APIRoute) and "GET" in (route.methods or ())
    ]
    return sorted({*api, *web})


def walk(
    viewer: TestClient, paths: list[str], ids: dict[str, list[int]], search_text: str
) -> dict[str, str]:
    """Each concrete URL the viewer can ask for, with the text of its answer (reads that take
    a POST body included)."""
    answers = {}
    for path in paths:
        names = PARAMETER.findall(path)
        assert set(names) <= set(ids), f"no ids for {path}"
        for values in itertools.product(*(ids[name] for name in names)):
            url = path
            for name, value in zip(names, values, strict=True):
                url = url.replace(f"{{{name}}}", str(value))
            response = viewer.get(url)
            assert response.status_code < 500, (url, response.text)
            answers[f"GET {url}"] = response.text
    for organisation_id, call_id, consortium_id in itertools.product(
        ids["organisation_id"], ids["call_id"], ids["consortium_id"]
    ):
        url = (
            f"/ui/organisations/{organisation_id}/contact?call_id={call_id}"
            f"&consortium_id={consortium_id}"
        )
        answers[f"GET {url}"] = viewer.get(url).text
    for call_id in ids["call_id"]:
        response = viewer.post(f"/calls/{call_id}/consortium", json={})
        answers[f"POST /calls/{call_id}/consortium"] = response.text
    answers["POST /search"] = viewer.post("/search", json={"text": search_text}).text
    return answers


def revealing(answers: dict[str, str], address: str | None) -> list[str]:
    """The answers that contain the address (a party of this walk always has one)."""
    assert address
    return sorted(url for url, text in answers.items() if address in text)


@pytest.mark.sqlite_only
def test_no_address_is_visible_to_the_other_party_before_acceptance_and_both_after(
    client: TestClient, anonymous: TestClient, engine: Engine
) -> None:
    """Walk every readable endpoint and page as each party and as nobody, before and after."""
    call = create_call(client, identifier="PRIV-1", opening_date=None, deadline="2099-01-01")
    writer = Party(
        client,
        name="Writer University",
        description="Liver disease screening studies.",
        contact_email="writer@private.example",
    )
    partner = Party(
        client,
        name="Liver Patients",
        stakeholder_type="patient_organisation",
        country="BE",
        description="Patient panels for liver disease screening.",
        contact_email="partner@private.example",
    )
    draft = writer.client.post(
        "/consortia",
        json={
            "name": "Screening",
            "call_id": call["id"],
            "members": [{"organisation_id": writer.id}, {"organisation_id": partner.id}],
        },
    )
    assert draft.status_code == 201, draft.text
    posted = writer.client.post(
        f"/calls/{call['id']}/partner-requests",
        json={"stakeholder_types": ["patient_organisation"], "expertise": "Patient panels."},
    )
    assert posted.status_code == 201
    partner_request = posted.json()
    sent = partner.client.post(
        f"/partner-requests/{partner_request['id']}/interest", json={"message": "Count us in."}
    )
    contacted = writer.client.post(
        f"/organisations/{partner.id}/contact-requests",
        json={"consortium_id": draft.json()["id"], "message": "About our draft."},
    )
    gaps_published = writer.client.post(f"/consortia/{draft.json()['id']}/partner-requests")
    for response in (posted, sent, contacted, gaps_published):
        assert response.status_code == 201, response.text
        assert writer.email not in response.text
        assert partner.email not in response.text
    interest_id, contact_id = sent.json()["id"], contacted.json()["id"]
    webhook_ids = [
        party.client.post(
            f"/organisations/{party.id}/webhooks", json={"url": "https://93.184.216.34/hook"}
        ).json()["id"]
        for party in (writer, partner)
    ]
    search_ids = [
        party.client.post(
            f"/organisations/{party.id}/saved-searches", json={"target": "calls", "text": "liver"}
        ).json()["id"]
        for party in (writer, partner)
    ]
    ids = {
        "organisation_id": [writer.id, partner.id],
        "call_id": [call["id"]],
        "consortium_id": [draft.json()["id"]],
        "request_id": [partner_request["id"], interest_id, contact_id],
        "webhook_id": webhook_ids,
        "search_id": search_ids,
        "token": ["not-a-token"],
    }
    paths = readable_paths(client)
    assert "/inbox" in paths
    assert "/ui/calls/{call_id}" in paths
    assert {"/ui/inbox", "/ui/inbox/panel", "/ui/organisations/{organisation_id}/contact"} <= set(
        paths
    )
    text = "liver disease patient panels screening"

    for viewer, other in ((writer, partner), (partner, writer)):
        assert revealing(walk(viewer.client, paths, ids, text), other.email) == []
    for party in (writer, partner):
        assert revealing(walk(anonymous, paths, ids, text), party.email) == []
    with Session(engine) as session:
        bodies = session.scalars(select(col(OutboxMessage.body))).all()
    assert len(bodies) == 2
    assert [body for body in bodies if "@private.example" in body] == []

    accepted = writer.client.post(f"/contact-requests/{interest_id}/accept")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["contact_email"] == partner.email

    expected = ["GET /contact-requests/{interest}", "GET /inbox", "GET /ui/inbox/panel"]
    for viewer, other in ((writer, partner), (partner, writer)):
        found = revealing(walk(viewer.client, paths, ids, text), other.email)
        assert found == [url.format(interest=interest_id) for url in expected]
    for party in (writer, partner):
        assert revealing(walk(anonymous, paths, ids, text), party.email) == []
    pending = writer.client.get(f"/contact-requests/{contact_id}").json()
    assert (pending["status"], pending["contact_email"]) == ("pending", None)
