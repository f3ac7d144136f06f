"""The `matchmaker evaluate` command: the consortium-recovery benchmark on a CORDIS folder."""

import json
import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from matchmaker.cli import fail, refuse_an_unwritable_file
from matchmaker.evaluation.protocol import (
    CANCER_MISSION,
    MIN_CONSORTIUM,
    TEST_SHARE,
)
from matchmaker.importers.csv_source import SourceError


class Split(StrEnum):
    """The protocol's splits (`SPLITS`), as choices."""

    random = "random"
    temporal = "temporal"


class Mode(StrEnum):
    """The protocol's modes (`MODES`), as choices."""

    imported = "imported"
    http = "http"


def evaluate_command(
    directory: Annotated[
        Path,
        typer.Argument(
            metavar="DIR",
            help="A folder of the four CORDIS files `matchmaker import cordis` reads "
            "(organisations.csv, participations.csv, projects.csv, topics.csv with the topics' "
            "texts, which the queries are made of; CORDIS's download has none).",
        ),
    ],
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Also write the results as JSON here.")
    ] = None,
    split: Annotated[
        Split,
        typer.Option(
            help="random: a seeded share of the topics held out; temporal: profiles from "
            "2021-2022 topics, queries from 2023 and later."
        ),
    ] = Split.random,
    mode: Annotated[
        Mode,
        typer.Option(
            help="How the profiles arrived: imported from CORDIS (calls stored), or submitted "
            "over HTTP (no URL, no role, no call stored)."
        ),
    ] = Mode.imported,
    seed: Annotated[
        int, typer.Option(help="Which pseudo-random share of topics is held out (random split).")
    ] = 0,
    test_share: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Share of the other topics with text held out (random split).",
        ),
    ] = TEST_SHARE,
    test_pattern: Annotated[
        str,
        typer.Option(help="Topic codes always held out (a regular expression; random split)."),
    ] = CANCER_MISSION,
    min_consortium: Annotated[
        int, typer.Option(min=1, help="Smallest consortium a project query may have.")
    ] = MIN_CONSORTIUM,
    check_leaks: Annotated[
        bool,
        typer.Option(
            "--check-leaks/--no-check-leaks",
            help="Check that no test-part text reached a profile (a few seconds).",
        ),
    ] = True,
) -> None:
    """Measure how well suggestions recover real consortia, against baselines, and print it.

    Topics are split into a profile part and a test part; profiles come from the first only.

    Each test topic and test project asks for its real participants.

    docs/matching.md explains the protocol and the metrics.

    `python -m benchmarks.quality` also draws charts and runs the ablations.
    """
    try:
        re.compile(test_pattern)
    except re.error as error:
        fail(f"--test-pattern {test_pattern!r} is not a regular expression ({error}).")
    # Checked before the run, which takes minutes on the full data, rather than after it.
    if json_path is not None:
        refuse_an_unwritable_file(json_path, "--json")
    # Here, not at the top: the report's baselines load scikit-learn, 1.4 s that every other
    # command would wait for at its start.
    from matchmaker.evaluation.report import format_table, run

    try:
        report = run(
            directory,
            split=split.value,
            mode=mode.value,
            seed=seed,
            test_share=test_share,
            test_pattern=test_pattern,
            min_consortium=min_consortium,
            check_leaks=check_leaks,
            progress=lambda message: typer.echo(message, err=True),
        )
    except SourceError as error:
        fail(str(error))
    summary = report.benchmark
    typer.echo(
        f"{summary['profiles']} profiles; queries {summary['queries']}; "
        f"no profile (cold start) {summary['cold_start_share']}; "
        f"leaked test texts: {summary.get('leaked_test_texts', 'not checked')}"
    )
    typer.echo(format_table(report))
    if json_path is not None:
        json_path.write_text(json.dumps(report.to_json(), indent=2) + "\n", encoding="utf-8")
        typer.echo(f"Wrote {json_path}.")
