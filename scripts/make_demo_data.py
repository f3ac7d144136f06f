"""Regenerate matchmaker/importers/demo/*.json from the CORDIS development slice.

    .venv/bin/python scripts/make_demo_data.py [--cordis ../shared/data/cordis]

Picks about 40 call topics that have text, health topics first (every Cancer Mission topic,
then by how densely the title and text speak of health), and the organisations that took part
in their projects (at most 350: every patient organisation, regulator and healthcare provider
first, then the most active, with some of every stakeholder type). Profiles are mapped by
matchmaker/importers/cordis.py, exactly as `matchmaker import cordis` maps them, then trimmed to
keep the files small. The development slice holds no IHI or IMI topic (they are kept aside for
evaluation), so three illustrative IHI-style health calls from `demo_health_calls.json` beside
this script are added, open on DEMO_TODAY with the nearest deadlines, so that the calls page
opens on one. See matchmaker/importers/demo/README.md for what is illustrative rather than
CORDIS data.
"""

import argparse
import json
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from matchmaker.importers import cordis
from matchmaker.importers.csv_source import Rejected, open_csv
from models.call import CallCreate
from models.common import StakeholderType
from models.organisation import OrganisationCreate

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORDIS = ROOT / ".." / "shared" / "data" / "cordis"
DEMO_DIR = ROOT / "matchmaker" / "importers" / "demo"
HEALTH_CALLS = Path(__file__).resolve().parent / "demo_health_calls.json"

CALLS = 40
ORGANISATIONS = 350
ACTIVITIES_PER_ORGANISATION = 8
DEMO_SUMMARY = 400
# Call dates are shifted by whole years so that, on this day, the demo has open,
# forthcoming and closed calls (CORDIS's own topics have all closed).
DEMO_TODAY = date(2026, 11, 29)

_HEALTH = re.compile(
    r"\b(cancer|health|healthcare|disease|diseases|patient|patients|clinical|medical|medicine"
    r"|medicines|pharmaceutical|drug|drugs|therapy|therapies|therapeutic|diagnostic|diagnostics"
    r"|pandemic|vaccine|vaccines|infection|infectious|antimicrobial|brain|mental|hospital"
    r"|hospitals|tumour|oncology|epidemic|virus|biomedical|care)\b",
    re.IGNORECASE,
)
# Topics about people's health (not soil, plant or animal health) ask for a patient
# organisation; those that also speak of clinics and care ask for a healthcare provider.
_HUMAN_HEALTH = re.compile(
    r"\b(cancer|patients?|clinical|diseases?|care|medical|health emergencies|mental"
    r"|neuroscience|EIT Health|loneliness)\b",
    re.IGNORECASE,
)
_NOT_HUMAN = re.compile(r"\b(soil|plant|animal|livestock|swine|crop)\b", re.IGNORECASE)
_CLINICAL = re.compile(r"\b(clinical|patients?|hospitals?|care|treatment|diagnostics?)\b", re.I)
_CANCER_MISSION = re.compile(r"^HORIZON-MISS-\d{4}-CANCER-")


@dataclass
class Candidate:
    """A topic that may become a demo call."""

    row: dict[str, str]
    health: float


def health_score(title: str, description: str) -> float:
    """Health words per thousand characters of text, title words counted three times."""
    hits = 3 * len(_HEALTH.findall(title)) + len(_HEALTH.findall(description))
    return hits / (len(description) / 1000 + 1)


def shift_years(day: date, years: int) -> date:
    """The same day `years` later (28 February for 29 February in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def demo_dates(
    opening: date | None, deadline: date | None, *, closed: bool
) -> tuple[date | None, date | None]:
    """Shift a call forward to its next session after DEMO_TODAY, or the one before it."""
    if deadline is None:
        return opening, deadline
    years = 0
    while shift_years(deadline, years) < DEMO_TODAY:
        years += 1
    if closed:
        years -= 1
    return (
        shift_years(opening, years) if opening else None,
        shift_years(deadline, years),
    )


def requirements(title: str, description: str) -> dict[str, int]:
    """Illustrative partner requirements: CORDIS has none (see the demo README)."""
    required = {"academia": 2, "industry": 1, "sme": 1}
    if _HUMAN_HEALTH.search(title) and not _NOT_HUMAN.search(title):
        required["patient_organisation"] = 1
        if len(_CLINICAL.findall(title + " " + description)) >= 5:
            required["healthcare_provider"] = 1
    return required


def main() -> None:
    """Read the CORDIS folder and write organisations.json and calls.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cordis", type=Path, default=DEFAULT_CORDIS)
    parser.add_argument("--out", type=Path, default=DEMO_DIR)
    arguments = parser.parse_args()
    folder: Path = arguments.cordis

    rejected: list[Rejected] = []
    source = cordis.CordisSource(folder)
    topics = cordis.read_topics(source, rejected)
    projects = cordis.read_projects(source, topics, rejected)
    participations = cordis.read_participations(source, projects, rejected)

    # Which projects each topic funded (the lookups keep texts, not topic codes).
    projects_of_topic: dict[str, list[str]] = {}
    with open_csv(folder / cordis.PROJECTS_FILE, required=("id", "topics")) as rows:
        for _, row in rows:
            projects_of_topic.setdefault(row["topics"].strip(), []).append(row["id"].strip())

    candidates: list[Candidate] = []
    with open_csv(folder / cordis.TOPICS_FILE, required=("topic", "topicTitle")) as rows:
        for _, row in rows:
            code = row["topic"].strip()
            has_text = row["description"].strip() and row["deadline"].strip()
            if has_text and code in projects_of_topic:
                score = health_score(row["topicTitle"], row["description"])
                candidates.append(Candidate(row=row, health=score))
    candidates.sort(
        key=lambda c: (not _CANCER_MISSION.match(c.row["topic"]), -c.health, c.row["topic"])
    )
    chosen = candidates[:CALLS]

    calls = []
    for index, candidate in enumerate(sorted(chosen, key=lambda c: c.row["topic"])):
        fields = cordis.call_from_topic(candidate.row)
        opening, deadline = demo_dates(
            fields["opening_date"], fields["deadline"], closed=index % 3 == 2
        )
        fields.update(
            opening_date=opening,
            deadline=deadline,
            required_stakeholders=requirements(fields["title"], fields["description"]),
        )
        calls.append(CallCreate.model_validate(fields).model_dump(mode="json", exclude_unset=True))
    for item in json.loads(HEALTH_CALLS.read_text(encoding="utf-8")):
        calls.append(CallCreate.model_validate(item).model_dump(mode="json", exclude_unset=True))
    calls.sort(key=lambda call: call["identifier"])

    # Organisations in the chosen topics' projects, and how often.
    chosen_projects = {p for c in chosen for p in projects_of_topic[c.row["topic"]]}
    activity = Counter(
        organisation_id
        for organisation_id, rows_of in participations.items()
        for project_id, _, _ in rows_of
        if project_id in chosen_projects
    )
    profiles: dict[str, dict[str, Any]] = {}
    for _, record in cordis.iter_organisations(source, participations, projects, rejected):
        organisation_id = record.external_id.removeprefix("cordis:")
        if organisation_id not in activity:
            continue
        fields = dict(record.fields)
        fields["activities"] = [
            {**item, "summary": cordis.truncate(item["summary"], DEMO_SUMMARY)}
            for item in fields["activities"][:ACTIVITIES_PER_ORGANISATION]
        ]
        try:
            data = OrganisationCreate.model_validate(fields)
        except ValueError:
            continue  # the import would reject it too
        profiles[organisation_id] = {
            "external_id": record.external_id,
            **data.model_dump(mode="json", exclude_unset=True),
        }

    rare = {
        StakeholderType.patient_organisation,
        StakeholderType.regulator,
        StakeholderType.healthcare_provider,
    }

    def priority(organisation_id: str) -> tuple[bool, int, str]:
        kind = profiles[organisation_id]["stakeholder_type"]
        return (kind not in rare, -activity[organisation_id], organisation_id)

    ranked = sorted(profiles, key=priority)
    picked = ranked[:ORGANISATIONS]
    # Some of every type the projects have, even if none made the cut by activity.
    for kind in StakeholderType:
        have = [i for i in picked if profiles[i]["stakeholder_type"] == kind]
        spare = [i for i in ranked[ORGANISATIONS:] if profiles[i]["stakeholder_type"] == kind]
        if len(have) < 5 and spare:
            picked.extend(spare[: 5 - len(have)])
    organisations = [profiles[i] for i in sorted(picked, key=lambda i: int(i))]

    arguments.out.mkdir(parents=True, exist_ok=True)
    for name, items in (("calls.json", calls), ("organisations.json", organisations)):
        path = arguments.out / name
        path.write_text(json.dumps(items, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"{path.relative_to(ROOT)}: {len(items)} items, {path.stat().st_size:,} bytes")
    kinds = Counter(item["stakeholder_type"] for item in organisations)
    print("stakeholder types:", ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    statuses = Counter(
        "closed"
        if date.fromisoformat(c["deadline"]) < DEMO_TODAY
        else "forthcoming"
        if c.get("opening_date") and date.fromisoformat(c["opening_date"]) > DEMO_TODAY
        else "open"
        for c in calls
    )
    print(f"calls on {DEMO_TODAY}:", ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())))


if __name__ == "__main__":
    main()
