"""The one table of what is known of each indexed profile besides its text: ids (sorted),
distinct past projects, facet codes (stakeholder type, country, ...) and when it was last
confirmed as current. `ProfileIndex` holds one and replaces it whole on every change, so a
reader sees the old table or the new one, never half of each.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np


def _encode(value: str | None) -> str | None:
    return str(value) if value is not None and value != "" else None


@dataclass(frozen=True, slots=True, eq=False)
class ProfileRecord:
    """Per indexed profile, aligned with `ids` (sorted): activities, facet codes and when it
    was last confirmed as current (seconds since the epoch; NaN when unknown, never stale).

    Facet levels only ever grow (a code never changes meaning); -1 is a missing value, which
    no filter matches, as in the matcher.
    """

    ids: np.ndarray
    activities: np.ndarray
    facet_names: tuple[str, ...]
    facet_levels: tuple[Mapping[str, int], ...]
    facet_codes: tuple[np.ndarray, ...]
    confirmed: np.ndarray

    @classmethod
    def empty(cls) -> ProfileRecord:
        """The table of an index holding no profile."""
        no_ids = np.zeros(0, dtype=np.int64)
        return cls(no_ids, no_ids, (), (), (), np.zeros(0))

    @classmethod
    def build(
        cls,
        ids: np.ndarray,
        activities: np.ndarray,
        facets: Mapping[str, Sequence[str | None]],
        confirmed: np.ndarray,
    ) -> ProfileRecord:
        """The table of these profiles, sorted by id; each facet's levels in order of first use."""
        order = np.argsort(ids, kind="stable")
        levels_out, codes_out = [], []
        for values in facets.values():
            if len(values) != ids.size:
                raise ValueError(f"{len(values)} facet values for {ids.size} profiles")
            encoded = [_encode(value) for value in values]
            levels: dict[str, int] = {}
            for value in encoded:
                if value is not None:
                    levels.setdefault(value, len(levels))
            codes = np.fromiter(
                (-1 if value is None else levels[value] for value in encoded),
                dtype=np.int32,
                count=ids.size,
            )
            levels_out.append(levels)
            codes_out.append(codes[order])
        return cls(
            ids[order],
            activities[order],
            tuple(facets),
            tuple(levels_out),
            tuple(codes_out),
            confirmed[order],
        )

    def positions(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Which of `ids` are indexed, and their positions."""
        if self.ids.size == 0 or ids.size == 0:
            return np.zeros(ids.size, dtype=bool), np.zeros(0, dtype=np.int64)
        at = np.minimum(np.searchsorted(self.ids, ids), self.ids.size - 1)
        found = self.ids[at] == ids
        return found, at[found]

    def take(self, rows: np.ndarray) -> ProfileRecord:
        """The profiles at `rows` (sorted positions) as a record of their own."""
        return replace(
            self,
            ids=self.ids[rows],
            activities=self.activities[rows],
            facet_codes=tuple(codes[rows] for codes in self.facet_codes),
            confirmed=self.confirmed[rows],
        )

    def candidates(
        self,
        filters: Mapping[str, Collection[str] | str] | None,
        exclude_ids: Collection[int],
        include_ids: Collection[int] | None,
    ) -> np.ndarray:
        """The mask of profiles that pass every filter (the matcher's semantics)."""
        mask = np.ones(self.ids.size, dtype=bool)
        if include_ids is not None:
            mask[:] = False
            mask[self.positions(id_array(include_ids))[1]] = True
        if len(exclude_ids):
            mask[self.positions(id_array(exclude_ids))[1]] = False
        for name, values in (filters or {}).items():
            if name not in self.facet_names:
                raise ValueError(f"unknown facet {name!r}; known: {list(self.facet_names)}")
            position = self.facet_names.index(name)
            levels = self.facet_levels[position]
            wanted = (values,) if isinstance(values, str) else values
            # One flag per level plus a last, always-False one that missing values (-1) index.
            allowed = np.zeros(len(levels) + 1, dtype=bool)
            allowed[[levels[str(value)] for value in wanted if str(value) in levels]] = True
            mask &= allowed[self.facet_codes[position]]
        return mask

    def with_profile(
        self, doc_id: int, activities: int, facets: Mapping[str, str | None], confirmed: float
    ) -> ProfileRecord:
        """A new table with this profile added or replaced (a facet's new value a new level)."""
        unknown = set(facets) - set(self.facet_names)
        if unknown:
            raise ValueError(f"unknown facets {sorted(unknown)}; known: {list(self.facet_names)}")
        levels_out, values = [], []
        for name, levels in zip(self.facet_names, self.facet_levels, strict=True):
            value = _encode(facets.get(name))
            if value is not None and value not in levels:
                levels = {**levels, value: len(levels)}
            levels_out.append(levels)
            values.append(-1 if value is None else levels[value])
        at = int(np.searchsorted(self.ids, doc_id))
        if at < self.ids.size and self.ids[at] == doc_id:
            counts, when = self.activities.copy(), self.confirmed.copy()
            counts[at], when[at] = activities, confirmed
            codes = []
            for old, code in zip(self.facet_codes, values, strict=True):
                new = old.copy()
                new[at] = code
                codes.append(new)
            return replace(
                self,
                activities=counts,
                facet_levels=tuple(levels_out),
                facet_codes=tuple(codes),
                confirmed=when,
            )
        return replace(
            self,
            ids=np.insert(self.ids, at, doc_id),
            activities=np.insert(self.activities, at, activities),
            confirmed=np.insert(self.confirmed, at, confirmed),
            facet_levels=tuple(levels_out),
            facet_codes=tuple(
                np.insert(old, at, value)
                for old, value in zip(self.facet_codes, values, strict=True)
            ),
        )

    def without(self, doc_id: int) -> ProfileRecord:
        """A new table without this profile (this one when it is not in it)."""
        at = int(np.searchsorted(self.ids, doc_id))
        if at < self.ids.size and self.ids[at] == doc_id:
            return replace(
                self,
                ids=np.delete(self.ids, at),
                activities=np.delete(self.activities, at),
                facet_codes=tuple(np.delete(codes, at) for codes in self.facet_codes),
                confirmed=np.delete(self.confirmed, at),
            )
        return self


def id_array(ids: Collection[int]) -> np.ndarray:
    """Organisation ids as an int64 array."""
    return np.asarray(ids if isinstance(ids, np.ndarray) else list(ids), dtype=np.int64)
