"""Validation errors phrased for people: the one translation of pydantic's messages.

Pydantic words its errors for programmers ("Input should be a valid URL, relative URL without
a base"). Everything that shows a validation error to someone, the API's 422 answers and the
import reports, says it through `human_message` instead: a sentence that says what to give,
without the field's name (the caller shows that beside it).
"""

from collections.abc import Callable, Mapping
from typing import Any

from matchmaker.wording import plural
from models.call import IDENTIFIER_PATTERN

WEB_ADDRESS = "Must be a web address, such as https://example.org."
DATE = "Must be a date written YYYY-MM-DD, such as 2026-03-31."
DATE_TIME = "Must be a date and time, such as 2026-03-31T17:00:00Z."
WHOLE_NUMBER = "Must be a whole number."
NUMBER = "Must be a number."
OBJECT = 'Must be a JSON object, such as {"name": "..."}.'
FALLBACK = "Is not a valid value here."
NOT_NULL = "Must not be null; leave the field out to keep its value."
EXTRA = "Is not a field this accepts; leave it out."


def _sentence(text: str) -> str:
    """A message as a sentence: capital first letter, full stop."""
    text = text.strip()
    if not text:
        return FALLBACK
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def _characters(count: object) -> str:
    return plural(int(str(count)), "character")


def _items(count: object) -> str:
    return plural(int(str(count)), "item")


IDENTIFIER = (
    "Must start with a letter (A to Z, without accents) or a digit and hold only such letters, "
    "digits, full stops, underscores, slashes and hyphens, such as HORIZON-CL5-2022-D3-01-05."
)
CHARACTERS = "Contains characters that are not allowed here."
# Patterns whose rule can be said in words (a call's identifier, and a past project's call);
# any other says only that a character is wrong.
_PATTERNS = {IDENTIFIER_PATTERN: IDENTIFIER}


def _pattern(ctx: Mapping[str, Any]) -> str:
    return _PATTERNS.get(str(ctx.get("pattern")), CHARACTERS)


def _choices(ctx: Mapping[str, Any]) -> str:
    return f"Must be one of {ctx.get('expected', 'the values listed in the API reference')}."


def _too_short(ctx: Mapping[str, Any]) -> str:
    if str(ctx.get("min_length")) == "1":
        return "Must not be empty."
    return f"Must be at least {_characters(ctx.get('min_length', 0))} long."


def _value_error(error: Mapping[str, Any]) -> str:
    """Our validators' own words (already for people), and the email checker's."""
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    if str(error.get("msg", "")).startswith("value is not a valid email address"):
        reason = str(ctx.get("reason", "")).strip().rstrip(".")
        suffix = f" ({reason[0].lower()}{reason[1:]})." if reason else "."
        return "Must be an email address, such as name@example.org" + suffix
    return _sentence(str(ctx.get("error", error.get("msg", ""))).removeprefix("Value error, "))


# Each pydantic error type an API user or an import can meet, by its `type`; `ctx` carries the
# limits pydantic checked (max_length, ge, expected, ...).
_MESSAGES: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "missing": lambda ctx: "Is required.",
    "not_null": lambda ctx: NOT_NULL,  # models.common.refuse_null, on partial updates
    "extra_forbidden": lambda ctx: EXTRA,
    "string_type": lambda ctx: "Must be text (a JSON string).",
    "string_too_short": _too_short,
    "string_too_long": lambda ctx: f"Must be at most {_characters(ctx['max_length'])} long.",
    "string_pattern_mismatch": _pattern,
    "string_unicode": lambda ctx: "Must be text in UTF-8.",
    "int_type": lambda ctx: WHOLE_NUMBER,
    "int_parsing": lambda ctx: WHOLE_NUMBER,
    "int_from_float": lambda ctx: WHOLE_NUMBER,
    "int_parsing_size": lambda ctx: "Is too large a number.",
    "float_type": lambda ctx: NUMBER,
    "float_parsing": lambda ctx: NUMBER,
    "finite_number": lambda ctx: "Must be a finite number.",
    "bool_type": lambda ctx: "Must be true or false.",
    "bool_parsing": lambda ctx: "Must be true or false.",
    "greater_than_equal": lambda ctx: f"Must be {ctx['ge']} or more.",
    "greater_than": lambda ctx: f"Must be more than {ctx['gt']}.",
    "less_than_equal": lambda ctx: f"Must be {ctx['le']} or less.",
    "less_than": lambda ctx: f"Must be less than {ctx['lt']}.",
    "too_short": lambda ctx: f"Must have at least {_items(ctx['min_length'])}.",
    "too_long": lambda ctx: f"Must have at most {_items(ctx['max_length'])}.",
    "list_type": lambda ctx: "Must be a list (a JSON array).",
    "set_type": lambda ctx: "Must be a list (a JSON array).",
    "dict_type": lambda ctx: OBJECT,
    "model_type": lambda ctx: OBJECT,
    "model_attributes_type": lambda ctx: OBJECT,
    "enum": _choices,
    "literal_error": _choices,
    "date_type": lambda ctx: DATE,
    "date_parsing": lambda ctx: DATE,
    "date_from_datetime_parsing": lambda ctx: DATE,
    "date_from_datetime_inexact": lambda ctx: DATE,
    "datetime_type": lambda ctx: DATE_TIME,
    "datetime_parsing": lambda ctx: DATE_TIME,
    "datetime_from_date_parsing": lambda ctx: DATE_TIME,
    "timezone_aware": lambda ctx: "Must include a time zone, such as Z or +01:00.",
    "url_type": lambda ctx: WEB_ADDRESS,
    "url_parsing": lambda ctx: WEB_ADDRESS,
    "url_syntax_violation": lambda ctx: WEB_ADDRESS,
    "url_scheme": lambda ctx: "Must be a web address starting with http:// or https://.",
    "url_too_long": lambda ctx: f"Must be at most {_characters(ctx['max_length'])} long.",
}

TRANSLATED_TYPES = frozenset({*_MESSAGES, "value_error", "assertion_error"})


def human_message(error: Mapping[str, Any]) -> str:
    """One validation error (pydantic's `ErrorDetails`) as a sentence for people."""
    kind = str(error.get("type", ""))
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    if kind in ("value_error", "assertion_error"):
        return _value_error(error)
    translate = _MESSAGES.get(kind)
    if translate is None:
        return FALLBACK
    try:
        return translate(ctx)
    except (KeyError, ValueError):  # a context without the limit the wording names
        return FALLBACK


def field_path(location: tuple[Any, ...] | list[Any]) -> str:
    """Where an error is, as dotted names (`activities.0.url`, `query.limit`): the body's
    fields by their own names, parameters after where they are sent."""
    parts = [str(part) for part in location if part not in ("body", "[key]")]
    return ".".join(parts) or "body"
