"""What text each entity contributes to matching, defined once so indexing and explanation agree."""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

# Keywords are the organisation's own words for its expertise; repeating them gives them more
# weight than a passing mention in a long description. Profiles are indexed with raw term
# counts (`MATCHER_SETTINGS` in matchmaker.matching.profile_index), so 2 copies weigh 2x, as
# 3 copies did under the earlier 1 + ln(tf); CORDIS profiles have no keywords, so the
# benchmark cannot tune this one.
KEYWORD_REPEAT = 2


class ProfileLike(Protocol):
    """Anything with an organisation profile's matchable fields (read-only)."""

    @property
    def name(self) -> str:
        """The organisation's name."""
        ...

    @property
    def description(self) -> str:
        """What it says about its expertise."""
        ...

    @property
    def keywords(self) -> Sequence[str]:
        """Its own words for its expertise."""
        ...

    @property
    def activities(self) -> Sequence[Mapping[str, Any]]:
        """Past projects or publications: title, summary, year, url, role."""
        ...


class CallLike(Protocol):
    """Anything with a call's matchable fields (read-only)."""

    @property
    def title(self) -> str:
        """The call's title."""
        ...

    @property
    def description(self) -> str:
        """The call's scope."""
        ...


def _join(parts: Iterable[str | None]) -> str:
    return "\n".join(part for part in parts if part)


def activity_text(activity: Mapping[str, Any]) -> str:
    """One past project's or publication's text, the same for every partner: title and summary."""
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
