"""SQLModel tables and API schemas; no queries, no I/O."""

from sqlalchemy import MetaData
from sqlmodel import SQLModel

# A fixed naming convention keeps constraint names identical across databases and migrations.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

from models.apikey import ApiKey  # noqa: E402
from models.call import Call  # noqa: E402
from models.change import Change  # noqa: E402
from models.consortium import Consortium, ConsortiumMember  # noqa: E402
from models.keyrecovery import KeyRecoveryToken  # noqa: E402
from models.notifications import (  # noqa: E402
    NotificationPreference,
    Webhook,
    WebhookDelivery,
)
from models.organisation import Organisation  # noqa: E402
from models.partnering import (  # noqa: E402
    ContactRequest,
    OrganisationBlock,
    OutboxMessage,
    PartnerRequest,
)
from models.ratelimit import RateLimitCounter  # noqa: E402
from models.rules import CountryStatusRow  # noqa: E402
from models.saved_search import NotificationJob, NotificationKey, SavedSearch  # noqa: E402
from models.trust import Claim, DeletedRecord, OrganisationMerge  # noqa: E402

metadata: MetaData = SQLModel.metadata

__all__ = [
    "ApiKey",
    "Call",
    "Change",
    "Claim",
    "Consortium",
    "ConsortiumMember",
    "ContactRequest",
    "CountryStatusRow",
    "DeletedRecord",
    "KeyRecoveryToken",
    "NotificationJob",
    "NotificationKey",
    "NotificationPreference",
    "Organisation",
    "OrganisationBlock",
    "OrganisationMerge",
    "OutboxMessage",
    "PartnerRequest",
    "RateLimitCounter",
    "SavedSearch",
    "Webhook",
    "WebhookDelivery",
    "metadata",
]
