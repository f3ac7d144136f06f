"""Who may do what: every resource and verb with no key, another organisation's key, a
publisher's key, an admin's key and the owner's key; refusals change nothing."""

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from models.consortium import DEPARTURES_SHOWN
from tests.factories import call_payload, create_call, create_organisation, organisation_payload
from tests.helpers import assert_problem, bearer, snapshot
from tests.servers import ADMIN_TOKEN

ACTORS = ("anonymous", "other_organisation", "publisher", "admin", "owner")


@dataclass
class World:
    """Two organisations, a publisher, its call, a draft owned by the first organisation."""

    tokens: dict[str, str | None]
    owner_id: int
    other_id: int
    call_id: int
    consortium_id: int
    spare_key_id: int


@pytest.fixture
def world(client: TestClient) -> World:
    """The cast every permission test uses."""
    owner = create_organisation(client, name="Owner Org")
    other = create_organisation(client, name="Other Org")
    publisher = client.post("/admin/keys", json={"role": "publisher"}).json()
    spare = client.post(
        "/admin/keys", json={"role": "organisation", "organisation_id": owner["id"]}
    ).json()
    call = client.post(
        "/calls", json=call_payload(identifier="AUTH-1"), headers=bearer(publisher["token"])
    ).json()
    draft = client.post(
        "/consortia",
        json={
            "name": "Draft",
            "call_id": call["id"],
            "members": [{"organisation_id": owner["id"]}],
        },
        headers=bearer(owner["api_key"]),
    ).json()
    return World(
        tokens={
            "anonymous": None,
            "other_organisation": other["api_key"],
            "publisher": publisher["token"],
            "admin": ADMIN_TOKEN,
            "owner": owner["api_key"],
        },
        owner_id=owner["id"],
        other_id=other["id"],
        call_id=call["id"],
        consortium_id=draft["id"],
        spare_key_id=spare["id"],
    )


OWNER_ONLY = {"anonymous": 401, "other_organisation": 403, "publisher": 403}
# Another organisation's draft or key answers as a missing one would: its existence is private.
PRIVATE = {"anonymous": 401, "other_organisation": 404, "publisher": 403}
ADMIN_ONLY = {"anonymous": 401, "other_organisation": 403, "publisher": 403, "owner": 403}
PUBLISHERS = {"anonymous": 401, "other_organisation": 403, "owner": 403}

# (method, path, body, refusals by actor, success status)
CASES: list[tuple[str, str, dict[str, Any] | None, dict[str, int], int]] = [
    ("PATCH", "/organisations/{owner_id}", {"city": "Gent"}, OWNER_ONLY, 200),
    ("DELETE", "/organisations/{owner_id}", None, OWNER_ONLY, 204),
    ("GET", "/organisations/{owner_id}/export", None, OWNER_ONLY, 200),
    ("POST", "/organisations/{owner_id}/keys", None, OWNER_ONLY, 201),
    ("POST", "/calls", call_payload(identifier="NEW-1"), PUBLISHERS, 201),
    ("PATCH", "/calls/{call_id}", {"title": "Renamed"}, PUBLISHERS, 200),
    ("DELETE", "/calls/{call_id}", None, {**PUBLISHERS, "publisher": 409, "admin": 409}, 409),
    (
        "POST",
        "/consortia",
        {"name": "Mine", "call_id": 1},
        # Only an organisation's key creates drafts, so that every draft has an owner.
        {"anonymous": 401, "publisher": 403, "admin": 403},
        201,
    ),
    ("GET", "/consortia/{consortium_id}", None, PRIVATE, 200),
    ("PATCH", "/consortia/{consortium_id}", {"name": "New"}, PRIVATE, 200),
    ("DELETE", "/consortia/{consortium_id}", None, PRIVATE, 204),
    ("PUT", "/consortia/{consortium_id}/members/{other_id}", None, PRIVATE, 200),
    ("DELETE", "/consortia/{consortium_id}/members/{owner_id}", None, PRIVATE, 200),
    ("GET", "/consortia/{consortium_id}/gaps", None, PRIVATE, 200),
    ("POST", "/admin/keys", {"role": "publisher"}, ADMIN_ONLY, 201),
    ("GET", "/admin/keys", None, ADMIN_ONLY, 200),
    ("DELETE", "/admin/keys/{spare_key_id}", None, PRIVATE, 200),
    ("POST", "/admin/refit", None, ADMIN_ONLY, 202),
]


# Who may do what is decided before any query differs between the databases (the key, its
# role, the organisation it acts for): on both, the matrix took 90 PostgreSQL cases (about
# 70 s) of a CI run held under 15 minutes. The routes' own tests run on both.
@pytest.mark.sqlite_only
@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize(
    ("method", "path", "body", "refusals", "success"),
    CASES,
    ids=[f"{method} {path}" for method, path, *_ in CASES],
)
def test_permissions(
    client: TestClient,
    anonymous: TestClient,
    engine: Engine,
    world: World,
    actor: str,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    refusals: dict[str, int],
    success: int,
) -> None:
    """Each actor gets the status its role allows; a refusal leaves the database as it was."""
    url = path.format(**vars(world))
    before = snapshot(engine)
    response = anonymous.request(method, url, json=body, headers=bearer(world.tokens[actor]))
    expected = refusals.get(actor, success)
    assert response.status_code == expected, response.text
    if expected in (401, 403, 404):
        assert_problem(response, expected)
        assert snapshot(engine) == before
    if expected == 401:
        assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.sqlite_only
def test_anyone_may_register_an_organisation(anonymous: TestClient) -> None:
    """Registration needs no key and hands back the new organisation's key once."""
    response = anonymous.post("/organisations", json=organisation_payload())
    assert response.status_code == 201
    token = response.json()["api_key"]
    organisation_id = response.json()["id"]
    assert "api_key" not in anonymous.get(f"/organisations/{organisation_id}").json()
    edit = anonymous.patch(
        f"/organisations/{organisation_id}", json={"city": "Delft"}, headers=bearer(token)
    )
    assert edit.status_code == 200


@pytest.mark.sqlite_only
def test_contact_email_only_for_owner_and_admin(
    client: TestClient, anonymous: TestClient, world: World
) -> None:
    """Personal data shows to the owner and admins only: never in lists or to others."""
    url = f"/organisations/{world.owner_id}"
    for actor in ACTORS:
        body = anonymous.get(url, headers=bearer(world.tokens[actor])).json()
        assert ("contact_email" in body) == (actor in ("admin", "owner")), actor
    for actor in ACTORS:
        listing = anonymous.get("/organisations", headers=bearer(world.tokens[actor])).text
        assert "partnering@lumc.example" not in listing


@pytest.mark.sqlite_only
def test_personal_data_never_in_matching_answers(
    client: TestClient, anonymous: TestClient, world: World
) -> None:
    """Suggestions, search, similar and drafts never carry contact emails."""
    owner = bearer(world.tokens["owner"])
    answers = [
        anonymous.get(f"/calls/{world.call_id}/suggestions"),
        anonymous.post("/search", json={"text": "oncology biobank"}),
        anonymous.get(f"/organisations/{world.owner_id}/similar"),
        anonymous.get(f"/consortia/{world.consortium_id}", headers=owner),
        anonymous.get(f"/consortia/{world.consortium_id}/gaps", headers=owner),
        anonymous.post(f"/calls/{world.call_id}/consortium", json={}),
    ]
    assert answers[1].json()["items"], "the search should find the profiles"
    for response in answers:
        assert response.status_code == 200, response.text
        assert "@lumc.example" not in response.text
        assert "contact_email" not in response.text


@pytest.mark.sqlite_only
def test_invalid_and_revoked_keys_are_401(
    client: TestClient, anonymous: TestClient, world: World
) -> None:
    """Unknown, malformed and revoked tokens are refused, even on public reads."""
    owner = world.tokens["owner"]
    assert owner is not None
    for token in ("mm_nothing_here", "garbage", owner[:-2] + "xx"):
        assert_problem(anonymous.get("/organisations", headers=bearer(token)), 401)
    key = client.post("/admin/keys", json={"role": "publisher"}).json()
    assert (
        anonymous.post(
            "/calls", json=call_payload(identifier="K-1"), headers=bearer(key["token"])
        ).status_code
        == 201
    )
    client.delete(f"/admin/keys/{key['id']}")
    revoked = anonymous.post(
        "/calls", json=call_payload(identifier="K-2"), headers=bearer(key["token"])
    )
    assert_problem(revoked, 401)


def test_answers_holding_a_token_or_an_export_are_never_stored(
    client: TestClient, anonymous: TestClient, world: World
) -> None:
    """A key's token, whoever issues it, and an export are sent with `Cache-Control: no-store`,
    so that no browser or proxy cache keeps them; answers holding neither (a private profile,
    the lists of keys, a refusal) say nothing of caching."""
    owner = bearer(world.tokens["owner"])
    organisation_key = {"role": "organisation", "organisation_id": world.owner_id}
    secret_answers = [
        client.post("/admin/keys", json={"role": "publisher"}),
        client.post("/admin/keys", json=organisation_key),
        anonymous.post(f"/organisations/{world.owner_id}/keys", headers=owner),
        client.post(f"/organisations/{world.owner_id}/keys"),
        anonymous.get(f"/organisations/{world.owner_id}/export", headers=owner),
        client.get(f"/organisations/{world.owner_id}/export"),
        anonymous.head(f"/organisations/{world.owner_id}/export", headers=owner),
    ]
    for response in secret_answers:
        assert response.status_code in (200, 201), response.text
        assert response.headers["cache-control"] == "no-store", response.request.url
    ordinary = [
        anonymous.get(f"/organisations/{world.owner_id}"),
        anonymous.get(f"/organisations/{world.owner_id}", headers=owner),
        anonymous.get(f"/organisations/{world.owner_id}/keys", headers=owner),
        client.get("/admin/keys"),
        anonymous.post("/admin/keys", json=organisation_key, headers=owner),
        anonymous.get(f"/organisations/{world.other_id}/export", headers=owner),
    ]
    assert [response.status_code for response in ordinary] == [200, 200, 200, 200, 403, 403]
    for response in ordinary:
        assert "cache-control" not in response.headers, response.request.url


def test_keys_are_stored_only_as_hashes(client: TestClient, engine: Engine, world: World) -> None:
    """No table holds a token's secret; listings never show one."""
    dump = repr(snapshot(engine))
    for token in (world.tokens["owner"], world.tokens["publisher"]):
        assert token is not None
        assert token.split("_", 2)[2] not in dump
    listing = client.get("/admin/keys").json()
    assert listing["total"] == 4
    assert all("token" not in key and "secret_hash" not in key for key in listing["items"])


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/organisations", "id"),
        ("/organisations", "version"),
        ("/organisations", "created_at"),
        ("/organisations", "api_key"),
        ("/calls", "id"),
        ("/calls", "version"),
        ("/calls", "updated_at"),
        ("/consortia", "owner_organisation_id"),
        ("/consortia", "id"),
    ],
)
def test_server_owned_fields_are_rejected_on_create(
    client: TestClient, engine: Engine, world: World, path: str, field: str
) -> None:
    """Clients cannot set ids, owners, versions or timestamps."""
    bodies = {
        "/organisations": organisation_payload(),
        "/calls": call_payload(identifier="SRV-1"),
        "/consortia": {"name": "x", "call_id": world.call_id},
    }
    before = snapshot(engine)
    response = client.post(path, json={**bodies[path], field: 99})
    assert_problem(response, 422, field)
    assert snapshot(engine) == before


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/organisations/{owner_id}", "id"),
        ("/organisations/{owner_id}", "version"),
        ("/calls/{call_id}", "created_at"),
        ("/consortia/{consortium_id}", "owner_organisation_id"),
    ],
)
def test_server_owned_fields_are_rejected_on_update(
    client: TestClient, engine: Engine, world: World, path: str, field: str
) -> None:
    """PATCH refuses server-owned fields too."""
    before = snapshot(engine)
    assert_problem(client.patch(path.format(**vars(world)), json={field: 1}), 422, field)
    assert snapshot(engine) == before


def test_deleting_organisation_removes_its_keys_and_drafts(
    client: TestClient, anonymous: TestClient, engine: Engine, world: World
) -> None:
    """After deletion nothing of the organisation remains: profile, keys, drafts, memberships;
    the other organisation's draft it was in keeps that it left, by its name, type and role
    alone, and its own draft keeps nothing (it is gone)."""
    other_draft = client.post(
        "/consortia",
        json={
            "name": "Other",
            "call_id": world.call_id,
            "members": [{"organisation_id": world.owner_id}],
        },
        headers=bearer(world.tokens["other_organisation"]),
    ).json()
    owner = bearer(world.tokens["owner"])
    assert anonymous.delete(f"/organisations/{world.owner_id}", headers=owner).status_code == 204
    tables = snapshot(engine)
    assert all(row[4] != world.owner_id for row in tables["api_keys"])
    assert [row[0] for row in tables["consortia"]] == [other_draft["id"]]
    assert tables["consortium_members"] == []
    [(_, draft_id, name, kind, role, _)] = tables["consortium_departures"]
    assert (draft_id, name, kind, role) == (other_draft["id"], "Owner Org", "academia", "partner")
    assert "partnering@lumc.example" in repr(tables["organisations"])  # the other organisation's
    assert len(tables["organisations"]) == 1
    assert_problem(anonymous.get("/organisations", headers=owner), 401)


def test_export_holds_everything_about_the_organisation(
    anonymous: TestClient, world: World
) -> None:
    """The owner's export has its private profile, its keys (no secrets) and its drafts."""
    body = anonymous.get(
        f"/organisations/{world.owner_id}/export", headers=bearer(world.tokens["owner"])
    ).json()
    assert body["profile"]["contact_email"] == "partnering@lumc.example"
    assert len(body["api_keys"]) == 2
    assert all("token" not in key for key in body["api_keys"])
    assert [draft["name"] for draft in body["consortia_owned"]] == ["Draft"]
    assert body["consortia_member_of"] == [
        {
            "consortium_id": world.consortium_id,
            "name": "Draft",
            "call_id": world.call_id,
            "role": "partner",
        }
    ]


def test_export_holds_every_member_that_left_its_drafts_where_the_draft_shows_the_latest(
    client: TestClient, anonymous: TestClient, world: World
) -> None:
    """A draft answers with the members that left it by deleting their profiles, the
    DEPARTURES_SHOWN most recent; its owner's export holds every one of them."""
    names = [f"Member {number:02d}" for number in range(DEPARTURES_SHOWN + 1)]
    for name in names:
        member = create_organisation(client, name=name, stakeholder_type="sme")
        added = client.put(f"/consortia/{world.consortium_id}/members/{member['id']}")
        assert added.status_code == 200, added.text
        assert client.delete(f"/organisations/{member['id']}").status_code == 204
    owner = bearer(world.tokens["owner"])
    newest_first = names[::-1]

    draft = anonymous.get(f"/consortia/{world.consortium_id}", headers=owner).json()
    assert [d["name"] for d in draft["departures"]] == newest_first[:DEPARTURES_SHOWN]
    exported = anonymous.get(f"/organisations/{world.owner_id}/export", headers=owner).json()
    [owned] = exported["consortia_owned"]
    assert [d["name"] for d in owned["departures"]] == newest_first
    assert {(d["stakeholder_type"], d["role"]) for d in owned["departures"]} == {("sme", "partner")}
    assert owned["departures"][:DEPARTURES_SHOWN] == draft["departures"]


def test_write_rate_limit_answers_429_with_retry_after(settings: Any, engine: Engine) -> None:
    """Past the per-minute write limit a client gets 429 and Retry-After; admins are exempt."""
    from api.main import create_app

    limited = settings.model_copy(update={"write_rate_limit": 3})
    with TestClient(create_app(limited), raise_server_exceptions=False) as anonymous:
        statuses = [
            anonymous.post("/organisations", json=organisation_payload()).status_code
            for _ in range(4)
        ]
        assert statuses == [201, 201, 201, 429]
        refused = anonymous.post("/organisations", json=organisation_payload())
        wait = int(refused.headers["retry-after"])
        assert wait >= 1
        assert assert_problem(refused, 429)["detail"] == (
            f"More than 3 writes a minute from the address testclient; retry in {wait} s."
        )
        assert anonymous.get("/organisations").json()["total"] == 3
        admin = bearer(ADMIN_TOKEN)
        for _ in range(5):
            assert (
                anonymous.post(
                    "/organisations", json=organisation_payload(), headers=admin
                ).status_code
                == 201
            )


@pytest.mark.sqlite_only
def test_the_write_limit_says_whose_count_was_reached(settings: Any, engine: Engine) -> None:
    """An organisation's writes are counted whatever address they come from, and the refusal
    says which count it reached: its organisation's, its address's, or both."""
    from api.main import create_app

    limited = create_app(settings.model_copy(update={"write_rate_limit": 3}))
    with TestClient(limited, client=("192.0.2.1", 50000)) as first:
        # The same started app, from another address (no second lifespan).
        second = TestClient(limited, client=("192.0.2.2", 50000))
        second.portal = first.portal
        key = bearer(first.post("/organisations", json=organisation_payload()).json()["api_key"])
        own = f"/organisations/{first.get('/organisations').json()['items'][0]['id']}"
        for words in ("One", "Two"):
            assert first.patch(own, json={"description": words}, headers=key).status_code == 200
        third = second.patch(own, json={"description": "Three"}, headers=key)
        assert third.status_code == 200, third.text
        refused = second.patch(own, json={"description": "Four"}, headers=key)
        wait = refused.headers["retry-after"]
        assert assert_problem(refused, 429)["detail"] == (
            f"More than 3 writes a minute for your organisation; retry in {wait} s."
        )
        both = first.patch(own, json={"description": "Five"}, headers=key)
        wait = both.headers["retry-after"]
        assert assert_problem(both, 429)["detail"] == (
            f"More than 3 writes a minute from the address 192.0.2.1 and for your "
            f"organisation; retry in {wait} s."
        )


@pytest.mark.sqlite_only
def test_a_publisher_key_changes_only_the_calls_it_published(
    client: TestClient, anonymous: TestClient, engine: Engine, world: World
) -> None:
    """Another publisher's key, or a publisher's key on an admin's call, is 403; admins may."""
    other = client.post("/admin/keys", json={"role": "publisher"}).json()["token"]
    admins_call = create_call(client, identifier="ADMIN-1")
    before = snapshot(engine)
    for token, call_id in ((other, world.call_id), (world.tokens["publisher"], admins_call["id"])):
        for method, body in (("PATCH", {"title": "Taken over"}), ("DELETE", None)):
            response = anonymous.request(
                method, f"/calls/{call_id}", json=body, headers=bearer(token)
            )
            problem = assert_problem(response, 403)
            assert problem["detail"] == (
                "A publisher key changes only the calls it published; ask an administrator to "
                "change this one."
            )
    assert snapshot(engine) == before
    mine = anonymous.post(
        "/calls", json=call_payload(identifier="MINE-1"), headers=bearer(other)
    ).json()
    edited = anonymous.patch(f"/calls/{mine['id']}", json={"title": "Mine"}, headers=bearer(other))
    assert (edited.status_code, edited.json()["title"]) == (200, "Mine")
    assert client.patch(f"/calls/{mine['id']}", json={"title": "Admin's"}).status_code == 200
    assert anonymous.delete(f"/calls/{mine['id']}", headers=bearer(other)).status_code == 204


@pytest.mark.sqlite_only
def test_coordinator_is_still_accepted_as_the_publisher_role(
    client: TestClient, anonymous: TestClient
) -> None:
    """A key asked for under the old role name is a publisher key and publishes calls."""
    issued = client.post("/admin/keys", json={"role": "coordinator", "label": "old script"})
    assert issued.status_code == 201, issued.text
    assert issued.json()["role"] == "publisher"
    created = anonymous.post(
        "/calls", json=call_payload(identifier="OLD-1"), headers=bearer(issued.json()["token"])
    )
    assert created.status_code == 201, created.text
    listed = client.get("/admin/keys").json()["items"]
    assert [key["role"] for key in listed] == ["publisher"]
