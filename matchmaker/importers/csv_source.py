"""Reading a CSV source: its rows streamed with the line each starts on, the rows rejected and
why, progress while a file is read, and the error for a source that cannot be imported at all
(a file that ends in the middle of a record among them: a download cut short).

Every import reports through these: the CORDIS files, call lists and `sync calls`.
"""

import csv
import io
import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

Progress = Callable[[str, int, int], None]
"""Called as (file name, bytes read, file size) while a file is read."""


class SourceError(Exception):
    """A file or URL that cannot be imported at all: missing, unreachable or not a CORDIS file."""


class CutShort(SourceError):
    """A CSV file whose last record is incomplete: the file was cut off, most likely a download."""

    def __init__(self, name: str, line: int) -> None:
        super().__init__(
            f"{name} ends in the middle of a record at line {line}: the file looks cut short. "
            "Download it again and re-run the import."
        )
        self.name = name
        self.line = line


@dataclass(frozen=True)
class Rejected:
    """A row that was not imported: where it is (line or JSON item) and why.

    `kind` names the reason without the row's own values ("organisationID not in
    organisations.csv"), so that a summary can count rows alike; by default it is `reason`.
    """

    file: str
    reason: str
    line: int | None = None
    item: int | None = None
    kind: str | None = field(default=None, compare=False)

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line is not None else f"item {self.item}"
        return f"{self.file} {where}: {self.reason}"


@dataclass
class CsvRows:
    """Rows of one CSV file as (first physical line, {column: value}), streamed.

    Use it in a `with` block: leaving the block closes the file.
    """

    name: str
    columns: list[str]
    _text: io.TextIOWrapper
    _rows: Iterator[tuple[int, dict[str, str]]] = field(default_factory=lambda: iter(()))
    rejected: list[Rejected] = field(default_factory=list)

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        return self._rows

    def __enter__(self) -> "CsvRows":
        return self

    def __exit__(self, *_: object) -> None:
        self._text.close()


class _RecordLines:
    """A text file's lines for csv.reader, keeping the lines of the record being read: whether
    the file ends inside that record shows in them, not in the fields csv.reader returns."""

    def __init__(self, text: Iterator[str]) -> None:
        self._text = text
        self.record: list[str] = []

    def __iter__(self) -> "_RecordLines":
        return self

    def __next__(self) -> str:
        line = next(self._text)
        self.record.append(line)
        return line


def _ends_inside(record: Sequence[str], delimiter: str = ",") -> bool:
    """Whether these lines of one record stop short of its end: the last has no line end, or a
    quoted field is still open (csv.reader hands such a record back as if it were complete)."""
    if not record[-1].endswith(("\n", "\r")):
        return True
    # A complete record holds its quotes in pairs (open and close, "" for a quote inside),
    # unless a stray quote stands inside an unquoted field: only then is it read char by char.
    if sum(line.count('"') for line in record) % 2 == 0:
        return False
    ends = delimiter + "\r\n"
    state = "start"  # of a field; then "field", "quoted", or "quote" (a quote inside quotes)
    for char in "".join(record):
        if state == "quoted":
            if char == '"':
                state = "quote"
        elif state == "quote":  # closes the field, or escapes a second quote
            state = "quoted" if char == '"' else "start" if char in ends else "field"
        elif char in ends:
            state = "start"
        elif state == "start" and char == '"':
            state = "quoted"
        else:
            state = "field"
    return state == "quoted"


def _damaged(name: str, error: Exception) -> SourceError:
    return SourceError(f"{name} is damaged ({error}): download it again and re-run the import.")


def read_csv(
    stream: IO[bytes],
    *,
    name: str,
    required: Sequence[str],
    progress: Progress | None = None,
    size: int = 0,
    damaged: tuple[type[Exception], ...] = (),
) -> CsvRows:
    """Stream a UTF-8 CSV file; rows with the wrong number of fields go to `rejected`.

    Fields are separated by commas, or by semicolons when the header line holds more of those
    (CORDIS's own download). A file whose last record is incomplete (no line end after it, or a
    quote left open) raises CutShort when that record is reached, before it is yielded; a
    `damaged` error from reading `stream` (a zip member's failed checksum) is a SourceError. The
    result owns `stream` from here on: closing it (leaving its `with` block) closes both.
    """
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    try:
        first = text.readline()
        delimiter = ";" if first.count(";") > first.count(",") else ","
        lines = _RecordLines(itertools.chain([first] if first else [], text))
        reader = csv.reader(lines, delimiter=delimiter)
        header = next(reader)
        columns = [column.strip() for column in header]
        missing = [column for column in required if column not in columns]
        if missing:
            raise SourceError(
                f"{name} lacks the {'column' if len(missing) == 1 else 'columns'} "
                f"{', '.join(missing)}."
            )
    except StopIteration:
        text.close()
        raise SourceError(f"{name} is empty.") from None
    except (UnicodeDecodeError, csv.Error) as error:
        text.close()
        raise SourceError(f"{name} is not a readable UTF-8 CSV file: {error}") from None
    except damaged as error:
        text.close()
        raise _damaged(name, error) from None
    except SourceError:
        text.close()
        raise
    result = CsvRows(name=name, columns=columns, _text=text)

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        # csv.reader's line_num is the physical line where a record ENDS (quoted fields can
        # span lines), so a record starts on the line after the previous record ended.
        end_of_previous = reader.line_num
        count = 0
        while True:
            lines.record.clear()
            try:
                values = next(reader)
            except StopIteration:
                break
            except UnicodeDecodeError:
                raise SourceError(
                    f"{name} is not UTF-8 text (after line {end_of_previous})."
                ) from None
            except damaged as error:
                raise _damaged(name, error) from None
            except csv.Error as error:
                result.rejected.append(
                    Rejected(
                        name,
                        f"malformed CSV: {error}",
                        line=end_of_previous + 1,
                        kind="malformed CSV",
                    )
                )
                end_of_previous = reader.line_num
                continue
            start = end_of_previous + 1
            end_of_previous = reader.line_num
            if lines.record and _ends_inside(lines.record, delimiter):
                raise CutShort(name, start)
            count += 1
            if progress is not None and count % 2000 == 0:
                progress(name, stream.tell(), size)
            if not values:
                continue
            if len(values) != len(columns):
                result.rejected.append(
                    Rejected(
                        name,
                        f"expected {len(columns)} fields, found {len(values)}",
                        line=start,
                        kind="wrong number of fields",
                    )
                )
                continue
            yield start, dict(zip(columns, values, strict=True))
        if progress is not None:
            progress(name, size, size)

    result._rows = rows()
    return result


def open_csv(path: Path, *, required: Sequence[str], progress: Progress | None = None) -> CsvRows:
    """Open a CSV file for streaming, to be used in a `with` block."""
    try:
        size = path.stat().st_size
        stream = path.open("rb")
    except OSError as error:
        raise SourceError(f"Cannot read {path.name}: {error.strerror or error}.") from None
    return read_csv(stream, name=path.name, required=required, progress=progress, size=size)
