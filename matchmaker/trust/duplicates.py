"""Which stored profiles look like another: same external id, website host or normalised name.

A profile's `name_key` and `website_host` columns hold what it is compared by; `identity`
computes both and every write of a profile stores them (`matchmaker.organisations`, the
importers), so finding duplicates is two indexed lookups, never a scan.
"""

import re
import unicodedata
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import and_, or_, select
from sqlmodel import Session, col

from models.organisation import DuplicateReason, Organisation, PossibleDuplicate

# Legal forms and filler words a name is written with or without: "Oncomark B.V." and
# "ONCOMARK" are one organisation. Only dropped at the ends of a name, so "AB Science" keeps AB
# unless it is the last word.
_LEGAL_FORMS = frozenset(
    [
        "ab",
        "ag",
        "aps",
        "as",
        "asa",
        "asbl",
        "bv",
        "co",
        "company",
        "corp",
        "corporation",
        "cvba",
        "doo",
        "eg",
        "ev",
        "gmbh",
        "gie",
        "inc",
        "kft",
        "kg",
        "llc",
        "ltd",
        "limited",
        "mbh",
        "nv",
        "oy",
        "oyj",
        "plc",
        "sa",
        "sarl",
        "sas",
        "se",
        "sl",
        "slu",
        "spa",
        "sprl",
        "srl",
        "sro",
        "ug",
        "vzw",
        "zrt",
    ]
)
_LEADING = frozenset({"the"})
# Hosts many unrelated organisations publish on: sharing one says nothing.
SHARED_HOSTS = frozenset(
    {"cordis.europa.eu", "facebook.com", "github.io", "linkedin.com", "sites.google.com"}
)
# At most this many candidates are shown: past it the name is too common to be telling.
MAX_CANDIDATES = 10


def name_key(name: str) -> str:
    """A name as compared: case, accents, punctuation and legal forms at its ends removed."""
    folded = unicodedata.normalize("NFKD", name.casefold().replace("&", " and "))
    bare = "".join(char for char in folded if not unicodedata.combining(char))
    # Dots join abbreviations (B.V., S.p.A.) before the words are split.
    words = re.findall(r"\w+", bare.replace(".", ""))
    core = list(words)
    while core and core[-1] in _LEGAL_FORMS:
        core.pop()
    while core and core[0] in _LEADING:
        core.pop(0)
    return " ".join(core or words)[:300]


def website_host(url: str | None) -> str | None:
    """The host a website is on, lower case, without `www.` (read as https:// when written
    without its scheme, as CORDIS often does); None without a usable host."""
    if not url:
        return None
    url = url.strip()
    try:
        host = urlsplit(url if "://" in url else "https://" + url).hostname
    except ValueError:
        return None
    if not host:
        return None
    host = host.rstrip(".").lower().removeprefix("www.")
    return host[:255] or None


def identity(values: dict[str, Any]) -> dict[str, Any]:
    """The derived columns for a profile's fields (`name`, `website`), for those given."""
    derived: dict[str, Any] = {}
    if "name" in values:
        derived["name_key"] = name_key(values["name"])
    if "website" in values:
        derived["website_host"] = website_host(values["website"])
    return derived


def _candidate(row: Organisation, reasons: list[DuplicateReason]) -> PossibleDuplicate:
    return PossibleDuplicate(
        id=row.id or 0,
        name=row.name,
        stakeholder_type=row.stakeholder_type,
        country=row.country,
        type_verified=row.type_verified,
        external_id=row.external_id,
        reasons=reasons,
    )


def possible_duplicates(
    session: Session,
    *,
    name: str,
    country: str,
    website: str | None,
    external_id: str | None = None,
    exclude: Iterable[int] = (),
) -> list[PossibleDuplicate]:
    """Stored profiles that look like the one described, oldest first, each with why."""
    key = name_key(name)
    host = website_host(website)
    conditions = [and_(col(Organisation.country) == country, col(Organisation.name_key) == key)]
    if host and host not in SHARED_HOSTS:
        conditions.append(col(Organisation.website_host) == host)
    if external_id:
        conditions.append(col(Organisation.external_id) == external_id)
    excluded = list(exclude)
    statement = select(Organisation).where(or_(*conditions)).order_by(col(Organisation.id))
    if excluded:
        statement = statement.where(col(Organisation.id).not_in(excluded))
    found = []
    for row in session.scalars(statement.limit(MAX_CANDIDATES)):
        reasons = []
        if external_id and row.external_id == external_id:
            reasons.append(DuplicateReason.external_id)
        if host and row.website_host == host:
            reasons.append(DuplicateReason.website)
        if row.country == country and row.name_key == key:
            reasons.append(DuplicateReason.name)
        found.append(_candidate(row, reasons))
    return found


def duplicates_of_many(
    session: Session, profiles: list[dict[str, Any]]
) -> list[list[PossibleDuplicate]]:
    """For each new profile (its column values, `name_key` and `website_host` included), the
    stored profiles it looks like: one query for the lot, as an import batch needs."""
    if not profiles:
        return []
    keys = {profile["name_key"] for profile in profiles}
    hosts = {
        profile["website_host"]
        for profile in profiles
        if profile.get("website_host") and profile["website_host"] not in SHARED_HOSTS
    }
    external_ids = {profile["external_id"] for profile in profiles if profile.get("external_id")}
    conditions = [col(Organisation.name_key).in_(keys)]
    if hosts:
        conditions.append(col(Organisation.website_host).in_(hosts))
    if external_ids:
        conditions.append(col(Organisation.external_id).in_(external_ids))
    stored = session.scalars(
        select(Organisation).where(or_(*conditions)).order_by(col(Organisation.id))
    ).all()
    found = []
    for profile in profiles:
        matches = []
        for row in stored:
            reasons = []
            if profile.get("external_id") and row.external_id == profile["external_id"]:
                reasons.append(DuplicateReason.external_id)
            if profile.get("website_host") in hosts and row.website_host == profile["website_host"]:
                reasons.append(DuplicateReason.website)
            if row.country == profile["country"] and row.name_key == profile["name_key"]:
                reasons.append(DuplicateReason.name)
            if reasons:
                matches.append(_candidate(row, reasons))
        found.append(matches[:MAX_CANDIDATES])
    return found


def lookalikes_within(
    profiles: list[dict[str, Any]],
) -> list[list[tuple[int, list[DuplicateReason]]]]:
    """For each new profile of one batch (`name_key`, `website_host` and `country` given), the
    earlier ones of the same batch it looks like, by index, each with why: the same website
    host (not a shared one), or the same normalised name in the same country."""
    by_host: dict[str, list[int]] = {}
    by_name: dict[tuple[str, str], list[int]] = {}
    found: list[list[tuple[int, list[DuplicateReason]]]] = []
    for index, profile in enumerate(profiles):
        host = profile.get("website_host")
        host = host if host and host not in SHARED_HOSTS else None
        name = (profile["country"], profile["name_key"])
        earlier: dict[int, list[DuplicateReason]] = {}
        for other in by_host.get(host, []) if host else []:
            earlier.setdefault(other, []).append(DuplicateReason.website)
        for other in by_name.get(name, []):
            earlier.setdefault(other, []).append(DuplicateReason.name)
        found.append(sorted(earlier.items())[:MAX_CANDIDATES])
        if host:
            by_host.setdefault(host, []).append(index)
        by_name.setdefault(name, []).append(index)
    return found
