"""How a suggestion's score is computed from its evidence, and the reasons that explain it::

    score = cosine(text', profile)
            x (1 + past activities) ** TRACK_RECORD_EXPONENT
            x (1 + SIMILAR_PROJECTS_SCALE x similar) ** SIMILAR_PROJECTS_EXPONENT
            x (1 + past projects shared with the given partners) ** PARTNER_EXPONENT

Each factor is one `Reason` on the suggestion; the score is their product. `profile_index`
gathers the evidence (the cosine from the text index, the track record, similar past projects
and past partnerships from `past_projects`) and `Weights` turns it into scores, vectorised.
docs/matching.md gives the measurements behind every constant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

import numpy as np

from matchmaker.matching.text_index import Match

# Measured on the consortium-recovery benchmark (docs/matching.md): recall@50 on topic queries
# peaks at 0.25 on each of three splits (0.125 and 0.375 lose 0.005 to 0.022, 0 loses 0.06+).
TRACK_RECORD_EXPONENT: Final = 0.25
# Draft queries (a coordinator given, the rest of its consortium to find): 0 to 0.5 adds 0.018
# to 0.035 recall@50 on every split; 0.5 to 1 is flat (-0.008 to +0.009), and the square root
# keeps a long shared history (x9 at 8 projects with 1) from outweighing the fit to the call.
PARTNER_EXPONENT: Final = 0.5
# Past projects like the text: an organisation's evidence is the sum of the cosines of its
# projects among the NEIGHBOUR_PROJECTS closest to the text (see `profile_index`).
NEIGHBOUR_PROJECTS: Final = 150
SIMILAR_PROJECTS_SCALE: Final = 10.0
SIMILAR_PROJECTS_EXPONENT: Final = 2.0
# Query terms that many stored calls share (work-programme boilerplate) weigh less: each query
# weight is multiplied by (ln((1 + calls) / (1 + calls with the term)) + 1) ** this, then the
# query is normalised again.
CALL_FREQUENCY_EXPONENT: Final = 1.0
_PROJECTS_IN_DETAIL: Final = 2
_TERMS_IN_DETAIL: Final = 3

Signal = Literal["text_similarity", "track_record", "similar_projects", "past_partners"]
TEXT_SIMILARITY: Final = "text_similarity"
TRACK_RECORD: Final = "track_record"
PAST_PARTNERS: Final = "past_partners"
SIMILAR_PROJECTS: Final = "similar_projects"


@dataclass(frozen=True, slots=True)
class Reason:
    """One signal behind a score: the evidence (`value`), its `factor` in the score, and why."""

    signal: Signal
    value: float
    factor: float
    detail: str
    organisation_ids: tuple[int, ...] = ()
    # similar_projects: (activity key hash, cosine) of each past project among the closest.
    projects: tuple[tuple[int, float], ...] = ()


@dataclass(frozen=True, slots=True)
class RankedMatch(Match):
    """A ranked profile: final score, shared terms, and the reasons whose factors make the score."""

    reasons: tuple[Reason, ...]


def explain_text(match: Match) -> Reason:
    """The text-similarity reason of a match: its cosine and the terms that weigh most."""
    terms = ", ".join(f"'{term.term}'" for term in match.matched_terms[:_TERMS_IN_DETAIL])
    shares = f"shares {terms} with the text" if terms else "shares terms with the text"
    return Reason(
        signal=TEXT_SIMILARITY,
        value=match.score,
        factor=match.score,
        detail=f"{shares} (cosine {match.score:.3f})",
    )


def text_only(match: Match) -> RankedMatch:
    """A plain similarity match as a ranked one whose only reason is the text."""
    return RankedMatch(match.id, match.score, match.matched_terms, (explain_text(match),))


@dataclass(frozen=True, slots=True)
class Weights:
    """The exponents of the evidence factors and of the query weighting (0 turns one off)."""

    track_record_exponent: float = TRACK_RECORD_EXPONENT
    partner_exponent: float = PARTNER_EXPONENT
    similar_projects_exponent: float = SIMILAR_PROJECTS_EXPONENT
    call_frequency_exponent: float = CALL_FREQUENCY_EXPONENT

    def track_record(self, activities: np.ndarray | int) -> np.ndarray:
        """How much a record of `activities` past projects multiplies a fit (1 for none)."""
        return np.power(1.0 + np.asarray(activities, dtype=np.float64), self.track_record_exponent)

    def partners(self, shared: np.ndarray | int) -> np.ndarray:
        """How much `shared` past projects with the given partners multiply a score (1 for none)."""
        return np.power(1.0 + np.asarray(shared, dtype=np.float64), self.partner_exponent)

    def similar_projects(self, evidence: np.ndarray | float) -> np.ndarray:
        """How much past projects close to the text (summed cosines) multiply a score."""
        scaled = SIMILAR_PROJECTS_SCALE * np.asarray(evidence, dtype=np.float64)
        return np.power(1.0 + scaled, self.similar_projects_exponent)

    def scores(
        self,
        cosine: np.ndarray,
        activities: np.ndarray,
        shared: np.ndarray | None = None,
        similar: np.ndarray | None = None,
    ) -> np.ndarray:
        """The final scores: cosine x track record (x similar projects) (x past partners)."""
        score = np.asarray(cosine, dtype=np.float64) * self.track_record(activities)
        if similar is not None:
            score = score * self.similar_projects(similar)
        if shared is not None:
            score = score * self.partners(shared)
        return score

    def reasons(
        self,
        match: Match,
        activities: int,
        shared: int | None = None,
        partners: tuple[int, ...] = (),
        similar: tuple[tuple[int, float], ...] | None = None,
    ) -> tuple[Reason, ...]:
        """One reason per factor of a score (similar projects and past partners when given)."""
        found = [explain_text(match), self._track_reason(activities)]
        if similar is not None:
            found.append(self._similar_reason(similar))
        if shared is not None:
            found.append(self._partner_reason(shared, partners))
        return tuple(found)

    def _similar_reason(self, projects: tuple[tuple[int, float], ...]) -> Reason:
        evidence = float(sum(cosine for _, cosine in projects))
        factor = float(self.similar_projects(evidence))
        if not projects:
            detail = f"none of its past projects is among the {NEIGHBOUR_PROJECTS} closest (x1.00)"
        else:
            best = ", ".join(f"{cosine:.2f}" for _, cosine in projects[:_PROJECTS_IN_DETAIL])
            many = (
                "1 of its past projects is"
                if len(projects) == 1
                else (f"{len(projects)} of its past projects are")
            )
            detail = (
                f"{many} among the {NEIGHBOUR_PROJECTS} past projects closest to the text "
                f"(cosine {best}; x{factor:.2f})"
            )
        return Reason(
            signal=SIMILAR_PROJECTS,
            value=evidence,
            factor=factor,
            detail=detail,
            projects=projects,
        )

    def _track_reason(self, activities: int) -> Reason:
        factor = float(self.track_record(activities))
        projects = "past project or activity" if activities == 1 else "past projects or activities"
        return Reason(
            signal=TRACK_RECORD,
            value=float(activities),
            factor=factor,
            detail=f"{activities} {projects} in its profile (x{factor:.2f})",
        )

    def _partner_reason(self, shared: int, partners: tuple[int, ...]) -> Reason:
        factor = float(self.partners(shared))
        if not shared:
            detail = "no past project with the given partners (x1.00)"
        else:
            projects = "past project" if shared == 1 else "past projects"
            who = "1 of the given partners" if len(partners) == 1 else f"{len(partners)} of them"
            detail = f"{shared} {projects} with {who} (x{factor:.2f})"
        return Reason(
            signal=PAST_PARTNERS,
            value=float(shared),
            factor=factor,
            detail=detail,
            organisation_ids=partners,
        )
