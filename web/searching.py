"""One `Searcher` per worker process, shared by its threads and kept on the
newest index version, with an LRU cache of results.

Every use goes through `SharedSearcher.run`, which holds a lock (the library's
Searcher is not thread-safe), lets the searcher switch to a newer commit or
rebuild (`Searcher.refresh()`, a directory listing, cheap enough for every
request), and reopens and retries once if a file vanished under a read.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Hashable, TypeVar

from search.query import Searcher
from web.errors import ApiError

T = TypeVar("T")
log = logging.getLogger(__name__)


class ResultCache:
    """A bounded least-recently-used mapping (size 0 keeps nothing)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self.hits = self.misses = 0

    def get(self, key: Hashable) -> Any | None:
        value = self._items.get(key)
        if value is None:
            self.misses += 1
            return None
        self.hits += 1
        self._items.move_to_end(key)
        return value

    def put(self, key: Hashable, value: Any) -> None:
        if self.size <= 0:
            return
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    def clear(self) -> None:
        self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


@dataclass(frozen=True)
class IndexState:
    version: str  # changes with every commit and rebuild; used in ETags and cache keys
    generation: int
    posts: int


class SharedSearcher:
    """The process's searcher for one index folder; see the module doc."""

    def __init__(self, index_dir: str | os.PathLike[str], cache_size: int = 1024) -> None:
        self.index_dir = Path(index_dir)
        self.cache = ResultCache(cache_size)
        self._lock = threading.Lock()
        self._searcher: Searcher | None = None
        self._pid = 0
        self._state: IndexState | None = None

    # --- keeping the searcher current (call with the lock held) -------------

    def _changed(self) -> None:
        assert self._searcher is not None
        self._searcher.warm()  # per-version tables (lengths, facets, readings) up front
        gen = self._searcher.generation
        self._state = IndexState(self._searcher.version, gen, self._searcher.doc_count)
        self.cache.clear()  # entries of older versions can never be served again
        log.info("index %s: generation %s, %d posts", self.index_dir, gen, self._state.posts)

    def _discard(self) -> None:
        searcher, self._searcher, self._state = self._searcher, None, None
        if searcher is not None:
            try:
                searcher.close()
            except Exception:  # a half-broken searcher is being dropped anyway
                log.debug("closing an old searcher failed", exc_info=True)

    def _current(self) -> Searcher:
        if self._searcher is None or self._pid != os.getpid():
            self._searcher = None  # after a fork: never share file handles
            self._searcher, self._pid = Searcher(self.index_dir), os.getpid()
            self._changed()
        elif self._searcher.refresh():
            self._changed()
        return self._searcher

    # --- public --------------------------------------------------------------

    def run(self, fn: Callable[[Searcher], T]) -> tuple[IndexState, T]:
        """`fn(searcher)` on the newest generation, with the state it ran on."""
        with self._lock:
            for attempt in (1, 2):
                try:
                    searcher = self._current()
                    value = fn(searcher)
                    assert self._state is not None
                    return self._state, value
                except OSError as e:  # a file of an older generation vanished
                    self._discard()
                    if attempt == 2:
                        raise ApiError(503, "index_unavailable",
                                       f"the index in {self.index_dir} could not be read: {e}") from e
                    log.warning("reopening index %s after: %s", self.index_dir, e)
        raise AssertionError("unreachable")

    def cached(self, key: Hashable, fn: Callable[[Searcher], T]) -> tuple[IndexState, T]:
        """Like `run`, answered from the cache when the same key was asked on
        the same index version."""
        def lookup(searcher: Searcher) -> T:
            assert self._state is not None
            full_key = (self._state.version, key)
            value = self.cache.get(full_key)
            if value is None:
                value = fn(searcher)
                self.cache.put(full_key, value)
            return value

        return self.run(lookup)

    def state(self) -> IndexState:
        """The current index version (opening or refreshing if needed)."""
        return self.run(lambda searcher: None)[0]

    def close(self) -> None:
        with self._lock:
            self._discard()
