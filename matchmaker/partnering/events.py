"""Recording the changes others may want to hear about, in the transaction that makes them.

Matching a new call against every saved search (and every draft's gaps) is too much work for
the request that publishes it, so the request only writes a `NotificationJob` naming the item,
in its own transaction: the job commits with the change or not at all. The delivery pass
(`matchmaker.partnering.fanout`) expands each job into outbox messages. The calls import and
`sync calls` write theirs with `record_many`, one batched INSERT per batch of calls, so an
import stays as fast as it was and does no matching itself. This module imports
nothing but the models, so that the services of calls, organisations and partner requests can
call it without an import cycle.
"""

from collections.abc import Collection

from sqlalchemy import insert
from sqlmodel import Session

from models.saved_search import JobKind, NotificationJob


def record(session: Session, *, kind: JobKind, item_id: int | None) -> None:
    """Add a job announcing a new or changed item to the caller's transaction."""
    if item_id is None:
        raise ValueError("The item must be flushed before its change is announced.")
    session.add(NotificationJob(kind=kind.value, item_id=item_id))
    session.flush()


def record_many(session: Session, *, kind: JobKind, item_ids: Collection[int]) -> None:
    """Add one job per item to the caller's transaction, in one batched INSERT (the imports)."""
    if item_ids:
        session.execute(
            insert(NotificationJob), [{"kind": kind.value, "item_id": item} for item in item_ids]
        )
