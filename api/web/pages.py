"""Public pages: calls with their suggestions, organisation profiles, and the forms.

Every page reads through the services the JSON routers call; nothing here scores, matches or
decides who may do what. The forms post to the JSON API from the browser (see `app.js`).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlmodel import Session

from api.deps import IdPath, MatchingDep, ProfileContext, QueryLine, SessionDep, SettingsDep
from api.web.templating import render
from matchmaker import calls as calls_service
from matchmaker import organisations as organisations_service
from matchmaker import search
from matchmaker.consortium.proposals import effective_requirements
from matchmaker.errors import NotFound, Unavailable
from matchmaker.matching import explanations
from matchmaker.matching import suggestions as suggestions_service
from matchmaker.partnering import requests as partner_requests
from matchmaker.trust import freshness, history
from models.call import CallStatus, call_status
from models.common import StakeholderType, country_code, text, utc_today
from models.organisation import Organisation, OrganisationPublic

router = APIRouter(include_in_schema=False)

PER_PAGE = 25
SUGGESTIONS = 20
# A call's page shows SUGGESTIONS more each time "Show more" is pressed (Find expertise,
# EXPERTISE_LIMIT more), up to this many.
MOST_SUGGESTIONS = 200
TERMS_SHOWN = 6
FITTING_CALLS = 8
SIMILAR = 6
# A call's page lists its newest partner requests, this many and as many more with each "Show
# more", up to the most one page lists.
PARTNER_REQUESTS = 20
MOST_PARTNER_REQUESTS = 500
# Calls are read in chunks this large to build the filter choices and apply the text search.
Text = Annotated[QueryLine, Query(max_length=200)]
PageNumber = Annotated[int, Query(ge=1, le=100_000)]


@dataclass(frozen=True)
class Survivor:
    """The profile a merged one lives on in, read before the request's session closes."""

    id: int
    name: str


def not_found_page(
    request: Request, error: NotFound, *, survivor: Survivor | None = None
) -> HTMLResponse:
    """The page for a call, organisation or draft that does not exist; for a profile merged
    into another, a link to the profile it became (the API's detail names an API path)."""
    if survivor is not None:
        context = {"heading": "Profile merged", "survivor": survivor}
        return render(request, "not_found.html", context, status_code=404)
    return render(request, "not_found.html", {"detail": error.detail}, status_code=404)


class PageNotFound(Exception):
    """A page's subject does not exist: the app answers with the 404 page (`page_not_found`).
    Panels the pages' scripts fetch raise `NotFound` instead, which stays problem details."""

    def __init__(self, error: NotFound, *, survivor: Survivor | None = None) -> None:
        super().__init__(error.detail)
        self.error = error
        self.survivor = survivor


def page_not_found(request: Request, error: Exception) -> HTMLResponse:
    """The app's handler of `PageNotFound`."""
    assert isinstance(error, PageNotFound)
    return not_found_page(request, error.error, survivor=error.survivor)


def _page_organisation(organisation_id: IdPath, session: SessionDep) -> Organisation:
    try:
        return organisations_service.get_organisation(session, organisation_id=organisation_id)
    except NotFound as error:
        raise PageNotFound(error, survivor=_survivor(session, organisation_id)) from error


def _survivor(session: Session, organisation_id: int) -> Survivor | None:
    """The profile a merged one lives on in, if it still exists."""
    survivor_id = history.merged_into(session, organisation_id=organisation_id)
    if survivor_id is None:
        return None
    try:
        found = organisations_service.get_organisation(session, organisation_id=survivor_id)
    except NotFound:
        return None
    return Survivor(id=survivor_id, name=found.name)


# The organisation a page at /ui/organisations/{organisation_id}/... is about (else the 404 page).
PageOrganisation = Annotated[Organisation, Depends(_page_organisation)]


def valid_stakeholder_type(value: str) -> str:
    """A stakeholder type as a page's filter takes it: a known one, else none ("")."""
    return value if value in {item.value for item in StakeholderType} else ""


def _country(value: str) -> str:
    try:
        return country_code(value) if value else ""
    except ValueError:
        return ""


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Pager:
    """Where a page of a list starts and the links to its neighbours."""

    page: int
    pages: int
    total: int
    first: int
    last: int
    previous_url: str | None
    next_url: str | None


def _pager(path: str, params: dict[str, str], *, page: int, total: int) -> Pager:
    pages = max(1, -(-total // PER_PAGE))
    page = min(page, pages)

    def link(number: int) -> str:
        query = {key: value for key, value in params.items() if value}
        if number > 1:
            query["page"] = str(number)
        return f"{path}?{urlencode(query)}" if query else path

    return Pager(
        page=page,
        pages=pages,
        total=total,
        first=min(total, (page - 1) * PER_PAGE + 1),
        last=min(total, page * PER_PAGE),
        previous_url=link(page - 1) if page > 1 else None,
        next_url=link(page + 1) if page < pages else None,
    )


def _shown(
    found: Sequence[Any],
    *,
    shown: int,
    subject: str,
    session: Session,
    stale_after_months: int,
) -> list[dict[str, Any]]:
    """The best `shown` of ranked organisations as the suggestion table shows them: score,
    shared terms, similar past projects, evidence (what drove the score, and what put it above
    a closer match in wording among all `found`), and when a stale profile was last confirmed
    (None when fresh, and when the database cannot be reached: the ranking itself is answered
    from memory then, and still shown)."""
    lifts = explanations.lifted([item.match for item in found])[:shown]
    found = found[:shown]
    try:
        stale = freshness.stale_among(
            session, [item.row.id for item in found], months=stale_after_months
        )
    except Unavailable:
        session.rollback()
        stale = {}
    return [
        {
            "organisation": item.row,
            "score": explained.score,
            "terms": [term.term for term in explained.matched_terms[:TERMS_SHOWN]],
            "similar": explanations.similar_projects(explained.reasons),
            "evidence": [
                *(reason.detail for reason in explained.reasons if explanations.drove(reason)),
                *([explanations.lift_sentence(lift)] if lift is not None else []),
            ],
            "last_confirmed": stale.get(item.row.id),
        }
        for item, lift in zip(found, lifts, strict=True)
        for explained in [explanations.suggestion(item.row, item.match, subject=subject)]
    ]


def _show_more(params: Mapping[str, str], *, ranked: int, shown: int, step: int) -> str | None:
    """The query string of "Show more" on a list that shows `shown` rows of a ranking asked for
    one more (`ranked` came back; `params` are the page's filters): `step` more rows, up to
    MOST_SUGGESTIONS; None where the ranking ends. One more row, not `step` more, says whether
    there are any: ranking and loading the whole next step cost about 2 ms a page (in process,
    on the CORDIS slice), to say how many it would add."""
    if ranked <= shown or shown >= MOST_SUGGESTIONS:
        return None
    query = {**params, "shown": str(min(shown + step, MOST_SUGGESTIONS))}
    return "?" + urlencode({key: value for key, value in query.items() if value})


@router.get("/")
def read_root() -> RedirectResponse:
    """Send visitors of the bare address to the list of calls."""
    return RedirectResponse("/ui/calls", status_code=303)


@router.get("/ui")
@router.get("/ui/")
def read_web_root() -> RedirectResponse:
    """The web interface starts at the list of calls."""
    return RedirectResponse("/ui/calls", status_code=303)


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
    today = utc_today()
    status = status if status in {item.value for item in CallStatus} else ""
    earliest, latest = _date(deadline_from), _date(deadline_to)
    filters = calls_service.CallFilters(
        statuses=[CallStatus(status)] if status else (),
        programmes=[programme] if programme else (),
        q=q,
        deadline_from=earliest,
        deadline_to=latest,
    )
    page = max(page, 1)
    while True:
        calls, total = calls_service.list_calls(
            session,
            filters=filters,
            sort="relevance" if q.strip() else "deadline",
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
    pager = _pager("/ui/calls", params, page=page, total=total)
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
    stakeholder_type, country = valid_stakeholder_type(stakeholder_type), _country(country)
    found, _ = suggestions_service.suggestions_for_call(
        session,
        matching,
        call_id=call_id,
        stakeholder_types=[stakeholder_type] if stakeholder_type else [],
        countries=[country] if country else [],
        limit=shown + 1,
    )
    filters = {"stakeholder_type": stakeholder_type, "country": country}
    more = _show_more(filters, ranked=len(found), shown=shown, step=SUGGESTIONS)
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
            "suggestions": _shown(
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


@router.get("/ui/organisations")
def list_organisations_page(
    request: Request,
    session: SessionDep,
    q: Text = "",
    stakeholder_type: Text = "",
    country: Text = "",
    page: PageNumber = 1,
) -> HTMLResponse:
    """Organisation profiles, searched by words, filtered by stakeholder type and country."""
    stakeholder_type, country = valid_stakeholder_type(stakeholder_type), _country(country)
    params = {"q": q.strip(), "stakeholder_type": stakeholder_type, "country": country}

    def fetch(number: int) -> tuple[list[Any], int]:
        return organisations_service.list_organisations(
            session,
            stakeholder_types=[stakeholder_type] if stakeholder_type else [],
            countries=[country] if country else [],
            q=params["q"] or None,
            limit=PER_PAGE,
            offset=(number - 1) * PER_PAGE,
        )

    items, total = fetch(page)
    pager = _pager("/ui/organisations", params, page=page, total=total)
    if pager.page != page:
        items, total = fetch(pager.page)
    return render(
        request,
        "organisations.html",
        {
            "organisations": items,
            "snippets": search.snippets(
                session,
                "organisations",
                search.Query.parse(params["q"]),
                [item.id for item in items if item.id],
            ),
            "pager": pager,
            "filters": params,
            "filtered": any(params.values()),
        },
    )


EXPERTISE_LIMIT = 25


@router.get("/ui/expertise")
def find_expertise_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    matching: MatchingDep,
    q: Annotated[str, text(5_000), Query(max_length=5_000)] = "",
    stakeholder_type: Text = "",
    country: Text = "",
    shown: Annotated[int, Query(ge=1, le=MOST_SUGGESTIONS)] = EXPERTISE_LIMIT,
) -> HTMLResponse:
    """Organisations whose expertise fits a free text, ranked by the matching engine (the best
    `shown`, EXPERTISE_LIMIT more with each "Show more")."""
    stakeholder_type, country = valid_stakeholder_type(stakeholder_type), _country(country)
    words = " ".join(q.split())
    found = (
        suggestions_service.search_organisations(
            session,
            matching,
            text=words,
            stakeholder_types=[stakeholder_type] if stakeholder_type else [],
            countries=[country] if country else [],
            limit=shown + 1,
        )
        if words
        else []
    )
    filters = {"q": q, "stakeholder_type": stakeholder_type, "country": country}
    return render(
        request,
        "expertise.html",
        {
            "suggestions": _shown(
                found,
                shown=shown,
                subject="your text",
                session=session,
                stale_after_months=settings.stale_after_months,
            ),
            "more": _show_more(filters, ranked=len(found), shown=shown, step=EXPERTISE_LIMIT),
            "filters": filters,
            "searched": bool(words),
            # Sent with nothing but spaces: say what to write rather than show nothing.
            "blank": bool(q) and not words,
        },
    )


@router.get("/ui/organisations/new")
def create_organisation_page(
    request: Request, session: SessionDep, registered: Text = ""
) -> HTMLResponse:
    """The form an organisation registers its profile with; its key is shown once after.

    Once the form is sent, the script replaces this page's history entry with
    `?registered=<id>`: going Back or Forward to it shows what was registered, with the
    profiles it looks like, instead of the filled form, which would register a second copy."""
    done = _organisation_named(session, registered)
    return render(
        request,
        "organisation_form.html",
        {
            "organisation": None,
            "registered": done,
            "duplicates": organisations_service.lookalikes(session, done) if done else [],
        },
    )


def _organisation_named(session: Session, value: str) -> Organisation | None:
    """The organisation a query value such as `?registered=12` names, if it names one."""
    if not value.isdigit() or len(value) > 10:
        return None
    try:
        return organisations_service.get_organisation(session, organisation_id=int(value))
    except NotFound:
        return None


@router.get("/ui/organisations/{organisation_id}")
def read_organisation_page(
    request: Request,
    organisation_id: IdPath,
    organisation: PageOrganisation,
    session: SessionDep,
    matching: MatchingDep,
    context: ProfileContext,
    settings: SettingsDep,
) -> HTMLResponse:
    """A public profile with the calls that fit it and the organisations most like it; its
    owner is offered to confirm it is current once that is due (`freshness.confirmation_due`)."""
    today = utc_today()
    fitting = suggestions_service.calls_for_organisation(
        session,
        matching,
        organisation_id=organisation_id,
        statuses=[CallStatus.open, CallStatus.forthcoming],
        today=today,
        limit=FITTING_CALLS,
    )
    similar = suggestions_service.similar_organisations(
        session, matching, organisation_id=organisation_id, limit=SIMILAR
    )
    return render(
        request,
        "organisation.html",
        {
            "organisation": OrganisationPublic.model_validate(organisation, context=context),
            "calls": [
                {
                    "call": fit.call,
                    "score": fit.score,
                    "terms": [term.term for term in fit.matched_terms[:TERMS_SHOWN]],
                }
                for item in fitting
                for fit in [explanations.call_match(item.row, item.match, today=today)]
            ],
            "similar": [{"organisation": item.row, "score": item.match.score} for item in similar],
            "confirmation_due": freshness.confirmation_due(
                organisation.confirmed_at, remind_after_months=settings.confirm_reminder_months
            ),
        },
    )


@router.get("/ui/organisations/{organisation_id}/edit")
def update_organisation_page(
    request: Request, organisation: PageOrganisation, context: ProfileContext
) -> HTMLResponse:
    """The form an organisation edits its own profile with, signed in with its key."""
    return render(
        request,
        "organisation_form.html",
        {"organisation": OrganisationPublic.model_validate(organisation, context=context)},
    )


@router.get("/ui/organisation-picker")
def list_organisation_picker(request: Request, session: SessionDep, q: Text = "") -> HTMLResponse:
    """A fragment: organisations with words that begin as those typed, to add to a draft."""
    q = q.strip()
    items, total = find_as_typed(session, q, limit=10)
    return render(request, "_organisation_picker.html", {"q": q, "items": items, "total": total})


def find_as_typed(
    session: Session, q: str, *, limit: int, stakeholder_type: str = ""
) -> tuple[list[Organisation], int]:
    """The first `limit` organisations whose name or expertise has words that begin as those
    typed (typed as one goes: every word may be the beginning of a longer one), and how many
    there are; only those of `stakeholder_type` when given, every one of them (oldest first)
    for no words; none for no words and no type."""
    if not q.strip() and not stakeholder_type:
        return [], 0
    as_prefixes = " ".join(f"{word.rstrip('*')}*" for word in q.split())
    return organisations_service.list_organisations(
        session,
        stakeholder_types=[stakeholder_type] if stakeholder_type else (),
        q=as_prefixes or None,
        limit=limit,
        offset=0,
    )


@router.get("/ui/sign-in")
def sign_in_page(
    request: Request,
    _next: Annotated[str, Query(alias="next", max_length=2_000)] = "",
) -> HTMLResponse:
    """Where a user gives the organisation key this browser tab then sends with its requests;
    `next`, the page to go back to after, is read by the page's script."""
    return render(request, "sign_in.html")


@router.get("/ui/key-recovery")
def request_key_recovery_page(
    request: Request, session: SessionDep, q: Text = "", organisation: Text = ""
) -> HTMLResponse:
    """Lost your key? Find one's organisation (by words of its name, each word or its
    beginning), then ask for a link to a new key by e-mail (the script posts to
    `POST /organisations/{id}/key-recovery`)."""
    chosen = _organisation_named(session, organisation)
    q = q.strip()
    found: list[Any] = []
    if q and chosen is None:
        # As the name comes back to mind: "rare kidney assoc" finds "... Association ...".
        found, _ = find_as_typed(session, q, limit=10)
    return render(
        request,
        "key_recovery_request.html",
        {"q": q, "found": found, "chosen": chosen},
    )


# Where the pages' forms post when no script sends them (tests check every form is here). Only
# these: a catch-all POST route would make every unknown page a 405 instead of a 404.
FORM_ACTIONS = (
    "/ui/drafts",
    "/ui/organisations/{organisation_id}/contact",
    "/ui/sign-in",
    "/ui/key-recovery",
    "/ui/organisations/new",
    "/ui/organisations/{organisation_id}/edit",
    "/ui/organisations/{organisation_id}/confirm",
    "/ui/organisations/{organisation_id}/claim",
    "/ui/organisation-picker",
    "/ui/saved-searches",
)


def explain_script_needed(request: Request) -> HTMLResponse:
    """Forms send their data with a script; without one they land here, not in a URL."""
    return render(request, "script_needed.html", status_code=400)


for _action in FORM_ACTIONS:
    router.add_api_route(_action, explain_script_needed, methods=["POST"])
