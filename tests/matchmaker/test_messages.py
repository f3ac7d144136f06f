"""Validation errors read as sentences for people, whichever pydantic error type they are."""

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

import pytest
from pydantic import AnyHttpUrl, AwareDatetime, BaseModel, EmailStr, Field, ValidationError

from matchmaker.messages import (
    CHARACTERS,
    FALLBACK,
    IDENTIFIER,
    TRANSLATED_TYPES,
    field_path,
    human_message,
)
from models.call import Identifier
from models.common import CountryCode, line


class Colour(StrEnum):
    """An enum for the test model."""

    red = "red"
    blue = "blue"


class Everything(BaseModel):
    """One field per kind of check the API's schemas make."""

    model_config = {"extra": "forbid"}

    name: Annotated[str, line(10, min_length=1)] = "x"
    code: Annotated[str, Field(pattern=r"^[A-Z]+$")] = "A"
    identifier: Identifier = "IHI-2023-05-02"
    count: Annotated[int, Field(ge=1, le=5)] = 1
    ratio: float = 0.5
    flag: bool = False
    day: date = date(2026, 1, 1)
    moment: AwareDatetime = datetime.fromisoformat("2026-01-01T00:00:00+00:00")
    colour: Colour = Colour.red
    mode: Literal["a", "b"] = "a"
    tags: Annotated[list[str], Field(max_length=2)] = []
    parts: Annotated[list[int], Field(min_length=1)] = [1]
    mapping: dict[str, int] = {}
    website: AnyHttpUrl | None = None
    email: EmailStr | None = None
    country: CountryCode = "NL"
    required: int


CASES: list[tuple[dict[str, Any], str, str]] = [
    ({}, "required", "Is required."),
    (
        {"unknown": 1},
        "unknown",
        "Is not a field this accepts; leave it out.",
    ),
    ({"name": ""}, "name", "Must not be empty."),
    ({"name": "x" * 11}, "name", "Must be at most 10 characters long."),
    ({"name": 5}, "name", "Must be text (a JSON string)."),
    ({"name": "a\x00"}, "name", "Must not contain control characters."),
    ({"code": "a1"}, "code", CHARACTERS),
    ({"identifier": "IHI 2023"}, "identifier", IDENTIFIER),
    ({"identifier": "-IHI"}, "identifier", IDENTIFIER),
    ({"count": "many"}, "count", "Must be a whole number."),
    ({"count": 1.5}, "count", "Must be a whole number."),
    ({"count": 0}, "count", "Must be 1 or more."),
    ({"count": 9}, "count", "Must be 5 or less."),
    ({"ratio": "half"}, "ratio", "Must be a number."),
    ({"flag": "perhaps"}, "flag", "Must be true or false."),
    ({"day": "soon"}, "day", "Must be a date written YYYY-MM-DD, such as 2026-03-31."),
    ({"moment": "later"}, "moment", "Must be a date and time, such as 2026-03-31T17:00:00Z."),
    ({"moment": "2026-01-01T00:00:00"}, "moment", "Must include a time zone, such as Z or +01:00."),
    ({"colour": "green"}, "colour", "Must be one of 'red' or 'blue'."),
    ({"mode": "c"}, "mode", "Must be one of 'a' or 'b'."),
    ({"tags": ["a", "b", "c"]}, "tags", "Must have at most 2 items."),
    ({"tags": "a"}, "tags", "Must be a list (a JSON array)."),
    ({"parts": []}, "parts", "Must have at least 1 item."),
    ({"mapping": []}, "mapping", 'Must be a JSON object, such as {"name": "..."}.'),
    ({"website": "not a url"}, "website", "Must be a web address, such as https://example.org."),
    (
        {"website": "ftp://files.example"},
        "website",
        "Must be a web address starting with http:// or https://.",
    ),
    (
        {"email": "nobody"},
        "email",
        "Must be an email address, such as name@example.org (an "
        "email address must have an @-sign).",
    ),
    (
        {"country": "ZZ"},
        "country",
        "'ZZ' is not a country code: give the two-letter ISO 3166-1 code, such as DE.",
    ),
]
PYDANTIC_WORDING = ("Input should", "String should", "Value error", "relative URL", "List should")


@pytest.mark.parametrize(("data", "field", "message"), CASES, ids=[c[1] for c in CASES])
def test_validation_messages_are_phrased_for_people(
    data: dict[str, Any], field: str, message: str
) -> None:
    """Each common pydantic error type becomes its sentence, never pydantic's own words."""
    with pytest.raises(ValidationError) as raised:
        Everything.model_validate(data if field == "required" else {"required": 1, **data})
    errors = {field_path(error["loc"]): error for error in raised.value.errors()}
    assert errors[field]["type"] in TRANSLATED_TYPES
    translated = human_message(errors[field])
    assert translated == message
    assert not any(phrase in translated for phrase in PYDANTIC_WORDING)


def test_an_unknown_error_type_gets_a_plain_sentence_not_pydantic_words() -> None:
    """A type the table does not know yet says little rather than something for programmers."""
    error = {"type": "uuid_parsing", "loc": ("id",), "msg": "Input should be a valid UUID"}
    assert human_message(error) == FALLBACK
