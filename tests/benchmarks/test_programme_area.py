"""The area study's reading of topic codes, its count of past projects per area, and its draw
of the profiles that name their calls."""

import numpy as np

from benchmarks.programme_area import area_counts, naming, programme_area
from matchmaker.evaluation.protocol import Profile


def test_an_area_is_the_programme_or_cluster_and_the_first_word_after_the_year() -> None:
    """Cluster and destination, action, or scheme; in any case; the year and numbers never."""
    assert programme_area("HORIZON-CL5-2023-D3-01-05") == "CL5-D3"
    assert programme_area("HORIZON-MSCA-2023-DN-01-01") == "MSCA-DN"
    assert programme_area("ERC-2023-STG") == "ERC-STG"
    assert programme_area("horizon-widera-2022-access-01-01-two-stage") == "WIDERA-ACCESS"
    assert programme_area("HORIZON-JU-IHI-2023-05-04") == "JU-IHI"
    assert programme_area("HORIZON-EIC-2022-PATHFINDEROPEN-01") == "EIC-PATHFINDEROPEN"
    assert programme_area("IHI-2023-05-02") == "IHI"


def _profile(id_: int, *calls: str | None) -> Profile:
    activities = tuple(
        {"title": f"Project {n}", "summary": "", "year": 2022, "call": call}
        for n, call in enumerate(calls)
    )
    return Profile(id_, f"Org {id_}", "", (), activities, "academia", "DE", len(calls))


def test_past_projects_count_under_the_area_of_the_call_they_name() -> None:
    """Each distinct past project counts once under its call's area; one naming no call
    counts nowhere, and a profile with none is 0 everywhere."""
    counts = area_counts(
        [
            _profile(1, "HORIZON-CL5-2021-D3-01-05", "HORIZON-CL5-2022-D3-02-01", None),
            _profile(2, "HORIZON-MSCA-2021-DN-01-01"),
            _profile(3, None),
        ]
    )
    assert set(counts) == {"CL5-D3", "MSCA-DN"}
    assert counts["CL5-D3"].tolist() == [2.0, 0.0, 0.0]
    assert counts["MSCA-DN"].tolist() == [0.0, 1.0, 0.0]


def test_the_profiles_naming_their_calls_are_a_fixed_draw_of_about_the_share_asked() -> None:
    """The same ids draw the same way every run; a larger share keeps every profile a smaller
    one named; all and none are exact."""
    ids = np.arange(1, 20_001)
    half = naming(ids, 0.5)
    assert naming(ids, 0.5).tolist() == half.tolist()
    assert 0.48 < half.mean() < 0.52
    assert not (half & ~naming(ids, 0.7)).any()
    assert naming(ids, 1.0).all()
    assert not naming(ids, 0.0).any()
