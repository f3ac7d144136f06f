"""Does a gain come from favouring long profiles? Length-normalisation variants of the text fit,
measured overall and for the real partners whose profiles are short.

    python -m benchmarks.length [--data-dir DIR] [--mode imported|http] [--split random|temporal]
        [--seed 0]

The shipped score's text fit is a cosine: a profile that lists 300 past projects matches every
call a little, one that lists a single project matches a few calls well. Every variant below
raises long profiles against short ones, and each gained a little recall@50 in earlier studies
(`benchmarks.signals`). This study adds what those studies could not see: recall@50 over the
real partners whose profiles list at most `SHORT` distinct past projects (newcomers, niche
specialists, organisations that registered with a description), beside the recall over all
real partners. A variant is worth adopting only if it does not buy the first with the second.

Variants of the cosine c (the shipped coefficients are kept; only the text fit changes):

- ``pivoted s``: pivoted unique normalisation (Singhal, Buckley and Mitra, 1996), c times
  u / ((1 - s) x mean u + s x u), u the profile's number of distinct terms;
- ``pivoted s, never below 1``: the same factor, but short profiles keep their cosine (only
  long ones are raised, by at most 1 / s);
- ``best project``: c ** 0.75 x max(c, b) ** 0.25, b the cosine of the profile's closest past
  project in the projects index: a long profile whose best project fits the text well gets
  part of that fit;
- ``evidence x f``: the plain cosine, and every evidence term (track record, similar projects,
  past partners within the room the budget leaves them) times f: what the track record costs
  the short profiles, and what it is worth over all real partners. Beyond 1 the evidence
  outgrows the product's budget: a text fit must then be more than three times better to be
  sure to win (the row says how many times), the relaxation issue 14's text-dominance
  property forbids, measured for the team to weigh.

Recall@50 is computed over every candidate, as the product ranks them (a profile that shares
no term with the query is left out; a draft's member is never ranked).
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import cast

import numpy as np

from matchmaker.evaluation.protocol import KINDS, MODES, SPLITS, load_benchmark
from matchmaker.evaluation.rankers import ranker_index
from matchmaker.matching.scoring import Weights
from matchmaker.matching.text import distinct_activities

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "cordis"
AT, SHORT, SLOPES, BEST_SHARE = 50, 2, (0.9, 0.8, 0.7), 0.25
EVIDENCE_SHARES = (3.0, 2.0, 1.5, 0.75, 0.5, 0.25, 0.0)

# A variant: (cosines, distinct terms per profile, best project cosine per profile) -> cosines.
Variant = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def pivoted(slope: float, *, floor: bool = False) -> Variant:
    """Pivoted unique normalisation at `slope`; with `floor`, never below the plain cosine."""

    def variant(cosine: np.ndarray, unique: np.ndarray, best: np.ndarray) -> np.ndarray:
        factor = unique / ((1 - slope) * unique.mean() + slope * unique)
        return cosine * (np.maximum(factor, 1.0) if floor else factor)

    return variant


def best_project(cosine: np.ndarray, unique: np.ndarray, best: np.ndarray) -> np.ndarray:
    """Part of the closest past project's fit: c ** (1 - share) x max(c, b) ** share."""
    return cosine ** (1 - BEST_SHARE) * np.maximum(cosine, best) ** BEST_SHARE


# Each variant: how it changes the text fit (None: not at all), and what share of the shipped
# evidence coefficients (track record, similar projects, past partners) it keeps.
VARIANTS: dict[str, tuple[Variant | None, float]] = {
    "shipped": (None, 1.0),
    **{f"pivoted {s}": (pivoted(s), 1.0) for s in SLOPES},
    **{f"pivoted {s}, never below 1": (pivoted(s, floor=True), 1.0) for s in SLOPES},
    f"best project (share {BEST_SHARE})": (best_project, 1.0),
    **{f"evidence x {share}": (None, share) for share in EVIDENCE_SHARES},
}


def log_odds(
    weights: Weights,
    share: float,
    cosine: np.ndarray,
    projects: np.ndarray,
    shared: np.ndarray | None,
    similar: np.ndarray | None,
) -> np.ndarray:
    """The score's log-odds (less its intercept: the same order) with every evidence term times
    `share`; at 1, the shipped score's order."""
    track = weights.track_term(projects)
    close = weights.similar_term(similar) if similar is not None else 0.0
    partners = 0.0 if shared is None else weights.partners_term(shared, weights.room(track, close))
    return weights.text_term(cosine) + share * (track + close + partners)


def winning_ratio(weights: Weights, share: float) -> float:
    """How many times better a text fit must be to win whatever the others' evidence, with every
    evidence term times `share`."""
    return math.exp(share * weights.evidence_budget / weights.text)


def measure(
    data_dir: Path, *, mode: str, split: str, seed: int
) -> tuple[dict[str, dict[str, float]], dict[str, float]]:
    """Per variant, recall@50 per query kind over all real partners and over the short ones
    (keys ``<kind>`` and ``<kind> short``); and per kind, the short ones' share of the real
    partners."""
    benchmark = load_benchmark(data_dir, mode=mode, split=split, seed=seed)
    index = ranker_index(benchmark)
    fitted = Weights.fitted()
    by_id = {p.id: p for p in benchmark.profiles}
    ids = np.asarray(sorted(by_id), dtype=np.int64)
    position = {int(doc_id): row for row, doc_id in enumerate(ids)}
    unique = np.diff(index.vectors(ids.tolist()).indptr).astype(np.float64)
    short = np.asarray([len(distinct_activities(by_id[int(i)].activities)) <= SHORT for i in ids])
    projects = index.projects
    keys = projects.ids()
    which, owners = index._partners.listings(keys)
    owner_rows = np.asarray([position.get(int(o), -1) for o in owners], dtype=np.int64)
    listed = owner_rows >= 0
    found_all: dict[str, dict[str, list[float]]] = {n: {k: [] for k in KINDS} for n in VARIANTS}
    found_short = {name: {k: [0, 0] for k in KINDS} for name in VARIANTS}
    partners = dict.fromkeys(KINDS, 0)
    for query in benchmark.queries:
        evidence = index.evidence(query.text, partner_ids=query.partners, weights=fitted)
        cosines = projects.score_ids(
            index._weighted(projects, query.text, 1, fitted), cast(Sequence[int], keys)
        )
        best = np.zeros(ids.size)
        np.maximum.at(best, owner_rows[listed], cosines[which[listed]])
        members = [position[p] for p in query.partners if p in position]
        wanted = np.asarray([position[i] for i in query.relevant if i in position], dtype=int)
        partners[query.kind] += len(query.relevant)
        for name, (variant, share) in VARIANTS.items():
            cosine = evidence.cosine if variant is None else variant(evidence.cosine, unique, best)
            scores = log_odds(
                fitted, share, cosine, evidence.projects, evidence.shared, evidence.similar
            )
            scores = np.where(evidence.cosine > 0, scores, -np.inf)
            scores[members] = -np.inf
            hit = np.isin(wanted, np.argsort(-scores, kind="stable")[:AT])
            found_all[name][query.kind].append(hit.sum() / len(query.relevant))
            found_short[name][query.kind][0] += int(hit[short[wanted]].sum())
            found_short[name][query.kind][1] += int(short[wanted].sum())
    shares = {kind: found_short["shipped"][kind][1] / max(partners[kind], 1) for kind in KINDS}
    table = {
        name: {
            **{kind: float(np.mean(found_all[name][kind] or [0.0])) for kind in KINDS},
            **{f"{kind} short": hits / max(total, 1) for kind, (hits, total) in short_hits.items()},
        }
        for name, short_hits in found_short.items()
    }
    return table, shares


def main() -> None:
    """Measure every variant on one split and mode and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--mode", choices=MODES, default="http")
    parser.add_argument("--split", choices=SPLITS, default="temporal")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    started = time.perf_counter()
    table, shares = measure(args.data_dir, mode=args.mode, split=args.split, seed=args.seed)
    print(
        f"recall@{AT}, {args.split} split (seed {args.seed}), {args.mode} profiles: all real "
        f"partners / those listing at most {SHORT} past projects "
        f"({time.perf_counter() - started:.0f} s)"
    )
    print(
        "short profiles among the real partners: "
        + ", ".join(f"{kind} {shares[kind]:.0%}" for kind in KINDS)
    )
    header = ["variant", "text wins at", *KINDS, *(f"{kind}, short" for kind in KINDS)]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    fitted = Weights.fitted()
    for name, cells in table.items():
        share = VARIANTS[name][1]
        wins = f"{winning_ratio(fitted, share):.1f}x" if share else "any"
        shown = [f"{cells[k]:.3f}" for k in KINDS] + [f"{cells[f'{k} short']:.3f}" for k in KINDS]
        print(f"| {name} | {wins} | " + " | ".join(shown) + " |")


if __name__ == "__main__":
    main()
