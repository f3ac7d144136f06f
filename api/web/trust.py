"""The trust pages: an owner confirms its profile is current, or claims its CORDIS record;
anyone reads what a "Verified" or "Unverified" type means.

Both pages are public HTML; what they send needs the organisation's key, which only the page's
script holds, so the forms post to the JSON API (`POST /organisations/{id}/confirm`, `POST
/organisations/{id}/claims`) with it. The confirm page is where the e-mailed reminder leads:
the link carries no secret, so a forwarded or scanned mail confirms nothing.
"""

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from api.deps import ActorDep, IdPath, ProfileContext, QueryLine, SessionDep, SettingsDep
from api.web.pages import PageOrganisation
from api.web.templating import render
from matchmaker import organisations as organisations_service
from matchmaker.auth import require_role
from matchmaker.errors import NotFound
from matchmaker.trust import claims as claims_service
from matchmaker.trust import merging
from models.common import TYPES_VERIFIED_BY_ADMIN, StakeholderType
from models.organisation import Organisation, OrganisationPublic
from models.trust import Claim, ClaimStatus

router = APIRouter(include_in_schema=False)

# The claims page lists the oldest pending claims, this many.
CLAIMS_SHOWN = 100


@dataclass(frozen=True)
class ClaimRow:
    """A pending claim with the profiles it names (None for one gone meanwhile)."""

    claim: Claim
    claimant: Organisation | None
    record: Organisation | None


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
    request: Request,
    organisation: PageOrganisation,
    session: SessionDep,
    settings: SettingsDep,
    record: QueryLine = "",
) -> HTMLResponse:
    """The form the signed-in owner claims a CORDIS record with (its projects, verified): the
    imported records that look like the profile listed with their PIC, each a link that fills
    the form with it (`record`, digits only; anything else is ignored)."""
    return render(
        request,
        "claim_form.html",
        {
            "organisation": OrganisationPublic.model_validate(organisation),
            "link_hours": settings.claim_link_hours,
            "records": claims_service.records_like(session, organisation),
            "record": record if record.isascii() and record.isdigit() else "",
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


@router.get("/ui/organisations/{organisation_id}/lookalikes")
def read_lookalikes_panel(
    request: Request, organisation_id: IdPath, session: SessionDep, actor: ActorDep
) -> HTMLResponse:
    """A fragment for an administrator on a profile's page: the profiles that look like it,
    each with "Merge it into this profile" (an admin's key; computed only when asked), and
    what decides a merge's direction and risk for each and for this profile (`MergeSide`)."""
    require_role(actor, ())
    organisation = organisations_service.get_organisation(session, organisation_id=organisation_id)
    duplicates = organisations_service.lookalikes(session, organisation)
    listed = [organisation_id, *(item.id for item in duplicates)] if duplicates else []
    context = {
        "organisation": organisation,
        "duplicates": duplicates,
        "sides": merging.merge_sides(session, listed),
    }
    return render(request, "_lookalikes.html", context, private=True)


@router.get("/ui/admin/claims")
def list_claims_page(request: Request) -> HTMLResponse:
    """Where an administrator confirms or refuses the claims of CORDIS records waiting (the
    panel needs an admin's key)."""
    return render(request, "admin_claims.html")


@router.get("/ui/admin/claims/panel")
def read_claims_panel(request: Request, session: SessionDep, actor: ActorDep) -> HTMLResponse:
    """A fragment: the oldest pending claims, naming the claiming profile and the record (an
    admin's key)."""
    pending, total = claims_service.list_claims(
        session, actor=actor, status=ClaimStatus.pending, limit=CLAIMS_SHOWN, offset=0
    )
    rows = [
        ClaimRow(
            claim=claim,
            claimant=_profile(session, claim.organisation_id),
            record=_profile(session, claim.record_id),
        )
        for claim in pending
    ]
    return render(request, "_claims_panel.html", {"rows": rows, "total": total}, private=True)


def _profile(session: Session, organisation_id: int | None) -> Organisation | None:
    if organisation_id is None:
        return None
    try:
        return organisations_service.get_organisation(session, organisation_id=organisation_id)
    except NotFound:
        return None
