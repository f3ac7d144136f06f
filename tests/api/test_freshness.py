"""Freshness: a profile is confirmed on creation and by its owner, and shown as stale once its
last confirmation is older than MATCHMAKER_STALE_AFTER_MONTHS."""

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine, update
from sqlmodel import Session, col

from api.main import create_app
from matchmaker.settings import Settings
from matchmaker.trust.freshness import months_before
from models.common import utc_now
from models.organisation import Organisation
from tests.factories import create_organisation
from tests.helpers import assert_problem
from tests.servers import ADMIN_TOKEN


def bearer(token: str) -> dict[str, str]:
    """The Authorization header for a key."""
    return {"Authorization": f"Bearer {token}"}


def confirmed(engine: Engine, organisation_id: int, moment: datetime) -> None:
    """Set when a profile was last confirmed, as time passing would."""
    with Session(engine) as session:
        session.execute(
            update(Organisation)
            .where(col(Organisation.id) == organisation_id)
            .values(confirmed_at=moment)
        )
        session.commit()


def test_months_before_counts_calendar_months() -> None:
    """Thirteen months before is the same day; a day a shorter month lacks is its last."""
    moment = datetime(2027, 1, 15, 9, 30, tzinfo=UTC)
    assert months_before(moment, 13) == datetime(2025, 12, 15, 9, 30, tzinfo=UTC)
    assert months_before(datetime(2026, 3, 31, tzinfo=UTC), 1) == datetime(2026, 2, 28, tzinfo=UTC)
    assert months_before(datetime(2028, 3, 31, tzinfo=UTC), 1) == datetime(2028, 2, 29, tzinfo=UTC)


def test_a_profile_goes_stale_and_its_owner_confirms_it(
    anonymous: TestClient, engine: Engine
) -> None:
    """New profiles are fresh; 14 months without a confirmation they read stale everywhere
    they are shown; the owner's confirmation makes them fresh, under If-Match."""
    created = create_organisation(anonymous)
    assert created["confirmed_at"] == created["created_at"]
    assert created["stale"] is False
    url = f"/organisations/{created['id']}"
    long_ago = utc_now() - timedelta(days=14 * 31)
    confirmed(engine, created["id"], long_ago)

    public = anonymous.get(url).json()
    assert (public["stale"], public["version"]) == (True, 1)
    assert abs(datetime.fromisoformat(public["confirmed_at"]) - long_ago) < timedelta(seconds=1)
    assert [item["stale"] for item in anonymous.get("/organisations").json()["items"]] == [True]
    own = anonymous.get(url, headers=bearer(created["api_key"])).json()
    assert own["stale"] is True
    export = anonymous.get(f"{url}/export", headers=bearer(created["api_key"])).json()
    assert export["profile"]["stale"] is True

    other = create_organisation(anonymous, name="Karolinska Institutet")
    assert_problem(anonymous.post(f"{url}/confirm"), 401)
    assert_problem(anonymous.post(f"{url}/confirm", headers=bearer(other["api_key"])), 403)
    stale_tag = {**bearer(created["api_key"]), "If-Match": '"7"'}
    assert_problem(anonymous.post(f"{url}/confirm", headers=stale_tag), 412)

    before = utc_now()
    response = anonymous.post(
        f"{url}/confirm", headers={**bearer(created["api_key"]), "If-Match": '"1"'}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["stale"], body["version"], response.headers["etag"]) == (False, 2, '"2"')
    assert datetime.fromisoformat(body["confirmed_at"]) >= before - timedelta(seconds=1)
    assert anonymous.get(url).json()["stale"] is False


def test_the_stale_threshold_is_a_setting(database_url: str, engine: Engine) -> None:
    """With MATCHMAKER_STALE_AFTER_MONTHS=1, a profile confirmed 40 days ago is stale, one
    confirmed 20 days ago is not."""
    settings = Settings(
        database_url=database_url,
        admin_token=ADMIN_TOKEN,
        write_rate_limit=0,
        stale_after_months=1,
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        old = create_organisation(client, name="Old Profile")
        recent = create_organisation(client, name="Recent Profile")
        confirmed(engine, old["id"], utc_now() - timedelta(days=40))
        confirmed(engine, recent["id"], utc_now() - timedelta(days=20))
        items = client.get("/organisations").json()["items"]
        assert [(item["name"], item["stale"]) for item in items] == [
            ("Old Profile", True),
            ("Recent Profile", False),
        ]
