"""The one top-k of the matching code: the k best positive scores, best first, ties by id."""

import numpy as np


def top_k(
    scores: np.ndarray, ids: np.ndarray, k: int, mask: np.ndarray | None = None
) -> np.ndarray:
    """The positions of the k best positive scores (within `mask`), best first, ties by
    ascending id; `ids` is aligned with `scores`."""
    # Partitioning only the positive scores: introselect slows down on the many zeros of a
    # short query, and a long query's positives are nearly every row anyway.
    positive = scores > 0
    if mask is not None:
        positive &= mask
    rows = positive.nonzero()[0]
    if k <= 0:
        return rows[:0]
    chosen = scores[rows]
    if rows.size > k:
        kth = chosen.size - k
        floor = chosen[chosen.argpartition(kth)[kth]]
        # Every row tied with the k-th stays, so the id tie-break, not argpartition, decides.
        kept = (chosen >= floor).nonzero()[0]
        rows, chosen = rows[kept], chosen[kept]
    return rows[np.lexsort((ids[rows], -chosen))[:k]]
