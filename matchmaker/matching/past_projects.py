"""Past projects: what identifies one across profiles, who took part in it with whom, and
which are close to a text (the evidence behind the similar-projects and past-partner factors).

`Partnerships` holds which profiles list which past projects (activity key hashes), both ways,
as sorted arrays a saved index memory-maps; `Listings` is the answer to "which past projects
are close to this text, and who lists them".
"""

from __future__ import annotations

import functools
import hashlib
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import numpy as np

from matchmaker.matching.text import TITLES_REMEMBERED, ProfileLike, activity_key, activity_text

KeyT = TypeVar("KeyT", contravariant=True)


class Aligned(Protocol):
    """Per-profile arrays aligned with sorted `ids` (the profile index's records)."""

    @property
    def ids(self) -> np.ndarray:
        """The profiles' ids, sorted."""
        ...

    def positions(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Which of `ids` are present, and their positions."""
        ...


def key_hash(key: str) -> int:
    """A 64-bit number for an activity key, so that keys can be held in (mapped) arrays.

    Two distinct projects share a number with odds of about n^2 / 2^65: below 1e-7 for a
    million distinct past projects.
    """
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def project_id(activity: Mapping[str, Any]) -> int | None:
    """The number that identifies a past project across profiles (`text.activity_key`, hashed);
    None when its title has no word."""
    return _key_number(activity_key(activity))


@functools.lru_cache(maxsize=TITLES_REMEMBERED)
def _key_number(key: str) -> int | None:
    return key_hash(key) if key else None


def project_ids(profile: ProfileLike) -> frozenset[int]:
    """The numbers (`project_id`) of a profile's past projects."""
    return frozenset(n for n in map(project_id, profile.activities) if n is not None)


def listed_projects(profile: ProfileLike) -> dict[int, Mapping[str, Any]]:
    """A profile's past projects by number, the first listing of each."""
    listed: dict[int, Mapping[str, Any]] = {}
    for activity in profile.activities:
        if (number := project_id(activity)) is not None:
            listed.setdefault(number, activity)
    return listed


@dataclass(frozen=True, slots=True)
class PastPartners:
    """Per organisation, how many past projects it shares with the given partners, and with whom."""

    shared: Mapping[int, int]
    partners: Mapping[int, tuple[int, ...]]


class Members(Protocol[KeyT]):
    """Who lists a past project: `get(key, default)`, as a dict from key to organisations."""

    def get(self, key: KeyT, default: Collection[int], /) -> Collection[int]: ...


def past_partners(
    partner_keys: Mapping[int, Collection[KeyT]], members: Members[KeyT]
) -> PastPartners:
    """Count each organisation's past projects with the partners, from the projects' members.

    `partner_keys` maps each partner to its activity keys, `members` each key to the
    organisations whose profiles list it. A partner is not its own past partner.
    """
    keys_of: dict[int, set[KeyT]] = defaultdict(set)
    with_whom: dict[int, set[int]] = defaultdict(set)
    for partner, keys in partner_keys.items():
        for key in keys:
            for organisation in members.get(key, ()):
                if organisation != partner:
                    keys_of[organisation].add(key)
                    with_whom[organisation].add(partner)
    return PastPartners(
        shared={organisation: len(keys) for organisation, keys in keys_of.items()},
        partners={organisation: tuple(sorted(ids)) for organisation, ids in with_whom.items()},
    )


class Partnerships:
    """Which profiles list which past projects (activity key hashes), both ways.

    The profiles of the last fit are sorted arrays (which a saved index memory-maps and
    processes share): `ids` with, per id, a range of `keys` (CSR), and every (key, id) pair
    sorted by key, so the members of a project are one `searchsorted` away. Profiles changed
    since then live in two small dicts, the overlay, which writers change one key at a time
    under the index's lock while readers only look keys up; an overlaid profile's array
    entries are ignored (an empty overlay entry is a removed profile).
    """

    def __init__(
        self,
        ids: np.ndarray,
        indptr: np.ndarray,
        keys: np.ndarray,
        pair_keys: np.ndarray,
        pair_ids: np.ndarray,
    ) -> None:
        # Plain views: a memory map's own indexing goes through Python for every access.
        self.ids, self.indptr, self.keys = (plain_array(a) for a in (ids, indptr, keys))
        self.pair_keys, self.pair_ids = plain_array(pair_keys), plain_array(pair_ids)
        self._overlay: dict[int, frozenset[int]] = {}
        self._overlay_members: dict[int, frozenset[int]] = {}

    @classmethod
    def build(cls, keys_of: Mapping[int, Collection[int]]) -> Partnerships:
        """Arrays for profiles given as id -> activity key hashes."""
        ids = np.array(sorted(doc_id for doc_id, keys in keys_of.items() if keys), np.int64)
        rows = [np.array(sorted(keys_of[int(doc_id)]), dtype=np.int64) for doc_id in ids]
        counts = np.fromiter((row.size for row in rows), dtype=np.int64, count=len(rows))
        indptr = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
        keys = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        owners = np.repeat(ids, counts)
        order = np.lexsort((owners, keys))
        return cls(ids, indptr, keys, keys[order], owners[order])

    @classmethod
    def empty(cls) -> Partnerships:
        return cls.build({})

    def keys_of(self, doc_id: int) -> frozenset[int]:
        """The activity key hashes of one profile."""
        overlaid = self._overlay.get(doc_id)
        if overlaid is not None:
            return overlaid
        at = int(np.searchsorted(self.ids, doc_id))
        if at < self.ids.size and self.ids[at] == doc_id:
            return frozenset(self.keys[self.indptr[at] : self.indptr[at + 1]].tolist())
        return frozenset()

    def get(self, key: int, default: Collection[int] = ()) -> Collection[int]:
        """The profiles that list a project (the `members` mapping `past_partners` reads)."""
        lo = int(np.searchsorted(self.pair_keys, key, side="left"))
        hi = int(np.searchsorted(self.pair_keys, key, side="right"))
        members = {int(doc_id) for doc_id in self.pair_ids[lo:hi].tolist()}
        if self._overlay:
            members = {doc_id for doc_id in members if doc_id not in self._overlay}
        members |= self._overlay_members.get(key, frozenset())
        return members or default

    def listings(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every (position in `keys`, profile) such that the profile lists that key."""
        lo = np.searchsorted(self.pair_keys, keys, side="left")
        counts = np.searchsorted(self.pair_keys, keys, side="right") - lo
        which = np.repeat(np.arange(keys.size), counts)
        offsets = np.arange(which.size) - np.repeat(np.cumsum(counts) - counts, counts)
        owners = self.pair_ids[np.repeat(lo, counts) + offsets]
        overlay = self._overlay
        if overlay:
            kept = ~np.isin(owners, np.fromiter(overlay, dtype=np.int64, count=len(overlay)))
            which, owners = which[kept], owners[kept]
            extra = [
                (position, owner)
                for position, key in enumerate(keys.tolist())
                for owner in self._overlay_members.get(key, ())
            ]
            if extra:
                added = np.array(extra, dtype=np.int64)
                which = np.concatenate((which, added[:, 0]))
                owners = np.concatenate((owners, added[:, 1]))
        return which, owners

    def set(self, doc_id: int, keys: frozenset[int]) -> None:
        """Replace one profile's keys (the caller holds the index's lock)."""
        old = self.keys_of(doc_id)
        self._overlay[doc_id] = keys
        for key in old - keys:
            left = self._overlay_members.get(key, frozenset()) - {doc_id}
            if left:
                self._overlay_members[key] = left
            else:
                self._overlay_members.pop(key, None)
        for key in keys:
            self._overlay_members[key] = self._overlay_members.get(key, frozenset()) | {doc_id}

    def compacted(self) -> Partnerships:
        """The same partnerships with the overlay folded into the arrays."""
        if not self._overlay:
            return self
        keys_of = {
            int(doc_id): self.keys_of(int(doc_id))
            for doc_id in self.ids.tolist()
            if int(doc_id) not in self._overlay
        }
        keys_of.update(self._overlay)
        return Partnerships.build(keys_of)

    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays to save (overlay folded in)."""
        compact = self.compacted()
        return {
            "partner_ids": compact.ids,
            "partner_indptr": compact.indptr,
            "partner_keys": compact.keys,
            "pair_keys": compact.pair_keys,
            "pair_ids": compact.pair_ids,
        }

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> Partnerships:
        return cls(
            arrays["partner_ids"],
            arrays["partner_indptr"],
            arrays["partner_keys"],
            arrays["pair_keys"],
            arrays["pair_ids"],
        )


def plain_array(array: np.ndarray) -> np.ndarray:
    """The array as a plain ndarray (a view of a memory map's pages, no copy)."""
    return array.view(np.ndarray) if isinstance(array, np.memmap) else array


@dataclass(frozen=True, slots=True)
class Listings:
    """Close past projects and who lists them: aligned arrays, closest projects first."""

    owners: np.ndarray
    keys: np.ndarray
    cosines: np.ndarray

    @classmethod
    def empty(cls) -> Listings:
        nothing = np.zeros(0, dtype=np.int64)
        return cls(nothing, nothing, np.zeros(0, dtype=np.float64))

    def summed(self, record: Aligned) -> np.ndarray:
        """Per profile of the record, the sum of the cosines of its close projects."""
        total = np.zeros(record.ids.size, dtype=np.float64)
        found, at = record.positions(self.owners)
        np.add.at(total, at, self.cosines[found])
        return total

    def of(self, doc_id: int) -> tuple[tuple[int, float], ...]:
        """One organisation's close projects: (key hash, cosine), closest first."""
        rows = np.flatnonzero(self.owners == doc_id)
        return tuple(zip(self.keys[rows].tolist(), self.cosines[rows].tolist(), strict=True))


def project_texts(profiles: Iterable[ProfileLike]) -> dict[int, str]:
    """Each distinct past project's text by number, the first listing of it winning."""
    texts: dict[int, str] = {}
    for profile in profiles:
        for number, activity in listed_projects(profile).items():
            texts.setdefault(number, activity_text(activity))
    return texts
