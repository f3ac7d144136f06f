"""Each country's status in a programme, by date and programme part, as data with sources.

The table ships with the package (`data/country_statuses.csv`, each row naming a source in
`data/country_status_sources.csv`); admins add rows without a release (`matchmaker rules add`,
``POST /admin/country-statuses``), and no row is ever changed or deleted: a later row for the
same country and programme takes over from its ``valid_from`` date. A country with no row in
force is a non-associated third country; an ``excluded`` one's entities may not take part.

Parts of Horizon Europe are named ``pillar-1`` (Excellent Science), ``pillar-2`` (Global
Challenges and European Industrial Competitiveness, institutionalised partnerships such as IHI
included), ``pillar-3`` (Innovative Europe), ``widening`` and ``eic-fund`` (the EIC Accelerator's
equity part, from which the UK is excluded).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import cache
from pathlib import Path

DATA = Path(__file__).parent / "data"
STATUS_FILE = DATA / "country_statuses.csv"
SOURCES_FILE = DATA / "country_status_sources.csv"
ALL_PARTS = "all"
PARTS = ("pillar-1", "pillar-2", "pillar-3", "widening", "eic-fund")
PROGRAMMES = ("horizon-europe",)


class CountryStatus(StrEnum):
    """Where a country stands in a programme."""

    member_state = "member_state"
    associated = "associated"
    # Not associated, but its entities are automatically eligible for funding: a low- or
    # middle-income country the Work Programme's General Annexes (Annex B) and the Programme
    # Guide list. It does not count towards the consortium rule.
    funding_eligible = "funding_eligible"
    # Explicitly recorded as not associated (otherwise the same as having no row).
    non_associated = "non_associated"
    # Its entities may not take part at all, in any capacity (Russia and Belarus for calls with
    # a deadline after 10 May 2022, Work Programme 2021-2022 as amended): a consortium with one
    # fails the programme rules, and the solver never proposes one.
    excluded = "excluded"


@dataclass(frozen=True, kw_only=True)
class StatusRow:
    """One row of the table: a country's status in a programme's parts over a period."""

    country: str
    programme: str
    status: CountryStatus
    parts: frozenset[str] = frozenset({ALL_PARTS})
    except_parts: frozenset[str] = frozenset()
    valid_from: date
    valid_to: date | None = None
    source: str
    note: str = ""
    shipped: bool = field(default=True, compare=False)

    def in_force(self, on: date) -> bool:
        """Whether the row applies on that date (both ends included)."""
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)

    def covers(self, part: str | None) -> bool:
        """Whether the row applies to that part; an unknown part needs a whole-programme row."""
        if part is None:
            return ALL_PARTS in self.parts and not self.except_parts
        return (ALL_PARTS in self.parts or part in self.parts) and part not in self.except_parts


@dataclass(frozen=True)
class Source:
    """A document rows are taken from."""

    key: str
    title: str
    section: str
    url: str


def _parts(value: str) -> frozenset[str]:
    return frozenset(part.strip() for part in value.split(";") if part.strip())


def parse_row(values: dict[str, str], *, shipped: bool = True) -> StatusRow:
    """A row from its CSV fields (ValueError when a field is malformed)."""
    parts = _parts(values.get("parts", "")) or frozenset({ALL_PARTS})
    except_parts = _parts(values.get("except_parts", ""))
    unknown = (parts | except_parts) - {ALL_PARTS, *PARTS}
    if unknown:
        raise ValueError(f"unknown programme parts {sorted(unknown)}; known: {', '.join(PARTS)}")
    valid_to = values.get("valid_to") or ""
    row = StatusRow(
        country=values["country"].strip().upper(),
        programme=values["programme"].strip(),
        status=CountryStatus(values["status"].strip()),
        parts=parts,
        except_parts=except_parts,
        valid_from=date.fromisoformat(values["valid_from"]),
        valid_to=date.fromisoformat(valid_to) if valid_to else None,
        source=values["source"].strip(),
        note=values.get("note", "").strip(),
        shipped=shipped,
    )
    if row.valid_to is not None and row.valid_to < row.valid_from:
        raise ValueError("valid_to is before valid_from")
    return row


@cache
def shipped_rows() -> tuple[StatusRow, ...]:
    """The rows shipped with the package, in file order."""
    with STATUS_FILE.open(newline="", encoding="utf-8") as file:
        return tuple(parse_row(values) for values in csv.DictReader(file))


@cache
def sources() -> dict[str, Source]:
    """The documents the shipped rows cite, by key."""
    with SOURCES_FILE.open(newline="", encoding="utf-8") as file:
        return {values["key"]: Source(**values) for values in csv.DictReader(file)}


class StatusTable:
    """Answers "what is this country's status on that date for that part" from rows."""

    def __init__(self, rows: Iterable[StatusRow]) -> None:
        self.rows: tuple[StatusRow, ...] = tuple(rows)
        self._by_country: dict[tuple[str, str], list[tuple[int, StatusRow]]] = {}
        for order, row in enumerate(self.rows):
            self._by_country.setdefault((row.programme, row.country), []).append((order, row))

    @classmethod
    def shipped(cls, extra: Sequence[StatusRow] = ()) -> StatusTable:
        """The shipped rows, then any added since (later rows win ties)."""
        return cls((*shipped_rows(), *extra))

    def row_for(
        self, country: str, *, programme: str, part: str | None, on: date
    ) -> StatusRow | None:
        """The row in force: of those covering the part on that date, the latest to start."""
        candidates = [
            (row.valid_from, order, row)
            for order, row in self._by_country.get((programme, country.upper()), [])
            if row.in_force(on) and row.covers(part)
        ]
        return max(candidates, key=lambda item: (item[0], item[1]))[2] if candidates else None

    def status(self, country: str, *, programme: str, part: str | None, on: date) -> CountryStatus:
        """The country's status (non-associated when no row is in force)."""
        row = self.row_for(country, programme=programme, part=part, on=on)
        return row.status if row is not None else CountryStatus.non_associated

    def countries(
        self, status: CountryStatus, *, programme: str, part: str | None, on: date
    ) -> frozenset[str]:
        """Every country with that status on that date for that part."""
        return frozenset(
            country
            for (row_programme, country) in self._by_country
            if row_programme == programme
            and self.status(country, programme=programme, part=part, on=on) is status
        )

    def associated_to_some_part(self, *, programme: str, on: date) -> frozenset[str]:
        """Countries associated on that date to at least one part (to the whole, or a pillar)."""
        return frozenset(
            country
            for (row_programme, country) in self._by_country
            if row_programme == programme
            and any(
                self.status(country, programme=programme, part=part, on=on)
                is CountryStatus.associated
                for part in (None, *PARTS)
            )
        )


@dataclass(frozen=True)
class StatusWords:
    """A status as the page says it: its name, as a sentence completes "Morocco is ...", and
    what it means for a consortium."""

    label: str
    phrase: str
    meaning: str


STATUS_WORDS = {
    "member_state": StatusWords(
        "EU Member State",
        "an EU Member State",
        "Its organisations count towards the consortium rule (for most actions, three "
        "independent entities in different Member States or Associated Countries, one of them "
        "in a Member State) and are eligible for funding.",
    ),
    "associated": StatusWords(
        "Associated Country",
        "an Associated Country",
        "Counts like a Member State: its organisations count towards the consortium rule and "
        "are eligible for funding.",
    ),
    "funding_eligible": StatusWords(
        "Eligible for funding, not associated",
        "eligible for funding but not associated",
        "Its organisations do not count towards the consortium rule, but are automatically "
        "eligible for funding (a low- or middle-income country the General Annexes list).",
    ),
    "non_associated": StatusWords(
        "Not associated",
        "not associated",
        "Its organisations may take part, but do not count towards the consortium rule and are "
        "not automatically eligible for funding. A country with no row in force is treated so.",
    ),
    "excluded": StatusWords(
        "Excluded",
        "excluded",
        "Its organisations may not take part at all, in any capacity: a consortium with one "
        "fails the programme rules, and the builder never proposes one.",
    ),
}
# The programme's parts as a call names them (its `programme_part`).
PART_WORDS = {
    "all": "The whole programme",
    "pillar-1": "Pillar I, Excellent Science",
    "pillar-2": "Pillar II, Global Challenges and European Industrial Competitiveness "
    "(IHI included)",
    "pillar-3": "Pillar III, Innovative Europe",
    "widening": "Widening participation",
    "eic-fund": "The EIC Fund (the EIC Accelerator's equity part)",
}
