"""API keys, data export and admin actions."""

from typing import Annotated

from fastapi import APIRouter, Body, Query, Request, Response, status
from pydantic import BaseModel, Field

from api.deps import (
    UNVERSIONED_412,
    ActorDep,
    IdPath,
    IfMatch,
    Limit,
    MatchingDep,
    Offset,
    ProfileContext,
    SessionDep,
    SettingsDep,
    WriterDep,
    paginated,
)
from api.errors import problem_responses
from api.openapi import NOT_STORED, PUBLIC, answer_example, security
from matchmaker import export, keys, rules
from matchmaker.auth import require_role
from matchmaker.matching.service import request_refit
from matchmaker.partnering.outbox import outbox_report
from models import examples as ex
from models.apikey import IssuedKey, KeyCreate, KeyPublic, KeyRole, OrganisationKeyCreate
from models.common import MAX_ID, Page, utc_now
from models.consortium import ConsortiumPublic, Membership
from models.matching import RefitStarted
from models.notifications import NotificationPreferences, OutboxReport, WebhookPublic
from models.organisation import OrganisationPrivate
from models.partnering import BlockPublic, Inbox, NotificationPublic, PartnerRequestPublic
from models.rules import CountryStatusCreate, CountryStatusPublic
from models.saved_search import SavedSearchPublic
from models.trust import ClaimPublic

router = APIRouter(tags=["admin"])


class OrganisationExport(BaseModel):
    """Everything stored about an organisation."""

    profile: OrganisationPrivate = Field(description="The profile, personal data included.")
    api_keys: list[KeyPublic] = Field(description="The organisation's keys, never their secrets.")
    consortia_owned: list[ConsortiumPublic] = Field(
        description="The drafts the organisation created, each with every member that left it "
        "by deleting its profile (`departures`, not only the most recent)."
    )
    consortia_member_of: list[Membership] = Field(
        description="The drafts the organisation owns, with its role in each. Other "
        "organisations' drafts that list it are left out: they are their owners' private plans."
    )
    partner_requests: list[PartnerRequestPublic] = Field(
        description="The partner requests it published, open, closed and withdrawn, oldest first."
    )
    contact_requests: Inbox | None = Field(
        description="The contact requests and expressions of interest it received and sent, "
        "as its inbox shows them but without the other party's contact address (GET /inbox "
        "shows it once accepted); null in an admin's export, since messages are their "
        "parties' only."
    )
    notifications: list[NotificationPublic] | None = Field(
        description="The notifications queued or sent to it (the outbox: its e-mails, which "
        "its webhooks also received), oldest first, with every e-mail address in their text "
        "withheld and no one-time link's text; null in an admin's export, since they quote "
        "the parties' messages."
    )
    blocks: list[BlockPublic] = Field(description="The organisations it blocks.")
    saved_searches: list[SavedSearchPublic] = Field(description="Its saved searches.")
    webhooks: list[WebhookPublic] = Field(description="Its webhooks, never their secrets.")
    notification_preferences: NotificationPreferences = Field(
        description="When its notification e-mails go out."
    )
    claims: list[ClaimPublic] = Field(description="Its claims of CORDIS records.")


@router.post(
    "/admin/keys",
    openapi_extra={**security(KeyRole.admin), **NOT_STORED},
    status_code=status.HTTP_201_CREATED,
    response_model=IssuedKey,
    responses=problem_responses(401, 403, 409, 422),
)
def create_key(data: KeyCreate, session: SessionDep, actor: WriterDep) -> IssuedKey:
    """Issue a key of any role (admin key); its token is shown only in this answer. An
    organisation holds at most 20 keys that are not revoked, whoever issues them (409 past it:
    revoke one first)."""
    key, token = keys.issue_key(session, data=data, actor=actor)
    return IssuedKey.of(key, token)


@router.get(
    "/admin/keys",
    openapi_extra=security(KeyRole.admin),
    response_model=Page[KeyPublic],
    responses=problem_responses(401, 403, 422),
)
def list_keys(
    request: Request,
    response: Response,
    session: SessionDep,
    actor: ActorDep,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[KeyPublic]:
    """List every key, never its secret (admin key)."""
    found = keys.list_keys(session, actor=actor, limit=limit, offset=offset)
    return paginated(request, response, found, KeyPublic.model_validate, limit=limit, offset=offset)


@router.delete(
    "/admin/keys/{key_id}",
    openapi_extra=security(KeyRole.admin, KeyRole.organisation),
    response_model=KeyPublic,
    responses=problem_responses(401, 403, 404, 412, when=UNVERSIONED_412),
)
def revoke_key(
    key_id: IdPath, session: SessionDep, actor: WriterDep, if_match: IfMatch
) -> KeyPublic:
    """Revoke a key for good (admins: any key; organisations: their own)."""
    key = keys.revoke_key(session, key_id=key_id, actor=actor, expected_version=if_match)
    return KeyPublic.model_validate(key)


@router.post(
    "/organisations/{organisation_id}/keys",
    openapi_extra={**security(KeyRole.organisation, KeyRole.admin), **NOT_STORED},
    status_code=status.HTTP_201_CREATED,
    response_model=IssuedKey,
    responses=problem_responses(401, 403, 404, 409, 413, 422, 429),
    tags=["organisations"],
)
def create_organisation_key(
    organisation_id: IdPath,
    session: SessionDep,
    actor: WriterDep,
    data: Annotated[OrganisationKeyCreate | None, Body()] = None,
) -> IssuedKey:
    """Issue another key for your organisation (e.g. before revoking a leaked one, or one per
    system that uses the API), optionally with a `label` saying who holds it (`owner` when
    there is no body); it holds at most 20 keys that are not revoked (409 past it: revoke one
    first)."""
    key, token = keys.issue_organisation_key(
        session,
        organisation_id=organisation_id,
        actor=actor,
        label=(data or OrganisationKeyCreate()).label,
    )
    return IssuedKey.of(key, token)


@router.get(
    "/organisations/{organisation_id}/keys",
    openapi_extra=security(KeyRole.organisation, KeyRole.admin),
    response_model=Page[KeyPublic],
    responses=problem_responses(401, 403, 404, 422),
    tags=["organisations"],
)
def list_organisation_keys(
    request: Request,
    response: Response,
    organisation_id: IdPath,
    session: SessionDep,
    actor: ActorDep,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[KeyPublic]:
    """Your organisation's keys, oldest first, revoked ones too, never their secrets: which
    are in use (`label`, `prefix`) and which to revoke (`DELETE /admin/keys/{key_id}`)."""
    found = keys.list_keys(
        session, actor=actor, organisation_id=organisation_id, limit=limit, offset=offset
    )
    return paginated(request, response, found, KeyPublic.model_validate, limit=limit, offset=offset)


@router.get(
    "/organisations/{organisation_id}/export",
    openapi_extra={**security(KeyRole.organisation, KeyRole.admin), **NOT_STORED},
    response_model=OrganisationExport,
    responses=problem_responses(401, 403, 404),
    tags=["organisations"],
)
def export_organisation(
    organisation_id: IdPath, session: SessionDep, actor: ActorDep, context: ProfileContext
) -> OrganisationExport:
    """Everything stored about your organisation: profile, keys (no secrets), drafts, partner
    requests, messages and the notifications sent to it (for its own key only), blocks, saved
    searches, webhooks (no secrets), e-mail preference and claims."""
    return OrganisationExport.model_validate(
        export.export_organisation(
            session,
            organisation_id=organisation_id,
            actor=actor,
            now=utc_now(),
            context=context,
        )
    )


@router.post(
    "/admin/refit",
    openapi_extra=security(KeyRole.admin),
    status_code=status.HTTP_202_ACCEPTED,
    response_model=RefitStarted,
    responses=problem_responses(401, 403),
)
def refit_index(matching: MatchingDep, actor: ActorDep) -> RefitStarted:
    """Refit the matching vocabulary in the background (admin key); readers keep the old index."""
    return RefitStarted(started=request_refit(matching, actor=actor))


@router.get(
    "/admin/outbox",
    openapi_extra=security(KeyRole.admin),
    response_model=OutboxReport,
    responses=problem_responses(401, 403, 422),
)
def read_outbox(
    session: SessionDep,
    settings: SettingsDep,
    actor: ActorDep,
    limit: Limit = 25,
    offset: Offset = 0,
    webhook_offset: Annotated[
        int,
        Query(ge=0, le=MAX_ID, description="How many failing webhook deliveries to skip."),
    ] = 0,
) -> OutboxReport:
    """What the service's notifications are doing (admin key): how many e-mails and webhook
    deliveries wait and since when, how many failed and are retried (`limit` of them from
    `offset`, and of the webhook deliveries from `webhook_offset`, oldest first, each with its
    error but never an address, a subject or a body), when the last went out, and whether
    e-mail is configured at all (without MATCHMAKER_SMTP_URL it waits)."""
    require_role(actor, ())
    return outbox_report(
        session,
        email_configured=settings.smtp_url is not None,
        limit=limit,
        offset=offset,
        webhook_offset=webhook_offset,
    )


@router.get(
    "/rules/countries",
    openapi_extra=PUBLIC,
    response_model=list[CountryStatusPublic],
    responses=answer_example(status.HTTP_200_OK, ex.COUNTRY_STATUS_TABLE),
    tags=["rules"],
)
def list_country_statuses(session: SessionDep) -> list[CountryStatusPublic]:
    """The country-status table the programme rules use: shipped rows, then added ones."""
    return rules.table_rows(session)


@router.post(
    "/admin/country-statuses",
    openapi_extra=security(KeyRole.admin),
    status_code=status.HTTP_201_CREATED,
    response_model=list[CountryStatusPublic],
    responses={
        **answer_example(status.HTTP_201_CREATED, ex.COUNTRY_STATUS_TABLE),
        **problem_responses(401, 403, 409, 422),
    },
)
def create_country_status(
    data: CountryStatusCreate, session: SessionDep, actor: WriterDep
) -> list[CountryStatusPublic]:
    """Add a country-status row (admin key); earlier rows stay, so past answers are kept. A
    row that would change no answer (the country already has that status for those parts on
    every day the row covers, as when it repeats a row in force) is refused with 409."""
    rules.add_country_status(session, data=data, actor=actor)
    return rules.table_rows(session)
