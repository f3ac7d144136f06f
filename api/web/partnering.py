"""The partnering pages: writing to an organisation about a call or a draft, answering a
partner request, and the inbox.

The message form is public (what it sends needs the key, which only the page's script holds);
the inbox is private, so its fragment is fetched by the script with the key (`Authorization:
Bearer`) and rendered for that organisation by the same services as `GET /inbox`. Answers,
withdrawals and blocks go to the JSON API itself. A contact address appears only in an
accepted request, as the privacy rule in `matchmaker.partnering.contacts` has it.
"""

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.deps import ActorDep, IdPath, SessionDep, SettingsDep
from api.web.pages import PageNumber, PageOrganisation, Pager, Text, not_found_page
from api.web.templating import render
from matchmaker import calls as calls_service
from matchmaker.errors import NotFound
from matchmaker.partnering import contacts
from matchmaker.partnering import requests as partner_requests
from matchmaker.partnering.requests import require_organisation_key
from models.common import utc_now, utc_today
from models.organisation import OrganisationSummary
from models.partnering import MAX_MESSAGE, ContactStatus, Inbox, PartnerRequestStatus

router = APIRouter(include_in_schema=False)

# A page of the inbox shows this many received and this many sent, newest first.
INBOX_PAGE = 20
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
    call_id: Text = "",
    consortium_id: Text = "",
) -> HTMLResponse:
    """The form to write to an organisation about a call or your draft (sent with your key)."""
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
        },
    )


@router.get("/ui/organisations/{organisation_id}/contact/check")
def read_contact_check(
    request: Request,
    organisation_id: IdPath,
    session: SessionDep,
    actor: ActorDep,
    partner_request_id: Text = "",
) -> HTMLResponse:
    """A fragment: why the caller cannot write to this organisation now (it is the caller's
    own, or an earlier request to it still waits), or nothing when it can (needs a key)."""
    _, sender_id = require_organisation_key(actor)
    earlier = None
    if sender_id != organisation_id:
        earlier = contacts.waiting_request(
            session,
            sender_id=sender_id,
            recipient_id=organisation_id,
            partner_request_id=_id(partner_request_id),
            now=utc_now(),
        )
    return render(
        request,
        "_contact_check.html",
        {
            "own": sender_id == organisation_id,
            "waiting": contacts.still_waiting(earlier) if earlier is not None else None,
            "organisation_id": organisation_id,
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
    given one), and whom it blocks (needs a key)."""
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
    return render(
        request,
        "_inbox_panel.html",
        {
            "inbox": inbox,
            "blocks": contacts.list_blocks(session, actor=actor),
            "pager": pager,
            "status": chosen,
            "status_words": INBOX_STATUSES,
        },
        private=True,
    )
