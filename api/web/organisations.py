"""The organisations' pages: the list of profiles, Find expertise, a profile with the calls
that fit it and the organisations like it, the forms to register and edit one, and the picker
that adds one to a draft."""

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from api.deps import IdPath, MatchingDep, ProfileContext, SessionDep, SettingsDep
from api.web.pages import (
    MOST_SUGGESTIONS,
    PER_PAGE,
    TERMS_SHOWN,
    PageNumber,
    PageOrganisation,
    Text,
    find_as_typed,
    organisation_named,
    pager_for,
    show_more,
    shown_suggestions,
    valid_country,
    valid_stakeholder_type,
)
from api.web.templating import render
from matchmaker import organisations as organisations_service
from matchmaker import search
from matchmaker.matching import explanations
from matchmaker.matching import suggestions as suggestions_service
from matchmaker.trust import freshness, history
from matchmaker.trust.claims import record_pic
from models.call import CallStatus
from models.common import text, utc_today
from models.organisation import OrganisationPublic

router = APIRouter(include_in_schema=False)

# Calls listed on a profile as fitting it, and organisations listed as like it.
FITTING_CALLS = 8
SIMILAR = 6


@router.get("/ui/organisations")
def list_organisations_page(
    request: Request,
    session: SessionDep,
    q: Text = "",
    stakeholder_type: Text = "",
    country: Text = "",
    page: PageNumber = 1,
) -> HTMLResponse:
    """Organisation profiles, searched by words, filtered by stakeholder type and country."""
    stakeholder_type, country = valid_stakeholder_type(stakeholder_type), valid_country(country)
    params = {"q": q.strip(), "stakeholder_type": stakeholder_type, "country": country}
    searched = search.words_searched(params["q"]) or ""

    def fetch(number: int) -> tuple[list[Any], int]:
        return organisations_service.list_organisations(
            session,
            stakeholder_types=[stakeholder_type] if stakeholder_type else [],
            countries=[country] if country else [],
            q=searched or None,
            limit=PER_PAGE,
            offset=(number - 1) * PER_PAGE,
        )

    items, total = fetch(page)
    pager = pager_for("/ui/organisations", params, page=page, total=total)
    if pager.page != page:
        items, total = fetch(pager.page)
    return render(
        request,
        "organisations.html",
        {
            "organisations": items,
            "snippets": search.snippets(
                session,
                "organisations",
                search.Query.parse(searched),
                [item.id for item in items if item.id],
            ),
            "pager": pager,
            "filters": params,
            "filtered": any(params.values()),
            "wordless": bool(params["q"]) and not searched,
        },
    )


EXPERTISE_LIMIT = 25


@router.get("/ui/expertise")
def find_expertise_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    matching: MatchingDep,
    q: Annotated[str, text(5_000), Query(max_length=5_000)] = "",
    stakeholder_type: Text = "",
    country: Text = "",
    shown: Annotated[int, Query(ge=1, le=MOST_SUGGESTIONS)] = EXPERTISE_LIMIT,
) -> HTMLResponse:
    """Organisations whose expertise fits a free text, ranked by the matching engine (the best
    `shown`, EXPERTISE_LIMIT more with each "Show more"). Without text, every organisation of
    the type chosen (and country), oldest first, as the draft's "Add an organisation" lists
    them (`find_as_typed`); sent with no text and no type, the field says what to write."""
    stakeholder_type, country = valid_stakeholder_type(stakeholder_type), valid_country(country)
    words = " ".join(q.split())
    found = (
        suggestions_service.search_organisations(
            session,
            matching,
            text=words,
            stakeholder_types=[stakeholder_type] if stakeholder_type else [],
            countries=[country] if country else [],
            limit=shown + 1,
        )
        if words
        else []
    )
    listed, total = (
        find_as_typed(session, "", limit=shown, stakeholder_type=stakeholder_type, country=country)
        if not words
        else ([], 0)
    )
    filters = {"q": q, "stakeholder_type": stakeholder_type, "country": country}
    sent = any(name in request.query_params for name in filters)
    return render(
        request,
        "expertise.html",
        {
            "suggestions": shown_suggestions(
                found,
                shown=shown,
                subject="your text",
                session=session,
                stale_after_months=settings.stale_after_months,
            ),
            "more": show_more(
                filters, ranked=len(found) if words else total, shown=shown, step=EXPERTISE_LIMIT
            ),
            "filters": filters,
            "searched": bool(words),
            "listed": listed,
            "listed_total": total,
            # Past the most "Show more" reaches, the Organisations page lists them all.
            "all_listed_url": "/ui/organisations?"
            + urlencode({key: value for key, value in filters.items() if key != "q" and value}),
            # A type chosen without text: its organisations are listed, not ranked.
            "by_type": not words and bool(stakeholder_type),
            # Sent with no words and no type: say what to write rather than show nothing.
            "blank": sent and not words and not stakeholder_type,
        },
    )


@router.get("/ui/organisations/new")
def create_organisation_page(
    request: Request, session: SessionDep, registered: Text = ""
) -> HTMLResponse:
    """The form an organisation registers its profile with; its key is shown once after.

    Once the form is sent, the script replaces this page's history entry with
    `?registered=<id>`: going Back or Forward to it shows what was registered, with the
    profiles it looks like, instead of the filled form, which would register a second copy."""
    done = organisation_named(session, registered)
    return render(
        request,
        "organisation_form.html",
        {
            "organisation": None,
            "registered": done,
            "duplicates": organisations_service.lookalikes(session, done) if done else [],
        },
    )


@router.get("/ui/organisations/{organisation_id}")
def read_organisation_page(
    request: Request,
    organisation_id: IdPath,
    organisation: PageOrganisation,
    session: SessionDep,
    matching: MatchingDep,
    context: ProfileContext,
    settings: SettingsDep,
) -> HTMLResponse:
    """A public profile with the calls that fit it and the organisations most like it; its
    owner is offered to confirm it is current once that is due (`freshness.confirmation_due`)."""
    today = utc_today()
    fitting = suggestions_service.calls_for_organisation(
        session,
        matching,
        organisation_id=organisation_id,
        statuses=[CallStatus.open, CallStatus.forthcoming],
        today=today,
        limit=FITTING_CALLS,
    )
    similar = suggestions_service.similar_organisations(
        session, matching, organisation_id=organisation_id, limit=SIMILAR
    )
    return render(
        request,
        "organisation.html",
        {
            "organisation": OrganisationPublic.model_validate(organisation, context=context),
            "calls": [
                {
                    "call": fit.call,
                    "score": fit.score,
                    "terms": [term.term for term in fit.matched_terms[:TERMS_SHOWN]],
                }
                for item in fitting
                for fit in [explanations.call_match(item.row, item.match, today=today)]
            ],
            "similar": [{"organisation": item.row, "score": item.match.score} for item in similar],
            "confirmation_due": freshness.confirmation_due(
                organisation.confirmed_at, remind_after_months=settings.confirm_reminder_months
            ),
            # Imported as a CORDIS record: CORDIS imports update it, bar the fields kept.
            "imported_from_cordis": record_pic(organisation.external_id) is not None,
            # The CORDIS records it is: imported as one, or holding one it claimed (merged).
            "pics": [
                pic
                for external_id in (
                    organisation.external_id,
                    *history.held_external_ids(session, organisation_id=organisation_id),
                )
                if (pic := record_pic(external_id)) is not None
            ],
        },
    )


@router.get("/ui/organisations/{organisation_id}/edit")
def update_organisation_page(
    request: Request, organisation: PageOrganisation, context: ProfileContext
) -> HTMLResponse:
    """The form an organisation edits its own profile with, signed in with its key; an imported
    profile's form says that what is changed here CORDIS imports no longer update."""
    return render(
        request,
        "organisation_form.html",
        {
            "organisation": OrganisationPublic.model_validate(organisation, context=context),
            "imported_from_cordis": record_pic(organisation.external_id) is not None,
        },
    )


@router.get("/ui/organisation-picker")
def list_organisation_picker(request: Request, session: SessionDep, q: Text = "") -> HTMLResponse:
    """A fragment: organisations with words that begin as those typed, to add to a draft."""
    q = q.strip()
    items, total = find_as_typed(session, q, limit=10)
    return render(request, "_organisation_picker.html", {"q": q, "items": items, "total": total})
