"""Bulk imports into a real database: CORDIS organisations, calls from CSV, JSON and URLs."""

import csv
import json
import shutil
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session, col
from typer.testing import CliRunner

from matchmaker import db
from matchmaker.cli.imports import _progress_lines, import_app
from matchmaker.importers.runner import (
    CutShort,
    ImportSummary,
    Rejected,
    SourceError,
    import_calls,
    import_cordis,
    import_organisations_json,
)
from matchmaker.settings import Settings
from models.call import Call
from models.change import Change
from models.organisation import Organisation
from tests.helpers import count_rows

EXTRACT = Path(__file__).resolve().parents[2] / "data" / "cordis"
EXTRACT_ORGANISATIONS = 52
INTELLIGENTSIA = "cordis:952669496"


def snapshot(engine: Engine, *, timestamps: bool = True) -> dict[str, list[dict[str, Any]]]:
    """Every organisation, call and change-log row, in id order (timestamps optional)."""
    skip = set() if timestamps else {"created_at", "updated_at", "confirmed_at"}
    with engine.connect() as connection:
        return {
            table.name: [
                {key: value for key, value in row.items() if key not in skip}
                for row in connection.execute(select(table).order_by(table.c.id)).mappings()
            ]
            for table in (Organisation.__table__, Call.__table__, Change.__table__)  # type: ignore[attr-defined]
        }


def organisation(engine: Engine, external_id: str) -> Organisation:
    """One stored profile by its external id."""
    with Session(engine) as session:
        return session.scalars(
            select(Organisation).where(col(Organisation.external_id) == external_id)
        ).one()


def counts(summary: ImportSummary) -> tuple[int, int, int, int]:
    """(created, updated, unchanged, rejected)."""
    return summary.created, summary.updated, summary.unchanged, len(summary.rejected)


# --------------------------------------------------------------------------------------------
# CORDIS organisations


def test_cordis_extract_creates_every_organisation(engine: Engine) -> None:
    """The 52 organisations of the test extract are created, typed, and logged as changes."""
    summary = import_cordis(engine, EXTRACT, batch_size=10)

    assert counts(summary) == (EXTRACT_ORGANISATIONS, 0, 0, 0)
    assert summary.notes == []
    assert count_rows(engine, Organisation) == EXTRACT_ORGANISATIONS
    assert count_rows(engine, Change) == EXTRACT_ORGANISATIONS
    with Session(engine) as session:
        types = Counter(session.scalars(select(col(Organisation.stakeholder_type))))
    assert types == {
        "academia": 32,
        "healthcare_provider": 10,  # Institut Curie runs a hospital
        "sme": 5,
        "other": 2,
        "public_body": 2,
        "patient_organisation": 1,
    }


def test_cordis_profile_fields_and_activities_for_one_organisation(engine: Engine) -> None:
    """Intelligentsia's profile: mapped fields and its five projects, newest first."""
    import_cordis(engine, EXTRACT)

    profile = organisation(engine, INTELLIGENTSIA)
    assert (profile.name, profile.stakeholder_type, profile.country, profile.city) == (
        "INTELLIGENTSIA CONSULTANTS SARL",
        "sme",
        "LU",
        "Bertrange",
    )
    assert profile.website == "http://www.intelligentsia-consultants.com/"
    assert profile.description == (
        "Private company (SME) in Bertrange, Luxembourg. "
        "Took part in 5 Horizon Europe projects in CORDIS."
    )
    assert profile.keywords == []
    assert [(a["title"], a["year"], a["url"]) for a in profile.activities] == [
        (
            "Advancing scientific collaboration in phage therapy for treating Pseudomonas "
            "aeruginosa and Staphylococcus aureus",
            2024,
            "https://cordis.europa.eu/project/id/101159555",
        ),
        (
            "Twinning to develop ELTE's research and innovation capacity in quantum reservoir "
            "computing",
            2024,
            "https://cordis.europa.eu/project/id/101156088",
        ),
        (
            "Research and Innovation Strategy for Lviv Polytechnic National University "
            "dedicated to White-Emitting Organic Lighting Systems",
            2024,
            "https://cordis.europa.eu/project/id/101155017",
        ),
        (
            "QRC-4-ESP: EIC Pathfinder Open",
            2023,
            "https://cordis.europa.eu/project/id/101129663",
        ),
        (
            "SUSNANO: Twinning Western Balkans Special",
            2021,
            "https://cordis.europa.eu/project/id/101059266",
        ),
    ]
    assert [a["role"] for a in profile.activities] == ["participant"] * 5
    assert [a["call"] for a in profile.activities] == [
        "HORIZON-WIDERA-2023-ACCESS-02-01",
        "HORIZON-WIDERA-2023-ACCESS-02-01",
        "HORIZON-WIDERA-2023-ACCESS-02-02",
        "HORIZON-EIC-2023-PATHFINDEROPEN-01-01",
        "HORIZON-WIDERA-2021-ACCESS-02-01",
    ]
    summaries = [a["summary"] for a in profile.activities]
    assert summaries[0].startswith("ASCLEPIUS\u2019s overall aim is to boost the scientific")
    assert [len(s) for s in summaries[:3]] == [994, 991, 999]
    assert all(s.endswith("…") for s in summaries[:3])
    assert summaries[3:] == ["EIC Pathfinder Open", "Twinning Western Balkans Special"]


def test_cordis_project_without_objective_takes_the_topic_text(engine: Engine) -> None:
    """A project with no objective is summed up by its topic's description, cut to 1000."""
    import_cordis(engine, EXTRACT)

    (activity,) = organisation(engine, "cordis:999588978").activities
    assert activity["title"] == "TWIN4EarLiStAge: Twinning Bottom-Up"
    assert activity["role"] == "coordinator"
    assert activity["year"] == 2023
    assert activity["summary"].startswith("Expected Outcome:")
    assert len(activity["summary"]) == 994


def test_cordis_countries_uk_and_el_are_stored_as_gb_and_gr(engine: Engine) -> None:
    """CORDIS's UK and EL rows come out as GB and GR."""
    import_cordis(engine, EXTRACT)

    assert organisation(engine, "cordis:999990752").country == "GB"  # LOUGHBOROUGH UNIVERSITY
    assert organisation(engine, "cordis:999588978").country == "GR"  # PANEPISTIMIO KRITIS


def test_a_topic_code_that_is_no_call_identifier_leaves_the_call_out_and_imports(
    engine: Engine, tmp_path: Path
) -> None:
    """A project whose topic code would fail a call identifier's validation is imported
    without its call; its organisations are not rejected, and other projects keep theirs."""
    folder = tmp_path / "cordis"
    shutil.copytree(EXTRACT, folder)
    projects = folder / "projects.csv"
    projects.write_text(
        projects.read_text(encoding="utf-8").replace(
            "HORIZON-EIC-2023-PATHFINDEROPEN-01-01", "HORIZON EIC 2023 PATHFINDER OPEN"
        ),
        encoding="utf-8",
    )

    summary = import_cordis(engine, folder)

    assert counts(summary) == (EXTRACT_ORGANISATIONS, 0, 0, 0)
    calls = {a["title"]: a["call"] for a in organisation(engine, INTELLIGENTSIA).activities}
    assert calls["QRC-4-ESP: EIC Pathfinder Open"] is None
    assert calls["SUSNANO: Twinning Western Balkans Special"] == "HORIZON-WIDERA-2021-ACCESS-02-01"


def test_second_cordis_import_changes_nothing(engine: Engine) -> None:
    """A re-run finds every row unchanged and leaves the database exactly as it was."""
    import_cordis(engine, EXTRACT, batch_size=10)
    before = snapshot(engine)

    summary = import_cordis(engine, EXTRACT, batch_size=10)

    assert counts(summary) == (0, 0, EXTRACT_ORGANISATIONS, 0)
    assert snapshot(engine) == before


def test_changed_cordis_row_updates_the_profile_and_logs_the_change(
    engine: Engine, tmp_path: Path
) -> None:
    """A city changed in the source updates that profile only, bumps its version, logs it."""
    folder = tmp_path / "cordis"
    shutil.copytree(EXTRACT, folder)
    import_cordis(engine, folder)
    path = folder / "organisations.csv"
    path.write_text(
        path.read_text(encoding="utf-8").replace(",LU,Bertrange,", ",LU,Luxembourg,"),
        encoding="utf-8",
    )

    summary = import_cordis(engine, folder)

    assert counts(summary) == (0, 1, EXTRACT_ORGANISATIONS - 1, 0)
    profile = organisation(engine, INTELLIGENTSIA)
    assert (profile.city, profile.version) == ("Luxembourg", 2)
    assert profile.description.startswith("Private company (SME) in Luxembourg, Luxembourg.")
    with Session(engine) as session:
        last = session.scalars(select(Change).order_by(col(Change.id).desc()).limit(1)).one()
    assert (last.entity, last.entity_id) == ("organisation", profile.id)
    assert count_rows(engine, Change) == EXTRACT_ORGANISATIONS + 1


class Interrupted(Exception):
    """Stands for a crash or Ctrl-C in the middle of an import."""


def test_interrupted_import_rerun_equals_one_clean_run(engine: Engine, tmp_path: Path) -> None:
    """Stopped after its first batch and run again, an import ends where a clean run does."""

    def stop(handled: int) -> None:
        raise Interrupted(handled)

    with pytest.raises(Interrupted):
        import_cordis(engine, EXTRACT, batch_size=10, on_batch=stop)
    assert count_rows(engine, Organisation) == 10

    summary = import_cordis(engine, EXTRACT, batch_size=10)
    assert counts(summary) == (EXTRACT_ORGANISATIONS - 10, 0, 10, 0)

    clean = db.create_db_engine(Settings(database_url=f"sqlite:///{tmp_path / 'clean.db'}"))
    try:
        db.upgrade(clean)
        import_cordis(clean, EXTRACT, batch_size=10)
        assert snapshot(engine, timestamps=False) == snapshot(clean, timestamps=False)
    finally:
        clean.dispose()


def bad_extract(tmp_path: Path) -> Path:
    """A copy of the extract with bad rows appended to each file (and two good ones)."""
    folder = tmp_path / "cordis"
    shutil.copytree(EXTRACT, folder)
    appended = {
        # the extract's organisations.csv ends on line 53
        "organisations.csv": [
            ",NO ID SA,,PRC,true,BE,Gent,,,",
            "12AB,LETTERS SA,,PRC,true,BE,Gent,,,",
            "883780969,ARCSEC AGAIN,,PRC,true,BE,Kuurne,,,",
            "900000001,Nowhere Ltd,,PRC,false,XX,Town,,,",
            "900000002,,,OTH,false,FR,Paris,,,",
            f"900000003,{'A' * 301},,PRC,false,FR,Paris,,,",
            "900000004,Short Row,PRC",
            "900000005,No Country Ltd,,PRC,false,,Paris,,,",
            '900000006,"Two\nLines GmbH",,PRC,false,DE,Berlin,,,',
            "900000007,Good Ltd,,PRC,false,EL,Athens,,,",
            "900000008,Bad Country Ltd,,PRC,false,ZZ,Town,,,",
        ],
        # participations.csv ends on line 65
        "participations.csv": [
            "999999999,883780969,participant,1,0,mjarmak",
            "101221404,900000099,participant,3,0,mjarmak",
            ",883780969,participant,1,0,mjarmak",
        ],
        # projects.csv ends on line 13
        "projects.csv": ["101059266,AGAIN,,,HORIZON,,ERC-2022-POC1,,,,,,,,false,mjarmak"],
        # topics.csv ends on line 109; its records span several lines each
        "topics.csv": ["ERC-2022-POC1,Again,,,,,,,"],
    }
    for name, rows in appended.items():
        with (folder / name).open("a", encoding="utf-8", newline="") as file:
            file.write("".join(row + "\n" for row in rows))
    return folder


def test_bad_rows_are_reported_by_file_and_line_and_the_rest_imported(
    engine: Engine, tmp_path: Path
) -> None:
    """Each bad row is named with its file, starting line and reason; no row aborts the run."""
    summary = import_cordis(engine, bad_extract(tmp_path), batch_size=10)

    assert summary.rejected == [
        Rejected("organisations.csv", "organisationID is empty", line=54),
        Rejected("organisations.csv", "organisationID '12AB' is not a number", line=55),
        Rejected(
            "organisations.csv", "organisationID 883780969 appears again (first on line 2)", line=56
        ),
        Rejected(
            "organisations.csv",
            "country: 'XX' is not a country code: give the two-letter ISO 3166-1 code, such as DE.",
            line=57,
        ),
        Rejected(
            "organisations.csv",
            "name: Must not be empty.",
            line=58,
        ),
        Rejected(
            "organisations.csv",
            "name: Must be at most 300 characters long.",
            line=59,
        ),
        Rejected("organisations.csv", "expected 10 fields, found 3", line=60),
        Rejected("organisations.csv", "country is empty", line=61),
        Rejected(
            "organisations.csv",
            "country: 'ZZ' is not a country code: give the two-letter ISO 3166-1 code, such as DE.",
            line=65,
        ),
        Rejected("participations.csv", "projectID 999999999 is not in projects.csv", line=66),
        Rejected(
            "participations.csv", "organisationID 900000099 is not in organisations.csv", line=67
        ),
        Rejected("participations.csv", "projectID is empty", line=68),
        Rejected("projects.csv", "project 101059266 appears again (first on line 2)", line=14),
        Rejected("topics.csv", "topic ERC-2022-POC1 appears again (first on line 2)", line=110),
    ]
    assert counts(summary)[:3] == (EXTRACT_ORGANISATIONS + 2, 0, 0)
    assert organisation(engine, "cordis:900000006").name == "Two Lines GmbH"
    assert organisation(engine, "cordis:900000007").country == "GR"
    assert "  organisations.csv line 54: organisationID is empty" in summary.lines()


def cut_extract(tmp_path: Path, name: str, *, lines: int | None = None, size: int = 0) -> Path:
    """A copy of the extract with one file cut after its first `lines` lines or `size` bytes."""
    folder = tmp_path / "cut"
    shutil.copytree(EXTRACT, folder)
    data = (EXTRACT / name).read_bytes()
    data = b"".join(data.splitlines(keepends=True)[:lines]) if lines is not None else data[:size]
    (folder / name).write_bytes(data)
    return folder


@pytest.mark.parametrize(
    ("name", "cut", "line"),
    [
        # mid-line: the last record has no line end (the extract's line 28 starts at 2997)
        ("organisations.csv", {"size": 3000}, 28),
        # after a line end inside a quoted description: topics.csv's line 4 opens a record
        # spanning many lines, so the quote it opens is still open at the end
        ("topics.csv", {"lines": 6}, 4),
        ("participations.csv", {"size": 1600}, 33),
    ],
)
def test_file_cut_mid_record_is_refused_before_anything_is_written(
    engine: Engine, tmp_path: Path, name: str, cut: dict[str, int], line: int
) -> None:
    """A file cut off in the middle of a record is named with its line; nothing is written."""
    folder = cut_extract(tmp_path, name, **cut)

    with pytest.raises(CutShort) as raised:
        import_cordis(engine, folder)

    assert str(raised.value) == (
        f"{name} ends in the middle of a record at line {line}: the file looks cut short. "
        "Download it again and re-run the import."
    )
    assert count_rows(engine, Organisation) == 0


def test_cut_file_changes_nothing_and_the_complete_files_then_import_in_full(
    engine: Engine, tmp_path: Path
) -> None:
    """Over an earlier import, files cut mid-record or at a line end are refused without a
    change; the complete files then bring every profile up to date, as one clean run would."""
    import_cordis(engine, cut_extract(tmp_path / "first", "organisations.csv", lines=40))
    before = snapshot(engine)
    for folder in (
        cut_extract(tmp_path / "mid-record", "organisations.csv", size=3000),
        cut_extract(tmp_path / "line-end", "participations.csv", lines=20),
    ):
        with pytest.raises(SourceError):
            import_cordis(engine, folder)
        assert snapshot(engine) == before

    summary = import_cordis(engine, EXTRACT)

    assert counts(summary) == (EXTRACT_ORGANISATIONS - 39, 0, 39, 0)
    clean = db.create_db_engine(Settings(database_url=f"sqlite:///{tmp_path / 'clean.db'}"))
    try:
        db.upgrade(clean)
        import_cordis(clean, EXTRACT)
        assert [
            {key: value for key, value in row.items() if key not in ("id", "version")}
            for row in snapshot(engine, timestamps=False)["organisations"]
        ] == [
            {key: value for key, value in row.items() if key not in ("id", "version")}
            for row in snapshot(clean, timestamps=False)["organisations"]
        ]
    finally:
        clean.dispose()


@pytest.mark.parametrize(
    ("name", "lines", "problem"),
    [
        (
            "projects.csv",
            7,
            "33 of the 64 rows of participations.csv (51.6%) name a project that projects.csv "
            "lacks: projects.csv looks cut short, or the files come from different downloads.",
        ),
        (
            "participations.csv",
            20,
            "36 of the 52 organisations in organisations.csv (69.2%) take part in no project of "
            "participations.csv: participations.csv looks cut short, or the files come from "
            "different downloads.",
        ),
    ],
)
def test_file_cut_at_a_line_end_is_told_by_what_the_others_miss(
    engine: Engine, tmp_path: Path, name: str, lines: int, problem: str
) -> None:
    """A file cut between two records leaves the other files naming what it lacks: refused."""
    with pytest.raises(SourceError) as raised:
        import_cordis(engine, cut_extract(tmp_path, name, lines=lines))

    assert str(raised.value) == (
        f"{problem} Download the files again and re-run the import; nothing was imported."
    )
    assert count_rows(engine, Organisation) == 0


def test_summary_counts_rejected_rows_by_reason_with_the_first_few() -> None:
    """Past ten rows, a reason is one line with its count and its first five rows; a reason
    with few rows lists them all."""
    missing = [
        Rejected(
            "participations.csv",
            f"organisationID {900000000 + line} is not in organisations.csv",
            line=line,
            kind="organisationID not in organisations.csv",
        )
        for line in range(2, 2002)
    ]
    summary = ImportSummary(
        "organisations",
        created=3,
        rejected=[
            Rejected("organisations.csv", "country is empty", line=7),
            *missing[:3],
            Rejected("organisations.csv", "country is empty", line=9),
            *missing[3:],
        ],
    )

    assert summary.lines() == [
        "organisations: 3 created, 0 updated, 0 unchanged, 2002 rejected.",
        "Rejected rows:",
        "  organisations.csv line 7: country is empty",
        "  organisations.csv line 9: country is empty",
        "  participations.csv: 2,000 rows, organisationID not in organisations.csv; the first 5:",
        "    participations.csv line 2: organisationID 900000002 is not in organisations.csv",
        "    participations.csv line 3: organisationID 900000003 is not in organisations.csv",
        "    participations.csv line 4: organisationID 900000004 is not in organisations.csv",
        "    participations.csv line 5: organisationID 900000005 is not in organisations.csv",
        "    participations.csv line 6: organisationID 900000006 is not in organisations.csv",
        "    and 1,995 more",
    ]


def test_summary_of_an_import_groups_its_rows_by_reason(engine: Engine, tmp_path: Path) -> None:
    """Twelve organisations without a country and twelve participations of missing projects
    (a share of the file CORDIS can have) are imported around, and summed up in two lines."""
    folder = tmp_path / "cordis"
    shutil.copytree(EXTRACT, folder)
    with (folder / "organisations.csv").open("a", encoding="utf-8", newline="") as file:
        file.writelines(
            f"{900000000 + n},No Country {n} Ltd,,PRC,false,,Paris,,,\n" for n in range(12)
        )
    with (folder / "participations.csv").open("a", encoding="utf-8", newline="") as file:
        file.writelines(f"{999999000 + n},952669496,participant,3,0,mjarmak\n" for n in range(12))

    summary = import_cordis(engine, folder)

    assert counts(summary) == (EXTRACT_ORGANISATIONS, 0, 0, 24)
    assert summary.lines() == [
        "organisations: 52 created, 0 updated, 0 unchanged, 24 rejected.",
        "Rejected rows:",
        "  organisations.csv: 12 rows, country is empty; the first 5:",
        *[f"    organisations.csv line {line}: country is empty" for line in range(54, 59)],
        "    and 7 more",
        "  participations.csv: 12 rows, projectID not in projects.csv; the first 5:",
        *[
            f"    participations.csv line {line}: projectID {999999000 + line - 66} is not in "
            "projects.csv"
            for line in range(66, 71)
        ],
        "    and 7 more",
    ]


def test_missing_cordis_file_is_a_source_error(engine: Engine, tmp_path: Path) -> None:
    """A folder without topics.csv cannot be imported at all: a clear error, nothing written."""
    folder = tmp_path / "cordis"
    shutil.copytree(EXTRACT, folder)
    (folder / "topics.csv").unlink()

    with pytest.raises(SourceError, match=r"^cordis holds no topics\.csv: give a folder"):
        import_cordis(engine, folder)
    assert count_rows(engine, Organisation) == 0


# --------------------------------------------------------------------------------------------
# Calls


def stored_call(engine: Engine, identifier: str) -> Call:
    """One stored call by identifier."""
    with Session(engine) as session:
        return session.scalars(select(Call).where(col(Call.identifier) == identifier)).one()


def test_calls_from_the_topics_csv(engine: Engine) -> None:
    """Every topic becomes a call: dates in all formats, programme from the code."""
    summary = import_calls(engine, EXTRACT / "topics.csv")

    assert counts(summary) == (9, 0, 0, 0)
    cancer = stored_call(engine, "HORIZON-MISS-2023-CANCER-01-03")
    assert (cancer.title, cancer.programme) == (
        "Pragmatic clinical trials on minimally invasive diagnostics",
        "EU Mission: Cancer",
    )
    assert (cancer.opening_date, cancer.deadline) == (date(2023, 1, 12), date(2023, 4, 12))
    assert (cancer.required_stakeholders, cancer.min_countries) == ({}, 3)
    assert cancer.description.startswith("Expected Outcome:")
    space = stored_call(engine, "HORIZON-EIC-2024-PATHFINDERCHALLENGES-01-05")
    assert (space.opening_date, space.deadline) == (date(2024, 6, 20), date(2024, 10, 16))
    assert space.programme == "EIC"
    erc = stored_call(engine, "ERC-2022-POC1")
    assert (erc.programme, erc.opening_date, erc.deadline, erc.min_countries) == (
        "ERC",
        None,
        None,
        1,
    )
    assert count_rows(engine, Change) == 9


def test_second_calls_import_changes_nothing(engine: Engine) -> None:
    """Re-importing the same topics leaves every call unchanged."""
    import_calls(engine, EXTRACT / "topics.csv")
    before = snapshot(engine)

    summary = import_calls(engine, EXTRACT / "topics.csv")

    assert counts(summary) == (0, 0, 9, 0)
    assert snapshot(engine) == before


def call(**overrides: Any) -> dict[str, Any]:
    """A CallCreate-shaped dict."""
    values: dict[str, Any] = {
        "identifier": "IHI-2024-07-01",
        "title": "Patient-centred clinical trial endpoints",
        "programme": "IHI",
        "description": "Validate patient-reported outcomes as trial endpoints.",
        "required_stakeholders": {"academia": 2, "patient_organisation": 1},
        "opening_date": "2024-04-10",
        "deadline": "2024-09-19",
    }
    values.update(overrides)
    return values


def write_json(path: Path, items: Any) -> Path:
    """Write a JSON document and return its path."""
    path.write_text(json.dumps(items), encoding="utf-8")
    return path


def test_calls_from_a_json_list_with_bad_items(engine: Engine, tmp_path: Path) -> None:
    """Valid calls are created; each bad item is reported by its position in the list."""
    source = write_json(
        tmp_path / "calls.json",
        [
            call(),
            call(identifier="IHI-2024-07-02", required_stakeholders={}),
            call(identifier="IHI-2024-07-03", title=""),
            "not a call",
            call(),
            call(identifier="IHI-2024-07-04", deadline="2024-01-01"),
            call(identifier="IHI-2024-07-05", budget=1_000_000),
        ],
    )

    summary = import_calls(engine, source)

    assert counts(summary)[:3] == (2, 0, 0)
    assert summary.rejected == [
        Rejected("calls.json", "title: Must not be empty.", item=3),
        Rejected("calls.json", "not a JSON object", item=4),
        Rejected("calls.json", "identifier IHI-2024-07-01 appears again (first on item 1)", item=5),
        Rejected(
            "calls.json",
            "deadline: The deadline cannot be before the opening date (opening_date).",
            item=6,
        ),
        Rejected("calls.json", "budget: Is not a field this accepts; leave it out.", item=7),
    ]
    stored = stored_call(engine, "IHI-2024-07-01")
    assert stored.required_stakeholders == {"academia": 2, "patient_organisation": 1}
    assert stored.deadline == date(2024, 9, 19)


def test_calls_json_update_changes_only_the_fields_it_gives(engine: Engine, tmp_path: Path) -> None:
    """A later file without required_stakeholders moves the deadline and keeps the rest."""
    import_calls(engine, write_json(tmp_path / "first.json", [call()]))
    later = call(deadline="2024-10-01")
    del later["required_stakeholders"]

    summary = import_calls(engine, write_json(tmp_path / "later.json", [later]))

    assert counts(summary) == (0, 1, 0, 0)
    stored = stored_call(engine, "IHI-2024-07-01")
    assert (stored.deadline, stored.version) == (date(2024, 10, 1), 2)
    assert stored.required_stakeholders == {"academia": 2, "patient_organisation": 1}


def serving(files: dict[str, tuple[bytes, str]], seen: list[str]) -> httpx.Client:
    """An httpx client whose transport serves the given paths and 404s the rest."""

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if request.url.path in files:
            body, content_type = files[request.url.path]
            return httpx.Response(200, content=body, headers={"content-type": content_type})
        return httpx.Response(404)

    return httpx.Client(transport=httpx.MockTransport(handler))


def test_calls_from_urls_through_an_injected_client(engine: Engine) -> None:
    """A JSON list and a topics CSV are fetched with the given client and imported."""
    seen: list[str] = []
    files = {
        "/calls": (json.dumps([call()]).encode(), "application/json"),
        "/topics.csv": ((EXTRACT / "topics.csv").read_bytes(), "text/csv"),
    }
    with serving(files, seen) as client:
        from_json = import_calls(engine, "https://calls.example/calls", client=client)
        from_csv = import_calls(engine, "https://calls.example/topics.csv", client=client)

    assert seen == ["https://calls.example/calls", "https://calls.example/topics.csv"]
    assert counts(from_json) == (1, 0, 0, 0)
    assert counts(from_csv) == (9, 0, 0, 0)
    assert count_rows(engine, Call) == 10


# --------------------------------------------------------------------------------------------
# Profiles from JSON


def test_organisations_json_requires_an_external_id(engine: Engine, tmp_path: Path) -> None:
    """Items without an external_id, or failing validation, are rejected by position."""
    profile = {"name": "Oncomark", "stakeholder_type": "sme", "country": "NL"}
    source = write_json(
        tmp_path / "organisations.json",
        [
            {"external_id": "demo:1", **profile},
            profile,
            {"external_id": "demo:2", **profile, "country": "UK"},
        ],
    )

    summary = import_organisations_json(engine, source)

    assert counts(summary)[:3] == (1, 0, 0)
    assert summary.rejected == [
        Rejected(
            "organisations.json",
            "external_id: a string of 1 to 64 characters is required",
            item=2,
        ),
        Rejected(
            "organisations.json",
            "country: 'UK' is not a country code: give the two-letter ISO 3166-1 code, such as DE.",
            item=3,
        ),
    ]


def test_organisations_json_update_bumps_the_version_once_and_a_rerun_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    """A changed profile goes to version 2 with one change row; the same file again does nothing."""
    profile = {"external_id": "demo:1", "name": "Oncomark", "stakeholder_type": "sme"}
    import_organisations_json(
        engine, write_json(tmp_path / "first.json", [{**profile, "country": "NL"}])
    )
    later = write_json(tmp_path / "later.json", [{**profile, "country": "BE", "city": "Gent"}])

    summary = import_organisations_json(engine, later)

    assert counts(summary) == (0, 1, 0, 0)
    stored = organisation(engine, "demo:1")
    assert (stored.country, stored.city, stored.version) == ("BE", "Gent", 2)
    assert stored.updated_at > stored.created_at
    with Session(engine) as session:
        logged = session.execute(
            select(col(Change.entity), col(Change.entity_id)).order_by(col(Change.id))
        ).all()
    assert [tuple(row) for row in logged] == [("organisation", stored.id)] * 2
    before = snapshot(engine)

    again = import_organisations_json(engine, later)

    assert counts(again) == (0, 0, 1, 0)
    assert snapshot(engine) == before


def test_organisations_json_rerun_with_projects_missing_optional_fields_changes_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    """A past project given without its summary, link or role is stored with their defaults,
    and the same file again finds the profile unchanged (it once rewrote the projects on every
    run)."""
    source = write_json(
        tmp_path / "profiles.json",
        [
            {
                "external_id": "demo:1",
                "name": "Oncomark",
                "stakeholder_type": "sme",
                "country": "NL",
                "activities": [{"title": "ctDNA screening", "year": 2023}],
            }
        ],
    )
    import_organisations_json(engine, source)
    before = snapshot(engine)

    again = import_organisations_json(engine, source)

    assert counts(again) == (0, 0, 1, 0)
    assert snapshot(engine) == before
    assert organisation(engine, "demo:1").version == 1


def test_organisations_json_keeps_each_call_and_a_rerun_changes_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    """A past project's call comes through the JSON import upper-case; the same file again
    changes nothing, also over projects stored before they had a call field at all (a new
    optional field rewrites no profile); a changed call updates the profile once."""
    profile = {
        "external_id": "demo:1",
        "name": "Oncomark",
        "stakeholder_type": "sme",
        "country": "NL",
        "activities": [
            {"title": "ctDNA screening", "call": "horizon-miss-2021-cancer-02-01"},
            {"title": "A review of liquid biopsy"},
        ],
    }
    source = write_json(tmp_path / "profiles.json", [profile])
    import_organisations_json(engine, source)
    stored = organisation(engine, "demo:1")
    assert [a["call"] for a in stored.activities] == ["HORIZON-MISS-2021-CANCER-02-01", None]
    # The second project as a profile stored before past projects had a call holds it.
    with Session(engine) as session:
        row = session.get_one(Organisation, stored.id)
        row.activities = [row.activities[0], {"title": "A review of liquid biopsy", "summary": ""}]
        session.commit()
    before = snapshot(engine)

    again = import_organisations_json(engine, source)

    assert counts(again) == (0, 0, 1, 0)
    assert snapshot(engine) == before
    changed = {**profile, "activities": [{"title": "ctDNA screening", "call": "HORIZON-CL5-X"}]}
    later = import_organisations_json(engine, write_json(tmp_path / "later.json", [changed]))
    assert counts(later) == (0, 1, 0, 0)
    stored = organisation(engine, "demo:1")
    assert ([a["call"] for a in stored.activities], stored.version) == (["HORIZON-CL5-X"], 2)


# --------------------------------------------------------------------------------------------
# The command line


def test_cli_import_cordis_prints_the_summary(engine: Engine, cli_env: dict[str, str]) -> None:
    """`matchmaker import cordis DIR` imports and prints created/updated/unchanged/rejected."""
    result = CliRunner().invoke(import_app, ["cordis", str(EXTRACT)], env=cli_env)

    assert result.exit_code == 0, result.output
    assert result.stdout == "organisations: 52 created, 0 updated, 0 unchanged, 0 rejected.\n"
    # Not on a terminal, each file says on stderr when it has been read.
    assert result.stderr.splitlines() == [
        f"{name}: 100% read ({size} kB of {size} kB)"
        for name, size in [
            (name, f"{(EXTRACT / name).stat().st_size / 1e3:,.0f}")
            for name in ("topics.csv", "projects.csv", "participations.csv", "organisations.csv")
        ]
    ]


def test_cli_cut_organisations_file_exits_1_with_one_line(
    engine: Engine, cli_env: dict[str, str], tmp_path: Path
) -> None:
    """organisations.csv cut at a line end leaves most participations without their
    organisation: one error line says so, exit code 1, nothing is written."""
    folder = cut_extract(tmp_path, "organisations.csv", lines=11)

    result = CliRunner().invoke(import_app, ["cordis", str(folder)], env=cli_env)

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1] == (
        "Error: 49 of the 64 rows of participations.csv (76.6%) name one of 42 organisations "
        "that organisations.csv lacks: organisations.csv looks cut short, or the files come "
        "from different downloads. Download the files again and re-run the import; nothing "
        "was imported."
    )
    assert count_rows(engine, Organisation) == 0


def test_cli_rejected_option_writes_every_rejected_row_as_csv(
    engine: Engine, cli_env: dict[str, str], tmp_path: Path
) -> None:
    """`--rejected FILE` writes each rejected row, file, line and reason, whatever the summary
    shows of it."""
    report = tmp_path / "rejected.csv"

    result = CliRunner().invoke(
        import_app, ["cordis", str(bad_extract(tmp_path)), "--rejected", str(report)], env=cli_env
    )

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == (
        "organisations: 54 created, 0 updated, 0 unchanged, 14 rejected."
    )
    with report.open(encoding="utf-8", newline="") as file:
        rows = list(csv.reader(file))
    assert len(rows) == 1 + 14
    assert rows[:3] == [
        ["file", "line", "item", "reason"],
        ["organisations.csv", "54", "", "organisationID is empty"],
        ["organisations.csv", "55", "", "organisationID '12AB' is not a number"],
    ]
    assert rows[-1] == [
        "topics.csv",
        "110",
        "",
        "topic ERC-2022-POC1 appears again (first on line 2)",
    ]


def test_progress_off_a_terminal_is_a_line_per_quarter_read(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Where stderr is a log, a long file says when each quarter of it has been read, once."""
    report = _progress_lines()
    for done in (0, 7_300_000, 8_000_000, 21_900_000, 29_100_000, 29_100_000):
        report("organisations.csv", done, 29_100_000)
    report("download.csv", 5_000, 0)  # a size not known: nothing to say
    assert capsys.readouterr().err.splitlines() == [
        "organisations.csv: 25% read (7.3 MB of 29.1 MB)",
        "organisations.csv: 75% read (21.9 MB of 29.1 MB)",
        "organisations.csv: 100% read (29.1 MB of 29.1 MB)",
    ]


def test_cli_unreachable_url_fails_with_a_clear_message(
    engine: Engine, cli_env: dict[str, str]
) -> None:
    """A URL that cannot be reached ends the command with one error line and exit code 1."""

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    url = "https://calls.example/topics.csv"
    with httpx.Client(transport=httpx.MockTransport(refuse)) as client:
        result = CliRunner().invoke(
            import_app, ["calls", url], env=cli_env, obj={"http_client": client}
        )

    assert result.exit_code == 1
    assert result.output == (f"Error: Could not fetch {url}: [Errno 111] Connection refused.\n")
    assert "Traceback" not in result.output
    assert count_rows(engine, Call) == 0


def test_cli_http_error_status_fails_with_a_clear_message(
    engine: Engine, cli_env: dict[str, str]
) -> None:
    """A 404 is reported as such, with exit code 1."""
    url = "https://calls.example/missing.json"
    with serving({}, []) as client:
        result = CliRunner().invoke(
            import_app, ["calls", url], env=cli_env, obj={"http_client": client}
        )

    assert result.exit_code == 1
    assert result.output == f"Error: Could not fetch {url}: HTTP 404 Not Found.\n"


def test_cli_refuses_a_database_without_tables(tmp_path: Path) -> None:
    """Importing into a database that was never migrated says to run `db upgrade` first."""
    (tmp_path / "empty.db").touch()
    env = {"MATCHMAKER_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"}
    result = CliRunner().invoke(import_app, ["cordis", str(EXTRACT)], env=env)

    assert result.exit_code == 1
    assert result.output == (
        "Error: the database has no tables yet; run `matchmaker db upgrade` first.\n"
    )
