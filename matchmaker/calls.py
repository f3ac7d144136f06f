"""Calls for proposals: create, read, list, update, delete."""

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from matchmaker import search
from matchmaker.auth import Principal, require_role
from matchmaker.errors import Conflict, InvalidInput, PermissionDenied
from matchmaker.partnering import events
from matchmaker.repository import (
    ExpectedVersion,
    check_version,
    create,
    get_or_raise,
    paginate,
    unchanged,
    versioned_delete,
    versioned_update,
)
from matchmaker.wording import plural
from models.apikey import KeyRole
from models.call import (
    Call,
    CallCreate,
    CallPublic,
    CallStatus,
    CallUpdate,
    call_status,
    default_rule_set,
)
from models.change import Entity
from models.common import in_utc, utc_today
from models.consortium import Consortium
from models.partnering import PartnerRequest
from models.saved_search import JobKind

CallSort = Literal["id", "deadline", "relevance"]


def check_call_rules(values: Mapping[str, Any], *, sent: Collection[str] = ()) -> None:
    """Refuse calls whose fields contradict each other, naming the field the request `sent`
    of the two that disagree (an update that sends one of them), else the later one."""

    def blame(usual: str, other: str) -> bool:
        """Whether to name `other` rather than `usual`: the request sent it and not `usual`."""
        return other in sent and usual not in sent

    opening, deadline = values.get("opening_date"), values.get("deadline")
    if opening is not None and deadline is not None and str(opening) > str(deadline):
        if blame("deadline", "opening_date"):
            raise InvalidInput(
                "The opening date cannot be after the deadline (deadline).", field="opening_date"
            )
        raise InvalidInput(
            "The deadline cannot be before the opening date (opening_date).", field="deadline"
        )
    max_partners = values.get("max_partners")
    required = sum((values.get("required_stakeholders") or {}).values())
    if max_partners is not None and max_partners < required:
        if blame("max_partners", "required_stakeholders"):
            raise InvalidInput(
                f"required_stakeholders asks for {required} partners, more than max_partners "
                f"({max_partners}) allows.",
                field="required_stakeholders",
            )
        raise InvalidInput(
            f"max_partners ({max_partners}) is smaller than the {required} partners "
            "required_stakeholders asks for.",
            field="max_partners",
        )
    min_countries = values.get("min_countries") or 0
    if max_partners is not None and max_partners < min_countries:
        if blame("min_countries", "max_partners"):
            raise InvalidInput(
                f"max_partners ({max_partners}) is less than min_countries ({min_countries}): "
                "each country needs a partner of its own, so no consortium could meet the call.",
                field="max_partners",
            )
        raise InvalidInput(
            f"min_countries ({min_countries}) is more than max_partners ({max_partners}): "
            "each country needs a partner of its own, so no consortium could meet the call.",
            field="min_countries",
        )


def _check_identifier_free(session: Session, identifier: str, *, except_id: int | None) -> None:
    existing = session.scalar(select(col(Call.id)).where(col(Call.identifier) == identifier))
    if existing is not None and existing != except_id:
        raise Conflict(f"A call with identifier {identifier!r} already exists (id {existing}).")


def create_call(session: Session, *, data: CallCreate, actor: Principal | None) -> Call:
    """Store a new call (publishers and admins); its identifier must be unique."""
    actor = require_role(actor, {KeyRole.publisher})
    values = data.model_dump(mode="json")
    check_call_rules(data.model_dump())
    _check_identifier_free(session, data.identifier, except_id=None)
    call = Call(
        **data.model_dump(exclude={"required_stakeholders"}), created_by_key_id=actor.key_id
    )
    call.required_stakeholders = values["required_stakeholders"]
    try:
        create(session, call, entity=Entity.call)
    except IntegrityError as error:  # a concurrent request took the identifier first
        raise Conflict(f"A call with identifier {data.identifier!r} already exists.") from error
    events.record(session, kind=JobKind.call, item_id=call.id)
    return call


def _editable_call(session: Session, *, call_id: int, actor: Principal | None) -> Call:
    """The call, locked, if the caller may change it: an admin, or the key that published it."""
    actor = require_role(actor, {KeyRole.publisher})
    call = get_call(session, call_id=call_id, for_update=True)
    if not actor.is_admin and (actor.key_id is None or call.created_by_key_id != actor.key_id):
        raise PermissionDenied(
            "A publisher key changes only the calls it published; ask an administrator to change "
            "this one."
        )
    return call


def get_call(session: Session, *, call_id: int, for_update: bool = False) -> Call:
    """Load one call (locked for a write with `for_update`) or raise NotFound."""
    return get_or_raise(session, Call, call_id, noun="call", for_update=for_update)


@dataclass(frozen=True, kw_only=True)
class CallFilters:
    """What a list of calls can be narrowed by; empty means no restriction."""

    statuses: Collection[CallStatus] = ()
    programmes: Collection[str] = ()
    q: str | None = None
    deadline_from: date | None = None
    deadline_to: date | None = None
    created_after: datetime | None = None


def _status_cases(today: date) -> tuple[Any, Any, Any]:
    deadline, opening_date = col(Call.deadline), col(Call.opening_date)
    not_closed = or_(deadline.is_(None), deadline >= today)
    closed = deadline < today
    forthcoming = (opening_date > today) & not_closed
    opened = or_(opening_date.is_(None), opening_date <= today) & not_closed
    return opened, forthcoming, closed


def _calls_where(statement: Select[Any], *, filters: CallFilters, today: date) -> Select[Any]:
    if filters.programmes:
        # Whatever the case, as saved searches compare programmes ("ihi" is IHI's).
        wanted = {programme.lower() for programme in filters.programmes}
        statement = statement.where(func.lower(col(Call.programme)).in_(wanted))
    if filters.statuses:
        opened, forthcoming, closed = _status_cases(today)
        conditions = {
            CallStatus.open: opened,
            CallStatus.forthcoming: forthcoming,
            CallStatus.closed: closed,
        }
        statement = statement.where(or_(*(conditions[status] for status in set(filters.statuses))))
    if filters.deadline_from is not None:
        statement = statement.where(col(Call.deadline) >= filters.deadline_from)
    if filters.deadline_to is not None:
        statement = statement.where(col(Call.deadline) <= filters.deadline_to)
    if filters.created_after is not None:
        # In UTC (a naive moment read as UTC): SQLite keeps moments as text without an offset.
        after = in_utc(filters.created_after)
        statement = statement.where(col(Call.created_at) > after)
    return statement


def _by_deadline(statement: Select[Any], today: date) -> Select[Any]:
    """Open calls, then forthcoming, then closed; the nearest deadline first in each."""
    opened, forthcoming, closed = _status_cases(today)
    group = case((opened, 0), (forthcoming, 1), else_=2)
    upcoming = case((closed, None), else_=Call.deadline)
    return statement.order_by(
        group,
        upcoming.asc().nulls_last(),
        col(Call.deadline).desc().nulls_last(),
        col(Call.id),
    )


def list_calls(
    session: Session,
    *,
    filters: CallFilters = CallFilters(),
    sort: CallSort | None = None,
    today: date,
    limit: int,
    offset: int,
) -> tuple[list[Call], int]:
    """One page of calls, filtered; oldest first, by status and nearest deadline, or by relevance.

    `q` is a full-text search (see `matchmaker.search`) over identifier, title, programme and
    description; without a `sort`, its results come best first.
    """
    statement = select(Call)
    hits = None
    if filters.q and filters.q.strip():
        hits = search.matches(session, "calls", search.Query.parse(filters.q))
        statement = statement.join(hits, hits.c.id == col(Call.id))
    statement = _calls_where(statement, filters=filters, today=today)
    sort = sort or ("relevance" if hits is not None else "id")
    if sort == "relevance" and hits is not None:
        statement = statement.order_by(hits.c.rank.desc(), col(Call.id))
    elif sort == "deadline":
        statement = _by_deadline(statement, today)
    else:
        statement = statement.order_by(col(Call.id))
    return paginate(session, statement, limit=limit, offset=offset)


def list_programmes(session: Session) -> list[str]:
    """Every programme a call names, sorted."""
    rows = session.scalars(
        select(col(Call.programme)).where(col(Call.programme).is_not(None)).distinct()
    ).all()
    return sorted(row for row in rows if row)


def call_ids_with_status(
    session: Session, *, statuses: Collection[CallStatus], today: date
) -> list[int]:
    """The ids of every call with one of the statuses as of today."""
    statement = _calls_where(
        select(col(Call.id)), filters=CallFilters(statuses=statuses), today=today
    )
    return list(session.scalars(statement).all())


def update_call(
    session: Session,
    *,
    call_id: int,
    data: CallUpdate,
    actor: Principal | None,
    expected_version: ExpectedVersion = None,
) -> Call:
    """Change the fields given (its publisher's key or an admin), if the version is current."""
    call = _editable_call(session, call_id=call_id, actor=actor)
    changes = data.model_dump(mode="json", exclude_unset=True)
    followed = _rule_set_following_programme(call, changes)
    changes.update(followed)
    merged = {**call.model_dump(), **data.model_dump(exclude_unset=True), **followed}
    check_call_rules(merged, sent=changes)
    if "identifier" in changes:
        _check_identifier_free(session, changes["identifier"], except_id=call.id)
    for field in ("opening_date", "deadline"):
        if field in changes:
            changes[field] = getattr(data, field)
    for field in ("rule_set", "two_stage"):  # not nullable: null leaves them as they are
        if changes.get(field, "") is None:
            del changes[field]
    if unchanged(call, changes):
        check_version(call, expected_version)
        return call
    return versioned_update(
        session, call, changes, entity=Entity.call, expected_version=expected_version
    )


def _rule_set_following_programme(call: Call, changes: Mapping[str, Any]) -> dict[str, Any]:
    """A new programme (or number of countries) brings the rule set it gives, as creating the
    call with it would, unless the update names one or the stored rule set is not the one its
    old programme gave (someone chose it)."""
    if changes.get("rule_set") is not None or not {"programme", "min_countries"} & set(changes):
        return {}
    old_rules, old_part = default_rule_set(call.programme, min_countries=call.min_countries)
    if (call.rule_set, call.programme_part) != (old_rules.value, old_part):
        return {}
    new_rules, new_part = default_rule_set(
        changes.get("programme", call.programme),
        min_countries=changes.get("min_countries", call.min_countries),
    )
    followed: dict[str, Any] = {"rule_set": new_rules.value}
    if "programme_part" not in changes:
        followed["programme_part"] = new_part
    return followed


def delete_call(
    session: Session,
    *,
    call_id: int,
    actor: Principal | None,
    expected_version: ExpectedVersion = None,
) -> None:
    """Delete a call (its publisher's key or an admin), unless drafts are written for it or
    organisations' partner requests for it are open: those are theirs, and would go with it."""
    call = _editable_call(session, call_id=call_id, actor=actor)
    # Preconditions before the refusals (RFC 9110, 13.2.2): a stale or malformed If-Match is
    # 412 whatever else would refuse the delete.
    check_version(call, expected_version)
    drafts = session.scalar(select(func.count()).where(col(Consortium.call_id) == call_id))
    if drafts:
        # A publisher can neither see nor delete the drafts (their organisations own them), so
        # the sentence says who can, and how a publisher ends a call instead.
        which = (
            "1 consortium draft is written for this call: the call cannot be deleted while it "
            "exists (its organisation or an administrator can delete it)"
            if drafts == 1
            else f"{drafts} consortium drafts are written for this call: the call cannot be "
            "deleted while they exist (their organisations or an administrator can delete "
            "them)"
        )
        raise Conflict(f"{which}; to close the call instead, set its deadline.")
    today = utc_today()
    if call_status(call.opening_date, call.deadline, today) is not CallStatus.closed:
        waiting = session.scalar(
            select(func.count()).where(
                col(PartnerRequest.call_id) == call_id, *PartnerRequest.still_open(today)
            )
        )
        if waiting:
            one = waiting == 1
            raise Conflict(
                f"{plural(waiting, 'partner request')} of organisations looking for partners "
                f"{'is' if one else 'are'} open for this call: the call cannot be deleted while "
                f"{'it is' if one else 'they are'}, as {'it' if one else 'they'} would go with "
                f"it. To close the call instead, set its deadline; "
                f"{'the request closes' if one else 'they close'} with it."
            )
    versioned_delete(session, call, entity=Entity.call, expected_version=expected_version)


def to_public(call: Call, *, today: date) -> CallPublic:
    """A call as the API shows it, with its status as of today."""
    return CallPublic.model_validate(
        {**call.model_dump(), "status": call_status(call.opening_date, call.deadline, today)}
    )
