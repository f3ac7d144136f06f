"""The one top-k: best positive scores first, ties by id, within a mask."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from matchmaker.matching.topk import top_k


def test_top_k_breaks_ties_by_ascending_id_and_drops_zeros() -> None:
    """Equal scores come out in id order; a zero score is never chosen."""
    score = np.array([0.5, 0.9, 0.5, 0.0, 0.5])
    ids = np.array([40, 10, 30, 5, 20])
    assert top_k(score, ids, 3).tolist() == [1, 4, 2]
    assert top_k(score, ids, 10).tolist() == [1, 4, 2, 0]


def test_top_k_keeps_only_masked_rows() -> None:
    """Rows outside the mask are never chosen, however high their score."""
    score = np.array([0.9, 0.8, 0.7])
    mask = np.array([False, True, True])
    assert top_k(score, np.array([1, 2, 3]), 2, mask).tolist() == [1, 2]


@given(
    st.lists(st.sampled_from([0.0, 0.1, 0.25, 0.5, 1.0]), min_size=0, max_size=40),
    st.integers(min_value=0, max_value=45),
)
def test_top_k_equals_a_full_sort(scores: list[float], k: int) -> None:
    """The same rows as sorting every positive score by (score descending, id ascending)."""
    score = np.array(scores, dtype=np.float64)
    ids = np.arange(score.size)[::-1].copy()
    expected = sorted(
        (row for row in range(score.size) if score[row] > 0),
        key=lambda row: (-score[row], ids[row]),
    )[:k]
    assert top_k(score, ids, k).tolist() == expected
