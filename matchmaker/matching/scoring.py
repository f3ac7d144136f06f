"""How a suggestion's score is computed from its evidence: one number in [0, 1] that reads as
"how well this organisation fits", in which the text fit dominates and evidence is bounded::

    score = 1 / (1 + exp(-(intercept + text x ln(max(cosine, COSINE_FLOOR)) + evidence)))
    evidence = track_record     x ln(1 + min(past projects, TRACK_RECORD_CAP))
             + similar_projects x ln(1 + SIMILAR_PROJECTS_SCALE x min(similar, SIMILAR_CAP))
             + min(past_partners x ln(1 + min(projects shared with the partners, PARTNERS_CAP)),
                   the room the other two leave in the evidence budget)

A logistic model: the odds of a fit are ``exp(intercept) x cosine ** text x exp(evidence)``
(times STALE_FACTOR for a profile not confirmed as current for too long), so each signal
*multiplies the odds* by its `Reason.factor`. Every evidence term is at least 0 and capped, and
all of it together never exceeds the evidence budget (`Weights.evidence_budget`): with
staleness, it multiplies the odds by less than 3 ** text. An organisation whose text fit is at
least three times another's therefore always ranks above it, whatever either's track record or
past partnerships. Past projects shared with a draft's members (its partners) fill the room the
track record and similar projects leave: they can make up for a thin track record, never add
beyond the budget. `Weights` refuses coefficients whose track record and similar projects
alone, at their caps, would exceed it. The coefficients are fitted on the CORDIS development
data (benchmarks/fit_score.py) and shipped as JSON beside this module (`score_model.json`);
docs/matching.md gives the figures.

`profile_index` gathers the evidence (the cosine from the text index, the track record, similar
past projects and past partnerships from `past_projects`) and `Weights.scores` turns it into
scores, vectorised. Sentences for people are written from the `Reason`s in `explanations`.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, fields
from functools import cache
from importlib import resources
from typing import Final, Literal

import numpy as np

from matchmaker.matching.text_index import Match

# A cosine below this counts as no text fit at all: the text term of the score bottoms out
# here, so organisations that share no term with the text are ranked among themselves by their
# evidence (when a selection asks for every organisation of a type, say).
COSINE_FLOOR: Final = 1e-3
# Caps of the evidence features: beyond them more evidence adds nothing.
TRACK_RECORD_CAP: Final = 50
SIMILAR_CAP: Final = 1.0
PARTNERS_CAP: Final = 3
# Past projects like the text: an organisation's evidence is the sum of the cosines of its
# projects among the NEIGHBOUR_PROJECTS closest to the text (see `profile_index`).
NEIGHBOUR_PROJECTS: Final = 150
SIMILAR_PROJECTS_SCALE: Final = 10.0
# Query terms that many stored calls share (work-programme boilerplate) weigh less: each query
# weight is multiplied by (ln((1 + calls) / (1 + calls with the term)) + 1) ** this, then the
# query is normalised again.
CALL_FREQUENCY_EXPONENT: Final = 1.0
# The text fit dominates: all evidence together, and staleness, multiply the odds by less than
# this power of the text coefficient (3 ** text), so a three-times better text fit always wins.
DOMINANCE_RATIO: Final = 3.0
# How far short of a three-times better text fit the evidence budget stays (a factor on the
# odds): the budget is ln(3 ** text x stale factor / BUDGET_SLACK).
BUDGET_SLACK: Final = 1.01
# A stale profile (not confirmed as current for longer than the service's stale period): its
# odds are multiplied by this, so that it ranks after fresh profiles of similar fit. It counts
# in the dominance budget: a stale profile with a three-times better text fit still wins.
STALE_FACTOR: Final = 0.92

Signal = Literal[
    "text_similarity", "track_record", "similar_projects", "past_partners", "freshness"
]
TEXT_SIMILARITY: Final = "text_similarity"
TRACK_RECORD: Final = "track_record"
PAST_PARTNERS: Final = "past_partners"
SIMILAR_PROJECTS: Final = "similar_projects"
FRESHNESS: Final = "freshness"
MODEL_FILE: Final = "score_model.json"


@dataclass(frozen=True, slots=True)
class Reason:
    """One signal behind a score: the evidence (`value`) and how much it multiplies the odds of
    a fit (`factor`; for the text, the cosine's whole contribution, cosine ** text)."""

    signal: Signal
    value: float
    factor: float
    organisation_ids: tuple[int, ...] = ()
    # similar_projects: (project number, cosine) of each past project among the closest.
    projects: tuple[tuple[int, float], ...] = ()


@dataclass(frozen=True, slots=True)
class RankedMatch(Match):
    """A ranked profile: final score, shared terms, and the reasons behind the score."""

    reasons: tuple[Reason, ...]


def explain_text(match: Match) -> Reason:
    """The text-similarity reason of a plain similarity match (its score is the cosine)."""
    return Reason(signal=TEXT_SIMILARITY, value=match.score, factor=match.score)


def text_only(match: Match) -> RankedMatch:
    """A plain similarity match as a ranked one whose only reason is the text."""
    return RankedMatch(match.id, match.score, match.matched_terms, (explain_text(match),))


def _log1p(values: np.ndarray | float, cap: float, scale: float = 1.0) -> np.ndarray:
    return np.log1p(scale * np.minimum(np.asarray(values, dtype=np.float64), cap))


def text_feature(cosine: np.ndarray | float) -> np.ndarray:
    """ln of the cosine, floored at COSINE_FLOOR."""
    return np.log(np.maximum(np.asarray(cosine, dtype=np.float64), COSINE_FLOOR))


def track_feature(projects: np.ndarray | float) -> np.ndarray:
    """ln(1 + distinct past projects), capped."""
    return _log1p(projects, TRACK_RECORD_CAP)


def similar_feature(similar: np.ndarray | float) -> np.ndarray:
    """ln(1 + SCALE x summed cosines of close past projects), capped."""
    return _log1p(similar, SIMILAR_CAP, SIMILAR_PROJECTS_SCALE)


def partners_feature(shared: np.ndarray | float) -> np.ndarray:
    """ln(1 + past projects shared with the given partners), capped."""
    return _log1p(shared, PARTNERS_CAP)


@dataclass(frozen=True, slots=True)
class Weights:
    """The score's coefficients (a logistic model over bounded features; see the module).

    Setting an evidence coefficient to 0 turns that signal off (the benchmarks' ablations).
    """

    intercept: float
    text: float
    track_record: float
    similar_projects: float
    past_partners: float
    call_frequency_exponent: float = CALL_FREQUENCY_EXPONENT
    stale_factor: float = STALE_FACTOR

    def __post_init__(self) -> None:
        values = [getattr(self, field.name) for field in fields(self)]
        if not all(math.isfinite(value) for value in values):
            raise ValueError(f"score coefficients must be finite: {self}")
        if self.text <= 0 or min(self.track_record, self.similar_projects, self.past_partners) < 0:
            raise ValueError(f"the text coefficient must be > 0 and the others >= 0: {self}")
        if not 0 < self.stale_factor <= 1:
            raise ValueError(f"the stale factor must be in (0, 1]: {self}")
        if self.evidence_cap > self.evidence_budget:
            raise ValueError(
                f"the track record and similar projects at their caps (and staleness) move the "
                f"odds by {math.exp(self.evidence_cap) / self.stale_factor:.2f}, not less than "
                f"{DOMINANCE_RATIO:g} ** {self.text:g} / {BUDGET_SLACK:g}: the text must dominate"
            )

    @classmethod
    def fitted(cls) -> Weights:
        """The coefficients shipped with the package (`score_model.json`)."""
        return _fitted()

    def replace(self, **changes: float) -> Weights:
        """These coefficients with some changed (an ablation, say)."""
        return dataclasses.replace(self, **changes)

    @property
    def evidence_cap(self) -> float:
        """The track record and similar projects at their caps (ln of the odds multiplier):
        what the evidence reaches without a draft's partners (at most `evidence_budget`)."""
        return float(
            self.track_record * track_feature(TRACK_RECORD_CAP)
            + self.similar_projects * similar_feature(SIMILAR_CAP)
        )

    @property
    def evidence_budget(self) -> float:
        """The most all evidence together adds to the log-odds: with staleness, less than a
        three-times better text fit (ln(3 ** text x stale factor / BUDGET_SLACK))."""
        return (
            self.text * math.log(DOMINANCE_RATIO)
            + math.log(self.stale_factor)
            - math.log(BUDGET_SLACK)
        )

    def text_term(self, cosine: np.ndarray | float) -> np.ndarray:
        """The text's part of the log-odds."""
        return self.text * text_feature(cosine)

    def track_term(self, projects: np.ndarray | float) -> np.ndarray:
        """The track record's part of the log-odds (distinct past projects in the profile)."""
        return self.track_record * track_feature(projects)

    def similar_term(self, similar: np.ndarray | float) -> np.ndarray:
        """The similar past projects' part of the log-odds (summed cosines of close projects)."""
        return self.similar_projects * similar_feature(similar)

    def partners_term(self, shared: np.ndarray | float, room: np.ndarray | float) -> np.ndarray:
        """The past partnerships' part of the log-odds (projects shared with given partners),
        at most `room`: what the track record and similar projects leave of the budget."""
        return np.minimum(self.past_partners * partners_feature(shared), room)

    def room(self, track: np.ndarray | float, similar: np.ndarray | float) -> np.ndarray:
        """What the evidence budget leaves for past partnerships beside the track record's and
        similar projects' terms."""
        return np.maximum(self.evidence_budget - np.asarray(track) - np.asarray(similar), 0.0)

    def scores(
        self,
        cosine: np.ndarray,
        projects: np.ndarray,
        shared: np.ndarray | None = None,
        similar: np.ndarray | None = None,
        stale: np.ndarray | None = None,
    ) -> np.ndarray:
        """The scores in [0, 1] of aligned evidence arrays (missing evidence counts as none;
        `stale` marks the profiles not confirmed as current for too long)."""
        track = self.track_term(projects)
        close = self.similar_term(similar) if similar is not None else 0.0
        logit = self.intercept + self.text_term(cosine) + track + close
        if shared is not None:
            logit = logit + self.partners_term(shared, self.room(track, close))
        if stale is not None:
            logit = logit + np.where(stale, math.log(self.stale_factor), 0.0)
        return 1.0 / (1.0 + np.exp(-logit))

    def reasons(
        self,
        cosine: float,
        projects: int,
        shared: int | None = None,
        partners: tuple[int, ...] = (),
        similar: tuple[tuple[int, float], ...] | None = None,
        unconfirmed_days: int | None = None,
    ) -> tuple[Reason, ...]:
        """One reason per signal of a score (similar projects and past partners when given;
        freshness when the profile is stale, its value the days since its last confirmation)."""
        track = float(self.track_term(projects))
        found = [
            Reason(TEXT_SIMILARITY, cosine, float(np.exp(self.text_term(cosine)))),
            Reason(TRACK_RECORD, float(projects), math.exp(track)),
        ]
        close = 0.0
        if similar is not None:
            evidence = float(sum(value for _, value in similar))
            close = float(self.similar_term(evidence))
            found.append(Reason(SIMILAR_PROJECTS, evidence, math.exp(close), projects=similar))
        if shared is not None:
            factor = float(np.exp(self.partners_term(shared, self.room(track, close))))
            found.append(Reason(PAST_PARTNERS, float(shared), factor, organisation_ids=partners))
        if unconfirmed_days is not None:
            found.append(Reason(FRESHNESS, float(unconfirmed_days), self.stale_factor))
        return tuple(found)


@cache
def _fitted() -> Weights:
    text = resources.files(__package__).joinpath(MODEL_FILE).read_text(encoding="utf-8")
    coefficients = json.loads(text)["coefficients"]
    return Weights(**{name: float(value) for name, value in coefficients.items()})
