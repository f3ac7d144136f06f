"""Delivering the outbox in passes: e-mail, daily digests and webhooks, once or in the background.

`deliver_once` is one pass (`matchmaker notify run`). `DeliveryWorker` runs passes in a thread
every `MATCHMAKER_DELIVERY_INTERVAL` seconds inside `matchmaker serve`; every worker process of
the server runs one, and each message's claim (`delivery.SEND_LEASE`, taken in a short write
transaction before the send) keeps them from sending one message twice. A pass is cut into
batches so that stopping waits for one batch at most.
"""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import httpx
from sqlalchemy import Engine

from matchmaker.errors import Unavailable
from matchmaker.partnering.delivery import (
    Delivered,
    Digested,
    Sender,
    SmtpSender,
    deliver_digests,
    deliver_pending,
    parse_smtp_url,
)
from matchmaker.partnering.expiry import announce_expired, remind_recipients
from matchmaker.partnering.fanout import Expanded, PassContext, run_events
from matchmaker.partnering.webhooks import WebhooksDelivered, deliver_webhooks
from matchmaker.settings import Settings
from matchmaker.trust.freshness import remind_owners
from matchmaker.wording import plural
from models.common import utc_now

logger = logging.getLogger(__name__)

# Messages (and webhook deliveries) a background batch sends before it checks for a stop.
BATCH = 50


@dataclass(slots=True)
class Pass:
    """What one pass did, per channel."""

    email: Delivered = field(default_factory=Delivered)
    digests: Digested = field(default_factory=Digested)
    webhooks: WebhooksDelivered = field(default_factory=WebhooksDelivered)
    events: Expanded = field(default_factory=Expanded)
    # Reminders to confirm a profile is current, written to the outbox by this pass.
    confirm_reminders: int = 0
    # Reminders to the recipients of contact requests about to expire unanswered, and notices
    # to the senders of those that expired, written to the outbox by this pass.
    request_reminders: int = 0
    expiry_notices: int = 0

    @property
    def busy(self) -> bool:
        """Whether it did anything (so that another batch may be waiting)."""
        email = self.email
        return bool(
            email.sent + email.skipped + email.failed + email.muted
            or self.digests.digests + self.digests.messages
            or self.webhooks.attempted
            or self.events.jobs
            or self.confirm_reminders
            or self.request_reminders
            or self.expiry_notices
        )


def deliver_once(
    engine: Engine,
    *,
    settings: Settings,
    send: Sender | None,
    client: httpx.Client,
    limit: int | None = None,
    clock: Callable[[], datetime] = utc_now,
    context: PassContext | None = None,
) -> Pass:
    """One pass: the pending events, the due reminders (to confirm a profile, to answer a
    contact request before it expires) and the notices of requests expired unanswered become
    messages, then the due e-mail and digests (when there is a sender), then the webhooks.
    `context` keeps the saved searches' indexes and drafts' gaps for the next batch."""
    done = Pass()
    done.events = run_events(
        engine, base_url=settings.public_base_url, clock=clock, limit=limit, context=context
    )
    done.confirm_reminders = remind_owners(
        engine,
        remind_after_months=settings.confirm_reminder_months,
        stale_after_months=settings.stale_after_months,
        base_url=settings.public_base_url,
        limit=limit,
        clock=clock,
    )
    done.request_reminders = remind_recipients(
        engine,
        remind_days=settings.contact_request_reminder_days,
        base_url=settings.public_base_url,
        limit=limit,
        clock=clock,
    )
    done.expiry_notices = announce_expired(
        engine, base_url=settings.public_base_url, limit=limit, clock=clock
    )
    if send is not None:
        done.email = deliver_pending(
            engine,
            send=send,
            mail_from=settings.mail_from,
            base_url=settings.public_base_url,
            limit=limit,
            clock=clock,
        )
        done.digests = deliver_digests(
            engine,
            send=send,
            mail_from=settings.mail_from,
            base_url=settings.public_base_url,
            clock=clock,
        )
    done.webhooks = deliver_webhooks(
        engine,
        client=client,
        allow_private=settings.webhook_allow_private,
        limit=limit,
        clock=clock,
    )
    return done


def smtp_sender(settings: Settings) -> SmtpSender | None:
    """The sender for `MATCHMAKER_SMTP_URL`; None when unset (ValueError when malformed)."""
    if settings.smtp_url is None:
        return None
    return SmtpSender(parse_smtp_url(settings.smtp_url.get_secret_value()))


class DeliveryWorker:
    """A thread that runs a delivery pass every `interval` seconds until stopped."""

    def __init__(self, *, engine: Engine, settings: Settings, interval: float) -> None:
        self.engine = engine
        self.settings = settings
        self.interval = interval
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread; its first pass comes after one interval."""
        self._thread = threading.Thread(target=self._run, name="matchmaker-delivery", daemon=True)
        self._thread.start()

    def stop(self, timeout: float) -> None:
        """Ask the thread to stop after its batch and wait up to `timeout` seconds for it."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                logger.warning("The delivery worker did not stop within %s s.", timeout)

    def _run(self) -> None:
        try:
            sender = smtp_sender(self.settings)
        except ValueError as error:
            logger.error("Notification e-mail is not sent: %s", error)
            sender = None
        # The HTTP client (its TLS context takes tens of milliseconds to load) is made at the
        # first pass, so a service stopped before it, as in a test, never makes one.
        client: httpx.Client | None = None
        try:
            while not self._stopping.wait(self.interval):
                client = client or httpx.Client()
                self._pass(sender, client)
        finally:
            if client is not None:
                client.close()
            if sender is not None:
                sender.close()

    def _pass(self, sender: SmtpSender | None, client: httpx.Client) -> None:
        # The batches of one pass share the saved searches' indexes and the drafts' gaps: built
        # again for each batch of 50 jobs, they took 0.23 s a batch (BENCHMARKS.md).
        context = PassContext()
        while not self._stopping.is_set():
            try:
                done = deliver_once(
                    self.engine,
                    settings=self.settings,
                    send=sender,
                    client=client,
                    limit=BATCH,
                    context=context,
                )
            except Unavailable:
                # An outage is logged once, by the engine; each pass need not add a traceback.
                logger.warning(
                    "Notification delivery pass skipped: the database cannot be reached; "
                    "tried again in %s s",
                    self.interval,
                )
                return
            except Exception:
                # The thread must outlive a database outage or a bug in one pass.
                logger.exception("A notification delivery pass failed.")
                return
            sent = done.email.sent + done.digests.digests
            if sent:
                # What an operator looks for when someone says no e-mail came.
                logger.info("Sent %s.", plural(sent, "notification e-mail"))
            if not done.busy or done.email.failed:
                return
