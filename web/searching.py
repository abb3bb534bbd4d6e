"""One `Searcher` per worker process, shared by its threads and kept on the
newest index generation, with an LRU cache of results.

Every use goes through `SharedSearcher.run`, which holds a lock (the library's
Searcher is not thread-safe), switches to a newer generation if `blogsearch
index` committed one, and reopens and retries once if a file vanished
under a read. `Searcher.refresh()` (~15 µs, a directory listing, so it runs
on every request) only detects a new generation, which is then opened afresh:
the refreshed searcher would reuse Whoosh segment readers with stale
deletions (a changed post found twice, a deleted one still found).

A rebuild (`blogsearch index --rebuild`) rewrites the index in place with
generation numbers starting again, which `refresh()` does not notice; it does
rewrite the index's metadata file, so its (inode, mtime) is watched too, and
the old searcher keeps answering until the rebuilt index has posts. An empty
index is reopened instead of refreshed (Whoosh's refresh fails on it).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Hashable, TypeVar

from search.errors import SearchError
from search.query import Searcher
from search.schema import META_FILE
from web.errors import ApiError

T = TypeVar("T")
log = logging.getLogger(__name__)

REOPEN_POLL_SECONDS = 0.5  # how often to reopen an empty or rebuilding index


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
    generation: int | None  # None for an index without segments
    posts: int


class SharedSearcher:
    """The process's searcher for one index folder; see the module doc."""

    def __init__(self, index_dir: str | os.PathLike[str], cache_size: int = 1024) -> None:
        self.index_dir = Path(index_dir)
        self.cache = ResultCache(cache_size)
        self._lock = threading.Lock()
        self._searcher: Searcher | None = None
        self._pid = 0
        self._stamp: tuple[int, int] | None = None
        self._state: IndexState | None = None
        self._next_reopen = 0.0

    # --- keeping the searcher current (call with the lock held) -------------

    def _meta_stamp(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.index_dir / META_FILE)
        except OSError:
            return None
        return st.st_ino, st.st_mtime_ns

    def _adopt(self, searcher: Searcher, stamp: tuple[int, int] | None) -> None:
        if self._searcher is not None and self._searcher is not searcher:
            self._discard()
        self._searcher, self._pid, self._stamp = searcher, os.getpid(), stamp
        self._changed()

    def _changed(self) -> None:
        assert self._searcher is not None
        gen = self._searcher.generation
        stamp = self._stamp or (0, 0)
        self._state = IndexState(f"{gen}.{stamp[0]:x}.{stamp[1]:x}", gen, self._searcher.doc_count)
        self.cache.clear()  # entries of older generations can never be served again
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
            stamp = self._meta_stamp()
            self._adopt(Searcher(self.index_dir), stamp)
        else:
            stamp = self._meta_stamp()
            if stamp != self._stamp or self._searcher.doc_count == 0:
                # rebuilt, or empty (where Whoosh's refresh() fails): reopen
                self._reopen(stamp)
            elif self._searcher.refresh():
                # A new generation. The refreshed searcher reuses Whoosh segment
                # readers with their old deletions (changed posts would appear
                # twice, deleted ones stay): open the new generation afresh.
                self._discard()
                self._adopt(Searcher(self.index_dir), stamp)
        assert self._searcher is not None
        return self._searcher

    def _reopen(self, stamp: tuple[int, int] | None) -> None:
        """Open the index afresh; while a rebuild has not committed any post
        yet, keep answering from the old index."""
        now = time.monotonic()
        if now < self._next_reopen:
            return
        self._next_reopen = now + REOPEN_POLL_SECONDS
        try:
            fresh = Searcher(self.index_dir)
        except SearchError:
            return  # mid-rebuild, or gone: keep the searcher we have
        assert self._searcher is not None
        if fresh.doc_count == 0 and self._searcher.doc_count > 0:
            fresh.close()
            return
        self._adopt(fresh, stamp)

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
