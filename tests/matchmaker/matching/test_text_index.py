"""Unit tests of the TF-IDF matcher on tiny corpora with obvious answers."""

import pickle
import random
import threading
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity

from matchmaker.errors import NotFound
from matchmaker.matching import postings as postings_module
from matchmaker.matching.analyzer import wording
from matchmaker.matching.text_index import Match, MatchedTerm, QueryVector, TfidfMatcher

ONCOMARK, CARDIO_UNI, RARE_PATIENTS, ONCO_HOSPITAL, AGRITECH = 1, 2, 3, 4, 5

ORGANISATIONS = {
    ONCOMARK: (
        "Oncomark Diagnostics is an SME building AI software that reads tumour biopsies "
        "and cancer imaging for oncology clinics.",
        "sme",
        "DE",
    ),
    CARDIO_UNI: (
        "University cardiology department studying heart failure, cardiac imaging and "
        "arrhythmia in clinical cohorts.",
        "university",
        "FR",
    ),
    RARE_PATIENTS: (
        "Patient organisation representing people living with rare diseases and their carers.",
        "patient_organisation",
        "BE",
    ),
    ONCO_HOSPITAL: (
        "Hospital oncology unit running cancer clinical trials and tumour biobanks.",
        "hospital",
        "DE",
    ),
    AGRITECH: (
        "Agritech company optimising irrigation with soil sensors for farmers.",
        "sme",
        "ES",
    ),
}

ONCOLOGY_CALL = (
    "Expected outcome: earlier cancer detection. Scope: proposals should develop AI analysis "
    "of tumour biopsies and imaging for oncology."
)


def fit_organisations(**params: object) -> TfidfMatcher:
    """Fit a matcher on the texts of ORGANISATIONS."""
    ids = list(ORGANISATIONS)
    texts = [text for text, _, _ in ORGANISATIONS.values()]
    return TfidfMatcher(**params).fit(ids, texts)  # type: ignore[arg-type]


def in_country(country: str) -> list[int]:
    """The ids of ORGANISATIONS in one country."""
    return [i for i, (_, _, where) in ORGANISATIONS.items() if where == country]


def cancer_labs(n: int) -> TfidfMatcher:
    """Fit n cancer labs; the lowest ids say "cancer" most."""
    ids = list(range(1, n + 1))
    texts = [
        " ".join(["cancer"] * (n + 1 - i) + [f"lab{chr(97 + i)}", "tumour genomics"]) for i in ids
    ]
    return TfidfMatcher().fit(ids, texts)


def ranked_ids(results: list[Match]) -> list[int]:
    """Return the ids of results in rank order."""
    return [result.id for result in results]


def terms_of(matcher: TfidfMatcher) -> list[str]:
    """Every term of the matcher's vocabulary, in column order."""
    assert matcher._snapshot is not None
    return matcher._snapshot.vocabulary.all_terms()


def reference_rows(matcher: TfidfMatcher, texts: list[str], *queries: str) -> np.ndarray:
    """The rows scikit-learn's TfidfVectorizer gives `texts` (then `queries`) over the
    matcher's vocabulary (same analyzer and tf), its IDF fitted on `texts`, columns in the
    matcher's order."""
    reference = TfidfVectorizer(
        analyzer=matcher.analyzer(),
        sublinear_tf=matcher.sublinear_tf,
        vocabulary=terms_of(matcher),
    )
    reference.fit(texts)
    dense: np.ndarray = reference.transform([*texts, *queries]).toarray()
    return dense


def test_oncology_call_ranks_oncology_sme_above_cardiology_university() -> None:
    """The oncology SME comes first and the cardiology university (only "imaging") after."""
    results = fit_organisations().query(ONCOLOGY_CALL, k=10)

    assert ranked_ids(results) == [ONCOMARK, ONCO_HOSPITAL, CARDIO_UNI]
    assert results[0].score > results[1].score > results[2].score > 0


def test_documents_without_shared_terms_are_not_returned() -> None:
    """Documents scoring 0 are left out even when k asks for more."""
    results = fit_organisations().query("soil irrigation sensors", k=10)

    assert ranked_ids(results) == [AGRITECH]


def test_include_ids_still_returns_k_results_when_enough_match() -> None:
    """The allowed ids apply before ranking, so k allowed results come back, best first."""
    matcher = cancer_labs(10)

    assert ranked_ids(matcher.query("cancer", k=3)) == [1, 2, 3]
    assert ranked_ids(matcher.query("cancer", k=3, include_ids=range(2, 11, 2))) == [2, 4, 6]


def test_exclude_ids_drops_documents_and_still_returns_k() -> None:
    """Excluded ids never appear and the next best fill their places."""
    results = cancer_labs(10).query("cancer", k=3, exclude_ids={1, 2})

    assert ranked_ids(results) == [3, 4, 5]


def test_include_ids_restricts_ranking_to_given_ids() -> None:
    """With include_ids only those ids (that match) are ranked; unknown ids are ignored."""
    results = cancer_labs(10).query("cancer", k=5, include_ids=[9, 4, 7, 404])

    assert ranked_ids(results) == [4, 7, 9]


def test_matched_terms_name_shared_terms_best_first() -> None:
    """Explanations list terms in both texts, by descending contribution, summing to the score."""
    matcher = fit_organisations(explain_terms=50)

    best = matcher.query(ONCOLOGY_CALL, k=1)[0]

    terms = [matched.term for matched in best.matched_terms]
    weights = [matched.weight for matched in best.matched_terms]
    assert set(terms) == {
        "ai",
        "biopsies",
        "cancer",
        "imaging",
        "imaging oncology",
        "oncology",
        "tumour",
        "tumour biopsies",
    }
    assert weights == sorted(weights, reverse=True)
    assert sum(weights) == pytest.approx(best.score, rel=1e-12)


def test_matched_terms_never_name_terms_absent_from_the_document() -> None:
    """A query term the document lacks is never part of its explanation."""
    matcher = fit_organisations()

    results = matcher.query("cardiac imaging of tumour", k=10)

    explained = {result.id: {m.term for m in result.matched_terms} for result in results}
    assert explained == {
        CARDIO_UNI: {"cardiac", "cardiac imaging", "imaging"},
        ONCOMARK: {"imaging", "tumour"},
        ONCO_HOSPITAL: {"tumour"},
    }


def test_explain_terms_caps_the_number_of_matched_terms() -> None:
    """Each result carries at most explain_terms terms."""
    best = fit_organisations(explain_terms=2).query(ONCOLOGY_CALL, k=1)[0]

    assert len(best.matched_terms) == 2


def test_upserted_new_document_is_visible_in_next_query_without_refit() -> None:
    """A new document is ranked right after upsert, its new words added to the vocabulary
    (its new phrases are not: a fit learns phrases)."""
    matcher = fit_organisations()
    fitted_at, vocabulary_size = matcher.fitted_at, matcher.vocabulary_size

    matcher.upsert(6, "Farm cooperative testing soil sensors and irrigation.")

    assert ranked_ids(matcher.query("soil irrigation", k=5)) == [6, AGRITECH]
    assert ranked_ids(matcher.query("soil", include_ids=[6])) == [6]
    assert ranked_ids(matcher.query("cooperative farm")) == [6]
    assert matcher.fitted_at == fitted_at
    assert terms_of(matcher)[vocabulary_size:] == ["farm", "cooperative", "testing"]
    assert matcher.n_documents == 6


def test_upsert_edit_changes_ranking_and_replaces_old_row() -> None:
    """An edited document is ranked by its new text only and appears once."""
    matcher = fit_organisations()

    matcher.upsert(RARE_PATIENTS, "Patient organisation for people living with cancer.")

    assert ranked_ids(matcher.query("cancer patient organisation", k=10)) == [
        RARE_PATIENTS,
        ONCO_HOSPITAL,
        ONCOMARK,
    ]
    assert matcher.query("rare diseases carers") == []
    assert matcher.n_documents == 5


def test_remove_masks_document() -> None:
    """A removed document is no longer returned, counted or contained."""
    matcher = fit_organisations()

    assert matcher.remove(ONCOMARK) is True

    assert ranked_ids(matcher.query(ONCOLOGY_CALL, k=10)) == [ONCO_HOSPITAL, CARDIO_UNI]
    assert ONCOMARK not in matcher
    assert matcher.n_documents == 4
    assert matcher.remove(ONCOMARK) is False


def test_similar_excludes_the_document_itself() -> None:
    """The documents most like the oncology SME are the other oncology/imaging ones."""
    results = fit_organisations().similar(ONCOMARK, k=10)

    assert ranked_ids(results) == [ONCO_HOSPITAL, CARDIO_UNI]


def test_similar_uses_an_upserted_row() -> None:
    """similar works for a document that only lives in the delta block (its "Clinic" is the
    oncology SME's "clinics")."""
    matcher = fit_organisations()
    matcher.upsert(6, "Clinic running cancer clinical trials.")

    assert ranked_ids(matcher.similar(6, k=2)) == [ONCO_HOSPITAL, ONCOMARK]


def test_similar_of_unknown_document_raises_not_found() -> None:
    """Asking for documents like one that is not indexed is a NotFound."""
    with pytest.raises(NotFound):
        fit_organisations().similar(404)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t ",
        "the and of which would",
        "project proposal consortium expected outcome scope horizon europe",
        "2025 2026 100 000",
        "Krebsfrüherkennung mit künstlicher Intelligenz für Tumorbiopsien",
        "早期癌症检测 人工智能",
        "\u0627\u0644\u0633\u0631\u0637\u0627\u0646 \u202e reversed \u202c",
        "\x00\ud800\udfff\ufffe emoji 🧬🧪 ((((.*+?[]{}|\\",
        "a" * 100_000,
        "cancer " * 150_000,
    ],
)
def test_degenerate_queries_return_a_list_without_raising(text: str) -> None:
    """Empty, stop-word, numeric, foreign, adversarial and huge (1 MB) queries never raise."""
    results = fit_organisations().query(text, k=3)

    assert isinstance(results, list)
    assert all(result.score > 0 for result in results)


def test_stop_word_only_query_returns_nothing() -> None:
    """Boilerplate alone matches no one."""
    assert fit_organisations().query("The proposal should address the expected outcomes.") == []


def test_accents_are_stripped_from_queries_and_documents() -> None:
    """Accents are folded the same way in queries and documents, so "tumóur" finds "tumour"."""
    assert ranked_ids(fit_organisations().query("tumóur")) == [ONCO_HOSPITAL, ONCOMARK]


def test_empty_corpus_gives_a_fitted_matcher_that_grows_with_upserts() -> None:
    """Fitting no documents works and every query returns []; upserted words are then found."""
    matcher = TfidfMatcher().fit([], [])

    assert matcher.query("cancer") == []
    assert (matcher.n_documents, matcher.vocabulary_size, matcher.drift) == (0, 0, 0.0)
    matcher.upsert(1, "cancer")
    assert ranked_ids(matcher.query("cancer")) == [1]
    np.testing.assert_allclose(matcher.score_ids("cancer", [1, 2]), [1.0, 0.0], rtol=1e-6)
    assert (matcher.n_documents, matcher.vocabulary_size, matcher.drift) == (1, 1, 1.0)


def test_stop_word_only_corpus_gives_an_empty_vocabulary() -> None:
    """Documents made only of stop words fit to an empty, queryable matcher; upserted stop
    words add nothing."""
    matcher = TfidfMatcher().fit([1, 2], ["the project", "a proposal"])

    assert (matcher.vocabulary_size, matcher.n_documents) == (0, 2)
    assert matcher.query("project") == []
    matcher.upsert(3, "the projects of the consortium")
    assert matcher.vocabulary_size == 0


def test_one_document_corpus_can_be_queried() -> None:
    """With a single document min_df/max_df are relaxed and its terms still match."""
    matcher = TfidfMatcher().fit([7], ["Oncology imaging"])

    assert ranked_ids(matcher.query("imaging")) == [7]


def test_three_document_corpus_keeps_terms_of_one_document() -> None:
    """A tiny corpus keeps terms that occur once (min_df does not apply below 10 documents)."""
    matcher = TfidfMatcher().fit([1, 2, 3], ["tumour genomics", "cardiac imaging", "soil"])

    assert ranked_ids(matcher.query("soil")) == [3]
    assert matcher.vocabulary_size == 7


def test_min_df_drops_singleton_phrases_but_keeps_every_word() -> None:
    """From 10 documents on, a phrase in a single document is not in the vocabulary; a word
    in a single document is, and matches that document."""
    texts = ["cancer genomics"] * 5 + ["cardiac imaging"] * 4 + ["cardiac unicorn"]
    matcher = TfidfMatcher().fit(list(range(10)), texts)

    found = matcher.query("cardiac unicorn")[0]
    assert found.id == 9
    assert [term.term for term in found.matched_terms] == ["unicorn", "cardiac"]
    assert "cardiac unicorn" not in terms_of(matcher)
    assert "cardiac imaging" in terms_of(matcher)
    assert ranked_ids(matcher.query("cancer", k=2)) == [0, 1]


def test_bounds_that_prune_every_term_are_relaxed() -> None:
    """When the bounds would leave no term at all (phrases only), every phrase is kept."""
    # Words ending in "x", which the stemmer leaves as they are: twelve distinct phrases.
    texts = [f"topic{chr(97 + i)}x alpha{chr(97 + i)}x" for i in range(12)]
    matcher = TfidfMatcher(ngram_range=(2, 2)).fit(list(range(12)), texts)

    assert ranked_ids(matcher.query("topiccx alphacx")) == [2]
    assert matcher.vocabulary_size == 12


def test_max_df_and_max_features_bound_phrases_never_words() -> None:
    """A word in every document stays a term; phrases are bounded and capped."""
    texts = [f"cancer genomics lab{chr(97 + i)}" for i in range(10)] + ["heart imaging"] * 2
    matcher = TfidfMatcher(max_features=1).fit(list(range(12)), texts)

    assert ranked_ids(matcher.query("cancer", k=3)) == [0, 1, 2]
    phrases = [term for term in terms_of(matcher) if " " in term]
    assert phrases == ["heart imaging"]


def test_drift_counts_distinct_added_changed_and_removed_documents() -> None:
    """Drift is the share of documents touched since fit, over those fitted or added."""
    matcher = fit_organisations()
    assert matcher.drift == 0.0

    matcher.upsert(6, "new cancer lab")
    assert matcher.drift == 1 / 6
    matcher.upsert(ONCOMARK, "edited")
    assert matcher.drift == 2 / 6
    matcher.remove(CARDIO_UNI)
    assert matcher.drift == 3 / 6
    matcher.upsert(ONCOMARK, "edited twice")
    matcher.remove(404)
    assert matcher.drift == 3 / 6

    matcher.fit([1], ["cancer"])
    assert matcher.drift == 0.0


def test_score_ids_agrees_with_query_scores() -> None:
    """score_ids gives the query's cosine per id, in the order asked, 0 for unknown ids."""
    matcher = fit_organisations()
    matcher.upsert(6, "cancer imaging lab")
    by_id = {result.id: result.score for result in matcher.query(ONCOLOGY_CALL, k=10)}

    scores = matcher.score_ids(ONCOLOGY_CALL, [6, AGRITECH, ONCOMARK, 404, CARDIO_UNI])

    expected = [by_id[6], 0.0, by_id[ONCOMARK], 0.0, by_id[CARDIO_UNI]]
    assert scores.tolist() == expected


def test_explain_covers_ids_without_shared_terms_and_leaves_out_removed_ones() -> None:
    """explain() answers for any indexed id, even one the query would not rank."""
    matcher = fit_organisations()
    matcher.remove(RARE_PATIENTS)

    explained = matcher.explain(ONCOLOGY_CALL, [AGRITECH, RARE_PATIENTS, ONCOMARK])

    assert [e.id for e in explained] == [AGRITECH, ONCOMARK]
    assert explained[0].score == 0.0
    assert explained[0].matched_terms == ()
    assert explained[1].matched_terms == matcher.query(ONCOLOGY_CALL, k=1)[0].matched_terms


@pytest.mark.parametrize("sublinear_tf", [True, False])
def test_fit_and_transform_equal_scikit_learns_tfidf(sublinear_tf: bool) -> None:
    """The stored rows and a query's vector are what TfidfVectorizer gives over the same
    vocabulary and texts (IDF from exact document frequencies)."""
    texts = [text for text, _, _ in ORGANISATIONS.values()] * 3
    matcher = TfidfMatcher(sublinear_tf=sublinear_tf).fit(range(len(texts)), texts)
    query = ONCOLOGY_CALL + " cancer cancer imaging tumóur"

    expected = reference_rows(matcher, texts, query)

    np.testing.assert_allclose(matcher.document_matrix().toarray(), expected[:-1], atol=1e-6)
    vector = matcher.transform_query(query)
    assert vector.terms.tolist() == np.flatnonzero(expected[-1]).tolist()
    np.testing.assert_allclose(vector.weights, expected[-1][vector.terms], rtol=1e-6)


def test_query_vector_is_reused_and_retransformed_after_refit() -> None:
    """A QueryVector gives the same results as its text, even after the vocabulary changes."""
    matcher = fit_organisations()
    vector = matcher.transform_query(ONCOLOGY_CALL)
    assert isinstance(vector, QueryVector)
    assert matcher.query(vector) == matcher.query(ONCOLOGY_CALL)

    matcher.fit([10, 11], ["tumour biopsies", "heart"])

    assert matcher.query(vector) == matcher.query(ONCOLOGY_CALL)
    assert ranked_ids(matcher.query(vector)) == [10]
    np.testing.assert_allclose(matcher.score_ids(vector, [10, 11]), [1.0, 0.0], rtol=1e-6)


def test_a_refit_replaces_the_index_in_one_step_and_keeps_no_earlier_update() -> None:
    """After a fit the index holds exactly the fitted texts: the caller (the matching service)
    re-applies its change log to a new index, so the matcher replays nothing itself."""
    matcher = fit_organisations()
    matcher.upsert(12, "cancer biobank")
    matcher.fit([10, 11], ["cancer imaging", "cardiac imaging"])
    assert ranked_ids(matcher.query("cancer", k=10)) == [10]
    assert (12 in matcher, matcher.n_documents, matcher.drift) == (False, 2, 0.0)


def test_compaction_recomputes_every_idf_from_the_live_documents() -> None:
    """After compact() (on demand or automatic) every live row is the TF-IDF of its text over
    the documents then indexed: what a fit of those texts on the same vocabulary gives."""
    auto = fit_organisations(max_delta_rows=0)  # compacts after every upsert
    manual = fit_organisations()
    live = {doc_id: text for doc_id, (text, _, _) in ORGANISATIONS.items()}
    for matcher in (auto, manual):
        matcher.upsert(6, "Clinic running cancer clinical trials.")
        matcher.upsert(7, "Imaging lab for tumour biopsies and liquid biopsy.")
        matcher.remove(CARDIO_UNI)
        matcher.upsert(ONCO_HOSPITAL, "Hospital oncology unit with tumour biobanks.")
    live |= {
        6: "Clinic running cancer clinical trials.",
        7: "Imaging lab for tumour biopsies and liquid biopsy.",
        ONCO_HOSPITAL: "Hospital oncology unit with tumour biobanks.",
    }
    del live[CARDIO_UNI]
    manual.compact()

    for matcher in (manual, auto):
        expected = reference_rows(matcher, [live[doc_id] for doc_id in sorted(live)])
        after = matcher.document_matrix()
        np.testing.assert_allclose(after.toarray(), expected, atol=1e-6)
        assert after.has_sorted_indices
        assert matcher.ids().tolist() == sorted(live)
    found = [matcher.query(ONCOLOGY_CALL, k=10) for matcher in (manual, auto)]
    assert ranked_ids(found[0]) == ranked_ids(found[1]) == [7, ONCOMARK, ONCO_HOSPITAL, 6]
    scores = [[match.score for match in matches] for matches in found]
    np.testing.assert_allclose(scores[0], scores[1], rtol=1e-6)
    assert manual.drift == auto.drift == 4 / 7


def test_compaction_keeps_every_live_document_and_its_terms() -> None:
    """compact() drops removed rows, keeps the others with the same terms, re-weighted."""
    matcher = cancer_labs(12)
    matcher.upsert(3, "tumour genomics cancer cancer")
    matcher.upsert(40, "genomics")
    matcher.upsert(41, "cancer tumour")
    matcher.remove(5)
    matcher.remove(40)
    before = matcher.document_matrix()

    matcher.compact()

    after = matcher.document_matrix()
    assert matcher.ids().tolist() == [1, 2, 3, 4, *range(6, 13), 41]
    assert after.shape == before.shape
    assert ((after != 0) != (before != 0)).nnz == 0
    np.testing.assert_allclose(np.linalg.norm(after.toarray(), axis=1), 1.0, rtol=1e-6)


def test_chunked_scoring_of_a_huge_query_matches_single_pass(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Scoring in posting-list chunks gives the same ranking and explanations as one pass."""
    matcher = fit_organisations()
    matcher.upsert(6, "cancer imaging tumour oncology theranostics")  # a new word too
    query = ONCOLOGY_CALL + " theranostics"
    single = matcher.query(query, k=10)

    monkeypatch.setattr(postings_module, "_GATHER_CHUNK", 2)

    chunked = matcher.query(query, k=10)

    assert ranked_ids(chunked) == ranked_ids(single)
    assert [r.matched_terms for r in chunked] == [r.matched_terms for r in single]
    np.testing.assert_allclose([r.score for r in chunked], [r.score for r in single], rtol=1e-12)


def test_methods_raise_not_fitted_before_fit() -> None:
    """Everything but fit raises sklearn's NotFittedError on an unfitted matcher."""
    matcher = TfidfMatcher()
    calls = [
        lambda: matcher.query("cancer"),
        lambda: matcher.similar(1),
        lambda: matcher.score_ids("cancer", [1]),
        lambda: matcher.upsert(1, "cancer"),
        lambda: matcher.remove(1),
        lambda: 1 in matcher,
        lambda: matcher.n_documents,
        lambda: matcher.drift,
    ]
    for call in calls:
        with pytest.raises(NotFittedError):
            call()


def test_fit_rejects_duplicate_ids_and_mismatched_lengths() -> None:
    """Ids must be unique and aligned with texts."""
    with pytest.raises(ValueError, match="unique"):
        TfidfMatcher().fit([1, 1], ["a b", "c d"])
    with pytest.raises(ValueError, match="2 ids but 1 texts"):
        TfidfMatcher().fit([1, 2], ["a b"])


def test_extra_stop_words_with_punctuation_do_not_warn() -> None:
    """Custom stop words are tokenised like texts, so sklearn's consistency check is quiet."""
    matcher = TfidfMatcher(extra_stop_words={"follow-up", "e.g.", "Réseau"}).fit(
        [1, 2], ["follow-up of cancer", "réseau cardiac"]
    )

    assert ranked_ids(matcher.query("follow-up cancer réseau")) == [1]


def test_pickle_round_trip_preserves_results() -> None:
    """A pickled matcher answers like the original and can still be updated."""
    matcher = fit_organisations()
    matcher.upsert(6, "cancer lab")

    restored = pickle.loads(pickle.dumps(matcher))

    assert restored.query(ONCOLOGY_CALL, k=10) == matcher.query(ONCOLOGY_CALL, k=10)
    restored.upsert(7, "tumour biobanks")
    assert ranked_ids(restored.query("tumour biobanks")) == [7, ONCO_HOSPITAL, ONCOMARK]


def test_concurrent_queries_never_see_errors_or_half_applied_updates() -> None:
    """Readers racing a writer (upserts that add words, removes, compactions, refits) always
    get whole answers, and name only terms their vocabulary knows."""
    anchors = {1: "oncology cancer tumour imaging", 2: "oncology cancer biopsy", 3: "cancer lab"}
    others = {i: f"cardiac heart lab{i} imaging" for i in range(100, 130)}
    corpus = {**anchors, **others}
    matcher = TfidfMatcher(max_delta_rows=4).fit(list(corpus), list(corpus.values()))
    stop = threading.Event()
    errors: list[BaseException] = []
    answered = [0, 0, 0]

    def write() -> None:
        rng = np.random.default_rng(0)
        step = 0
        while not stop.is_set():
            step += 1
            doc_id = int(rng.integers(200, 220))
            try:
                matcher.upsert(doc_id, f"cancer imaging note{step}")
                if step % 3 == 0:
                    matcher.remove(int(rng.integers(200, 220)))
                if step % 50 == 0:
                    matcher.fit(list(corpus), list(corpus.values()))
            except BaseException as error:
                errors.append(error)

    def read(slot: int) -> None:
        while not stop.is_set():
            try:
                results = matcher.query("oncology cancer", k=50)
                ids = ranked_ids(results)
                assert {1, 2, 3} <= set(ids), ids
                assert len(ids) == len(set(ids)), ids
                assert matcher.similar(1, k=2)
                assert matcher.score_ids("oncology", [1, 2]).min() > 0
                for match in matcher.query("note5 note50 note500 note5000", k=5):
                    assert {t.term for t in match.matched_terms} <= {
                        "note5",
                        "note50",
                        "note500",
                        "note5000",
                    }
            except BaseException as error:
                errors.append(error)
                return
            answered[slot] += 1

    threads = [threading.Thread(target=write)] + [
        threading.Thread(target=read, args=(slot,)) for slot in range(3)
    ]
    for thread in threads:
        thread.start()
    time.sleep(1.5)
    stop.set()
    for thread in threads:
        thread.join()

    assert errors == []
    assert min(answered) > 0


WORDS = ["tumour", "cardiac", "vaccine", "genome", "imaging", "biopsy", "registry", "robotics"]
texts_strategy = st.lists(st.sampled_from(WORDS), min_size=0, max_size=8).map(" ".join)


@settings(max_examples=60, deadline=None)
@given(
    corpus=st.lists(texts_strategy, min_size=1, max_size=25),
    edits=st.lists(st.tuples(st.integers(0, 30), texts_strategy | st.none()), max_size=6),
    query=texts_strategy,
    k=st.integers(1, 8),
)
def test_top_k_equals_brute_force_cosine(
    corpus: list[str], edits: list[tuple[int, str | None]], query: str, k: int
) -> None:
    """Top-k (after upserts and removes) equals a dense brute-force cosine ranking."""
    matcher = TfidfMatcher(max_delta_rows=3).fit(range(len(corpus)), corpus)
    live = dict(enumerate(corpus))
    for doc_id, text in edits:
        if text is None:
            matcher.remove(doc_id)
            live.pop(doc_id, None)
        else:
            matcher.upsert(doc_id, text)
            live[doc_id] = text

    results = matcher.query(query, k=k)

    ids = sorted(live)
    q = matcher.transform_query(query)
    if not live or matcher.vocabulary_size == 0 or q.terms.size == 0:
        assert results == []
        return
    dense = np.zeros((len(ids), matcher.vocabulary_size))
    for row, doc_id in enumerate(ids):
        vector = matcher.transform_query(live[doc_id])
        dense[row, vector.terms] = vector.weights
    q_dense = np.zeros((1, matcher.vocabulary_size))
    q_dense[0, q.terms] = q.weights
    scores = cosine_similarity(dense, q_dense)[:, 0]
    expected = sorted(
        ((score, doc_id) for doc_id, score in zip(ids, scores, strict=True) if score > 1e-9),
        key=lambda pair: (-pair[0], pair[1]),
    )[:k]
    assert len(results) == len(expected)
    np.testing.assert_allclose(
        [result.score for result in results], [score for score, _ in expected], atol=1e-6
    )
    by_id = dict(zip(ids, scores, strict=True))
    for result in results:
        assert result.score == pytest.approx(by_id[result.id], abs=1e-6)


@settings(max_examples=60, deadline=None)
@given(
    corpus=st.lists(texts_strategy, min_size=1, max_size=25),
    edits=st.lists(st.tuples(st.integers(0, 30), texts_strategy | st.none()), max_size=6),
    query=texts_strategy,
    k=st.integers(1, 8),
    explain_terms=st.integers(0, 4),
    shuffle=st.randoms(use_true_random=False),
)
def test_explanations_equal_brute_force_contributions(
    corpus: list[str],
    edits: list[tuple[int, str | None]],
    query: str,
    k: int,
    explain_terms: int,
    shuffle: random.Random,
) -> None:
    """Each result's matched terms are its largest q_t * d_t, ties by query position.

    Checked on base and delta rows, for a transformed query and for a hand-made one whose
    terms are not sorted, against a loop over the stored vectors.
    """
    matcher = TfidfMatcher(max_delta_rows=3, explain_terms=explain_terms)
    matcher.fit(range(len(corpus)), corpus)
    for doc_id, text in edits:
        if text is None:
            matcher.remove(doc_id)
        else:
            matcher.upsert(doc_id, text)
    vector = matcher.transform_query(query)
    order = list(range(vector.terms.size))
    shuffle.shuffle(order)
    unsorted = QueryVector(
        vector.text, vector.vocabulary_token, vector.terms[order], vector.weights[order]
    )
    names = terms_of(matcher)
    worded = wording(matcher.vectorizer_, query)
    for asked in (vector, unsorted):
        results = matcher.query(asked, k=k)
        assert [r.id for r in results] == [r.id for r in matcher.query(vector, k=k)]
        rows = matcher.document_matrix([r.id for r in results])
        for result, row in zip(results, rows, strict=True):
            stored = dict(zip(row.indices.tolist(), row.data.tolist(), strict=True))
            pairs = zip(asked.terms.tolist(), asked.weights.tolist(), strict=True)
            shared = [
                (stored[term] * weight, position, term)
                for position, (term, weight) in enumerate(pairs)
                if term in stored
            ]
            shared.sort(key=lambda entry: (-entry[0], entry[1]))
            expected = [MatchedTerm(worded[str(names[t])], c) for c, _, t in shared[:explain_terms]]
            assert list(result.matched_terms) == expected
            rebuilt = Match(result.id, result.score, tuple(expected))
            assert result == rebuilt
            assert hash(result) == hash(rebuilt)
        # explain() gives the same terms for ids ranked elsewhere, in the order asked.
        backwards = [r.id for r in reversed(results)]
        explained = matcher.explain(asked, [*backwards, 404])
        assert [e.id for e in explained] == backwards
        for alone, ranked in zip(explained, reversed(results), strict=True):
            assert alone.matched_terms == ranked.matched_terms
            assert alone.score == pytest.approx(ranked.score, abs=1e-6)


CALLS = {
    11: ONCOLOGY_CALL,
    12: "Heart failure: cardiac imaging cohorts and arrhythmia in clinical care.",
    13: "Rare diseases: patient organisations and carers in clinical research.",
    14: "Digital farming: soil sensors and irrigation for farmers.",
}


def test_a_rows_term_frequencies_query_another_index_as_its_text_does() -> None:
    """Every term of a profile's text a term of both indexes: its row, weighed with the calls
    index's IDF, is the vector of its text there, also after an upsert and a compaction."""
    profiles = fit_organisations(min_documents_for_df=100)
    calls = TfidfMatcher(min_documents_for_df=100).fit(list(CALLS), list(CALLS.values()))
    texts = {doc_id: text for doc_id, (text, _, _) in ORGANISATIONS.items()}
    texts[AGRITECH] = "Agritech farmers farmers irrigation with zymurgical soil sensors."
    profiles.upsert(AGRITECH, texts[AGRITECH])
    for compacted in (False, True):
        if compacted:
            profiles.compact()
        for doc_id, text in texts.items():
            row = profiles.term_frequencies(doc_id)
            by_text = {m.id: m.score for m in calls.query(text, k=10)}
            by_row = {m.id: m.score for m in calls.query(row, k=10)}
            assert by_row.keys() == by_text.keys()
            assert all(by_row[i] == pytest.approx(by_text[i], abs=1e-6) for i in by_text)
            assert calls.score_ids(row, list(CALLS)) == pytest.approx(
                calls.score_ids(text, list(CALLS)), abs=1e-6
            )


def test_term_frequencies_leave_out_the_phrases_the_rows_index_lacks() -> None:
    """A phrase of one profile only is no term of a profile index with min_df=2, so its row
    does not carry it to the calls index, where it is one."""
    profiles = fit_organisations(min_documents_for_df=1)
    calls = TfidfMatcher(min_documents_for_df=100, explain_terms=20)
    calls.fit(list(CALLS), list(CALLS.values()))
    row = profiles.term_frequencies(CARDIO_UNI)
    assert "heart failure" not in row.terms
    assert "heart" in row.terms
    (by_text,) = calls.explain(ORGANISATIONS[CARDIO_UNI][0], [12])
    assert "heart failure" in [term.term for term in by_text.matched_terms]
    (match,) = calls.explain(row, [12])
    assert "heart failure" not in [term.term for term in match.matched_terms]
    assert (
        0 < calls.score_ids(row, [12])[0] < calls.score_ids(ORGANISATIONS[CARDIO_UNI][0], [12])[0]
    )


def test_term_frequencies_of_an_unknown_id_or_another_tf_scheme_raise() -> None:
    profiles = fit_organisations()
    with pytest.raises(NotFound):
        profiles.term_frequencies(99)
    raw = TfidfMatcher(sublinear_tf=False).fit(list(CALLS), list(CALLS.values()))
    with pytest.raises(ValueError, match="sublinear_tf"):
        raw.query(profiles.term_frequencies(ONCOMARK))
