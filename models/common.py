"""Types shared by every resource: stakeholder types, clean text, country codes, pages."""

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Generic, TypeVar

import pycountry
from annotated_types import GroupedMetadata
from pydantic import AfterValidator, BaseModel, Field, PlainSerializer, StringConstraints


class StakeholderType(StrEnum):
    """The kinds of organisation a public-private health consortium joins."""

    academia = "academia"
    industry = "industry"
    sme = "sme"
    patient_organisation = "patient_organisation"
    regulator = "regulator"
    healthcare_provider = "healthcare_provider"
    public_body = "public_body"
    other = "other"


# Tabs and line breaks are text; every other C0/C1 control character is refused.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def clean_text(value: str) -> str:
    """Normalise text to NFC and refuse control characters."""
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return unicodedata.normalize("NFC", value)


def clean_line(value: str) -> str:
    """Clean a one-line value: NFC, no control characters or line breaks, trimmed."""
    value = clean_text(value).strip()
    if "\n" in value or "\r" in value:
        raise ValueError("must be a single line")
    return value


# Kosovo has no ISO 3166-1 code yet; the EU (CORDIS included) and ISO's user-assigned range use XK.
EXTRA_COUNTRIES = frozenset({"XK"})


def country_code(value: str) -> str:
    """Upper-case an ISO 3166-1 alpha-2 code (or XK, Kosovo) and check it exists."""
    code = value.strip().upper()
    if code not in EXTRA_COUNTRIES and pycountry.countries.get(alpha_2=code) is None:
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code")
    return code


def as_utc(value: datetime) -> datetime:
    """Read a naive timestamp (as SQLite returns them) as UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def utc_now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


# Ids fit a 32-bit signed integer on every database; larger numbers are invalid input.
MAX_ID = 2**31 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Text = Annotated[str, AfterValidator(clean_text)]
Line = Annotated[str, AfterValidator(clean_line)]


@dataclass(frozen=True)
class _TextRules(GroupedMetadata):
    """Length limits, then a cleaner: pydantic unpacks them in order from `Annotated[str, ...]`."""

    max_length: int
    min_length: int
    single_line: bool

    def __iter__(self) -> Iterator[object]:
        yield from StringConstraints(
            strip_whitespace=self.single_line or None,
            min_length=self.min_length,
            max_length=self.max_length,
        )
        yield AfterValidator(clean_line if self.single_line else clean_text)


def line(max_length: int, *, min_length: int = 0) -> GroupedMetadata:
    """One-line text rules, `Annotated[str, line(n)]`: trimmed, length-checked, then cleaned."""
    return _TextRules(max_length=max_length, min_length=min_length, single_line=True)


def text(max_length: int, *, min_length: int = 0) -> GroupedMetadata:
    """Multi-line text rules, `Annotated[str, text(n)]`: length-checked, then cleaned."""
    return _TextRules(max_length=max_length, min_length=min_length, single_line=False)


CountryCode = Annotated[str, AfterValidator(country_code)]
UtcDatetime = Annotated[datetime, AfterValidator(as_utc), PlainSerializer(lambda v: as_utc(v))]


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list: the items, how many match in all, and where the page starts."""

    items: list[T]
    total: int = Field(ge=0)
    limit: int = Field(ge=1)
    offset: int = Field(ge=0)
