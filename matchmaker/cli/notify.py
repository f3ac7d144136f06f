"""`matchmaker notify`: deliver the notification outbox."""

from typing import Annotated

import typer

from matchmaker import db
from matchmaker.partnering.delivery import SmtpSender, deliver_pending, parse_smtp_url
from matchmaker.settings import get_settings

notify_app = typer.Typer(help="Notification commands.", no_args_is_help=True)


@notify_app.command("run")
def notify_run(
    limit: Annotated[
        int | None, typer.Option(min=1, help="Send at most this many messages in this pass.")
    ] = None,
) -> None:
    """Send the due notifications once, by e-mail to MATCHMAKER_SMTP_URL, then exit."""
    settings = get_settings()
    if settings.smtp_url is None:
        typer.echo("Error: set MATCHMAKER_SMTP_URL to send notifications.", err=True)
        raise typer.Exit(1)
    try:
        server = parse_smtp_url(settings.smtp_url.get_secret_value())
    except ValueError as error:
        typer.echo(f"Error: {error}", err=True)
        raise typer.Exit(1) from None
    engine = db.create_db_engine(settings)
    sender = SmtpSender(server)
    try:
        done = deliver_pending(engine, send=sender, mail_from=settings.mail_from, limit=limit)
    finally:
        sender.close()
        engine.dispose()
    typer.echo(f"Sent {done.sent}, skipped {done.skipped} (no address), failed {done.failed}.")
    if done.failed:
        raise typer.Exit(2)
