"""What a matching answer shows of each organisation and call, kept in memory beside the
index and in step with it, so that suggestions and search answer while the database cannot
be reached.

Only what the answers show is kept: an organisation's name, type (and whether an admin verified
it) and country, and one listing
(title and address) of each past project, shared by every profile that lists it; every call.
"""

import sys
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from matchmaker.matching.past_projects import listed_projects
from matchmaker.matching.scoring import RankedMatch
from models.call import Call, CallStatus, call_status
from models.common import type_verified
from models.organisation import Organisation

_COLUMNS = (
    col(Organisation.id),
    col(Organisation.name),
    col(Organisation.stakeholder_type),
    col(Organisation.country),
    col(Organisation.activities),
    col(Organisation.type_verified_at),
)


@dataclass(frozen=True, slots=True)
class OrganisationCard:
    """An organisation as a suggestion shows it (`OrganisationSummary`'s fields) with the past
    projects its reasons name; read by `matchmaker.matching.explanations` like a row."""

    id: int
    name: str
    stakeholder_type: str
    country: str
    type_verified: bool | None = None
    activities: Sequence[Mapping[str, Any]] = ()
    description: str = ""
    keywords: Sequence[str] = field(default_factory=tuple)


class Directory:
    """Organisation cards and calls by id; written under the matching service's sync lock,
    read by any request thread (single dict operations, atomic in CPython)."""

    def __init__(self) -> None:
        self._organisations: dict[int, tuple[str, str, str, bool | None]] = {}
        self._projects: dict[int, Mapping[str, Any]] = {}
        self._calls: dict[int, Call] = {}

    @classmethod
    def read(cls, session: Session, calls: Iterable[Call]) -> "Directory":
        """Every organisation's card and the given calls, as the database holds them now."""
        directory = cls()
        for row in session.execute(select(*_COLUMNS)):
            directory.put_organisation(row)
        for call in calls:
            directory.put_call(call)
        return directory

    def put_organisation(self, row: Any) -> None:
        """Add or replace an organisation (a row or anything with its fields)."""
        self._organisations[int(row.id)] = (
            row.name,
            sys.intern(str(row.stakeholder_type)),
            sys.intern(row.country),
            type_verified(str(row.stakeholder_type), row.type_verified_at),
        )
        for number, activity in listed_projects(row).items():
            if number not in self._projects:
                self._projects[number] = {
                    "title": activity.get("title"),
                    "url": activity.get("url"),
                }

    def remove_organisation(self, organisation_id: int) -> None:
        """Forget an organisation (its projects stay until the next rebuild: harmless)."""
        self._organisations.pop(organisation_id, None)

    def put_call(self, call: Call) -> None:
        """Add or replace a call (a row no longer attached to a session)."""
        assert call.id is not None
        self._calls[call.id] = call

    def remove_call(self, call_id: int) -> None:
        """Forget a call."""
        self._calls.pop(call_id, None)

    def card(self, match: RankedMatch) -> OrganisationCard | None:
        """The card of a matched organisation, with the past projects its reasons name."""
        fields = self._organisations.get(match.id)
        if fields is None:
            return None
        named = {number for reason in match.reasons for number, _ in reason.projects}
        projects = tuple(self._projects[n] for n in sorted(named) if n in self._projects)
        return OrganisationCard(match.id, *fields, activities=projects)

    def call(self, call_id: int) -> Call | None:
        """A call by id, None when there is none."""
        return self._calls.get(call_id)

    def call_ids(self, statuses: Collection[CallStatus], *, today: date) -> list[int]:
        """The ids of the calls with one of the statuses as of today, sorted."""
        wanted = set(statuses)
        calls = list(self._calls.values())
        return sorted(
            call.id  # type: ignore[misc]
            for call in calls
            if call_status(call.opening_date, call.deadline, today) in wanted
        )
