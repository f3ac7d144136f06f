"""The score-only ranking: the explained ranking's ids, scores and text cosines, unexplained."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest

from matchmaker.matching.call_terms import CallTerms
from matchmaker.matching.profile_index import ProfileIndex
from matchmaker.matching.scoring import TEXT_SIMILARITY, Weights
from tests.helpers import Profile

WORDS = ["cancer", "biopsy", "tumour", "heart", "imaging", "soil", "battery", "patient", "trial"]
TEXT = "liquid biopsy trial for cancer patients, tumour imaging"
NOW = datetime(2026, 12, 6, tzinfo=UTC)
KINDS = ("academia", "industry", "other")


@dataclass(frozen=True)
class DatedProfile(Profile):
    """A profile that says when it was last confirmed as current."""

    confirmed_at: datetime | None = None


def project(number: int, words: list[str]) -> dict[str, Any]:
    """A past project as the CORDIS importer writes it: one number, one identity."""
    text = " ".join(words)
    return {
        "title": f"P{number}: {text}",
        "summary": text,
        "url": f"https://cordis.europa.eu/project/id/{number}",
    }


def corpus() -> tuple[dict[int, DatedProfile], dict[int, str]]:
    """Forty profiles of random words with past projects drawn from twelve (so organisations
    share projects and some are close to the text), a third of them stale, some with no word
    of the text: every signal of the score varies."""
    rng = np.random.default_rng(14)
    projects = {n: project(n, list(rng.choice(WORDS, size=4))) for n in range(12)}
    profiles = {
        10 + i: DatedProfile(
            f"Org {i}",
            " ".join(rng.choice(WORDS if i % 7 else ["soil", "battery"], size=5)),
            activities=tuple(projects[int(n)] for n in rng.choice(12, size=i % 5, replace=False)),
            confirmed_at=NOW - timedelta(days=int(rng.integers(0, 900))),
        )
        for i in range(40)
    }
    return profiles, {doc_id: KINDS[doc_id % 3] for doc_id in profiles}


def index_of(profiles: Mapping[int, DatedProfile], kinds: Mapping[int, str]) -> ProfileIndex:
    """A ProfileIndex over the profiles with a stakeholder_type facet and two stored calls."""
    ids = list(profiles)
    return ProfileIndex(known_calls=CallTerms()).fit(
        ids,
        [profiles[i] for i in ids],
        facets={"stakeholder_type": [kinds[i] for i in ids]},
        call_texts=["cancer trial imaging", "cancer patient trial"],
    )


ASKS: list[dict[str, Any]] = [
    {"k": 25},
    {"k": 200},
    {"k": 30, "exclude_ids": [11, 12], "partner_ids": [11, 12]},
    {"k": 8, "filters": {"stakeholder_type": ["industry", "other"]}},
    {"k": 5, "include_ids": [13, 14, 15, 16, 17, 30]},
    {"k": 40, "fill": True},
    {"k": 20, "stale_before": NOW - timedelta(days=365)},
    {"k": 20, "weights": Weights.fitted().replace(similar_projects=0.0, track_record=0.0)},
    {"k": 0},
    {"k": 5, "include_ids": [999]},
]


@pytest.mark.parametrize("ask", ASKS, ids=lambda ask: ",".join(sorted(ask)))
def test_score_only_ranking_equals_the_explained_rankings_order_scores_and_cosines(
    ask: dict[str, Any],
) -> None:
    """`rank_scores` gives exactly the ids, scores and text-similarity values `rank` gives,
    whatever the partners, filters, listed ids, fill, staleness and weights."""
    index = index_of(*corpus())
    explained = index.rank(TEXT, **ask)
    scored = index.rank_scores(TEXT, **ask)
    assert scored.ids.tolist() == [match.id for match in explained]
    assert scored.scores.tolist() == [match.score for match in explained]
    assert scored.cosines.tolist() == [
        next(r.value for r in match.reasons if r.signal == TEXT_SIMILARITY) for match in explained
    ]


def test_the_small_corpus_exercises_every_signal() -> None:
    """The corpus above is not trivial: partners, similar projects, staleness and profiles
    without a word of the text all show in the explained rankings it is compared with."""
    index = index_of(*corpus())
    signals = {
        reason.signal
        for ask in ASKS
        for match in index.rank(TEXT, **ask)
        for reason in match.reasons
        if reason.factor != 1.0
    }
    assert signals == {
        "text_similarity",
        "track_record",
        "similar_projects",
        "past_partners",
        "freshness",
    }
    assert len(index.rank(TEXT, k=40, fill=True)) > len(index.rank(TEXT, k=40))


def test_score_only_ranking_rejects_negative_k() -> None:
    """k must not be negative, as for `rank`."""
    index = index_of(*corpus())
    with pytest.raises(ValueError, match="k must be >= 0"):
        index.rank_scores(TEXT, k=-1)
