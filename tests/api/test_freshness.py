"""Freshness: a profile is confirmed on creation and by its owner, and shown as stale once its
last confirmation is older than MATCHMAKER_STALE_AFTER_MONTHS; its owner is reminded by e-mail
MATCHMAKER_CONFIRM_REMINDER_MONTHS after it."""

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update
from sqlmodel import Session, col

from api.main import create_app
from matchmaker.partnering.outbox import Event, enqueue
from matchmaker.settings import Settings
from matchmaker.trust.freshness import remind_owners, reminder_key
from models.common import StakeholderType, months_before, utc_now
from models.organisation import Organisation
from models.partnering import OutboxMessage
from tests.factories import create_organisation
from tests.helpers import assert_problem, bearer, mark_confirmed
from tests.matchmaker.partnering.smtp import Recorder, smtp_server, worker_pass
from tests.servers import ADMIN_TOKEN

BASE_URL = "https://matchmaker.example"


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
    mark_confirmed(engine, created["id"], long_ago)

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
        mark_confirmed(engine, old["id"], utc_now() - timedelta(days=40))
        mark_confirmed(engine, recent["id"], utc_now() - timedelta(days=20))
        items = client.get("/organisations").json()["items"]
        assert [(item["name"], item["stale"]) for item in items] == [
            ("Old Profile", True),
            ("Recent Profile", False),
        ]


def test_owner_is_reminded_once_per_confirmation(anonymous: TestClient, engine: Engine) -> None:
    """Twelve months after its last confirmation a profile's owner gets one e-mail, through a
    real SMTP server, linking to the confirm page; passes run again send nothing more, and the
    next confirmation starts a new period with its own reminder."""
    due = create_organisation(
        anonymous, name="Oncomark Diagnostics", contact_email="it@onco.example"
    )
    recent = create_organisation(
        anonymous, name="Recent Profile", contact_email="it@recent.example"
    )
    silent = create_organisation(anonymous, name="No Address", contact_email=None)
    now = utc_now()
    last = months_before(now, 12) - timedelta(days=1)
    mark_confirmed(engine, due["id"], last)
    mark_confirmed(engine, recent["id"], months_before(now, 12) + timedelta(days=1))
    mark_confirmed(engine, silent["id"], months_before(now, 30))

    recorder = Recorder()
    with smtp_server(recorder) as port:
        first = worker_pass(engine, port, base_url=BASE_URL)
        again = worker_pass(engine, port, base_url=BASE_URL)
        assert (first.confirm_reminders, first.email.sent) == (1, 1)
        assert (again.confirm_reminders, again.email.sent) == (0, 0)
        assert len(recorder.messages) == 1
        [message] = recorder.messages
        assert str(message["To"]) == "it@onco.example"
        assert str(message["X-Matchmaker-Event"]) == "confirm_reminder"
        assert (
            message["Subject"]
            == "Is the profile of Oncomark Diagnostics on matchmaker still current?"
        )
        body = message.get_content()
        assert (
            "sign in with your organisation's key and confirm it here (replies to this e-mail "
            f"are not read):\n\n{BASE_URL}/ui/organisations/{due['id']}/confirm\n"
        ) in body
        # A year on, the key is often lost: the e-mail says where to get a new one.
        assert (
            "Lost the key since? A link to a new one can be e-mailed to this address, from "
            f"here:\n\n{BASE_URL}/ui/key-recovery?organisation={due['id']}\n"
        ) in body
        assert f"last confirmed as current on {last.day} {last:%B %Y}." in body
        assert due["api_key"] not in body

        response = anonymous.post(
            f"/organisations/{due['id']}/confirm", headers=bearer(due["api_key"])
        )
        assert response.status_code == 200, response.text
        assert worker_pass(engine, port, base_url=BASE_URL).confirm_reminders == 0
        a_year_on = now + timedelta(days=366)
        later = worker_pass(engine, port, base_url=BASE_URL, clock=lambda: a_year_on)
        # The recent profile falls due too, a year on; the one without an address never does.
        assert (later.confirm_reminders, later.email.sent) == (2, 2)
        assert sorted(str(item["To"]) for item in recorder.messages[1:]) == [
            "it@onco.example",
            "it@recent.example",
        ]
        assert (
            worker_pass(engine, port, base_url=BASE_URL, clock=lambda: a_year_on).confirm_reminders
            == 0
        )
    with Session(engine) as session:
        ids = session.scalars(
            select(col(OutboxMessage.message_id))
            .where(col(OutboxMessage.event) == "confirm_reminder")
            .order_by(col(OutboxMessage.id))
        ).all()
    assert len(ids) == len(set(ids)) == 3


def test_reminder_key_is_the_key_of_one_period(engine: Engine) -> None:
    """A reminder already written for a confirmation (another worker's) makes a second write
    for it fail on its own: nothing else in the pass is lost."""
    with Session(engine) as session:
        organisation = Organisation(
            name="Oncomark",
            stakeholder_type=StakeholderType.sme,
            country="NL",
            contact_email="it@onco.example",
        )
        session.add(organisation)
        session.commit()
        organisation_id = organisation.id
    assert organisation_id is not None
    mark_confirmed(engine, organisation_id, months_before(utc_now(), 13))
    with Session(engine) as session:
        moment = session.get_one(Organisation, organisation_id).confirmed_at
        enqueue(
            session,
            organisation_id=organisation_id,
            event=Event.confirm_reminder,
            subject="Another worker's reminder",
            body="...",
            key=reminder_key(organisation_id, moment),
        )
        # Written "before" the confirmation, so that only the unique key stops a repeat.
        session.execute(update(OutboxMessage).values(created_at=months_before(utc_now(), 14)))
        session.commit()
    assert (
        remind_owners(engine, remind_after_months=12, stale_after_months=13, base_url=BASE_URL) == 0
    )
