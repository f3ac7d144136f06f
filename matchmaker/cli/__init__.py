"""The `matchmaker` command: the place that wires settings, database, services and importers."""

from typing import NoReturn

import typer


def fail(message: str) -> NoReturn:
    """End the command with `Error: <message>` on stderr and exit code 1, no traceback."""
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code=1)
