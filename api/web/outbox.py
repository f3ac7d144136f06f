"""The administrator's page of the outbox: how many notification e-mails and webhook deliveries
wait and since when, which failed and are retried (with the error, never the address, subject
or body: they are personal data), when the last went out, and whether e-mail is configured.

The page is public HTML; the figures (a fragment) need an administrator's key, which only the
page's script holds. `GET /admin/outbox` answers the same figures as JSON.
"""

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from api.deps import ActorDep, SessionDep, SettingsDep
from api.web.pages import PER_PAGE, PageNumber, pager_for
from api.web.templating import render
from matchmaker.auth import require_role
from matchmaker.partnering.outbox import outbox_report
from models.common import utc_now
from models.notifications import OutboxReport

router = APIRouter(include_in_schema=False)

PAGE_PATH = "/ui/admin/outbox"


def _pages(page: int, webhook_page: int) -> dict[str, str]:
    """The pages of the two lists as a query names them (none for a first page)."""
    return {
        key: str(number)
        for key, number in (("page", page), ("webhook_page", webhook_page))
        if number > 1
    }


@router.get(PAGE_PATH)
def outbox_page(
    request: Request, page: PageNumber = 1, webhook_page: PageNumber = 1
) -> HTMLResponse:
    """Where an administrator sees what the service's e-mail and webhooks are doing (the
    figures need an admin's key); `page` and `webhook_page` choose the pages of the failing
    e-mails and webhook deliveries."""
    query = urlencode(_pages(page, webhook_page))
    panel_url = f"{PAGE_PATH}/panel" + (f"?{query}" if query else "")
    return render(request, "admin_outbox.html", {"panel_url": panel_url})


def _report(session: Session, email_configured: bool, page: int, webhook_page: int) -> OutboxReport:
    return outbox_report(
        session,
        email_configured=email_configured,
        limit=PER_PAGE,
        offset=(page - 1) * PER_PAGE,
        webhook_offset=(webhook_page - 1) * PER_PAGE,
    )


@router.get(f"{PAGE_PATH}/panel")
def read_outbox_panel(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    actor: ActorDep,
    page: PageNumber = 1,
    webhook_page: PageNumber = 1,
) -> HTMLResponse:
    """A fragment: the outbox's figures and a page of each list of failing deliveries (an
    admin's key); a page past a list's end shows its last."""
    require_role(actor, ())
    configured = settings.smtp_url is not None
    report = _report(session, configured, page, webhook_page)
    last_email = pager_for(PAGE_PATH, {}, page=page, total=report.emails.failing.total).page
    last_webhook = pager_for(
        PAGE_PATH, {}, page=webhook_page, total=report.webhooks.failing.total
    ).page
    if (last_email, last_webhook) != (page, webhook_page):  # past the end: retried meanwhile
        page, webhook_page = last_email, last_webhook
        report = _report(session, configured, page, webhook_page)
    email_pager = pager_for(
        PAGE_PATH,
        _pages(1, webhook_page),
        page=page,
        total=report.emails.failing.total,
    )
    webhook_pager = pager_for(
        PAGE_PATH,
        _pages(page, 1),
        page=webhook_page,
        total=report.webhooks.failing.total,
        param="webhook_page",
    )
    return render(
        request,
        "_outbox_panel.html",
        {
            "report": report,
            "now": utc_now(),
            "email_pager": email_pager,
            "webhook_pager": webhook_pager,
        },
        private=True,
    )
