"""How many calls for proposals use each term: the weights that make call boilerplate count less.

A call's text is mostly work-programme wording ("expected outcomes", "proposals should",
"the scope"), which says nothing about who fits it. A query term weighs
``ln((1 + n) / (1 + df)) + 1`` times its TF-IDF weight, where ``n`` is a number of calls and
``df`` how many of them use the term, so the wording every call shares weighs least.

Those counts come from two places, added together: the calls the service stores, and a table
shipped with the package (`call_terms.json`, counted over EU CORDIS topics of the Horizon 2020
and Horizon Europe programmes outside health; data (c) European Union, CORDIS, CC BY 4.0). With
the table, a new deployment that stores no call yet, or profiles fed only over the API, rank as
a deployment that imported those calls does. Made by ``python -m benchmarks.call_terms
--write``; terms used by fewer than `MIN_CALLS` topics are left out (they weigh as a term no
call uses, within ln 2).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Final, Self

import numpy as np

SHIPPED_FILE: Final = "call_terms.json"
MIN_CALLS: Final = 2


@dataclass(frozen=True, slots=True)
class CallTerms:
    """Per term, how many of `calls` calls use it."""

    calls: int = 0
    frequencies: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def count(cls, texts: Iterable[str], analyze: Callable[[str], list[str]]) -> Self:
        """The counts over call texts, with the index's analyzer (its terms, by name)."""
        frequencies: Counter[str] = Counter()
        calls = 0
        for text in texts:
            frequencies.update(set(analyze(text)))
            calls += 1
        return cls(calls, dict(frequencies))

    @classmethod
    def shipped(cls) -> CallTerms:
        """The table shipped with the package."""
        return _shipped()

    def __add__(self, other: CallTerms) -> CallTerms:
        frequencies = Counter(self.frequencies)
        frequencies.update(other.frequencies)
        return CallTerms(self.calls + other.calls, dict(frequencies))

    def weights(self, terms: Iterable[str], size: int) -> np.ndarray | None:
        """Each column's weight for a vocabulary whose columns are named by `terms` (in
        order), `size` long; None when no call is counted."""
        if not self.calls:
            return None
        get = self.frequencies.get
        counts = np.fromiter((get(term, 0) for term in terms), dtype=np.float64)
        frequency = np.zeros(max(size, 1), dtype=np.float64)
        frequency[: counts.size] = counts[:size]
        return np.log((1 + self.calls) / (1 + frequency)) + 1

    def to_json(self, about: str) -> str:
        """The table as the shipped file holds it, its terms used by at least MIN_CALLS calls."""
        kept = {t: n for t, n in sorted(self.frequencies.items()) if n >= MIN_CALLS}
        document = {"about": about, "calls": self.calls, "terms": kept}
        return json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n"


@cache
def _shipped() -> CallTerms:
    text = resources.files(__package__).joinpath(SHIPPED_FILE).read_text(encoding="utf-8")
    document = json.loads(text)
    return CallTerms(int(document["calls"]), dict(document["terms"]))
