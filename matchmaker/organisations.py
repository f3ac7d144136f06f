"""Organisation profiles: create, read, list, update, delete, and their part of the export."""

from collections.abc import Collection
from typing import Any

from sqlalchemy import select, update
from sqlmodel import Session, col

from matchmaker import search
from matchmaker.auth import OPERATOR, Principal, require_organisation
from matchmaker.consortium.drafts import (
    list_consortia,
    memberships_of,
    record_departures,
    to_public_many,
)
from matchmaker.errors import Conflict, NotFound
from matchmaker.keys import issue_key, list_keys
from matchmaker.partnering import events
from matchmaker.partnering.departures import announce_departure
from matchmaker.repository import (
    ExpectedVersion,
    check_version,
    create,
    paginate,
    unchanged,
    versioned_delete,
    versioned_update,
    versioned_update_many,
)
from matchmaker.trust.duplicates import identity, possible_duplicates
from matchmaker.trust.history import held_external_ids, merged_into, remember_deleted
from matchmaker.wording import and_list, quoted
from models.apikey import ApiKey, KeyCreate, KeyPublic, KeyRole
from models.change import Entity
from models.common import utc_now
from models.consortium import Consortium, ConsortiumMember
from models.organisation import (
    OWNABLE_FIELDS,
    Activity,
    Organisation,
    OrganisationCreate,
    OrganisationPrivate,
    OrganisationUpdate,
    PossibleDuplicate,
    dropped_verification,
    owned_now,
)
from models.saved_search import JobKind
from models.trust import Claim, ClaimStatus


def create_organisation(
    session: Session, *, data: OrganisationCreate
) -> tuple[Organisation, ApiKey, str]:
    """Store a new profile; return it with its owner key and the key's token (shown only now)."""
    values = data.model_dump(mode="json")
    now = utc_now()
    organisation = create(
        session,
        Organisation(
            **values, **identity(values), created_at=now, updated_at=now, confirmed_at=now
        ),
        entity=Entity.organisation,
    )
    key, token = issue_key(
        session,
        data=KeyCreate(role=KeyRole.organisation, organisation_id=organisation.id, label="owner"),
        actor=OPERATOR,
    )
    events.record(session, kind=JobKind.organisation, item_id=organisation.id)
    return organisation, key, token


def duplicates_of(session: Session, *, data: OrganisationCreate) -> list[PossibleDuplicate]:
    """The stored profiles a new one would look like (asked before creating it)."""
    return possible_duplicates(
        session,
        name=data.name,
        country=data.country,
        website=data.model_dump(mode="json")["website"],
    )


def lookalikes(session: Session, organisation: Organisation) -> list[PossibleDuplicate]:
    """The other stored profiles that look like a stored one (an admin may merge them)."""
    return possible_duplicates(
        session,
        name=organisation.name,
        country=organisation.country,
        website=organisation.website,
        exclude=[organisation.id or 0],
    )


def get_organisation(
    session: Session, *, organisation_id: int, for_update: bool = False
) -> Organisation:
    """Load one profile (locked for a write with `for_update`) or raise NotFound; the NotFound
    of a profile merged into another names the one it became."""
    organisation = session.get(Organisation, organisation_id, with_for_update=for_update or None)
    if organisation is None:
        survivor = merged_into(session, organisation_id=organisation_id)
        if survivor is not None:
            raise NotFound(
                f"Organisation {organisation_id} was merged into organisation {survivor}: "
                f"read /organisations/{survivor}."
            )
        raise NotFound(f"No organisation with id {organisation_id}.")
    return organisation


def list_organisations(
    session: Session,
    *,
    stakeholder_types: Collection[str] = (),
    countries: Collection[str] = (),
    q: str | None = None,
    limit: int,
    offset: int,
) -> tuple[list[Organisation], int]:
    """One page of profiles, filtered by type, country and a search, oldest or best first.

    `q` is a full-text search (see `matchmaker.search`) over name, description, keywords and
    activities; its results come best first.
    """
    statement = select(Organisation)
    if q and q.strip():
        hits = search.matches(session, "organisations", search.Query.parse(q))
        statement = statement.join(hits, hits.c.id == col(Organisation.id)).order_by(
            hits.c.rank.desc()
        )
    statement = statement.order_by(col(Organisation.id))
    if stakeholder_types:
        statement = statement.where(Organisation.stakeholder_type.in_(stakeholder_types))  # type: ignore[attr-defined]
    if countries:
        statement = statement.where(Organisation.country.in_(countries))  # type: ignore[attr-defined]
    return paginate(session, statement, limit=limit, offset=offset)


def update_organisation(
    session: Session,
    *,
    organisation_id: int,
    data: OrganisationUpdate,
    actor: Principal | None,
    expected_version: ExpectedVersion = None,
) -> Organisation:
    """Change the fields given, if the caller owns the profile and its version is current."""
    require_organisation(actor, organisation_id)
    organisation = get_organisation(session, organisation_id=organisation_id, for_update=True)
    changes = data.model_dump(mode="json", exclude_unset=True)
    if "activities" in changes:
        changes["activities"] = keep_verified(organisation.activities, changes["activities"])
    changes.update(identity(changes))
    changes.update(dropped_verification(organisation, changes))
    changes.update(owned_now(organisation, changes))
    if unchanged(organisation, changes):
        check_version(organisation, expected_version)
        return organisation
    updated = versioned_update(
        session,
        organisation,
        changes,
        entity=Entity.organisation,
        expected_version=expected_version,
    )
    events.record(session, kind=JobKind.organisation, item_id=organisation_id)
    return updated


def hand_back_to_import(
    session: Session,
    *,
    organisation_id: int,
    field: str,
    actor: Principal | None,
    expected_version: ExpectedVersion = None,
) -> Organisation:
    """Let imports update a field of an imported record again, though it was written here
    since the import: the field leaves `owned_fields`, and keeps its value until the next
    import brings the source's. A field not kept is left as it is (nothing changes).

    A profile registered here has nothing kept (no import updates it), and a verified type
    stays kept while the verification stands: both are refused (409), saying why.
    """
    require_organisation(actor, organisation_id)
    if field not in OWNABLE_FIELDS:
        raise NotFound(
            f"A profile has no field {quoted(field)} that imports could leave as written "
            f"here; the fields are {and_list(sorted(OWNABLE_FIELDS))}."
        )
    organisation = get_organisation(session, organisation_id=organisation_id, for_update=True)
    check_version(organisation, expected_version)
    if organisation.external_id is None:
        raise Conflict(
            f"Organisation {organisation_id} was registered here, not imported: no import "
            "updates it, so it has no field to hand back."
        )
    if field == "stakeholder_type" and organisation.type_verified_at is not None:
        raise Conflict(
            "The stakeholder type is kept while an administrator's verification of it "
            "stands, so that an import never drops a verification. An administrator can "
            f"withdraw it (DELETE /admin/organisations/{organisation_id}/type-verification)."
        )
    if field not in organisation.owned_fields:
        return organisation
    return versioned_update(
        session,
        organisation,
        {"owned_fields": [name for name in organisation.owned_fields if name != field]},
        entity=Entity.organisation,
        expected_version=expected_version,
    )


def keep_verified(
    stored: list[dict[str, Any]], given: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """New activities, each marked verified when a stored verified one says exactly the same:
    an owner rewriting its list keeps what a claim verified, and cannot verify anything else."""
    verified = [activity_content(activity) for activity in stored if activity.get("verified")]
    return [
        {**activity, "verified": True} if activity_content(activity) in verified else activity
        for activity in given
    ]


def activity_content(activity: dict[str, Any]) -> dict[str, Any]:
    """What an activity says, every field present, without its verification."""
    fields = {name: value for name, value in activity.items() if name != "verified"}
    return Activity.model_validate(fields).model_dump(mode="json")


def delete_organisation(
    session: Session,
    *,
    organisation_id: int,
    actor: Principal | None,
    base_url: str,
    expected_version: ExpectedVersion = None,
) -> None:
    """Delete a profile and everything stored about it: its keys, its drafts, its memberships.

    Other organisations' drafts it was in lose a member, which changes them: their versions
    are bumped, so that a write based on the member list read before is refused (412), each
    keeps that it left, by its name, type and role (`consortium.drafts.record_departures`),
    and their owners are told, one message each naming their drafts (`partnering.departures`).
    The external ids of the imported records it was (its own, and those merged into it, whose
    merge records go with it) are remembered as deleted, so that no import brings them back.
    """
    require_organisation(actor, organisation_id)
    organisation = get_organisation(session, organisation_id=organisation_id, for_update=True)
    records = [
        *([organisation.external_id] if organisation.external_id else []),
        *held_external_ids(session, organisation_id=organisation_id),
    ]
    drafts = session.scalars(
        select(Consortium)
        .join(ConsortiumMember, col(ConsortiumMember.consortium_id) == col(Consortium.id))
        .where(
            col(ConsortiumMember.organisation_id) == organisation_id,
            col(Consortium.owner_organisation_id) != organisation_id,
        )
        .order_by(col(Consortium.id))
        .with_for_update()
    ).all()
    now = utc_now()
    versioned_update_many(session, [(draft, {}) for draft in drafts], entity=Entity.consortium)
    record_departures(session, organisation=organisation, drafts=drafts, when=now)
    announce_departure(session, organisation=organisation, drafts=drafts, base_url=base_url)
    # Claims of this profile as a record can never be confirmed now (the database forgets
    # the record in them); the waiting ones say why they ended.
    session.execute(
        update(Claim)
        .where(
            col(Claim.record_id) == organisation_id,
            col(Claim.status) == ClaimStatus.pending.value,
        )
        .values(status=ClaimStatus.record_deleted.value)
    )
    versioned_delete(
        session, organisation, entity=Entity.organisation, expected_version=expected_version
    )
    remember_deleted(session, external_ids=records, when=now)


def export_organisation(
    session: Session,
    *,
    organisation_id: int,
    actor: Principal | None,
    context: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An organisation's profile, keys and drafts, for its owner or an admin: the part of its
    export (`matchmaker.export`) this module keeps.

    Drafts of other organisations that list it are not in it: they are their owners' data.
    `context` is the profile schemas' validation context (when profiles are stale).
    """
    require_organisation(actor, organisation_id)
    organisation = get_organisation(session, organisation_id=organisation_id)
    owner = Principal(role=KeyRole.organisation, organisation_id=organisation_id)
    keys, _ = list_keys(
        session, actor=owner, organisation_id=organisation_id, limit=10_000, offset=0
    )
    drafts, _ = list_consortia(session, actor=owner, limit=10_000, offset=0)
    return {
        "profile": OrganisationPrivate.model_validate(
            organisation, from_attributes=True, context=context
        ),
        "api_keys": [KeyPublic.model_validate(key, from_attributes=True) for key in keys],
        "consortia_owned": to_public_many(session, drafts, departures_shown=None),
        "consortia_member_of": memberships_of(session, organisation_id=organisation_id),
    }
