"""Words for people: plural forms and stakeholder-type names, the same in every message and page.

Messages never put a plural ending in brackets or show a raw `patient_organisation`: a count
goes through `plural`, a stakeholder type through `stakeholder_label` (a heading, a badge) or
`stakeholder_noun` (inside a sentence), a name's possessive through `possessive` (never "'s"
written after a name by hand: "Denmark.'s").
"""

import math
import re
from collections.abc import Collection, Sequence
from datetime import UTC, date, datetime

from models.common import StakeholderType, as_utc
from models.consortium import Role
from models.organisation import ProjectRole

STAKEHOLDER_LABELS = {
    StakeholderType.academia: "Academia",
    StakeholderType.industry: "Industry",
    StakeholderType.sme: "SME",
    StakeholderType.patient_organisation: "Patient organisation",
    StakeholderType.regulator: "Regulator",
    StakeholderType.healthcare_provider: "Healthcare provider",
    StakeholderType.public_body: "Public body",
    StakeholderType.other: "Other",
}
# How a sentence names one member of each type, and several: "needs 2 academic partners".
STAKEHOLDER_NOUNS = {
    StakeholderType.academia: ("academic partner", "academic partners"),
    StakeholderType.industry: ("industry partner", "industry partners"),
    StakeholderType.sme: ("SME", "SMEs"),
    StakeholderType.patient_organisation: ("patient organisation", "patient organisations"),
    StakeholderType.regulator: ("regulator", "regulators"),
    StakeholderType.healthcare_provider: ("healthcare provider", "healthcare providers"),
    StakeholderType.public_body: ("public body", "public bodies"),
    StakeholderType.other: ("other partner", "other partners"),
}
# An organisation's part in a past project, as a form or a profile page says it.
PROJECT_ROLE_LABELS = {
    ProjectRole.coordinator: "Coordinator",
    ProjectRole.participant: "Participant",
    ProjectRole.associated_partner: "Associated partner",
    ProjectRole.third_party: "Third party",
}
# A member's role in a draft, as the draft's panel says it.
MEMBER_ROLE_LABELS = {Role.coordinator: "Coordinator", Role.partner: "Partner"}
# A profile's fields (`OrganisationUpdate`'s), as a sentence names them: "the city".
PROFILE_FIELD_NOUNS = {
    "name": "name",
    "stakeholder_type": "stakeholder type",
    "country": "country",
    "city": "city",
    "description": "description",
    "keywords": "keywords",
    "activities": "past projects",
    "website": "website",
    "contact_email": "contact address",
    "group": "group",
    "ihi_contributor": "IHI in-kind contributor answer",
}
_VOWELS = frozenset("aeiou")


def plural_form(singular: str) -> str:
    """The regular English plural: country → countries, match → matches, partner → partners."""
    if singular.endswith("y") and singular[-2:-1] not in _VOWELS:
        return singular[:-1] + "ies"
    if singular.endswith(("s", "x", "z", "ch", "sh")):
        return singular + "es"
    return singular + "s"


def organisations_by_id(ids: Collection[int]) -> str:
    """Organisations by id in a sentence: "organisation 7", "organisations 3, 5 and 7"."""
    numbers = [str(number) for number in sorted(ids)]
    return f"{'organisation' if len(numbers) == 1 else 'organisations'} {and_list(numbers)}"


def and_list(items: Sequence[str], *, last: str = "and") -> str:
    """Items as a sentence lists them: "A", "A and B", "A, B and C" (`last`: the word before
    the last item)."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


def or_list(items: Sequence[str]) -> str:
    """Choices as a sentence lists them: "A", "A or B", "A, B or C"."""
    return and_list(items, last="or")


def listing(names: Sequence[str], limit: int | None) -> str:
    """The names separated by commas, the first `limit` of them (all when None) and then how
    many more: "A, B and 3 more"."""
    if limit is None or len(names) <= limit:
        return ", ".join(names)
    return f"{', '.join(names[:limit])} and {len(names) - limit:,} more"


def whole_percent(share: float) -> int:
    """A share in [0, 1] as the whole number of percent it rounds to, halves up as people
    round (Python's `round` would take 2.5 to 2)."""
    return math.floor(share * 100 + 0.5)


def percent(share: float) -> str:
    """A share in [0, 1] as a whole percentage a person reads: "<1%" for a share above 0 that
    would round to 0% (it is not nothing), ">99%" for one below 1 that would round to 100%."""
    if 0 < share < 0.005:
        return "<1%"
    if 0.995 <= share < 1:
        return ">99%"
    return f"{whole_percent(share)}%"


# A score "fits closely" when its bar reads at least this: below it the bar reads "<1%", well
# under the few percent usual for a call's suggested partners (docs/matching.md, "What a score
# means"). A draft's gaps and rules say when none of their candidates reaches it, the builder
# names the required types its proposal fills below it, and a profile's "Calls that fit" puts
# the calls below it behind their count.
CLOSE_FIT = 0.01


def close_fit(score: float) -> bool:
    """Whether a score reads as a close fit: at least CLOSE_FIT as its bar rounds it, so that a
    bar reading "1%" is never called no close fit."""
    return whole_percent(score) >= whole_percent(CLOSE_FIT)


def plural(count: int, singular: str, plural: str | None = None) -> str:
    """A count with its noun: "1 country", "2 countries", "0 partners"."""
    return f"{count} {singular if count == 1 else plural or plural_form(singular)}"


def _stakeholder_type(value: str) -> StakeholderType | None:
    try:
        return StakeholderType(value)
    except ValueError:
        return None


def stakeholder_label(value: str | None) -> str:
    """A stakeholder type as a heading or badge says it: "Patient organisation"."""
    if not value:
        return ""
    kind = _stakeholder_type(value)
    return STAKEHOLDER_LABELS[kind] if kind else value.replace("_", " ").capitalize()


def member_role_label(value: str) -> str:
    """A draft member's role as the draft's panel says it: "Coordinator", "Partner"."""
    try:
        return MEMBER_ROLE_LABELS[Role(value)]
    except ValueError:
        return value.capitalize()


def stakeholder_noun(value: str, count: int = 1) -> str:
    """A stakeholder type inside a sentence, singular or plural: "patient organisations"."""
    kind = _stakeholder_type(value)
    if kind is None:
        singular = value.replace("_", " ")
        return singular if count == 1 else plural_form(singular)
    one, many = STAKEHOLDER_NOUNS[kind]
    return one if count == 1 else many


# Initial letters read with a vowel sound when an initialism is spelt out: "an SME", "an NGO".
_SPELT_WITH_VOWEL = frozenset("AEFHILMNORSX")
# Words whose first letter is not the sound they begin with: "a university", "an hour".
_SAID_WITH_CONSONANT = ("uni", "use", "usu", "eu", "one", "once")
_SAID_WITH_VOWEL = ("hour", "honest", "honour")


def with_article(noun: str, *, capital: bool = False) -> str:
    """A noun with "a" or "an" as it is said: "a patient organisation", "an academic partner",
    "an SME" (an initialism is spelt out, so its first letter's name decides); "A"/"An" to
    begin a sentence with `capital`."""
    first = noun.split(" ", 1)[0]
    word = first.lower()
    if first.isupper() and len(first) > 1:
        vowel_sound = first[0] in _SPELT_WITH_VOWEL
    elif word.startswith(_SAID_WITH_CONSONANT):
        vowel_sound = False
    else:
        vowel_sound = word[:1] in _VOWELS or word.startswith(_SAID_WITH_VOWEL)
    article = "an" if vowel_sound else "a"
    return f"{article.capitalize() if capital else article} {noun}"


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """How many of a noun, as a sentence says what is lacking: one with its article ("an
    SME", "a patient organisation"), more with their number ("2 SMEs")."""
    return with_article(singular) if count == 1 else f"{count} {plural or plural_form(singular)}"


def quoted(name: str) -> str:
    """A name someone gave (a draft's, a search's text) in double quotes, as written: never a
    Python repr, which picks its quote by the name's own quotes and escapes backslashes."""
    return f'"{name}"'


# The last word of a name when it is an initialism written with stops: "S.A.", "e.V.".
_STOPPED_INITIALISM = re.compile(r"(?:^|\s)(?:\w{1,2}\.){2,}$")


def possessive(name: str) -> str:
    """A name with its possessive ending, as every page and message writes it: "'s" after the
    name ("Karolinska Institutet's"), a bare apostrophe after a final lower-case s ("Siemens'", as
    after a plural), and a name's final full stop dropped
    before it ("Technical University of Denmark." → "Technical University of Denmark's",
    "Acme Inc." → "Acme Inc's"), except after an initialism written with stops, where the
    stop is its last letter's ("Acme S.A." → "Acme S.A.'s")."""
    name = name.rstrip()
    if name.endswith(".") and not _STOPPED_INITIALISM.search(name):
        name = name.rstrip(". ")
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def say_date(day: date, *, full_month: bool = False) -> str:
    """A date as a sentence writes it: "5 Dec 2026", or "5 December 2026" with `full_month`."""
    return f"{day.day} {day:%B %Y}" if full_month else f"{day.day} {day:%b %Y}"


def say_moment(moment: datetime) -> str:
    """A moment as a sentence writes it, in UTC to the minute: "7 Dec 2026, 05:46 UTC" (a naive
    one is read as UTC, as the database stores it)."""
    moment = as_utc(moment).astimezone(UTC)
    return f"{say_date(moment.date())}, {moment:%H:%M} UTC"


def say_age(since: datetime, now: datetime) -> str:
    """How long ago a moment was, in its largest whole unit: "less than a minute", "1 minute",
    "5 hours", "3 days"."""
    seconds = max(int((as_utc(now) - as_utc(since)).total_seconds()), 0)
    for unit, length in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= length:
            return plural(seconds // length, unit)
    return "less than a minute"
