"""Every word is findable at once (issue 14, item 3): a word used by a single profile matches it,
whether the fit saw it or an upsert brought it, in every worker and over HTTP."""

import pickle
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sklearn.feature_extraction.text import TfidfVectorizer
from sqlalchemy import Engine

from api.main import create_app
from matchmaker import db
from matchmaker.matching.analyzer import smooth_idf
from matchmaker.matching.saved_index import load, save
from matchmaker.matching.service import SYNC_REFIT_MAX, MatchingService
from matchmaker.matching.text_index import TfidfMatcher
from matchmaker.organisations import create_organisation
from matchmaker.settings import Settings
from models.organisation import OrganisationCreate
from tests.factories import organisation_payload
from tests.servers import ADMIN_TOKEN

FIELDS = ["oncology", "cardiology", "genomics", "robotics", "nutrition", "imaging", "vaccines"]
METHODS = ["trials", "registries", "sensors", "software", "biobanks"]
# More profiles than the service refits on the request path, so that a new word can only be
# found through the vocabulary growing, not through a refit.
N_PROFILES = SYNC_REFIT_MAX + 20


def common_text(i: int) -> str:
    """A profile text whose every word many other profiles share."""
    return f"{FIELDS[i % len(FIELDS)]} {METHODS[i % len(METHODS)]} and {FIELDS[(i + 3) % 7]}"


def corpus(n: int = 30) -> list[str]:
    return [common_text(i) for i in range(n)]


def terms_of(matcher: TfidfMatcher) -> list[str]:
    assert matcher._snapshot is not None
    return matcher._snapshot.vocabulary.all_terms()


def reference_rows(matcher: TfidfMatcher, texts: list[str]) -> np.ndarray:
    """TfidfVectorizer's rows of `texts` over the matcher's vocabulary, IDF fitted on them."""
    reference = TfidfVectorizer(
        analyzer=matcher.analyzer(),
        sublinear_tf=matcher.sublinear_tf,
        vocabulary=terms_of(matcher),
    )
    rows: np.ndarray = reference.fit_transform(texts).toarray()
    return rows


# the text index


def test_a_word_of_a_single_profile_is_a_term_of_the_fit() -> None:
    """min_df applies to phrases: the one profile that says "parkinsonian" is found by it."""
    texts = corpus()
    texts[7] = "Wearable gait sensors for Parkinsonian tremor"
    matcher = TfidfMatcher(sublinear_tf=False).fit(range(len(texts)), texts)

    (found,) = matcher.query("parkinsonian")

    assert found.id == 7
    assert [term.term for term in found.matched_terms] == ["parkinsonian"]
    assert "parkinsonian tremor" not in terms_of(matcher)  # a phrase of one profile


def test_a_word_first_seen_in_an_upsert_is_found_by_the_next_query() -> None:
    """The upsert adds the word (a new column, the IDF of a word in one document), the next
    query finds and names it; vectors transformed before stay valid."""
    texts = corpus()
    matcher = TfidfMatcher().fit(range(len(texts)), texts)
    before = matcher.transform_query("bradykinesia oncology")
    size = matcher.vocabulary_size

    matcher.upsert(100, "Bradykinesia scoring from smartphone videos")

    found = matcher.query("bradykinesia")
    assert [match.id for match in found] == [100]
    assert [term.term for term in found[0].matched_terms] == ["bradykinesia"]
    assert terms_of(matcher)[size:] == ["bradykinesia", "scoring", "smartphone", "video"]
    assert matcher._snapshot is not None
    vocabulary = matcher._snapshot.vocabulary
    np.testing.assert_allclose(vocabulary.idf_of(np.array([size])), [smooth_idf(1, len(texts) + 1)])
    # Transformed before the word existed: still valid, without the word.
    assert 100 not in [match.id for match in matcher.query(before, k=50)]
    assert 100 in [match.id for match in matcher.query(before.text, k=50)]


def test_a_new_words_idf_becomes_exact_at_the_next_compaction() -> None:
    """Between compactions a new word keeps the IDF it entered with; a compaction recomputes
    every IDF from the live documents (what a fit on the same vocabulary gives)."""
    texts = corpus()
    matcher = TfidfMatcher(max_delta_rows=10).fit(range(len(texts)), texts)
    added = {100 + i: f"exoskeleton {common_text(i)}" for i in range(3)}
    for doc_id, text in added.items():
        matcher.upsert(doc_id, text)
    entered = matcher.score_ids("exoskeleton", list(added))

    matcher.compact()

    live = texts + list(added.values())
    np.testing.assert_allclose(
        matcher.document_matrix().toarray(), reference_rows(matcher, live), atol=1e-6
    )
    assert [match.id for match in matcher.query("exoskeleton")] == [100, 101, 102]
    # Three documents now share the word: it weighs less in each of them than on entry.
    assert (matcher.score_ids("exoskeleton", list(added)) < entered).all()


def test_settle_makes_a_small_index_exact_at_once_and_leaves_a_large_one() -> None:
    """`settle` compacts when anything changed and the index is within its budget: every row
    is then the TF-IDF row a fit of the live texts gives. Nothing changed, or over budget, it
    leaves the index as it is."""
    texts = corpus()
    matcher = TfidfMatcher().fit(range(len(texts)), texts)
    assert not matcher.settle(max_nnz=10**9)  # nothing changed since the fit
    added = {100 + i: f"exoskeleton {common_text(i)}" for i in range(3)}
    for doc_id, text in added.items():
        matcher.upsert(doc_id, text)
    entered = matcher.score_ids("exoskeleton", list(added))

    assert not matcher.settle(max_nnz=matcher.nnz - 1)
    np.testing.assert_allclose(matcher.score_ids("exoskeleton", list(added)), entered)
    assert matcher.settle(max_nnz=matcher.nnz)

    live = texts + list(added.values())
    np.testing.assert_allclose(
        matcher.document_matrix().toarray(), reference_rows(matcher, live), atol=1e-6
    )
    assert not matcher.settle(max_nnz=10**9)
    matcher.remove(100)
    assert matcher.settle(max_nnz=10**9)
    np.testing.assert_allclose(
        matcher.document_matrix().toarray(),
        reference_rows(matcher, [*texts, *list(added.values())[1:]]),
        atol=1e-6,
    )


def test_a_phrase_first_used_after_the_fit_waits_for_a_refit() -> None:
    """New phrases are not added by upserts (their words are): documented, not a bug."""
    texts = corpus()
    matcher = TfidfMatcher().fit(range(len(texts)), texts)

    matcher.upsert(100, "deep brain stimulation")
    matcher.upsert(101, "deep brain stimulation")

    assert "deep brain" not in terms_of(matcher)
    assert {"deep", "brain", "stimulation"} <= set(terms_of(matcher))
    matcher.fit([*range(len(texts)), 100, 101], [*texts, "deep brain", "deep brain"])
    assert "deep brain" in terms_of(matcher)


def test_a_sampled_fit_keeps_the_words_outside_its_sample_with_exact_idf() -> None:
    """With vocabulary_sample the phrases come from the sample; every word of every text is a
    term, and every IDF counts every text."""
    texts = corpus(40)
    texts[33] = "Parkinsonian gait laboratory"
    matcher = TfidfMatcher(vocabulary_sample=10).fit(range(len(texts)), texts)

    assert [match.id for match in matcher.query("parkinsonian gait")] == [33]
    np.testing.assert_allclose(
        matcher.document_matrix().toarray(), reference_rows(matcher, texts), atol=1e-6
    )


def test_words_added_after_the_fit_survive_pickle_and_saving(tmp_path: Path) -> None:
    """A pickled or saved index knows the words added since its fit, and can add more."""
    texts = corpus()
    matcher = TfidfMatcher().fit(range(len(texts)), texts)
    matcher.upsert(100, "bradykinesia clinic")

    for restored in (pickle.loads(pickle.dumps(matcher)), _saved_and_loaded(matcher, tmp_path)):
        assert [match.id for match in restored.query("bradykinesia")] == [100]
        assert restored.vocabulary_size == matcher.vocabulary_size
        restored.upsert(101, "dyskinesia clinic")
        assert [match.id for match in restored.query("dyskinesia")] == [101]


def _saved_and_loaded(matcher: TfidfMatcher, folder: Path) -> TfidfMatcher:
    save(matcher, folder, "key")
    loaded = load(folder, "key")
    assert loaded is not None
    return loaded


# every worker


def _seed(engine: Engine, texts: list[str]) -> list[int]:
    """Store one organisation per text through the domain code (which logs each change)."""
    ids = []
    with db.session_scope(db.for_writing(engine)) as session:
        for i, text in enumerate(texts):
            payload = organisation_payload(
                name=f"Member {i}", description=text, keywords=[], activities=[]
            )
            organisation, _, _ = create_organisation(session, data=OrganisationCreate(**payload))
            ids.append(int(organisation.id))  # type: ignore[arg-type]
    return ids


def _profiles() -> list[str]:
    texts = [common_text(i) for i in range(N_PROFILES)]
    texts[5] = "Parkinsonian tremor clinic running gait trials"
    return texts


def test_a_word_written_through_one_worker_is_found_by_another(engine: Engine) -> None:
    """Two services on one database, as two worker processes: a profile written once is
    caught up by the other from the change log, and its new word matches there at once,
    without a refit."""
    ids = _seed(engine, _profiles())
    workers = [MatchingService(engine=engine, refit_drift=0.2) for _ in range(2)]
    for worker in workers:
        worker.start()
    fitted_at = [worker.stats().fitted_at for worker in workers]

    (newcomer,) = _seed(engine, ["Bradykinesia scoring from smartphone videos"])

    for worker, fitted in zip(workers, fitted_at, strict=True):
        assert worker.suggest_for_text("parkinsonian")[0].id == ids[5]
        found = worker.suggest_for_text("bradykinesia")
        assert [match.id for match in found] == [newcomer]
        assert [term.term for term in found[0].matched_terms] == ["bradykinesia"]
        assert worker.stats().fitted_at == fitted
        assert not worker.stats().refitting


def test_a_profile_registered_after_the_fit_keeps_its_score_through_a_refit(
    engine: Engine,
) -> None:
    """A profile written after the fit, sharing rare words with others, scores at once what a
    refit gives it: the catch-up settles the small index's IDF weights (before, its score moved
    at the next refit with no data changed)."""
    _seed(engine, _profiles())
    worker = MatchingService(engine=engine, refit_drift=0.2)
    worker.start()
    (newcomer,) = _seed(engine, ["Bradykinesia scoring in a Parkinsonian gait laboratory"])
    query = "parkinsonian tremor and bradykinesia"

    registered = {match.id: match.score for match in worker.suggest_for_text(query)}
    assert worker.request_refit()
    worker.wait_for_refit()
    refitted = {match.id: match.score for match in worker.suggest_for_text(query)}

    assert newcomer in registered
    assert registered == pytest.approx(refitted, rel=1e-6)


# over HTTP


@pytest.fixture
def seeded(settings: Settings, engine: Engine) -> Iterator[tuple[TestClient, list[int]]]:
    """The app started on a database that already holds the profiles (a fit of them)."""
    ids = _seed(engine, _profiles())
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with TestClient(create_app(settings), raise_server_exceptions=False, headers=headers) as client:
        yield client, ids


def test_a_word_registered_over_http_is_searchable_at_once(
    seeded: tuple[TestClient, list[int]],
) -> None:
    """POST /search finds the one profile that uses a word: fitted, or registered just now."""
    client, ids = seeded

    fitted = client.post("/search", json={"text": "parkinsonian"}).json()["items"]
    registered = client.post(
        "/organisations",
        json=organisation_payload(
            name="Gait Analytics SME",
            stakeholder_type="sme",
            description="Wearable sensors scoring bradykinesia at home",
            keywords=[],
            activities=[],
        ),
    )
    found = client.post("/search", json={"text": "bradykinesia"}).json()["items"]

    assert fitted[0]["organisation"]["id"] == ids[5]
    assert registered.status_code == 201, registered.text
    assert found[0]["organisation"]["id"] == registered.json()["id"]
    assert "bradykinesia" in [term["term"] for term in found[0]["matched_terms"]]
