"""From suggestion to conversation over HTTP: partner requests, interest, contact, the inbox.

Contact addresses are never part of these answers until a request is accepted, and then only
in that request, for its two parties (matchmaker.partnering.contacts).
"""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from api.deps import (
    UNVERSIONED_412,
    ActorDep,
    IdPath,
    IfMatch,
    Limit,
    MatchLimit,
    MatchOffset,
    Offset,
    PartnerRequestIndexDep,
    SessionDep,
    SettingsDep,
    WriterDep,
    paginated,
)
from api.errors import problem_responses
from api.openapi import PUBLIC, created_at_location, security
from matchmaker.partnering import contacts, requests
from models.apikey import KeyRole
from models.common import Page, utc_now, utc_today
from models.partnering import (
    BlockCreate,
    BlockPublic,
    ContactRequestCreate,
    ContactRequestPublic,
    ContactStatus,
    DraftPartnerRequestCreate,
    Inbox,
    InboxWaiting,
    InterestCreate,
    PartnerRequestCreate,
    PartnerRequestMatches,
    PartnerRequestPublic,
)

router = APIRouter(tags=["partnering"])
ORGANISATION_KEY = security(KeyRole.organisation)


@router.post(
    "/calls/{call_id}/partner-requests",
    openapi_extra=ORGANISATION_KEY,
    status_code=status.HTTP_201_CREATED,
    response_model=PartnerRequestPublic,
    responses={**problem_responses(401, 403, 404, 409, 413, 422, 429), **created_at_location()},
)
def create_partner_request(
    call_id: IdPath,
    data: PartnerRequestCreate,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
    actor: WriterDep,
) -> PartnerRequestPublic:
    """Publish what partners your organisation seeks for a call (your organisation's key).

    Open until the call's deadline or an earlier `closes_on`; your contact address is not part
    of it. An organisation has at most `MATCHMAKER_MAX_OPEN_PARTNER_REQUESTS` open at once, and
    a draft (`consortium_id`) at most one: another while it is open is refused (409).
    """
    today = utc_today()
    row, call, organisation = requests.create_partner_request(
        session,
        call_id=call_id,
        data=data,
        actor=actor,
        max_open=settings.max_open_partner_requests,
        today=today,
    )
    response.headers["Location"] = f"/partner-requests/{row.id}"
    return requests.to_public(row, call, organisation, today=today)


@router.post(
    "/consortia/{consortium_id}/partner-requests",
    openapi_extra=ORGANISATION_KEY,
    status_code=status.HTTP_201_CREATED,
    response_model=PartnerRequestPublic,
    responses={**problem_responses(401, 403, 404, 409, 413, 422, 429), **created_at_location()},
)
def publish_draft_gaps(
    consortium_id: IdPath,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
    actor: WriterDep,
    data: DraftPartnerRequestCreate | None = None,
) -> PartnerRequestPublic:
    """Publish your draft's gaps as a partner request for its call, in one step (your key).

    The request seeks the stakeholder types the call requires and the draft still lacks, and is
    tied to the draft (which only you see); 409 when the draft lacks no type, or already has an
    open request (withdraw it first). The body, all optional, adds countries, expertise, a pitch
    and `closes_on`, as for `POST /calls/{id}/partner-requests`, whose limits apply. Deleting the
    draft withdraws its requests.
    """
    today = utc_today()
    row, call, organisation = requests.publish_draft_gaps(
        session,
        consortium_id=consortium_id,
        data=data or DraftPartnerRequestCreate(),
        actor=actor,
        max_open=settings.max_open_partner_requests,
        today=today,
    )
    response.headers["Location"] = f"/partner-requests/{row.id}"
    return requests.to_public(row, call, organisation, today=today)


@router.get(
    "/calls/{call_id}/partner-requests",
    openapi_extra=PUBLIC,
    response_model=Page[PartnerRequestPublic],
    responses=problem_responses(404, 422),
)
def list_call_partner_requests(
    request: Request,
    response: Response,
    call_id: IdPath,
    session: SessionDep,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[PartnerRequestPublic]:
    """A call's open partner requests, newest first."""
    today = utc_today()
    found = requests.list_call_requests(
        session, call_id=call_id, today=today, limit=limit, offset=offset
    )
    return paginated(
        request,
        response,
        found,
        lambda row: requests.to_public(*row, today=today),
        limit=limit,
        offset=offset,
    )


@router.get(
    "/partner-requests/{request_id}",
    openapi_extra=PUBLIC,
    response_model=PartnerRequestPublic,
    responses=problem_responses(404, 422),
)
def read_partner_request(request_id: IdPath, session: SessionDep) -> PartnerRequestPublic:
    """One partner request, open, closed or withdrawn."""
    row = requests.get_partner_request(session, request_id=request_id)
    return requests.to_public(*row, today=utc_today())


@router.delete(
    "/partner-requests/{request_id}",
    openapi_extra=ORGANISATION_KEY,
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 412, 429, when=UNVERSIONED_412),
)
def withdraw_partner_request(
    request_id: IdPath, session: SessionDep, actor: WriterDep, if_match: IfMatch
) -> None:
    """Withdraw your partner request: it is no longer listed or answerable."""
    requests.withdraw_partner_request(
        session, request_id=request_id, actor=actor, expected_version=if_match
    )


@router.get(
    "/organisations/{organisation_id}/partner-requests",
    openapi_extra=PUBLIC,
    response_model=PartnerRequestMatches,
    responses=problem_responses(404, 422),
)
def list_organisation_partner_requests(
    organisation_id: IdPath,
    index: PartnerRequestIndexDep,
    session: SessionDep,
    limit: MatchLimit = 20,
    offset: MatchOffset = 0,
) -> PartnerRequestMatches:
    """The open partner requests this organisation fits, best first, with why.

    A request fits an organisation of a type and in a country it seeks; they are ranked by the
    similarity of the profile's text with the request's (the call's title, the expertise
    sought and the pitch), as calls are for `/organisations/{id}/calls`; those sharing no term
    come last, soonest closing first. The organisation's own requests are left out. `offset`
    pages through the ranking, as for fitting calls.
    """
    items = index.rank(
        session, organisation_id=organisation_id, today=utc_today(), limit=offset + limit
    )
    return PartnerRequestMatches(items=items[offset:])


@router.post(
    "/partner-requests/{request_id}/interest",
    openapi_extra=ORGANISATION_KEY,
    status_code=status.HTTP_201_CREATED,
    response_model=ContactRequestPublic,
    responses={**problem_responses(401, 403, 404, 409, 413, 422, 429), **created_at_location()},
)
def express_interest(
    request_id: IdPath,
    data: InterestCreate,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
    actor: WriterDep,
) -> ContactRequestPublic:
    """Answer a partner request with a plain-text message to its publisher (your key).

    The publisher accepts or declines it in its inbox; only on acceptance do both of you see
    each other's contact address. Unanswered, it expires after
    `MATCHMAKER_CONTACT_REQUEST_DAYS` days. An organisation has at most
    `MATCHMAKER_MAX_OPEN_CONTACT_REQUESTS` requests waiting for an answer at once, and one
    expression of interest waiting per partner request (409 past either); an organisation
    that blocks yours is 403. An organisation that is not of a type or from a country the
    request seeks may answer all the same (the publisher decides; the web form says first
    why it does not fit): `GET /organisations/{id}/partner-requests` lists those it fits.
    """
    now = utc_now()
    row = contacts.express_interest(
        session,
        partner_request_id=request_id,
        data=data,
        actor=actor,
        expiry_days=settings.contact_request_days,
        max_open=settings.max_open_contact_requests,
        base_url=settings.public_base_url,
        now=now,
    )
    response.headers["Location"] = f"/contact-requests/{row.id}"
    return contacts.present(session, [row], viewer_id=row.sender_organisation_id, now=now)[0]


@router.post(
    "/organisations/{organisation_id}/contact-requests",
    openapi_extra=ORGANISATION_KEY,
    status_code=status.HTTP_201_CREATED,
    response_model=ContactRequestPublic,
    responses={**problem_responses(401, 403, 404, 409, 413, 422, 429), **created_at_location()},
)
def create_contact_request(
    organisation_id: IdPath,
    data: ContactRequestCreate,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
    actor: WriterDep,
) -> ContactRequestPublic:
    """Write to an organisation (a suggested partner, say) about a call or your draft.

    The recipient accepts or declines it in its inbox; only on acceptance do both of you see
    each other's contact address. Unanswered, it expires after
    `MATCHMAKER_CONTACT_REQUEST_DAYS` days. An organisation has at most
    `MATCHMAKER_MAX_OPEN_CONTACT_REQUESTS` requests waiting for an answer at once, and one
    contact request waiting per recipient, whatever its call (409 past either); an
    organisation that blocks yours is 403.
    """
    now = utc_now()
    row = contacts.contact_organisation(
        session,
        organisation_id=organisation_id,
        data=data,
        actor=actor,
        expiry_days=settings.contact_request_days,
        max_open=settings.max_open_contact_requests,
        base_url=settings.public_base_url,
        now=now,
    )
    response.headers["Location"] = f"/contact-requests/{row.id}"
    return contacts.present(session, [row], viewer_id=row.sender_organisation_id, now=now)[0]


@router.get(
    "/inbox",
    openapi_extra=ORGANISATION_KEY,
    response_model=Inbox,
    responses=problem_responses(401, 403, 422),
)
def read_inbox(
    session: SessionDep,
    actor: ActorDep,
    status: Annotated[
        list[ContactStatus], Query(description="Only requests with these statuses (may repeat).")
    ] = [],  # noqa: B006
    limit: Limit = 50,
    offset: Offset = 0,
) -> Inbox:
    """The requests your organisation received, and those it sent, newest first."""
    return contacts.read_inbox(
        session, actor=actor, statuses=status, limit=limit, offset=offset, now=utc_now()
    )


@router.get(
    "/inbox/waiting",
    openapi_extra=ORGANISATION_KEY,
    response_model=InboxWaiting,
    responses=problem_responses(401, 403),
)
def count_waiting_requests(session: SessionDep, actor: ActorDep) -> InboxWaiting:
    """How many requests your organisation received wait for its answer, counted alone.

    The same number as `received_total` of `GET /inbox?status=pending`, without reading the
    requests: what the web pages' menu shows beside "Inbox".
    """
    return InboxWaiting(waiting=contacts.count_waiting(session, actor=actor, now=utc_now()))


@router.get(
    "/contact-requests/{request_id}",
    openapi_extra=ORGANISATION_KEY,
    response_model=ContactRequestPublic,
    responses=problem_responses(401, 403, 404, 422),
)
def read_contact_request(
    request_id: IdPath, session: SessionDep, actor: ActorDep
) -> ContactRequestPublic:
    """One request you sent or received."""
    return contacts.get_contact_request(session, request_id=request_id, actor=actor, now=utc_now())


ANSWER_PROBLEMS = problem_responses(401, 403, 404, 409, 422, 429)


@router.post(
    "/contact-requests/{request_id}/accept",
    openapi_extra=ORGANISATION_KEY,
    response_model=ContactRequestPublic,
    responses=ANSWER_PROBLEMS,
)
def accept_contact_request(
    request_id: IdPath, session: SessionDep, settings: SettingsDep, actor: WriterDep
) -> ContactRequestPublic:
    """Accept a request you received: you both see each other's contact address from now on."""
    return _answer(session, settings, actor, request_id, accept=True)


@router.post(
    "/contact-requests/{request_id}/decline",
    openapi_extra=ORGANISATION_KEY,
    response_model=ContactRequestPublic,
    responses=ANSWER_PROBLEMS,
)
def decline_contact_request(
    request_id: IdPath, session: SessionDep, settings: SettingsDep, actor: WriterDep
) -> ContactRequestPublic:
    """Decline a request you received; nothing is revealed to either side."""
    return _answer(session, settings, actor, request_id, accept=False)


def _answer(
    session: SessionDep, settings: SettingsDep, actor: WriterDep, request_id: int, *, accept: bool
) -> ContactRequestPublic:
    """Accept or decline a contact request, now, with links to this service's pages."""
    return contacts.answer_contact_request(
        session,
        request_id=request_id,
        accept=accept,
        actor=actor,
        base_url=settings.public_base_url,
        now=utc_now(),
    )


@router.post(
    "/contact-requests/{request_id}/withdraw",
    openapi_extra=ORGANISATION_KEY,
    response_model=ContactRequestPublic,
    responses=ANSWER_PROBLEMS,
)
def withdraw_contact_request(
    request_id: IdPath, session: SessionDep, actor: WriterDep
) -> ContactRequestPublic:
    """Withdraw a request you sent that is still waiting for an answer."""
    return contacts.withdraw_contact_request(
        session, request_id=request_id, actor=actor, now=utc_now()
    )


@router.get(
    "/inbox/blocks",
    openapi_extra=ORGANISATION_KEY,
    response_model=list[BlockPublic],
    responses=problem_responses(401, 403),
)
def list_blocks(session: SessionDep, actor: ActorDep) -> list[BlockPublic]:
    """The organisations yours blocks."""
    return contacts.list_blocks(session, actor=actor)


@router.post(
    "/inbox/blocks",
    openapi_extra=ORGANISATION_KEY,
    status_code=status.HTTP_201_CREATED,
    response_model=BlockPublic,
    responses=problem_responses(401, 403, 404, 413, 422, 429),
)
def create_block(data: BlockCreate, session: SessionDep, actor: WriterDep) -> BlockPublic:
    """Refuse further requests from an organisation; its pending ones are declined."""
    return contacts.block_organisation(
        session, organisation_id=data.organisation_id, actor=actor, now=utc_now()
    )


@router.delete(
    "/inbox/blocks/{organisation_id}",
    openapi_extra=ORGANISATION_KEY,
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 412, 422, 429, when=UNVERSIONED_412),
)
def delete_block(
    organisation_id: IdPath, session: SessionDep, actor: WriterDep, if_match: IfMatch
) -> None:
    """Accept requests from an organisation again (404 when yours does not block it)."""
    contacts.unblock_organisation(
        session, organisation_id=organisation_id, actor=actor, expected_version=if_match
    )
