"""The expertise study's loss and its two protocols on hand-made profiles."""

from types import SimpleNamespace
from typing import Any, cast

import numpy as np

from benchmarks.expertise import pair_loss, part, product, whole_slice
from matchmaker.evaluation.protocol import NO_CALLS, Profile, Query


def test_pair_loss_counts_pairs_ordered_wrongly_and_ties_as_half() -> None:
    """Own projects above every other: no loss; below: every pair; a tie: half a pair."""
    own = np.asarray([True, True, False, False, False])
    assert pair_loss(np.asarray([0.9, 0.8, 0.1, 0.2, 0.3]), own) == (0.0, 6.0)
    assert pair_loss(np.asarray([0.0, 0.1, 0.5, 0.6, 0.7]), own) == (6.0, 6.0)
    assert pair_loss(np.asarray([0.5, 0.9, 0.5, 0.1, 0.1]), own) == (0.5, 6.0)
    assert pair_loss(np.asarray([0.5, 0.9]), np.asarray([True, True])) == (0.0, 0.0)


def test_part_is_the_first_two_parts_of_a_topic_code() -> None:
    """Topics of one programme part share it."""
    assert part("HORIZON-CL5-2023-D3-01-02") == "HORIZON-CL5"


def _profile(id_: int, *titles: str) -> Profile:
    activities = tuple({"title": title, "summary": "", "year": 2022} for title in titles)
    return Profile(id_, f"Org {id_}", "", (), activities, "academia", "DE", len(titles))


def test_the_product_orders_each_organisations_own_projects_first() -> None:
    """Three organisations of different fields, three held-out projects, one each: the
    product's text fit puts each organisation's own project above the others (loss 0), and a
    similarity that orders them backwards loses every pair."""
    profiles = (
        _profile(1, "sodium battery cathodes", "solid electrolyte batteries"),
        _profile(2, "wearable gait sensors for parkinsonian tremor", "gait analysis"),
        _profile(3, "soil carbon farming", "carbon in agricultural soils"),
    )
    queries = [
        Query("project", "p1", "cathodes for sodium batteries", frozenset({1}), 0, topic="A-B-1"),
        Query(
            "project",
            "p2",
            "gait sensors in parkinsonian patients",
            frozenset({2}),
            0,
            topic="A-B-2",
        ),
        Query(
            "project", "p3", "carbon farming of agricultural soil", frozenset({3}), 0, topic="A-C-1"
        ),
    ]
    benchmark = cast(Any, SimpleNamespace(profiles=profiles))

    def backwards(profiles: Any, texts: Any) -> np.ndarray:
        return 1 - np.eye(len(texts), len(profiles))

    table = whole_slice(
        benchmark, queries, {"product": product(NO_CALLS, score=False), "backwards": backwards}
    )
    assert table["product"] == (0.0, 0.0)
    assert table["backwards"][0] == 1.0
