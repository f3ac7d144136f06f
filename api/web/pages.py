"""What the pages share (the 404 page, filters read from the address, pagers, ranked
suggestions as a table shows them, organisations found as typed) and the site's own pages: the
front door, signing in, a lost key, and where forms land without a script. The calls' pages
are in `calls`, the organisations' in `organisations`.

Every page reads through the services the JSON routers call; nothing here scores, matches or
decides who may do what. The forms post to the JSON API from the browser (see `app.js`).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlmodel import Session

from api.deps import IdPath, QueryLine, SessionDep, SettingsDep
from api.web.templating import render
from matchmaker import organisations as organisations_service
from matchmaker.errors import NotFound, Unavailable
from matchmaker.matching import explanations
from matchmaker.partnering import contacts
from matchmaker.trust import freshness, history
from models.common import StakeholderType, country_code
from models.organisation import Organisation

router = APIRouter(include_in_schema=False)

PER_PAGE = 25
# A ranked list (a call's suggested partners, Find expertise) grows by its own step with each
# "Show more", up to this many.
MOST_SUGGESTIONS = 200
# Shared terms shown per suggestion.
TERMS_SHOWN = 6
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


def valid_country(value: str) -> str:
    try:
        return country_code(value) if value else ""
    except ValueError:
        return ""


def valid_date(value: str) -> date | None:
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


def pager_for(
    path: str, params: dict[str, str], *, page: int, total: int, param: str = "page"
) -> Pager:
    """Where page `page` of `total` items starts, and the links to its neighbours: `path` with
    `params` (those set) and the page number as `param` (a page holding two lists names each
    list's page apart)."""
    pages = max(1, -(-total // PER_PAGE))
    page = min(page, pages)

    def link(number: int) -> str:
        query = {key: value for key, value in params.items() if value}
        if number > 1:
            query[param] = str(number)
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


def shown_suggestions(
    found: Sequence[Any],
    *,
    shown: int,
    subject: str,
    session: Session,
    stale_after_months: int,
) -> list[dict[str, Any]]:
    """The best `shown` of ranked organisations as the suggestion table shows them: score,
    shared terms, similar past projects, evidence (what drove the score, and what put it above
    a closer match in wording among all `found`), when a stale profile was last confirmed (None
    when fresh) and whether no one reads a message sent to it yet (`contacts.nobody_reads`);
    neither is said when the database cannot be reached: the ranking itself is answered from
    memory then, and still shown."""
    lifts = explanations.lifted([item.match for item in found])[:shown]
    found = found[:shown]
    try:
        stale = freshness.stale_among(
            session, [item.row.id for item in found], months=stale_after_months
        )
        unread = contacts.nobody_reads_among(session, [item.row.id for item in found])
    except Unavailable:
        session.rollback()
        stale, unread = {}, set()
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
            "unread": item.row.id in unread,
        }
        for item, lift in zip(found, lifts, strict=True)
        for explained in [explanations.suggestion(item.row, item.match, subject=subject)]
    ]


def show_more(params: Mapping[str, str], *, ranked: int, shown: int, step: int) -> str | None:
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


def find_as_typed(
    session: Session, q: str, *, limit: int, stakeholder_type: str = "", country: str = ""
) -> tuple[list[Organisation], int]:
    """The first `limit` organisations whose name or expertise has words that begin as those
    typed (typed as one goes: every word may be the beginning of a longer one), and how many
    there are; only those of `stakeholder_type` (and from `country`) when given, every one of
    them (oldest first) for no words; none for no words and no type. The draft's "Add an
    organisation" and Find expertise without text both list a type so."""
    if not q.strip() and not stakeholder_type:
        return [], 0
    as_prefixes = " ".join(f"{word.rstrip('*')}*" for word in q.split())
    return organisations_service.list_organisations(
        session,
        stakeholder_types=[stakeholder_type] if stakeholder_type else (),
        countries=[country] if country else (),
        q=as_prefixes or None,
        limit=limit,
        offset=0,
    )


def organisation_named(session: Session, value: str) -> Organisation | None:
    """The organisation a query value such as `?registered=12` names, if it names one."""
    if not value.isdigit() or len(value) > 10:
        return None
    try:
        return organisations_service.get_organisation(session, organisation_id=int(value))
    except NotFound:
        return None


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
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    q: Text = "",
    organisation: Text = "",
) -> HTMLResponse:
    """Lost your key? Find one's organisation (by words of its name, each word or its
    beginning), then ask for a link to a new key by e-mail (the script posts to
    `POST /organisations/{id}/key-recovery`); without a contact e-mail, ask the administrators
    (`MATCHMAKER_ADMIN_CONTACT`)."""
    chosen = organisation_named(session, organisation)
    q = q.strip()
    found: list[Any] = []
    if q and chosen is None:
        # As the name comes back to mind: "rare kidney assoc" finds "... Association ...".
        found, _ = find_as_typed(session, q, limit=10)
    return render(
        request,
        "key_recovery_request.html",
        {"q": q, "found": found, "chosen": chosen, "admin_contact": settings.admin_contact},
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
    "/ui/admin/country-statuses",
)


def explain_script_needed(request: Request) -> HTMLResponse:
    """Forms send their data with a script; without one they land here, not in a URL."""
    return render(request, "script_needed.html", status_code=400)


for _action in FORM_ACTIONS:
    router.add_api_route(_action, explain_script_needed, methods=["POST"])
