"""The quality benchmark's own pieces: its experimental rankers and its chart."""

import json
from pathlib import Path

import pytest

from benchmarks.quality import main, modes_table, output_stem, plot
from benchmarks.rankers import ActivityRanker
from matchmaker.evaluation.protocol import Profile, Query
from matchmaker.evaluation.report import Report, Result

CORDIS_EXTRACT = Path(__file__).resolve().parents[1] / "data" / "cordis"


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


def _mode_report(mode: str, product: float, tfidf: float, low: float) -> Report:
    return Report(
        settings={"split": "temporal", "mode": mode, "seed": 0},
        benchmark={},
        results=[
            Result("tfidf", "topic", 4, {50: tfidf, 200: 0.5}, 0.1, 1.0, 1.0),
            Result("popularity", "topic", 4, {50: 0.1, 200: 0.5}, 0.1, 1.0, 1.0),
            Result("matchmaker", "topic", 4, {50: product, 200: 0.6}, 0.3, 1.0, 1.0, low),
        ],
    )


def test_modes_table_sets_the_modes_side_by_side() -> None:
    """Per kind: the product's recall and nDCG, the best baseline, their ratio and the
    low-cosine share, one column per mode, and the second mode over the first."""
    table = modes_table(
        [_mode_report("imported", 0.32, 0.2, 0.4), _mode_report("http", 0.24, 0.2, 0.1)]
    )
    assert table.splitlines() == [
        "| queries | measure | imported | http | http / imported |",
        "|---|---|---|---|---|",
        "| topic (4) | matchmaker recall@50 | 0.320 | 0.240 | 0.750 |",
        "| topic (4) | matchmaker nDCG@50 | 0.300 | 0.300 | 1.000 |",
        "| topic (4) | best baseline recall@50 | 0.200 (tfidf) | 0.200 (tfidf) | 1.000 |",
        "| topic (4) | matchmaker recall@50 / best baseline | 1.60x tfidf | 1.20x tfidf |  |",
        "| topic (4) | matchmaker top 20: share with cosine < 0.1 | 0.400 | 0.100 |  |",
    ]


def test_outputs_of_other_splits_and_modes_do_not_overwrite_the_default_ones() -> None:
    """quality.json is the random split, imported; the others get names of their own."""
    assert output_stem("random", None) == output_stem("random", "imported") == "quality"
    assert output_stem("random", "http") == "quality-http"
    assert output_stem("temporal", None) == output_stem("temporal", "both") == "quality-temporal"
    assert output_stem("temporal", "http") == "quality-temporal-http"


def test_temporal_run_evaluates_both_modes_by_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--split temporal` runs the imported and the HTTP-fed mode and compares them."""
    main(
        [
            "--data-dir",
            str(CORDIS_EXTRACT),
            "--split",
            "temporal",
            "--no-sweep",
            "--out",
            str(tmp_path),
        ]
    )
    out = capsys.readouterr().out
    assert "temporal split, imported, seed 0: 13 profiles (4 projects), 0 stored calls" in out
    assert "temporal split, http, seed 0: 13 profiles (4 projects), 0 stored calls" in out
    assert "| queries | measure | imported | http | http / imported |" in out
    data = json.loads((tmp_path / "quality-temporal.json").read_text(encoding="utf-8"))
    assert data["command"] == "python -m benchmarks.quality --seeds 0 --split temporal --no-sweep"
    assert [(r["settings"]["split"], r["settings"]["mode"]) for r in data["runs"]] == [
        ("temporal", "imported"),
        ("temporal", "http"),
    ]
    assert data["runs"][0]["benchmark"]["queries"] == {"topic": 2, "project": 2, "draft": 0}
    product = [r for r in data["runs"][1]["results"] if r["ranker"] == "matchmaker"]
    assert all(r["low_cosine_share"] is not None for r in product if r["queries"])
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "quality-temporal-http.png",
        "quality-temporal-imported.png",
        "quality-temporal.json",
    ]
