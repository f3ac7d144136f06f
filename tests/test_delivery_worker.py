"""Delivery inside `matchmaker serve`: the app's background worker sends what the API enqueued
to a real SMTP server and a real webhook receiver, and stops with the app."""

import http.client
import json
import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.main import create_app
from matchmaker.settings import Settings
from tests.factories import call_payload, organisation_payload
from tests.matchmaker.partnering.receiver import Receiver, webhook_receiver
from tests.matchmaker.partnering.smtp import Recorder, smtp_server
from tests.servers import LOG_LINE, Server, running_server


def wait_until(condition: Callable[[], bool], *, seconds: float = 30) -> None:
    """Poll until the condition holds; fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the condition did not hold in time")
        time.sleep(0.05)


def _keyed(client: httpx.Client, key: str) -> httpx.Client:
    return httpx.Client(
        base_url=client.base_url, timeout=30, headers={"Authorization": f"Bearer {key}"}
    )


def test_running_server_delivers_what_the_api_enqueued(database_url: str) -> None:
    """A contact request made through a running uvicorn reaches the recipient's mailbox and its
    webhook without `matchmaker notify run`; the server then stops cleanly."""
    recorder = Recorder()
    receiver = Receiver()
    with (
        smtp_server(recorder) as port,
        webhook_receiver(receiver) as hook_url,
        running_server(
            database_url,
            env={
                "MATCHMAKER_SMTP_URL": f"smtp://127.0.0.1:{port}",
                "MATCHMAKER_DELIVERY_INTERVAL": "0.2",
                "MATCHMAKER_WEBHOOK_ALLOW_PRIVATE": "true",
                "MATCHMAKER_PUBLIC_BASE_URL": "https://matchmaker.example",
            },
        ) as server,
    ):
        admin = server.client
        recipient = admin.post(
            "/organisations", json=organisation_payload(contact_email="team@lumc.example")
        ).json()
        sender = admin.post("/organisations", json=organisation_payload(name="Sender")).json()
        call = admin.post(
            "/calls", json=call_payload(opening_date=None, deadline="2099-01-31")
        ).json()
        with _keyed(admin, recipient["api_key"]) as owner, _keyed(admin, sender["api_key"]) as by:
            hook = owner.post(
                f"/organisations/{recipient['id']}/webhooks", json={"url": f"{hook_url}/in"}
            )
            assert hook.status_code == 201, hook.text
            receiver.secret = hook.json()["secret"]
            answer = by.post(
                f"/organisations/{recipient['id']}/contact-requests",
                json={"call_id": call["id"], "message": "Your biobank fits our proposal."},
            )
            assert answer.status_code == 201, answer.text
        recorder.wait_for(1)
        wait_until(lambda: len(receiver.received) == 1)
    [email] = recorder.messages
    assert email["To"] == "team@lumc.example"
    assert str(email["List-Unsubscribe"]).startswith("<https://matchmaker.example/unsubscribe/")
    [request] = receiver.received
    assert request.verified
    assert request.message_id == email["Message-ID"]
    # uvicorn re-raises the SIGTERM it handled once the lifespan has shut down.
    assert server.process.returncode in (0, -15), server.log
    assert "Traceback" not in server.log, server.log
    assert "did not stop" not in server.log, server.log


def test_the_worker_thread_stops_with_the_app(settings: Settings, engine: Engine) -> None:
    """The lifespan starts one delivery thread and its shutdown ends it; 0 starts none."""

    def workers() -> int:
        return sum(thread.name == "matchmaker-delivery" for thread in threading.enumerate())

    fast = settings.model_copy(update={"delivery_interval": 0.05})
    with TestClient(create_app(fast)):
        assert workers() == 1
        time.sleep(0.2)  # a few passes run (nothing to send)
    assert workers() == 0
    off = settings.model_copy(update={"delivery_interval": 0})
    with TestClient(create_app(off)):
        assert workers() == 0


def _ask_recovery(server: Server, organisation_id: int) -> int | None:
    """Ask for a key-recovery link on a new connection; which worker answered."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        body = json.dumps({"contact_email": "team@lumc.example"})
        headers = {"Content-Type": "application/json"}
        connection.request("POST", f"/organisations/{organisation_id}/key-recovery", body, headers)
        response = connection.getresponse()
        assert response.status == 202, response.read()
        response.read()
        return server.serving(connection.sock.getsockname()[1])
    finally:
        connection.close()


@pytest.mark.sqlite_only
@pytest.mark.parametrize("explicit", [False, True], ids=["served-address", "setting"])
def test_serve_links_e_mails_to_its_own_port_unless_the_setting_says_otherwise(
    database_url: str, explicit: bool
) -> None:
    """`matchmaker serve --port P --workers 2` without MATCHMAKER_PUBLIC_BASE_URL mails links to
    http://localhost:P from every worker (they led to port 8000) and says so once at start; a
    set MATCHMAKER_PUBLIC_BASE_URL wins. Each line it logs starts with the time in UTC and the
    id of the process that wrote it: a worker's for the e-mails sent and the link opened."""
    started = datetime.now(UTC)
    recorder = Recorder()
    env = {"MATCHMAKER_DELIVERY_INTERVAL": "0.2", "MATCHMAKER_KEY_RECOVERY_RATE_LIMIT": "0"}
    if explicit:
        env["MATCHMAKER_PUBLIC_BASE_URL"] = "https://partners.matchmaker.example"
    with smtp_server(recorder) as smtp_port:
        env["MATCHMAKER_SMTP_URL"] = f"smtp://127.0.0.1:{smtp_port}"
        with running_server(database_url, workers=2, env=env, cli=True) as server:
            organisation = server.client.post(
                "/organisations", json=organisation_payload(contact_email="team@lumc.example")
            ).json()
            answered_by: set[int | None] = set()
            asked = 0
            # Until both workers answered: under load the second may start accepting only
            # seconds after the first (40 requests were not always enough).
            deadline = time.monotonic() + 60
            while len(answered_by - {None}) < 2 and time.monotonic() < deadline:
                answered_by.add(_ask_recovery(server, organisation["id"]))
                asked += 1
            recorder.wait_for(asked)
            # A link opened is logged without its token, which would give a key.
            link = re.search(r"/ui/key-recovery/\d+/\S+", recorder.messages[0].get_content())
            assert link is not None
            opened = link.group().rstrip(".,)")
            assert server.client.get(opened).status_code == 200
            workers = set(server.workers())
    # Read once the server has stopped: its last lines (the link opened) are all in.
    log = server.log
    stopped = datetime.now(UTC)

    assert workers <= answered_by
    expected = (
        "https://partners.matchmaker.example" if explicit else f"http://localhost:{server.port}"
    )
    links = [
        link
        for message in recorder.messages
        for link in re.findall(r"\S+/ui/key-recovery/\d+/\S+", message.get_content())
    ]
    assert len(links) == asked
    assert all(link.startswith(f"{expected}/ui/key-recovery/") for link in links), links
    assert log.count("E-mail links: ") == 1, log
    # Only the lines `serve` prints before uvicorn starts are not logged.
    printed = ("Database: ", "Web interface: ", "API docs: ", "E-mail links: ")
    logged = [LOG_LINE.fullmatch(line) for line in log.splitlines() if not line.startswith(printed)]
    assert all(logged), log
    lines = [line for line in logged if line]
    assert all(started <= datetime.fromisoformat(line["time"]) <= stopped for line in lines), log
    assert {int(line["pid"]) for line in lines} <= {server.process.pid, *workers}, log
    sent = [
        line
        for line in lines
        if re.fullmatch(r"INFO:     Sent \d+ notification e-mails?\.", line["rest"])
    ]
    token = opened.rsplit("/", 1)[1]
    request = f'"GET /ui/key-recovery/{organisation["id"]}/<token> HTTP/1.1" 200'
    served = [line for line in lines if request in line["rest"]]
    assert sent, log
    assert served, log
    assert {int(line["pid"]) for line in sent + served} <= workers, log
    assert token not in log
    assert "MATCHMAKER_SMTP_URL is unset" not in log  # it is set, to the test's SMTP server
    if explicit:
        assert f"E-mail links: {expected} (MATCHMAKER_PUBLIC_BASE_URL)\n" in log
    else:
        assert (
            f"E-mail links: {expected}, the address served on; for a public deployment set "
            "MATCHMAKER_PUBLIC_BASE_URL to the address people reach the service at.\n" in log
        )
