"""The trust pages: an owner confirms its profile is current, or claims its CORDIS record;
anyone reads what a "Verified" or "Unverified" type means.

Both pages are public HTML; what they send needs the organisation's key, which only the page's
script holds, so the forms post to the JSON API (`POST /organisations/{id}/confirm`, `POST
/organisations/{id}/claims`) with it. The confirm page is where the e-mailed reminder leads:
the link carries no secret, so a forwarded or scanned mail confirms nothing.
"""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.deps import ProfileContext, SettingsDep
from api.web.pages import PageOrganisation
from api.web.templating import render
from models.common import TYPES_VERIFIED_BY_ADMIN, StakeholderType
from models.organisation import OrganisationPublic

router = APIRouter(include_in_schema=False)


@router.get("/ui/organisations/{organisation_id}/confirm")
def confirm_organisation_page(
    request: Request,
    organisation: PageOrganisation,
    settings: SettingsDep,
    context: ProfileContext,
) -> HTMLResponse:
    """Where the signed-in owner confirms its profile is current (the reminder's link)."""
    return render(
        request,
        "confirm_profile.html",
        {
            "organisation": OrganisationPublic.model_validate(organisation, context=context),
            "stale_after_months": settings.stale_after_months,
            "reminder_months": settings.confirm_reminder_months,
        },
    )


@router.get("/ui/organisations/{organisation_id}/claim")
def create_claim_page(
    request: Request, organisation: PageOrganisation, settings: SettingsDep
) -> HTMLResponse:
    """The form the signed-in owner claims a CORDIS record with (its projects, verified)."""
    return render(
        request,
        "claim_form.html",
        {
            "organisation": OrganisationPublic.model_validate(organisation),
            "link_hours": settings.claim_link_hours,
        },
    )


@router.get("/ui/verification")
def explain_verification_page(request: Request, settings: SettingsDep) -> HTMLResponse:
    """What "Verified" and "Unverified" beside a type mean, and how an organisation gets
    verified (the badges link here)."""
    return render(
        request,
        "verification.html",
        {
            "verified_types": [kind for kind in StakeholderType if kind in TYPES_VERIFIED_BY_ADMIN],
            "admin_contact": settings.admin_contact,
        },
    )
