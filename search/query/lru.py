"""A memo of the least recently used first out, bounded by entries and by bytes.

A searcher keeps what it read and computed for terms: postings per segment
(`search.query.segments`), and per index generation the combined postings
and per-term scores (`search.query.snapshot`). Bounded by entries alone,
the memory they take depends on which words readers type: at ten times
ja-docs a common word's postings and scores take about half a megabyte, so
20,000 of them would be gigabytes per worker. Here the NumPy arrays of the
values are counted too, and the oldest entries go when either bound is
passed.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Callable, Generic, Hashable, Iterator, TypeVar

import numpy as np

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

ENTRY_BYTES = 200  # what an entry costs besides its arrays (key, tuple, dict slot), roughly


def nbytes(value: Any) -> int:  # noqa: ANN401 (any value kept)
    """The bytes of the NumPy arrays in `value` (an array, or a tuple or
    list of them), plus an entry's own cost."""
    if isinstance(value, np.ndarray):
        return ENTRY_BYTES + value.nbytes
    if isinstance(value, (tuple, list)):
        return ENTRY_BYTES + sum(v.nbytes for v in value if isinstance(v, np.ndarray))
    return ENTRY_BYTES


class LRU(Generic[K, V]):
    """Thread-safe; `get` marks an entry used."""

    def __init__(self, max_items: int, max_bytes: int | None = None) -> None:
        self.max_items = max_items
        self.max_bytes: float = max_bytes if max_bytes is not None else float("inf")  # None: entries only
        self.nbytes = 0
        self._entries: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[K]:
        with self._lock:
            return iter(list(self._entries))

    def get(self, key: K) -> V | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            self._entries.move_to_end(key)
            return found[0]

    def put(self, key: K, value: V) -> V:
        """Keep `value` (unless it alone is over the byte bound); returns it."""
        size = nbytes(value)
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self.nbytes -= old[1]
            if size <= self.max_bytes:
                self._entries[key] = (value, size)
                self.nbytes += size
            while len(self._entries) > self.max_items or self.nbytes > self.max_bytes:
                _, (_, dropped) = self._entries.popitem(last=False)
                self.nbytes -= dropped
        return value

    def drop(self, unwanted: Callable[[K], bool]) -> None:
        """Forget the entries whose key is `unwanted`."""
        with self._lock:
            for key in [k for k in self._entries if unwanted(k)]:
                self.nbytes -= self._entries.pop(key)[1]
