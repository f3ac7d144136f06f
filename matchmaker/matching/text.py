"""What text each entity contributes to matching, defined once so indexing and explanation agree."""

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from models.organisation import distinct_keywords

# Keywords are the organisation's own words for its expertise; repeating them gives them more
# weight than a passing mention in a long description. Profiles are indexed with 1 + ln(tf)
# (`MATCHER_SETTINGS` in matchmaker.matching.profile_index), so 3 copies weigh 2.1x one
# mention (as 2 copies weighed 2x under the raw counts used before); CORDIS profiles have no
# keywords, so the benchmark cannot tune this one.
KEYWORD_REPEAT = 3


def strip_accents(text: str) -> str:
    """The text without its accents: "Hôpital" reads "Hopital". This is scikit-learn's
    `strip_accents_unicode`, which the analyzer applies, written out so that what folds names
    and titles (imports, the command line) starts without loading scikit-learn, 1.4 s of every
    command; a test holds the two equal."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


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
        """Past projects or publications: title, summary, year, url, role, call."""
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


_WORDS = re.compile(r"\w+")
# How many past-project titles keep their key (and, in `past_projects`, its number) at hand:
# explaining one suggestion of a call lists every past project of the organisation (up to about
# 50 for the large ones), 1,000 titles a request; the same organisations come back request
# after request.
TITLES_REMEMBERED = 1 << 13


def activity_key(activity: Mapping[str, Any]) -> str:
    """What identifies a past project across profiles, whichever way it arrived: its title
    without case, accents or punctuation ("" when the title has no word).

    Never its URL (an organisation submitting its profile rarely gives one, and a URL must not
    change a score), its role, the call it was funded under (shown, never matched), or its
    year (often missing on one side of the same project).
    """
    return title_key(str(activity.get("title") or ""))


@functools.lru_cache(maxsize=TITLES_REMEMBERED)
def title_key(title: str) -> str:
    """A past project's title without case, accents or punctuation (see `activity_key`)."""
    return " ".join(_WORDS.findall(strip_accents(title).lower()))


def distinct_activities(activities: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The activities with each past project once (its first listing); listing a project
    twice must not count twice. Activities without a key are all kept."""
    seen: set[str] = set()
    kept = []
    for activity in activities:
        key = activity_key(activity)
        if key and key in seen:
            continue
        seen.add(key)
        kept.append(activity)
    return kept


def activity_text(activity: Mapping[str, Any]) -> str:
    """One past project's or publication's text, the same for every partner: title and summary
    (never its URL, role or call, which change no score)."""
    return _join((activity.get("title"), activity.get("summary")))


def organisation_text(organisation: ProfileLike) -> str:
    """The text an organisation is matched on: name, description, keywords, activities."""
    keywords = " . ".join(distinct_keywords(organisation.keywords))
    return _join(
        (
            organisation.name,
            organisation.description,
            *([keywords] * KEYWORD_REPEAT if keywords else []),
            *(activity_text(a) for a in distinct_activities(organisation.activities)),
        )
    )


def call_text(call: CallLike) -> str:
    """The text a call is matched on: its title and scope."""
    return _join((call.title, call.description))
