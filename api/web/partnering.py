"""The partnering pages: writing to an organisation about a call or a draft, answering a
partner request, and the inbox.

The message form is public (what it sends needs the key, which only the page's script holds);
the inbox is private, so its fragment is fetched by the script with the key (`Authorization:
Bearer`) and rendered for that organisation by the same services as `GET /inbox`. Answers,
withdrawals and blocks go to the JSON API itself. A contact address appears only in an
accepted request, as the privacy rule in `matchmaker.partnering.contacts` has it.
"""

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.deps import ActorDep, IdPath, SessionDep, SettingsDep
from api.web.pages import Text, not_found_page
from api.web.templating import render
from matchmaker import calls as calls_service
from matchmaker import organisations as organisations_service
from matchmaker.errors import NotFound
from matchmaker.partnering import contacts
from matchmaker.partnering import requests as partner_requests
from models.common import utc_now
from models.organisation import OrganisationSummary
from models.partnering import MAX_MESSAGE, PartnerRequestStatus

router = APIRouter()

# The inbox page shows this many received and this many sent, newest first.
INBOX_SIZE = 100


def _id(value: str) -> int | None:
    """A positive id from a query parameter, or None for anything else."""
    if value.isascii() and value.isdigit() and len(value) <= 9:
        return int(value) or None
    return None


@router.get("/ui/organisations/{organisation_id}/contact")
def contact_organisation_page(
    request: Request,
    organisation_id: IdPath,
    session: SessionDep,
    settings: SettingsDep,
    call_id: Text = "",
    consortium_id: Text = "",
) -> HTMLResponse:
    """The form to write to an organisation about a call or your draft (sent with your key)."""
    try:
        organisation = organisations_service.get_organisation(
            session, organisation_id=organisation_id
        )
    except NotFound as error:
        return not_found_page(request, error)
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


@router.get("/ui/partner-requests/{request_id}/answer")
def answer_partner_request_page(
    request: Request, request_id: IdPath, session: SessionDep, settings: SettingsDep
) -> HTMLResponse:
    """The form to answer a partner request with a message to its publisher (your key)."""
    try:
        row = partner_requests.get_partner_request(session, request_id=request_id)
    except NotFound as error:
        return not_found_page(request, error)
    shown = partner_requests.to_public(*row, today=date.today())
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


@router.get("/ui/inbox")
def read_inbox_page(request: Request, settings: SettingsDep) -> HTMLResponse:
    """The inbox; its private content is loaded by the page's script with the key."""
    return render(request, "inbox.html", {"expiry_days": settings.contact_request_days})


@router.get("/ui/inbox/panel")
def read_inbox_panel(request: Request, session: SessionDep, actor: ActorDep) -> HTMLResponse:
    """A fragment: the requests the caller received and sent, and whom it blocks (needs a key)."""
    inbox = contacts.read_inbox(session, actor=actor, limit=INBOX_SIZE, offset=0, now=utc_now())
    return render(
        request,
        "_inbox_panel.html",
        {"inbox": inbox, "blocks": contacts.list_blocks(session, actor=actor)},
        private=True,
    )
