"""Types shared by every resource: stakeholder types, clean text, country codes, pages."""

import calendar
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any, Generic, TypeVar

import pycountry
from annotated_types import GroupedMetadata
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    PlainSerializer,
    Strict,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError
from sqlalchemy import Column, ForeignKey, Integer


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


# Types that only an admin's check makes true (anyone could call itself a regulator): shown as
# unverified until an admin verifies them, and not counted by calls that require them verified.
TYPES_VERIFIED_BY_ADMIN = frozenset(
    {StakeholderType.regulator, StakeholderType.patient_organisation, StakeholderType.public_body}
)


def type_verified(stakeholder_type: str, type_verified_at: object) -> bool | None:
    """Whether an organisation's type is verified: None for the types nobody verifies, else
    whether an admin verified it (`type_verified_at` is set)."""
    if stakeholder_type not in TYPES_VERIFIED_BY_ADMIN:
        return None
    return type_verified_at is not None


def counts_as(
    stakeholder_type: str, verified: bool | None, *, verified_types_required: bool
) -> bool:
    """Whether a member counts towards its type's places: always, unless the call requires
    verified members and the type is one an admin verifies and this member's is not."""
    needs = verified_types_required and stakeholder_type in TYPES_VERIFIED_BY_ADMIN
    return not needs or bool(verified)


# Tabs and line breaks are text; every other C0/C1 control character is refused.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Explicit direction embeddings, overrides and isolates reorder what a reader sees ("Trojan
# Source", spoofed names); the implicit marks (U+200E, U+200F, U+061C) are harmless and kept.
_DIRECTION_CONTROL = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
# Zero-width joiners are spelling in Persian, Indic scripts and emoji sequences.
_JOINERS = frozenset("\u200c\u200d")
# Letters and symbols that draw nothing, which a name could be made of to look empty.
_BLANK = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e")


def clean_text(value: str) -> str:
    """Normalise text to NFC; refuse control characters and direction overrides."""
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    if _DIRECTION_CONTROL.search(value):
        raise ValueError("must not contain direction overrides (U+202A-U+202E, U+2066-U+2069)")
    return unicodedata.normalize("NFC", value)


def _invisible(character: str) -> bool:
    return (
        character.isspace()
        or character in _BLANK
        or unicodedata.category(character) in ("Cf", "Mn", "Me", "Zl", "Zp")
    )


def clean_line(value: str) -> str:
    """Clean a one-line value: NFC, trimmed, no line breaks and no invisible format characters.

    Format characters (zero-width spaces, byte-order marks, word joiners) other than the
    joiners some scripts need, and line or paragraph separators, are refused; so is a value
    with characters that are all invisible.
    """
    value = clean_text(value).strip()
    if any(character in "\n\r\u2028\u2029\x85" for character in value):
        raise ValueError("must be a single line")
    if any(
        unicodedata.category(character) == "Cf" and character not in _JOINERS for character in value
    ):
        raise ValueError("must not contain invisible format characters (such as U+200B, U+FEFF)")
    if value and all(_invisible(character) for character in value):
        raise ValueError("must contain a visible character")
    return value


# Kosovo has no ISO 3166-1 code yet; the EU (CORDIS included) and ISO's user-assigned range use XK.
EXTRA_COUNTRIES = frozenset({"XK"})


def country_code(value: str) -> str:
    """Upper-case an ISO 3166-1 alpha-2 code (or XK, Kosovo) and check it exists."""
    code = value.strip().upper()
    if code not in EXTRA_COUNTRIES and pycountry.countries.get(alpha_2=code) is None:
        raise ValueError(
            f"{value!r} is not a country code: give the two-letter ISO 3166-1 code, such as DE"
        )
    return code


def as_utc(value: datetime) -> datetime:
    """Read a naive timestamp (as SQLite returns them) as UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (the month's last day when the
    day does not exist then: 31 March less one month is 28 or 29 February)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def utc_now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


def utc_today() -> date:
    """Today's date in UTC: what every call status, deadline and rule is read as of, whatever
    the server's time zone (timestamps are UTC too)."""
    return utc_now().date()


def stale_before(months: int, *, now: datetime | None = None) -> datetime:
    """The moment before which a last confirmation makes a profile stale (the ranking and the
    API's `stale` flag read it alike)."""
    return months_before(now or utc_now(), months)


def not_a_boolean(value: object) -> object:
    """Refuse true and false where a number is asked for (pydantic would read them as 1, 0)."""
    if isinstance(value, bool):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


def id_number(value: object) -> object:
    """An id as `not_a_boolean` takes a number, and, written as text (a path or a query), in
    digits alone (a minus sign allowed, to be refused as below 1): pydantic reads "1.0", "+1"
    and "1_0" as numbers, which made `/calls/1.0` answer call 1 at a second address."""
    if isinstance(value, str):
        digits = value.removeprefix("-")
        if not (digits.isascii() and digits.isdigit()):
            raise PydanticCustomError("int_parsing", "Input should be a valid integer")
        # A negative id is a whole number, refused as below 1 (it can name no second address).
        return int(value)
    return not_a_boolean(value)


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ISO_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})?",
    re.IGNORECASE,
)


def iso_date(value: object) -> object:
    """Accept a date only as RFC 3339's full-date, YYYY-MM-DD (the schema's `format: date`).

    Pydantic would also read a number as a Unix timestamp (0 is 1970-01-01) and a string with a
    time of day; neither is what the schema documents.
    """
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise PydanticCustomError("date_type", "Input should be a date as YYYY-MM-DD")
    return value


def iso_datetime(value: object) -> object:
    """Accept a moment only as RFC 3339's date-time (2026-12-05T09:30:00Z), its offset allowed
    to be left out (UTC then), as `iso_date` accepts a date: not a number nor a date alone."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATETIME.fullmatch(value):
        raise PydanticCustomError(
            "datetime_type",
            "Input should be a moment as YYYY-MM-DDTHH:MM:SS with Z or an offset (a + in a "
            "query string is written %2B)",
        )
    return value


def in_utc(value: datetime) -> datetime:
    """The moment in UTC (a naive one read as UTC); one that UTC cannot write (a first of
    January of year 1 east of Greenwich, say) is refused rather than failing later."""
    try:
        return as_utc(value).astimezone(UTC)
    except OverflowError:
        raise ValueError("Must be a moment between the years 1 and 9999 in UTC.") from None


# A number: true and false are not numbers (the schema says `integer`).
Int = Annotated[int, BeforeValidator(not_a_boolean)]
# A JSON boolean: 0, 1, "yes" or "true" are not booleans (the schema says `boolean`).
Flag = Annotated[bool, Strict()]
# A calendar date written YYYY-MM-DD (the schema's `format: date`).
IsoDate = Annotated[date, BeforeValidator(iso_date)]
# A moment written as RFC 3339's date-time, read in UTC (UTC when it names no offset).
IsoDatetime = Annotated[datetime, BeforeValidator(iso_datetime), AfterValidator(in_utc)]

# Ids fit a 32-bit signed integer on every database; larger numbers are invalid input.
MAX_ID = 2**31 - 1
Id = Annotated[int, BeforeValidator(id_number), Field(ge=1, le=MAX_ID)]
Text = Annotated[str, AfterValidator(clean_text)]
Line = Annotated[str, AfterValidator(clean_line)]


@dataclass(frozen=True)
class _TextRules(GroupedMetadata):
    """A cleaner, then length limits on the cleaned text: pydantic unpacks them in order.

    Lengths are counted after Unicode normalisation, which can lengthen text (U+1D160 becomes
    three code points): counted before, a value within the limit could be stored over it.
    """

    max_length: int
    min_length: int
    single_line: bool

    def __iter__(self) -> Iterator[object]:
        yield AfterValidator(clean_line if self.single_line else clean_text)
        yield AfterValidator(self.check_length)
        yield WithJsonSchemaLengths(min_length=self.min_length, max_length=self.max_length)

    def check_length(self, value: str) -> str:
        """Refuse a cleaned value outside the length limits (in pydantic's own words)."""
        if len(value) > self.max_length:
            raise PydanticCustomError(
                "string_too_long",
                "String should have at most {max_length} characters",
                {"max_length": self.max_length},
            )
        if len(value) < self.min_length:
            plural = "" if self.min_length == 1 else "s"
            raise PydanticCustomError(
                "string_too_short",
                f"String should have at least {{min_length}} character{plural}",
                {"min_length": self.min_length},
            )
        # Multi-line text keeps its spaces, so a required one could be nothing but spaces.
        if self.min_length and all(_invisible(character) for character in value):
            raise ValueError("must contain a visible character, not only spaces")
        return value


@dataclass(frozen=True)
class WithJsonSchemaLengths:
    """Show length limits that a validator checks in the JSON schema, as maxLength/minLength."""

    min_length: int
    max_length: int

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """The string's schema with its limits."""
        schema = handler(core_schema)
        schema["maxLength"] = self.max_length
        if self.min_length:
            schema["minLength"] = self.min_length
        return schema


def line(max_length: int, *, min_length: int = 0) -> GroupedMetadata:
    """One-line text rules, `Annotated[str, line(n)]`: cleaned and trimmed, then length-checked."""
    return _TextRules(max_length=max_length, min_length=min_length, single_line=True)


def text(max_length: int, *, min_length: int = 0) -> GroupedMetadata:
    """Multi-line text rules, `Annotated[str, text(n)]`: cleaned, then length-checked."""
    return _TextRules(max_length=max_length, min_length=min_length, single_line=False)


def refuse_null(value: object) -> object:
    """A partial update's field that may be left out but not set to null (its column is NOT
    NULL): refused here, as the schema says, before any other check (If-Match included)."""
    if value is None:
        raise PydanticCustomError("not_null", "Must not be null; leave the field out to keep it")
    return value


def without_null(*fields: str, examples: list[dict[str, Any]]) -> Any:
    """A `json_schema_extra` for a partial update whose listed fields may be left out but not
    set to null (their columns are NOT NULL, and an update to null answers 422): the schema
    shows them without the null a Python default of None would put there."""

    def edit(schema: dict[str, Any]) -> None:
        schema["examples"] = examples
        for name in fields:
            prop = schema["properties"][name]
            prop.pop("default", None)
            branches = [b for b in prop.pop("anyOf", []) if b.get("type") != "null"]
            if len(branches) == 1:
                prop.update(branches[0])
            elif branches:
                prop["anyOf"] = branches

    return edit


CountryCode = Annotated[str, AfterValidator(country_code)]
UtcDatetime = Annotated[datetime, AfterValidator(as_utc), PlainSerializer(lambda v: as_utc(v))]


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list: the items, how many match in all, and where the page starts."""

    items: list[T] = Field(description="The items on this page.")
    total: int = Field(
        examples=[1], description="How many items match in all, on every page.", ge=0
    )
    limit: int = Field(examples=[50], description="The page size asked for.", ge=1)
    offset: int = Field(
        examples=[0], description="How many matching items come before this page.", ge=0
    )


class SnippetPart(BaseModel):
    """A piece of a search snippet: text to show as it is, marked when the search matched it."""

    model_config = ConfigDict(from_attributes=True)

    text: str = Field(
        examples=["liquid biopsy"],
        description="A run of the passage's text, verbatim (render it as text, never as markup).",
    )
    hit: bool = Field(
        examples=[True], description="Whether this piece is a word the search matched."
    )


SNIPPET_DESCRIPTION = (
    "With `q`: the passage that shows why the item matched, in pieces in reading order, each "
    "matched word its own piece with `hit` true; about 24 words, `…` where text was cut. Empty "
    "when the searched text it is taken from is empty. Null without `q`."
)


def reference(table: str, *, ondelete: str | None = "CASCADE", **options: Any) -> Column[int]:
    """A foreign key column to `table`.id: deleting that row deletes this one by default
    (``ondelete="SET NULL"`` forgets it instead, None refuses the delete); `options` go to the
    column (nullable, index, primary_key). A function, as each table needs a column of its own."""
    return Column(Integer, ForeignKey(f"{table}.id", ondelete=ondelete), **options)


# A table's arguments for its integer `id`: SQLite hands out the largest id again once its row
# is deleted unless the table is AUTOINCREMENT, and ids outlive their rows (merge records,
# announcements already sent, links given out), so no id is ever reused. PostgreSQL's sequences
# never reuse them anyway; the option means nothing there.
IDS_NEVER_REUSED: dict[str, Any] = {"sqlite_autoincrement": True}
