"""Prefix look-ups kept along an index's generations, for completions.

`PrefixIndex` holds sorted (key, item) pairs and finds the items whose key
starts with a prefix. Building one sorts every key: for the titles and
title phrases of a big blog, hundreds of thousands of them, seconds of CPU.
A commit of one post changes a title or two, so completions
(`search.query.suggest`) index *stable ids* in a `Registry` shared by the
generations derived from one another: each title (or phrase) ever seen gets
an id once and its keys are sorted once; a generation only ranks the ids
that are live in it (a NumPy array from id to rank) and looks up through
that. Items added since the registry was built go into a small second
index rebuilt per generation; when they are many, the next generation
builds a new registry from scratch. Found either way, the answers are the
same.
"""

from __future__ import annotations

import bisect
import threading
from typing import Callable, Generic, Hashable, Iterable, TypeVar

import numpy as np

K = TypeVar("K", bound=Hashable)
REBUILD_AFTER = 8  # items added since the build past 1/REBUILD_AFTER of those at the build: rebuild


def stable_order(values: np.ndarray) -> np.ndarray:
    """A stable argsort; of strings (`np.str_`: code point order, as Python's)
    NumPy sorts without holding the GIL, where `sorted` of a million strings
    held it for seconds and stalled a server's request threads while a new
    index generation was warmed in the background."""
    return np.argsort(values, kind="stable")


class PrefixIndex:
    """Sorted (key, item) pairs; items whose key starts with a prefix."""

    def __init__(self, pairs: Iterable[tuple[str, int]]) -> None:
        rows = list(set(pairs))  # sorted by key, then item, by NumPy (see `stable_order`)
        keys = np.array([k for k, _ in rows], dtype=np.str_)
        items = np.array([i for _, i in rows], np.int64)
        order = np.argsort(items, kind="stable")
        order = order[stable_order(keys[order])]
        self.keys = keys[order].tolist()
        self.items = items[order]

    def __len__(self) -> int:
        return len(self.keys)

    def find(self, prefix: str) -> np.ndarray:
        if not prefix:
            return self.items[:0]
        lo = bisect.bisect_left(self.keys, prefix)
        hi = bisect.bisect_left(self.keys, prefix + "\U0010ffff")
        return self.items[lo:hi]


class Registry(Generic[K]):
    """Items with stable ids (0, 1, ...) and their keys in a prefix index:
    `base` for the items of the build, the keys of items added since in
    `recent`. Thread-safe; shared by generations, so never changed but by
    `add`."""

    def __init__(self, keys_of: Callable[[K], Iterable[str]]) -> None:
        self._keys_of = keys_of
        self._lock = threading.Lock()
        self.ids: dict[K, int] = {}
        self.items: list[K] = []
        self.base = PrefixIndex(())
        self.built = 0  # items in `base`
        self._recent: list[tuple[str, int]] = []
        self.keyed = 0  # items whose keys were made (for tests and benchmarks)

    def add(self, item: K) -> int:
        """The id of `item`, given on first sight."""
        found = self.ids.get(item)
        if found is not None:
            return found
        with self._lock:
            found = self.ids.get(item)
            if found is None:
                found = len(self.items)
                self._recent += [(key, found) for key in self._keys_of(item)]
                self.items.append(item)
                self.ids[item] = found
                self.keyed += 1
            return found

    def build(self) -> None:
        """Sorts the keys of every item added so far into `base` (once, on a new registry)."""
        with self._lock:
            self.base = PrefixIndex(self._recent)
            self.built = len(self.items)
            self._recent = []

    def worn(self) -> bool:
        """Whether so many items came after the build that a new registry is due."""
        return (len(self.items) - self.built) * REBUILD_AFTER > self.built

    def view(self) -> "RegistryView":
        """The items so far, as one generation looks them up."""
        with self._lock:
            return RegistryView(self.base, PrefixIndex(self._recent) if self._recent else None,
                                len(self.items))


class RegistryView:
    """A registry as it was when a generation was built."""

    def __init__(self, base: PrefixIndex, recent: PrefixIndex | None, size: int) -> None:
        self.base, self.recent, self.size = base, recent, size

    def find(self, prefix: str) -> np.ndarray:
        """Ids of the items with a key starting with `prefix` (unordered, repeats possible)."""
        found = self.base.find(prefix)
        if self.recent is None:
            return found
        return np.concatenate([found, self.recent.find(prefix)])
