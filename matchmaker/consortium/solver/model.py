"""The consortium solver's public types and constants: candidates, requirements and rules in,
proposals, members and shortfalls out (the definitions are in the package doc)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from matchmaker.errors import InvalidInput

Method = Literal["milp", "greedy"]
Vector: TypeAlias = "NDArray[np.floating] | sparse.sparray | sparse.spmatrix"
Mask: TypeAlias = NDArray[np.bool_]

FILLS_COUNTRY = "country coverage"
FILLS_ADDITIONAL = "additional partner"
# The programme rules' names, as eligibility.py reports them.
ENTITIES_RULE = "independent-entities"
MEMBER_STATE_RULE = "member-state"
IN_KIND_RULE = "in-kind-contributor"
STAGE_ONE_RULE = "stage-1-applicants"
EXCLUDED_RULE = "no-excluded-entities"

# A shortfall names at most this many unverified candidates of its type (the best first).
MAX_UNVERIFIED_NAMED = 5


class InvalidConsortiumRequest(InvalidInput, ValueError):
    """A request that cannot be interpreted (not one that cannot be met: that is a Shortfall)."""

    title = "Invalid consortium request"


@dataclass(frozen=True, slots=True)
class Candidate:
    """An organisation the matcher found relevant to the call, with its score (>= 0).

    ``vector`` is optional: a dense or sparse row (1-D, or 1 x d), L2-normalised by the caller,
    used only for the diversity penalty (similarity is the dot product).
    """

    id: int
    stakeholder_type: str
    country: str
    score: float
    vector: Vector | None = field(default=None, compare=False, repr=False)
    # Affiliated entities share a group and count as one entity for the programme rules.
    group: str | None = None
    # Takes part with in-kind contributions (IHI industry members and contributing partners).
    in_kind: bool = False
    # Whether an admin verified its type (None: a type nobody verifies); counts towards a type
    # of `Requirements.verified_types` only when True.
    verified: bool | None = None

    @property
    def entity(self) -> str:
        """The independence key: the declared group, else the candidate itself."""
        return f"group:{self.group.strip().casefold()}" if self.group else f"id:{self.id}"

    def __post_init__(self) -> None:
        if not (math.isfinite(self.score) and self.score >= 0):
            raise InvalidConsortiumRequest(
                f"Candidate {self.id} has score {self.score!r}; scores must be finite and >= 0.",
                field="candidates",
            )


@dataclass(frozen=True, kw_only=True)
class ConsortiumRules:
    """A programme's admissibility rules as constraints (see the package doc)."""

    independent_entities: int = 0
    eligible_countries: frozenset[str] = frozenset()
    member_states: frozenset[str] = frozenset()
    min_in_kind: int = 0
    no_in_kind: bool = False
    # Whether one of the independent entities must be in a Member State (Art. 22(2)); the
    # one-entity rule sets (CSA, ERC and the like) accept an Associated Country alone.
    require_member_state: bool = True
    # Countries whose entities may not take part in any capacity (Russia and Belarus since
    # 10 May 2022): their candidates are never proposed; an included one is reported.
    excluded_countries: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        check_count(self.independent_entities, "independent_entities")
        check_count(self.min_in_kind, "min_in_kind")
        if self.min_in_kind and self.no_in_kind:
            raise InvalidConsortiumRequest(
                "min_in_kind and no_in_kind contradict each other.", field="rules"
            )


@dataclass(frozen=True, kw_only=True)
class Requirements:
    """What a call asks of a consortium: minimum partners per type, distinct countries, size."""

    required: Mapping[str, int]
    max_partners: int
    min_countries: int = 0
    rules: ConsortiumRules | None = None
    # Types whose places only verified candidates fill.
    verified_types: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        for name, value in (
            ("max_partners", self.max_partners),
            ("min_countries", self.min_countries),
        ):
            check_count(value, name)
        for stakeholder_type, count in self.required.items():
            check_count(count, f"required[{stakeholder_type!r}]")
        object.__setattr__(self, "required", dict(self.required))


@dataclass(frozen=True)
class Member:
    """One partner of a proposal and the requirement it fills.

    ``fills`` is the stakeholder type whose minimum it counts towards, else `FILLS_COUNTRY` when
    it brings a country the minimum needs, else `FILLS_ADDITIONAL`.
    """

    id: int
    stakeholder_type: str
    country: str
    score: float
    fills: str
    included: bool


@dataclass(frozen=True)
class Shortfall:
    """A requirement the proposal misses.

    ``requirement`` is ``"stakeholder_type"`` (``needed`` partners of ``stakeholder_type``, the
    proposal has ``achieved``), ``"countries"`` (``needed`` distinct countries, ``achieved``
    covered) or ``"size"`` (the other requirements or the included partners take ``needed``
    partners, the limit allows ``achieved``).
    """

    requirement: Literal["stakeholder_type", "countries", "size", "eligibility"]
    stakeholder_type: str | None
    needed: int
    achieved: int
    message: str
    # For an "eligibility" shortfall: the rule that fails (eligibility.py's rule names).
    rule: str | None = None
    # For a type of `Requirements.verified_types`: the candidates of that type not counted
    # because their type is not verified, best first (at most MAX_UNVERIFIED_NAMED).
    unverified: tuple[int, ...] = ()


@dataclass(frozen=True)
class Proposal:
    """A proposed consortium: its members, how good it is, what it misses.

    ``total_score`` is the sum of the members' scores, ``diversity_penalty`` the penalty of the
    package doc, and ``objective = total_score - diversity_penalty - member_cost * len(members)``,
    the value the solver maximised (so ``objective`` is comparable between the proposals of one
    call; with the default ``member_cost = 0`` it is ``total_score - diversity_penalty``).
    """

    members: tuple[Member, ...]
    objective: float
    total_score: float
    diversity_penalty: float
    feasible: bool
    shortfalls: tuple[Shortfall, ...]
    method: Method

    @property
    def member_ids(self) -> frozenset[int]:
        """The ids of the members."""
        return frozenset(member.id for member in self.members)


def check_count(value: object, name: str) -> None:
    """Raise `InvalidConsortiumRequest` unless ``value`` is a non-negative integer."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise InvalidConsortiumRequest(
            f"{name} must be a non-negative integer, got {value!r}.", field=name
        )
