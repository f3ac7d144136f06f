"""A real SMTP server on loopback (aiosmtpd) that records what it receives."""

import asyncio
import email
import email.policy
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from email.message import EmailMessage
from typing import Any

import httpx
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session
from sqlalchemy import Engine

from matchmaker.partnering.delivery import SmtpSender, SmtpServer
from matchmaker.partnering.worker import Pass, deliver_once, smtp_sender
from matchmaker.settings import Settings
from models.common import utc_now
from tests.postgres import free_port


class Recorder:
    """An aiosmtpd handler keeping every message, parsed and as received; it can stall at the
    n-th one."""

    def __init__(self, *, stall_at: int | None = None) -> None:
        self.messages: list[EmailMessage] = []
        self.raw: list[bytes] = []
        self.stall_at = stall_at
        self.released = threading.Event()
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        """Keep the message; at `stall_at`, wait for `released` before answering."""
        content = envelope.content
        assert isinstance(content, bytes)
        message = email.message_from_bytes(
            content.replace(b"\r\n", b"\n"), policy=email.policy.default
        )
        assert isinstance(message, EmailMessage)
        with self._lock:
            self.messages.append(message)
            self.raw.append(content)
            count = len(self.messages)
        if self.stall_at is not None and count == self.stall_at:
            while not self.released.is_set():
                await asyncio.sleep(0.05)
        return "250 Message accepted for delivery"

    def message_ids(self) -> list[str]:
        """The Message-ID of each message received, in order."""
        with self._lock:
            return [str(message["Message-ID"]) for message in self.messages]

    def wait_for(self, count: int, *, seconds: float = 30) -> None:
        """Block until `count` messages arrived."""
        deadline = time.monotonic() + seconds
        while len(self.messages) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self.messages)} of {count} messages arrived")
            time.sleep(0.02)


class RefusingRecorder(Recorder):
    """A Recorder whose server refuses one recipient (550 No such user, naming no address) and
    takes the rest: SMTPRecipientsRefused at the client, whose text names the address."""

    def __init__(self, refused: str, **options: Any) -> None:
        super().__init__(**options)
        self.refused = refused

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        """Refuse `refused`; take any other recipient."""
        if address == self.refused:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"


class Credentials:
    """An aiosmtpd authenticator accepting one user name and password."""

    def __init__(self, username: str, password: str) -> None:
        self.expected = (username.encode(), password.encode())
        self.logins: list[str] = []

    def __call__(
        self, server: Any, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        """Accept only the expected login."""
        if isinstance(data, LoginPassword) and (data.login, data.password) == self.expected:
            self.logins.append(data.login.decode())
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


@contextmanager
def smtp_server(recorder: Recorder, **options: Any) -> Iterator[int]:
    """Run an SMTP server on a free loopback port; yield the port."""
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield port
    finally:
        recorder.released.set()
        controller.stop()


@contextmanager
def loopback_sender(port: int) -> Iterator[SmtpSender]:
    """A sender to the SMTP server on a loopback port (no TLS, no login), closed after."""
    sender = SmtpSender(SmtpServer("127.0.0.1", port, None, None, implicit_tls=False))
    try:
        yield sender
    finally:
        sender.close()


def worker_pass(
    engine: Engine, port: int, *, base_url: str, clock: Callable[[], datetime] = utc_now
) -> Pass:
    """One delivery pass (what `matchmaker notify run` runs) to the SMTP server on `port`."""
    settings = Settings(
        database_url=engine.url.render_as_string(hide_password=False),
        smtp_url=f"smtp://127.0.0.1:{port}",
        public_base_url=base_url,
    )
    sender = smtp_sender(settings)
    assert sender is not None
    try:
        with httpx.Client() as http:
            return deliver_once(engine, settings=settings, send=sender, client=http, clock=clock)
    finally:
        sender.close()
