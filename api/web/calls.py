"""The calls' pages: the list of calls (searched and filtered) and a call with its suggested
partners and partner requests."""

from dataclasses import replace
from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from api.deps import IdPath, MatchingDep, SessionDep, SettingsDep
from api.web.pages import (
    MOST_SUGGESTIONS,
    PER_PAGE,
    PageNumber,
    Text,
    not_found_page,
    pager_for,
    show_more,
    shown_suggestions,
    valid_country,
    valid_date,
    valid_stakeholder_type,
)
from api.web.templating import render
from matchmaker import calls as calls_service
from matchmaker import search
from matchmaker.consortium.proposals import effective_requirements
from matchmaker.errors import NotFound
from matchmaker.matching import suggestions as suggestions_service
from matchmaker.partnering import requests as partner_requests
from models.call import CallStatus, call_status
from models.common import utc_now, utc_today

router = APIRouter(include_in_schema=False)

# Suggested partners shown on a call's page, and as many more with each "Show more".
SUGGESTIONS = 20
# A call's page lists its newest partner requests, this many and as many more with each "Show
# more", up to the most one page lists.
PARTNER_REQUESTS = 20
MOST_PARTNER_REQUESTS = 500

# A search of several words that found no call tries at most this many of them alone.
_WORDS_TRIED = 6


def _fewer_words(
    session: Session, filters: calls_service.CallFilters, params: dict[str, str], today: date
) -> list[tuple[str, int, str]]:
    """For a search of several words that found no call (each word must appear): each word
    alone that finds calls under the same filters, with how many and the page's address."""
    terms = search.Query.parse(filters.q or "").terms
    if len(terms) < 2:
        return []
    found = []
    for term in terms[:_WORDS_TRIED]:
        typed = term.typed()
        _, total = calls_service.list_calls(
            session, filters=replace(filters, q=typed), today=today, limit=1, offset=0
        )
        if total:
            kept = {name: value for name, value in (params | {"q": typed}).items() if value}
            found.append((typed, total, "/ui/calls?" + urlencode(kept)))
    return found


@router.get("/ui/calls")
def list_calls_page(
    request: Request,
    session: SessionDep,
    q: Text = "",
    programme: Text = "",
    status: Text = "",
    deadline_from: Text = "",
    deadline_to: Text = "",
    page: PageNumber = 1,
) -> HTMLResponse:
    """Calls for proposals, searched by words and filtered by programme, status and deadline."""
    # Read before the list, so that a call stored while it is read is new at the next visit
    # (the page's script remembers this moment, by the server's clock, as when it last showed
    # the list).
    shown_at = utc_now()
    today = utc_today()
    status = status if status in {item.value for item in CallStatus} else ""
    earliest, latest = valid_date(deadline_from), valid_date(deadline_to)
    searched = search.words_searched(q) or ""
    filters = calls_service.CallFilters(
        statuses=[CallStatus(status)] if status else (),
        programmes=[programme] if programme else (),
        q=searched,
        deadline_from=earliest,
        deadline_to=latest,
    )
    page = max(page, 1)
    while True:
        calls, total = calls_service.list_calls(
            session,
            filters=filters,
            sort="relevance" if searched else "deadline",
            today=today,
            limit=PER_PAGE,
            offset=(page - 1) * PER_PAGE,
        )
        if calls or page == 1 or not total:
            break
        page = -(-total // PER_PAGE)  # past the end: show the last page instead
    found = [(call, call_status(call.opening_date, call.deadline, today)) for call in calls]
    params = {
        "q": q,
        "programme": programme,
        "status": status,
        "deadline_from": earliest.isoformat() if earliest else "",
        "deadline_to": latest.isoformat() if latest else "",
    }
    pager = pager_for("/ui/calls", params, page=page, total=total)
    # Dates typed the wrong way round find nothing: the page says so and offers them swapped.
    backwards = earliest is not None and latest is not None and latest < earliest
    swapped = params | {
        "deadline_from": params["deadline_to"],
        "deadline_to": params["deadline_from"],
    }
    # The API's list of the same calls, which the script asks how many are new.
    api_params = {name: value for name, value in (params | {"q": searched}).items() if value}
    api_params["limit"] = "1"
    return render(
        request,
        "calls.html",
        {
            "calls": found,
            "snippets": search.snippets(
                session, "calls", search.Query.parse(q), [call.id for call in calls if call.id]
            ),
            "pager": pager,
            "filters": params,
            "programmes": calls_service.list_programmes(session),
            "statuses": [item.value for item in CallStatus],
            "filtered": any(params.values()),
            "fewer_words": [] if total else _fewer_words(session, filters, params, today),
            "words_typed": len(search.Query.parse(q).terms),
            "wordless": bool(q.strip()) and not searched,
            "shown_at": shown_at,
            "same_calls_url": "/calls?" + urlencode(api_params),
            "earliest": earliest,
            "latest": latest,
            "swapped_url": (
                "/ui/calls?" + urlencode({name: value for name, value in swapped.items() if value})
                if backwards
                else ""
            ),
        },
    )


@router.get("/ui/calls/{call_id}")
def read_call_page(
    request: Request,
    call_id: IdPath,
    session: SessionDep,
    settings: SettingsDep,
    matching: MatchingDep,
    stakeholder_type: Text = "",
    country: Text = "",
    shown: Annotated[int, Query(ge=1, le=MOST_SUGGESTIONS)] = SUGGESTIONS,
    requests: Annotated[int, Query(ge=1, le=MOST_PARTNER_REQUESTS)] = PARTNER_REQUESTS,
) -> HTMLResponse:
    """A call with its requirements and the organisations that fit it best, with why (the
    best `shown`, SUGGESTIONS more with each "Show more"), and the newest `requests` of its
    partner requests (PARTNER_REQUESTS more with each of their "Show more")."""
    try:
        call = calls_service.get_call(session, call_id=call_id)
    except NotFound as error:
        return not_found_page(request, error)
    stakeholder_type, country = valid_stakeholder_type(stakeholder_type), valid_country(country)
    found, _ = suggestions_service.suggestions_for_call(
        session,
        matching,
        call_id=call_id,
        stakeholder_types=[stakeholder_type] if stakeholder_type else [],
        countries=[country] if country else [],
        limit=shown + 1,
    )
    filters = {"stakeholder_type": stakeholder_type, "country": country}
    more = show_more(filters, ranked=len(found), shown=shown, step=SUGGESTIONS)
    today = utc_today()
    sought, sought_total = partner_requests.list_call_requests(
        session, call_id=call_id, today=today, limit=requests, offset=0
    )
    more_requests = None
    if sought_total > len(sought) and requests < MOST_PARTNER_REQUESTS:
        query = {
            **filters,
            "shown": str(shown) if shown != SUGGESTIONS else "",
            "requests": str(min(requests + PARTNER_REQUESTS, MOST_PARTNER_REQUESTS)),
        }
        more_requests = "?" + urlencode({key: value for key, value in query.items() if value})
    return render(
        request,
        "call.html",
        {
            "call": calls_service.to_public(call, today=today),
            "requirements": effective_requirements(call),
            "suggestions": shown_suggestions(
                found,
                shown=shown,
                subject="the call",
                session=session,
                stale_after_months=settings.stale_after_months,
            ),
            "filters": filters,
            "more": more,
            "partner_requests": [partner_requests.to_public(*row, today=today) for row in sought],
            "partner_requests_total": sought_total,
            "more_requests": more_requests,
            "requests_step": PARTNER_REQUESTS,
        },
    )
