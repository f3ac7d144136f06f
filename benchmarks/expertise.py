"""Does the text fit order an organisation's candidate projects well? A stand-in, on CORDIS, for
the reviewer-paper expertise check issue 14 cites.

    python -m benchmarks.expertise [--data-dir DIR] [--mode http|imported]
        [--split temporal|random] [--seed 0] [--panels 20] [--panel-size 58]

Issue 14 reports, from a benchmark kept outside this repository (researchers' own papers as
profiles, against papers they rated by expertise), that the product's text similarity ordered
each researcher's papers worse than a plain ``TfidfVectorizer(sublinear_tf=True,
stop_words="english")`` over the same texts. Its loss is the reviewer-assignment gold
standard's (Stelmakh et al., 2023): over every researcher and every pair of rated papers, the
pairs the similarity orders against the ratings, weighted by how far apart the ratings are
(a tie counts half), over the pairs' total weight. This study computes the same loss on CORDIS,
with ratings the data gives: an organisation's profile is its profile-part projects, built as
`benchmarks.quality` builds it (over HTTP by default), and of the held-out projects
(`benchmarks.quality`'s project queries: title and objective) those it took part in are rated
above those it did not. Two protocols:

- ``whole slice``: every profile indexed (a deployment of the slice's 23k organisations); each
  organisation that took part in a held-out project orders every held-out project, or only
  those of the same programme parts (the first two parts of the topic code, "HORIZON-CL5")
  as its own, which are harder to tell apart.
- ``panels``: like the reviewer study, `--panel-size` organisations with at least
  `MIN_ACTIVITIES` past projects are indexed alone (a small deployment, whose document
  frequencies come from few profiles), and each orders up to `OWN` of its own held-out
  projects and `OTHERS` others of the same programme parts; `--panels` panels drawn at
  random, and the loss's paired difference to plain TF-IDF per panel (mean and standard
  error).

Similarities compared: the product's score (what `POST /search` returns; for one organisation
only the text fit and the similar past projects vary from project to project), its text cosine
(the query's terms weighted by how many calls use them, as served), the same cosine without
that weighting, and scikit-learn's vectorizer as the issue names it, fitted on the profiles
alone and on the profiles and the candidate texts together, and with its defaults.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
from scipy.stats import rankdata
from sklearn.feature_extraction.text import TfidfVectorizer

from benchmarks.length import log_odds
from matchmaker.evaluation.protocol import (
    MODES,
    NO_CALLS,
    SPLITS,
    Benchmark,
    CallTexts,
    Profile,
    Query,
    load_benchmark,
)
from matchmaker.evaluation.rankers import MatchmakerRanker
from matchmaker.matching.profile_index import ProfileIndex
from matchmaker.matching.scoring import Weights
from matchmaker.matching.text import organisation_text

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "cordis"
MIN_ACTIVITIES, OWN, OTHERS = 10, 5, 10
PLAIN = "TfidfVectorizer(sublinear_tf=True, stop_words='english')"

# A similarity: for some profiles and project texts, the matrix of its values, one row per
# text and one column per profile.
Similarities = Callable[[Sequence[Profile], Sequence[str]], np.ndarray]


def part(topic: str) -> str:
    """The programme part of a topic code: its first two parts ("HORIZON-CL5")."""
    return "-".join(topic.split("-")[:2])


def pair_loss(similarity: np.ndarray, own: np.ndarray) -> tuple[float, float]:
    """The pairs (own project, another) one organisation's similarities order wrongly, a tie
    counting half, and the number of pairs: (1 - AUC) x pairs, by ranks (Mann-Whitney)."""
    n_own, n_other = int(own.sum()), int((~own).sum())
    if not n_own or not n_other:
        return 0.0, 0.0
    ranks = rankdata(similarity)
    right = ranks[own].sum() - n_own * (n_own + 1) / 2
    pairs = float(n_own * n_other)
    return pairs - right, pairs


def product(calls: CallTexts, *, score: bool) -> Similarities:
    """The product's score (`score`) or its text cosine, on an index of the profiles alone."""

    def similarities(profiles: Sequence[Profile], texts: Sequence[str]) -> np.ndarray:
        index = MatchmakerRanker().fit(profiles, calls).index
        assert index is not None
        return _from_index(index, [p.id for p in profiles], texts, score=score)

    return similarities


def _from_index(
    index: ProfileIndex, ids: Sequence[int], texts: Sequence[str], *, score: bool
) -> np.ndarray:
    fitted = Weights.fitted()
    column = {int(i): j for j, i in enumerate(index.evidence("", weights=fitted).ids)}
    take = np.asarray([column[i] for i in ids])
    rows = []
    for text in texts:
        evidence = index.evidence(text, weights=fitted)
        cosine = evidence.cosine[take]
        if score:
            similar = None if evidence.similar is None else evidence.similar[take]
            odds = log_odds(fitted, 1.0, cosine, evidence.projects[take], None, similar)
            rows.append(np.where(cosine > 0, odds, -np.inf))
        else:
            rows.append(cosine)
    return np.vstack(rows)


def vectorizer(make: Callable[[], TfidfVectorizer], *, with_texts: bool) -> Similarities:
    """Cosines of a scikit-learn vectorizer fitted on the profiles' texts (and, `with_texts`,
    the candidate texts too)."""

    def similarities(profiles: Sequence[Profile], texts: Sequence[str]) -> np.ndarray:
        documents = [organisation_text(p) for p in profiles]
        fitted = make().fit([*documents, *texts] if with_texts else documents)
        return (fitted.transform(texts) @ fitted.transform(documents).T).toarray()

    return similarities


def similarities_for(benchmark: Benchmark) -> dict[str, Similarities]:
    """The similarities compared, in table order."""
    plain = lambda: TfidfVectorizer(sublinear_tf=True, stop_words="english")  # noqa: E731
    return {
        "product score": product(benchmark.calls, score=True),
        "product text cosine": product(benchmark.calls, score=False),
        "product text cosine, no call weighting": product(NO_CALLS, score=False),
        f"{PLAIN}, fitted on the profiles": vectorizer(plain, with_texts=False),
        f"{PLAIN}, fitted on profiles and projects": vectorizer(plain, with_texts=True),
        "TfidfVectorizer() (defaults)": vectorizer(TfidfVectorizer, with_texts=False),
    }


def whole_slice(
    benchmark: Benchmark, queries: Sequence[Query], measured: Mapping[str, Similarities]
) -> dict[str, tuple[float, float]]:
    """Per similarity, the loss over every organisation with a held-out project, against every
    held-out project and against those of the same programme parts."""
    profiles = benchmark.profiles
    column = {p.id: j for j, p in enumerate(profiles)}
    own = np.zeros((len(queries), len(profiles)), dtype=bool)
    for row, query in enumerate(queries):
        own[row, [column[i] for i in query.relevant if i in column]] = True
    organisations = np.flatnonzero(own.any(axis=0))
    parts = np.asarray([part(q.topic) for q in queries])
    texts = [q.text for q in queries]
    table = {}
    for name, similarities in measured.items():
        values = similarities(profiles, texts)[:, organisations]
        loss = {"all": [0.0, 0.0], "same parts": [0.0, 0.0]}
        for j, organisation in enumerate(organisations):
            mine = own[:, organisation]
            for which, keep in (("all", slice(None)), ("same parts", np.isin(parts, parts[mine]))):
                wrong, pairs = pair_loss(values[keep, j], mine[keep])
                loss[which][0] += wrong
                loss[which][1] += pairs
        table[name] = (
            loss["all"][0] / loss["all"][1],
            loss["same parts"][0] / loss["same parts"][1],
        )
    return table


def panels(
    benchmark: Benchmark,
    queries: Sequence[Query],
    measured: Mapping[str, Similarities],
    *,
    count: int,
    size: int,
) -> tuple[dict[str, list[float]], int]:
    """Per similarity, the loss on each of `count` panels of `size` organisations indexed
    alone; and how many organisations panels were drawn from."""
    by_id = {p.id: p for p in benchmark.profiles}
    parts = np.asarray([part(q.topic) for q in queries])
    projects: dict[int, list[int]] = {}
    for row, query in enumerate(queries):
        for organisation in query.relevant:
            if organisation in by_id:
                projects.setdefault(organisation, []).append(row)
    eligible = sorted(o for o in projects if len(by_id[o].activities) >= MIN_ACTIVITIES)
    losses: dict[str, list[float]] = {name: [] for name in measured}
    for panel in range(count):
        rng = np.random.default_rng(panel)
        members = [int(o) for o in rng.choice(eligible, size=size, replace=False)]
        rated: dict[int, tuple[list[int], list[int]]] = {}
        for organisation in members:
            mine = projects[organisation][:OWN]
            pool = np.flatnonzero(np.isin(parts, parts[mine]))
            pool = np.setdiff1d(pool, projects[organisation])
            others = rng.choice(pool, size=min(OTHERS, pool.size), replace=False).tolist()
            rated[organisation] = (mine, others)
        rows = sorted({r for mine, others in rated.values() for r in (*mine, *others)})
        where = {r: i for i, r in enumerate(rows)}
        texts = [queries[r].text for r in rows]
        profiles = [by_id[o] for o in members]
        for name, similarities in measured.items():
            values = similarities(profiles, texts)
            wrong = pairs = 0.0
            for j, organisation in enumerate(members):
                mine, others = rated[organisation]
                picked = [where[r] for r in (*mine, *others)]
                flags = np.arange(len(picked)) < len(mine)
                w, p = pair_loss(values[picked, j], flags)
                wrong, pairs = wrong + w, pairs + p
            losses[name].append(wrong / pairs)
    return losses, len(eligible)


def main() -> None:
    """Run both protocols and print their tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--mode", choices=MODES, default="http")
    parser.add_argument("--split", choices=SPLITS, default="temporal")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--panels", type=int, default=20)
    parser.add_argument("--panel-size", type=int, default=58)
    args = parser.parse_args()
    started = time.perf_counter()
    benchmark = load_benchmark(args.data_dir, mode=args.mode, split=args.split, seed=args.seed)
    queries = benchmark.of_kind("project")
    measured = similarities_for(benchmark)
    print(
        f"{args.split} split (seed {args.seed}), {args.mode} profiles, {len(queries)} held-out "
        "projects; loss = share of (own project, other project) pairs ordered wrongly, lower is "
        "better"
    )
    slice_table = whole_slice(benchmark, queries, measured)
    print(f"\nwhole slice ({len(benchmark.profiles)} profiles indexed)")
    print("| similarity | all held-out projects | same programme parts |")
    print("|---|---|---|")
    for name, (everything, same) in slice_table.items():
        print(f"| {name} | {everything:.4f} | {same:.4f} |")
    losses, eligible = panels(benchmark, queries, measured, count=args.panels, size=args.panel_size)
    baseline = np.asarray(losses[f"{PLAIN}, fitted on the profiles"])
    print(
        f"\n{args.panels} panels of {args.panel_size} organisations (of {eligible} with at "
        f"least {MIN_ACTIVITIES} past projects), each indexed alone; up to {OWN} own and "
        f"{OTHERS} other projects of the same programme parts per organisation"
    )
    print("| similarity | loss, mean of the panels | minus plain TF-IDF's (standard error) |")
    print("|---|---|---|")
    for name, values in losses.items():
        difference = np.asarray(values) - baseline
        error = difference.std(ddof=1) / np.sqrt(difference.size) if difference.size > 1 else 0
        print(f"| {name} | {np.mean(values):.4f} | {difference.mean():+.4f} ({error:.4f}) |")
    print(f"\n({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
