"""What text each entity contributes to matching, defined once so indexing and explanation agree."""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

# Keywords are the organisation's own words for its expertise; repeating them gives them more
# weight than a passing mention in a long description (tf is sublinear, so 3 copies ~ 2x).
KEYWORD_REPEAT = 3


class ProfileLike(Protocol):
    """Anything with an organisation profile's matchable fields."""

    name: str
    description: str
    keywords: Sequence[str]
    activities: Sequence[Mapping[str, Any]]


class CallLike(Protocol):
    """Anything with a call's matchable fields."""

    title: str
    description: str


def _join(parts: Iterable[str | None]) -> str:
    return "\n".join(part for part in parts if part)


def activity_text(activity: Mapping[str, Any]) -> str:
    """The text of one past project or publication: its title and summary."""
    return _join((activity.get("title"), activity.get("summary")))


def organisation_text(organisation: ProfileLike) -> str:
    """The text an organisation is matched on: name, description, keywords, activities."""
    keywords = " . ".join(organisation.keywords)
    return _join(
        (
            organisation.name,
            organisation.description,
            *([keywords] * KEYWORD_REPEAT if keywords else []),
            *(activity_text(activity) for activity in organisation.activities),
        )
    )


def call_text(call: CallLike) -> str:
    """The text a call is matched on: its title and scope."""
    return _join((call.title, call.description))
