"""Open partner requests ranked for an organisation, with the matching engine calls use.

Requests are indexed like calls: a `TfidfMatcher` over each request's text, queried with the
organisation's text (`matchmaker.matching.text.organisation_text`), so a request's score is the
cosine a call's would be, explained by the same shared terms and reason sentence. A request
fits when the organisation is of a type and in a country it seeks; fitting requests that share
no term with the profile follow the others, soonest closing first. A request whose publisher
blocks the organisation is left out: its answer would be refused (403).

The index is refitted when the set of open requests changes (their ids and last updates, and
the day: requests close at midnight), under a lock, and swapped in with one assignment.
Requests are few next to profiles (hundreds open at once), so a fit takes milliseconds.
"""

import hashlib
import threading
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlmodel import Session, col

from matchmaker.matching import explanations
from matchmaker.matching.scoring import explain_text
from matchmaker.matching.text import organisation_text
from matchmaker.matching.text_index import Match, TfidfMatcher
from matchmaker.organisations import get_organisation
from matchmaker.partnering.requests import closing_day, open_requests, request_fit, to_public
from models.call import Call
from models.matching import Reason
from models.organisation import Organisation
from models.partnering import OrganisationBlock, PartnerRequest, PartnerRequestMatch

SUBJECT = "the request"


def partner_request_text(request: PartnerRequest, call: Call) -> str:
    """The text a request is matched on: the call's title, the expertise sought and the pitch.

    Not the call's scope: as long as every request's, it would make all requests of one call
    alike and drown what each seeks.
    """
    return "\n".join(part for part in (call.title, request.expertise, request.pitch) if part)


@dataclass(frozen=True, slots=True)
class _Fitted:
    key: str
    matcher: TfidfMatcher | None


class PartnerRequestIndex:
    """The open partner requests of the database, indexed for ranking; one per process."""

    def __init__(self) -> None:
        self._fitted = _Fitted(key="", matcher=None)
        self._lock = threading.Lock()

    def _matcher(
        self, rows: list[tuple[PartnerRequest, Call, Organisation]], today: date
    ) -> TfidfMatcher | None:
        digest = hashlib.sha256(today.isoformat().encode())
        for request, call, _ in rows:
            digest.update(f"{request.id}:{request.updated_at}:{call.updated_at};".encode())
        key = digest.hexdigest()
        fitted = self._fitted
        if fitted.key == key:
            return fitted.matcher
        with self._lock:
            if self._fitted.key != key:
                matcher = None
                if rows:
                    matcher = TfidfMatcher().fit(
                        [request.id for request, _, _ in rows],  # type: ignore[misc]
                        [partner_request_text(request, call) for request, call, _ in rows],
                    )
                self._fitted = _Fitted(key=key, matcher=matcher)
            return self._fitted.matcher

    def rank(
        self, session: Session, *, organisation_id: int, today: date, limit: int
    ) -> list[PartnerRequestMatch]:
        """The open requests that fit an organisation's profile, best first (not its own, nor
        those of organisations that block it)."""
        organisation = get_organisation(session, organisation_id=organisation_id)
        rows = list(session.execute(open_requests(today).order_by(col(PartnerRequest.id))).all())
        matcher = self._matcher([(r, c, o) for r, c, o in rows], today)
        if matcher is None:
            return []
        by_id = {request.id: (request, call, owner) for request, call, owner in rows}
        blocking = set(
            session.scalars(
                select(col(OrganisationBlock.organisation_id)).where(
                    col(OrganisationBlock.blocked_organisation_id) == organisation_id
                )
            )
        )
        eligible = [
            request_id
            for request_id, (request, _, owner) in by_id.items()
            if owner.id != organisation_id
            and owner.id not in blocking
            and request_fit(request, organisation).fits
        ]
        text = organisation_text(organisation)
        found = matcher.query(text, k=limit, include_ids=eligible)
        if len(found) < limit:
            ranked = {match.id for match in found}
            rest = sorted(
                (request_id for request_id in eligible if request_id not in ranked),
                key=lambda i: (closing_day(by_id[i][0], by_id[i][1]) or date.max, i),
            )
            found += [Match(i, 0.0, ()) for i in rest[: limit - len(found)]]
        return [self._answer(by_id[match.id], match, today) for match in found]

    @staticmethod
    def _answer(
        row: tuple[PartnerRequest, Call, Organisation], match: Match, today: date
    ) -> PartnerRequestMatch:
        request, call, owner = row
        terms = explanations.matched_terms(match.matched_terms)
        reason = explain_text(match)
        return PartnerRequestMatch(
            request=to_public(request, call, owner, today=today),
            score=round(match.score, explanations.DIGITS),
            matched_terms=terms,
            reasons=[
                Reason(
                    signal="text_similarity",
                    value=round(reason.value, explanations.DIGITS),
                    factor=round(reason.factor, explanations.DIGITS),
                    detail=explanations.reason_sentence(
                        reason, subject=SUBJECT, terms=[term.term for term in terms]
                    ),
                )
            ],
        )
