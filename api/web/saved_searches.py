"""The saved-searches page: the signed-in organisation's saved searches, to list, add and delete,
and how often its notification e-mails go out.

Like the inbox, the page is public and its content private: the script fetches the panel with
the key (`Authorization: Bearer`), rendered for that key's organisation by the same service as
`GET /organisations/{id}/saved-searches`; saving and deleting go to the JSON API itself. Each
search shows what it finds now, by the rule of its notification e-mails
(`matchmaker.partnering.finds`).
"""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.deps import ActorDep, MatchingDep, SessionDep, SettingsDep
from api.web.templating import render
from matchmaker import calls as calls_service
from matchmaker import organisations as organisations_service
from matchmaker.partnering import finds, preferences, saved_searches
from matchmaker.partnering.requests import require_organisation_key
from models.common import utc_today
from models.notifications import EmailFrequency
from models.saved_search import DEFAULT_THRESHOLD, MAX_SEARCH_TEXT, SearchTarget

router = APIRouter(include_in_schema=False)

TARGET_WORDS = {
    SearchTarget.calls: "New calls",
    SearchTarget.organisations: "New or updated organisations",
    SearchTarget.partner_requests: "New partner requests",
}

# The e-mail choices (PUT /organisations/{id}/notification-preferences), in the panel's words.
EMAIL_WORDS = {
    EmailFrequency.immediately: "One e-mail for each new message, answer or match",
    EmailFrequency.daily: "One e-mail a day listing them",
    EmailFrequency.off: "No e-mail: messages and answers still wait in your inbox",
}


@router.get("/ui/saved-searches")
def read_saved_searches_page(request: Request) -> HTMLResponse:
    """The saved searches; their private content is loaded by the page's script with the key."""
    return render(request, "saved_searches.html")


@router.get("/ui/saved-searches/panel")
def read_saved_searches_panel(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    matching: MatchingDep,
    actor: ActorDep,
) -> HTMLResponse:
    """A fragment: the caller's saved searches with what each finds now, the form to add one,
    and when its notification e-mails go out (an organisation key)."""
    _, organisation_id = require_organisation_key(actor)
    organisation = organisations_service.get_organisation(session, organisation_id=organisation_id)
    items, total = saved_searches.list_saved_searches(
        session,
        organisation_id=organisation_id,
        actor=actor,
        limit=settings.max_saved_searches,
        offset=0,
    )
    return render(
        request,
        "_saved_searches_panel.html",
        {
            "organisation_id": organisation_id,
            "searches": items,
            "finds": finds.find_now(
                session,
                matching,
                organisation=organisation,
                searches=items,
                today=utc_today(),
            ),
            "total": total,
            "max_searches": settings.max_saved_searches,
            "targets": TARGET_WORDS,
            "default_threshold": DEFAULT_THRESHOLD,
            "max_text": MAX_SEARCH_TEXT,
            "programmes": calls_service.list_programmes(session),
            "email": preferences.read_preferences(
                session, organisation_id=organisation_id, actor=actor
            ),
            "email_words": EMAIL_WORDS,
            "contact_email": organisation.contact_email,
        },
        private=True,
    )
