"""The process-wide matching index, kept in step with the database through its change log.

Every matching request first catches up with the change log (one indexed query when nothing
changed), so a write made through any worker is reflected in the next suggestion any worker
serves. Changed profiles are re-transformed with the current vocabulary, deleted ones masked;
when the share of changes passes `refit_drift`, a fresh index is built in a background thread
and swapped in with one reference assignment.

Organisations are indexed by `matchmaker.matching.profile_index.ProfileIndex`: suggestions
and search are ranked by text similarity, track record, similar past projects and (for a draft) past
partners, each a reason on the suggestion; "similar organisations" and the diversity vectors
use its text index alone, and a proposal scores the call once for all its selections.

Beside the indexes, a `Directory` keeps what the answers show of each organisation and every
call, kept in step the same way: while the database cannot be reached, `sync` serves what it
has (the answers are marked stale by the API) and matching reads take their rows from it.

With an index folder, the organisation index is saved (`matchmaker.matching.saved_index`),
keyed to the database's state, and a worker that starts, or refits, on a state already saved
maps those files instead of fitting; the workers of one machine share their pages.
"""

import hashlib
import logging
import threading
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

from alembic.runtime.migration import MigrationContext
from scipy import sparse
from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from matchmaker import db
from matchmaker.auth import Principal, require_role
from matchmaker.errors import NotFound, Unavailable
from matchmaker.matching import (
    analyzer,
    call_terms,
    past_projects,
    postings,
    profile_record,
    scoring,
    spelling,
    topk,
)
from matchmaker.matching import profile_index as ranking
from matchmaker.matching import saved_index as index_store
from matchmaker.matching import text as text_module
from matchmaker.matching import text_index as matcher
from matchmaker.matching.directory import Directory, OrganisationCard
from matchmaker.matching.profile_index import ProfileIndex, Selection
from matchmaker.matching.scoring import RankedMatch, text_only
from matchmaker.matching.text import call_text, organisation_text
from matchmaker.matching.text_index import Match, TfidfMatcher
from matchmaker.repository import compact_changes
from models.call import Call, CallStatus
from models.change import Change, Entity
from models.common import stale_before, type_verified
from models.organisation import Organisation

logger = logging.getLogger(__name__)

ORGANISATION_FACETS = ("stakeholder_type", "country", "type_verified")
# The type_verified facet's value for an organisation whose type an admin verified (the others
# are "unverified", or missing for the types nobody verifies): a call that requires verified
# members picks its candidates for those types among the verified ones.
VERIFIED: Final = "verified"
# Up to this many profiles a refit takes milliseconds, so it runs on the request path (new
# phrases count at once; new words always do, the vocabulary grows); larger corpora refit in
# the background (under a steady stream of writes, refitting a few hundred profiles on the
# request path stalled every worker for seconds).
SYNC_REFIT_MAX = 100
# A catch-up with more changed profiles than this rebuilds rather than upserting one by one.
BULK_CHANGES = 2_000
# The calls that fit an organisation: at least this many are found before they are scored.
CALL_POOL_MINIMUM = 20
# A saved index is only as good as the code and data that built it: its key names them (the
# modules, the shipped call-frequency table and the facets). Every module of this package the
# profile index imports is here (a test checks it).
INDEX_MODULES = (
    analyzer,
    call_terms,
    matcher,
    past_projects,
    postings,
    profile_record,
    ranking,
    scoring,
    spelling,
    text_module,
    topk,
)
_INDEX_CODE = hashlib.sha256(
    b"".join(Path(str(module.__file__)).read_bytes() for module in INDEX_MODULES)
    + Path(str(call_terms.__file__)).with_name(call_terms.SHIPPED_FILE).read_bytes()
    + " ".join(ORGANISATION_FACETS).encode()
).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class IndexStats:
    """What the index holds and how fresh it is."""

    documents: int
    calls: int
    vocabulary: int
    fitted_at: datetime | None
    drift: float
    last_change: int
    refitting: bool
    mapped: bool


def _facets(organisation: Any) -> dict[str, str | None]:
    verified = type_verified(str(organisation.stakeholder_type), organisation.type_verified_at)
    return {
        "stakeholder_type": str(organisation.stakeholder_type),
        "country": organisation.country,
        "type_verified": None if verified is None else VERIFIED if verified else "unverified",
    }


def _filters(
    stakeholder_types: Collection[str], countries: Collection[str]
) -> dict[str, set[str]] | None:
    pairs = (("stakeholder_type", stakeholder_types), ("country", countries))
    return {name: set(values) for name, values in pairs if values} or None


# What a fit reads of each organisation: plain rows, not ORM objects (a tenth of the memory at
# a million profiles, and no identity map).
_FIT_COLUMNS = (
    col(Organisation.id),
    col(Organisation.name),
    col(Organisation.description),
    col(Organisation.keywords),
    col(Organisation.activities),
    col(Organisation.stakeholder_type),
    col(Organisation.country),
    col(Organisation.confirmed_at),
    col(Organisation.type_verified_at),
)


def _fit_organisations(session: Session, calls: Sequence[Call]) -> ProfileIndex:
    organisations = session.execute(select(*_FIT_COLUMNS).order_by(col(Organisation.id))).all()
    return ProfileIndex().fit(
        [organisation.id for organisation in organisations],
        organisations,
        facets={
            name: [_facets(organisation)[name] for organisation in organisations]
            for name in ORGANISATION_FACETS
        },
        call_texts=[call_text(call) for call in calls],
    )


def _fit_calls(calls: Sequence[Call]) -> TfidfMatcher:
    return TfidfMatcher().fit(
        [call.id for call in calls],  # type: ignore[misc]
        [call_text(call) for call in calls],
    )


def _call_pool(limit: int) -> int:
    """How many calls the calls index finds for an organisation before they are scored as
    suggestions score it: the two orders are close, not equal (different query side, IDF and
    call-frequency weights), so twice the calls asked for."""
    return max(2 * limit, CALL_POOL_MINIMUM)


def _saved_or_fitted(
    session: Session, folder: Path, key: str, calls: Sequence[Call]
) -> ProfileIndex:
    """Under the folder's lock: map the index saved for `key`, else fit, save and map it."""
    saved = index_store.load(folder, key, ProfileIndex)
    if saved is not None:
        return saved
    fitted = _fit_organisations(session, calls)
    try:
        index_store.save(fitted, folder, key)
    except OSError as error:
        # A full disk: this worker serves the index it fitted; the next fit tries again.
        logger.error(
            "Could not save the matching index to %s (%s); serving it from memory", folder, error
        )
        return fitted
    # Serve from the mapped copy, which the other workers share, not this one.
    return index_store.load(folder, key, ProfileIndex) or fitted


class MatchingService:
    """Owns the organisation and call indexes of one process and keeps them current."""

    # Change-log rows beyond two per indexed entity before the log is compacted.
    CHANGE_LOG_SLACK = 10_000

    def __init__(
        self,
        *,
        engine: Engine,
        refit_drift: float,
        index_dir: Path | None = None,
        stale_after_months: int | None = None,
    ) -> None:
        self.engine = engine
        self.refit_drift = refit_drift
        self.index_dir = index_dir
        # Profiles not confirmed as current for this long rank after fresh ones of similar fit.
        self.stale_after_months = stale_after_months
        self._organisations: ProfileIndex | None = None
        self._calls: TfidfMatcher | None = None
        self._directory = Directory()
        self._last_change = 0
        self._stopping = threading.Event()
        self._sync_lock = threading.Lock()
        self._refit_lock = threading.Lock()
        self._refit_thread: threading.Thread | None = None

    # building and keeping current

    def _latest_change(self, session: Session | None = None) -> int:
        """The number of the last write; without a session, read on a connection of its own
        (the check before every query: a third of a session's cost)."""
        latest = select(func.max(Change.id))
        if session is not None:
            return int(session.scalar(latest) or 0)
        with self.engine.connect() as connection:
            return int(connection.scalar(latest) or 0)

    def _state_key(self, session: Session, last_change: int) -> str:
        """What a saved organisation index must have been built from to be used now.

        The code that builds indexes, the schema, the last change and a digest of the
        organisations and calls tables (a database restored from a backup and written again
        may reach the same change number with other rows; it will not have the same latest
        update). Calls count because their texts weight the query terms.
        """
        count, last_id, last_update = session.execute(
            select(func.count(), func.max(Organisation.id), func.max(Organisation.updated_at))
        ).one()
        calls, last_call_update = session.execute(
            select(func.count(), func.max(Call.updated_at))
        ).one()
        revision = MigrationContext.configure(session.connection()).get_current_revision()
        return (
            f"code {_INDEX_CODE} schema {revision} change {last_change} "
            f"organisations {count} max id {last_id} updated {last_update} "
            f"calls {calls} updated {last_call_update}"
        )

    def _organisation_index(
        self, session: Session, last_change: int, calls: Sequence[Call]
    ) -> ProfileIndex:
        """The organisation index for the database's state: the saved one, else a new fit.

        With an index folder, one process at a time fits and saves while the others wait
        and then map what it saved, so the workers of one machine fit once and share it.
        """
        if self.index_dir is None:
            return _fit_organisations(session, calls)
        key = self._state_key(session, last_change)
        try:
            with index_store.locked(self.index_dir):
                return _saved_or_fitted(session, self.index_dir, key, calls)
        except index_store.FolderUnusable as error:
            # Serving without a saved index beats not starting: each worker fits its own.
            logger.error("%s; the index is not saved, each worker fits its own", error)
            return _fit_organisations(session, calls)

    def _build(self) -> tuple[ProfileIndex, TfidfMatcher, Directory, int]:
        with Session(self.engine) as session:
            last_change = self._latest_change(session)
            calls = session.scalars(select(Call)).all()
            organisations = self._organisation_index(session, last_change, calls)
            directory = Directory.read(session, calls)
            return organisations, _fit_calls(calls), directory, last_change

    def _install(self, built: tuple[ProfileIndex, TfidfMatcher, Directory, int]) -> None:
        """Serve what `_build` built (caller holds the sync lock)."""
        self._organisations, self._calls, self._directory, self._last_change = built

    def start(self) -> None:
        """Fit both indexes from the database; call once before serving."""
        started = time.monotonic()
        built = self._build()
        with self._sync_lock:
            self._install(built)
            self._catch_up()
        self._log_installed("Matching index ready", built, started)
        self._compact_changes()

    def _log_installed(
        self, what: str, built: tuple[ProfileIndex, TfidfMatcher, Directory, int], started: float
    ) -> None:
        """Say at INFO how long a fit or a load took, what it holds and where it lives."""
        organisations, calls = built[0], built[1]
        logger.info(
            "%s in %.1f s: %d organisations, %d calls; %s",
            what,
            time.monotonic() - started,
            organisations.n_documents,
            calls.n_documents,
            f"memory-mapped from {self.index_dir}"
            if organisations.mapped
            else "held in this process's memory (not saved)",
        )

    @property
    def ready(self) -> bool:
        """Whether the indexes are built (they can answer without the database)."""
        return self._organisations is not None

    def _compact_changes(self) -> None:
        """Keep the change log near one row per entity (at start and after a background refit).

        Compacting scans the whole log under SQLite's write lock (2.3 s for a million rows), so
        it runs only once the log holds more than twice as many rows as there are indexed
        entities, plus `CHANGE_LOG_SLACK`; counting the rows costs milliseconds.
        """
        assert self._organisations is not None
        assert self._calls is not None
        entities = self._organisations.n_documents + self._calls.n_documents
        try:
            with Session(self.engine) as session:
                logged = session.scalar(select(func.count()).select_from(Change)) or 0
            if logged <= 2 * entities + self.CHANGE_LOG_SLACK:
                return
            with db.session_scope(db.for_writing(self.engine)) as session:
                removed = compact_changes(session)
        except Unavailable:
            # An outage is logged once, by the engine (no traceback for an expected state).
            logger.warning(
                "Change log not compacted: the database cannot be reached; tried again at "
                "the next start or refit"
            )
            return
        except Exception:  # the log only grows until the next try; serving matters more
            logger.exception("Could not compact the change log")
            return
        if removed:
            logger.info("Compacted the change log: %d superseded rows removed", removed)

    def _catch_up(self) -> None:
        """Apply every logged change after the last one seen (caller holds the sync lock)."""
        assert self._organisations is not None
        assert self._calls is not None
        with Session(self.engine) as session:
            rows = session.execute(
                select(col(Change.id), col(Change.entity), col(Change.entity_id))
                .where(col(Change.id) > self._last_change)
                .order_by(col(Change.id))
            ).all()
            if not rows:
                return
            changed: dict[str, set[int]] = {Entity.organisation: set(), Entity.call: set()}
            for _, entity, entity_id in rows:
                changed.setdefault(entity, set()).add(entity_id)
            if len(changed[Entity.organisation]) > max(
                BULK_CHANGES, self.refit_drift * self._organisations.n_documents
            ):
                # A bulk load: one fit is far cheaper than thousands of single upserts.
                self._install(self._build())
                return
            self._apply_organisations(session, changed[Entity.organisation])
            self._organisations.settle()
            self._apply_calls(session, changed[Entity.call])
            self._last_change = rows[-1][0]
        if self._organisations.drift > self.refit_drift:
            if self._organisations.n_documents <= SYNC_REFIT_MAX:
                self._install(self._build())
            else:
                self.request_refit()

    def _apply_organisations(self, session: Session, ids: set[int]) -> None:
        assert self._organisations is not None
        if not ids:
            return
        present = session.scalars(select(Organisation).where(col(Organisation.id).in_(ids))).all()
        for row in present:
            self._organisations.upsert(row.id, row, _facets(row))  # type: ignore[arg-type]
            self._directory.put_organisation(row)
        for missing in ids - {row.id for row in present}:
            self._organisations.remove(missing)
            self._directory.remove_organisation(missing)

    def _apply_calls(self, session: Session, ids: set[int]) -> None:
        assert self._calls is not None
        if not ids:
            return
        present = session.scalars(select(Call).where(col(Call.id).in_(ids))).all()
        for row in present:
            self._calls.upsert(row.id, call_text(row))  # type: ignore[arg-type]
            self._directory.put_call(row)
        for missing in ids - {row.id for row in present}:
            self._calls.remove(missing)
            self._directory.remove_call(missing)

    def sync(self) -> None:
        """Catch up with writes made by any worker; cheap when nothing changed.

        While the database cannot be reached, the indexes serve what they hold (a change
        applied in part is applied again: upserts repeat safely) and catch up once it is back.
        """
        if self._organisations is None:
            self.start()
            return
        try:
            if self._latest_change() <= self._last_change:
                return
            with self._sync_lock:
                self._catch_up()
        except Unavailable:
            return

    def request_refit(self) -> bool:
        """Refit in the background unless a refit is already running (or the service is
        stopping); say whether one started."""
        with self._refit_lock:
            if self._stopping.is_set():
                return False
            if self._refit_thread is not None and self._refit_thread.is_alive():
                return False
            self._refit_thread = threading.Thread(
                target=self._refit, name="matchmaker-refit", daemon=True
            )
            self._refit_thread.start()
            return True

    def _refit(self) -> None:
        started = time.monotonic()
        try:
            built = self._build()
            if self._stopping.is_set():
                return
            with self._sync_lock:
                self._install(built)
                self._catch_up()
            self._log_installed("Background refit installed", built, started)
        except Unavailable:
            logger.warning(
                "Background refit stopped: the database cannot be reached; the current index "
                "stays in use"
            )
            return
        except Exception:  # a failed refit keeps the current index serving
            if self._stopping.is_set():  # its connections were closed under it at shutdown
                logger.info("Background refit abandoned at shutdown")
                return
            logger.exception("Background refit failed; the current index stays in use")
            return
        if not self._stopping.is_set():
            self._compact_changes()

    def wait_for_refit(self, timeout: float | None = None) -> None:
        """Block until a running background refit has finished (at shutdown, and in tests)."""
        thread = self._refit_thread
        if thread is not None:
            thread.join(timeout)

    def stop(self, timeout: float) -> bool:
        """At shutdown: let a running refit finish within `timeout` seconds, else abandon it
        (it is never installed, and its thread dies with the process); start no new one.
        Return whether nothing was left running."""
        self._stopping.set()
        self.wait_for_refit(timeout)
        thread = self._refit_thread
        if thread is not None and thread.is_alive():
            logger.warning("A background refit was still running after %.0f s; abandoned", timeout)
            return False
        return True

    # queries

    def _current_organisations(self) -> ProfileIndex:
        self.sync()
        assert self._organisations is not None
        return self._organisations

    def suggest_for_text(
        self,
        text: str,
        *,
        stakeholder_types: Collection[str] = (),
        countries: Collection[str] = (),
        exclude_ids: Collection[int] = (),
        include_ids: Collection[int] | None = None,
        partner_ids: Collection[int] = (),
        limit: int = 20,
    ) -> list[RankedMatch]:
        """Organisations that best fit a text, filtered, best first, each with its reasons.

        Ranked by text similarity with bounded evidence; with `partner_ids` (a draft's members)
        past projects shared with them count too (see `matchmaker.matching.scoring`). Asked for
        stakeholder types, every organisation of those types can come back, those that share
        no term with the text last.
        """
        return self._current_organisations().rank(
            text,
            k=limit,
            filters=_filters(stakeholder_types, countries),
            exclude_ids=exclude_ids,
            include_ids=include_ids,
            partner_ids=partner_ids,
            fill=bool(stakeholder_types),
            stale_before=self._stale_before(),
        )

    def suggest_many(
        self,
        text: str,
        selections: Sequence[Selection],
        *,
        exclude_ids: Collection[int] = (),
        partner_ids: Collection[int] = (),
    ) -> list[list[RankedMatch]]:
        """The best organisations of each selection for one text, scored once (see
        `ProfileIndex.rank_many`); with `partner_ids` (a draft's members) past projects shared
        with them count too."""
        return self._current_organisations().rank_many(
            text,
            selections,
            exclude_ids=exclude_ids,
            partner_ids=partner_ids,
            stale_before=self._stale_before(),
        )

    def _stale_before(self) -> datetime | None:
        """The moment before which a last confirmation makes a profile stale (None: never)."""
        months = self.stale_after_months
        return None if months is None else stale_before(months)

    def count(
        self,
        *,
        stakeholder_types: Collection[str] = (),
        countries: Collection[str] = (),
        exclude_ids: Collection[int] = (),
    ) -> int:
        """How many indexed organisations pass the filters."""
        return self._current_organisations().count(
            _filters(stakeholder_types, countries), exclude_ids
        )

    def type_counts(
        self,
        stakeholder_types: Collection[str],
        *,
        exclude_ids: Collection[int] = (),
        verified_only: Collection[str] = (),
        countries: Collection[str] | None = None,
    ) -> dict[str, int]:
        """How many indexed organisations there are of each type (of the types in
        `verified_only`, only those an admin verified; only in `countries` when given), from one
        read of the index."""
        index = self._current_organisations()
        counts = {}
        for kind in stakeholder_types:
            filters: dict[str, Collection[str]] = {"stakeholder_type": [kind]}
            if kind in verified_only:
                filters["type_verified"] = [VERIFIED]
            if countries is not None:
                filters["country"] = countries
            counts[kind] = index.count(filters, exclude_ids)
        return counts

    def profile_vectors(self, ids: Sequence[int]) -> sparse.csr_matrix:
        """Indexed organisations' text rows, one vocabulary for all (see `ProfileIndex.vectors`)."""
        return self._current_organisations().vectors(ids)

    def suggest_for_call(self, call: Call, **filters: Any) -> list[RankedMatch]:
        """Organisations that best fit a call, filtered, best first."""
        return self.suggest_for_text(call_text(call), **filters)

    def similar_organisations(
        self,
        organisation_id: int,
        *,
        stakeholder_types: Collection[str] = (),
        countries: Collection[str] = (),
        limit: int = 20,
    ) -> list[RankedMatch]:
        """Organisations with expertise like the given one's, itself excluded (text alone)."""
        index = self._current_organisations()
        if organisation_id not in index:
            raise NotFound(f"No organisation with id {organisation_id}.")
        found = index.similar(
            organisation_id, k=limit, filters=_filters(stakeholder_types, countries)
        )
        return [text_only(match) for match in found]

    def calls_for_organisation(
        self, organisation: Organisation, *, call_ids: Collection[int] | None, limit: int = 20
    ) -> list[Match]:
        """Calls whose scope best matches an organisation's expertise, among the given ids,
        each scored as the call's suggestions score this organisation (`_fits`)."""
        self.sync()
        assert self._calls is not None
        pool = self._calls.query(
            organisation_text(organisation), k=_call_pool(limit), include_ids=call_ids
        )
        assert organisation.id is not None
        return self._fits(organisation.id, pool, limit)

    def organisations_for_text(
        self,
        text: str,
        *,
        stakeholder_types: Collection[str] = (),
        countries: Collection[str] = (),
        exclude_ids: Collection[int] = (),
        limit: int = 20,
    ) -> list[Match]:
        """Organisations whose text best matches a text, filtered, by the text index's cosine
        alone (no evidence, no reasons), best first."""
        return self._current_organisations().query_text(
            text,
            k=limit,
            filters=_filters(stakeholder_types, countries),
            exclude_ids=exclude_ids,
        )

    def calls_for_text(
        self, text: str, *, call_ids: Collection[int] | None, limit: int = 20
    ) -> list[Match]:
        """Calls whose text best matches a text, among the given ids, by the calls index's
        cosine alone, best first."""
        self.sync()
        assert self._calls is not None
        return self._calls.query(text, k=limit, include_ids=call_ids)

    def calls_for_indexed_organisation(
        self, organisation_id: int, *, call_ids: Collection[int] | None, limit: int = 20
    ) -> list[Match]:
        """`calls_for_organisation` without the profile, while the database cannot be reached.

        The calls are found with the organisation's row in the profile index as the query,
        its terms weighed with the calls index's IDF (`TfidfMatcher.term_frequencies`): the
        vector of its text but for the phrases the profile index lacks (those used by fewer
        than two profiles, or by more than half of them). On the demo data the top 10 calls
        found are those of the full text (`calls_for_organisation`) for 343 of the 350
        organisations, in the same order for 334 (mean overlap 99.8 %); they are then scored
        from the index alone, as on the normal path. Raises NotFound when the index does not
        hold the organisation.
        """
        organisations = self._current_organisations()
        assert self._calls is not None
        if organisation_id not in organisations:
            raise NotFound(f"No organisation with id {organisation_id}.")
        query = organisations.matcher.term_frequencies(organisation_id)
        pool = self._calls.query(query, k=_call_pool(limit), include_ids=call_ids)
        return self._fits(organisation_id, pool, limit)

    def _fits(self, organisation_id: int, found: Sequence[Match], limit: int) -> list[Match]:
        """The found calls ranked by the organisation's score in each call's suggestions
        (`ProfileIndex.rank` on the call's text, this profile only), best first: one fit, one
        score, whichever side asks. The shared terms are those the suggestions show; a call
        whose text shares no term with the profile there is left out."""
        organisations = self._current_organisations()
        stale_before = self._stale_before()
        fits = []
        for match in found:
            call = self._directory.call(match.id)
            if call is None:
                continue  # removed since the calls index answered
            ranked = organisations.rank(
                call_text(call), k=1, include_ids=[organisation_id], stale_before=stale_before
            )
            if ranked:
                fits.append(Match(match.id, ranked[0].score, ranked[0].matched_terms))
        fits.sort(key=lambda fit: (-fit.score, fit.id))
        return fits[:limit]

    def call_ids_with_status(self, statuses: Collection[CallStatus], *, today: date) -> list[int]:
        """The ids of the calls held in memory with one of the statuses as of today (while
        the database cannot be reached)."""
        return self._directory.call_ids(statuses, today=today)

    def held_calls(self, matches: Sequence[Match]) -> list[tuple[Call, Match]]:
        """The matched calls as held in memory, in rank order (while the database cannot be
        reached)."""
        calls = [(self._directory.call(match.id), match) for match in matches]
        return [(call, match) for call, match in calls if call is not None]

    def organisation_cards(
        self, matches: Sequence[RankedMatch]
    ) -> list[tuple[OrganisationCard, RankedMatch]]:
        """The matched organisations as held in memory, in rank order (while the database
        cannot be reached)."""
        directory = self._directory
        cards = [(directory.card(match), match) for match in matches]
        return [(card, match) for card, match in cards if card is not None]

    def call(self, call_id: int, *, because: Unavailable) -> Call:
        """A call as held in memory, while the database cannot be reached (`because`, raised
        again when the call is not held: only the database can say it does not exist)."""
        call = self._directory.call(call_id)
        if call is None:
            raise because
        return call

    def knows_organisation(self, organisation_id: int) -> bool:
        """Whether the index holds this organisation."""
        return organisation_id in self._current_organisations()

    def stats(self) -> IndexStats:
        """Sizes and freshness of the indexes."""
        organisations, calls = self._organisations, self._calls
        thread = self._refit_thread
        return IndexStats(
            documents=organisations.n_documents if organisations else 0,
            calls=calls.n_documents if calls else 0,
            vocabulary=organisations.vocabulary_size if organisations else 0,
            fitted_at=organisations.fitted_at if organisations else None,
            drift=organisations.drift if organisations else 0.0,
            last_change=self._last_change,
            refitting=thread is not None and thread.is_alive(),
            mapped=organisations.mapped if organisations else False,
        )


def request_refit(matching: MatchingService, *, actor: Principal | None) -> bool:
    """Start a background refit of the matching index (admins only)."""
    require_role(actor, ())
    return matching.request_refit()
