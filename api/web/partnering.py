"""The partnering pages: writing to an organisation about a call or a draft, answering a
partner request, the partner requests that fit an organisation, and the inbox.

The message form is public (what it sends needs the key, which only the page's script holds);
the inbox and the fitting requests on an organisation's own profile are private, so their
fragments are fetched by the script with the key (`Authorization: Bearer`) and rendered for
that organisation by the same services as `GET /inbox` and `GET
/organisations/{id}/partner-requests`. Answers,
withdrawals and blocks go to the JSON API itself. A contact address appears only in an
accepted request, as the privacy rule in `matchmaker.partnering.contacts` has it.
"""

from collections.abc import Iterable
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from api.deps import (
    ActorDep,
    IdPath,
    MatchingDep,
    PartnerRequestIndexDep,
    SessionDep,
    SettingsDep,
)
from api.web.calls import MOST_PARTNER_REQUESTS
from api.web.pages import PageNumber, PageOrganisation, Pager, Text, not_found_page
from api.web.templating import render
from matchmaker import calls as calls_service
from matchmaker import organisations as organisations_service
from matchmaker.auth import require_organisation
from matchmaker.consortium import drafts as consortia_service
from matchmaker.errors import NotFound
from matchmaker.matching import suggestions as suggestions_service
from matchmaker.matching.service import MatchingService
from matchmaker.partnering import contacts
from matchmaker.partnering import requests as partner_requests
from matchmaker.partnering.requests import require_organisation_key
from matchmaker.repository import stored_id
from models.call import Call, CallStatus
from models.common import Id, utc_now, utc_today
from models.consortium import Consortium, ConsortiumPublic
from models.organisation import Organisation, OrganisationSummary
from models.partnering import (
    MAX_MESSAGE,
    ContactKind,
    ContactRequestPublic,
    ContactStatus,
    Inbox,
    PartnerRequestStatus,
)

router = APIRouter(include_in_schema=False)

# A message without a call first asks which call: the recipient's best-fitting calls, then up
# to this many other open or forthcoming ones.
CALLS_THAT_FIT = 8
CALL_CHOICES = 200
# An organisation's own profile lists this many of the open partner requests that fit it.
FITTING_REQUESTS = 10
# A page of the inbox shows this many received and this many sent, newest first.
INBOX_PAGE = 20
# An organisation's own profile names its newest drafts, this many, read among the newest
# DRAFTS_LISTED.
DRAFTS_ON_PROFILE = 3
DRAFTS_LISTED = 200
# The message form offers to name at most this many of the writer's drafts for the call.
DRAFTS_TO_NAME = 20
# The inbox's status filter, in the words its panel uses.
INBOX_STATUSES = {
    ContactStatus.pending: "Waiting for an answer",
    ContactStatus.accepted: "Accepted",
    ContactStatus.declined: "Declined",
    ContactStatus.withdrawn: "Withdrawn",
    ContactStatus.expired: "Expired unanswered",
}


def _id(value: str) -> int | None:
    """A positive id from a query parameter, or None for anything else."""
    if value.isascii() and value.isdigit() and len(value) <= 9:
        return int(value) or None
    return None


@router.get("/ui/organisations/{organisation_id}/contact")
def contact_organisation_page(
    request: Request,
    organisation: PageOrganisation,
    session: SessionDep,
    settings: SettingsDep,
    matching: MatchingDep,
    call_id: Text = "",
    consortium_id: Text = "",
) -> HTMLResponse:
    """The form to write to an organisation about a call or your draft (sent with your key);
    without a call, the calls to choose from first."""
    call = None
    call_number = _id(call_id)
    if call_number is not None:
        try:
            call = calls_service.get_call(session, call_id=call_number)
        except NotFound:
            call = None
    return render(
        request,
        "contact.html",
        {
            "organisation": OrganisationSummary.model_validate(organisation),
            "call": call,
            "consortium_id": _id(consortium_id) if call is not None else None,
            "partner_request": None,
            "max_message": MAX_MESSAGE,
            "expiry_days": settings.contact_request_days,
            "call_choices": _call_choices(session, matching, organisation) if call is None else {},
            "unknown_call": call is None and bool(call_id),
        },
    )


def _call_choices(
    session: Session, matching: MatchingService, organisation: Organisation
) -> dict[str, list[Call]]:
    """The calls a message to an organisation can be about, by group: those that fit it best,
    then every other open or forthcoming one, nearest deadline first."""
    today = utc_today()
    statuses = [CallStatus.open, CallStatus.forthcoming]
    fitting = [
        item.row
        for item in suggestions_service.calls_for_organisation(
            session,
            matching,
            organisation_id=stored_id(organisation),
            statuses=statuses,
            today=today,
            limit=CALLS_THAT_FIT,
        )
    ]
    others, _ = calls_service.list_calls(
        session,
        filters=calls_service.CallFilters(statuses=statuses),
        sort="deadline",
        today=today,
        limit=CALL_CHOICES,
        offset=0,
    )
    shown = {call.id for call in fitting}
    return {
        f"Calls that fit {organisation.name}": fitting,
        "Other open and forthcoming calls": [call for call in others if call.id not in shown],
    }


@router.get("/ui/organisations/{organisation_id}/contact/check")
def read_contact_check(
    request: Request,
    organisation_id: IdPath,
    session: SessionDep,
    settings: SettingsDep,
    actor: ActorDep,
    partner_request_id: Text = "",
) -> HTMLResponse:
    """A fragment: why the caller cannot write to this organisation now (it is the caller's
    own, or an earlier request to it still waits), whether a message from it waits for the
    caller's answer, whether no one from it can read a message yet, and, when someone can,
    whether it is e-mailed of one (not without a contact e-mail: it is seen on signing in);
    each of the last two with what the page says once the message is sent. Nothing when it
    can write, none waits and it is e-mailed (needs a key)."""
    _, sender_id = require_organisation_key(actor)
    recipient = organisations_service.get_organisation(session, organisation_id=organisation_id)
    earlier = theirs = None
    unread = unmailed = False
    if sender_id != organisation_id:
        unread = contacts.nobody_reads(session, recipient)
        unmailed = not unread and not recipient.contact_email
        now = utc_now()
        earlier = contacts.waiting_request(
            session,
            sender_id=sender_id,
            recipient_id=organisation_id,
            partner_request_id=_id(partner_request_id),
            now=now,
        )
        theirs = contacts.waiting_request(
            session, sender_id=organisation_id, recipient_id=sender_id, any_subject=True, now=now
        )
    return render(
        request,
        "_contact_check.html",
        {
            "own": sender_id == organisation_id,
            "waiting": contacts.still_waiting(earlier) if earlier is not None else None,
            "theirs": theirs,
            "organisation_id": organisation_id,
            "unread": unread,
            "unmailed": unmailed,
            "answer": _id(partner_request_id) is not None,
            "name": recipient.name,
            "imported": (recipient.external_id or "").startswith("cordis:"),
            "expiry_days": settings.contact_request_days,
        },
        private=True,
    )


def _newest_drafts(
    session: Session, actor: ActorDep, *, limit: int, call_id: int | None = None
) -> tuple[list[Consortium], int]:
    """The caller's `limit` newest drafts (of the call, when given), newest first, and how many
    it has: the service lists them oldest first, so the newest are its last page."""
    rows, total = consortia_service.list_consortia(
        session, actor=actor, call_id=call_id, limit=limit, offset=0
    )
    if total > limit:
        rows, _ = consortia_service.list_consortia(
            session, actor=actor, call_id=call_id, limit=limit, offset=total - limit
        )
    return rows[::-1], total


@router.get("/ui/organisations/{organisation_id}/contact/drafts")
def read_contact_drafts(
    request: Request,
    organisation: PageOrganisation,
    session: SessionDep,
    actor: ActorDep,
    call_id: Text = "",
) -> HTMLResponse:
    """A fragment for the message form: the caller's drafts for the call, newest first, to
    name one in the message (needs an organisation's key; empty without any)."""
    require_organisation_key(actor)
    call_number = _id(call_id)
    drafts: list[ConsortiumPublic] = []
    if call_number is not None:
        rows, _ = _newest_drafts(session, actor, limit=DRAFTS_TO_NAME, call_id=call_number)
        drafts = consortia_service.to_public_many(session, rows)
    return render(
        request,
        "_contact_drafts.html",
        {"drafts": drafts, "organisation": OrganisationSummary.model_validate(organisation)},
        private=True,
    )


@router.get("/ui/organisations/{organisation_id}/partner-requests")
def read_fitting_requests_panel(
    request: Request,
    organisation_id: IdPath,
    session: SessionDep,
    actor: ActorDep,
    index: PartnerRequestIndexDep,
) -> HTMLResponse:
    """A fragment for an organisation's own profile: the open partner requests it fits, best
    first, as `GET /organisations/{id}/partner-requests` ranks them, each with the
    organisation's answer or the link to answer (its own key; an admin sees them, without)."""
    principal = require_organisation(actor, organisation_id)
    organisation = organisations_service.get_organisation(session, organisation_id=organisation_id)
    now = utc_now()
    fitting = index.rank(
        session, organisation_id=organisation_id, today=now.date(), limit=FITTING_REQUESTS
    )
    may_answer = principal.organisation_id == organisation_id
    answers = (
        contacts.answers_to_partner_requests(
            session,
            sender_id=organisation_id,
            partner_request_ids=[item.request.id for item in fitting],
            now=now,
        )
        if may_answer
        else {}
    )
    return render(
        request,
        "_fitting_requests.html",
        {
            "organisation": OrganisationSummary.model_validate(organisation),
            "fitting": fitting,
            "answers": answers,
            "may_answer": may_answer,
        },
        private=True,
    )


@router.get("/ui/organisations/{organisation_id}/waiting")
def read_waiting_panel(
    request: Request, organisation_id: IdPath, session: SessionDep, actor: ActorDep
) -> HTMLResponse:
    """A fragment for an organisation's own profile, where signing in leads: how many requests
    in its inbox wait for its answer, and its drafts, newest first (its own key only)."""
    require_organisation(actor, organisation_id)
    require_organisation_key(actor)
    waiting = contacts.count_waiting(session, actor=actor, now=utc_now())
    rows, total = _newest_drafts(session, actor, limit=DRAFTS_LISTED)
    # Last changed first; of two changed at once, the older draft first.
    newest = sorted(rows, key=lambda row: (row.updated_at, -stored_id(row)), reverse=True)[
        :DRAFTS_ON_PROFILE
    ]
    identifiers = {
        call_id: calls_service.get_call(session, call_id=call_id).identifier
        for call_id in {row.call_id for row in newest}
    }
    return render(
        request,
        "_waiting.html",
        {
            "waiting": waiting,
            "drafts": [(row, identifiers[row.call_id]) for row in newest],
            "drafts_total": total,
        },
        private=True,
    )


@router.get("/ui/partner-requests/{request_id}/answer")
def answer_partner_request_page(
    request: Request, request_id: IdPath, session: SessionDep, settings: SettingsDep
) -> HTMLResponse:
    """The form to answer a partner request with a message to its publisher (your key)."""
    try:
        row = partner_requests.get_partner_request(session, request_id=request_id)
    except NotFound as error:
        return not_found_page(request, error)
    shown = partner_requests.to_public(*row, today=utc_today())
    return render(
        request,
        "contact.html",
        {
            "organisation": shown.organisation,
            "call": shown.call,
            "consortium_id": None,
            "partner_request": shown,
            "is_open": shown.status is PartnerRequestStatus.open,
            "max_message": MAX_MESSAGE,
            "expiry_days": settings.contact_request_days,
        },
    )


@router.get("/ui/partner-requests/fits")
def read_request_fits(
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    ids: Annotated[list[Id], Query(alias="id", max_length=MOST_PARTNER_REQUESTS)] = [],  # noqa: B006
) -> HTMLResponse:
    """One fragment for the partner requests a call's page lists (`?id=1&id=2`): for each the
    signed-in organisation does not fit, the note `read_request_fit` gives, in a `<template
    data-fit-for="ID">` the page's script puts beside that request's "Answer"."""
    _, organisation_id = require_organisation_key(actor)
    organisation = organisations_service.get_organisation(session, organisation_id=organisation_id)
    fits = partner_requests.fits_among(session, set(ids), organisation)
    unfit = {request_id: fit for request_id, fit in sorted(fits.items()) if not fit.fits}
    return render(request, "_request_fits.html", {"fits": unfit}, private=True)


@router.get("/ui/partner-requests/{request_id}/fit")
def read_request_fit(
    request: Request, request_id: IdPath, session: SessionDep, actor: ActorDep
) -> HTMLResponse:
    """A fragment beside a partner request's "Answer": when the signed-in organisation is not
    of a type or from a country the request seeks, that it is not and why (its own key)."""
    _, organisation_id = require_organisation_key(actor)
    sought, _, _ = partner_requests.get_partner_request(session, request_id=request_id)
    organisation = organisations_service.get_organisation(session, organisation_id=organisation_id)
    fit = partner_requests.fit_for_viewer(sought, organisation)
    return render(request, "_request_fit.html", {"fit": fit}, private=True)


def _inbox_status(value: str) -> ContactStatus | None:
    """The status to filter by, or None (all) for an empty or unknown value."""
    try:
        return ContactStatus(value) if value else None
    except ValueError:
        return None


def _inbox_url(path: str, status: ContactStatus | None, page: int) -> str:
    query = {"status": status.value} if status else {}
    if page > 1:
        query["page"] = str(page)
    return f"{path}?{urlencode(query)}" if query else path


@router.get("/ui/inbox")
def read_inbox_page(
    request: Request, settings: SettingsDep, status: Text = "", page: PageNumber = 1
) -> HTMLResponse:
    """The inbox; its private content is loaded by the page's script with the key."""
    chosen = _inbox_status(status)
    return render(
        request,
        "inbox.html",
        {
            "expiry_days": settings.contact_request_days,
            "statuses": INBOX_STATUSES,
            "status": chosen,
            "panel_url": _inbox_url("/ui/inbox/panel", chosen, page),
        },
    )


@router.get("/ui/inbox/panel")
def read_inbox_panel(
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    status: Text = "",
    page: PageNumber = 1,
) -> HTMLResponse:
    """A fragment: one page of the requests the caller received and sent (those of one status,
    given one), whom it blocks, and whether its profile gives the contact address that
    accepting shares (needs a key)."""
    _, organisation_id = require_organisation_key(actor)
    chosen = _inbox_status(status)
    statuses = [chosen] if chosen else []

    def read(number: int) -> Inbox:
        return contacts.read_inbox(
            session,
            actor=actor,
            statuses=statuses,
            limit=INBOX_PAGE,
            offset=(number - 1) * INBOX_PAGE,
            now=utc_now(),
        )

    inbox = read(page)
    pages = max(1, -(-max(inbox.received_total, inbox.sent_total) // INBOX_PAGE))
    if page > pages:  # past the end (a request withdrawn meanwhile): the last page instead
        page = pages
        inbox = read(page)
    pager = Pager(
        page=page,
        pages=pages,
        total=max(inbox.received_total, inbox.sent_total),
        first=(page - 1) * INBOX_PAGE + 1,
        last=page * INBOX_PAGE,
        previous_url=_inbox_url("/ui/inbox", chosen, page - 1) if page > 1 else None,
        next_url=_inbox_url("/ui/inbox", chosen, page + 1) if page < pages else None,
    )
    loaded: dict[int, Consortium | None] = {}  # the drafts both lists name, each read once
    return render(
        request,
        "_inbox_panel.html",
        {
            "inbox": inbox,
            "drafts_to_join": _drafts_to_join(
                session, actor, [*inbox.received, *inbox.sent], loaded
            ),
            "draft_names": _draft_names(session, actor, inbox.sent, loaded),
            "off_request": contacts.answers_off_request(session, inbox.received),
            "blocks": contacts.list_blocks(session, actor=actor),
            "pager": pager,
            "status": chosen,
            "status_words": INBOX_STATUSES,
            "organisation_id": organisation_id,
            "own_address": bool(
                organisations_service.get_organisation(
                    session, organisation_id=organisation_id
                ).contact_email
            ),
        },
        private=True,
    )


def _caller_drafts(
    session: Session,
    actor: ActorDep,
    consortium_ids: Iterable[int],
    loaded: dict[int, Consortium | None],
) -> dict[int, Consortium]:
    """The caller's drafts among `consortium_ids`, by id, those deleted since (or another
    organisation's) left out; each read once per page, `loaded` keeping what was read."""
    wanted = list(dict.fromkeys(consortium_ids))
    for consortium_id in wanted:
        if consortium_id not in loaded:
            try:
                loaded[consortium_id] = consortia_service.get_consortium(
                    session, consortium_id=consortium_id, actor=actor
                )
            except NotFound:
                loaded[consortium_id] = None
    return {i: draft for i in wanted if (draft := loaded[i]) is not None}


def _draft_names(
    session: Session,
    actor: ActorDep,
    items: list[ContactRequestPublic],
    loaded: dict[int, Consortium | None],
) -> dict[int, str]:
    """The names of the caller's drafts its sent messages name, by draft id, so that a sender
    with several drafts for a call reads which one a message named (a draft deleted meanwhile
    is left out: its link then reads "your draft" alone)."""
    ids = [item.consortium_id for item in items if item.consortium_id is not None]
    return {i: draft.name for i, draft in _caller_drafts(session, actor, ids, loaded).items()}


def _drafts_to_join(
    session: Session,
    actor: ActorDep,
    items: list[ContactRequestPublic],
    loaded: dict[int, Consortium | None],
) -> dict[int, ConsortiumPublic]:
    """For each accepted request that ties the other side to one of the caller's drafts (an
    answer to a partner request published from the draft, or a message the caller sent
    naming it), that draft, by request id, so the inbox can offer to add the other side."""
    accepted = [item for item in items if item.status is ContactStatus.accepted]
    published = partner_requests.drafts_published_from(
        session,
        {
            item.partner_request_id
            for item in accepted
            if item.direction == "received"
            and item.kind is ContactKind.interest
            and item.partner_request_id is not None
        },
    )
    draft_ids: dict[int, int] = {}
    for item in accepted:
        if item.direction == "sent" and item.consortium_id is not None:
            draft_ids[item.id] = item.consortium_id
        elif item.direction == "received" and item.partner_request_id in published:
            draft_ids[item.id] = published[item.partner_request_id]
    found = _caller_drafts(session, actor, draft_ids.values(), loaded)
    public = dict(
        zip(found, consortia_service.to_public_many(session, list(found.values())), strict=True)
    )
    return {
        request_id: public[consortium_id]
        for request_id, consortium_id in draft_ids.items()
        if consortium_id in public
    }
