"""The quality benchmark's own pieces: its experimental rankers and its chart."""

from pathlib import Path

from benchmarks.quality import plot
from benchmarks.rankers import ActivityRanker
from matchmaker.evaluation.protocol import Profile, Query
from matchmaker.evaluation.report import Report, Result


def test_activity_ranker_scores_each_activity_and_keeps_the_best() -> None:
    """An organisation with one fitting activity among others comes first by that one."""

    def activities(*titles: str) -> tuple[dict[str, str], ...]:
        return tuple({"title": title, "summary": ""} for title in titles)

    profiles = [
        Profile(1, "A", "", (), activities("heart imaging", "sodium battery"), "x", "DE", 2),
        Profile(2, "B", "", (), activities("heart imaging", "soil carbon"), "x", "DE", 2),
        Profile(3, "C", "", (), activities("sodium battery cathodes"), "x", "DE", 1),
    ]
    query = Query("topic", "t", "sodium battery cathodes", frozenset({1}), 0)
    assert ActivityRanker(top=1).fit(profiles).rank(query, 5) == [3, 1]
    assert ActivityRanker(top=3).fit(profiles).rank(query, 5) == [3, 1]


def test_plot_writes_a_png_with_a_panel_per_query_kind(tmp_path: Path) -> None:
    """The chart of a report is a PNG file."""
    report = Report(
        settings={},
        benchmark={"queries": {"topic": 1, "project": 1, "draft": 1}},
        results=[
            Result("tfidf", kind, 1, {50: 0.5, 200: 0.75}, 0.4, 1.0, 1.0)
            for kind in ("topic", "project", "draft")
        ],
    )
    chart = tmp_path / "quality.png"
    plot(report, chart)
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
