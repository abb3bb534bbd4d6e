"""One `Searcher` per worker process, shared by its threads and kept on the
newest index version, with an LRU cache of results.

Every use goes through `SharedSearcher.run`, which holds a lock (the
library's Searcher is not thread-safe) and retries once on a fresh searcher
if a file vanished under a read.

A commit or rebuild never stalls the worker: a request that sees a newer
version (a directory listing, cheap enough for every request) starts
opening and warming it in a background thread and is answered from the
current version, as are the requests after it, until the new one is ready;
then it replaces the old one between two requests. The warm-up builds
every table a request would otherwise build on first need (`Searcher.warm`:
readings, completions, paraphrases, the speller; `warm_editor`: related
posts' statistics, passage hashes), so the first request on the new version
finds them ready. The new searcher shares what was read from the segments
the two versions have in common (`search.query.segments`), so after an
ordinary commit the warm-up reads only the new segment.

Expensive editor requests (drafts, duplicates) run on a second searcher of
the same version (`lane="editor"`) under their own lock, so a draft that
takes a second does not hold up the searches behind it. It follows the
search lane: in a worker whose editor lane has been used, the background
switch opens and warms it beside the new search searcher, and the editor
lane takes it up at its next request; until then it answers from the
version it has.

After a warm-up and after a switch the worker gives the heap pages freed
meanwhile back to the system (`web.memory`), which also does so every
30 s in a thread of its own.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Hashable, TypeVar

from search import Searcher
from search.editorial.warm import warm_editor
from web import memory
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


LANES = ("search", "editor")


class SharedSearcher:
    """The process's searchers for one index folder; see the module doc."""

    def __init__(self, index_dir: str | os.PathLike[str], cache_size: int = 1024) -> None:
        self.index_dir = Path(index_dir)
        self.cache = ResultCache(cache_size)
        self._lock = threading.Lock()  # the search lane's searcher
        self._editor_lock = threading.Lock()  # the editor lane's searcher
        self._switch_lock = threading.Lock()  # starting a switch
        self._searcher: Searcher | None = None
        self._editor: Searcher | None = None
        self._editor_next: Searcher | None = None  # warmed by a switch, taken up by the editor lane
        self._next: threading.Thread | None = None
        self._pid = 0
        self._state: IndexState | None = None
        self.switches = 0  # versions switched to in the background (for tests and benchmarks)

    # --- keeping the searcher current ---------------------------------------

    def _changed(self) -> None:
        """Call with the lock held, after `_searcher` changed."""
        assert self._searcher is not None
        gen = self._searcher.generation
        self._state = IndexState(self._searcher.version, gen, self._searcher.doc_count)
        self.cache.clear()  # entries of older versions can never be served again
        log.info("index %s: generation %s, %d posts", self.index_dir, gen, self._state.posts)

    def _discard(self) -> None:
        """Call with the lock held: drop the searcher and the editor lane's
        next one (the next use reopens)."""
        searcher, self._searcher, self._state = self._searcher, None, None
        _close(searcher)
        prepared, self._editor_next = self._editor_next, None
        _close(prepared)

    def _current(self) -> Searcher:
        """Call with the lock held: the searcher to answer with now."""
        if self._searcher is None or self._pid != os.getpid():
            self._searcher = None  # after a fork: never share file handles
            self._editor = self._editor_next = None
            self._next = None
            searcher = Searcher(self.index_dir)
            try:
                searcher.warm()  # nothing else to answer with: warm it here
            except BaseException:
                _close(searcher)
                raise
            self._searcher, self._pid = searcher, os.getpid()
            self._changed()
            memory.release()  # what the warm-up built and dropped
            memory.start()
        elif not self._searcher.is_current():
            self._follow(self._searcher)
        return self._searcher

    def _follow(self, current: Searcher) -> None:
        """Open and warm the newest version in a background thread, unless
        one is at it already."""
        with self._switch_lock:
            if self._next is not None and self._next.is_alive():
                return
            self._next = threading.Thread(target=self._switch, args=(current,),
                                          name="blogsearch-next-version", daemon=True)
            self._next.start()

    def _switch(self, current: Searcher) -> None:
        try:
            # the editor lane's searcher only if that lane is in use in this worker
            successor, editor = self._open_pair(current, want_editor=self._editor is not None)
        except Exception as e:  # noqa: BLE001 (a rebuild being swapped in: the next request tries again)
            log.info("index %s: the new version cannot be opened yet: %s", self.index_dir, e)
            return
        try:
            successor.warm()
            if editor is not None:
                warm_editor(editor)
        except Exception:  # noqa: BLE001 (the current version keeps answering)
            log.warning("index %s: warming the new version failed", self.index_dir, exc_info=True)
            _close(successor)
            _close(editor)
            return
        with self._lock:
            if self._searcher is not current:  # reopened meanwhile (after an error)
                _close(successor)
                _close(editor)
                return
            self._searcher = successor
            replaced, self._editor_next = self._editor_next, editor
            self._changed()
            self.switches += 1
            _close(current)
        _close(replaced)
        successor.tables.keep(successor.snapshot.segment_ids + self._editor_segments())
        memory.release()  # the old version's tables and the warm-up's leftovers

    @staticmethod
    def _open_pair(current: Searcher, want_editor: bool = True) -> tuple[Searcher, Searcher | None]:
        """The newest version twice (search lane, editor lane), sharing
        `current`'s segment tables; the editor's is None when not wanted, or
        when a commit came between the two openings three times in a row."""
        successor = current.successor()
        for _ in range(3 if want_editor else 0):
            try:
                editor = successor.successor()
            except BaseException:
                _close(successor)
                raise
            if editor.version == successor.version:
                return successor, editor
            _close(successor)
            successor = editor
        return successor, None

    def _editor_segments(self) -> list[str]:
        segments = []
        for editor in (self._editor, self._editor_next):
            try:
                segments += editor.snapshot.segment_ids if editor is not None else []
            except AttributeError:  # closed meanwhile
                pass
        return segments

    def wait_for_switch(self, timeout: float | None = None) -> None:
        """Wait until a version being opened in the background is in use."""
        thread = self._next
        if thread is not None:
            thread.join(timeout)

    def _editor_searcher(self) -> Searcher:
        """Call with the editor lock held: a searcher on the search lane's
        version (the one a switch warmed for this lane when there is one),
        sharing the search lane's segment tables."""
        with self._lock:
            current = self._current()  # and the search lane follows a new version
            prepared = self._editor_next
            if prepared is not None and prepared.version == current.version:
                self._editor_next = None
            else:
                prepared = None
        if prepared is not None:
            old, self._editor = self._editor, prepared
            _close(old)
        elif self._editor is None or (self._editor.version != current.version
                                      and not self._editor.is_current()):
            # first use, or nothing warmed for this lane: open here
            old, self._editor = self._editor, None
            _close(old)
            self._editor = Searcher(self.index_dir, current.tables)
        return self._editor

    # --- public --------------------------------------------------------------

    def run(self, fn: Callable[[Searcher], T], lane: str = "search") -> tuple[IndexState, T]:
        """`fn(searcher)` on the current version, with the state it ran on.
        `lane="editor"` runs it on the editor's own searcher (see the module doc)."""
        if lane not in LANES:
            raise ValueError(f"lane must be one of {LANES}")
        for attempt in (1, 2):
            try:
                if lane == "editor":
                    with self._editor_lock:
                        searcher = self._editor_searcher()
                        value = fn(searcher)
                        return _state_of(searcher), value
                with self._lock:
                    searcher = self._current()
                    value = fn(searcher)
                    assert self._state is not None
                    return self._state, value
            except OSError as e:  # a file of an older generation vanished
                with self._lock:
                    self._discard()
                with self._editor_lock:
                    old, self._editor = self._editor, None
                    _close(old)
                if attempt == 2:
                    raise ApiError(503, "index_unavailable",
                                   f"the index in {self.index_dir} could not be read: {e}") from e
                log.warning("reopening index %s after: %s", self.index_dir, e)
        raise AssertionError("unreachable")

    def cached(self, key: Hashable, fn: Callable[[Searcher], T],
               lane: str = "search") -> tuple[IndexState, T]:
        """Like `run`, answered from the cache when the same key was asked on
        the same index version."""
        def lookup(searcher: Searcher) -> T:
            full_key = (searcher.version, key)
            value = self.cache.get(full_key)
            if value is None:
                value = fn(searcher)
                self.cache.put(full_key, value)
            return value

        return self.run(lookup, lane)

    def state(self) -> IndexState:
        """The current index version (opening if needed).

        Every cacheable request asks this before its view runs (for the
        ETag), so it does not queue for the search lock behind the searches
        in progress when this process already answers from the newest
        version: `is_current` is a directory listing that reads nothing the
        searches use."""
        searcher, state = self._searcher, self._state
        if (searcher is not None and state is not None and state.version == searcher.version
                and self._pid == os.getpid()):
            try:
                if searcher.is_current():
                    return state
            except Exception:  # noqa: BLE001 (the locked path below says what is wrong)
                pass
        return self.run(lambda searcher: None)[0]

    def close(self) -> None:
        self.wait_for_switch()
        with self._lock:
            self._discard()
        with self._editor_lock:
            old, self._editor = self._editor, None
            _close(old)


def _state_of(searcher: Searcher) -> IndexState:
    return IndexState(searcher.version, searcher.generation, searcher.doc_count)


def _close(searcher: Searcher | None) -> None:
    if searcher is not None:
        try:
            searcher.close()
        except Exception:  # a half-broken searcher is being dropped anyway
            log.debug("closing an old searcher failed", exc_info=True)
