"""Webhooks over HTTP: registered by the organisation's key, secret shown once, private
addresses refused, and a delivery log its owner reads page by page."""

import json
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.main import create_app
from matchmaker.partnering.webhooks import MAX_WEBHOOKS, deliver_webhooks
from matchmaker.settings import Settings
from tests.factories import create_call, create_organisation
from tests.helpers import assert_problem, keyed, settings_for
from tests.matchmaker.partnering.receiver import Receiver, webhook_receiver
from tests.servers import ADMIN_TOKEN


@pytest.fixture
def settings(database_url: str) -> Settings:
    """The test database, no write rate limit, and webhooks allowed on loopback."""
    return settings_for(database_url, webhook_allow_private=True)


def test_owner_registers_lists_and_deletes_a_webhook(owner: tuple[int, TestClient]) -> None:
    """201 with the secret once and a Location; the list omits the secret; delete is 204."""
    organisation_id, client = owner
    created = client.post(
        f"/organisations/{organisation_id}/webhooks", json={"url": "http://127.0.0.1:9/hook"}
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["url"] == "http://127.0.0.1:9/hook"
    assert body["secret"].startswith("whsec_")
    assert len(body["secret"]) > 40
    assert created.headers["Location"] == f"/organisations/{organisation_id}/webhooks/{body['id']}"
    # The secret is in this answer alone: no cache may keep it.
    assert created.headers["Cache-Control"] == "no-store"
    listed = client.get(f"/organisations/{organisation_id}/webhooks")
    assert "cache-control" not in listed.headers
    assert listed.json() == [
        {"id": body["id"], "url": "http://127.0.0.1:9/hook", "created_at": body["created_at"]}
    ]
    path = f"/organisations/{organisation_id}/webhooks/{body['id']}"
    assert client.delete(path).status_code == 204
    assert client.get(f"/organisations/{organisation_id}/webhooks").json() == []
    assert_problem(client.delete(path), 404)
    assert_problem(client.get(f"{path}/deliveries"), 404)


def test_only_the_owner_or_an_admin_may_touch_webhooks(
    client: TestClient, anonymous: TestClient, owner: tuple[int, TestClient]
) -> None:
    """Anonymous is 401, another organisation's key 403; an admin may list."""
    organisation_id, mine = owner
    other = keyed(client, create_organisation(client, name="Other Lab")["api_key"])
    path = f"/organisations/{organisation_id}/webhooks"
    webhook = mine.post(path, json={"url": "http://127.0.0.1:9/"}).json()
    assert_problem(anonymous.post(path, json={"url": "http://127.0.0.1:9/"}), 401)
    assert_problem(other.post(path, json={"url": "http://127.0.0.1:9/"}), 403)
    assert_problem(other.get(path), 403)
    assert_problem(other.delete(f"{path}/{webhook['id']}"), 403)
    assert_problem(other.get(f"{path}/{webhook['id']}/deliveries"), 403)
    assert [w["id"] for w in client.get(path).json()] == [webhook["id"]]
    assert_problem(client.get("/organisations/999999/webhooks"), 404)


def test_the_location_of_a_new_webhook_reads_it_without_its_secret(
    client: TestClient, anonymous: TestClient, owner: tuple[int, TestClient]
) -> None:
    """The Location of a 201 answers 200 with the webhook as listed, never its secret, for its
    owner and an admin; another organisation's key is 403, no key 401, another organisation's
    path 404, and once deleted it is 404."""
    organisation_id, mine = owner
    made = mine.post(
        f"/organisations/{organisation_id}/webhooks", json={"url": "http://127.0.0.1:9/hook"}
    )
    body = made.json()
    location = made.headers["Location"]
    expected = {
        "id": body["id"],
        "url": "http://127.0.0.1:9/hook",
        "created_at": body["created_at"],
    }
    read = mine.get(location)
    assert read.status_code == 200, read.text
    assert read.json() == expected
    assert body["secret"] not in read.text
    assert client.get(location).json() == expected
    other_body = create_organisation(client, name="Other Lab")
    assert_problem(keyed(client, other_body["api_key"]).get(location), 403)
    assert_problem(anonymous.get(location), 401)
    assert_problem(client.get(f"/organisations/{other_body['id']}/webhooks/{body['id']}"), 404)
    assert mine.delete(location).status_code == 204
    assert_problem(mine.get(location), 404)


@pytest.mark.parametrize(
    "url", ["ftp://hooks.example/", "https://user:pw@hooks.example/", "hooks.example", ""]
)
def test_malformed_url_is_422(owner: tuple[int, TestClient], url: str) -> None:
    """A URL that is not http(s), lacks a host or holds credentials is refused on `url`."""
    organisation_id, client = owner
    answer = client.post(f"/organisations/{organisation_id}/webhooks", json={"url": url})
    assert_problem(answer, 422, field="url")


@pytest.mark.parametrize("url", ["hooks.example/matchmaker", "ftp://hooks.example/", "HOOKS"])
def test_url_without_http_scheme_says_to_start_with_it(
    owner: tuple[int, TestClient], url: str
) -> None:
    """A URL without https:// or http:// is told to start with one, not that it holds
    characters that are not allowed."""
    organisation_id, client = owner
    answer = client.post(f"/organisations/{organisation_id}/webhooks", json={"url": url})
    message = (
        "Must be an address starting with https:// or http://, such as "
        "https://hooks.example.org/matchmaker."
    )
    assert assert_problem(answer, 422)["errors"] == [{"field": "url", "message": message}]


def test_private_addresses_are_refused_unless_allowed(settings: Settings, engine: Engine) -> None:
    """With the default setting, loopback, private and link-local URLs are 422 (SSRF)."""
    strict = settings.model_copy(update={"webhook_allow_private": False})
    with TestClient(create_app(strict), raise_server_exceptions=False) as app_client:
        admin = keyed(app_client, ADMIN_TOKEN)
        organisation = create_organisation(admin)
        client = keyed(app_client, organisation["api_key"])
        path = f"/organisations/{organisation['id']}/webhooks"
        for url in [
            "http://127.0.0.1:8000/",
            "http://localhost/",
            "https://10.0.0.5/hook",
            "http://169.254.169.254/latest/meta-data/",
            "http://[::1]/",
            "http://[::ffff:192.168.0.1]/",
        ]:
            body = assert_problem(client.post(path, json={"url": url}), 422, field="url")
            assert "non-public address" in body["errors"][0]["message"], url
        assert client.get(path).json() == []


def test_at_most_five_webhooks(owner: tuple[int, TestClient]) -> None:
    """The sixth is 409."""
    organisation_id, client = owner
    path = f"/organisations/{organisation_id}/webhooks"
    for number in range(MAX_WEBHOOKS):
        assert client.post(path, json={"url": f"http://127.0.0.1:9/{number}"}).status_code == 201
    assert_problem(client.post(path, json={"url": "http://127.0.0.1:9/x"}), 409)


def test_a_url_registered_twice_is_409(owner: tuple[int, TestClient]) -> None:
    """Every event would reach it twice: the second registration names the first; another
    organisation may register the same URL."""
    organisation_id, client = owner
    path = f"/organisations/{organisation_id}/webhooks"
    first = client.post(path, json={"url": "http://127.0.0.1:9/hook"}).json()
    again = assert_problem(client.post(path, json={"url": "http://127.0.0.1:9/hook"}), 409)
    assert again["detail"] == (
        f"Your organisation's webhook {first['id']} already posts to http://127.0.0.1:9/hook; "
        "every event would reach it twice. To get a new secret, delete that webhook and "
        "register the URL again."
    )
    assert [hook["id"] for hook in client.get(path).json()] == [first["id"]]
    other = create_organisation(client, name="Other Institute")
    elsewhere = keyed(client, other["api_key"]).post(
        f"/organisations/{other['id']}/webhooks", json={"url": "http://127.0.0.1:9/hook"}
    )
    assert elsewhere.status_code == 201, elsewhere.text


def _contact(sender: TestClient, recipient_id: int, call_id: int) -> int:
    answer = sender.post(
        f"/organisations/{recipient_id}/contact-requests",
        json={"call_id": call_id, "message": "Your biobank fits our proposal."},
    )
    assert answer.status_code == 201, answer.text
    request_id: int = answer.json()["id"]
    return request_id


def test_a_contact_request_reaches_the_webhook_and_the_log_pages(
    client: TestClient, engine: Engine, owner: tuple[int, TestClient]
) -> None:
    """Each notification for the organisation is POSTed, signed, naming the request, its call
    and its sender in `about`; the log lists them newest first, paginated, with status and
    attempts."""
    organisation_id, mine = owner
    call = create_call(client, opening_date=None, deadline="2099-01-31")
    created = [create_organisation(client, name=name) for name in ("Sender Lab", "Second Lab")]
    senders = [keyed(client, body["api_key"]) for body in created]
    receiver = Receiver()
    with webhook_receiver(receiver) as url:
        webhook: dict[str, Any] = mine.post(
            f"/organisations/{organisation_id}/webhooks", json={"url": f"{url}/in"}
        ).json()
        receiver.secret = webhook["secret"]
        requests = [_contact(sender, organisation_id, call["id"]) for sender in senders]
        with httpx.Client() as http:
            done = deliver_webhooks(engine, client=http, allow_private=True)
    assert (done.delivered, done.failed) == (2, 0)
    assert [r.verified for r in receiver.received] == [True, True]
    assert receiver.received[0].headers["x-matchmaker-event"] == "request_received"
    assert [json.loads(r.body)["about"] for r in receiver.received] == [
        {"call_id": call["id"], "contact_request_id": request_id, "organisation_id": body["id"]}
        for request_id, body in zip(requests, created, strict=True)
    ]
    log = mine.get(
        f"/organisations/{organisation_id}/webhooks/{webhook['id']}/deliveries",
        params={"limit": 1, "offset": 1},
    )
    assert log.status_code == 200, log.text
    page = log.json()
    assert (page["total"], page["limit"], page["offset"]) == (2, 1, 1)
    [entry] = page["items"]
    assert entry["message_id"] == receiver.received[0].message_id  # newest first: this is older
    assert entry["about"] == json.loads(receiver.received[0].body)["about"]
    assert (entry["event"], entry["status"], entry["attempts"], entry["last_status_code"]) == (
        "request_received",
        "delivered",
        1,
        200,
    )
    assert (entry["next_attempt_at"], entry["delivered_at"] is not None) == (None, True)
