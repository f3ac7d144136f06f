"""The consortium-recovery evaluation: split, profiles, queries, metrics, baselines, command."""

import csv
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Self

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from matchmaker.cli.evaluate import Mode, Split
from matchmaker.cli.main import app
from matchmaker.evaluation.metrics import ndcg_at, recall_at, share_below, type_coverage_at
from matchmaker.evaluation.protocol import (
    MODES,
    NO_CALLS,
    SPLITS,
    Benchmark,
    CallTexts,
    Profile,
    Query,
    load_benchmark,
    split_topics,
    stored_profile,
    temporal_split,
)
from matchmaker.evaluation.rankers import (
    Bm25Ranker,
    MatchmakerRanker,
    PopularityRanker,
    RandomRanker,
    TextFit,
    TfidfRanker,
)
from matchmaker.evaluation.report import evaluate, format_table
from matchmaker.importers.cordis import year_in_code
from matchmaker.matching.scoring import TEXT_SIMILARITY
from matchmaker.matching.text import organisation_text
from models.organisation import OrganisationCreate, ProjectRole

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
    """Activities are the profile-part projects, each naming its profile-part topic as its
    call (no profile names a held-out one); organisations with none have no profile."""
    by_id = {profile.id: profile for profile in benchmark.profiles}
    assert set(by_id) == ids(1, 2, 3, 7, 8, 9)
    assert [(a["url"], a["call"]) for a in by_id[int(ORG[2])].activities] == [
        ("https://cordis.europa.eu/project/id/4", SOIL),
        ("https://cordis.europa.eu/project/id/3", BATTERY),
    ]
    named = {a["call"] for profile in benchmark.profiles for a in profile.activities}
    assert named == {BATTERY, SOIL, CHIPS}
    assert not named & benchmark.test_topics
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


def test_evaluate_command_runs_the_temporal_split_on_http_fed_profiles(tmp_path: Path) -> None:
    """`--split temporal --mode http` reaches the protocol: the report's settings say so and
    its queries are the extract's 2023+ topics; an unknown split is a usage error."""
    json_path = tmp_path / "quality.json"
    args = ["evaluate", str(CORDIS_EXTRACT), "--split", "temporal", "--mode", "http"]
    result = CliRunner().invoke(app, [*args, "--no-check-leaks", "--json", str(json_path)])
    assert result.exit_code == 0, result.output
    data = json.loads(json_path.read_text(encoding="utf-8"))
    assert (data["settings"]["split"], data["settings"]["mode"]) == ("temporal", "http")
    assert data["settings"]["profile_years"] == [2021, 2022]
    assert "test_share" not in data["settings"]
    expected = load_benchmark(CORDIS_EXTRACT, split="temporal", mode="http")
    assert data["benchmark"]["queries"]["topic"] == len(expected.of_kind("topic"))
    refused = CliRunner().invoke(app, ["evaluate", str(CORDIS_EXTRACT), "--split", "yearly"])
    assert refused.exit_code == 2
    assert "yearly" in refused.output
    assert tuple(Split) == SPLITS
    assert tuple(Mode) == MODES


def test_evaluate_command_fails_cleanly_on_a_missing_folder(tmp_path: Path) -> None:
    """A folder that does not exist is an error message and exit code 1."""
    result = CliRunner().invoke(app, ["evaluate", str(tmp_path / "nowhere")])
    assert result.exit_code == 1
    assert "is not a folder" in result.output


# --------------------------------------------------------------------------------------------
# The temporal split, the HTTP-fed mode and the low-cosine share

EXTRACT_PROFILE_ACRONYMS = {"SUSNANO", "ViEWS", "LEGATO", "STREXIT2"}  # topics of 2021-2022
EXTRACT_TEST_ACRONYMS = {
    "QRC-4-ESP",
    "Arturo",
    "ENDEAVOR",
    "HELIOS",
    "QUEST",
    "ASCLEPIUS",
    "TWIN4EarLiStAge",
    "AstrAware",
}


def test_temporal_split_goes_by_the_year_in_the_topic_code() -> None:
    """2021-2022 codes are the profile part, 2023 and later the test part, the rest neither."""
    codes = [
        "HORIZON-WIDERA-2021-ACCESS-02-01",
        "ERC-2022-POC1",
        "HORIZON-MISS-2023-CANCER-01-01",
        "HORIZON-EIC-2024-PATHFINDERCHALLENGES-01-05",
        "HORIZON-KDT-JU-1-IA-Focus-Topic-1",
        "H2020-SC1-2020-SINGLE-STAGE",
    ]
    assert temporal_split(codes) == (
        {"HORIZON-WIDERA-2021-ACCESS-02-01", "ERC-2022-POC1"},
        {"HORIZON-MISS-2023-CANCER-01-01", "HORIZON-EIC-2024-PATHFINDERCHALLENGES-01-05"},
    )
    assert temporal_split(codes, profile_years=(2022,), query_from=2024) == (
        {"ERC-2022-POC1"},
        {"HORIZON-EIC-2024-PATHFINDERCHALLENGES-01-05"},
    )
    with pytest.raises(ValueError, match="before 2022"):
        temporal_split(codes, profile_years=(2021, 2022), query_from=2022)


@pytest.mark.parametrize("mode", ["imported", "http"])
def test_temporal_split_of_the_cordis_extract_keeps_later_projects_out_of_profiles(
    mode: str,
) -> None:
    """Profiles hold only projects of 2021-2022 topics; queries come only from 2023+ topics
    and their projects (whose start dates, 2024 and 2025, would not have told them apart)."""
    benchmark = load_benchmark(CORDIS_EXTRACT, split="temporal", mode=mode)
    assert (benchmark.split, benchmark.mode) == ("temporal", mode)
    assert (benchmark.profile_projects, benchmark.test_projects) == (4, 8)
    assert benchmark.test_topics == {
        "HORIZON-EIC-2023-PATHFINDEROPEN-01-01",
        "HORIZON-EIC-2024-PATHFINDERCHALLENGES-01-05",
        "HORIZON-MISS-2023-CANCER-01-01",
        "HORIZON-MISS-2023-CANCER-01-03",
        "HORIZON-WIDERA-2023-ACCESS-02-01",
        "HORIZON-WIDERA-2023-ACCESS-02-02",
    }
    activities = [activity for profile in benchmark.profiles for activity in profile.activities]
    assert {activity["title"].split(":")[0] for activity in activities} == (
        EXTRACT_PROFILE_ACRONYMS
    )
    assert max(activity["year"] for activity in activities) == 2022
    texts = "\n".join(organisation_text(profile) for profile in benchmark.profiles)
    assert not [acronym for acronym in EXTRACT_TEST_ACRONYMS if acronym in texts]
    with (CORDIS_EXTRACT / "projects.csv").open(newline="", encoding="utf-8") as file:
        later = {
            row["id"] for row in csv.DictReader(file) if (year_in_code(row["topics"]) or 0) >= 2023
        }
    assert [(q.kind, q.key) for q in benchmark.queries] == [
        ("topic", "HORIZON-WIDERA-2023-ACCESS-02-01"),
        ("topic", "HORIZON-WIDERA-2023-ACCESS-02-02"),
        ("project", "101156088"),
        ("project", "101155017"),
    ]
    assert all(q.key in later for q in benchmark.queries if q.kind != "topic")
    assert len(benchmark.profiles) == 13
    assert benchmark.leaked_texts() == []


def test_temporal_split_ignores_start_dates_and_stores_only_earlier_calls(slice_dir: Path) -> None:
    """Every project of the tiny slice starts in 2023; the 2022 topics' are profiles all the
    same. Imported, the 2022 topic with a text is a stored call; over HTTP none is."""
    imported = load_benchmark(slice_dir, split="temporal")
    assert {profile.id for profile in imported.profiles} == ids(1, 2, 3, 7, 8)
    assert imported.test_topics == {CANCER, CHIPS}
    assert [(q.kind, q.key) for q in imported.queries] == [
        ("topic", CANCER),
        ("project", "1"),
        ("draft", "1"),
    ]
    assert imported.skipped["topic"] == 1  # CHIPS: its only winner has no profile
    assert imported.call_texts == (
        "Battery materials\nBatteryprofileword: new battery chemistries for storage.",
    )
    http = load_benchmark(slice_dir, split="temporal", mode="http")
    assert http.call_texts == ()
    assert http.queries == imported.queries


def test_http_mode_submits_past_projects_without_url_or_role_through_the_api_schema() -> None:
    """Over HTTP each past project is title, summary and year: the same facts as imported,
    without a URL, a role or a call, and every profile is one `POST /organisations` accepts."""
    imported = load_benchmark(CORDIS_EXTRACT, test_share=0.5)
    http = load_benchmark(CORDIS_EXTRACT, test_share=0.5, mode="http")
    assert (http.mode, http.call_texts) == ("http", ())
    assert imported.call_texts != ()
    assert [p.id for p in http.profiles] == [p.id for p in imported.profiles]
    for by_http, by_import in zip(http.profiles, imported.profiles, strict=True):
        assert by_import.activities
        assert all(a["url"].startswith("https://cordis.europa.eu/") for a in by_import.activities)
        assert {a["role"] for a in by_import.activities} <= {role.value for role in ProjectRole}
        assert all(a["call"].startswith(("HORIZON-", "ERC-")) for a in by_import.activities)
        assert all(
            a["url"] is None and a["role"] is None and a["call"] is None for a in by_http.activities
        )
        assert [(a["title"], a["summary"], a["year"]) for a in by_http.activities] == [
            (a["title"], a["summary"], a["year"]) for a in by_import.activities
        ]
        submitted = {
            "name": by_http.name,
            "stakeholder_type": by_http.stakeholder_type,
            "country": by_http.country,
            "description": by_http.description,
            "activities": [
                {"title": a["title"], "summary": a["summary"], "year": a["year"]}
                for a in by_http.activities
            ],
        }
        stored = OrganisationCreate.model_validate(submitted).model_dump(mode="json")
        assert tuple(stored["activities"]) == by_http.activities
    assert http.queries == imported.queries


def test_stored_profile_goes_through_the_api_schema_in_either_mode() -> None:
    """The schema's normalisation applies (NFC, trimmed lines, upper-case country and call);
    over HTTP a past project loses its URL, role and call; what the API would refuse raises."""
    fields: dict[str, Any] = {
        "name": " Cafe\u0301 Lab ",
        "stakeholder_type": "sme",
        "country": "de",
        "city": None,
        "description": "Private company (SME) in Germany.",
        "website": None,
        "activities": [
            {
                "title": "Cafe\u0301 roasting",
                "summary": "Roasting.",
                "year": 2022,
                "url": "https://cordis.europa.eu/project/id/7",
                "role": ProjectRole.coordinator,
                "call": "horizon-cl6-2022-soil-01-01",
            }
        ],
    }
    imported = stored_profile(fields, "imported")
    assert (imported["name"], imported["country"]) == ("Caf\u00e9 Lab", "DE")
    assert imported["activities"] == [
        {
            "title": "Caf\u00e9 roasting",
            "summary": "Roasting.",
            "year": 2022,
            "url": "https://cordis.europa.eu/project/id/7",
            "role": "coordinator",
            "call": SOIL,
        }
    ]
    http = stored_profile(fields, "http")
    assert http["activities"] == [
        {
            "title": "Caf\u00e9 roasting",
            "summary": "Roasting.",
            "year": 2022,
            "url": None,
            "role": None,
            "call": None,
        }
    ]
    assert {k: v for k, v in http.items() if k != "activities"} == {
        k: v for k, v in imported.items() if k != "activities"
    }
    too_old = {**fields, "activities": [{**fields["activities"][0], "year": 1850}]}
    for mode in ("imported", "http"):
        with pytest.raises(ValidationError):
            stored_profile(too_old, mode)
    with pytest.raises(ValueError, match="unknown mode"):
        stored_profile(fields, "ftp")
    with pytest.raises(ValueError, match="unknown split"):
        load_benchmark(CORDIS_EXTRACT, split="yearly")


def test_ndcg_on_a_hand_computed_ranking_cut_at_k() -> None:
    """Relevant at ranks 2 and 4 of 5, four relevant, k = 4: (1/log2 3 + 1/log2 5) over the
    ideal 1 + 1/log2 3 + 1/2 + 1/log2 5."""
    gain = 0.6309297536 + 0.4306765581
    ideal = 1 + 0.6309297536 + 0.5 + 0.4306765581
    assert ndcg_at([5, 1, 7, 2, 3], {1, 2, 3, 4}, 4) == pytest.approx(gain / ideal)
    assert ndcg_at([5, 1, 7, 2, 3], {1, 2, 3, 4}, 4) == pytest.approx(0.41443, abs=1e-5)
    assert ndcg_at([5, 1, 7, 2, 3], {1, 2, 3, 4}, 1) == 0.0
    assert ndcg_at([], {1}, 50) == 0.0


def test_share_below_counts_values_strictly_below_the_threshold() -> None:
    """0.1 itself is not below 0.1; nothing to count is no share."""
    assert share_below([0.05, 0.1, 0.2, 0.099], 0.1) == 0.5
    assert share_below([0.0], 0.1) == 1.0
    assert share_below([], 0.1) is None


class _FixedRanker:
    """Ranks the ids listed per query key; odd ids fit the text (0.5), even ones do not (0.05)."""

    name = "fixed"

    def __init__(self, rankings: dict[str, list[int]]) -> None:
        self.rankings = rankings
        self.asked: list[list[int]] = []

    def fit(self, profiles: Sequence[Profile], calls: CallTexts = NO_CALLS) -> Self:
        return self

    def rank(self, query: Query, k: int) -> list[int]:
        return self.rankings[query.key][:k]

    def text_cosines(self, query: Query, ids: Sequence[int]) -> list[float]:
        self.asked.append(list(ids))
        return [0.5 if i % 2 else 0.05 for i in ids]


def test_low_cosine_share_pools_the_top_20_of_every_query_without_the_partners() -> None:
    """Topic: 10 of the first 20 of 25, then 2 of a 3-long list: 12 of 23 (not the mean of
    the two shares, 0.583). Draft: partner 2 is dropped, so 4, 6, ..., 20 of 1, 3, ..., 21."""
    profiles = tuple(Profile(i, f"O{i}", "", (), (), "sme", "DE", 1) for i in range(1, 26))
    queries = (
        Query("topic", "a", "text", frozenset({1}), 0),
        Query("topic", "b", "text", frozenset({5}), 0),
        Query("draft", "c", "text", frozenset({3}), 0, frozenset({2})),
    )
    benchmark = Benchmark(
        profiles, queries, frozenset(), (), (), 0, 0, (), frozenset(), {}, 0, "random", "imported"
    )
    ranker = _FixedRanker({"a": list(range(1, 26)), "b": [2, 4, 5], "c": list(range(1, 26))})
    assert isinstance(ranker, TextFit)
    assert not isinstance(PopularityRanker(), TextFit)
    report = evaluate(benchmark, [ranker, PopularityRanker()])
    topic, draft = report.result("fixed", "topic"), report.result("fixed", "draft")
    assert topic is not None
    assert draft is not None
    assert topic.low_cosine_share == round(12 / 23, 4)
    assert draft.low_cosine_share == 0.45
    assert ranker.asked[2] == [1, *range(3, 22)]
    assert report.result("popularity", "topic").low_cosine_share is None  # type: ignore[union-attr]
    assert "| topic (2) | fixed | 1.000 | 1.000 |" in format_table(report)
    assert (
        format_table(report)
        .splitlines()[0]
        .endswith("| recall@50 vs best baseline | top 20: cosine < 0.1 | ms/query |")
    )


def test_the_products_text_cosines_are_its_text_similarity_reasons() -> None:
    """After ranking a query, the cosines are the values of the text-similarity reasons the
    ranking gave; for another query (or ids it did not rank), the text index's plain cosine."""
    profiles = [
        Profile(1, "Battery lab", "sodium battery cathodes storage", (), (), "academia", "DE", 1),
        Profile(2, "Grid lab", "battery storage for the grid", (), (), "industry", "FR", 4),
        Profile(3, "Soil lab", "soil carbon storage farming", (), (), "academia", "DE", 2),
        Profile(4, "Farm coop", "soil carbon farming practice", (), (), "other", "NL", 3),
    ]
    calls = ["storage for the grid", "storage of soil carbon", "grid storage"]
    ranker = MatchmakerRanker().fit(profiles, CallTexts(stored=tuple(calls)))
    query = Query("topic", "t", "sodium battery storage", frozenset({1}), 0)
    ranked = ranker.rank(query, 10)
    assert 1 in ranked
    assert ranker.index is not None
    reasons = {
        match.id: next(r.value for r in match.reasons if r.signal == TEXT_SIMILARITY)
        for match in ranker.index.rank(query.text, k=10)
    }
    assert ranker.text_cosines(query, ranked) == [reasons[i] for i in ranked]
    other = Query("topic", "u", query.text, frozenset({2}), 0)
    plain = ranker.index.matcher.score_ids(query.text, [4, *ranked]).tolist()
    assert ranker.text_cosines(other, [4, *ranked]) == plain
