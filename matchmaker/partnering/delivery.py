"""Delivering the outbox by e-mail: at least once, each message under one stable Message-ID.

Each message is sent inside its own write transaction, which also marks it sent, so several
workers never send one message at once: on PostgreSQL the row is locked (`FOR UPDATE SKIP
LOCKED`: another worker takes the next message instead), on SQLite the transaction holds the
database's write lock. A worker killed after the server took a message but before the commit
sends it again on its next pass, with the same Message-ID, so receivers can drop the repeat;
nothing is lost. A message that fails is retried later, waiting twice as long after each
failure (a minute, then 2, 4, ... at most a day).
"""

import logging
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Protocol
from urllib.parse import unquote, urlsplit

from sqlalchemy import Engine, select
from sqlmodel import col

from matchmaker.db import for_writing, session_scope
from matchmaker.partnering.outbox import REDACTED_BODY, REDACTED_EVENTS
from models.common import as_utc, utc_now
from models.organisation import Organisation
from models.partnering import OutboxMessage, OutboxStatus

logger = logging.getLogger(__name__)

# A server that stops answering must not hold SQLite's write lock past the API's busy timeout.
SMTP_TIMEOUT = 10
FIRST_RETRY = timedelta(minutes=1)
LAST_RETRY = timedelta(days=1)
# Errors about one message (a refused recipient, a refused body): the next message may pass.
_PER_MESSAGE = (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError, smtplib.SMTPSenderRefused)


@dataclass(frozen=True, slots=True)
class SmtpServer:
    """Where to send mail, read from `MATCHMAKER_SMTP_URL`."""

    host: str
    port: int
    username: str | None
    password: str | None
    implicit_tls: bool


def parse_smtp_url(url: str) -> SmtpServer:
    """Read smtp://user:password@host:port (STARTTLS when offered) or smtps:// (TLS at once)."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("The SMTP URL must look like smtp://user:password@host:587.")
    implicit_tls = parts.scheme == "smtps"
    return SmtpServer(
        host=parts.hostname,
        port=parts.port or (465 if implicit_tls else 25),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        implicit_tls=implicit_tls,
    )


class Sender(Protocol):
    """Sends one e-mail or raises."""

    def __call__(self, message: EmailMessage) -> None:
        """Send it."""
        ...


class SmtpSender:
    """One SMTP connection, opened at the first message and reopened when it drops."""

    def __init__(self, server: SmtpServer, *, timeout: float = SMTP_TIMEOUT) -> None:
        self.server = server
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        server = self.server
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if server.implicit_tls:
            smtp = smtplib.SMTP_SSL(server.host, server.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(server.host, server.port, timeout=self.timeout)
            smtp.ehlo()
            if smtp.has_extn("starttls"):
                smtp.starttls(context=context)
                smtp.ehlo()
        if server.username:
            smtp.login(server.username, server.password or "")
        return smtp

    def __call__(self, message: EmailMessage) -> None:
        """Send one message, connecting first if need be."""
        if self._smtp is None:
            self._smtp = self._connect()
        try:
            self._smtp.send_message(message)
        except smtplib.SMTPServerDisconnected:
            # A server that closed an idle connection: one new connection, one more try.
            self._smtp = self._connect()
            self._smtp.send_message(message)

    def close(self) -> None:
        """Say goodbye to the server, if connected."""
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None


def email_of(message: OutboxMessage, *, to: str, mail_from: str) -> EmailMessage:
    """An outbox message as the e-mail sent, with its stable Message-ID."""
    email = EmailMessage()
    email["From"] = mail_from
    email["To"] = to
    email["Subject"] = message.subject
    email["Message-ID"] = message.message_id
    email["Date"] = format_datetime(as_utc(message.created_at).astimezone(UTC), usegmt=True)
    email["Auto-Submitted"] = "auto-generated"
    email["X-Matchmaker-Event"] = message.event
    email.set_content(message.body)
    return email


@dataclass(slots=True)
class Delivered:
    """What one pass did."""

    sent: int = 0
    skipped: int = 0
    failed: int = 0


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the given number of failed attempts."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LAST_RETRY)


def deliver_pending(
    engine: Engine,
    *,
    send: Sender,
    mail_from: str,
    limit: int | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> Delivered:
    """Send the due messages, one transaction each, oldest first; stop at `limit` messages,
    when none is due, or when the server cannot be reached."""
    done = Delivered()
    postgres = engine.dialect.name == "postgresql"
    while limit is None or done.sent + done.skipped + done.failed < limit:
        now = clock()
        with session_scope(for_writing(engine)) as session:
            statement = (
                select(OutboxMessage)
                .where(
                    col(OutboxMessage.status) == OutboxStatus.pending.value,
                    col(OutboxMessage.next_attempt_at) <= now,
                )
                .order_by(col(OutboxMessage.id))
                .limit(1)
            )
            if postgres:
                statement = statement.with_for_update(skip_locked=True)
            message = session.scalars(statement).first()
            if message is None:
                return done
            organisation = session.get(Organisation, message.organisation_id)
            address = organisation.contact_email if organisation is not None else None
            message.attempts += 1
            stop = False
            if not address:
                message.status = OutboxStatus.skipped.value
                message.last_error = "The organisation has no contact address."
                done.skipped += 1
            else:
                try:
                    send(email_of(message, to=address, mail_from=mail_from))
                except (smtplib.SMTPException, OSError) as error:
                    message.last_error = f"{type(error).__name__}: {error}"[:500]
                    message.next_attempt_at = now + retry_delay(message.attempts)
                    done.failed += 1
                    stop = not isinstance(error, _PER_MESSAGE)
                    logger.warning("Could not send %s: %s", message.message_id, error)
                else:
                    message.status = OutboxStatus.sent.value
                    message.sent_at = now
                    if message.event in REDACTED_EVENTS:
                        message.body = REDACTED_BODY
                    message.last_error = None
                    done.sent += 1
            session.add(message)
        if stop:
            return done
    return done
