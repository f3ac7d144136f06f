"""Time consortium proposals over 10k and 100k synthetic candidates: solver versus greedy.

Run from the repository root: ``python -m benchmarks.consortium`` (``--help`` for options).

Each row is the median of ``--repeats`` runs (after one warm-up) of `propose_consortia` on the same
call, split into: turning the candidate objects into arrays (plus the pool's diversity penalty
matrix), preselection, building the integer program, the HiGHS solve (``scipy.optimize.milp``),
the greedy heuristic, and the rest (shortfall diagnosis, labelling members). The split comes from
timing wrappers put around the solver's own functions for the duration of a run, so the code
measured is the code the service runs. ``--member-cost`` (one or more values) sets the solver's
per-member cost (0 by default: proposals grow to the call's ``max_partners``); the ``members``
column gives each proposal's size.

``--rules-calls N`` instead times N synthetic calls (random type minimums, country minimums and
sizes) over the same candidates twice: without programme rules and with the Horizon Europe
consortium rule (three independent entities in distinct Member States or Associated Countries,
one in a Member State), evaluated on ``--rules-date`` for Pillar II. A tenth of the candidates
belong to groups of two to five affiliated entities.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from types import ModuleType
from typing import Any

import numpy as np

from matchmaker.consortium import solver as consortium
from matchmaker.consortium.eligibility import Context, solver_rules
from matchmaker.consortium.solver import (
    Candidate,
    Method,
    Proposal,
    Requirements,
    propose_consortia,
)
from matchmaker.consortium.solver import milp as solver_milp
from matchmaker.consortium.solver import pool as solver_pool
from matchmaker.consortium.solver import report as solver_report
from matchmaker.country_statuses import StatusTable
from models.call import RuleSet

# A realistic mix for IMI/IHI calls: mostly companies, a fifth academia, few patient groups.
TYPE_MIX = {
    "industry": 0.35,
    "sme": 0.20,
    "academia": 0.20,
    "research_organisation": 0.15,
    "patient_organisation": 0.04,
    "healthcare_provider": 0.04,
    "regulator": 0.02,
}
COUNTRIES = (
    *("DE", "FR", "NL", "BE", "IT", "ES", "SE", "DK", "CH", "GB", "AT", "FI", "IE", "PL", "PT"),
    *("NO", "CZ", "GR", "HU", "IL", "RO", "SI", "EE", "LT", "LV", "SK", "HR", "BG", "LU", "CY"),
    *("MT", "IS"),
)
REQUIRED = {
    "academia": 3,
    "industry": 3,
    "sme": 2,
    "patient_organisation": 1,
    "healthcare_provider": 1,
    "regulator": 1,
}
CALLS = {
    # A typical IHI topic: the minimums, eight countries, room for 25 partners.
    "typical": Requirements(required=REQUIRED, min_countries=8, max_partners=25),
    # A tight one: exactly the minimums, each from a different country.
    "tight": Requirements(required=REQUIRED, min_countries=11, max_partners=11),
}
# Each timed function and the solver's modules that call it: the wrapper goes where the name is
# looked up.
TIMED: dict[str, tuple[ModuleType, ...]] = {
    "build_pool": (consortium,),
    "_preselect": (solver_pool,),
    "solve_milp": (consortium, solver_report),
    "milp": (solver_milp,),
    "solve_greedy": (consortium,),
}


@dataclass(frozen=True)
class Row:
    """One measured configuration: the run with the median total time, split by function."""

    candidates: int
    call: str
    method: Method
    alternatives: int
    member_cost: float
    pool: int
    seconds: dict[str, float]
    proposals: list[Proposal]


def synthetic_candidates(n: int, *, seed: int, topics: int = 40, dim: int = 64) -> list[Candidate]:
    """Candidates with the type mix above, skewed countries, beta scores and topic vectors."""
    rng = np.random.default_rng(seed)
    types = rng.choice(list(TYPE_MIX), size=n, p=list(TYPE_MIX.values()))
    country_weights = 1 / np.arange(1, len(COUNTRIES) + 1)
    countries = rng.choice(COUNTRIES, size=n, p=country_weights / country_weights.sum())
    scores = rng.beta(2, 8, size=n)
    # Organisations on the same topic are near-duplicates (cosine ~0.8), as real matches are.
    centroids = rng.normal(size=(topics, dim))
    vectors = centroids[rng.integers(topics, size=n)] + 0.5 * rng.normal(size=(n, dim))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    # A tenth of the organisations belong to groups of 2-5 affiliated entities.
    grouped = rng.random(n) < 0.1
    groups = np.where(grouped, rng.integers(max(1, n // 35), size=n), -1)
    return [
        Candidate(
            id=k,
            stakeholder_type=str(t),
            country=str(c),
            score=float(s),
            vector=v,
            group=f"group-{g}" if g >= 0 else None,
        )
        for k, (t, c, s, v, g) in enumerate(
            zip(types, countries, scores, vectors, groups, strict=True)
        )
    ]


def rules_comparison(
    candidates: list[Candidate], *, calls: int, seed: int, on: date, repeats: int
) -> str:
    """A Markdown table: per-call solve time (median of ``repeats``) with rules off and on."""
    rng = np.random.default_rng(seed)
    rules = solver_rules(
        Context(
            rule_set=RuleSet.horizon_europe, part="pillar-2", on=on, table=StatusTable.shipped()
        )
    )
    timings: dict[bool, list[float]] = {False: [], True: []}
    feasible: dict[bool, int] = {False: 0, True: 0}
    methods: dict[bool, set[str]] = {False: set(), True: set()}
    for _ in range(calls):
        required = {
            str(t): int(rng.integers(0, 4))
            for t in rng.choice(list(TYPE_MIX), size=int(rng.integers(1, 5)), replace=False)
        }
        size = int(rng.integers(max(3, sum(required.values())), 26))
        min_countries = int(rng.integers(0, min(size, 9) + 1))
        for with_rules in (False, True):
            requirements = Requirements(
                required=required,
                min_countries=min_countries,
                max_partners=size,
                rules=rules if with_rules else None,
            )
            runs = []
            for _ in range(repeats):
                start = time.perf_counter()
                proposal = propose_consortia(candidates, requirements, time_limit=30.0)[0]
                runs.append(time.perf_counter() - start)
            timings[with_rules].append(statistics.median(runs))
            feasible[with_rules] += proposal.feasible
            methods[with_rules].add(proposal.method)
    lines = [
        "| rules | calls | median ms | p90 ms | max ms | total s | feasible | methods |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for with_rules, label in ((False, "off"), (True, "horizon-europe")):
        times = np.array(timings[with_rules]) * 1e3
        lines.append(
            f"| {label} | {calls} | {np.median(times):.1f} | {np.percentile(times, 90):.1f} | "
            f"{times.max():.1f} | {times.sum() / 1e3:.2f} | {feasible[with_rules]}/{calls} | "
            f"{'+'.join(sorted(methods[with_rules]))} |"
        )
    return "\n".join(lines)


@contextmanager
def timed_internals() -> Iterator[tuple[dict[str, float], list[int]]]:
    """Accumulate the time spent in each function of TIMED and record preselected pool sizes."""
    spent = dict.fromkeys(TIMED, 0.0)
    pools: list[int] = []
    originals = {name: getattr(modules[0], name) for name, modules in TIMED.items()}

    def wrap(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                result = function(*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - start
            if name == "_preselect":
                pools.append(len(result))
            return result

        return timed

    for name, function in originals.items():
        timed = wrap(name, function)
        for module in TIMED[name]:
            setattr(module, name, timed)
    try:
        yield spent, pools
    finally:
        for name, function in originals.items():
            for module in TIMED[name]:
                setattr(module, name, function)


def measure(
    candidates: list[Candidate],
    *,
    call: str,
    method: Method,
    alternatives: int,
    repeats: int,
    include: set[int],
    exclude: set[int],
    member_cost: float = 0.0,
) -> Row:
    """Time ``repeats`` identical proposals (after a warm-up) and keep the median run."""
    runs: list[tuple[dict[str, float], int, list[Proposal]]] = []
    for _ in range(repeats + 1):
        with timed_internals() as (spent, pools):
            start = time.perf_counter()
            proposals = propose_consortia(
                candidates,
                CALLS[call],
                include=include,
                exclude=exclude,
                alternatives=alternatives,
                method=method,
                member_cost=member_cost,
                time_limit=30.0,
            )
            spent["total"] = time.perf_counter() - start
        runs.append((dict(spent), pools[0], proposals))
    # One whole run, not per-column medians, so that the parts add up to the total.
    seconds, pool, proposals = sorted(runs[1:], key=lambda run: run[0]["total"])[repeats // 2]
    return Row(len(candidates), call, method, alternatives, member_cost, pool, seconds, proposals)


def render(rows: list[Row]) -> str:
    """A Markdown table: time per part (and its share of the total), objectives, feasibility."""
    header = (
        "| candidates | call | method | alts | member cost | pool | total ms | to arrays | "
        "preselect | build MILP | HiGHS (milp) | greedy | rest | objective(s) | members | "
        "feasible |"
    )
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    for row in rows:
        s = row.seconds
        parts = {
            "arrays": s["build_pool"] - s["_preselect"],
            "preselect": s["_preselect"],
            "build": s["solve_milp"] - s["milp"],
            "milp": s["milp"],
            "greedy": s["solve_greedy"],
            "rest": s["total"] - s["build_pool"] - s["solve_milp"] - s["solve_greedy"],
        }
        cells = " | ".join(f"{v * 1e3:.1f} ({v / s['total']:.0%})" for v in parts.values())
        methods = "+".join(sorted({p.method for p in row.proposals}))
        objectives = " / ".join(f"{p.objective:.4f}" for p in row.proposals)
        sizes = " / ".join(str(len(p.members)) for p in row.proposals)
        lines.append(
            f"| {row.candidates:,} | {row.call} | {methods} | {row.alternatives} | "
            f"{row.member_cost:g} | {row.pool} | {s['total'] * 1e3:.1f} | {cells} | "
            f"{objectives} | {sizes} | {all(p.feasible for p in row.proposals)} |"
        )
    return "\n".join(lines)


def main() -> None:
    """Generate the candidates, measure each configuration, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--member-cost",
        type=float,
        nargs="+",
        default=[0.0],
        help="per-member cost(s) passed to propose_consortia; each value gets its own rows",
    )
    parser.add_argument(
        "--rules-calls",
        type=int,
        default=0,
        help="time this many synthetic calls with programme rules off and on (instead)",
    )
    parser.add_argument("--rules-date", type=date.fromisoformat, default=date(2024, 6, 1))
    args = parser.parse_args()
    if args.rules_calls:
        for n in args.sizes:
            print(f"{n:,} candidates, seed {args.seed}, rules evaluated on {args.rules_date}:\n")
            candidates = synthetic_candidates(n, seed=args.seed)
            print(
                rules_comparison(
                    candidates,
                    calls=args.rules_calls,
                    seed=args.seed,
                    on=args.rules_date,
                    repeats=args.repeats,
                )
            )
        return

    configurations: list[tuple[str, Method, int]] = [
        ("typical", "milp", 0),
        ("typical", "greedy", 0),
        ("typical", "milp", 2),
        ("typical", "greedy", 2),
        ("tight", "milp", 0),
        ("tight", "greedy", 0),
    ]
    rows = []
    for n in args.sizes:
        candidates = synthetic_candidates(n, seed=args.seed)
        industry = [c.id for c in candidates if c.stakeholder_type == "industry"]
        include, exclude = set(industry[:2]), set(industry[2:5])  # committed EFPIA partners
        for member_cost in args.member_cost:
            for call, method, alternatives in configurations:
                rows.append(
                    measure(
                        candidates,
                        call=call,
                        method=method,
                        alternatives=alternatives,
                        repeats=args.repeats,
                        include=include,
                        exclude=exclude,
                        member_cost=member_cost,
                    )
                )
    for name, requirements in CALLS.items():
        print(
            f"{name}: min_countries={requirements.min_countries}, "
            f"max_partners={requirements.max_partners}, "
            f"required={dict(requirements.required)}"
        )
    print(
        "2 included and 3 excluded industry partners; per_type_limit=30, diversity_weight=0.5, "
        f"similarity_threshold=0.5; median of {args.repeats} runs; objectives per proposal.\n"
    )
    print(render(rows))


if __name__ == "__main__":
    main()
