"""Delivering the outbox by e-mail: at least once, each message under one stable Message-ID.

A message is claimed, sent, then its outcome recorded, and the network is never waited for
inside a transaction: on SQLite the database has one write lock, and a mail server answering
slowly (up to SMTP_TIMEOUT) would hold every request's write up behind it. A short write
transaction claims the due message: one more attempt, and its next attempt moved SEND_LEASE
ahead, so no other worker finds it due (on PostgreSQL the claim skips rows another worker is
claiming: `FOR UPDATE SKIP LOCKED`). The commit made, the message is sent with no transaction
open; a second short transaction records that it was sent (or why not, and when to try again),
if the claim is still this worker's. Several workers therefore never send one message at once
unless a send outlasts the lease, which is far longer than SMTP_TIMEOUT. A worker killed after
claiming leaves its message to be sent when the lease ends; one killed after the server took a
message but before recording it sends it again then, with the same Message-ID, so receivers can
drop the repeat (as when the send was inside the transaction: a crash rolled it back). Nothing
is lost. A message that fails is retried later, waiting twice as long after each failure (a
minute, then 2, 4, ... at most a day). The write transactions are a `db.BackgroundWriter`'s.

An organisation's preference (`matchmaker.partnering.preferences`) decides when: each message
at once (the default), one digest a day listing the pending ones (`deliver_digests`), or none
(the messages are marked muted, in one transaction: nothing is sent). Every notification e-mail
carries the organisation's unsubscribe link, in its text and its `List-Unsubscribe` header.
One-time links (key recovery, claims) answer a request someone just made: they go out at once
whatever the preference, and carry no unsubscribe link.
"""

import hashlib
import io
import logging
import re
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.generator import BytesGenerator
from email.header import Header
from email.headerregistry import BaseHeader, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.policy import EmailPolicy, Policy
from email.utils import format_datetime, getaddresses
from typing import Protocol
from urllib.parse import unquote, urlsplit

from sqlalchemy import Engine, exists, or_, select
from sqlmodel import Session, col

from matchmaker.db import BackgroundWriter, first_claimed
from matchmaker.partnering.outbox import (
    REDACTED_BODY,
    REDACTED_EVENTS,
    Event,
    mail_domain,
    withheld,
)
from matchmaker.partnering.preferences import ensure_preference, unsubscribe_link
from matchmaker.repository import stored_id
from matchmaker.settings import check_smtp_url
from matchmaker.wording import and_list, plural, say_moment
from models.common import as_utc, utc_now
from models.notifications import EmailFrequency, NotificationPreference
from models.organisation import Organisation
from models.partnering import OutboxMessage, OutboxStatus

logger = logging.getLogger(__name__)

# A server that stops answering gives up its message this many seconds into a read or write
# (no transaction is open meanwhile; the lease below must outlast it).
SMTP_TIMEOUT = 10
# How long a claimed message or digest is hidden from other workers' passes while this one sends
# it: far beyond SMTP_TIMEOUT (a send that reconnects waits on the server a few times), short
# enough that a message whose worker died goes out the same hour.
SEND_LEASE = timedelta(minutes=10)
FIRST_RETRY = timedelta(minutes=1)
LAST_RETRY = timedelta(days=1)
# Errors about one message (a refused recipient, a refused body): the next message may pass.
_PER_MESSAGE = (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError, smtplib.SMTPSenderRefused)
# Sent at once whatever the preference, without an unsubscribe link: one-time links that answer
# a request someone just made (and may go to an address other than the organisation's).
ALWAYS_SENT = REDACTED_EVENTS
DIGEST_EVERY = timedelta(days=1)
# One digest lists at most this many messages; the rest wait for the next day's.
DIGEST_LIMIT = 100
DEFAULT_BASE_URL = "http://localhost:8000"


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
    check_smtp_url(url)
    parts = urlsplit(url)
    assert parts.hostname is not None  # checked
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


class _OneLine(UnstructuredHeader, BaseHeader):
    """A header written on one line, as it reads: `email.policy.default` folds a header at 78
    characters, and writes a word that does not fit on a line (a long link) as RFC 2047
    encoded-words, which no client reads as a link; it moves a long first word to a new line,
    leaving the first one empty. A header that is not ASCII is encoded on lines that each
    begin with an encoded-word no longer than RFC 2047's 75 characters."""

    max_count = 1

    def fold(self, *, policy: Policy) -> str:
        """The header as written: one line, or the encoded lines of a header that is not
        ASCII, each ended by the policy's line separator."""
        value = str(self)
        if not value.isascii():
            encoded = Header(value, "utf-8", maxlinelen=76, header_name=self.name)
            value = encoded.encode(linesep=policy.linesep)
        elif len(self.name) + 2 + len(value) > 998:
            # Longer than RFC 5322's limit for a line (never one of ours): folded at spaces.
            return super().fold(policy=policy)
        return f"{self.name}: {value}{policy.linesep}"


_HEADERS = HeaderRegistry()
# The subject, and the headers holding a link, which RFC 2369 lets fold only between links.
for _name in ("Subject", "List-Unsubscribe", "List-Unsubscribe-Post"):
    _HEADERS.map_to_type(_name.lower(), _OneLine)
# How our e-mails are built and written on the wire.
MAIL_POLICY = EmailPolicy(header_factory=_HEADERS)


def wire_bytes(message: EmailMessage, *, utf8: bool = False) -> bytes:
    """An e-mail as sent: CRLF line ends, and its text as written. smtplib's `send_message`
    writes the message with `mangle_from_` on (mbox's convention, unknown to SMTP), so a line
    of the text beginning "From " would arrive as ">From "."""
    buffer = io.BytesIO()
    policy = MAIL_POLICY.clone(linesep="\r\n", utf8=utf8)
    BytesGenerator(buffer, mangle_from_=False, policy=policy).flatten(message)
    return buffer.getvalue()


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
            self._send(self._smtp, message)
        except smtplib.SMTPServerDisconnected:
            # A server that closed an idle connection: one new connection, one more try.
            self._smtp = self._connect()
            self._send(self._smtp, message)

    @staticmethod
    def _send(smtp: smtplib.SMTP, message: EmailMessage) -> None:
        """What `send_message` does for our e-mails (the envelope from From and To; SMTPUTF8
        for an address that is not ASCII, if the server offers it), without its ">From "."""
        [(_, sender)] = getaddresses([str(message["From"])])
        recipients = [address for _, address in getaddresses([str(message["To"])])]
        utf8 = not "".join([sender, *recipients]).isascii()
        if utf8:
            smtp.ehlo_or_helo_if_needed()
            if not smtp.has_extn("smtputf8"):
                raise smtplib.SMTPNotSupportedError(
                    "An address is not ASCII, and the server does not offer SMTPUTF8."
                )
        options = ["SMTPUTF8", "BODY=8BITMIME"] if utf8 else []
        smtp.sendmail(sender, recipients, wire_bytes(message, utf8=utf8), options)

    def close(self) -> None:
        """Say goodbye to the server, if connected."""
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None


# A line that is the signature separator (RFC 3676: "-- "), or looks like it to a mail program.
_SEPARATOR = re.compile(r"^--[ \t]*$", re.MULTILINE)


def _unsubscribable(email: EmailMessage, body: str, unsubscribe: str | None) -> None:
    """Set the text, with the unsubscribe link at its foot and in the headers (RFC 2369, and
    RFC 8058's one-click POST). The one signature separator is the footer's: a line of the
    text that would be one (a sender's own words, should a notification not quote them,
    `outbox.quoted_text`) is written quoted, so that mail programs do not take the rest of the
    e-mail (its links, its real footer) for a signature and hide it."""
    body = _SEPARATOR.sub(lambda separator: f"> {separator.group()}", re.sub(r"\r\n?", "\n", body))
    if unsubscribe is not None:
        email["List-Unsubscribe"] = f"<{unsubscribe}>"
        email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        body = f"{body.rstrip()}\n\n-- \nTo stop these e-mails, open {unsubscribe}\n"
    email.set_content(body)


def email_of(
    message: OutboxMessage, *, to: str, mail_from: str, unsubscribe: str | None = None
) -> EmailMessage:
    """An outbox message as the e-mail sent, with its stable Message-ID and, given one, the
    unsubscribe link."""
    email = EmailMessage(policy=MAIL_POLICY)
    email["From"] = mail_from
    email["To"] = to
    email["Subject"] = message.subject
    email["Message-ID"] = message.message_id
    email["Date"] = format_datetime(as_utc(message.created_at).astimezone(UTC), usegmt=True)
    email["Auto-Submitted"] = "auto-generated"
    email["X-Matchmaker-Event"] = message.event
    _unsubscribable(email, message.body, unsubscribe)
    return email


# What a digest's subject names, most important first: each kind as one notification of it
# reads, and several. Every event a digest can hold is named here (a test checks it); the
# others are ALWAYS_SENT, one-time links sent at once and never digested. Kinds that do not
# fit on the subject line are counted as "other notifications".
_DIGESTED_KINDS: tuple[tuple[frozenset[str], str, str], ...] = (
    (
        # From an organisation, a partner or not yet: a message, or an answer to a partner
        # request (a message too).
        frozenset({Event.request_received}),
        "a new message",
        "new messages",
    ),
    (
        frozenset({Event.request_accepted, Event.request_declined}),
        "an answer to your message",
        "answers to your messages",
    ),
    (
        frozenset({Event.request_expiring}),
        "a request awaiting your answer",
        "requests awaiting your answer",
    ),
    (frozenset({Event.request_expired}), "an expired request", "expired requests"),
    (frozenset({Event.deadline_soon}), "a deadline reminder", "deadline reminders"),
    (
        frozenset({Event.draft_member_left}),
        "a member who left your drafts",
        "members who left your drafts",
    ),
    (
        frozenset({Event.profile_fills_gap}),
        "a partner for a draft",
        "partners for drafts",
    ),
    (
        frozenset(
            {
                Event.call_matches_search,
                Event.organisation_matches_search,
                Event.partner_request_matches_search,
            }
        ),
        "a match for a search",
        "matches for searches",
    ),
    (
        frozenset({Event.confirm_reminder}),
        "a reminder to confirm your profile",
        "reminders to confirm your profile",
    ),
)
# A subject is written on one line (MAIL_POLICY): "Subject: " and this many characters keep it
# within the 78 a mail client shows without folding.
SUBJECT_LIMIT = 78 - len("Subject: ")


def digest_subject(events: list[str]) -> str:
    """A digest's subject: what it holds, most important first ("matchmaker: a new message and 2
    other notifications today"), naming as many kinds as fit in SUBJECT_LIMIT and counting the
    rest. The most important kind is named whatever the counts:
    when it and the rest's count do not fit with "today", they go without it, and then the
    rest as "N more"."""
    named: list[tuple[str, int]] = []
    for kinds, one, many in _DIGESTED_KINDS:
        count = sum(1 for event in events if event in kinds)
        if count:
            named.append((one if count == 1 else f"{count} {many}", count))
    total = len(events)
    candidates = []
    for shown in range(len(named), 0, -1):
        rest = total - sum(count for _, count in named[:shown])
        phrases = [phrase for phrase, _ in named[:shown]]
        if rest:
            phrases.append("another notification" if rest == 1 else f"{rest} other notifications")
        candidates.append(f"matchmaker: {and_list(phrases)} today")
        if shown == 1:
            candidates.append(f"matchmaker: {and_list(phrases)}")
            if rest:
                candidates.append(f"matchmaker: {phrases[0]} and {rest} more")
    candidates.append(f"matchmaker: {plural(total, 'notification')} today")
    return next(subject for subject in candidates if len(subject) <= SUBJECT_LIMIT)


def digest_of(
    messages: list[OutboxMessage], *, to: str, mail_from: str, unsubscribe: str, now: datetime
) -> EmailMessage:
    """One e-mail listing several messages. Its Message-ID follows from theirs and the moments
    they were written (which set apart the messages written before Message-IDs were random), so
    a digest sent again after a crash carries the same one and no other digest, of this
    installation or another, does; its right side is the domain of `mail_from`."""
    ids = ",".join(
        f"{message.message_id} {as_utc(message.created_at).isoformat()}" for message in messages
    )
    email = EmailMessage(policy=MAIL_POLICY)
    email["From"] = mail_from
    email["To"] = to
    count = len(messages)
    email["Subject"] = digest_subject([message.event for message in messages])
    digest = hashlib.sha256(ids.encode()).hexdigest()[:32]
    email["Message-ID"] = f"<digest-{digest}@{mail_domain(mail_from)}>"
    email["Date"] = format_datetime(now.astimezone(UTC), usegmt=True)
    email["Auto-Submitted"] = "auto-generated"
    email["X-Matchmaker-Event"] = "digest"
    parts = [f"Your daily digest: {plural(count, 'notification')}.\n"]
    for number, message in enumerate(messages, 1):
        parts.append(
            f"{number}. {message.subject} ({say_moment(message.created_at)})\n\n"
            f"{message.body.rstrip()}\n"
        )
    _unsubscribable(email, "\n".join(parts), unsubscribe)
    return email


@dataclass(slots=True)
class Delivered:
    """What one pass did."""

    sent: int = 0
    skipped: int = 0
    failed: int = 0
    # Not sent: the organisation turned e-mail off.
    muted: int = 0


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the given number of failed attempts."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LAST_RETRY)


@dataclass(frozen=True, slots=True)
class _Claim:
    """A message claimed: which one, under which attempt, and the e-mail to send (None when
    it was settled without one: muted, or no address)."""

    id: int
    attempts: int
    redacted: bool
    email: EmailMessage | None


def _claim_next(
    session: Session,
    *,
    now: datetime,
    mail_from: str,
    base_url: str,
    done: Delivered,
) -> _Claim | None:
    """In the caller's write transaction, the next due message: claimed for sending (its lease
    taken), or settled without a send (muted, or no address); None when none is due."""
    digested = select(col(NotificationPreference.organisation_id)).where(
        col(NotificationPreference.email) == EmailFrequency.daily.value
    )
    statement = (
        select(OutboxMessage)
        .where(
            col(OutboxMessage.status) == OutboxStatus.pending.value,
            col(OutboxMessage.next_attempt_at) <= now,
            or_(
                col(OutboxMessage.event).in_(ALWAYS_SENT),
                col(OutboxMessage.organisation_id).not_in(digested),
            ),
        )
        .order_by(col(OutboxMessage.id))
        .limit(1)
    )
    message = first_claimed(session, statement, of=OutboxMessage)
    if message is None:
        return None
    organisation = session.get(Organisation, message.organisation_id)
    address = message.to_address or (
        organisation.contact_email if organisation is not None else None
    )
    message.attempts += 1
    session.add(message)
    claim = _Claim(
        id=stored_id(message),
        attempts=message.attempts,
        redacted=message.event in REDACTED_EVENTS,
        email=None,
    )
    preference = (
        None
        if message.event in ALWAYS_SENT
        else ensure_preference(session, organisation_id=message.organisation_id, now=now)
    )
    if preference is not None and preference.email == EmailFrequency.off.value:
        message.status = OutboxStatus.muted.value
        message.last_error = "The organisation turned notification e-mail off."
        done.muted += 1
        return claim
    if not address:
        message.status = OutboxStatus.skipped.value
        message.last_error = "The organisation has no contact address."
        done.skipped += 1
        return claim
    message.next_attempt_at = now + SEND_LEASE
    unsubscribe = unsubscribe_link(base_url, preference.unsubscribe_token) if preference else None
    email = email_of(message, to=address, mail_from=mail_from, unsubscribe=unsubscribe)
    return replace(claim, email=email)


def _still_claimed(session: Session, message_id: int, attempts: int) -> OutboxMessage | None:
    """A claimed message, locked, if it is still pending under the claim's attempt (not
    deleted with its organisation, nor claimed again by another worker after the lease ended)."""
    message = session.get(OutboxMessage, message_id, with_for_update=True)
    if message is None or message.status != OutboxStatus.pending.value:
        return None
    return message if message.attempts == attempts else None


def failure_text(error: BaseException) -> str:
    """An error as a message or a webhook delivery stores it (`last_error`)."""
    return f"{type(error).__name__}: {error}"[:500]


def _sent(send: Sender, email: EmailMessage) -> smtplib.SMTPException | OSError | None:
    """Send one e-mail, with no transaction open; the error it failed with (logged), or None
    when the server took it."""
    try:
        send(email)
    except (smtplib.SMTPException, OSError) as failure:
        # The server named, so that an operator sees which setting to check; the recipient's
        # address is personal data and stays out of the log (a refused recipient's error
        # names it: withheld).
        server = send.server if isinstance(send, SmtpSender) else None
        logger.warning(
            "Could not send %s%s: %s; it stays in the outbox and is tried again at a later pass.",
            email["Message-ID"],
            f" through the SMTP server {server.host}:{server.port}" if server else "",
            withheld(str(failure)),
        )
        return failure
    return None


def deliver_pending(
    engine: Engine,
    *,
    send: Sender,
    mail_from: str,
    base_url: str = DEFAULT_BASE_URL,
    limit: int | None = None,
    clock: Callable[[], datetime] = utc_now,
    writer: BackgroundWriter | None = None,
) -> Delivered:
    """Send the due messages, oldest first, each claimed, sent and recorded (no transaction
    open while it is sent); stop at `limit` messages, when none is due, or when the server
    cannot be reached. Messages of organisations taking a daily digest wait for
    `deliver_digests`; those of organisations that turned e-mail off are marked muted."""
    done = Delivered()
    writer = writer or BackgroundWriter(engine)
    while limit is None or done.sent + done.skipped + done.failed + done.muted < limit:
        with writer.transaction() as session:
            claim = _claim_next(
                session, now=clock(), mail_from=mail_from, base_url=base_url, done=done
            )
        if claim is None:
            return done
        if claim.email is None:
            continue
        error = _sent(send, claim.email)
        now = clock()
        with writer.transaction() as session:
            message = _still_claimed(session, claim.id, claim.attempts)
            if message is not None:
                if error is None:
                    message.status = OutboxStatus.sent.value
                    message.sent_at = now
                    if claim.redacted:
                        message.body = REDACTED_BODY
                    message.last_error = None
                else:
                    message.last_error = failure_text(error)
                    message.next_attempt_at = now + retry_delay(claim.attempts)
                session.add(message)
        if error is None:
            done.sent += 1
            continue
        done.failed += 1
        if not isinstance(error, _PER_MESSAGE):
            return done
    return done


@dataclass(slots=True)
class Digested:
    """What one digest pass did."""

    digests: int = 0
    messages: int = 0
    failed: int = 0


@dataclass(frozen=True, slots=True)
class _DigestClaim:
    """An organisation's digest claimed: its preference's `digest_since` before the claim, the
    messages listed (their ids, attempts, and next attempts before the claim) and the e-mail
    (None when they were settled without one: no address)."""

    organisation_id: int
    since: datetime
    messages: list[tuple[int, int, datetime]]
    email: EmailMessage | None


def _claim_digest(
    session: Session, *, now: datetime, mail_from: str, base_url: str
) -> _DigestClaim | None:
    """In the caller's write transaction, the next organisation whose digest is due: claimed
    (the listed messages and the preference leased for SEND_LEASE), or settled without a send
    (no address: the messages skipped); None when none is due."""
    waiting = (
        select(OutboxMessage)
        .where(
            col(OutboxMessage.status) == OutboxStatus.pending.value,
            col(OutboxMessage.next_attempt_at) <= now,
            col(OutboxMessage.event).not_in(ALWAYS_SENT),
        )
        .order_by(col(OutboxMessage.id))
    )
    statement = (
        select(NotificationPreference)
        .where(
            col(NotificationPreference.email) == EmailFrequency.daily.value,
            col(NotificationPreference.digest_since) <= now - DIGEST_EVERY,
            exists(
                waiting.where(
                    col(OutboxMessage.organisation_id)
                    == col(NotificationPreference.organisation_id)
                )
            ),
        )
        .order_by(col(NotificationPreference.organisation_id))
        .limit(1)
    )
    preference = first_claimed(session, statement, of=NotificationPreference)
    if preference is None:
        return None
    messages = list(
        session.scalars(
            waiting.where(col(OutboxMessage.organisation_id) == preference.organisation_id).limit(
                DIGEST_LIMIT
            )
        )
    )
    organisation = session.get(Organisation, preference.organisation_id)
    address = organisation.contact_email if organisation is not None else None
    claim = _DigestClaim(
        organisation_id=preference.organisation_id,
        since=as_utc(preference.digest_since),
        messages=[
            (stored_id(message), message.attempts + 1, as_utc(message.next_attempt_at))
            for message in messages
        ],
        email=None,
    )
    if not address:
        for message in messages:
            message.attempts += 1
            message.status = OutboxStatus.skipped.value
            message.last_error = "The organisation has no contact address."
            session.add(message)
        preference.digest_since = now
        session.add(preference)
        return claim
    email = digest_of(
        messages,
        to=address,
        mail_from=mail_from,
        unsubscribe=unsubscribe_link(base_url, preference.unsubscribe_token),
        now=now,
    )
    for message in messages:
        message.attempts += 1
        message.next_attempt_at = now + SEND_LEASE
        session.add(message)
    # Due again when the lease ends, should this worker die before recording the outcome (a
    # digest of the organisation's next messages must not go out meanwhile).
    preference.digest_since = now + SEND_LEASE - DIGEST_EVERY
    session.add(preference)
    return replace(claim, email=email)


def deliver_digests(
    engine: Engine,
    *,
    send: Sender,
    mail_from: str,
    base_url: str = DEFAULT_BASE_URL,
    clock: Callable[[], datetime] = utc_now,
    writer: BackgroundWriter | None = None,
) -> Digested:
    """Send one digest to each organisation taking them whose day has passed since its last,
    listing its pending messages: claimed, sent with no transaction open, then recorded (the
    messages marked sent), as `deliver_pending` does. Stops when none is due or when the
    server fails (the messages and the day's digest stay due for the next pass)."""
    done = Digested()
    writer = writer or BackgroundWriter(engine)
    while True:
        now = clock()
        with writer.transaction() as session:
            claim = _claim_digest(session, now=now, mail_from=mail_from, base_url=base_url)
        if claim is None:
            return done
        if claim.email is None:
            done.messages += len(claim.messages)
            continue
        error = _sent(send, claim.email)
        with writer.transaction() as session:
            for message_id, attempts, due in claim.messages:
                message = _still_claimed(session, message_id, attempts)
                if message is None:
                    continue
                if error is None:
                    message.status = OutboxStatus.sent.value
                    message.sent_at = now
                    message.last_error = None
                else:
                    message.last_error = failure_text(error)
                    message.next_attempt_at = due
                session.add(message)
            preference = session.get(
                NotificationPreference, claim.organisation_id, with_for_update=True
            )
            if preference is not None:
                preference.digest_since = now if error is None else claim.since
                session.add(preference)
        if error is not None:
            done.failed += 1
            return done
        done.digests += 1
        done.messages += len(claim.messages)
