"""Duplicates merged by admins, claims of CORDIS records confirmed by link or by admins, and
stakeholder types verified by admins."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import HTMLResponse

from api.deps import (
    ActorDep,
    IdPath,
    IfMatch,
    Limit,
    LinkToken,
    Offset,
    ProfileContext,
    SessionDep,
    SettingsDep,
    WriterDep,
    paginated,
    private_profile,
)
from api.errors import problem_responses
from api.openapi import PUBLIC, security
from api.web.templating import render
from matchmaker.errors import NotFound
from matchmaker.trust import claims, freshness, merging, verification
from models.apikey import KeyRole
from models.common import Page
from models.organisation import OrganisationPrivate
from models.trust import ClaimCreate, ClaimPublic, ClaimStatus, MergeRequest

router = APIRouter(tags=["trust"])
# The page the e-mailed link opens: its GET only shows a button, so that a mail scanner
# fetching the link confirms nothing; the button's POST confirms.
web_router = APIRouter(include_in_schema=False)


@router.post(
    "/admin/organisations/{organisation_id}/merge",
    openapi_extra=security(KeyRole.admin),
    response_model=OrganisationPrivate,
    responses=problem_responses(
        401,
        403,
        404,
        412,
        422,
        when={
            404: "There is no organisation with this `organisation_id`, or none with the id "
            "given as `absorb` (`errors` names that field); `detail` says which."
        },
    ),
)
def merge_organisations(
    organisation_id: IdPath,
    data: MergeRequest,
    session: SessionDep,
    response: Response,
    if_match: IfMatch,
    actor: WriterDep,
    context: ProfileContext,
) -> OrganisationPrivate:
    """Merge another profile into this one (admin key): it keeps its id and gains the other's
    activities, keywords, keys, drafts and requests; the other's id then answers 404 naming
    this one. If-Match (this profile) and `absorb_version` refuse stale merges with 412."""
    survivor = merging.merge_organisations(
        session,
        survivor_id=organisation_id,
        absorbed_id=data.absorb,
        actor=actor,
        expected_version=if_match,
        absorbed_version=data.absorb_version,
    )
    return private_profile(survivor, response, context)


@router.post(
    "/admin/organisations/{organisation_id}/type-verification",
    openapi_extra=security(KeyRole.admin),
    response_model=OrganisationPrivate,
    responses=problem_responses(401, 403, 404, 409, 412),
)
def verify_organisation_type(
    organisation_id: IdPath,
    session: SessionDep,
    response: Response,
    if_match: IfMatch,
    actor: WriterDep,
    context: ProfileContext,
) -> OrganisationPrivate:
    """Verify the profile's stakeholder type (admin key), after checking it is the regulator,
    patient organisation or public body it says it is: `type_verified` becomes true, and calls
    requiring verified members count it. Other types are never verified (409); a change of type
    drops the verification. If-Match refuses a stale write with 412."""
    organisation = verification.verify_type(
        session, organisation_id=organisation_id, actor=actor, expected_version=if_match
    )
    return private_profile(organisation, response, context)


@router.delete(
    "/admin/organisations/{organisation_id}/type-verification",
    openapi_extra=security(KeyRole.admin),
    response_model=OrganisationPrivate,
    responses=problem_responses(401, 403, 404, 412),
)
def unverify_organisation_type(
    organisation_id: IdPath,
    session: SessionDep,
    response: Response,
    if_match: IfMatch,
    actor: WriterDep,
    context: ProfileContext,
) -> OrganisationPrivate:
    """Withdraw the verification of the profile's stakeholder type (admin key): `type_verified`
    becomes false and calls requiring verified members stop counting it. If-Match refuses a
    stale write with 412."""
    organisation = verification.unverify_type(
        session, organisation_id=organisation_id, actor=actor, expected_version=if_match
    )
    return private_profile(organisation, response, context)


@router.post(
    "/organisations/{organisation_id}/claims",
    openapi_extra=security(KeyRole.organisation, KeyRole.admin),
    status_code=status.HTTP_201_CREATED,
    response_model=ClaimPublic,
    responses=problem_responses(401, 403, 404, 409, 422, 429),
    tags=["organisations"],
)
def create_claim(
    organisation_id: IdPath,
    data: ClaimCreate,
    session: SessionDep,
    settings: SettingsDep,
    actor: WriterDep,
) -> ClaimPublic:
    """Claim a CORDIS record as your organisation's: a one-time link goes to the address given
    on the record's web domain (or an admin confirms). Nothing changes until it is confirmed.
    At most 5 of an organisation's claims may be pending at once, and one per record (409
    naming the pending one: withdraw it to claim again)."""
    claim, _token = claims.create_claim(
        session,
        organisation_id=organisation_id,
        data=data,
        actor=actor,
        base_url=settings.public_base_url,
        lifetime=timedelta(hours=settings.claim_link_hours),
    )
    return ClaimPublic.model_validate(claim)


@router.get(
    "/organisations/{organisation_id}/claims",
    openapi_extra=security(KeyRole.organisation, KeyRole.admin),
    response_model=Page[ClaimPublic],
    responses=problem_responses(401, 403, 404, 422),
    tags=["organisations"],
)
def list_organisation_claims(
    request: Request,
    response: Response,
    organisation_id: IdPath,
    session: SessionDep,
    actor: ActorDep,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ClaimPublic]:
    """Your organisation's claims, oldest first, never their links."""
    found = claims.list_claims(
        session, actor=actor, organisation_id=organisation_id, limit=limit, offset=offset
    )
    return paginated(
        request, response, found, ClaimPublic.model_validate, limit=limit, offset=offset
    )


@router.get(
    "/admin/claims",
    openapi_extra=security(KeyRole.admin),
    response_model=Page[ClaimPublic],
    responses=problem_responses(401, 403, 422),
)
def list_claims(
    request: Request,
    response: Response,
    session: SessionDep,
    actor: ActorDep,
    claim_status: Annotated[
        ClaimStatus | None,
        Query(
            alias="status",
            description="Only the claims of this status: `pending`, `confirmed`, `withdrawn`, "
            "`record_merged` or `record_deleted`.",
        ),
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ClaimPublic]:
    """Every claim, oldest first, optionally only those of one status (admin key)."""
    found = claims.list_claims(
        session, actor=actor, status=claim_status, limit=limit, offset=offset
    )
    return paginated(
        request, response, found, ClaimPublic.model_validate, limit=limit, offset=offset
    )


@router.post(
    "/admin/claims/{claim_id}/confirm",
    openapi_extra=security(KeyRole.admin),
    response_model=OrganisationPrivate,
    responses=problem_responses(401, 403, 404, 409, 412),
)
def confirm_claim(
    claim_id: IdPath,
    session: SessionDep,
    response: Response,
    actor: WriterDep,
    context: ProfileContext,
) -> OrganisationPrivate:
    """Confirm a pending claim (admin key): the record merges into the claiming profile, its
    projects marked verified; the answer is that profile."""
    organisation = claims.confirm_by_admin(session, claim_id=claim_id, actor=actor)
    return private_profile(organisation, response, context)


@router.post(
    "/claims/{claim_id}/withdraw",
    openapi_extra=security(KeyRole.organisation, KeyRole.admin),
    response_model=ClaimPublic,
    responses=problem_responses(401, 403, 404, 409, 422, 429),
    tags=["organisations"],
)
def withdraw_claim(claim_id: IdPath, session: SessionDep, actor: WriterDep) -> ClaimPublic:
    """Withdraw your organisation's pending claim: its e-mailed link stops working and an admin
    can no longer confirm it; the claim is kept, `withdrawn`. Another organisation's claim is
    404, as a missing one; a claim no longer pending is 409."""
    return ClaimPublic.model_validate(
        claims.withdraw_claim(session, claim_id=claim_id, actor=actor)
    )


@router.post(
    "/claims/{claim_id}/confirmation/{token}",
    openapi_extra=PUBLIC,
    response_model=OrganisationPrivate,
    responses=problem_responses(404, 412),
    tags=["organisations"],
)
def confirm_claim_by_link(
    claim_id: IdPath,
    token: LinkToken,
    session: SessionDep,
    response: Response,
    context: ProfileContext,
    _writer: WriterDep,
) -> OrganisationPrivate:
    """Use a claim's e-mailed link: the record merges into the claiming profile. An unknown,
    used, expired or another claim's token is 404 alike and changes nothing."""
    organisation = claims.confirm_by_link(session, claim_id=claim_id, token=token)
    return private_profile(organisation, response, context)


@router.post(
    "/organisations/{organisation_id}/confirm",
    openapi_extra=security(KeyRole.organisation, KeyRole.admin),
    response_model=OrganisationPrivate,
    responses=problem_responses(401, 403, 404, 412, 429),
    tags=["organisations"],
)
def confirm_organisation(
    organisation_id: IdPath,
    session: SessionDep,
    response: Response,
    if_match: IfMatch,
    actor: WriterDep,
    context: ProfileContext,
) -> OrganisationPrivate:
    """Confirm your profile is current: `confirmed_at` becomes now and it is no longer stale
    (MATCHMAKER_STALE_AFTER_MONTHS after the last confirmation it is)."""
    organisation = freshness.confirm_organisation(
        session, organisation_id=organisation_id, actor=actor, expected_version=if_match
    )
    return private_profile(organisation, response, context)


def _page(*, action: str = "", invalid: str = "", organisation_id: int = 0) -> dict[str, object]:
    return {"action": action, "invalid": invalid, "organisation_id": organisation_id}


@web_router.get("/ui/claims/{claim_id}/{token}")
def claim_page(claim_id: IdPath, token: LinkToken, request: Request) -> HTMLResponse:
    """The e-mailed link: a button that confirms the claim; opening it changes nothing."""
    return render(
        request, "claim.html", _page(action=f"/ui/claims/{claim_id}/{token}"), private=True
    )


@web_router.post("/ui/claims/{claim_id}/{token}")
def confirm_claim_page(
    claim_id: IdPath, token: LinkToken, request: Request, session: SessionDep, _writer: WriterDep
) -> HTMLResponse:
    """Confirm the claim and say so, or say the link is no longer valid."""
    try:
        organisation = claims.confirm_by_link(session, claim_id=claim_id, token=token)
    except NotFound:
        return render(
            request,
            "claim.html",
            _page(invalid=claims.INVALID_LINK),
            status_code=status.HTTP_404_NOT_FOUND,
            private=True,
        )
    return render(request, "claim.html", _page(organisation_id=organisation.id or 0), private=True)
