"""The country-status table as the service sees it: shipped rows plus the rows admins added."""

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session, col

from matchmaker.auth import Principal, require_role
from matchmaker.consortium.eligibility import Context
from matchmaker.countries import country_name
from matchmaker.country_statuses import (
    PARTS,
    STATUS_WORDS,
    StatusRow,
    StatusTable,
    parse_row,
    shipped_rows,
    sources,
)
from matchmaker.errors import Conflict, InvalidInput
from models.call import Call, RuleSet
from models.common import utc_today
from models.rules import CountryStatusCreate, CountryStatusPublic, CountryStatusRow


def _as_status_row(row: CountryStatusRow) -> StatusRow:
    return parse_row(
        {
            "country": row.country,
            "programme": row.programme,
            "status": row.status,
            "parts": row.parts,
            "except_parts": row.except_parts,
            "valid_from": row.valid_from.isoformat(),
            "valid_to": row.valid_to.isoformat() if row.valid_to else "",
            "source": row.source,
            "note": row.note,
        },
        shipped=False,
    )


def added_rows(session: Session) -> list[CountryStatusRow]:
    """The rows admins added, oldest first (a later row wins a tie)."""
    return list(session.scalars(select(CountryStatusRow).order_by(col(CountryStatusRow.id))))


def status_table(session: Session) -> StatusTable:
    """The shipped rows, then the added ones."""
    return StatusTable.shipped([_as_status_row(row) for row in added_rows(session)])


def call_context(session: Session, call: Call, *, today: date | None = None) -> Context:
    """The rules of a call: its rule set and part, on its deadline (today when it has none)."""
    return Context(
        rule_set=RuleSet(call.rule_set),
        part=call.programme_part,
        on=call.deadline or today or utc_today(),
        table=status_table(session),
        two_stage=call.two_stage,
    )


def add_country_status(
    session: Session, *, data: CountryStatusCreate, actor: Principal | None
) -> CountryStatusRow:
    """Add a row (admins only); nothing is overwritten, so past evaluations stay reproducible.
    A row that would change no answer (the status it gives is already the country's, in every
    part it covers, on every day it covers) is refused: it would only clutter the table for
    good, and mark a row that still holds, with its source, as replaced."""
    require_role(actor, set())
    if data.valid_to is not None and data.valid_to < data.valid_from:
        # `field` names it for the API; the page shows it beside "Until" and lists it so.
        raise InvalidInput("A status cannot end before it starts.", field="valid_to")
    row = CountryStatusRow(
        country=data.country,
        programme=data.programme,
        status=data.status,
        parts=";".join(data.parts),
        except_parts=";".join(data.except_parts),
        valid_from=data.valid_from,
        valid_to=data.valid_to,
        source=data.source,
        note=data.note,
    )
    new = _as_status_row(row)
    if changes_nothing(status_table(session), new):
        raise Conflict(
            f"This row would change nothing: {country_name(new.country)} is already "
            f"{STATUS_WORDS[new.status.value].phrase} for the parts it names on every day it "
            "covers. Rows are never changed or deleted, so one that changes nothing is not "
            "added."
        )
    session.add(row)
    session.flush()
    return row


def changes_nothing(table: StatusTable, row: StatusRow) -> bool:
    """Whether adding `row` to `table` would leave every answer as it is: its country's status,
    in every part, on every day the row covers. Statuses change only on the days a row of the
    country starts or the day after one ends, so those days (within the row's) are checked."""
    added = StatusTable((*table.rows, row))
    same_country = [
        other
        for other in added.rows
        if other.country == row.country and other.programme == row.programme
    ]
    days = {other.valid_from for other in same_country} | {
        other.valid_to + timedelta(days=1) for other in same_country if other.valid_to is not None
    }
    return all(
        table.status(row.country, programme=row.programme, part=part, on=day)
        is added.status(row.country, programme=row.programme, part=part, on=day)
        for day in sorted(days)
        if row.in_force(day)
        for part in (None, *PARTS)
    )


def _public(
    row: StatusRow, source: str, *, added_at: datetime | None = None
) -> CountryStatusPublic:
    """A row as the API and `rules show` list it (shipped unless it has an `added_at`)."""
    return CountryStatusPublic(
        country=row.country,
        programme=row.programme,
        status=row.status.value,
        parts=sorted(row.parts),
        except_parts=sorted(row.except_parts),
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        source=source,
        note=row.note,
        shipped=added_at is None,
        added_at=added_at,
    )


def shipped_table_rows() -> list[CountryStatusPublic]:
    """The rows shipped with the package, each shipped row's source spelled out."""
    cited = sources()
    return [
        _public(
            row,
            f"{cited[row.source].title}, {cited[row.source].section}: {cited[row.source].url}"
            if row.source in cited
            else row.source,
        )
        for row in shipped_rows()
    ]


def table_rows(session: Session) -> list[CountryStatusPublic]:
    """Every row: shipped, then added (with when)."""
    added = [
        _public(_as_status_row(row), row.source, added_at=row.created_at)
        for row in added_rows(session)
    ]
    return shipped_table_rows() + added


def table_rows_on(session: Session, *, on: date) -> list[tuple[CountryStatusPublic, bool]]:
    """Every row, as `table_rows` lists them, each with whether it decides its country's status
    on that date for the whole programme or some part of it: a row whose dates hold that day
    but that a later-starting row took over from does not."""
    added = added_rows(session)
    extra = [_as_status_row(row) for row in added]
    table = StatusTable.shipped(extra)
    public = shipped_table_rows() + [
        _public(status_row, row.source, added_at=row.created_at)
        for status_row, row in zip(extra, added, strict=True)
    ]
    return [
        (shown, _decides(table, row, on)) for shown, row in zip(public, table.rows, strict=True)
    ]


def _decides(table: StatusTable, row: StatusRow, on: date) -> bool:
    return any(
        table.row_for(row.country, programme=row.programme, part=part, on=on) is row
        for part in (None, *PARTS)
        if row.covers(part)
    )


def render_table(rows: list[CountryStatusPublic]) -> str:
    """The table as aligned text, one row a line (the CLI's `rules show`)."""
    header = ("country", "status", "parts", "except", "from", "to", "origin", "note")
    lines = [
        (
            row.country,
            row.status,
            ",".join(row.parts),
            ",".join(row.except_parts) or "-",
            row.valid_from.isoformat(),
            row.valid_to.isoformat() if row.valid_to else "-",
            "shipped" if row.shipped else "added",
            row.note,
        )
        for row in rows
    ]
    widths = [max(len(header[k]), *(len(line[k]) for line in lines)) for k in range(7)]
    text = [
        "  ".join(cell.ljust(width) for cell, width in zip(line[:7], widths, strict=True))
        + "  "
        + line[7]
        for line in [header, *lines]
    ]
    return "\n".join(text)
