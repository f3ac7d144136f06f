"""Experimental rankers the quality benchmark measures as ablations; not the product's ranking
(docs/matching.md says why each lost)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Self

import numpy as np
import scipy.sparse as sp

from matchmaker.evaluation.protocol import NO_CALLS, CallTexts, Profile, Query
from matchmaker.evaluation.rankers import MatchmakerRanker, top_ids
from matchmaker.matching.profile_index import MATCHER_SETTINGS
from matchmaker.matching.scoring import Weights
from matchmaker.matching.text import activity_text
from matchmaker.matching.text_index import TfidfMatcher


class ActivityRanker:
    """Activity-level similarity: each past activity scored on its own, then the best one (or
    the mean of the best `top`) per organisation, times the same track-record factor.

    An ablation, not the product: the product scores one document per profile because this
    measured worse (docs/matching.md). Activities with the same text are indexed once.
    """

    def __init__(self, name: str = "activities: best", *, top: int = 1) -> None:
        self.name = name
        self.top = top

    def fit(self, profiles: Sequence[Profile], calls: CallTexts = NO_CALLS) -> Self:
        """Index every distinct activity text and which profiles list it."""
        columns: dict[str, int] = {}
        rows, cols = [], []
        for row, profile in enumerate(profiles):
            for activity in profile.activities:
                rows.append(row)
                cols.append(columns.setdefault(activity_text(activity), len(columns)))
        self.ids_ = np.asarray([profile.id for profile in profiles], dtype=np.int64)
        self.owner_ = sp.csr_matrix(
            (np.ones(len(rows)), (rows, cols)), shape=(len(profiles), len(columns))
        )
        self.owner_.sum_duplicates()
        self.owner_.data[:] = 1.0
        self.matcher_ = TfidfMatcher(**MATCHER_SETTINGS).fit(range(len(columns)), list(columns))
        self.columns_ = np.arange(len(columns))
        self.factor_ = np.exp(Weights.fitted().track_term(np.diff(self.owner_.indptr)))
        return self

    def rank(self, query: Query, k: int) -> list[int]:
        """Profiles by their best activities' cosine times their track record."""
        cosine = self.matcher_.score_ids(query.text, self.columns_.tolist())
        owner = self.owner_
        per_entry = cosine[owner.indices]
        row_of = np.repeat(np.arange(owner.shape[0]), np.diff(owner.indptr))
        order = np.lexsort((-per_entry, row_of))
        rank_in_row = np.arange(order.size) - owner.indptr[row_of[order]]
        kept = order[rank_in_row < self.top]
        total = np.bincount(row_of[kept], weights=per_entry[kept], minlength=owner.shape[0])
        count = np.minimum(np.diff(owner.indptr), self.top)
        best = np.divide(total, count, out=np.zeros_like(total), where=count > 0)
        return top_ids(best * self.factor_, self.ids_, k)


class BalancedRanker:
    """Stakeholder balance: the product's ranking re-ordered so that each stakeholder type
    keeps a share of the top places in proportion to its share of all past participations.

    Each candidate (the product's best `pool`) gets the key (its rank among its own type + 1)
    / (its type's share) and the list is sorted by that key: types interleave at the rate real
    consortia mixed them. An ablation, not the product (docs/matching.md).
    """

    def __init__(self, name: str = "stakeholder-balanced", *, shares: MatchmakerRanker) -> None:
        self.name = name
        self.shares = shares

    def fit(self, profiles: Sequence[Profile], calls: CallTexts = NO_CALLS) -> Self:
        """Learn each type's share of past participations."""
        self.shares.fit(profiles, calls)
        totals: dict[str, int] = defaultdict(int)
        for profile in profiles:
            totals[profile.stakeholder_type] += len(profile.activities)
        overall = sum(totals.values()) or 1
        self.share_ = {kind: count / overall for kind, count in totals.items()}
        self.type_ = {profile.id: profile.stakeholder_type for profile in profiles}
        return self

    def rank(self, query: Query, k: int) -> list[int]:
        """The product's ranking, interleaved by stakeholder type."""
        ranked = self.shares.rank(query, max(4 * k, k + 200))
        seen: dict[str, int] = defaultdict(int)
        keys = []
        for position, organisation in enumerate(ranked):
            kind = self.type_[organisation]
            seen[kind] += 1
            keys.append((seen[kind] / max(self.share_.get(kind, 0.0), 1e-9), position))
        return [ranked[position] for _, position in sorted(keys)[:k]]
