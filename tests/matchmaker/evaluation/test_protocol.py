"""The consortium-recovery evaluation: split, profiles, queries, metrics, baselines, command."""

import csv
import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from matchmaker.cli.main import app
from matchmaker.evaluation.metrics import ndcg_at, recall_at, type_coverage_at
from matchmaker.evaluation.protocol import Benchmark, Profile, Query, load_benchmark, split_topics
from matchmaker.evaluation.rankers import (
    Bm25Ranker,
    MatchmakerRanker,
    PopularityRanker,
    RandomRanker,
    TfidfRanker,
)
from matchmaker.evaluation.report import evaluate, format_table
from matchmaker.matching.text import organisation_text

CORDIS_EXTRACT = Path(__file__).resolve().parents[2] / "data" / "cordis"

TOPIC_COLUMNS = ["topic", "topicTitle", "action_type", "opening_date", "deadline", "description"]
PROJECT_COLUMNS = ["id", "acronym", "title", "objective", "topics", "topicTitle", "startDate"]
PARTICIPATION_COLUMNS = ["projectID", "organisationID", "role", "order", "ecContribution"]
ORGANISATION_COLUMNS = [
    "organisationID",
    "name",
    "shortName",
    "activityType",
    "SME",
    "country",
    "city",
    "organizationURL",
]

CANCER = "HORIZON-MISS-2023-CANCER-01-01"
BATTERY = "HORIZON-CL5-2022-D2-01-01"
SOIL = "HORIZON-CL6-2022-SOIL-01-01"
CHIPS = "HORIZON-CL4-2023-DIGITAL-01-01"
TOPICS = [
    (CANCER, "Tumour host interactions", "Tumourtestword: understand tumour host interactions."),
    (BATTERY, "Battery materials", "Batteryprofileword: new battery chemistries for storage."),
    (SOIL, "Soil health living labs", ""),
    (CHIPS, "Chip design", "Chipprofileword: open chip design tools and processes."),
]
# (id, acronym, title, objective, topic): 1 and 2 are in the test part (the Cancer Mission).
PROJECTS = [
    ("1", "MICROBE", "Zebratitle tumour microbiome", "Zebraleak: microbiota in tumours.", CANCER),
    ("2", "HOST", "", "", CANCER),
    ("3", "BATT", "Batteries from sodium", "Sodiumprofileword cathodes for batteries.", BATTERY),
    ("4", "SOILAB", "", "", SOIL),
    ("5", "CHIPS", "", "", CHIPS),
]
ORG = {n: str(900_000_000 + n) for n in range(1, 11)}
# (project, organisation, role)
PARTICIPATIONS = [
    ("1", ORG[1], "coordinator"),
    ("1", ORG[2], "participant"),
    ("1", ORG[3], "participant"),
    ("1", ORG[4], "participant"),
    ("1", ORG[5], "associatedPartner"),
    ("2", ORG[6], "coordinator"),
    ("2", ORG[2], "participant"),
    ("3", ORG[7], "coordinator"),
    ("3", ORG[1], "participant"),
    ("3", ORG[2], "participant"),
    ("4", ORG[8], "coordinator"),
    ("4", ORG[2], "participant"),
    ("4", ORG[3], "participant"),
    ("5", ORG[9], "coordinator"),
]
# (organisation, name, CORDIS activity type)
ORGANISATIONS = [
    (ORG[1], "University of Leiden", "HES"),
    (ORG[2], "Fraunhofer Research", "REC"),
    (ORG[3], "Biopsy Start-up", "PRC"),
    (ORG[4], "Tumour Patients Association", "OTH"),
    (ORG[5], "Swiss Cancer Lab", "REC"),
    (ORG[6], "Host Hospital", "PUB"),
    (ORG[7], "Sodium Battery Company", "PRC"),
    (ORG[8], "Soil Cooperative", "OTH"),
    (ORG[9], "Chip Tools", "PRC"),
    (ORG[10], "Never Funded", "PRC"),
]
TEST_SENTINELS = ["Tumourtestword", "Zebraleak", "Zebratitle", "Tumour host interactions"]
PROFILE_SENTINELS = ["Chipprofileword", "Sodiumprofileword", "Soil health living labs"]


def write_csv(path: Path, columns: list[str], rows: list[dict[str, str]]) -> None:
    """Write rows as a CORDIS-style CSV (every field quoted)."""
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=columns, quoting=csv.QUOTE_ALL)
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture
def slice_dir(tmp_path: Path) -> Path:
    """A tiny CORDIS folder: two Cancer Mission projects, three profile-part projects."""
    titles = {code: title for code, title, _ in TOPICS}
    write_csv(
        tmp_path / "topics.csv",
        TOPIC_COLUMNS,
        [
            {"topic": code, "topicTitle": title, "action_type": "RIA", "description": text}
            for code, title, text in TOPICS
        ],
    )
    write_csv(
        tmp_path / "projects.csv",
        PROJECT_COLUMNS,
        [
            {
                "id": pid,
                "acronym": acronym,
                "title": title,
                "objective": objective,
                "topics": topic,
                "topicTitle": titles[topic],
                "startDate": "2023-01-01",
            }
            for pid, acronym, title, objective, topic in PROJECTS
        ],
    )
    write_csv(
        tmp_path / "participations.csv",
        PARTICIPATION_COLUMNS,
        [
            {"projectID": pid, "organisationID": org, "role": role, "order": "1"}
            for pid, org, role in PARTICIPATIONS
        ],
    )
    write_csv(
        tmp_path / "organisations.csv",
        ORGANISATION_COLUMNS,
        [
            {
                "organisationID": org,
                "name": name,
                "activityType": kind,
                "SME": "true" if kind == "PRC" else "false",
                "country": "DE",
                "city": "Berlin",
            }
            for org, name, kind in ORGANISATIONS
        ],
    )
    return tmp_path


@pytest.fixture
def benchmark(slice_dir: Path) -> Benchmark:
    """The tiny slice split with the Cancer Mission held out and no other topic."""
    return load_benchmark(slice_dir, test_share=0.0)


def ids(*numbers: int) -> frozenset[int]:
    """Organisation ids of the tiny slice by their short number."""
    return frozenset(int(ORG[n]) for n in numbers)


def test_recall_counts_relevant_organisations_in_the_top_k() -> None:
    """recall@k is the share of the relevant set among the first k."""
    assert recall_at([1, 2, 3, 4], {2, 4, 9}, 2) == pytest.approx(1 / 3)
    assert recall_at([1, 2, 3, 4], {2, 4, 9}, 4) == pytest.approx(2 / 3)
    assert recall_at([1, 2], set(), 2) == 0.0


def test_ndcg_rewards_relevant_organisations_ranked_early() -> None:
    """nDCG@k divides the discounted gain by the best possible one."""
    gain = 1 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at([9, 1, 2], {1, 2}, 3) == pytest.approx(gain / (1 + 1 / math.log2(3)))
    assert ndcg_at([1, 2, 9], {1, 2}, 3) == 1.0
    assert ndcg_at([9, 8], {1}, 2) == 0.0


def test_type_coverage_is_the_share_of_relevant_types_offered() -> None:
    """Types of the relevant set that some organisation in the top k has, as a share."""
    types = {1: "academia", 2: "sme", 3: "academia", 4: "industry"}
    assert type_coverage_at([3, 4], {1, 2}, types, 2) == 0.5
    assert type_coverage_at([3, 2], {1, 2}, types, 2) == 1.0
    assert type_coverage_at([3, 2], {1, 2}, types, 1) == 0.5


def test_split_holds_out_every_pattern_topic_and_a_seeded_share_of_others_with_text() -> None:
    """Pattern topics always; of the others with text, the share asked for, fixed per seed."""
    with_text = [f"HORIZON-CL5-2022-D{n}-01" for n in range(10)] + ["HORIZON-MISS-2022-CANCER-01"]
    used = [*with_text, "HORIZON-MISS-2021-CANCER-02", "ERC-2022-ADG"]
    first = split_topics(with_text, used, test_share=0.3, seed=0)
    assert {"HORIZON-MISS-2021-CANCER-02", "HORIZON-MISS-2022-CANCER-01"} <= first
    assert len(first) == 5
    assert "ERC-2022-ADG" not in first
    assert split_topics(reversed(with_text), used, test_share=0.3, seed=0) == first
    draws = {split_topics(with_text, used, test_share=0.3, seed=seed) for seed in range(5)}
    assert len(draws) > 1
    assert split_topics(with_text, used, test_share=0.0) == {
        "HORIZON-MISS-2021-CANCER-02",
        "HORIZON-MISS-2022-CANCER-01",
    }


def test_profiles_hold_only_profile_part_projects(benchmark: Benchmark) -> None:
    """Activities are the profile-part projects; organisations with none have no profile."""
    by_id = {profile.id: profile for profile in benchmark.profiles}
    assert set(by_id) == ids(1, 2, 3, 7, 8, 9)
    assert [a["url"] for a in by_id[int(ORG[2])].activities] == [
        "https://cordis.europa.eu/project/id/4",
        "https://cordis.europa.eu/project/id/3",
    ]
    assert {p.id: p.participations for p in benchmark.profiles} == {
        int(ORG[n]): count for n, count in ((1, 1), (2, 2), (3, 1), (7, 1), (8, 1), (9, 1))
    }
    assert (benchmark.profile_projects, benchmark.test_projects) == (3, 2)


def test_no_test_project_text_reaches_any_profile(benchmark: Benchmark) -> None:
    """Test-part titles, objectives and topic texts are in no profile; profile-part ones are."""
    texts = [organisation_text(profile) for profile in benchmark.profiles]
    for sentinel in TEST_SENTINELS:
        assert not any(sentinel in text for text in texts), sentinel
    for sentinel in PROFILE_SENTINELS:
        assert any(sentinel in text for text in texts), sentinel
    assert benchmark.leaked_texts() == []
    assert "Zebraleak: microbiota in tumours." in benchmark.test_texts


def test_no_test_project_text_reaches_any_profile_in_the_cordis_extract() -> None:
    """On the shipped extract, no held-out project's title or objective is in a profile."""
    benchmark = load_benchmark(CORDIS_EXTRACT, test_share=0.5)
    with (CORDIS_EXTRACT / "projects.csv").open(newline="", encoding="utf-8") as file:
        held_out = [row for row in csv.DictReader(file) if row["topics"] in benchmark.test_topics]
    assert len(held_out) == 6
    texts = [organisation_text(profile) for profile in benchmark.profiles]
    for row in held_out:
        for text in (row["title"], row["objective"][:200]):
            assert not text or not any(text in profile for profile in texts), text
    assert benchmark.leaked_texts() == []


def test_queries_ask_for_the_findable_winners_and_count_the_rest_as_cold_start(
    benchmark: Benchmark,
) -> None:
    """A topic query, a project query and a draft query (coordinator given) come out."""
    assert [(q.kind, q.key) for q in benchmark.queries] == [
        ("topic", CANCER),
        ("project", "1"),
        ("draft", "1"),
    ]
    topic, project, draft = benchmark.queries
    assert (topic.relevant, topic.cold_start, topic.partners) == (ids(1, 2, 3), 3, frozenset())
    assert topic.text.startswith("Tumour host interactions\nTumourtestword")
    assert (project.relevant, project.cold_start) == (ids(1, 2, 3), 2)
    assert project.text == "Zebratitle tumour microbiome\nZebraleak: microbiota in tumours."
    assert (draft.relevant, draft.cold_start, draft.partners) == (ids(2, 3), 2, ids(1))
    assert benchmark.cold_start_share("topic") == 0.5
    assert benchmark.cold_start_share("draft") == 0.5
    assert dict(benchmark.skipped) == {"topic": 0, "project": 0, "draft": 0}


def test_small_consortia_give_no_project_query(slice_dir: Path) -> None:
    """A project with fewer organisations than min_consortium asks nothing."""
    benchmark = load_benchmark(slice_dir, test_share=0.0, min_consortium=6)
    assert [q.kind for q in benchmark.queries] == ["topic"]


def test_popularity_ranks_by_profile_part_participations(benchmark: Benchmark) -> None:
    """The most active organisation first, then ties by id, whatever the query."""
    ranker = PopularityRanker().fit(benchmark.profiles)
    assert ranker.rank(benchmark.queries[0], 3) == [int(ORG[2]), int(ORG[1]), int(ORG[3])]


def test_text_baselines_rank_by_shared_words() -> None:
    """TF-IDF and BM25 put the profile that shares the query's words first."""
    profiles = [
        Profile(1, "Battery lab", "sodium battery cathodes", (), (), "academia", "DE", 1),
        Profile(2, "Soil lab", "soil carbon farming", (), (), "academia", "DE", 3),
    ]
    query = Query("topic", "t", "sodium battery storage", frozenset({1}), 0)
    assert TfidfRanker().fit(profiles).rank(query, 5) == [1]
    assert Bm25Ranker().fit(profiles).rank(query, 5) == [1]
    assert sorted(RandomRanker(seed=3).fit(profiles).rank(query, 5)) == [1, 2]


def test_evaluation_scores_every_ranker_on_every_kind(benchmark: Benchmark) -> None:
    """Results per ranker and kind; the draft's partner is never counted or ranked."""
    report = evaluate(benchmark, [PopularityRanker(), MatchmakerRanker()])
    popularity = report.result("popularity", "draft")
    assert popularity is not None
    assert (popularity.queries, popularity.recall, popularity.ndcg) == (1, {50: 1.0, 200: 1.0}, 1.0)
    assert report.result("popularity", "topic").ndcg == 1.0  # type: ignore[union-attr]
    assert report.result("popularity", "topic").type_coverage == 1.0  # type: ignore[union-attr]
    assert [(r.ranker, r.kind) for r in report.results] == [
        (name, kind)
        for name in ("popularity", "matchmaker")
        for kind in ("topic", "project", "draft")
    ]
    table = format_table(report)
    assert table.splitlines()[0].startswith("| queries | ranker | recall@50 | recall@200 |")
    assert "| draft (1) | popularity | 1.000 | 1.000 | 1.000 |" in table
    data = report.to_json()
    assert data["benchmark"]["queries"] == {"topic": 1, "project": 1, "draft": 1}
    assert data["results"][0]["recall"] == {"50": 1.0, "200": 1.0}


def test_evaluate_command_prints_the_table_and_writes_json(slice_dir: Path, tmp_path: Path) -> None:
    """`matchmaker evaluate DIR --json` runs every ranker and writes the results."""
    json_path = tmp_path / "quality.json"
    result = CliRunner().invoke(
        app,
        [
            "evaluate",
            str(slice_dir),
            "--test-share",
            "0",
            "--json",
            str(json_path),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "leaked test texts: 0" in result.output
    for ranker in ("random", "popularity", "tfidf", "bm25", "matchmaker"):
        assert f"| topic (1) | {ranker} |" in result.output
    data = json.loads(json_path.read_text(encoding="utf-8"))
    assert data["settings"]["test_share"] == 0.0
    assert data["benchmark"]["leaked_test_texts"] == 0


def test_evaluate_command_fails_cleanly_on_a_missing_folder(tmp_path: Path) -> None:
    """A folder that does not exist is an error message and exit code 1."""
    result = CliRunner().invoke(app, ["evaluate", str(tmp_path / "nowhere")])
    assert result.exit_code == 1
    assert "is not a folder" in result.output
