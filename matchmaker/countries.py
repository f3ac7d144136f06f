"""Countries as Horizon Europe sees them: EU Member States, Associated Countries, the rest.

Pickers list the countries that take part on equal terms first; `country_name` is the one place
that turns a code into the name people see.
"""

import unicodedata
from collections.abc import Iterable

import pycountry

from matchmaker.country_statuses import CountryStatus, StatusTable
from matchmaker.wording import and_list
from models.common import utc_today

# One source of truth: the country-status table (matchmaker/data/country_statuses.csv, each row
# with its source), read as of today. Associated Countries include those associated to one part
# only (Canada, New Zealand and the Republic of Korea to Pillar II). Kosovo's code (XK) is not in
# ISO 3166-1 but is used by the EU, so it is named here.
_TABLE = StatusTable.shipped()
EU_MEMBER_STATES = _TABLE.countries(
    CountryStatus.member_state, programme="horizon-europe", part=None, on=utc_today()
)
ASSOCIATED_COUNTRIES = _TABLE.associated_to_some_part(programme="horizon-europe", on=utc_today())
EXTRA_NAMES = {"XK": "Kosovo"}
COUNTRY_NAMES = {
    country.alpha_2: getattr(country, "common_name", None) or country.name
    for country in pycountry.countries
} | EXTRA_NAMES


def name_order(name: str) -> str:
    """A country's name as lists sort it: accents ignored ("Åland Islands" with the A's)."""
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()


def _sort_key(pair: tuple[str, str]) -> str:
    return name_order(pair[1])


def _listed(codes: frozenset[str] | set[str]) -> list[tuple[str, str]]:
    return sorted(((code, COUNTRY_NAMES[code]) for code in codes), key=_sort_key)


# (group name, [(code, name), ...]) in the order a picker lists them.
COUNTRY_GROUPS: list[tuple[str, list[tuple[str, str]]]] = [
    ("EU Member States", _listed(EU_MEMBER_STATES)),
    ("Associated Countries (Horizon Europe)", _listed(ASSOCIATED_COUNTRIES)),
    (
        "Other countries and territories",
        _listed(set(COUNTRY_NAMES) - EU_MEMBER_STATES - ASSOCIATED_COUNTRIES),
    ),
]


def country_name(code: str | None) -> str:
    """A country's English short name from its code ("South Korea" for KR), or the code."""
    if not code:
        return ""
    return COUNTRY_NAMES.get(code.upper(), code)


def country_names(codes: Iterable[str]) -> str:
    """Countries by name in a sentence, alphabetically: "France, Germany and Norway"."""
    names = sorted({country_name(code) for code in codes}, key=name_order)
    return and_list(names)
