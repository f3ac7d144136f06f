"""The evaluation's rankers rank as the code they measure does, by its fast paths."""

from typing import Any

import numpy as np

from matchmaker.evaluation.protocol import CallTexts, Profile, Query
from matchmaker.evaluation.rankers import Bm25Ranker, MatchmakerRanker, TfidfRanker, top_ids
from matchmaker.matching.scoring import TEXT_SIMILARITY

WORDS = ["cancer", "biopsy", "tumour", "heart", "imaging", "soil", "battery", "patient", "trial"]
TEXT = "liquid biopsy trial for cancer patients, tumour imaging"


def profiles() -> list[Profile]:
    """Thirty organisations of random words, listing past projects drawn from ten (so some
    worked together and some projects are close to the text)."""
    rng = np.random.default_rng(6)
    projects: list[dict[str, Any]] = [
        {
            "title": f"P{n}: " + " ".join(rng.choice(WORDS, size=3)),
            "summary": " ".join(rng.choice(WORDS, size=6)),
            "url": f"https://cordis.europa.eu/project/id/{n}",
        }
        for n in range(10)
    ]
    return [
        Profile(
            100 + i,
            f"Org {i}",
            " ".join(rng.choice(WORDS, size=5)),
            (),
            tuple(projects[int(n)] for n in rng.choice(10, size=i % 4, replace=False)),
            ("academia", "industry")[i % 2],
            "DE",
            i % 4,
        )
        for i in range(30)
    ]


def test_product_ranker_ranks_a_draft_as_the_api_does() -> None:
    """The product's ranker gives the order of `ProfileIndex.rank` (partners excluded, their
    past projects counted), and its text cosines are the text-similarity reasons' values."""
    ranker = MatchmakerRanker().fit(profiles(), CallTexts(stored=("cancer trial imaging",)))
    assert ranker.index is not None
    partners = frozenset({101, 102})
    query = Query("draft", "d", TEXT, frozenset({103, 104}), 0, partners)
    ranked = ranker.rank(query, 25)
    explained = ranker.index.rank(TEXT, k=25, exclude_ids=partners, partner_ids=partners)
    assert ranked == [match.id for match in explained]
    assert len(ranked) > 10
    assert any(r.signal == "past_partners" and r.value for m in explained for r in m.reasons)
    assert ranker.text_cosines(query, ranked) == [
        next(r.value for r in match.reasons if r.signal == TEXT_SIMILARITY) for match in explained
    ]


def test_text_baselines_rank_by_the_sparse_products_scores() -> None:
    """TF-IDF and BM25 rank as the sparse product of their matrix and the query's row does."""
    query = Query("topic", "t", TEXT, frozenset({100}), 0)
    tfidf = TfidfRanker().fit(profiles())
    row = tfidf.vectorizer_.transform([TEXT])
    scores = (tfidf.matrix_ @ row.T).toarray().ravel()
    assert tfidf.rank(query, 30) == top_ids(scores, tfidf.ids_, 30)
    bm25 = Bm25Ranker().fit(profiles())
    counts = bm25.vectorizer_.transform([TEXT]).astype(np.float64)
    scores = (bm25.weights_ @ counts.T).toarray().ravel()
    assert bm25.rank(query, 30) == top_ids(scores, bm25.ids_, 30)
