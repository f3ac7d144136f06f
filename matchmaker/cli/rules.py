"""`matchmaker rules`: show the country-status table the programme rules use, add rows."""

from typing import Annotated

import typer
from pydantic import ValidationError
from pydantic_core import ErrorDetails
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlmodel import Session

from matchmaker import db, rules
from matchmaker.auth import OPERATOR
from matchmaker.cli import (
    Commands,
    fail,
    migrated_engine,
    missing_sqlite_file,
    no_sqlite_file,
    read_settings,
)
from matchmaker.country_statuses import PARTS, sources
from matchmaker.errors import DomainError
from models.rules import CountryStatusCreate, CountryStatusPublic

# How the command names each field of a row, for its errors.
_ARGUMENTS = {
    "country": "CC",
    "status": "STATUS",
    "parts": "--parts",
    "except_parts": "--except-parts",
    "valid_from": "--from",
    "valid_to": "--to",
    "source": "--source",
    "note": "--note",
}

rules_app = typer.Typer(
    help="Programme rules: the country-status table.", no_args_is_help=True, cls=Commands
)


def _rows() -> tuple[list[CountryStatusPublic], str | None]:
    """Every row, and why only the shipped ones are when the database's added rows could not
    be read (None when they were)."""
    settings = read_settings()
    missing = missing_sqlite_file(settings.database_url)
    if missing is not None:
        # Not opened: SQLite would leave an empty file behind, taken next for a database never
        # migrated. The shipped rows need no database.
        return rules.shipped_table_rows(), f"Shipped rows only: {no_sqlite_file(missing)}"
    engine = db.create_db_engine(settings)
    try:
        with Session(engine) as session:
            return rules.table_rows(session), None
    except (OperationalError, ProgrammingError):  # not migrated yet: the shipped rows alone
        return rules.shipped_table_rows(), (
            "Shipped rows only: the database is not migrated; run `matchmaker db upgrade` first."
        )
    finally:
        engine.dispose()


def _cite(rows: list[CountryStatusPublic]) -> tuple[list[str], dict[str, str]]:
    """How the table cites each row's source, and the sources cited, by citation in order of
    first citing: a shipped source by its key (`reg-2021-695`) with its title, section and URL,
    any other (an added row's, as the admin gave it) by a number."""
    # A shipped row's source as `rules.shipped_table_rows` spells it out, back to its key.
    shipped = {
        f"{source.title}, {source.section}: {source.url}": source for source in sources().values()
    }
    citations: list[str] = []
    cited: dict[str, str] = {}
    numbers: dict[str, str] = {}
    for row in rows:
        source = shipped.get(row.source) if row.shipped else None
        if source is not None:
            citation = source.key
            cited[citation] = f"{source.title}; {source.section}. {source.url}"
        else:
            citation = numbers.setdefault(row.source, str(len(numbers) + 1))
            cited[citation] = row.source
        citations.append(citation)
    return citations, cited


def _problem(problem: ErrorDetails) -> str:
    """One refused field, named as the command takes it (`--from`, not `valid_from`)."""
    message = problem["msg"].removeprefix("Value error, ")
    if not problem["loc"]:
        return message
    return f"{_ARGUMENTS.get(str(problem['loc'][0]), problem['loc'][0])}: {message}"


@rules_app.command("show")
def rules_show(
    country: Annotated[
        str | None, typer.Option(help="Only this country's rows (its ISO code, in any case).")
    ] = None,
) -> None:
    """Print each country's status per programme part and period, with the sources.

    Each row's note starts with its source's citation ([reg-2021-695] for a shipped source,
    [1] for an added row's); the sources the rows shown cite follow the table.
    """
    rows, only_shipped = _rows()
    if country:
        rows = [row for row in rows if row.country == country.upper()]
        if not rows:
            typer.echo(
                f"No rows for {country.upper()}: the rules take it as non_associated "
                "(add a row with `matchmaker rules add`)."
            )
            return
    citations, cited = _cite(rows)
    typer.echo(
        rules.render_table(
            [
                row.model_copy(update={"note": f"[{citation}] {row.note}".rstrip()})
                for row, citation in zip(rows, citations, strict=True)
            ]
        )
    )
    if only_shipped:
        typer.echo(f"\n{only_shipped}")
    typer.echo("\nSources:")
    for citation, source in cited.items():
        typer.echo(f"  [{citation}] {source}")


@rules_app.command("add")
def rules_add(
    country: Annotated[
        str, typer.Argument(metavar="CC", help="ISO 3166-1 alpha-2 code (XK for Kosovo).")
    ],
    status: Annotated[
        str,
        typer.Argument(
            metavar="STATUS",
            help="member_state, associated, funding_eligible, non_associated or excluded.",
        ),
    ],
    valid_from: Annotated[str, typer.Option("--from", help="First day in force (YYYY-MM-DD).")],
    source: Annotated[str, typer.Option(help="The document the row comes from.")],
    parts: Annotated[
        str, typer.Option(help=f"';'-separated parts: all, {', '.join(PARTS)}.")
    ] = "all",
    except_parts: Annotated[str, typer.Option(help="';'-separated parts excluded.")] = "",
    valid_to: Annotated[
        str | None, typer.Option("--to", help="Last day in force (YYYY-MM-DD).")
    ] = None,
    note: Annotated[str, typer.Option(help="What the row says, in a sentence.")] = "",
) -> None:
    """Add a row without a release; it takes over from its start date, earlier rows stay."""
    try:
        data = CountryStatusCreate.model_validate(
            {
                "country": country,
                "status": status,
                "parts": [p for p in parts.split(";") if p],
                "except_parts": [p for p in except_parts.split(";") if p],
                "valid_from": valid_from,
                "valid_to": valid_to or None,
                "source": source,
                "note": note,
            }
        )
    except ValidationError as error:
        fail("; ".join(_problem(problem) for problem in error.errors(include_url=False)))
    engine = migrated_engine()
    try:
        with db.session_scope(db.for_writing(engine)) as session:
            row = rules.add_country_status(session, data=data, actor=OPERATOR)
            typer.echo(f"Added row {row.id}: {row.country} {row.status} from {row.valid_from}.")
    except DomainError as error:
        fail(error.detail)
    finally:
        engine.dispose()
