"""How an organisation hears of its notifications: e-mail preferences, the unsubscribe link,
its signed webhooks and their delivery log."""

from typing import Annotated, Any, cast

from fastapi import APIRouter, Path, Query, Request, Response, status
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from api.deps import (
    UNVERSIONED_412,
    ActorDep,
    IdPath,
    IfMatch,
    Limit,
    Offset,
    SessionDep,
    SettingsDep,
    WriterDep,
    WriteSessionDep,
    paginated,
)
from api.errors import problem_responses
from api.openapi import FROM_EMAIL_LINK, NOT_STORED, PUBLIC, created_at_location, security
from api.web.templating import render
from matchmaker.errors import NotFound
from matchmaker.partnering import preferences, webhooks
from models.apikey import KeyRole
from models.common import Page
from models.notifications import (
    EmailFrequency,
    NotificationPreferences,
    Webhook,
    WebhookCreate,
    WebhookCreated,
    WebhookDeliveryPublic,
    WebhookPublic,
)

router = APIRouter(tags=["notifications"])
ORGANISATION_KEY = security(KeyRole.organisation)


# The pattern documents the tokens issued, and is not checked here: a link that does not match
# it (mangled by a mail program) names no organisation, and is answered as one whose token is
# unknown, the page a person can read, not a problem document.
UnsubscribeToken = Annotated[
    str,
    Path(
        description="The token from the e-mailed unsubscribe link. Any other text is a link "
        "that is not valid: the 404 page.",
        json_schema_extra={"pattern": preferences.TOKEN_PATTERN, "minLength": 1, "maxLength": 100},
    ),
]


UNSUBSCRIBE_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "GET: a page with a button that turns e-mail off; POST: a page saying "
        "that e-mail is off.",
        "content": {
            "text/html": {
                "example": "<p>Leiden University Medical Center will receive no more "
                "notification e-mails from matchmaker.</p>"
            }
        },
    },
    404: {
        "description": "The link is not valid (its token unknown, mangled, or its "
        "organisation's profile deleted): an HTML page says so, whatever the client asks for.",
        "content": {
            "text/html": {
                "schema": {"type": "string"},
                "example": '<p class="notice notice-error" role="alert">This unsubscribe link is '
                "not valid (it may belong to a deleted organisation).</p>",
            }
        },
    },
}


@router.get(
    "/organisations/{organisation_id}/notification-preferences",
    openapi_extra=ORGANISATION_KEY,
    response_model=NotificationPreferences,
    responses=problem_responses(401, 403, 404, 422),
)
def read_notification_preferences(
    organisation_id: IdPath, session: SessionDep, actor: ActorDep
) -> NotificationPreferences:
    """When your organisation's notification e-mails go out (your key)."""
    email = preferences.read_preferences(session, organisation_id=organisation_id, actor=actor)
    return NotificationPreferences(email=email)


@router.put(
    "/organisations/{organisation_id}/notification-preferences",
    openapi_extra=ORGANISATION_KEY,
    response_model=NotificationPreferences,
    responses=problem_responses(401, 403, 404, 412, 413, 422, 429, when=UNVERSIONED_412),
)
def set_notification_preferences(
    organisation_id: IdPath,
    data: NotificationPreferences,
    session: SessionDep,
    actor: WriterDep,
    if_match: IfMatch,
) -> NotificationPreferences:
    """Choose e-mail `immediately` (one per notification), a `daily` digest, or `off`.

    The digest goes out a day after you choose it, then at most once a day, listing the
    notifications since. Webhooks are not affected.
    """
    email = preferences.set_preferences(
        session,
        organisation_id=organisation_id,
        email=data.email,
        actor=actor,
        expected_version=if_match,
    )
    return NotificationPreferences(email=email)


def _unsubscribe_page(
    request: Request, session: Session, token: str, *, choice: EmailFrequency | None
) -> HTMLResponse:
    try:
        if choice is not None:
            organisation = preferences.unsubscribe(session, token=token, email=choice)
        else:
            organisation = preferences.holder(session, token=token)
    except NotFound:
        return render(
            request,
            "unsubscribe.html",
            {"invalid": preferences.UNKNOWN_LINK, "name": "", "organisation_id": 0},
            status_code=status.HTTP_404_NOT_FOUND,
            private=True,
        )
    context = {
        "invalid": "",
        "name": organisation.name,
        "organisation_id": organisation.id,
        "done": choice.value if choice is not None else "",
    }
    return render(request, "unsubscribe.html", context, private=True)


@router.get(
    "/unsubscribe/{token}",
    openapi_extra={**PUBLIC, **FROM_EMAIL_LINK},
    response_class=HTMLResponse,
    responses=UNSUBSCRIBE_ANSWERS,
)
def unsubscribe(token: UnsubscribeToken, request: Request, session: SessionDep) -> HTMLResponse:
    """The link in every notification e-mail: a page whose button turns the organisation's
    e-mail off, no key. Opening it changes nothing (mail scanners open every link)."""
    return _unsubscribe_page(request, session, token, choice=None)


@router.post(
    "/unsubscribe/{token}",
    openapi_extra={**PUBLIC, **FROM_EMAIL_LINK},
    response_class=HTMLResponse,
    responses=UNSUBSCRIBE_ANSWERS,
)
def unsubscribe_one_click(
    token: UnsubscribeToken,
    request: Request,
    session: WriteSessionDep,
    _writer: WriterDep,
    email: Annotated[
        str,
        Query(
            description="`daily` for the page's other button, one e-mail a day instead; "
            "anything else, or none (as mail programs send it), turns e-mail off."
        ),
    ] = "off",
) -> HTMLResponse:
    """The page's buttons, and the one-click unsubscribe of RFC 8058 (`List-Unsubscribe-Post`)
    as mail programs send it: turns the organisation's e-mail off, or with `?email=daily` to
    one e-mail a day."""
    choice = EmailFrequency.daily if email == "daily" else EmailFrequency.off
    return _unsubscribe_page(request, session, token, choice=choice)


def _public(webhook: Webhook) -> WebhookPublic:
    return WebhookPublic(id=cast(int, webhook.id), url=webhook.url, created_at=webhook.created_at)


@router.post(
    "/organisations/{organisation_id}/webhooks",
    openapi_extra={**ORGANISATION_KEY, **NOT_STORED},
    status_code=status.HTTP_201_CREATED,
    response_model=WebhookCreated,
    responses={**problem_responses(401, 403, 404, 409, 413, 422, 429), **created_at_location()},
)
def create_webhook(
    organisation_id: IdPath,
    data: WebhookCreate,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
    actor: WriterDep,
) -> WebhookCreated:
    """Register a URL your organisation's notifications are POSTed to (your key).

    Each notification is POSTed as JSON, signed: `X-Matchmaker-Signature: sha256=<hex>` is
    the HMAC-SHA256, under the secret returned here (and never again), of
    `<X-Matchmaker-Timestamp>.<raw body>`; `X-Matchmaker-Message-Id` is the same on every
    attempt. Any answer but a 2xx is retried after 1, 2, 4, ... minutes. The URL must lead to
    a public address (not loopback or a private network). At most 5 per organisation.
    """
    webhook = webhooks.create_webhook(
        session,
        organisation_id=organisation_id,
        data=data,
        actor=actor,
        allow_private=settings.webhook_allow_private,
    )
    response.headers["Location"] = f"/organisations/{organisation_id}/webhooks/{webhook.id}"
    return WebhookCreated(**_public(webhook).model_dump(), secret=webhook.secret)


@router.get(
    "/organisations/{organisation_id}/webhooks",
    openapi_extra=ORGANISATION_KEY,
    response_model=list[WebhookPublic],
    responses=problem_responses(401, 403, 404, 422),
)
def list_webhooks(
    organisation_id: IdPath, session: SessionDep, actor: ActorDep
) -> list[WebhookPublic]:
    """Your organisation's webhooks, oldest first (without their secrets)."""
    rows = webhooks.list_webhooks(session, organisation_id=organisation_id, actor=actor)
    return [_public(row) for row in rows]


@router.get(
    "/organisations/{organisation_id}/webhooks/{webhook_id}",
    openapi_extra=ORGANISATION_KEY,
    response_model=WebhookPublic,
    responses=problem_responses(401, 403, 404, 422),
)
def read_webhook(
    organisation_id: IdPath, webhook_id: IdPath, session: SessionDep, actor: ActorDep
) -> WebhookPublic:
    """One of your organisation's webhooks (without its secret), where its `Location` leads."""
    webhook = webhooks.get_webhook(
        session, organisation_id=organisation_id, webhook_id=webhook_id, actor=actor
    )
    return _public(webhook)


@router.delete(
    "/organisations/{organisation_id}/webhooks/{webhook_id}",
    openapi_extra=ORGANISATION_KEY,
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 412, 422, 429, when=UNVERSIONED_412),
)
def delete_webhook(
    organisation_id: IdPath,
    webhook_id: IdPath,
    session: SessionDep,
    actor: WriterDep,
    if_match: IfMatch,
) -> None:
    """Delete a webhook: nothing more is sent to it, and its delivery log goes with it."""
    webhooks.delete_webhook(
        session,
        organisation_id=organisation_id,
        webhook_id=webhook_id,
        actor=actor,
        expected_version=if_match,
    )


@router.get(
    "/organisations/{organisation_id}/webhooks/{webhook_id}/deliveries",
    openapi_extra=ORGANISATION_KEY,
    response_model=Page[WebhookDeliveryPublic],
    responses=problem_responses(401, 403, 404, 422),
)
def list_webhook_deliveries(
    request: Request,
    response: Response,
    organisation_id: IdPath,
    webhook_id: IdPath,
    session: SessionDep,
    actor: ActorDep,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[WebhookDeliveryPublic]:
    """A webhook's delivery log, newest first: each notification, its attempts and outcome."""
    found = webhooks.list_deliveries(
        session,
        organisation_id=organisation_id,
        webhook_id=webhook_id,
        actor=actor,
        limit=limit,
        offset=offset,
    )
    return paginated(
        request, response, found, WebhookDeliveryPublic.model_validate, limit=limit, offset=offset
    )
