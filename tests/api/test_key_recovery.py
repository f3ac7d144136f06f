"""Key recovery by a one-time link e-mailed through a real SMTP server on loopback, and key
rotation: each link works once, for its organisation, within 30 minutes; old keys get 401."""

import re
import secrets
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update
from sqlmodel import Session, col

from api.main import create_app
from matchmaker.key_recovery import request_recovery
from matchmaker.keys import MAX_ACTIVE_KEYS
from matchmaker.partnering.delivery import deliver_pending
from matchmaker.partnering.outbox import REDACTED_BODY
from matchmaker.ratelimit import WriteRateLimit
from matchmaker.settings import Settings
from models.apikey import ApiKey, KeyRole
from models.common import utc_now
from models.keyrecovery import KeyRecoveryToken
from models.partnering import OutboxMessage
from tests.factories import create_organisation
from tests.helpers import assert_problem, bearer, count_rows, mailed_links, settings_for
from tests.matchmaker.partnering.smtp import Recorder, loopback_sender, smtp_server

BASE_URL = "https://matchmaker.example"
LINK = re.compile(re.escape(BASE_URL) + r"/ui/key-recovery/(\d+)/([A-Za-z0-9_-]+)")
ACCEPTED = {
    "detail": "If the organisation exists and the address is its contact address, a link "
    "valid for 30 minutes is on its way there."
}


@pytest.fixture
def settings(database_url: str) -> Settings:
    """No write limits (the rate-limit test installs its own), links under a known base URL."""
    return settings_for(database_url, key_recovery_rate_limit=0, public_base_url=BASE_URL)


def works(client: TestClient, organisation_id: int, token: str) -> bool:
    """Whether the key reads its organisation's private profile (False on 401)."""
    response = client.get(f"/organisations/{organisation_id}", headers=bearer(token))
    assert response.status_code in (200, 401), response.text
    return response.status_code == 200 and "contact_email" in response.json()


def ask(client: TestClient, organisation_id: int, address: str) -> None:
    """Ask for a recovery link; the answer is always the same 202."""
    response = client.post(
        f"/organisations/{organisation_id}/key-recovery", json={"contact_email": address}
    )
    assert response.status_code == 202, response.text
    assert response.json() == ACCEPTED


def deliver(engine: Engine, recorder: Recorder, port: int) -> int:
    """Send the outbox to the loopback server; how many were sent."""
    with loopback_sender(port) as sender:
        return deliver_pending(engine, send=sender, mail_from="matchmaker@example.org").sent


def redeem(client: TestClient, organisation_id: int, token: str) -> Any:
    """Use a token through the API."""
    return client.post(f"/organisations/{organisation_id}/key-recovery/{token}")


def fill_keys(client: TestClient, organisation: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue the organisation's own keys up to MAX_ACTIVE_KEYS (its owner key counts); the
    keys issued."""
    path = f"/organisations/{organisation['id']}/keys"
    own = bearer(organisation["api_key"])
    issued = [client.post(path, headers=own) for _ in range(MAX_ACTIVE_KEYS - 1)]
    assert {response.status_code for response in issued} == {201}
    assert_problem(client.post(path, headers=own), 409)
    return [response.json() for response in issued]


def working_keys(engine: Engine, organisation_id: int) -> int:
    """How many keys of the organisation are not revoked."""
    with Session(engine) as session:
        return len(
            session.scalars(
                select(ApiKey).where(
                    col(ApiKey.organisation_id) == organisation_id,
                    col(ApiKey.revoked_at).is_(None),
                )
            ).all()
        )


def test_recovery_link_is_mailed_and_issues_a_working_key_once(
    anonymous: TestClient, engine: Engine
) -> None:
    """The mailed link's token issues a key that works; the old key is 401; a second use is 404."""
    organisation = create_organisation(anonymous, contact_email="partnering@lumc.example")
    old_key = organisation["api_key"]
    ask(anonymous, organisation["id"], "Partnering@LUMC.example")
    recorder = Recorder()
    with smtp_server(recorder) as port:
        assert deliver(engine, recorder, port) == 1
    [(to, organisation_id, token)] = mailed_links(recorder.messages, LINK)
    assert (to, organisation_id) == ("partnering@lumc.example", organisation["id"])
    assert recorder.messages[0]["X-Matchmaker-Event"] == "key_recovery"
    # The words of the pages ("organisation key"), not the developers' ("API key").
    mailed = recorder.messages[0].get_content()
    assert "for a new organisation key for " in mailed
    assert "API" not in mailed
    # The subject says it holds a link, not a key; the link's end is a moment, in UTC.
    assert recorder.messages[0]["Subject"] == (
        f"A link to replace the matchmaker key of {organisation['name']}"
    )
    assert re.search(r"within 30 minutes \(until \d{1,2} \w{3} \d{4}, \d\d:\d\d UTC\)", mailed)
    with Session(engine) as session:
        stored = session.scalars(select(KeyRecoveryToken)).one()
        assert token not in stored.token_hash
        # The sent e-mail's text, link included, is not kept.
        assert session.scalars(select(col(OutboxMessage.body))).one() == REDACTED_BODY
    assert works(anonymous, organisation["id"], old_key)  # asking changed nothing

    answer = redeem(anonymous, organisation_id, token)
    assert answer.status_code == 201, answer.text
    issued = answer.json()
    assert issued["organisation_id"] == organisation["id"]
    assert issued["role"] == "organisation"
    assert works(anonymous, organisation["id"], issued["token"])
    assert not works(anonymous, organisation["id"], old_key)
    assert_problem(
        anonymous.get(f"/organisations/{organisation['id']}", headers=bearer(old_key)), 401
    )

    again = redeem(anonymous, organisation_id, token)
    assert_problem(again, 404)
    assert works(anonymous, organisation["id"], issued["token"])
    with Session(engine) as session:
        active = session.scalars(
            select(ApiKey).where(
                col(ApiKey.organisation_id) == organisation["id"], col(ApiKey.revoked_at).is_(None)
            )
        ).all()
        assert [key.id for key in active] == [issued["id"]]


def test_expired_or_another_organisations_link_does_nothing(
    anonymous: TestClient, engine: Engine
) -> None:
    """A token used on another organisation's path, or past 30 minutes, is 404 and changes
    nothing: every key still works and the token is still unused."""
    first = create_organisation(anonymous, contact_email="one@first.example")
    second = create_organisation(
        anonymous, name="Karolinska Institutet", contact_email="two@second.example"
    )
    ask(anonymous, first["id"], "one@first.example")
    ask(anonymous, second["id"], "two@second.example")
    recorder = Recorder()
    with smtp_server(recorder) as port:
        assert deliver(engine, recorder, port) == 2
    tokens = {
        organisation_id: token
        for _to, organisation_id, token in mailed_links(recorder.messages, LINK)
    }
    assert {to for to, _id, _token in mailed_links(recorder.messages, LINK)} == {
        "one@first.example",
        "two@second.example",
    }

    refused = redeem(anonymous, first["id"], tokens[second["id"]])
    missing = redeem(anonymous, first["id"], "not-a-token-we-issued")
    assert assert_problem(refused, 404)["detail"] == assert_problem(missing, 404)["detail"]
    assert works(anonymous, first["id"], first["api_key"])
    assert works(anonymous, second["id"], second["api_key"])

    with Session(engine) as session:
        session.execute(
            update(KeyRecoveryToken)
            .where(col(KeyRecoveryToken.organisation_id) == first["id"])
            .values(expires_at=utc_now() - timedelta(seconds=1))
        )
        session.commit()
    assert_problem(redeem(anonymous, first["id"], tokens[first["id"]]), 404)
    assert works(anonymous, first["id"], first["api_key"])
    with Session(engine) as session:
        assert session.scalars(select(col(KeyRecoveryToken.used_at))).all() == [None, None]

    # The second organisation's own link still works on its own path.
    answer = redeem(anonymous, second["id"], tokens[second["id"]])
    assert answer.status_code == 201, answer.text
    assert not works(anonymous, second["id"], second["api_key"])
    assert works(anonymous, first["id"], first["api_key"])


def test_asking_answers_alike_and_sends_only_to_the_contact_address(
    anonymous: TestClient, engine: Engine
) -> None:
    """An unknown organisation or a wrong address gets the same 202 and writes nothing."""
    organisation = create_organisation(anonymous, contact_email="partnering@lumc.example")
    silent = create_organisation(anonymous, name="No Address Lab", contact_email=None)
    ask(anonymous, organisation["id"] + 1000, "partnering@lumc.example")
    ask(anonymous, organisation["id"], "someone@else.example")
    ask(anonymous, silent["id"], "partnering@lumc.example")
    assert count_rows(engine, OutboxMessage) == 0
    assert count_rows(engine, KeyRecoveryToken) == 0
    ask(anonymous, organisation["id"], "partnering@lumc.example")
    assert count_rows(engine, OutboxMessage) == 1
    invalid = anonymous.post(
        f"/organisations/{organisation['id']}/key-recovery", json={"contact_email": "nope"}
    )
    assert_problem(invalid, 422, "contact_email")


def test_using_a_link_revokes_every_key_and_ends_the_other_links(
    anonymous: TestClient, engine: Engine
) -> None:
    """Recovery leaves one working key; a second pending link no longer works."""
    organisation = create_organisation(anonymous, contact_email="partnering@lumc.example")
    extra = anonymous.post(
        f"/organisations/{organisation['id']}/keys", headers=bearer(organisation["api_key"])
    )
    assert extra.status_code == 201, extra.text
    ask(anonymous, organisation["id"], "partnering@lumc.example")
    ask(anonymous, organisation["id"], "partnering@lumc.example")
    recorder = Recorder()
    with smtp_server(recorder) as port:
        assert deliver(engine, recorder, port) == 2
    (_, _, first), (_, _, second) = mailed_links(recorder.messages, LINK)
    answer = redeem(anonymous, organisation["id"], second)
    assert answer.status_code == 201, answer.text
    assert not works(anonymous, organisation["id"], organisation["api_key"])
    assert not works(anonymous, organisation["id"], extra.json()["token"])
    assert works(anonymous, organisation["id"], answer.json()["token"])
    assert_problem(redeem(anonymous, organisation["id"], first), 404)


def test_the_link_page_redeems_only_when_its_button_is_pressed(
    anonymous: TestClient, engine: Engine
) -> None:
    """Opening the mailed link changes nothing; its form's POST shows the new key once."""
    organisation = create_organisation(anonymous, contact_email="partnering@lumc.example")
    ask(anonymous, organisation["id"], "partnering@lumc.example")
    recorder = Recorder()
    with smtp_server(recorder) as port:
        deliver(engine, recorder, port)
    [(_, organisation_id, token)] = mailed_links(recorder.messages, LINK)
    path = f"/ui/key-recovery/{organisation_id}/{token}"
    page = anonymous.get(path)
    assert page.status_code == 200
    assert f'action="{path}"' in page.text
    assert page.headers["Cache-Control"] == "no-store"
    assert works(anonymous, organisation["id"], organisation["api_key"])

    shown = anonymous.post(path)
    assert shown.status_code == 200
    new_key = re.search(r'<code id="new-key"[^>]*>(mm_[A-Za-z0-9_-]+)</code>', shown.text)
    assert new_key
    assert works(anonymous, organisation["id"], new_key.group(1))
    assert not works(anonymous, organisation["id"], organisation["api_key"])
    again = anonymous.post(path)
    assert again.status_code == 404
    assert "not valid" in again.text
    # Asking again starts from the same organisation, not from a search for its name.
    assert (
        f'<a href="/ui/key-recovery?organisation={organisation_id}">Ask for a new link</a>'
        in again.text
    )


def test_asking_is_rate_limited_per_organisation_and_address(
    anonymous: TestClient, started: TestClient, engine: Engine
) -> None:
    """Past the limit, 429 with Retry-After, whether or not the organisation exists."""
    started.app.state.recovery_limit = WriteRateLimit(2, engine=engine)  # type: ignore[attr-defined]
    organisation = create_organisation(anonymous, contact_email="partnering@lumc.example")
    ask(anonymous, organisation["id"], "partnering@lumc.example")
    ask(anonymous, organisation["id"], "wrong@lumc.example")
    limited = anonymous.post(
        f"/organisations/{organisation['id']}/key-recovery",
        json={"contact_email": "partnering@lumc.example"},
    )
    assert_problem(limited, 429)
    assert int(limited.headers["Retry-After"]) >= 1
    unknown = anonymous.post(
        "/organisations/999999/key-recovery", json={"contact_email": "partnering@lumc.example"}
    )
    assert_problem(unknown, 429)  # the address has used its two as well
    assert count_rows(engine, OutboxMessage) == 1


def test_the_recovery_limit_says_what_it_counts(database_url: str, engine: Engine) -> None:
    """The 429 past MATCHMAKER_KEY_RECOVERY_RATE_LIMIT names key-recovery requests, not the
    writes of MATCHMAKER_WRITE_RATE_LIMIT, which the asker never made."""
    limited_settings = settings_for(database_url, key_recovery_rate_limit=1)
    with TestClient(create_app(limited_settings), raise_server_exceptions=False) as client:
        organisation = create_organisation(client, contact_email="partnering@lumc.example")
        ask(client, organisation["id"], "partnering@lumc.example")
        limited = client.post(
            f"/organisations/{organisation['id']}/key-recovery",
            json={"contact_email": "partnering@lumc.example"},
        )
        problem = assert_problem(limited, 429)
        wait = limited.headers["Retry-After"]
        assert problem["detail"] == (
            "More than 1 key-recovery request a minute from the address testclient and for "
            f"this organisation; retry in {wait} s."
        )


def test_rotation_issues_a_new_key_and_revokes_the_one_used(
    anonymous: TestClient, engine: Engine
) -> None:
    """The rotated key is 401 at once; the new key works; another key of the organisation stays."""
    organisation = create_organisation(anonymous)
    old_key = organisation["api_key"]
    other = anonymous.post(f"/organisations/{organisation['id']}/keys", headers=bearer(old_key))
    assert other.status_code == 201, other.text
    answer = anonymous.post(
        f"/organisations/{organisation['id']}/keys/rotate", headers=bearer(old_key)
    )
    assert answer.status_code == 201, answer.text
    new_key = answer.json()["token"]
    assert answer.json()["organisation_id"] == organisation["id"]
    assert works(anonymous, organisation["id"], new_key)
    assert not works(anonymous, organisation["id"], old_key)
    assert works(anonymous, organisation["id"], other.json()["token"])
    again = anonymous.post(
        f"/organisations/{organisation['id']}/keys/rotate", headers=bearer(old_key)
    )
    assert_problem(again, 401)


def test_registration_names_its_keys_id_which_another_key_revokes(
    anonymous: TestClient, engine: Engine
) -> None:
    """The registration answer holds the owner key's id, the one its export lists; another
    key of the organisation revokes it by that id, and it is 401 from then on."""
    organisation = create_organisation(anonymous)
    owner = bearer(organisation["api_key"])
    exported = anonymous.get(f"/organisations/{organisation['id']}/export", headers=owner)
    assert [key["id"] for key in exported.json()["api_keys"]] == [organisation["api_key_id"]]
    other = anonymous.post(f"/organisations/{organisation['id']}/keys", headers=owner).json()
    revoked = anonymous.delete(
        f"/admin/keys/{organisation['api_key_id']}", headers=bearer(other["token"])
    )
    assert (revoked.status_code, revoked.json()["label"]) == (200, "owner"), revoked.text
    assert not works(anonymous, organisation["id"], organisation["api_key"])
    assert works(anonymous, organisation["id"], other["token"])


def test_an_organisation_lists_its_own_keys_never_their_secrets(
    anonymous: TestClient, client: TestClient
) -> None:
    """`GET /organisations/{id}/keys` lists the organisation's keys, revoked ones too, with the
    label and prefix that tell them apart and never a token or hash, to its own keys and
    admins; another organisation's key is 403, no key 401, an unknown organisation 404."""
    organisation = create_organisation(anonymous)
    path = f"/organisations/{organisation['id']}/keys"
    own = bearer(organisation["api_key"])
    crm = anonymous.post(path, json={"label": "CRM integration"}, headers=own).json()
    rotated = anonymous.post(f"{path}/rotate", headers=bearer(crm["token"])).json()
    listed = anonymous.get(path, headers=own)
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert [(key["id"], key["label"]) for key in items] == [
        (organisation["api_key_id"], "owner"),
        (crm["id"], "CRM integration"),
        (rotated["id"], "CRM integration"),
    ]
    assert [key["revoked_at"] is None for key in items] == [True, False, True]
    assert [key["prefix"] for key in items][1:] == [crm["prefix"], rotated["prefix"]]
    assert all(set(key) == set(items[0]) and "token" not in key for key in items)
    assert crm["token"] not in listed.text
    assert organisation["api_key"] not in listed.text
    assert client.get(path).json()["total"] == 3
    stranger = create_organisation(anonymous, name="Other Lab")
    assert_problem(anonymous.get(path, headers=bearer(stranger["api_key"])), 403)
    assert_problem(anonymous.get(path), 401)
    assert_problem(client.get("/organisations/9999/keys"), 404)


def test_another_key_takes_a_label_and_refuses_any_other_field(
    anonymous: TestClient, engine: Engine
) -> None:
    """Without a body the new key is labelled `owner`; `{"label": ...}` labels it, and rotating
    it keeps the label; an unknown field or a blank label is 422 naming it, and issues nothing."""
    organisation = create_organisation(anonymous)
    path = f"/organisations/{organisation['id']}/keys"
    own = bearer(organisation["api_key"])
    plain = anonymous.post(path, headers=own)
    assert (plain.status_code, plain.json()["label"]) == (201, "owner")
    labelled = anonymous.post(path, json={"label": "  CRM integration "}, headers=own)
    assert labelled.status_code == 201, labelled.text
    assert (labelled.json()["label"], labelled.json()["token"][:3]) == ("CRM integration", "mm_")
    rotated = anonymous.post(f"{path}/rotate", headers=bearer(labelled.json()["token"]))
    assert rotated.json()["label"] == "CRM integration"
    before = count_rows(engine, ApiKey)
    unknown = assert_problem(anonymous.post(path, json={"name": "CRM"}, headers=own), 422, "name")
    assert unknown["errors"] == [
        {"field": "name", "message": "Is not a field this accepts; leave it out."}
    ]
    assert_problem(anonymous.post(path, json={"label": " "}, headers=own), 422, "label")
    assert count_rows(engine, ApiKey) == before


def test_rotation_needs_the_organisations_own_key(
    anonymous: TestClient, client: TestClient, engine: Engine
) -> None:
    """No key 401; another organisation's key and an admin's 403; nothing changes."""
    organisation = create_organisation(anonymous)
    stranger = create_organisation(anonymous, name="Karolinska Institutet")
    path = f"/organisations/{organisation['id']}/keys/rotate"
    before = count_rows(engine, ApiKey)
    assert_problem(anonymous.post(path), 401)
    assert_problem(anonymous.post(path, headers=bearer(stranger["api_key"])), 403)
    assert_problem(client.post(path), 403)
    assert count_rows(engine, ApiKey) == before
    assert works(anonymous, organisation["id"], organisation["api_key"])
    assert works(anonymous, stranger["id"], stranger["api_key"])


def test_recovery_works_at_the_key_limit_and_leaves_one_key(
    anonymous: TestClient, engine: Engine
) -> None:
    """An organisation holding MAX_ACTIVE_KEYS keys still recovers (every key is revoked
    first, so the new one is counted alone); the answer is not stored by any cache."""
    organisation = create_organisation(anonymous, contact_email="partnering@lumc.example")
    fill_keys(anonymous, organisation)
    with Session(engine) as session:
        token = request_recovery(
            session,
            organisation_id=organisation["id"],
            contact_email="partnering@lumc.example",
            base_url=BASE_URL,
        )
        session.commit()
    assert token is not None
    answer = redeem(anonymous, organisation["id"], token)
    assert answer.status_code == 201, answer.text
    assert answer.headers["Cache-Control"] == "no-store"
    assert working_keys(engine, organisation["id"]) == 1
    assert not works(anonymous, organisation["id"], organisation["api_key"])
    new_key = bearer(answer.json()["token"])
    path = f"/organisations/{organisation['id']}/keys"
    assert anonymous.post(path, headers=new_key).status_code == 201
    assert "cache-control" not in anonymous.get(path, headers=new_key).headers
    used = redeem(anonymous, organisation["id"], token)
    assert_problem(used, 404)
    assert "cache-control" not in used.headers


def test_rotation_works_at_the_key_limit_and_keeps_the_count(
    anonymous: TestClient, engine: Engine
) -> None:
    """Rotation replaces a key: at MAX_ACTIVE_KEYS it still answers 201 (not stored by any
    cache), the count stays, and issuing another is still 409. An organisation above the limit
    (a merge brings the absorbed profile's keys) rotates too, and its count does not grow."""
    organisation = create_organisation(anonymous)
    issued = fill_keys(anonymous, organisation)
    rotate = f"/organisations/{organisation['id']}/keys/rotate"
    rotated = anonymous.post(rotate, headers=bearer(issued[0]["token"]))
    assert rotated.status_code == 201, rotated.text
    assert rotated.headers["Cache-Control"] == "no-store"
    assert working_keys(engine, organisation["id"]) == MAX_ACTIVE_KEYS
    assert not works(anonymous, organisation["id"], issued[0]["token"])
    assert works(anonymous, organisation["id"], rotated.json()["token"])
    path = f"/organisations/{organisation['id']}/keys"
    assert_problem(anonymous.post(path, headers=bearer(organisation["api_key"])), 409)

    with Session(engine) as session:
        session.add_all(
            ApiKey(
                prefix=secrets.token_hex(6),
                secret_hash=secrets.token_hex(32),
                role=KeyRole.organisation,
                organisation_id=organisation["id"],
                label="merged",
            )
            for _ in range(2)
        )
        session.commit()
    again = anonymous.post(rotate, headers=bearer(rotated.json()["token"]))
    assert again.status_code == 201, again.text
    assert working_keys(engine, organisation["id"]) == MAX_ACTIVE_KEYS + 2
    assert_problem(anonymous.post(path, headers=bearer(again.json()["token"])), 409)
