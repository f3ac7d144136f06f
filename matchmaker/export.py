"""An organisation's export: everything stored about it, gathered from every package that
keeps some (its profile, keys and drafts; its partner requests, messages, blocks and the
notifications sent to it; its saved searches, webhooks and e-mail preference; its claims)."""

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from matchmaker.auth import Principal, require_organisation
from matchmaker.organisations import export_organisation as export_profile
from matchmaker.partnering import (
    contacts,
    outbox,
    preferences,
    requests,
    saved_searches,
    webhooks,
)
from matchmaker.trust import claims
from models.apikey import KeyRole
from models.call import Call
from models.notifications import WebhookPublic
from models.organisation import Organisation
from models.partnering import PartnerRequest
from models.saved_search import SavedSearchPublic
from models.trust import ClaimPublic

# As for keys and drafts: far past what one organisation keeps, a bound all the same.
_ALL = 10_000


def export_organisation(
    session: Session,
    *,
    organisation_id: int,
    actor: Principal | None,
    now: datetime,
    context: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything stored about an organisation, for its own key or an admin's.

    Its messages (contact requests and expressions of interest, sent and received) are only
    their parties' to read, so an admin's export leaves them out (`contact_requests` null);
    the organisation's own shows them without the other party's contact address. So do the
    notifications queued or sent to it (the outbox), which quote those messages
    (`notifications` null for an admin), and show no e-mail address at all.
    `context` is the profile schemas' validation context (when profiles are stale).
    """
    require_organisation(actor, organisation_id)
    exported = export_profile(
        session, organisation_id=organisation_id, actor=actor, context=context
    )
    owner = Principal(role=KeyRole.organisation, organisation_id=organisation_id)
    published = session.execute(
        select(PartnerRequest, Call, Organisation)
        .join(Call, col(Call.id) == col(PartnerRequest.call_id))
        .join(Organisation, col(Organisation.id) == col(PartnerRequest.organisation_id))
        .where(col(PartnerRequest.organisation_id) == organisation_id)
        .order_by(col(PartnerRequest.id))
    ).all()
    searches, _ = saved_searches.list_saved_searches(
        session, organisation_id=organisation_id, actor=owner, limit=_ALL, offset=0
    )
    own_claims, _ = claims.list_claims(
        session, actor=owner, organisation_id=organisation_id, limit=_ALL, offset=0
    )
    messages = notifications = None
    if actor is not None and actor.organisation_id == organisation_id:
        notifications = outbox.exported_notifications(session, organisation_id=organisation_id)
        inbox = contacts.read_inbox(session, actor=owner, limit=_ALL, offset=0, now=now)
        # The other party's address is its data, not this organisation's: GET /inbox shows it
        # once a request is accepted, and the privacy rule keeps it there.
        messages = inbox.model_copy(
            update={
                box: [item.model_copy(update={"contact_email": None}) for item in items]
                for box, items in (("received", inbox.received), ("sent", inbox.sent))
            }
        )
    return exported | {
        "partner_requests": [
            requests.to_public(request, call, publisher, today=now.date())
            for request, call, publisher in published
        ],
        "contact_requests": messages,
        "notifications": notifications,
        "blocks": contacts.list_blocks(session, actor=owner),
        "saved_searches": [SavedSearchPublic.model_validate(search) for search in searches],
        "webhooks": [
            WebhookPublic.model_validate(webhook, from_attributes=True)
            for webhook in webhooks.list_webhooks(
                session, organisation_id=organisation_id, actor=owner
            )
        ],
        "notification_preferences": {
            "email": preferences.read_preferences(
                session, organisation_id=organisation_id, actor=owner
            )
        },
        "claims": [ClaimPublic.model_validate(claim) for claim in own_claims],
    }
