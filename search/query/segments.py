"""Tables of index segments, kept across index generations.

A Whoosh segment never changes once written: its documents, terms,
postings and stored fields stay as they are until a merge replaces the
segment (deletions are recorded apart, in the generation's TOC). A commit
that adds or changes one post writes one small new segment beside the big
ones. So the tables a searcher builds from an index — postings arrays, the
vocabulary, titles, keyword lists — are built per segment and kept here,
keyed by the segment's id: the next generation reads only its new segments
and combines the rest from memory (`search.query.snapshot.Snapshot` does the
combining, with the generation's deletions).

One `SegmentTables` is shared by the successive searchers of one index in a
process (`search.query.searcher.Searcher.successor` and `refresh`). It holds only
the segments of the generations still open (`keep`), at most
`MAX_POSTINGS` postings lists taking `MAX_POSTINGS_BYTES` and `MAX_STORED`
stored posts (least recently used first out) and `MAX_SPANS` span lists
holding `MAX_SPAN_PAIRS` spans (all dropped when full, as before).
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any, Callable, Hashable, Iterable, TypeVar

import numpy as np

from search.query.lru import LRU

T = TypeVar("T")

MAX_POSTINGS = 40_000  # (segment, field, term) postings lists kept
MAX_POSTINGS_BYTES = 128 * 2**20  # ... and the bytes of their arrays (search.query.lru)
MAX_SPANS = 50_000  # (segment, field, term, docnum) character spans kept, for snippets
# ... and the spans in them: a common word's spans in a long post are
# hundreds of (start, end) tuples, about 70 bytes each
MAX_SPAN_PAIRS = 1_000_000
# stored posts kept (least recently used first out): a hit's title, body and
# sections are one zlib-compressed pickle per post, and the same posts come
# back in the hits of many searches (about 10 KB each in memory)
MAX_STORED = 1024

LocalPostings = tuple[np.ndarray, np.ndarray]  # docnums within the segment (int32), frequencies


def segment_id(leaf: Any) -> str:
    """The id of a Whoosh segment reader's segment (unique per segment
    written); an empty index's reader has no segment (and no tables)."""
    segment = leaf.segment() if hasattr(leaf, "segment") else None
    return segment.segment_id() if segment is not None else "(empty)"


class SegmentTables:
    """Per-segment tables; see the module doc. Thread-safe: a table being
    built may be built twice by two threads, never seen half-built."""

    def __init__(self, max_postings: int = MAX_POSTINGS, max_stored: int = MAX_STORED,
                 max_postings_bytes: int = MAX_POSTINGS_BYTES, max_span_pairs: int = MAX_SPAN_PAIRS) -> None:
        self.max_span_pairs = max_span_pairs
        self._lock = threading.Lock()
        self._tables: dict[tuple[str, Hashable], Any] = {}
        self._postings: LRU[tuple[str, str, str], LocalPostings] = LRU(max_postings, max_postings_bytes)
        self._spans: dict[tuple[str, str, str, int], list[tuple[int, int]]] = {}
        self._span_pairs = 0  # the spans in `_spans`
        self._stored: LRU[tuple[str, int], Any] = LRU(max_stored)
        # tables and postings read from each segment (for tests and benchmarks)
        self.reads: Counter[str] = Counter()

    def table(self, segid: str, name: Hashable, build: Callable[[], T]) -> T:
        """The table `name` of segment `segid`, built with `build()` once."""
        key = (segid, name)
        with self._lock:
            if key in self._tables:
                return self._tables[key]
        value = build()
        with self._lock:
            self.reads[segid] += 1
            return self._tables.setdefault(key, value)

    def postings(self, segid: str, fieldname: str, text: str,
                 read: Callable[[], LocalPostings]) -> LocalPostings:
        key = (segid, fieldname, text)
        found = self._postings.get(key)
        if found is not None:
            return found
        value = read()
        with self._lock:
            self.reads[segid] += 1
        return self._postings.put(key, value)

    def stored(self, segid: str, docnum: int, read: Callable[[], T]) -> T:
        """The stored post `docnum` of segment `segid` (`read()` when not kept)."""
        key = (segid, docnum)
        found = self._stored.get(key)
        if found is not None:
            return found
        return self._stored.put(key, read())

    def spans(self, segid: str, fieldname: str, text: str, docnums: list[int],
              read: Callable[[list[int]], dict[int, list[tuple[int, int]]]]
              ) -> dict[int, list[tuple[int, int]]]:
        """Character spans of a term in some documents of a segment; `read`
        reads those not kept (ascending docnums)."""
        found: dict[int, list[tuple[int, int]]] = {}
        wanted = []
        with self._lock:
            for d in docnums:
                spans = self._spans.get((segid, fieldname, text, d))
                if spans is None:
                    wanted.append(d)
                else:
                    found[d] = spans
        if wanted:
            fresh = read(sorted(wanted))
            with self._lock:
                self.reads[segid] += 1
                pairs = sum(map(len, fresh.values()))
                if len(self._spans) + len(fresh) > MAX_SPANS or self._span_pairs + pairs > self.max_span_pairs:
                    self._spans.clear()
                    self._span_pairs = 0
                if pairs <= self.max_span_pairs:
                    for d, spans in fresh.items():
                        before = self._spans.get((segid, fieldname, text, d))  # another thread's read
                        self._spans[segid, fieldname, text, d] = spans
                        self._span_pairs += len(spans) - (len(before) if before is not None else 0)
            found.update(fresh)
        return found

    def keep(self, segids: Iterable[str]) -> None:
        """Forget every segment but `segids` (those of the open generations)."""
        wanted = set(segids)
        with self._lock:
            self._tables = {k: v for k, v in self._tables.items() if k[0] in wanted}
            self._postings.drop(lambda key: key[0] not in wanted)
            self._spans = {k: v for k, v in self._spans.items() if k[0] in wanted}
            self._span_pairs = sum(map(len, self._spans.values()))
            self._stored.drop(lambda key: key[0] not in wanted)

    def segments(self) -> set[str]:
        with self._lock:
            return ({k[0] for k in self._tables} | {k[0] for k in self._postings}
                    | {k[0] for k in self._spans} | {k[0] for k in self._stored})
