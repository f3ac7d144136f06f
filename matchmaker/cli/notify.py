"""`matchmaker notify`: deliver the notification outbox."""

from typing import Annotated

import httpx
import typer
from sqlmodel import Session

from matchmaker.cli import Commands, fail, migrated_engine, read_settings
from matchmaker.partnering.outbox import waiting
from matchmaker.wording import plural

# Said at start by `notify run` and by `serve`, whose background passes send e-mail too.
SMTP_UNSET = "MATCHMAKER_SMTP_URL is unset: e-mail waits in the outbox."

notify_app = typer.Typer(help="Notification commands.", no_args_is_help=True, cls=Commands)


@notify_app.command("run")
def notify_run(
    limit: Annotated[
        int | None,
        typer.Option(min=1, help="Send at most this many messages (and webhook calls)."),
    ] = None,
) -> None:
    """Send the due notifications once, by e-mail and to webhooks, then exit.

    E-mail goes to the SMTP server of MATCHMAKER_SMTP_URL, each at once or in a daily digest.
    Its links lead to MATCHMAKER_PUBLIC_BASE_URL (http://localhost:8000 when unset).

    Exits with 2 if any message failed; it is retried on a later run.
    """
    # Here, not at the top: the worker brings the whole matching stack (scikit-learn, SciPy),
    # seconds that every other command would wait for at its start.
    from matchmaker.partnering.worker import deliver_once, smtp_sender

    settings = read_settings()
    try:
        sender = smtp_sender(settings)
    except ValueError as error:
        fail(str(error))
    if sender is None:
        typer.echo(SMTP_UNSET, err=True)
    if "public_base_url" not in settings.model_fields_set:
        # Unlike `serve`, this command cannot know the port the service is served on.
        typer.echo(
            f"Links in e-mails lead to {settings.public_base_url} "
            "(MATCHMAKER_PUBLIC_BASE_URL is unset).",
            err=True,
        )
    engine = migrated_engine()
    try:
        with httpx.Client() as client:
            done = deliver_once(engine, settings=settings, send=sender, client=client, limit=limit)
        with Session(engine) as session:
            left = waiting(session)
    finally:
        if sender is not None:
            sender.close()
        engine.dispose()
    email, digests, webhooks = done.email, done.digests, done.webhooks
    events = done.events
    typer.echo(
        f"Events: {plural(events.jobs, 'change')} matched into "
        f"{plural(events.messages, 'message')}; {plural(events.reminders, 'deadline reminder')}; "
        f"{plural(done.confirm_reminders, 'reminder')} to confirm a profile; "
        f"{plural(done.request_reminders, 'reminder')} of requests about to expire, "
        f"{plural(done.expiry_notices, 'notice')} of requests expired unanswered."
    )
    typer.echo(f"Sent {email.sent}, skipped {email.skipped} (no address), failed {email.failed}.")
    typer.echo(
        f"Muted {email.muted} (e-mail off); {plural(digests.digests, 'digest')} of "
        f"{plural(digests.messages, 'message')}; webhooks: delivered {webhooks.delivered}, "
        f"failed {webhooks.failed}."
    )
    # Whether an e-mail someone waits for has gone: those left are sent by a later run (with
    # MATCHMAKER_SMTP_URL set, once due: a digest's day, a retry's time).
    typer.echo(f"Waiting in the outbox: {plural(left, 'e-mail')}.")
    if email.failed or digests.failed or webhooks.failed:
        raise typer.Exit(2)
