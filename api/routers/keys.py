"""Key recovery by a one-time e-mailed link, and key rotation with the current key."""

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse

from api.deps import IdPath, LinkToken, SessionDep, SettingsDep, WriterDep
from api.errors import problem_responses
from api.openapi import NOT_STORED, PUBLIC, security
from api.web.templating import render
from matchmaker import key_recovery, keys
from matchmaker import organisations as organisations_service
from matchmaker.errors import NotFound
from matchmaker.ratelimit import WriteRateLimit
from models.apikey import IssuedKey, KeyRole
from models.keyrecovery import KeyRecoveryAccepted, KeyRecoveryRequest

router = APIRouter(tags=["organisations"])
# The page the e-mailed link opens: its GET only shows a button, so that a mail scanner
# fetching the link uses nothing up; the button's POST redeems the token.
web_router = APIRouter(include_in_schema=False)


def _check_recovery_limit(request: Request, organisation_id: int) -> None:
    """Count the request against its client address and the organisation, existing or not."""
    limiter: WriteRateLimit = request.app.state.recovery_limit
    client = request.client.host if request.client else "unknown"
    limiter.check(
        {
            f"recovery-address:{client}": f"from the address {client}",
            f"recovery-organisation:{organisation_id}": "for this organisation",
        }
    )


@router.post(
    "/organisations/{organisation_id}/key-recovery",
    openapi_extra=PUBLIC,
    status_code=status.HTTP_202_ACCEPTED,
    response_model=KeyRecoveryAccepted,
)
def request_key_recovery(
    organisation_id: IdPath,
    data: KeyRecoveryRequest,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    _writer: WriterDep,
) -> KeyRecoveryAccepted:
    """Ask for a one-time link to a new key, sent to the organisation's contact address.

    The answer is the same whether or not the organisation exists and the address is its
    contact address; the link works once, within 30 minutes. Limited per client address and
    per organisation (`MATCHMAKER_KEY_RECOVERY_RATE_LIMIT`).
    """
    _check_recovery_limit(request, organisation_id)
    key_recovery.request_recovery(
        session,
        organisation_id=organisation_id,
        contact_email=str(data.contact_email),
        base_url=settings.public_base_url,
    )
    return KeyRecoveryAccepted(detail=key_recovery.ACCEPTED)


@router.post(
    "/organisations/{organisation_id}/key-recovery/{token}",
    openapi_extra={**PUBLIC, **NOT_STORED},
    status_code=status.HTTP_201_CREATED,
    response_model=IssuedKey,
    responses=problem_responses(404),
)
def redeem_key_recovery(
    organisation_id: IdPath, token: LinkToken, session: SessionDep, _writer: WriterDep
) -> IssuedKey:
    """Use a recovery link's token: every key of the organisation is revoked and a new one
    issued, shown only in this answer. An unknown, used, expired or another organisation's
    token is 404 alike."""
    key, secret = key_recovery.redeem_recovery(
        session, organisation_id=organisation_id, token=token
    )
    return IssuedKey.of(key, secret)


@router.post(
    "/organisations/{organisation_id}/keys/rotate",
    openapi_extra={**security(KeyRole.organisation), **NOT_STORED},
    status_code=status.HTTP_201_CREATED,
    response_model=IssuedKey,
    responses=problem_responses(401, 403),
)
def rotate_key(organisation_id: IdPath, session: SessionDep, actor: WriterDep) -> IssuedKey:
    """Replace the organisation key you call with: it is revoked and a new one issued, shown
    only in this answer (an organisation's own key; admins issue keys instead)."""
    key, secret = keys.rotate_key(session, organisation_id=organisation_id, actor=actor)
    return IssuedKey.of(key, secret)


def _page(
    *,
    action: str = "",
    invalid: str = "",
    token: str = "",
    organisation_id: int = 0,
    organisation_name: str = "",
) -> dict[str, object]:
    return {
        "action": action,
        "invalid": invalid,
        "token": token,
        "organisation_id": organisation_id,
        "organisation_name": organisation_name,
    }


@web_router.get("/ui/key-recovery/{organisation_id}/{token}")
def key_recovery_page(organisation_id: IdPath, token: LinkToken, request: Request) -> HTMLResponse:
    """The e-mailed link: a button that redeems the token; opening it changes nothing."""
    return render(
        request,
        "key_recovery.html",
        _page(action=f"/ui/key-recovery/{organisation_id}/{token}"),
        private=True,
    )


@web_router.post("/ui/key-recovery/{organisation_id}/{token}")
def redeem_key_recovery_page(
    organisation_id: IdPath,
    token: LinkToken,
    request: Request,
    session: SessionDep,
    _writer: WriterDep,
) -> HTMLResponse:
    """Redeem the token and show the new key once (the page's script signs the tab in with
    it), or say the link is no longer valid."""
    try:
        _key, secret = key_recovery.redeem_recovery(
            session, organisation_id=organisation_id, token=token
        )
    except NotFound:
        return render(
            request,
            "key_recovery.html",
            _page(invalid=key_recovery.INVALID_LINK, organisation_id=organisation_id),
            status_code=status.HTTP_404_NOT_FOUND,
            private=True,
        )
    organisation = organisations_service.get_organisation(session, organisation_id=organisation_id)
    return render(
        request,
        "key_recovery.html",
        _page(token=secret, organisation_id=organisation_id, organisation_name=organisation.name),
        private=True,
    )
