"""Metrics of one ranking against the organisations to find: recall@k, nDCG@k and the
share of their stakeholder types covered in the top k; and the share of suggestions whose
text similarity is below a threshold.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence


def recall_at(ranked: Sequence[int], relevant: Collection[int], k: int) -> float:
    """Share of the relevant organisations among the first k ranked."""
    if not relevant:
        return 0.0
    return len(set(ranked[:k]) & set(relevant)) / len(relevant)


def ndcg_at(ranked: Sequence[int], relevant: Collection[int], k: int) -> float:
    """Normalised discounted cumulative gain at k with gain 1 for each relevant organisation."""
    wanted = set(relevant)
    if not wanted:
        return 0.0
    gain = sum(1.0 / math.log2(rank + 2) for rank, i in enumerate(ranked[:k]) if i in wanted)
    ideal = sum(1.0 / math.log2(rank + 2) for rank in range(min(k, len(wanted))))
    return gain / ideal


def type_coverage_at(
    ranked: Sequence[int], relevant: Collection[int], types: Mapping[int, str], k: int
) -> float:
    """Share of the relevant organisations' stakeholder types that someone in the top k has."""
    needed = {types[i] for i in relevant if i in types}
    if not needed:
        return 0.0
    offered = {types[i] for i in ranked[:k] if i in types}
    return len(needed & offered) / len(needed)


def share_below(values: Sequence[float], threshold: float) -> float | None:
    """Share of `values` strictly below `threshold` (None when there is none to count)."""
    if not values:
        return None
    return sum(1 for value in values if value < threshold) / len(values)
