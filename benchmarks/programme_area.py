"""The work programme's area as evidence: what it would buy within the text-dominance budget,
for all real partners and for those with short profiles, and on which paths it is known.

    python -m benchmarks.programme_area [--data-dir DIR] [--mode imported|http]
        [--split random|temporal] [--seed 0] [--cap 10] [--named SHARE] [--raise-only]
        [--expected] [--recognise]

Horizon Europe names each call topic by a code that says where in the work programme it sits:
``HORIZON-CL5-2023-D3-01-05`` is Cluster 5's Destination 3, ``HORIZON-MSCA-2023-DN-01-01`` the
MSCA doctoral networks, ``ERC-2023-STG`` the ERC starting grants (`programme_area`). Consortia
form within an area: organisations come back to the destinations they know. A call is stored
with its code (its identifier), and a past project's code is known when the profile names the
call that funded it (`call`): `matchmaker import cordis` gives every project its topic code.
Over HTTP, as the benchmark submits profiles (title, summary and year), no past project's code
is known.

The study keeps the shipped score and shares the track record's part of the evidence budget
between the plain track record and the *area record*, ln(1 + past projects under the call's
area), capped at `--cap` projects: at share s the track record's slope is (1 - s) of its
shipped value and the area record's slope spends s of the same room, so all evidence together
stays within the budget (a three-times better text fit still wins whatever the evidence).
Similar projects and past partners are as shipped (past partners fill the room the others
leave). Recall@50 is computed over every candidate as the product ranks them, over all real
partners and over those whose profiles list at most `SHORT` distinct past projects.

A deployment holds both kinds of profile: imported records name their calls, and profiles
submitted over HTTP may not. With ``--named SHARE`` (imported mode), only that share of the
profiles, a fixed draw by id, name their calls; the others keep the shipped track record, as
the product would keep it for a profile that names none. A second table then gives recall@50
over the real partners that name their calls and over those that do not: what the others pay
for the first ones' gain. With ``--raise-only`` the area record can only raise a track record
(each profile gets the larger of the shipped one and the shared one), so that naming one's
calls could never cost a profile anything. With ``--expected`` a profile that names no call
gets the shared track record as well, its area record standing in as the number of its
projects times the named projects' share in the call's area.

With ``--recognise``, it also asks how well a past project's area can be told from its text
alone, where no code is given: each project with a real title and objective (about 1,000 in the
slice) is given the area whose topics' texts (titles and descriptions, as a TF-IDF centroid per
area) are closest to its title and objective, with its own topic's text counted or left out.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from matchmaker.evaluation.protocol import KINDS, MODES, SPLITS, Profile, load_benchmark
from matchmaker.evaluation.rankers import ranker_index
from matchmaker.matching.scoring import TRACK_RECORD_CAP, Weights, track_feature
from matchmaker.matching.text import distinct_activities

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "cordis"
AT, SHORT, DEFAULT_CAP = 50, 2, 10
SHARES = (0.0, 0.2, 0.35, 0.5, 0.65)


def programme_area(code: str) -> str:
    """The area of the work programme a topic code names: its programme or cluster and the first
    word after the year (``HORIZON-CL5-2023-D3-01-05`` is ``CL5-D3``, ``ERC-2023-STG``
    ``ERC-STG``)."""
    words = code.strip().upper().split("-")
    if words[0] == "HORIZON" and len(words) > 1:
        words = words[1:]
    named = [word for word in words[1:] if not word.isdigit()]
    return "-".join([words[0], *named[:1]])


def read_rows(folder: Path, name: str) -> list[dict[str, str]]:
    """A CORDIS file's rows."""
    csv.field_size_limit(1 << 30)
    with (folder / name).open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def area_counts(profiles: Sequence[Profile]) -> dict[str, np.ndarray]:
    """Per area of the work programme, each profile's past projects under it: those whose call
    the profile names (`call`; every imported project, none over HTTP as the benchmark submits
    profiles)."""
    counts: dict[str, np.ndarray] = {}
    for row, profile in enumerate(profiles):
        found = Counter(
            programme_area(str(activity["call"]))
            for activity in distinct_activities(profile.activities)
            if activity.get("call")
        )
        for area, count in found.items():
            counts.setdefault(area, np.zeros(len(profiles)))[row] = count
    return counts


def naming(ids: np.ndarray, share: float) -> np.ndarray:
    """Which profiles name their past projects' calls in a deployment where `share` of them
    do: a fixed draw by id (the rest came over HTTP without them)."""
    draws = [int(hashlib.sha256(str(int(i)).encode()).hexdigest()[:8], 16) for i in ids]
    return np.asarray(draws) < share * (1 << 32)


def measure(
    data_dir: Path,
    *,
    mode: str,
    split: str,
    seed: int,
    cap: int,
    named: float = 1.0,
    raise_only: bool = False,
    expected: bool = False,
) -> tuple[dict[float, dict[str, float]], float]:
    """Per share of the track record's room given to the area record, recall@50 per query kind
    over all real partners, over the short ones, and over those that name their calls and
    those that do not (keys ``<kind>``, ``<kind> short``, ``<kind> named``, ``<kind>
    unnamed``); and the share of the profiles' past projects whose area is known. With `named`
    below 1, only that share of the profiles name their calls (`naming`); the others keep
    the shipped track record, as the product would keep it for a profile that names none. With
    `raise_only`, the area record only ever raises a track record (the larger of the two).
    With `expected`, a profile that names no call gets the shared track record too, its area
    record standing in as the count its projects would have at the named projects' rate in
    the call's area."""
    benchmark = load_benchmark(data_dir, mode=mode, split=split, seed=seed)
    index = ranker_index(benchmark)
    weights = Weights.fitted()
    profiles = sorted(benchmark.profiles, key=lambda p: p.id)
    ids = np.asarray([p.id for p in profiles], dtype=np.int64)
    position = {int(doc_id): row for row, doc_id in enumerate(ids)}
    short = np.asarray([len(distinct_activities(p.activities)) <= SHORT for p in profiles])
    names = naming(ids, named)
    areas = {area: np.where(names, counts, 0.0) for area, counts in area_counts(profiles).items()}
    known = sum(float(c.sum()) for c in areas.values())
    listed = sum(len(distinct_activities(p.activities)) for p in profiles)
    room = float(weights.track_record * track_feature(TRACK_RECORD_CAP))
    zeros = np.zeros(ids.size)
    hits: dict[float, dict[str, list[float]]] = {s: {} for s in SHARES}
    for query in benchmark.queries:
        found = index.evidence(query.text, partner_ids=query.partners, weights=weights)
        here = areas.get(programme_area(query.topic), zeros)
        if expected:
            rate = float(here.sum()) / max(known, 1.0)
            here = np.where(names, here, np.asarray(found.projects, dtype=np.float64) * rate)
        record = np.log1p(np.minimum(here, cap))
        text = weights.text_term(found.cosine)
        close = weights.similar_term(found.similar) if found.similar is not None else 0.0
        members = [position[p] for p in query.partners if p in position]
        wanted = np.asarray([position[i] for i in query.relevant if i in position], dtype=int)
        for share in SHARES:
            shipped = weights.track_term(found.projects)
            aimed = (1 - share) * shipped + share * room * record / np.log1p(cap)
            if raise_only:
                aimed = np.maximum(aimed, shipped)
            track = aimed if expected else np.where(names, aimed, shipped)
            scores = text + track + close
            if found.shared is not None:
                scores = scores + weights.partners_term(found.shared, weights.room(track, close))
            scores = np.where(found.cosine > 0, scores, -np.inf)
            scores[members] = -np.inf
            hit = np.isin(wanted, np.argsort(-scores, kind="stable")[:AT])
            cells = hits[share]
            cells.setdefault(query.kind, []).append(hit.sum() / len(query.relevant))
            for group, chosen in (
                ("short", short[wanted]),
                ("named", names[wanted]),
                ("unnamed", ~names[wanted]),
            ):
                cells.setdefault(f"{query.kind} {group}", []).extend(hit[chosen].tolist())
    table = {
        share: {name: float(np.mean(values)) for name, values in cells.items() if values}
        for share, cells in hits.items()
    }
    return table, known / max(listed, 1)


def recognised(data_dir: Path) -> dict[str, float]:
    """How often a project's area (and its programme or cluster alone) is the one whose topics'
    texts are closest to the project's title and objective, its own topic counted or not."""
    topics = read_rows(data_dir, "topics.csv")
    projects = [p for p in read_rows(data_dir, "projects.csv") if p["objective"].strip()]
    topic_texts = [f"{t['topicTitle']} {t.get('description', '')}" for t in topics]
    project_texts = [f"{p['title']} {p['objective']}" for p in projects]
    vectorizer = TfidfVectorizer(sublinear_tf=True, stop_words="english")
    vectorizer.fit([*topic_texts, *project_texts])
    rows = normalize(vectorizer.transform(topic_texts))
    labels = sorted({programme_area(t["topic"]) for t in topics})
    label_of = np.asarray([labels.index(programme_area(t["topic"])) for t in topics])
    membership = np.zeros((len(labels), len(topics)))
    membership[label_of, np.arange(len(topics))] = 1.0
    sums = (rows.T @ membership.T).T  # one summed row per area
    row_of = {t["topic"].strip(): i for i, t in enumerate(topics)}
    queries = normalize(vectorizer.transform(project_texts))
    found: dict[str, list[bool]] = {}
    for own_counted in (True, False):
        for i, project in enumerate(projects):
            code = project["topics"].strip()
            centroids = np.array(sums, copy=True)
            own = row_of.get(code)
            if not own_counted and own is not None:
                centroids[label_of[own]] -= rows[own].toarray()[0]
            lengths = np.maximum(np.linalg.norm(centroids, axis=1), 1e-12)
            closeness = (queries[i] @ centroids.T).ravel() / lengths
            best = labels[int(np.argmax(closeness))]
            truth = programme_area(code)
            suffix = "own topic counted" if own_counted else "own topic left out"
            found.setdefault(f"area, {suffix}", []).append(best == truth)
            found.setdefault(f"programme or cluster, {suffix}", []).append(
                best.split("-")[0] == truth.split("-")[0]
            )
    return {name: float(np.mean(values)) for name, values in found.items()}


def _cells(values: Iterable[float]) -> str:
    return " | ".join(f"{value:.3f}" for value in values)


def main() -> None:
    """Measure each share on one split and mode and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--mode", choices=MODES, default="imported")
    parser.add_argument("--split", choices=SPLITS, default="temporal")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cap", type=int, default=DEFAULT_CAP)
    parser.add_argument("--named", type=float, default=1.0, metavar="SHARE")
    parser.add_argument("--raise-only", action="store_true")
    parser.add_argument("--expected", action="store_true")
    parser.add_argument("--recognise", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    table, known = measure(
        args.data_dir,
        mode=args.mode,
        split=args.split,
        seed=args.seed,
        cap=args.cap,
        named=args.named,
        raise_only=args.raise_only,
        expected=args.expected,
    )
    print(
        f"recall@{AT}, {args.split} split (seed {args.seed}), {args.mode} profiles, area record "
        f"capped at {args.cap}: all real partners / those listing at most {SHORT} past projects; "
        f"{known:.0%} of the past projects' areas known ({time.perf_counter() - started:.0f} s)"
    )
    header = ["share to the area record", *KINDS, *(f"{kind}, short" for kind in KINDS)]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for share, cells in table.items():
        shown = [cells.get(k, 0.0) for k in KINDS] + [cells.get(f"{k} short", 0.0) for k in KINDS]
        label = "shipped" if share == 0 else f"{share:g}"
        print(f"| {label} | {_cells(shown)} |")
    if 0 < args.named < 1:
        print(
            f"\nthe same, over the real partners that name their calls ({args.named:.0%} of the "
            "profiles) / that do not"
        )
        header = ["share to the area record", *(f"{kind}, named / not" for kind in KINDS)]
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for share, cells in table.items():
            label = "shipped" if share == 0 else f"{share:g}"
            pairs = [
                f"{cells.get(f'{k} named', 0.0):.3f} / {cells.get(f'{k} unnamed', 0.0):.3f}"
                for k in KINDS
            ]
            print(f"| {label} | " + " | ".join(pairs) + " |")
    if args.recognise:
        print("\nareas told from a project's title and objective:")
        for name, value in recognised(args.data_dir).items():
            print(f"- {name}: {value:.0%}")


if __name__ == "__main__":
    main()
