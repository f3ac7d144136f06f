"""The matching service saves its organisation index and later starts from it, never stale."""

import logging
import re
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from matchmaker import db
from matchmaker.auth import Principal
from matchmaker.matching.profile_index import ProfileIndex
from matchmaker.matching.scoring import STALE_FACTOR
from matchmaker.matching.service import MatchingService
from matchmaker.organisations import (
    create_organisation,
    delete_organisation,
    update_organisation,
)
from matchmaker.settings import Settings
from matchmaker.trust.freshness import confirm_organisation
from models.apikey import KeyRole
from models.change import Change
from models.common import utc_now
from models.organisation import Organisation, OrganisationCreate, OrganisationUpdate
from tests.factories import organisation_payload

CALL = "liquid biopsy for early cancer detection"


def add(engine: Engine, **overrides: object) -> int:
    """Store one profile through the domain code (which logs the change); return its id."""
    with db.session_scope(db.for_writing(engine)) as session:
        organisation, _, _ = create_organisation(
            session, data=OrganisationCreate(**organisation_payload(**overrides))
        )
        return int(organisation.id)  # type: ignore[arg-type]


def started(engine: Engine, index_dir: Path | None, refit_drift: float = 0.2) -> MatchingService:
    service = MatchingService(engine=engine, refit_drift=refit_drift, index_dir=index_dir)
    service.start()
    return service


def ranked(service: MatchingService, **filters: object) -> list[tuple[int, float]]:
    return [(m.id, m.score) for m in service.suggest_for_text(CALL, **filters)]  # type: ignore[arg-type]


def test_second_start_maps_the_saved_index_instead_of_refitting(
    engine: Engine, tmp_path: Path
) -> None:
    """Same database state: the second service uses the first one's fit, memory-mapped."""
    first_id = add(engine, name="Biopsy lab")
    add(engine, name="Cardiology centre", description="Heart failure imaging.", keywords=[])
    folder = tmp_path / "index"

    first = started(engine, folder)
    second = started(engine, folder)

    assert first.stats().mapped
    assert second.stats().mapped
    assert second.stats().fitted_at == first.stats().fitted_at
    assert ranked(second) == ranked(first)
    assert ranked(second)[0][0] == first_id
    assert ranked(second, stakeholder_types=["sme"]) == []
    assert len(list(folder.glob("tfidf-*"))) == 1


def test_a_write_after_saving_is_never_served_from_the_stale_copy(
    engine: Engine, tmp_path: Path
) -> None:
    """A profile added after the save is in the next start's suggestions (a new fit)."""
    add(engine, name="Biopsy lab")
    folder = tmp_path / "index"
    first = started(engine, folder)

    newcomer = add(engine, name="Plasma SME", stakeholder_type="sme")
    second = started(engine, folder)

    assert second.stats().fitted_at != first.stats().fitted_at
    assert newcomer in [doc_id for doc_id, _ in ranked(second, stakeholder_types=["sme"])]


def test_writes_after_loading_are_applied_and_leave_the_saved_files_alone(
    engine: Engine, tmp_path: Path
) -> None:
    """Upserts and removals on a mapped index work (copy-on-write); the files do not change."""
    biopsy = add(engine, name="Biopsy lab")
    folder = tmp_path / "index"
    started(engine, folder)
    service = started(engine, folder, refit_drift=1.0)  # no refit: every write is an upsert
    [saved_folder] = folder.glob("tfidf-*")
    saved = {path.name: path.read_bytes() for path in saved_folder.iterdir()}

    newcomer = add(engine, name="Plasma SME", stakeholder_type="sme")
    with db.session_scope(db.for_writing(engine)) as session:
        delete_organisation(
            session,
            organisation_id=biopsy,
            actor=Principal(KeyRole.admin),
            base_url="https://matchmaker.example",
        )

    assert [doc_id for doc_id, _ in ranked(service)] == [newcomer]
    assert service.stats().mapped
    assert {path.name: path.read_bytes() for path in saved_folder.iterdir()} == saved


def test_past_partners_survive_the_round_trip(engine: Engine, tmp_path: Path) -> None:
    """Suggestions for a draft count shared projects the same from a fit and from the copy."""
    member = add(engine, name="Coordinator", description="Oncology.", keywords=[])
    partner = add(engine, name="Former partner lab")
    add(
        engine,
        name="Stranger lab",
        activities=[{"title": "Other", "url": "https://cordis.europa.eu/project/id/9"}],
    )
    fitted = started(engine, None)
    folder = tmp_path / "index"
    started(engine, folder)
    mapped = started(engine, folder)

    from_fit = fitted.suggest_for_text(CALL, exclude_ids=[member], partner_ids=[member])
    from_copy = mapped.suggest_for_text(CALL, exclude_ids=[member], partner_ids=[member])

    assert mapped.stats().mapped
    assert not fitted.stats().mapped
    assert from_copy == from_fit
    shared = {m.id: m.reasons[-1].value for m in from_copy}
    assert shared[partner] == 1.0
    assert set(shared.values()) == {0.0, 1.0}


def test_databases_at_the_same_change_number_do_not_share_an_index(
    sqlite_template: Path, tmp_path: Path
) -> None:
    """A copy of the database that diverged (a restored backup, say) gets its own fit."""
    engines = []
    for name in ("original.db", "restored.db"):
        shutil.copyfile(sqlite_template, tmp_path / name)
        engines.append(db.create_db_engine(Settings(database_url=f"sqlite:///{tmp_path / name}")))
    original_db, restored_db = engines
    for engine in engines:
        add(engine, name="Biopsy lab")
    original_id = add(
        original_db,
        name="Cardiology SME",
        stakeholder_type="sme",
        description="Heart failure imaging.",
        keywords=[],
        activities=[],
    )
    restored_id = add(restored_db, name="Biopsy SME", stakeholder_type="sme")
    folder = tmp_path / "index"

    original = started(original_db, folder)
    restored = started(restored_db, folder)

    assert original_id == restored_id  # same ids and change numbers, different rows
    assert original.stats().last_change == restored.stats().last_change
    assert [doc_id for doc_id, _ in ranked(original)] == [1]  # only the lab shares terms
    assert [doc_id for doc_id, _ in ranked(restored)] == [1, restored_id]
    [(_, unrelated)] = ranked(original, stakeholder_types=["sme"])  # offered, sharing no term
    [(_, related)] = ranked(restored, stakeholder_types=["sme"])
    assert unrelated < 0.001 < related
    assert restored.stats().fitted_at != original.stats().fitted_at
    for engine in engines:
        engine.dispose()


class RefitsOnNextUse(MatchingService):
    """A service whose background refit lands just as the next request reads the index."""

    armed = False

    def _current_organisations(self) -> ProfileIndex:
        if self.armed:
            self.armed = False
            self.request_refit()
            self.wait_for_refit()
        return super()._current_organisations()


def test_a_proposals_diversity_rows_share_one_vocabulary_across_a_refit(engine: Engine) -> None:
    """All of a proposal's rows come from one index read, even when a refit lands meanwhile."""
    first = add(engine, name="Biopsy lab")
    service = RefitsOnNextUse(engine=engine, refit_drift=10.0, index_dir=None)
    service.start()
    before = service.profile_vectors([first])
    second = add(engine, name="Xenotransplantation", description="Porcine kidney xenografts.")
    service.armed = True
    after = service.profile_vectors([first, second])

    assert after.shape == (2, service.stats().vocabulary)
    assert after.shape[1] != before.shape[1]
    assert (after.getnnz(axis=1) > 0).tolist() == [True, True]
    assert (after @ after.T).diagonal() == pytest.approx([1.0, 1.0])


def test_an_unusable_index_folder_falls_back_to_fitting_in_memory(
    engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A folder that cannot be created (a root-owned volume, say) costs the saving, not service."""
    biopsy = add(engine, name="Biopsy lab")
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")

    service = started(engine, blocker / "index")

    assert not service.stats().mapped
    assert ranked(service)[0][0] == biopsy
    assert "cannot use" in caplog.text


def change_rows(engine: Engine) -> list[tuple[int, str, int]]:
    with Session(engine) as session:
        return [
            (row.id, row.entity, row.entity_id)  # type: ignore[misc]
            for row in session.scalars(select(Change).order_by(col(Change.id)))
        ]


def test_the_change_log_keeps_one_row_per_entity_and_no_worker_misses_a_change(
    engine: Engine,
) -> None:
    """Superseded rows go at start; a worker that was behind still catches up with everything."""
    biopsy = add(engine, name="Biopsy lab")
    behind = started(engine, None, refit_drift=10.0)  # its last change: the biopsy lab's row
    admin = Principal(KeyRole.admin)
    for edition in range(3):  # each a real change: a write that changes nothing logs nothing
        renamed = OrganisationUpdate(name=f"Liquid biopsy lab {edition + 1}")
        with db.session_scope(db.for_writing(engine)) as session:
            update_organisation(session, organisation_id=biopsy, data=renamed, actor=admin)
    plasma = add(engine, name="Plasma SME", stakeholder_type="sme")
    with db.session_scope(db.for_writing(engine)) as session:
        delete_organisation(
            session, organisation_id=plasma, actor=admin, base_url="https://matchmaker.example"
        )
    before = change_rows(engine)
    started(engine, None)  # with the default slack, a log this short is left as it is
    assert change_rows(engine) == before

    compacting = MatchingService(engine=engine, refit_drift=10.0)
    compacting.CHANGE_LOG_SLACK = 0  # 6 rows for 1 profile: more than twice as many
    compacting.start()  # another worker starts, and compacts the log

    after = change_rows(engine)
    assert len(before) == 6
    assert after == [row for row in before if row[0] in (before[3][0], before[5][0])]
    assert after[-1] == before[-1]  # the latest change number stays
    assert [doc_id for doc_id, _ in ranked(behind)] == [biopsy]
    assert behind.stats().documents == 1


def test_compacting_the_change_log_in_an_outage_logs_one_line_not_a_traceback(
    sqlite_template: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A refit that ends as the database goes away leaves the log to the next try, saying so
    in one line: an outage is an expected state, not an error with a traceback (seen once in
    the PostgreSQL outage test, under the whole suite's load)."""
    folder = tmp_path / "data"
    folder.mkdir()
    shutil.copyfile(sqlite_template, folder / "m.db")
    engine = db.create_db_engine(Settings(database_url=f"sqlite:///{folder / 'm.db'}"))
    add(engine, name="Biopsy lab")
    service = started(engine, None)
    engine.dispose()
    folder.rename(tmp_path / "away")
    with caplog.at_level(logging.WARNING, logger="matchmaker.matching.service"):
        service._compact_changes()
    (record,) = [r for r in caplog.records if r.name == "matchmaker.matching.service"]
    assert (record.levelno, record.exc_info) == (logging.WARNING, None)
    assert record.getMessage() == (
        "Change log not compacted: the database cannot be reached; tried again at the next "
        "start or refit"
    )


def test_a_stale_profile_ranks_after_a_fresh_one_of_the_same_fit(
    engine: Engine, tmp_path: Path
) -> None:
    """Two profiles alike but for their last confirmation: the stale one comes second, its
    odds x STALE_FACTOR, with a freshness reason; the index reads confirmations from the
    database at a fit and with every later change, and restores them from a saved index."""
    stale = add(engine, name="Biopsy lab one")
    fresh = add(engine, name="Biopsy lab two")
    with Session(engine) as session:
        row = session.get(Organisation, stale)
        assert row is not None
        row.confirmed_at = utc_now() - timedelta(days=14 * 31)
        session.commit()
    service = MatchingService(engine=engine, refit_drift=0.2, stale_after_months=13)
    service.start()
    first, second = service.suggest_for_text(CALL)[:2]
    assert (first.id, second.id) == (fresh, stale)
    assert [reason.signal for reason in first.reasons][-1] != "freshness"
    freshness = second.reasons[-1]
    assert (freshness.signal, freshness.factor) == ("freshness", STALE_FACTOR)
    assert freshness.value >= 14 * 31
    odds = [match.score / (1 - match.score) for match in (first, second)]
    assert odds[1] / odds[0] == pytest.approx(STALE_FACTOR, rel=1e-6)

    # Confirmed again (a logged write): fresh from the next request on.
    with db.session_scope(db.for_writing(engine)) as session:
        confirm_organisation(session, organisation_id=stale, actor=Principal(KeyRole.admin))
    after = {match.id: match for match in service.suggest_for_text(CALL)}
    assert after[stale].score == pytest.approx(after[fresh].score, rel=1e-9)
    assert "freshness" not in [reason.signal for reason in after[stale].reasons]

    # Without a stale period nothing is ever stale.
    service.stale_after_months = None
    assert {m.id: m.score for m in service.suggest_for_text(CALL)} == pytest.approx(
        {m.id: m.score for m in after.values()}
    )


def test_a_saved_index_keeps_when_profiles_were_confirmed(engine: Engine, tmp_path: Path) -> None:
    """A service starting from a saved index ranks stale profiles as the one that fitted."""
    stale = add(engine, name="Biopsy lab one")
    add(engine, name="Biopsy lab two")
    with Session(engine) as session:
        row = session.get(Organisation, stale)
        assert row is not None
        row.confirmed_at = utc_now() - timedelta(days=14 * 31)
        session.commit()
    folder = tmp_path / "index"
    services = [
        MatchingService(engine=engine, refit_drift=0.2, index_dir=folder, stale_after_months=13)
        for _ in range(2)
    ]
    for service in services:
        service.start()
    assert services[1].stats().mapped
    first, second = ([m.id for m in service.suggest_for_text(CALL)] for service in services)
    assert first == second
    assert first[-1] == stale


def test_start_logs_what_the_index_holds_and_where(
    engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Each start, and each background refit installed, says at INFO how many profiles and
    calls it indexed and whether it maps the saved copy or holds its own."""
    add(engine, name="Biopsy lab")
    folder = tmp_path / "index"

    with caplog.at_level(logging.INFO, logger="matchmaker.matching.service"):
        started(engine, folder)
        in_memory = started(engine, None)
        add(engine, name="Cardiology centre")
        assert in_memory.request_refit()
        in_memory.wait_for_refit()

    said = [
        re.sub(r"in \d+\.\d s", "in N s", record.getMessage())
        for record in caplog.records
        if record.name == "matchmaker.matching.service"
    ]
    assert said == [
        f"Matching index ready in N s: 1 organisations, 0 calls; memory-mapped from {folder}",
        "Matching index ready in N s: 1 organisations, 0 calls; held in this process's memory "
        "(not saved)",
        "Background refit installed in N s: 2 organisations, 0 calls; held in this process's "
        "memory (not saved)",
    ]
