"""Calls from the EU Funding & Tenders Portal's topic search: the SEDIA search API's JSON.

The portal's search screen posts to `https://api.tech.ec.europa.eu/search-api/prod/rest/search`
(`apiKey=SEDIA`) and reads `{"totalResults": N, "results": [...]}`. Each result carries its
title in `content`, its language in `language`, and a `metadata` object whose every value is
a list of strings: `identifier` (the topic code), `title`, `callIdentifier`, `status`
(`31094501` forthcoming, `31094502` open, `31094503` closed), `startDate` and `deadlineDate`
(ISO timestamps in Brussels time; several deadlines for multi-stage or cut-off topics) and
`descriptionByte` (the topic's description as HTML). docs/import.md cites where this was
learnt. A topic found in several languages is read once, from its English result.
"""

import html
import re
from collections.abc import Mapping
from typing import Any

STATUS_FORTHCOMING = "31094501"
STATUS_OPEN = "31094502"
STATUS_CLOSED = "31094503"
# Programme names by the topic code's prefix; the portal's own programme codes are opaque ids.
_PROGRAMMES = (
    ("HORIZON-JU-IHI", "IHI"),
    ("HORIZON", "Horizon Europe"),
    ("IHI", "IHI"),
    ("EU4H", "EU4Health"),
    ("DIGITAL", "Digital Europe"),
)
_BLOCK_END = re.compile(r"</(p|li|h[1-6]|div|tr)>|<br\s*/?>", re.IGNORECASE)
_BULLET = re.compile(r"<li[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")


def is_search_response(payload: Any) -> bool:
    """Whether a decoded JSON document is a page of the portal's search results."""
    return isinstance(payload, dict) and isinstance(payload.get("results"), list)


def _first(metadata: Mapping[str, Any], key: str) -> str:
    value = metadata.get(key)
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value or "").strip()


def _day(timestamp: str) -> str | None:
    """The date part of the portal's timestamps (`2024-02-21T17:00:00.000+0100`)."""
    return timestamp[:10] if re.match(r"\d{4}-\d{2}-\d{2}", timestamp) else None


def html_to_text(markup: str) -> str:
    """The text of a topic's HTML description: paragraphs and bullets kept as lines."""
    text = _BULLET.sub("• ", _BLOCK_END.sub("\n", markup))
    text = html.unescape(_TAG.sub("", text)).replace("\xa0", " ")
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def programme_of(identifier: str) -> str | None:
    """The programme a topic code belongs to, by its prefix."""
    upper = identifier.upper()
    return next((name for prefix, name in _PROGRAMMES if upper.startswith(prefix)), None)


def call_from_result(result: Mapping[str, Any]) -> dict[str, Any]:
    """A search result as the fields of a call (CallCreate's names), for the import to check."""
    metadata = result.get("metadata") or {}
    identifier = _first(metadata, "identifier")
    deadlines = sorted(
        day for value in metadata.get("deadlineDate") or [] if (day := _day(str(value))) is not None
    )
    fields: dict[str, Any] = {
        "identifier": identifier,
        "title": _first(metadata, "title") or str(result.get("content") or "").strip(),
        "programme": programme_of(identifier),
        "description": html_to_text(_first(metadata, "descriptionByte")),
        "opening_date": _day(_first(metadata, "startDate")),
        "deadline": deadlines[0] if deadlines else None,
    }
    return fields


def calls_from_search(payload: Mapping[str, Any]) -> list[Any]:
    """Each topic of a page of search results once (its English result if there is one)."""
    chosen: dict[str, Mapping[str, Any]] = {}
    unnamed: list[Any] = []
    for result in payload["results"]:
        if not isinstance(result, dict):
            unnamed.append(result)  # rejected by the import as "not a JSON object"
            continue
        identifier = _first(result.get("metadata") or {}, "identifier").upper()
        if not identifier:
            unnamed.append(call_from_result(result))
            continue
        if identifier not in chosen or result.get("language") == "en":
            chosen[identifier] = result
    return [call_from_result(result) for result in chosen.values()] + unnamed
