"""The consortium builder: proposals for a call, and the drafts an organisation edits.

Proposals are public and rendered with the page. Drafts are private to the organisation that
owns them, so their fragments and downloads are fetched by the page's script with the key the
user signed in with (`Authorization: Bearer`, never a cookie); the services check the key
exactly as they do for the JSON API. Changes to a draft go to the JSON API itself.
"""

import csv
import io
import json
import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel
from sqlmodel import Session

from api.deps import ActorDep, IdPath, MatchingDep, SessionDep
from api.web.pages import (
    PER_PAGE,
    PageNumber,
    Text,
    find_as_typed,
    not_found_page,
    pager_for,
    valid_stakeholder_type,
)
from api.web.templating import PRIVATE_HEADERS, render
from matchmaker import calls as calls_service
from matchmaker import organisations as organisations_service
from matchmaker.auth import require_key
from matchmaker.consortium import drafts as consortia_service
from matchmaker.consortium import eligibility, proposals
from matchmaker.consortium.gaps import gaps_for_consortium
from matchmaker.countries import country_name
from matchmaker.errors import InvalidInput, NotFound
from matchmaker.partnering import contacts
from matchmaker.partnering import requests as partner_requests
from matchmaker.rules import call_context
from matchmaker.wording import (
    and_list,
    counted,
    member_role_label,
    stakeholder_label,
    stakeholder_noun,
)
from models.call import RuleSet
from models.common import Id, utc_now, utc_today
from models.consortium import ConsortiumPublic, Gaps, ProposalOut, ProposalRequest
from models.partnering import MAX_EXPERTISE, MAX_PITCH

router = APIRouter(include_in_schema=False)

ALTERNATIVES = 2
TERMS_SHOWN = 5
MAX_PINNED = 50
# A draft's panel lists its latest partner requests (a draft seldom has more than a few).
DRAFT_REQUESTS_SHOWN = 20
# The first five columns are documented and read by scripts, so they keep their codes and
# their order; the type, the country and the role in the pages' words follow, for the people it
# is sent to.
CSV_COLUMNS = (
    "organisation_id",
    "name",
    "stakeholder_type",
    "country",
    "role",
    "stakeholder_type_label",
    "country_name",
    "role_label",
)
# A spreadsheet runs a cell that starts like a formula; a leading apostrophe keeps it text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
OrganisationIds = Annotated[list[Id], Query(max_length=MAX_PINNED)]
# A builder's sidebar lists at most this many of the drafts for its call.
SIDEBAR_DRAFTS = 200
# The draft's organisation finder shows this many more at each "Show more", up to the most.
PICKER_STEP = 10
PICKER_MOST = 200
# The programme whose rules a call's rule set applies, as the pages name it.
RULE_SET_NAMES = {
    RuleSet.horizon_europe: "Horizon Europe",
    RuleSet.horizon_europe_csa: "Horizon Europe",
    RuleSet.horizon_europe_single: "Horizon Europe",
    RuleSet.ihi: "IHI",
}


class SessionInfo(BaseModel):
    """Who a key stands for, so the page can say whose drafts it shows."""

    role: str
    organisation_id: int | None
    organisation_name: str | None


@router.get("/ui/session")
def read_session(session: SessionDep, actor: ActorDep) -> JSONResponse:
    """Check the key the user pasted (401 if it stands for nobody) and say who it is."""
    principal = require_key(actor)
    name = None
    if principal.organisation_id is not None:
        name = organisations_service.get_organisation(
            session, organisation_id=principal.organisation_id
        ).name
    info = SessionInfo(
        role=str(principal.role),
        organisation_id=principal.organisation_id,
        organisation_name=name,
    )
    return JSONResponse(info.model_dump(), headers=PRIVATE_HEADERS)


def _builder_url(call_id: int) -> Callable[[Sequence[int], Sequence[int]], str]:
    def url(include: Sequence[int], exclude: Sequence[int]) -> str:
        query = [("include", i) for i in include] + [("exclude", i) for i in exclude]
        path = f"/ui/calls/{call_id}/consortium"
        return f"{path}?{urlencode(query)}" if query else path

    return url


def _both_kept_and_left_out(session: Session, ids: set[int]) -> str | None:
    """What the builder says of organisations its address both keeps and leaves out."""
    if not ids:
        return None
    names = []
    for organisation_id in sorted(ids):
        try:
            organisation = organisations_service.get_organisation(
                session, organisation_id=organisation_id
            )
            names.append(organisation.name)
        except NotFound:
            names.append(f"Organisation {organisation_id}")
    was, it = ("was", "it") if len(names) == 1 else ("were", "them")
    return (
        f"{and_list(names)} {was} both kept and left out in this page's address, so neither "
        f"holds: keep {it} or leave {it} out again below."
    )


def _member_ids(proposal: ProposalOut) -> list[int]:
    return [member.organisation.id for member in proposal.members]


@router.get("/ui/calls/{call_id}/consortium")
def read_builder_page(
    request: Request,
    call_id: IdPath,
    session: SessionDep,
    matching: MatchingDep,
    include: OrganisationIds = [],  # noqa: B006
    exclude: OrganisationIds = [],  # noqa: B006
) -> HTMLResponse:
    """The consortium proposed for a call and its alternatives, to start a draft from."""
    try:
        call = calls_service.get_call(session, call_id=call_id)
    except NotFound as missing:
        return not_found_page(request, missing)
    include, exclude = list(dict.fromkeys(include)), list(dict.fromkeys(exclude))
    # An address that both keeps and leaves out an organisation (edited by hand): neither holds
    # for it, and the page says so; the rest of the address still does.
    both = set(include) & set(exclude)
    include = [kept for kept in include if kept not in both]
    exclude = [left for left in exclude if left not in both]
    error: str | None = None
    try:
        proposed = proposals.propose_for_call(
            session,
            matching,
            call_id=call_id,
            request=ProposalRequest(include=include, exclude=exclude, alternatives=ALTERNATIVES),
        )
    except InvalidInput as invalid:
        error = invalid.detail
        include, exclude = [], []
        proposed = proposals.propose_for_call(
            session,
            matching,
            call_id=call_id,
            request=ProposalRequest(alternatives=ALTERNATIVES),
        )
    best, *others = proposed.items
    best_ids = set(_member_ids(best))
    alternatives = [
        {
            "proposal": other,
            "added": [m for m in other.members if m.organisation.id not in best_ids],
            "dropped": [
                m for m in best.members if m.organisation.id not in set(_member_ids(other))
            ],
        }
        for other in others
    ]
    excluded = []
    for organisation_id in exclude:
        try:
            excluded.append(
                organisations_service.get_organisation(session, organisation_id=organisation_id)
            )
        except NotFound:
            continue
    # Which proposed members nothing sent reaches yet, asked once for every proposal shown.
    unread = contacts.nobody_reads_among(
        session, {member.organisation.id for item in proposed.items for member in item.members}
    )
    # The programme's rules, in the words a draft's coverage checks them in.
    context = call_context(session, call)
    programme = {
        "name": RULE_SET_NAMES.get(context.rule_set, str(context.rule_set)),
        "evaluated_on": context.on,
        "rules": [
            {"rule": rule, "title": title} for rule, title in eligibility.stated_rules(context)
        ],
    }
    return render(
        request,
        "builder.html",
        {
            "call": calls_service.to_public(call, today=utc_today()),
            "programme": programme,
            "requirements": proposed.requirements,
            "best": best,
            "alternatives": alternatives,
            "include": include,
            "exclude": exclude,
            "excluded": excluded,
            "error": error,
            "kept_and_left_out": _both_kept_and_left_out(session, both),
            "terms_shown": TERMS_SHOWN,
            "builder_url": _builder_url(call_id),
            "unread": unread,
        },
    )


@router.get("/ui/drafts")
def list_drafts_page(request: Request, page: PageNumber = 1) -> HTMLResponse:
    """The signed-in organisation's drafts, a page of them (loaded by the page's script with
    its key)."""
    panel_url = f"/ui/drafts/panel?page={page}" if page > 1 else "/ui/drafts/panel"
    return render(request, "drafts.html", {"panel_url": panel_url})


def _drafts(
    session: Session, actor: ActorDep, call_id: int | None, *, limit: int, offset: int
) -> tuple[list[tuple[ConsortiumPublic, dict[str, object]]], int]:
    items, total = consortia_service.list_consortia(
        session, actor=actor, call_id=call_id, limit=limit, offset=offset
    )
    calls: dict[int, dict[str, object]] = {}
    rows = []
    for public in consortia_service.to_public_many(session, items):
        if public.call_id not in calls:
            call = calls_service.get_call(session, call_id=public.call_id)
            calls[public.call_id] = {"id": call.id, "identifier": call.identifier}
        rows.append((public, calls[public.call_id]))
    return rows, total


@router.get("/ui/drafts/panel")
def read_drafts_panel(
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    call_id: Annotated[Id | None, Query()] = None,
    page: PageNumber = 1,
) -> HTMLResponse:
    """A fragment: one page of the caller's drafts, with how many there are and links to the
    other pages, or for a builder's sidebar those for one call (needs a key); an
    administrator's key sees every organisation's, each with the organisation that owns it."""
    pager = None
    if call_id is None:
        drafts, total = _drafts(session, actor, None, limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
        pager = pager_for("/ui/drafts", {}, page=page, total=total)
        if pager.page != page:  # past the end (drafts deleted meanwhile): the last page
            drafts, total = _drafts(
                session, actor, None, limit=PER_PAGE, offset=(pager.page - 1) * PER_PAGE
            )
    else:
        drafts, _ = _drafts(session, actor, call_id, limit=SIDEBAR_DRAFTS, offset=0)
    owners: dict[int, str] = {}
    if actor is not None and actor.is_admin:
        for draft, _ in drafts:
            if draft.owner_organisation_id not in owners:
                owners[draft.owner_organisation_id] = organisations_service.get_organisation(
                    session, organisation_id=draft.owner_organisation_id
                ).name
    return render(
        request,
        "_drafts_panel.html",
        {"drafts": drafts, "call_id": call_id, "owners": owners, "pager": pager},
        private=True,
    )


@router.get("/ui/consortia/{consortium_id}")
def read_draft_page(request: Request, consortium_id: IdPath) -> HTMLResponse:
    """The draft editor; its private content is loaded by the page's script with the key."""
    return render(request, "draft.html", {"consortium_id": consortium_id})


def _departure_lacks(draft: ConsortiumPublic, gaps: Gaps) -> dict[int, str]:
    """What the draft now lacks of each stakeholder type a member that left it had, where its
    coverage shows the type missing, by the index of the most recent such departure (the
    others say nothing more): "an SME", "2 verified regulators"."""
    missing = {
        gap.stakeholder_type: gap
        for gap in gaps.requirements
        if gap.requirement == "stakeholder_type" and gap.missing
    }
    lacks: dict[int, str] = {}
    for index, departure in enumerate(draft.departures):
        gap = missing.pop(departure.stakeholder_type, None)
        if gap is None or gap.stakeholder_type is None:
            continue
        verified = "verified " if gap.verified_only else ""
        lacks[index] = counted(
            gap.missing,
            verified + stakeholder_noun(gap.stakeholder_type),
            verified + stakeholder_noun(gap.stakeholder_type, 2),
        )
    return lacks


@router.get("/ui/consortia/{consortium_id}/panel")
def read_draft_panel(
    request: Request,
    consortium_id: IdPath,
    session: SessionDep,
    matching: MatchingDep,
    actor: ActorDep,
) -> HTMLResponse:
    """A fragment: the draft's members, per requirement whether it is met and who fits, and
    the partner requests published for it."""
    consortium = consortia_service.get_consortium(session, consortium_id=consortium_id, actor=actor)
    draft = consortia_service.to_public(session, consortium)
    gaps = gaps_for_consortium(session, matching, consortium_id=consortium_id, actor=actor)
    call = calls_service.get_call(session, call_id=draft.call_id)
    today = utc_today()
    requests = partner_requests.list_draft_requests(
        session,
        consortium_id=consortium_id,
        actor=actor,
        today=today,
        limit=DRAFT_REQUESTS_SHOWN,
    )
    answers = contacts.answers_received(
        session,
        publisher_id=consortium.owner_organisation_id,
        partner_request_ids=[item.id for item in requests],
        now=utc_now(),
    )
    # Whom of the candidates nothing sent reaches yet, asked once for every list they are in.
    candidates = [candidate for gap in gaps.requirements for candidate in gap.candidates]
    if gaps.eligibility is not None:
        candidates += [c for rule in gaps.eligibility.rules for c in rule.candidates]
    unread = contacts.nobody_reads_among(
        session, {candidate.organisation.id for candidate in candidates}
    )
    return render(
        request,
        "_draft_panel.html",
        {
            "draft": draft,
            "gaps": gaps,
            "call": calls_service.to_public(call, today=today),
            "terms_shown": TERMS_SHOWN,
            "rule_set_names": {kind.value: name for kind, name in RULE_SET_NAMES.items()},
            "max_expertise": MAX_EXPERTISE,
            "max_pitch": MAX_PITCH,
            "partner_requests": requests,
            "answers": answers,
            "unread": unread,
            "departure_lacks": _departure_lacks(draft, gaps),
        },
        private=True,
    )


@router.get("/ui/consortia/{consortium_id}/organisation-picker")
def read_draft_organisation_picker(
    request: Request,
    consortium_id: IdPath,
    session: SessionDep,
    actor: ActorDep,
    q: Text = "",
    stakeholder_type: Text = "",
    shown: Annotated[int, Query(ge=PICKER_STEP, le=PICKER_MOST)] = PICKER_STEP,
) -> HTMLResponse:
    """A fragment: the first `shown` organisations whose name or expertise matches the words
    typed, of the type chosen if any, those already in the draft marked so (needs the draft's
    key)."""
    draft = _readable_draft(session, consortium_id, actor)
    q, kind = q.strip(), valid_stakeholder_type(stakeholder_type)
    items, total = find_as_typed(session, q, limit=shown, stakeholder_type=kind)
    more = min(shown + PICKER_STEP, PICKER_MOST) if total > shown < PICKER_MOST else None
    return render(
        request,
        "_organisation_picker.html",
        {
            "q": q,
            "stakeholder_type": kind,
            "items": items,
            "total": total,
            "member_ids": [member.organisation.id for member in draft.members],
            "more": more,
            "more_url": (
                f"/ui/consortia/{consortium_id}/organisation-picker?"
                + urlencode({"q": q, "stakeholder_type": kind, "shown": more})
                if more
                else None
            ),
            "first_new": shown - PICKER_STEP,
        },
        private=True,
    )


def _readable_draft(session: Session, consortium_id: int, actor: ActorDep) -> ConsortiumPublic:
    consortium = consortia_service.get_consortium(session, consortium_id=consortium_id, actor=actor)
    return consortia_service.to_public(session, consortium)


# A download's file name keeps letters, digits, ".", "_" and "-" of the draft's name; any run
# of other characters (spaces, slashes, quotes) becomes one "-". Long enough for any real name.
_UNSAFE_IN_FILENAME = re.compile(r"[^\w.-]+")
_UNSAFE_IN_ASCII_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")
FILENAME_MOST = 100
# Letters that have no accent to drop, spelled as their languages spell them without the letter.
_ASCII_SPELLING = str.maketrans(
    {
        "ß": "ss",
        "Æ": "AE",
        "æ": "ae",
        "Œ": "OE",
        "œ": "oe",
        "Ø": "O",
        "ø": "o",
        "Ł": "L",
        "ł": "l",
        "Đ": "D",
        "đ": "d",
        "Þ": "Th",
        "þ": "th",
    }
)


def _safe_stem(name: str, unsafe: re.Pattern[str]) -> str:
    return unsafe.sub("-", name)[:FILENAME_MOST].strip("-._")


def content_disposition(name: str, *, fallback: str, suffix: str) -> str:
    """An attachment named after `name` in safe characters: an ASCII `filename` (accents
    dropped; `fallback` when the name has letters ASCII cannot spell, or none) and, when the
    name has other letters, the UTF-8 `filename*` of RFC 6266 that browsers prefer."""
    stem = _safe_stem(unicodedata.normalize("NFC", name), _UNSAFE_IN_FILENAME)
    # Without its accents (combining marks), the name must be all ASCII: "Консорциум 1" would
    # otherwise be named "1".
    letters = [
        char
        for char in unicodedata.normalize("NFKD", stem.translate(_ASCII_SPELLING))
        if not unicodedata.combining(char)
    ]
    spelled = "".join(letters)
    ascii_stem = _safe_stem(spelled, _UNSAFE_IN_ASCII_FILENAME) if spelled.isascii() else ""
    header = f'attachment; filename="{ascii_stem or fallback}{suffix}"'
    if stem and stem != ascii_stem:
        header += f"; filename*=UTF-8''{quote(stem + suffix, safe='')}"
    return header


def _download(content: str, *, media_type: str, draft: ConsortiumPublic, suffix: str) -> Response:
    disposition = content_disposition(draft.name, fallback=f"consortium-{draft.id}", suffix=suffix)
    return Response(
        content,
        media_type=media_type,
        headers={**PRIVATE_HEADERS, "Content-Disposition": disposition},
    )


def _csv_cell(value: object) -> str:
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_START) else text


def _opened_without_key(request: Request, actor: ActorDep) -> bool:
    """Whether a download was opened in the browser itself, which sends no key (the tab keeps
    it for its scripts): no key, and HTML asked for, as api/errors.py tells a page from what a
    script fetches. The Download buttons ask for the file, and keep problem details."""
    return actor is None and "text/html" in request.headers.get("accept", "")


def _download_opened_page(request: Request, consortium_id: int, button: str) -> HTMLResponse:
    """The site's page, in words, for a download opened in the browser (401)."""
    response = render(
        request,
        "not_found.html",
        {
            "heading": "Download the draft from its page",
            "detail": "A draft is private: its file downloads from the draft's own page, with "
            f"the key you signed in with there. Open the draft and press “{button}”.",
            "way_on": {"href": f"/ui/consortia/{consortium_id}", "text": "Open the draft"},
        },
        status_code=401,
        private=True,
    )
    response.headers["WWW-Authenticate"] = "Bearer"
    return response


@router.get("/ui/consortia/{consortium_id}/export.csv")
def export_draft_csv(
    request: Request, consortium_id: IdPath, session: SessionDep, actor: ActorDep
) -> Response:
    """The draft's members as CSV: organisation id, name, stakeholder type, country, role, then
    the type, the country and the role as the pages word them ("Healthcare provider",
    "Germany", "Coordinator")."""
    if _opened_without_key(request, actor):
        return _download_opened_page(request, consortium_id, "Download CSV")
    draft = _readable_draft(session, consortium_id, actor)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for member in draft.members:
        organisation = member.organisation
        writer.writerow(
            [
                organisation.id,
                _csv_cell(organisation.name),
                str(organisation.stakeholder_type),
                organisation.country,
                str(member.role),
                stakeholder_label(organisation.stakeholder_type),
                country_name(organisation.country),
                member_role_label(member.role),
            ]
        )
    return _download(
        buffer.getvalue(), media_type="text/csv; charset=utf-8", draft=draft, suffix=".csv"
    )


@router.get("/ui/consortia/{consortium_id}/export.json")
def export_draft_json(
    request: Request, consortium_id: IdPath, session: SessionDep, actor: ActorDep
) -> Response:
    """The draft as the JSON API shows it (`GET /consortia/{id}`), as a file."""
    if _opened_without_key(request, actor):
        return _download_opened_page(request, consortium_id, "Download JSON")
    draft = _readable_draft(session, consortium_id, actor)
    return _download(
        json.dumps(draft.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n",
        media_type="application/json",
        draft=draft,
        suffix=".json",
    )
