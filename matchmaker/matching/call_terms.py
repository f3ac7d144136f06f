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

`CallWeights` holds one index's weights, a column each. A word a profile brings after the fit
gets a new column (`text_index`), weighed from the same counts as the fit's words, so that it
weighs in a query what a refit would give it.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from typing import Any, Final, Self

import numpy as np

from matchmaker.matching.analyzer import is_word

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


@dataclass(frozen=True, slots=True)
class CallWeights:
    """Per column of one index's vocabulary, a query term's call-frequency weight: `table` for
    the columns of the fit, `added` for the words added since (in column order). Those are
    weighed from the counts `known` (the shipped table, shared, never copied) and `stored` (of
    the stored calls, only the words the fit's vocabulary lacked)."""

    table: np.ndarray
    known: CallTerms
    stored: CallTerms
    added: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float64))

    @classmethod
    def of(cls, known: CallTerms, stored: CallTerms, terms: list[str]) -> CallWeights | None:
        """The weights of a vocabulary whose columns `terms` names, over the known and the
        stored calls together; None when no call is counted."""
        table = (known + stored).weights(terms, len(terms))
        if table is None:
            return None
        held = set(terms) if stored.frequencies else set()
        unseen = {t: n for t, n in stored.frequencies.items() if is_word(t) and t not in held}
        return cls(table, known, CallTerms(stored.calls, unseen))

    @property
    def size(self) -> int:
        """Number of columns weighed."""
        return int(self.table.size + self.added.size)

    @property
    def calls(self) -> int:
        """Number of calls counted."""
        return self.known.calls + self.stored.calls

    def grown(self, new_terms: list[str]) -> CallWeights:
        """The weights with the columns that follow, named by `new_terms`, weighed too."""
        if not new_terms:
            return self
        known, stored = self.known.frequencies, self.stored.frequencies
        counts = np.fromiter(
            (known.get(term, 0) + stored.get(term, 0) for term in new_terms),
            dtype=np.float64,
            count=len(new_terms),
        )
        weights = np.log((1 + self.calls) / (1 + counts)) + 1
        return replace(self, added=np.concatenate([self.added, weights]))

    def factors(self, columns: np.ndarray) -> np.ndarray:
        """The weight of each column; one not weighed yet (a word added by a writer this
        instant) gets that of a term no call uses."""
        factors = np.full(columns.size, math.log(1 + self.calls) + 1)
        fitted = columns < self.table.size
        factors[fitted] = self.table[columns[fitted]]
        added = ~fitted & (columns < self.size)
        factors[added] = self.added[columns[added] - self.table.size]
        return factors

    def saved(self) -> tuple[np.ndarray, dict[str, Any]]:
        """What a saved index keeps of it: the weights of every column, and the stored calls'
        counts of the words it has no column for (the known ones are the package's)."""
        weights = np.concatenate([self.table, self.added])
        return weights, {"calls": self.stored.calls, "terms": dict(self.stored.frequencies)}

    @classmethod
    def restored(
        cls, weights: np.ndarray, meta: Mapping[str, Any], known: CallTerms
    ) -> CallWeights:
        """The weights `saved` gave, with the known counts of the index they are loaded into."""
        return cls(weights, known, CallTerms(int(meta["calls"]), dict(meta["terms"])))
