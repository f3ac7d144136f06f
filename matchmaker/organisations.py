"""Organisation profiles: create, read, list, update, delete, and export everything stored."""

from collections.abc import Collection
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from matchmaker import search
from matchmaker.auth import OPERATOR, Principal, require_organisation
from matchmaker.consortium.drafts import list_consortia, memberships_of, to_public
from matchmaker.keys import issue_key, list_keys
from matchmaker.repository import (
    create,
    get_or_raise,
    paginate,
    versioned_delete,
    versioned_update,
    versioned_update_many,
)
from models.apikey import KeyCreate, KeyPublic, KeyRole
from models.change import Entity
from models.consortium import Consortium, ConsortiumMember
from models.organisation import (
    Organisation,
    OrganisationCreate,
    OrganisationPrivate,
    OrganisationUpdate,
)


def create_organisation(session: Session, *, data: OrganisationCreate) -> tuple[Organisation, str]:
    """Store a new profile; return it with its owner key's token (shown only this once)."""
    organisation = create(
        session, Organisation(**data.model_dump(mode="json")), entity=Entity.organisation
    )
    _, token = issue_key(
        session,
        data=KeyCreate(role=KeyRole.organisation, organisation_id=organisation.id, label="owner"),
        actor=OPERATOR,
    )
    return organisation, token


def get_organisation(
    session: Session, *, organisation_id: int, for_update: bool = False
) -> Organisation:
    """Load one profile (locked for a write with `for_update`) or raise NotFound."""
    return get_or_raise(
        session, Organisation, organisation_id, noun="organisation", for_update=for_update
    )


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
    expected_version: int | None = None,
) -> Organisation:
    """Change the fields given, if the caller owns the profile and its version is current."""
    require_organisation(actor, organisation_id)
    organisation = get_organisation(session, organisation_id=organisation_id, for_update=True)
    changes = data.model_dump(mode="json", exclude_unset=True)
    return versioned_update(
        session,
        organisation,
        changes,
        entity=Entity.organisation,
        expected_version=expected_version,
    )


def delete_organisation(
    session: Session,
    *,
    organisation_id: int,
    actor: Principal | None,
    expected_version: int | None = None,
) -> None:
    """Delete a profile and everything stored about it: its keys, its drafts, its memberships.

    Other organisations' drafts it was in lose a member, which changes them: their versions
    are bumped, so that a write based on the member list read before is refused (412).
    """
    require_organisation(actor, organisation_id)
    organisation = get_organisation(session, organisation_id=organisation_id, for_update=True)
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
    versioned_update_many(session, [(draft, {}) for draft in drafts], entity=Entity.consortium)
    versioned_delete(
        session, organisation, entity=Entity.organisation, expected_version=expected_version
    )


def export_organisation(
    session: Session, *, organisation_id: int, actor: Principal | None
) -> dict[str, Any]:
    """Everything stored about an organisation, for its owner or an admin.

    Drafts of other organisations that list it are not in it: they are their owners' data.
    """
    require_organisation(actor, organisation_id)
    organisation = get_organisation(session, organisation_id=organisation_id)
    owner = Principal(role=KeyRole.organisation, organisation_id=organisation_id)
    keys, _ = list_keys(
        session, actor=owner, organisation_id=organisation_id, limit=10_000, offset=0
    )
    drafts, _ = list_consortia(session, actor=owner, limit=10_000, offset=0)
    return {
        "profile": OrganisationPrivate.model_validate(organisation, from_attributes=True),
        "api_keys": [KeyPublic.model_validate(key, from_attributes=True) for key in keys],
        "consortia_owned": [to_public(session, draft) for draft in drafts],
        "consortia_member_of": memberships_of(session, organisation_id=organisation_id),
    }
