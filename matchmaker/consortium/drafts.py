"""Consortium drafts: create, read, list, update, delete, their members, and the members
that left them by deleting their profiles."""

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlmodel import Session, col

from matchmaker.auth import Principal, require_key, require_organisation_key
from matchmaker.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from matchmaker.repository import (
    ExpectedVersion,
    check_version,
    matched_rows,
    paginate,
    stored_id,
    versioned_delete,
    versioned_update,
)
from matchmaker.wording import organisations_by_id
from models.call import Call
from models.change import Entity
from models.common import utc_now
from models.consortium import (
    DEPARTURES_SHOWN,
    MAX_MEMBERS,
    Consortium,
    ConsortiumCreate,
    ConsortiumDeparture,
    ConsortiumMember,
    ConsortiumPublic,
    ConsortiumUpdate,
    DeparturePublic,
    MemberIn,
    MemberPublic,
    Role,
)
from models.organisation import Organisation, OrganisationSummary
from models.partnering import PartnerRequest


def _check_call(session: Session, call_id: int) -> None:
    if session.get(Call, call_id) is None:
        raise InvalidInput(f"No call with id {call_id}.", field="call_id")


def _check_members(session: Session, members: Sequence[MemberIn]) -> None:
    ids = [member.organisation_id for member in members]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise InvalidInput(f"Organisations listed twice: {duplicates}.", field="members")
    if sum(member.role is Role.coordinator for member in members) > 1:
        raise InvalidInput("A consortium has at most one coordinator.", field="members")
    found = set(
        session.scalars(select(col(Organisation.id)).where(col(Organisation.id).in_(ids))).all()
    )
    missing = [i for i in ids if i not in found]
    if missing:
        raise InvalidInput(f"Unknown {organisations_by_id(missing)}.", field="members")


def _require_draft_reader(actor: Principal | None) -> Principal:
    """Refuse, before any lookup, callers that can read no draft: no key, or a key with no
    organisation that is not an admin's (a coordinator's)."""
    actor = require_key(actor)
    if not actor.is_admin and actor.organisation_id is None:
        raise PermissionDenied("Drafts belong to organisations: use an organisation's key.")
    return actor


def create_consortium(
    session: Session, *, data: ConsortiumCreate, actor: Principal | None
) -> Consortium:
    """Store a new draft for an existing call, owned by the calling organisation.

    Only an organisation's key creates drafts: every draft has an owner, and an admin's or a
    coordinator's key has no organisation to give it.
    """
    actor, owner_id = require_organisation_key(
        actor, refusal="A draft belongs to the organisation whose key creates it: use that key."
    )
    _check_call(session, data.call_id)
    _check_members(session, data.members)
    consortium = Consortium(name=data.name, call_id=data.call_id, owner_organisation_id=owner_id)
    session.add(consortium)
    session.flush()
    consortium_id = stored_id(consortium)
    session.add_all(
        ConsortiumMember(
            consortium_id=consortium_id,
            organisation_id=member.organisation_id,
            role=member.role,
        )
        for member in data.members
    )
    session.flush()
    return consortium


def get_consortium(
    session: Session, *, consortium_id: int, actor: Principal | None, for_update: bool = False
) -> Consortium:
    """Load one draft its owner (or an admin) asks for (locked for a write), or NotFound.

    The caller is authorised before the lookup, and another organisation's draft is NotFound
    like a missing one, so that no caller learns which draft ids exist.
    """
    actor = _require_draft_reader(actor)
    consortium = session.get(Consortium, consortium_id, with_for_update=for_update or None)
    if consortium is None or not (
        actor.is_admin or consortium.owner_organisation_id == actor.organisation_id
    ):
        raise NotFound(f"No consortium with id {consortium_id}.")
    return consortium


def body_draft(session: Session, *, consortium_id: int, actor: Principal | None) -> Consortium:
    """The caller's draft that a request body names as `consortium_id`; NotFound naming that
    field, as for a missing draft, when it is missing or another organisation's."""
    try:
        return get_consortium(session, consortium_id=consortium_id, actor=actor)
    except NotFound as error:
        raise NotFound(error.detail, field="consortium_id") from None


def members_of(
    session: Session, *, consortium_id: int
) -> list[tuple[ConsortiumMember, Organisation]]:
    """A draft's members with their organisations, in the order they joined."""
    return _member_rows(session, [consortium_id])


def members_by_draft(
    session: Session, consortium_ids: Collection[int]
) -> dict[int, list[Organisation]]:
    """Several drafts' members' organisations, each draft's in the order they joined, from
    one query."""
    found: dict[int, list[Organisation]] = {}
    for member, organisation in _member_rows(session, consortium_ids):
        found.setdefault(member.consortium_id, []).append(organisation)
    return found


def _member_rows(
    session: Session, consortium_ids: Collection[int]
) -> list[tuple[ConsortiumMember, Organisation]]:
    rows = session.execute(
        select(ConsortiumMember, Organisation)
        .join(Organisation, col(Organisation.id) == col(ConsortiumMember.organisation_id))
        .where(col(ConsortiumMember.consortium_id).in_(list(consortium_ids)))
        .order_by(col(ConsortiumMember.id))
    ).all()
    return [(member, organisation) for member, organisation in rows]


def record_departures(
    session: Session, *, organisation: Organisation, drafts: Sequence[Consortium], when: datetime
) -> None:
    """Before the organisation's profile is deleted, in that transaction: keep in each of
    `drafts` (other organisations' drafts it is a member of) that it left then, with its name,
    type and role as they were (`ConsortiumDeparture`), for the draft's owner to read. Its
    own drafts go with it, so nothing is kept in them."""
    others = [
        stored_id(draft) for draft in drafts if draft.owner_organisation_id != organisation.id
    ]
    if not others:
        return
    roles = session.execute(
        select(col(ConsortiumMember.consortium_id), col(ConsortiumMember.role))
        .where(
            col(ConsortiumMember.organisation_id) == organisation.id,
            col(ConsortiumMember.consortium_id).in_(others),
        )
        .order_by(col(ConsortiumMember.consortium_id))
    ).all()
    session.add_all(
        ConsortiumDeparture(
            consortium_id=consortium_id,
            name=organisation.name,
            stakeholder_type=organisation.stakeholder_type,
            role=role,
            left_at=when,
        )
        for consortium_id, role in roles
    )
    session.flush()


def departures_by_draft(
    session: Session, consortium_ids: Collection[int], *, limit: int | None
) -> dict[int, list[DeparturePublic]]:
    """The members that left each of several drafts by deleting their profiles, the most
    recent first, from one query: each draft's first `limit` of them, or all with None."""
    found: dict[int, list[DeparturePublic]] = {}
    for row in session.scalars(
        select(ConsortiumDeparture)
        .where(col(ConsortiumDeparture.consortium_id).in_(list(consortium_ids)))
        .order_by(col(ConsortiumDeparture.left_at).desc(), col(ConsortiumDeparture.id).desc())
    ):
        departed = found.setdefault(row.consortium_id, [])
        if limit is None or len(departed) < limit:
            departed.append(DeparturePublic.model_validate(row, from_attributes=True))
    return found


def to_public(session: Session, consortium: Consortium) -> ConsortiumPublic:
    """A draft as the API shows it, members included, and the DEPARTURES_SHOWN members that
    left it most recently (`to_public_many`, which the export asks for all of them)."""
    [public] = to_public_many(session, [consortium])
    return public


def to_public_many(
    session: Session,
    consortia: Sequence[Consortium],
    *,
    departures_shown: int | None = DEPARTURES_SHOWN,
) -> list[ConsortiumPublic]:
    """Several drafts as `to_public` shows each, in their order, from one query for their
    members and one for their departures (a page of drafts, say)."""
    if not consortia:
        return []
    ids = [stored_id(consortium) for consortium in consortia]
    members: dict[int, list[MemberPublic]] = {}
    for member, organisation in _member_rows(session, ids):
        members.setdefault(member.consortium_id, []).append(
            MemberPublic(
                organisation=OrganisationSummary.model_validate(organisation), role=member.role
            )
        )
    for listed in members.values():
        listed.sort(key=lambda member: member.role != Role.coordinator)  # then as they joined
    departures = departures_by_draft(session, ids, limit=departures_shown)
    return [
        ConsortiumPublic(
            id=consortium_id,
            name=consortium.name,
            call_id=consortium.call_id,
            owner_organisation_id=consortium.owner_organisation_id,
            members=members.get(consortium_id, []),
            departures=departures.get(consortium_id, []),
            created_at=consortium.created_at,
            updated_at=consortium.updated_at,
            version=consortium.version,
        )
        for consortium_id, consortium in zip(ids, consortia, strict=True)
    ]


def list_consortia(
    session: Session,
    *,
    actor: Principal | None,
    call_id: int | None = None,
    limit: int,
    offset: int,
) -> tuple[list[Consortium], int]:
    """One page of the caller's drafts, oldest first: every draft for an admin, the drafts its
    organisation owns for an organisation key, none for any other key."""
    actor = require_key(actor)
    statement = select(Consortium).order_by(col(Consortium.id))
    if not actor.is_admin:
        if actor.organisation_id is None:
            return [], 0
        statement = statement.where(col(Consortium.owner_organisation_id) == actor.organisation_id)
    if call_id is not None:
        statement = statement.where(col(Consortium.call_id) == call_id)
    return paginate(session, statement, limit=limit, offset=offset)


def update_consortium(
    session: Session,
    *,
    consortium_id: int,
    data: ConsortiumUpdate,
    actor: Principal | None,
    expected_version: ExpectedVersion = None,
) -> Consortium:
    """Rename a draft or move it to another call; a move withdraws the partner requests
    published for it, which seek partners for the call it leaves."""
    consortium = get_consortium(session, consortium_id=consortium_id, actor=actor, for_update=True)
    changes = data.model_dump(exclude_unset=True)
    moved = changes.get("call_id") is not None and changes["call_id"] != consortium.call_id
    if moved:
        _check_call(session, changes["call_id"])
    updated = versioned_update(
        session, consortium, changes, entity=Entity.consortium, expected_version=expected_version
    )
    if moved:
        _withdraw_requests(session, consortium_id)
    return updated


def _withdraw_requests(session: Session, consortium_id: int) -> None:
    """Withdraw the open partner requests published for a draft. An update here rather than
    matchmaker.partnering.requests, which imports this module."""
    now = utc_now()
    session.execute(
        update(PartnerRequest)
        .where(
            col(PartnerRequest.consortium_id) == consortium_id,
            col(PartnerRequest.withdrawn_at).is_(None),
        )
        .values(withdrawn_at=now, updated_at=now)
    )


def delete_consortium(
    session: Session,
    *,
    consortium_id: int,
    actor: Principal | None,
    expected_version: ExpectedVersion = None,
) -> None:
    """Delete a draft and its member list (never the organisations); the partner requests
    published for it are withdrawn, as nobody is left to answer for them."""
    consortium = get_consortium(session, consortium_id=consortium_id, actor=actor, for_update=True)
    _withdraw_requests(session, consortium_id)
    session.execute(
        delete(ConsortiumMember).where(col(ConsortiumMember.consortium_id) == consortium.id)
    )
    versioned_delete(
        session, consortium, entity=Entity.consortium, expected_version=expected_version
    )


def put_member(
    session: Session,
    *,
    consortium_id: int,
    organisation_id: int,
    role: Role,
    actor: Principal | None,
    expected_version: ExpectedVersion = None,
) -> Consortium:
    """Add an organisation to a draft or change its role; a new coordinator demotes the old,
    which is the only way a coordinator becomes a partner."""
    consortium = get_consortium(session, consortium_id=consortium_id, actor=actor, for_update=True)
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound(f"No organisation with id {organisation_id}.")
    members = {m.organisation_id: m for m, _ in members_of(session, consortium_id=consortium_id)}
    if organisation_id not in members and len(members) >= MAX_MEMBERS:
        raise Conflict(f"A draft has at most {MAX_MEMBERS} members; remove one first.")
    if organisation_id in members and members[organisation_id].role == role:
        check_version(consortium, expected_version)
        return consortium  # already a member in this role: nothing changes, nor the version
    if organisation_id in members and members[organisation_id].role == Role.coordinator:
        raise Conflict(
            f"{organisation.name} is the draft's coordinator: to make it a partner, make "
            "another member the coordinator."
        )
    if role is Role.coordinator:
        for other in members.values():
            if other.role == Role.coordinator and other.organisation_id != organisation_id:
                other.role = Role.partner
    member = members.get(organisation_id)
    if member is None:
        session.add(
            ConsortiumMember(
                consortium_id=consortium_id, organisation_id=organisation_id, role=role
            )
        )
    else:
        member.role = role
    session.flush()
    return versioned_update(
        session, consortium, {}, entity=Entity.consortium, expected_version=expected_version
    )


def remove_member(
    session: Session,
    *,
    consortium_id: int,
    organisation_id: int,
    actor: Principal | None,
    expected_version: ExpectedVersion = None,
) -> Consortium:
    """Take an organisation out of a draft; never its coordinator, which another member has to
    replace first, so that removing members never leaves a draft without its lead."""
    consortium = get_consortium(session, consortium_id=consortium_id, actor=actor, for_update=True)
    coordinator = session.execute(
        select(col(Organisation.name))
        .join(ConsortiumMember, col(ConsortiumMember.organisation_id) == col(Organisation.id))
        .where(
            col(ConsortiumMember.consortium_id) == consortium_id,
            col(ConsortiumMember.organisation_id) == organisation_id,
            col(ConsortiumMember.role) == Role.coordinator,
        )
    ).scalar_one_or_none()
    if coordinator is not None:
        raise Conflict(
            f"{coordinator} is the draft's coordinator and cannot be removed: make another "
            "member the coordinator first, or delete the draft."
        )
    result = session.execute(
        delete(ConsortiumMember).where(
            col(ConsortiumMember.consortium_id) == consortium_id,
            col(ConsortiumMember.organisation_id) == organisation_id,
        )
    )
    if matched_rows(result) == 0:
        raise NotFound(
            f"Organisation {organisation_id} is not a member of consortium {consortium_id}."
        )
    return versioned_update(
        session, consortium, {}, entity=Entity.consortium, expected_version=expected_version
    )


def memberships_of(session: Session, *, organisation_id: int) -> list[dict[str, object]]:
    """The drafts an organisation owns and is a member of: draft id, name, call and role.

    Another organisation's draft that lists it is left out: the draft is its owner's private
    plan, which the member may not read either.
    """
    rows = session.execute(
        select(
            col(Consortium.id),
            col(Consortium.name),
            col(Consortium.call_id),
            col(ConsortiumMember.role),
        )
        .join(ConsortiumMember, col(ConsortiumMember.consortium_id) == col(Consortium.id))
        .where(
            col(ConsortiumMember.organisation_id) == organisation_id,
            col(Consortium.owner_organisation_id) == organisation_id,
        )
        .order_by(col(Consortium.id))
    ).all()
    return [
        {"consortium_id": cid, "name": name, "call_id": call_id, "role": role}
        for cid, name, call_id, role in rows
    ]
